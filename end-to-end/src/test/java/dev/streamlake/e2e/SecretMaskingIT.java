package dev.streamlake.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.streamlake.local.Repository;
import dev.streamlake.local.StageModule;
import dev.streamlake.local.StageProcess;
import dev.streamlake.testing.TestKafka;
import dev.streamlake.testing.TestSpark;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No secret given to a stage reaches anything the stage prints. Each case runs a stage's -spark
 * jar as its own driver ({@link StageProcess}) with a recognisable secret,
 * {@code S3cr3t-<setting>-<uuid>}, in every setting that takes one, for one {@code availableNow}
 * run over a few records, and then searches the driver's whole output (stdout and stderr, our
 * masked command line included) for each secret. Spark and the Kafka clients log at their default
 * levels: Spark's own {@code log4j2-defaults.properties} (everything at INFO) replaces the quieter
 * spark-home configuration, so Kafka's config dumps and the plan Spark logs when a query starts
 * are in the output.
 *
 * <p>Stage 1 and the one-driver launcher get every Kafka client option that kafka-clients types
 * {@code PASSWORD}, read here from kafka-clients' own config definitions (not from our list), with
 * {@code security.protocol=PLAINTEXT} against the test broker: the values are accepted and never
 * used, so the run is an ordinary one.
 *
 * <p>Stage 2 takes its registry secrets by name (an environment variable or a file), never as a
 * value on the command line, so its case is {@link #noRegistrySecretReachesStageTwosOutput}: a
 * registry that demands the secret, reached from the driver and the executors. Setting flags
 * that take a secret value directly go in {@link #DESERIALIZE_SECRET_SETTINGS}; listing one there
 * adds a stage 2 case and puts it into the launcher's case. Stage 3 (merge) takes no secret settings:
 * it reads bronze and writes gold, Delta tables reached with the cluster's own storage
 * credentials, so it has no case.
 */
class SecretMaskingIT {

  /**
   * Extension point for stage 2: the flags of its settings whose values are secrets (the schema
   * registry credentials, for example {@code --schema-registry-password}). Listing one adds a
   * deserialize case and puts it into the all-in-one case; each gets a secret value, which must
   * appear nowhere, while the start-up line must show {@code <flag without -->=******}.
   */
  static final List<String> DESERIALIZE_SECRET_SETTINGS = List.of();

  private static final String MASK = "******";
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(5);

  @TempDir Path dir;

  /** One driver and the secret settings it is given. */
  record Case(StageModule kind, List<String> secretSettings) {
    @Override
    public String toString() {
      return kind.module() + " with " + secretSettings.size() + " secret settings";
    }
  }

  static Stream<Case> stagesWithSecrets() {
    List<String> kafka = kafkaPasswordOptions().stream().map(o -> "--kafka." + o).toList();
    List<Case> cases = new ArrayList<>();
    cases.add(new Case(StageModule.RAW_INGEST, kafka));
    if (!DESERIALIZE_SECRET_SETTINGS.isEmpty()) {
      cases.add(new Case(StageModule.DESERIALIZE, DESERIALIZE_SECRET_SETTINGS));
    }
    cases.add(new Case(StageModule.ALL_IN_ONE,
        Stream.concat(kafka.stream(), DESERIALIZE_SECRET_SETTINGS.stream()).toList()));
    return cases.stream();
  }

  /** Every Kafka client option of type PASSWORD: consumer, producer and admin. */
  static Set<String> kafkaPasswordOptions() {
    return Stream.of(ConsumerConfig.configDef(), ProducerConfig.configDef(),
            AdminClientConfig.configDef())
        .flatMap(def -> def.configKeys().values().stream())
        .filter(key -> key.type == ConfigDef.Type.PASSWORD)
        .map(key -> key.name)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stagesWithSecrets")
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void noSecretReachesTheDriversOutput(Case c) throws Exception {
    Repository repo = Repository.find();
    Path lake = dir.resolve("lake");
    Path run = dir.resolve("run");
    Files.createDirectories(run);
    boolean readsKafka = c.kind() != StageModule.DESERIALIZE;

    SampleReadings samples = SampleReadings.generate(40, SampleReadings.DEFAULT_SEED);
    List<String> args = new ArrayList<>(List.of("--lake", lake.toString(), "--trigger", "availableNow"));
    if (readsKafka) {
      String topic = TestKafka.uniqueTopic("secrets-" + c.kind().module());
      TestKafka.createTopic(topic, 2);
      TestKafka.produce(samples.records(topic));
      args.addAll(List.of("--bootstrap-servers", TestKafka.bootstrapServers(), "--topic", topic,
          "--kafka.security.protocol=PLAINTEXT"));
    }
    Map<String, String> secrets = new LinkedHashMap<>();
    for (String setting : c.secretSettings()) {
      String secret = "S3cr3t-" + setting.replaceFirst("^--", "") + "-" + UUID.randomUUID();
      secrets.put(setting, secret);
      args.add(setting + "=" + secret);
    }

    StageProcess driver = StageProcess.start(repo, c.kind(), args, run,
        List.of("-Dlog4j2.configurationFile=" + sparkDefaultLogConfig(run).toUri()));
    try {
      await(c.kind().module() + " finishes its availableNow run").atMost(RUN_TIMEOUT)
          .pollInterval(Duration.ofSeconds(1)).until(() -> !driver.isAlive());
    } finally {
      driver.stop();
    }
    assertThat(driver.exitCode()).as("%s exit code; log %s:\n%s", c.kind().module(),
        driver.logFile(), driver.logTail(60)).isZero();
    String log = Files.readString(driver.logFile(), StandardCharsets.UTF_8);

    // The point of it all: no line shows a secret.
    for (Map.Entry<String, String> secret : secrets.entrySet()) {
      List<String> leaks = log.lines().filter(l -> l.contains(secret.getValue())).toList();
      assertThat(leaks).as("lines of %s's output that show the value of %s (log %s)",
          c.kind().module(), secret.getKey(), driver.logFile()).isEmpty();
    }

    // And the search meant something: the run was an ordinary one, its output complete, and each
    // secret was given and masked where a value is shown.
    assertShows(log, " starting with ", "our start-up line", driver);
    for (String setting : c.secretSettings()) {
      assertShows(log, setting.replaceFirst("^--", "") + "=" + MASK,
          "the start-up line naming " + setting + " with its value masked", driver);
    }
    if (readsKafka) {
      assertShows(log, "INFO MicroBatchExecution", "Spark logging at INFO", driver);
      assertShows(log, "ConsumerConfig values:", "the Kafka consumer's config at INFO", driver);
      for (String option : kafkaPasswordOptions()) {
        assertShows(log, option + " = [hidden]", "the Kafka consumer given " + option, driver);
      }
      PipelineReport.Counts counts = new PipelineReport(TestSpark.session(), lake).counts();
      assertThat(counts.raw()).as("raw rows").isEqualTo(samples.expectedRaw());
      if (c.kind() == StageModule.ALL_IN_ONE) {
        assertThat(counts.bronze()).as("bronze rows").isEqualTo(samples.expectedBronze());
        assertThat(counts.gold()).as("gold rows").isEqualTo((long) samples.expectedGold().size());
      }
    }
  }

  /**
   * Stage 2 names its secrets instead of taking them: the registry password comes from a file,
   * read on the driver (the start check) and on the executors (lookups of writer ids the schema
   * folder lacks). A registry started here demands that password and serves the reader schema
   * and schema id 7, the writer id of every raw row, so the run only ends with full bronze if
   * every lookup authenticated. A second run passes the credentials as the URL's user info. Both
   * searches cover the secret and its base64 form, as an Authorization header would carry it.
   */
  @org.junit.jupiter.api.Test
  @Timeout(value = 20, unit = TimeUnit.MINUTES)
  void noRegistrySecretReachesStageTwosOutput() throws Exception {
    Repository repo = Repository.find();
    String user = "registry-user";
    String password = "S3cr3t-registry-password-" + UUID.randomUUID();
    String basic = java.util.Base64.getEncoder().encodeToString(
        (user + ":" + password).getBytes(StandardCharsets.UTF_8));
    com.sun.net.httpserver.HttpServer registry =
        com.sun.net.httpserver.HttpServer.create(
            new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    java.util.concurrent.atomic.AtomicInteger authorized =
        new java.util.concurrent.atomic.AtomicInteger();
    registry.createContext("/schemas/ids/", exchange -> {
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      String id = exchange.getRequestURI().getPath().replaceFirst(".*/", "");
      byte[] body;
      int status;
      if (!("Basic " + basic).equals(auth)) {
        status = 401;
        body = "{\"error_code\":40101,\"message\":\"Unauthorized\"}".getBytes(StandardCharsets.UTF_8);
      } else if (id.equals("2") || id.equals("7")) {
        authorized.incrementAndGet();
        status = 200;
        String schema = dev.streamlake.local.SensorReadingPayloads.schema(2).toString();
        body = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
            .put("schema", schema).toString().getBytes(StandardCharsets.UTF_8);
      } else {
        status = 404;
        body = "{\"error_code\":40403,\"message\":\"Schema not found\"}".getBytes(StandardCharsets.UTF_8);
      }
      exchange.sendResponseHeaders(status, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    registry.start();
    try {
      String url = "http://127.0.0.1:" + registry.getAddress().getPort();
      Path passwordFile = dir.resolve("registry-password");
      Files.writeString(passwordFile, password);
      String withUserInfo = "http://" + user + ":" + password + "@127.0.0.1:"
          + registry.getAddress().getPort();
      List<List<String>> runs = List.of(
          List.of("--schema-registry-url", url, "--schema-registry-basic-auth-user", user,
              "--schema-registry-basic-auth-password-file", passwordFile.toString()),
          List.of("--schema-registry-url", withUserInfo));
      int n = 0;
      for (List<String> registryArgs : runs) {
        Path lake = dir.resolve("registry-lake-" + n);
        Path run = dir.resolve("registry-run-" + n++);
        Files.createDirectories(run);
        int rows = writeRawRowsWithWriterId7(lake);
        int before = authorized.get();
        List<String> args = new ArrayList<>(
            List.of("--lake", lake.toString(), "--trigger", "availableNow"));
        args.addAll(registryArgs);
        StageProcess driver = StageProcess.start(repo, StageModule.DESERIALIZE, args, run,
            List.of("-Dlog4j2.configurationFile=" + sparkDefaultLogConfig(run).toUri()));
        try {
          await("deserialize finishes its availableNow run").atMost(RUN_TIMEOUT.multipliedBy(2))
              .pollInterval(Duration.ofSeconds(1)).until(() -> !driver.isAlive());
        } finally {
          driver.stop();
        }
        assertThat(driver.exitCode()).as("exit code; log %s:\n%s", driver.logFile(),
            driver.logTail(60)).isZero();
        String log = Files.readString(driver.logFile(), StandardCharsets.UTF_8);
        for (String secret : List.of(password, basic)) {
          assertThat(log.lines().filter(l -> l.contains(secret)).toList())
              .as("lines of deserialize's output showing a registry secret (log %s)",
                  driver.logFile()).isEmpty();
        }
        assertShows(log, " starting with ", "our start-up line", driver);
        assertShows(log, "INFO MicroBatchExecution", "Spark logging at INFO", driver);
        assertThat(authorized.get() - before).as("authorized registry lookups").isPositive();
        PipelineReport.Counts counts = new PipelineReport(TestSpark.session(), lake).counts();
        assertThat(counts.bronze()).as("bronze rows, decoded with the registry's schema 7")
            .isEqualTo(rows);
      }
    } finally {
      registry.stop(0);
    }
  }

  /** A raw table of valid readings written with schema id 7, which only the registry knows. */
  private static int writeRawRowsWithWriterId7(Path lake) {
    var spark = TestSpark.session();
    List<org.apache.spark.sql.Row> rows = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      var reading = dev.streamlake.local.SensorReadingPayloads.Reading.of("s-" + i,
          java.time.Instant.parse("2024-03-01T00:00:00Z").plusSeconds(i), 20);
      byte[] value = dev.streamlake.local.SensorReadingPayloads.wire(7,
          dev.streamlake.local.SensorReadingPayloads.avroBody(2, reading));
      rows.add(org.apache.spark.sql.RowFactory.create(null, value, "sensor-readings", 0, (long) i,
          java.sql.Timestamp.from(java.time.Instant.parse("2024-03-01T00:00:00Z")), 0, null,
          java.sql.Timestamp.from(java.time.Instant.parse("2024-03-01T00:00:01Z")),
          java.sql.Date.valueOf("2024-03-01")));
    }
    spark.createDataFrame(rows, dev.streamlake.common.TableSchemas.raw()).coalesce(1).write()
        .format("delta").partitionBy(dev.streamlake.common.TableSchemas.INGEST_DATE)
        .save(lake.resolve("raw").resolve("sensor_readings").toString());
    return rows.size();
  }

  /** Fails naming what is missing, without pasting the whole log into the report. */
  private static void assertShows(String log, String text, String what, StageProcess driver) {
    assertThat(log.contains(text)).as("%s (\"%s\") in %s", what, text, driver.logFile()).isTrue();
  }

  /** Spark's own default logging configuration (root at INFO), as spark-submit uses it without a conf/. */
  static Path sparkDefaultLogConfig(Path runDir) throws IOException {
    String resource = "org/apache/spark/log4j2-defaults.properties";
    Path target = runDir.resolve("log4j2-spark-defaults.properties");
    try (InputStream in = SecretMaskingIT.class.getClassLoader().getResourceAsStream(resource)) {
      assertThat(in).as(resource + " from spark-core on the test classpath").isNotNull();
      Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return target.toAbsolutePath();
  }
}
