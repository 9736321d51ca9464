package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineConfigTest {

  @TempDir Path dir;

  @Test
  void builtInSensorReadingsPipelineIsComplete() {
    PipelineConfig p = PipelineConfig.sensorReadings();
    assertThat(p.name()).isEqualTo("sensor_readings");
    assertThat(p.topic()).isEqualTo("sensor-readings");
    assertThat(p.format()).isEqualTo(PipelineConfig.PayloadFormat.AVRO);
    assertThat(p.rules()).extracting(PipelineConfig.NamedExpression::name)
        .containsExactly("sensor_id_length", "temperature_range", "humidity_range",
            "battery_range", "status_known", "reading_ts_plausible");
    assertThat(p.gold().key()).containsExactly("sensor_id", "reading_date");
    assertThat(p.gold().sequence()).containsExactly("reading_ts", "offset");
    assertThat(p.readerSchema().getField("pressure_hpa")).isNotNull();
    assertThat(TableSchemas.bronze(p.readerSchema()).fieldNames())
        .startsWith("sensor_id", "reading_ts", "temperature_c", "humidity_pct", "battery_pct",
            "status", "firmware", "pressure_hpa")
        .contains("schema_id", "topic", "partition", "offset");
  }

  @Test
  void v1AndV2SchemasAreTheContract() {
    var v1 = AvroSchemas.load("classpath:schemas/sensor_readings", 1);
    var v2 = AvroSchemas.load("classpath:schemas/sensor_readings", 2);
    assertThat(TableSchemas.dataColumns(v1)).containsExactly("sensor_id", "reading_ts",
        "temperature_c", "humidity_pct", "battery_pct", "status", "firmware");
    assertThat(TableSchemas.dataColumns(v2)).containsExactly("sensor_id", "reading_ts",
        "temperature_c", "humidity_pct", "battery_pct", "status", "firmware", "pressure_hpa");
    assertThat(v1.getField("reading_ts").schema().getLogicalType().getName())
        .isEqualTo("timestamp-millis");
  }

  @Test
  void unreadableFileNamesTheFile() {
    assertThatThrownBy(() -> PipelineConfig.load(dir.resolve("missing.json").toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Cannot read pipeline config --config")
        .hasMessageContaining("missing.json");
  }

  @Test
  void invalidJsonSaysSo() throws IOException {
    Path f = write("{ \"name\": ");
    assertThatThrownBy(() -> PipelineConfig.load(f.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("is not valid JSON");
  }

  @Test
  void unknownFieldIsRejectedWithItsPath() throws IOException {
    Path f = write(builtIn().replace("\"maxPayloadBytes\"", "\"maxPayloadBytez\""));
    assertThatThrownBy(() -> PipelineConfig.load(f.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("maxPayloadBytez");
  }

  @Test
  void goldKeyMustNameKnownColumns() throws IOException {
    Path f = write(builtIn().replace("\"key\": [\"sensor_id\", \"reading_date\"]",
        "\"key\": [\"sensor\", \"reading_date\"]"));
    assertThatThrownBy(() -> PipelineConfig.load(f.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("gold.key")
        .hasMessageContaining("'sensor'");
  }

  @Test
  void deadLetterLimitMustBeAFraction() throws IOException {
    Path f = write(builtIn().replace("\"maxPayloadBytes\"", "\"deadLetterLimit\": 5, \"maxPayloadBytes\""));
    assertThatThrownBy(() -> PipelineConfig.load(f.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("deadLetterLimit")
        .hasMessageContaining("'5.0'");
  }

  @Test
  void maintenanceHasDefaultsAndReadsDaysAndOff() throws IOException {
    assertThat(PipelineConfig.sensorReadings().maintenance())
        .isEqualTo(PipelineConfig.MaintenanceSettings.DEFAULTS);
    Path f = write(builtIn().replace("\"maxPayloadBytes\"", "\"maintenance\": {"
        + "\"rawRetention\": \"14d\", \"bronzeRetention\": \"off\", \"vacuumRetention\": \"240h\","
        + " \"zorder\": false}, \"maxPayloadBytes\""));
    PipelineConfig.MaintenanceSettings m = PipelineConfig.load(f.toString()).maintenance();
    assertThat(m.rawRetentionDays()).isEqualTo(14);
    assertThat(m.bronzeRetentionDays()).isNull();
    assertThat(m.vacuumRetention()).isEqualTo(java.time.Duration.ofDays(10));
    assertThat(m.zorder()).isFalse();
  }

  @Test
  void aVacuumRetentionBelowSevenDaysNeedsTheOverride() throws IOException {
    Path refused = write(builtIn().replace("\"maxPayloadBytes\"",
        "\"maintenance\": {\"vacuumRetention\": \"1d\"}, \"maxPayloadBytes\""));
    assertThatThrownBy(() -> PipelineConfig.load(refused.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("maintenance.vacuumRetention = '1d'")
        .hasMessageContaining("maintenance.allowShortVacuumRetention");
    Path allowed = write(builtIn().replace("\"maxPayloadBytes\"", "\"maintenance\": {"
        + "\"vacuumRetention\": \"1d\", \"allowShortVacuumRetention\": true},"
        + " \"maxPayloadBytes\""));
    assertThat(PipelineConfig.load(allowed.toString()).maintenance().vacuumRetention())
        .isEqualTo(java.time.Duration.ofDays(1));
  }

  @Test
  void aRetentionIsWholeDays() throws IOException {
    Path f = write(builtIn().replace("\"maxPayloadBytes\"",
        "\"maintenance\": {\"rawRetention\": \"36h\"}, \"maxPayloadBytes\""));
    assertThatThrownBy(() -> PipelineConfig.load(f.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("maintenance.rawRetention = '36h'")
        .hasMessageContaining("a whole number of days");
  }

  @Test
  void unknownReaderSchemaIdIsRejected() throws IOException {
    Path f = write(builtIn().replace("\"readerId\": 2", "\"readerId\": 7"));
    assertThatThrownBy(() -> PipelineConfig.load(f.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("schema id 7 not found");
  }

  @Test
  void goldsAuditColumnNamesAreReservedForADerivedColumnOrADecodedField() throws IOException {
    Path derived = write("""
        {"name": "bad", "topic": "t",
         "schemas": {"directory": "classpath:schemas/sensor_readings", "readerId": 2},
         "gold": {"key": ["sensor_id"], "sequence": ["reading_ts"], "partitionBy": [],
                  "derived": [{"name": "last_changed_at", "expression": "reading_ts"}]}}
        """);
    assertThatThrownBy(() -> PipelineConfig.load(derived.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid pipeline config: column 'last_changed_at' is reserved in gold for the"
            + " time a row was first inserted / last changed; rename the field or derived"
            + " column.");

    Path field = pipelineReadingIdAnd("""
        {"name": "first_inserted_at", "type": "long"}""");
    assertThatThrownBy(() -> PipelineConfig.load(field.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Invalid pipeline config: column 'first_inserted_at' is reserved");
  }

  @Test
  void historyColumnNamesAreReservedOnlyWithScd2() throws IOException {
    String gold = """
        {"name": "p", "topic": "t",
         "schemas": {"directory": "classpath:schemas/sensor_readings", "readerId": 2},
         "gold": {"key": ["sensor_id"], "sequence": ["reading_ts"], %s
                  "derived": [{"name": "valid_to", "expression": "reading_ts"}]}}
        """;
    Path history = write(gold.formatted("\"history\": \"scd2\","));
    assertThatThrownBy(() -> PipelineConfig.load(history.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid pipeline config: column 'valid_to' is reserved in gold with"
            + " gold.history scd2 (each version's validity and the delete flag of a stored"
            + " record); rename the field or derived column.");
    Path latest = write(gold.formatted(""));
    assertThat(PipelineConfig.load(latest.toString()).gold().derived()).hasSize(1);
  }

  @Test
  void aReaderFieldOfATypeSparkCannotHoldIsRefusedAtParsing() throws IOException {
    Path f = pipelineReadingIdAnd("""
        {"name": "t", "type": {"type": "long", "logicalType": "timestamp-nanos"}}""");
    assertThatThrownBy(() -> PipelineConfig.load(f.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("pipeline config " + f + ": Avro logical type timestamp-nanos is not"
            + " supported: a Spark timestamp holds microseconds. Use timestamp-micros or"
            + " timestamp-millis.");
  }

  /** A pipeline keyed by {@code id} whose reader schema has one more field, {@code field}. */
  private Path pipelineReadingIdAnd(String field) throws IOException {
    Path schemas = Files.createDirectories(dir.resolve("schemas"));
    Files.writeString(schemas.resolve("1.avsc"), """
        {"type": "record", "name": "R", "fields": [
          {"name": "id", "type": "string"}, %s]}
        """.formatted(field));
    return write("""
        {"name": "p", "topic": "t",
         "schemas": {"directory": "%s", "readerId": 1},
         "gold": {"key": ["id"], "sequence": ["offset"], "partitionBy": []}}
        """.formatted(schemas.toString().replace("\\", "/")));
  }

  private static String builtIn() throws IOException {
    try (var in = Resources.open(PipelineConfig.BUILT_IN)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private Path write(String json) throws IOException {
    Path f = dir.resolve("pipeline.json");
    Files.writeString(f, json);
    return f;
  }
}
