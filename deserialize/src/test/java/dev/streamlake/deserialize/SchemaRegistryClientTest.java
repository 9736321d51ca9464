package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.local.SensorReadingPayloads;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the registry's answers mean (only 40403 is "unknown"; everything else fails the batch) and
 * what a lookup costs (miss cache, per-task budget, shared in-flight requests), against a real
 * HTTP server.
 */
class SchemaRegistryClientTest {
  static final String DIRECTORY = SensorReadingPayloads.SCHEMA_DIRECTORY;

  final TestRegistry registry = TestRegistry.http().schema(7, SchemaRegistryTest.V3);
  final AtomicLong ticker = new AtomicLong();

  @AfterEach
  void stopRegistry() {
    registry.close();
  }

  SchemaRegistrySettings settings(String url, Duration timeout, Duration missTtl, int budget) {
    return new SchemaRegistrySettings(url, null, null, null, null, null, null, null, timeout,
        missTtl, budget);
  }

  SchemaRegistrySettings settings() {
    return settings(registry.url(), Duration.ofSeconds(10), Duration.ofMinutes(5), 100);
  }

  /** A task's writer schemas, with its own client (no JVM-wide client) and the test's clock. */
  WriterSchemas task(SchemaRegistrySettings s) {
    return new WriterSchemas(DIRECTORY, s, r -> new SchemaRegistryClient(r, name -> null),
        ticker::get);
  }

  static DecodeFailure missing(WriterSchemas.Lookup lookup) {
    assertThat(lookup).isInstanceOf(WriterSchemas.Missing.class);
    DecodeFailure f = ((WriterSchemas.Missing) lookup).failure();
    assertThat(f.code()).isEqualTo(ErrorCode.UNKNOWN_SCHEMA_ID);
    return f;
  }

  @Test
  void notFoundWithErrorCode40403IsMissing() {
    DecodeFailure f = missing(task(settings()).find(1234));
    assertThat(f.message()).contains("schema id 1234 is unknown").contains(registry.url());
    assertThat(registry.requests).containsExactly("/schemas/ids/1234");
    assertThat(task(settings()).find(7)).isInstanceOf(WriterSchemas.Found.class);
  }

  @Test
  void notFoundWithoutErrorCode40403IsUnavailable() {
    // A wrong base path: the web server, not the registry, says 404.
    SchemaRegistrySettings wrongPath = settings(registry.url().replace(registry.basePath, "/sr"),
        Duration.ofSeconds(10), Duration.ofMinutes(5), 100);
    assertThatThrownBy(() -> task(wrongPath).find(7))
        .isInstanceOf(SchemaRegistryUnavailableException.class)
        .hasMessageContaining("HTTP 404 without Confluent error_code 40403")
        .hasMessageContaining("base path")
        .hasMessageContaining("/sr/schemas/ids/7");
    // Another registry error code with 404 (subject not found) is not "schema not found" either.
    registry.respond(404, "{\"error_code\":40401,\"message\":\"Subject not found\"}");
    assertThatThrownBy(() -> task(settings()).find(1234))
        .isInstanceOf(SchemaRegistryUnavailableException.class)
        .hasMessageContaining("HTTP 404");
    // Nor is a 404 whose body is not JSON.
    registry.respond(404, "no such thing");
    assertThatThrownBy(() -> task(settings()).find(1235))
        .isInstanceOf(SchemaRegistryUnavailableException.class);
  }

  @Test
  void errorStatusesAreUnavailable() {
    for (int status : new int[] {400, 401, 403, 409, 422, 500, 502, 503, 301}) {
      registry.respond(status, "{\"error_code\":" + status + "01,\"message\":\"no\"}");
      assertThatThrownBy(() -> task(settings()).find(2000 + status))
          .as("HTTP %d", status)
          .isInstanceOf(SchemaRegistryUnavailableException.class)
          .hasMessageContaining("HTTP " + status)
          .hasMessageContaining("/schemas/ids/" + (2000 + status));
    }
  }

  @Test
  void refusedCredentialsNameTheRegistry() {
    registry.respond(401, "{\"error_code\":40101,\"message\":\"Unauthorized\"}");
    assertThatThrownBy(() -> task(settings()).find(3000))
        .isInstanceOf(SchemaRegistryUnavailableException.class)
        .hasMessageContaining(registry.hostAndPort())
        .hasMessageContaining("refused the credentials (HTTP 401)")
        .hasMessageContaining("auth: none");
    registry.respond(403, "{\"error_code\":40301,\"message\":\"Forbidden\"}");
    assertThatThrownBy(() -> task(settings()).find(3001))
        .isInstanceOf(SchemaRegistryUnavailableException.class)
        .hasMessageContaining("denied access (HTTP 403)");
  }

  @Test
  void unreadableRepliesAreUnavailable() {
    registry.respond(200, "<html>a login page</html>");
    assertThatThrownBy(() -> task(settings()).find(3100))
        .isInstanceOf(SchemaRegistryUnavailableException.class)
        .hasMessageContaining("unreadable reply");
    registry.respond(200, "{\"id\":3101}");
    assertThatThrownBy(() -> task(settings()).find(3101))
        .isInstanceOf(SchemaRegistryUnavailableException.class)
        .hasMessageContaining("no \"schema\" string");
  }

  @Test
  void timeoutIsUnavailable() {
    registry.delay(Duration.ofSeconds(20));
    SchemaRegistrySettings quick =
        settings(registry.url(), Duration.ofMillis(300), Duration.ofMinutes(5), 100);
    long start = System.nanoTime();
    assertThatThrownBy(() -> task(quick).find(3200))
        .isInstanceOf(SchemaRegistryUnavailableException.class)
        .hasMessageContaining("timed out")
        .hasMessageContaining("300ms")
        .hasMessageContaining("--schema-registry-timeout");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void unreachablePortIsUnavailable() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    SchemaRegistrySettings closed =
        settings("http://127.0.0.1:" + port, Duration.ofSeconds(5), Duration.ofMinutes(5), 100);
    assertThatThrownBy(() -> task(closed).find(3300))
        .isInstanceOf(SchemaRegistryUnavailableException.class)
        .hasMessageContaining("unreachable")
        .hasMessageContaining("127.0.0.1:" + port);
  }

  @Test
  void idsBelowOneAreNeverRequested() {
    WriterSchemas task = task(settings());
    for (int id : new int[] {0, -1, Integer.MIN_VALUE}) {
      assertThat(missing(task.find(id)).message())
          .contains("schema id " + id + " is unknown")
          .contains("not looked up")
          .contains("start at 1");
    }
    // Through the decoder too: the wire format's 4 bytes can say 0 or a negative id.
    PayloadDecoder decoder =
        PayloadDecoder.create(DecoderSettings.withRegistry(PipelineConfig.sensorReadings(),
            settings()));
    PayloadDecoderTest.failed(decoder.decode(SensorReadingPayloads.wire(0, new byte[] {2})),
        ErrorCode.UNKNOWN_SCHEMA_ID);
    PayloadDecoderTest.failed(decoder.decode(SensorReadingPayloads.wire(-7, new byte[] {2})),
        ErrorCode.UNKNOWN_SCHEMA_ID);
    assertThat(registry.requests).isEmpty();
  }

  @Test
  void missesAreRememberedJvmWideForTheirTimeToLive() {
    SchemaRegistrySettings s = settings();
    missing(task(s).find(4000));
    assertThat(registry.requestsFor(4000)).isEqualTo(1);

    // Another task within the TTL: no request, and its dead letter says the answer is recent.
    ticker.addAndGet(Duration.ofMinutes(5).toNanos() - 1);
    assertThat(missing(task(s).find(4000)).message()).contains("asked within the last 5m");
    assertThat(registry.requestsFor(4000)).isEqualTo(1);

    // Once it expired the registry is asked again (the id may have been registered meanwhile).
    ticker.addAndGet(1);
    missing(task(s).find(4000));
    assertThat(registry.requestsFor(4000)).isEqualTo(2);
    registry.schema(4000, SchemaRegistryTest.V3);
    ticker.addAndGet(Duration.ofMinutes(5).toNanos());
    assertThat(task(s).find(4000)).isInstanceOf(WriterSchemas.Found.class);
    assertThat(registry.requestsFor(4000)).isEqualTo(3);
  }

  @Test
  void aZeroTimeToLiveRemembersNoMiss() {
    SchemaRegistrySettings s =
        settings(registry.url(), Duration.ofSeconds(10), Duration.ZERO, 100);
    missing(task(s).find(4100));
    missing(task(s).find(4100));
    assertThat(registry.requestsFor(4100)).isEqualTo(2);
  }

  @Test
  void foundSchemasAreCachedForever() {
    task(settings()).find(7);
    ticker.addAndGet(Duration.ofDays(365).toNanos());
    assertThat(task(settings()).find(7)).isInstanceOf(WriterSchemas.Found.class);
    assertThat(registry.requestsFor(7)).isEqualTo(1);
  }

  @Test
  void aFloodOfRandomIdsCostsEachTaskItsBudgetOfRequests() {
    int budget = 10;
    int extra = 25;
    SchemaRegistrySettings s =
        settings(registry.url(), Duration.ofSeconds(10), Duration.ofMinutes(5), budget);
    Set<Integer> ids = new LinkedHashSet<>();
    Random random = new Random(42);
    while (ids.size() < budget + extra) {
      ids.add(10_000 + random.nextInt(1_000_000));
    }
    WriterSchemas task = task(s);
    List<String> messages = new ArrayList<>();
    for (int id : ids) {
      messages.add(missing(task.find(id)).message());
    }
    assertThat(registry.requests).hasSize(budget);
    assertThat(messages.subList(budget, messages.size())).allSatisfy(m -> assertThat(m)
        .contains("not looked up in the schema registry " + registry.url())
        .contains("this task already had " + budget + " unknown schema ids")
        .contains("--schema-registry-max-misses-per-task"));
    // Known schemas still resolve from the cache; a never-seen one is not looked up any more.
    task(s).find(7);
    assertThat(task.find(7)).isInstanceOf(WriterSchemas.Found.class);
    assertThat(registry.requestsFor(7)).isEqualTo(1);
    assertThat(missing(task.find(8)).message()).contains("not looked up");
    // The next task has a budget of its own; ids it asked about before are still remembered.
    WriterSchemas next = task(s);
    missing(next.find(ids.iterator().next()));
    missing(next.find(8));
    assertThat(registry.requests).hasSize(budget + 2);
  }

  @Test
  void decoderDeadLettersSayWhyAnIdWasNotLookedUp() {
    SchemaRegistrySettings s =
        settings(registry.url(), Duration.ofSeconds(10), Duration.ofMinutes(5), 3);
    PayloadDecoder decoder = PayloadDecoder.create(
        DecoderSettings.withRegistry(PipelineConfig.sensorReadings(), s));
    List<String> messages = new ArrayList<>();
    for (int id = 5000; id < 5006; id++) {
      messages.add(PayloadDecoderTest.failed(
          decoder.decode(SensorReadingPayloads.wire(id, new byte[] {2, 'x'})),
          ErrorCode.UNKNOWN_SCHEMA_ID).message());
    }
    assertThat(registry.requests).hasSize(3);
    assertThat(messages.get(0)).isEqualTo("schema id 5000 is unknown: not found in " + DIRECTORY
        + " nor in the schema registry " + registry.url());
    assertThat(messages.get(5)).isEqualTo("schema id 5005 is unknown: not found in " + DIRECTORY
        + "; not looked up in the schema registry " + registry.url() + " because this task"
        + " already had 3 unknown schema ids (--schema-registry-max-misses-per-task); re-drive"
        + " the record if the id is registered");
  }

  @Test
  void concurrentTasksShareOneRequestForAnId() throws Exception {
    registry.delay(Duration.ofMillis(500));
    SchemaRegistrySettings s = settings();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Callable<WriterSchemas.Lookup>> tasks = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        tasks.add(() -> task(s).find(6000));
      }
      for (Future<WriterSchemas.Lookup> f : pool.invokeAll(tasks)) {
        missing(f.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(registry.requestsFor(6000)).isEqualTo(1);
  }
}
