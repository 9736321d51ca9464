package dev.streamlake.deserialize;

import static dev.streamlake.deserialize.SchemaRegistryAuthTest.catchConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamlake.common.ConfigException;
import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.PipelineConfig.PayloadFormat;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-time check: the registry must hold the folder's reader schema under its id. */
class SchemaRegistryCheckTest {
  static final PipelineConfig PIPELINE = PipelineConfig.sensorReadings();
  static final Schema READER = PIPELINE.readerSchema();

  final TestRegistry registry = TestRegistry.http();
  final SecretWatch watch = new SecretWatch();
  @TempDir Path dir;

  @AfterEach
  void stop() {
    watch.close();
    registry.close();
  }

  void verify(PipelineConfig pipeline) {
    SchemaRegistryCheck.verify(SchemaRegistrySettings.of(registry.url()), pipeline,
        r -> new SchemaRegistryClient(r, name -> null));
  }

  @Test
  void theFoldersReaderSchemaInTheRegistryPasses() throws IOException {
    // The same schema as the registry may store it: other formatting, a doc string added.
    ObjectNode json = (ObjectNode) new ObjectMapper().readTree(READER.toString());
    json.put("doc", "as registered");
    registry.reply(2, Map.of("schema", new ObjectMapper().writeValueAsString(json)));
    verify(PIPELINE);
    assertThat(registry.requests).containsExactly("/schemas/ids/2");
    assertThat(watch.all()).contains("Schema registry " + registry.url() + " checked: it holds"
        + " the reader schema id 2 (schemas.readerId)");
  }

  @Test
  void anUnknownReaderIdStopsTheStage() {
    assertThatThrownBy(() -> verify(PIPELINE))
        .isInstanceOf(ConfigException.class)
        .hasMessage("The schema registry " + registry.url() + " does not know the reader schema"
            + " id 2 (schemas.readerId), which classpath:schemas/sensor_readings holds. Register"
            + " that schema under id 2, or point --schema-registry-url at the registry the"
            + " producers use.");
  }

  @Test
  void anotherSchemaUnderTheReaderIdStopsTheStage() {
    registry.schema(2, SchemaRegistryTest.V3);
    assertThatThrownBy(() -> verify(PIPELINE))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("holds another schema under the reader schema id 2")
        .hasMessageContaining("Avro parsing canonical forms differ");
  }

  @Test
  void aNonAvroSchemaUnderTheReaderIdStopsTheStage() {
    registry.reply(2, Map.of("schema", "syntax = \"proto3\";", "schemaType", "PROTOBUF"));
    assertThatThrownBy(() -> verify(PIPELINE))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("holds a PROTOBUF schema under the reader schema id 2");
  }

  @Test
  void registryFailuresStopTheStage() throws IOException {
    registry.respond(503, "{\"error_code\":50301,\"message\":\"down\"}");
    assertThatThrownBy(() -> verify(PIPELINE))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Cannot check the reader schema id 2 (schemas.readerId)")
        .hasMessageContaining("HTTP 503")
        .hasCauseInstanceOf(SchemaRegistryUnavailableException.class);
    registry.respond(401, "{}");
    assertThatThrownBy(() -> verify(PIPELINE))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("refused the credentials (HTTP 401)");
    registry.respond(404, "Not Found");
    assertThatThrownBy(() -> verify(PIPELINE))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("is the URL right, including its base path?");

    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    SchemaRegistrySettings unreachable = SchemaRegistrySettings.of("http://127.0.0.1:" + port);
    assertThatThrownBy(() -> SchemaRegistryCheck.verify(unreachable, PIPELINE,
        r -> new SchemaRegistryClient(r, name -> null)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unreachable");
  }

  @Test
  void jsonPipelinesDoNotUseTheRegistryAndAreNotChecked() {
    verify(PIPELINE.withFormat(PayloadFormat.JSON));
    assertThat(registry.requests).isEmpty();
  }

  @Test
  void noRegistryNoCheck() {
    SchemaRegistryCheck.verify(DeserializeConfig.fromArgs(
        new String[] {"--lake", dir.toString()}));
    assertThat(registry.requests).isEmpty();
  }

  @Test
  void theStageChecksBeforeItTouchesSpark() {
    // No SparkSession at all: the check must fail first, with its own message.
    DeserializeConfig config = DeserializeConfig.fromArgs(new String[] {"--lake", dir.toString(),
        "--schema-registry-url", registry.url(), "--schema-registry-timeout", "5s"});
    ConfigException e = catchConfig(() -> {
      try {
        DeserializeQuery.start(null, config);
      } catch (java.util.concurrent.TimeoutException t) {
        throw new AssertionError(t);
      }
    });
    assertThat(e).hasMessageContaining("does not know the reader schema id 2");
    assertThat(registry.requests).containsExactly("/schemas/ids/2");
  }

  @Test
  void checkTimesOutWithTheConfiguredTimeout() {
    registry.delay(Duration.ofSeconds(20));
    SchemaRegistrySettings s = new SchemaRegistrySettings(registry.url(), null, null, null, null,
        null, null, null, Duration.ofMillis(200), Duration.ofMinutes(5), 100);
    assertThatThrownBy(() -> SchemaRegistryCheck.verify(s, PIPELINE,
        r -> new SchemaRegistryClient(r, name -> null)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("no answer to GET " + registry.url() + "/schemas/ids/2 within"
            + " 200ms");
  }
}
