package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import dev.streamlake.testing.TestSpark;
import io.delta.tables.DeltaTable;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.Encoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A raw table with valid, invalid and undecodable records through the streaming stage. */
class DeserializeStageIT {
  final SparkSession spark = TestSpark.session();

  @TempDir Path lake;

  @Test
  void everyRawRowLandsInExactlyOneTableAsExpected() throws Exception {
    assertThat(TimeZone.getDefault().getRawOffset()).as("tests run in a non-UTC zone").isNotZero();
    Instant t = Payloads.MIDNIGHT;
    byte[] v2 = Payloads.v2(Payloads.full());
    byte[] tooLarge = new byte[1024 * 1024 + 1];
    List<Row> first = List.of(
        RawRows.row(0, 0, Payloads.v1(Payloads.full())),
        RawRows.row(0, 1, Payloads.v2(Payloads.full().withSensorId("капля-💧"))),
        RawRows.row(0, 2, Payloads.v2(Payloads.minimal())),
        RawRows.row(0, 3, Payloads.json(Payloads.full())),
        RawRows.row(0, 4, null),
        RawRows.row(0, 5, new byte[0]),
        RawRows.row(0, 6, SensorReadingPayloads.wire(99, new byte[] {2, 'x'})),
        RawRows.row(0, 7, Arrays.copyOf(v2, v2.length - 3)),
        RawRows.row(0, 8, Arrays.copyOf(v2, v2.length + 2)),
        RawRows.row(0, 9, tooLarge),
        RawRows.row(0, 10, Payloads.v2(Reading.of("hot", t, 150))),
        RawRows.row(0, 11, Payloads.v1(Reading.of("x", t, 100).withStatus("BROKEN"))),
        RawRows.row(0, 12, Payloads.v1(Reading.of("s".repeat(65), t, 20))));
    List<Row> second = List.of(
        RawRows.row(1, 0, Payloads.v2(Reading.of("p1", t, 1).withPressure(990.0))),
        RawRows.row(1, 1, Payloads.v1(Reading.of("s".repeat(64), t, 2))),
        RawRows.row(1, 2, new byte[] {0, 0, 0, 2}));
    String raw = StageRuns.rawPath(lake);
    RawRows.append(spark, raw, first);
    RawRows.append(spark, raw, second);

    DeserializeConfig config = StageRuns.config(lake, "--raw-max-files-per-trigger", "1");
    StageRuns.runToEnd(spark, config);

    // --- bronze, record by record
    Map<String, Row> bronze = byCoordinates(spark.read().format("delta")
        .load(lake.resolve("bronze/sensor_readings").toString()));
    assertThat(bronze).containsOnlyKeys("0/0", "0/1", "0/2", "1/0", "1/1");
    Timestamp midnight = Timestamp.from(t);
    assertFields(bronze.get("0/0"), "sensor-1", midnight, 21.5, 40.25, 87, "WARN", "fw-1.2.3",
        null, 1);
    assertFields(bronze.get("0/1"), "капля-💧", midnight, 21.5, 40.25, 87, "WARN", "fw-1.2.3",
        1013.5, 2);
    assertFields(bronze.get("0/2"), "sensor-2", midnight, -3.0, null, null, "OK", null, null, 2);
    assertFields(bronze.get("1/0"), "p1", midnight, 1.0, null, null, "OK", null, 990.0, 2);
    assertFields(bronze.get("1/1"), "s".repeat(64), midnight, 2.0, null, null, "OK", null, null,
        1);
    Row b = bronze.get("1/0");
    assertThat((String) b.getAs(TableSchemas.TOPIC)).isEqualTo(RawRows.TOPIC);
    assertThat(((Timestamp) b.getAs(TableSchemas.KAFKA_TIMESTAMP)).toInstant()).isEqualTo(t);
    assertThat(((java.sql.Date) b.getAs(TableSchemas.INGEST_DATE)).toLocalDate())
        .isEqualTo(RawRows.INGEST_DATE);
    // deserialized_at is the batch's timestamp as Spark's offset log records it, for replays.
    Path offsets = Path.of(config.settings().checkpoint(DeserializeQuery.QUERY), "offsets");
    assertThat(millis(bronze.get("0/0"), TableSchemas.DESERIALIZED_AT))
        .isEqualTo(batchTimestampMs(offsets.resolve("0")));
    assertThat(millis(b, TableSchemas.DESERIALIZED_AT))
        .isEqualTo(batchTimestampMs(offsets.resolve("1")))
        .isNotEqualTo(millis(bronze.get("0/0"), TableSchemas.DESERIALIZED_AT));

    // --- dead_letter, record by record
    Dataset<Row> deadLetterTable = spark.read().format("delta")
        .load(lake.resolve("dead_letter/sensor_readings").toString());
    Map<String, Row> dead = byCoordinates(deadLetterTable);
    Map<String, String> expectedCodes = new HashMap<>();
    expectedCodes.put("0/3", "BAD_MAGIC_BYTE");
    expectedCodes.put("0/4", "EMPTY_PAYLOAD");
    expectedCodes.put("0/5", "EMPTY_PAYLOAD");
    expectedCodes.put("0/6", "UNKNOWN_SCHEMA_ID");
    expectedCodes.put("0/7", "MALFORMED_AVRO");
    expectedCodes.put("0/8", "MALFORMED_AVRO");
    expectedCodes.put("0/9", "PAYLOAD_TOO_LARGE");
    expectedCodes.put("0/10", "RULE_VIOLATION");
    expectedCodes.put("0/11", "RULE_VIOLATION");
    expectedCodes.put("0/12", "RULE_VIOLATION");
    expectedCodes.put("1/2", "MALFORMED_AVRO");
    assertThat(dead.keySet()).containsExactlyInAnyOrderElementsOf(expectedCodes.keySet());
    dead.forEach((k, r) -> {
      assertThat((String) r.getAs(TableSchemas.ERROR_CODE)).as(k).isEqualTo(expectedCodes.get(k));
      assertThat((String) r.getAs(TableSchemas.STAGE)).isEqualTo("deserialize");
      assertThat((Object) r.getAs(TableSchemas.FAILED_AT)).isNotNull();
    });
    assertThat(message(dead, "0/6")).contains("schema id 99").contains("offset 6");
    assertThat(message(dead, "0/7")).contains("schema id 2").contains("offset 7");
    assertThat(message(dead, "0/8")).contains("2 trailing byte(s)");
    assertThat(message(dead, "0/10")).isEqualTo("broken rules: temperature_range");
    assertThat(message(dead, "0/11"))
        .isEqualTo("broken rules: temperature_range, status_known");
    assertThat(message(dead, "0/12")).isEqualTo("broken rules: sensor_id_length");
    assertThat(message(dead, "1/2")).contains("only 4 bytes");

    // The raw row is kept whole: every raw column equal, byte for byte.
    Dataset<Row> rawTable = spark.read().format("delta").load(raw);
    String[] rawColumns = TableSchemas.raw().fieldNames();
    Dataset<Row> deadAsRaw = deadLetterTable.selectExpr(rawColumns);
    assertThat(deadAsRaw.exceptAll(rawTable.selectExpr(rawColumns)).count()).isZero();
    assertThat(dead.get("0/9").<byte[]>getAs(TableSchemas.VALUE)).hasSize(1024 * 1024 + 1);

    // raw = bronze + dead_letter by (topic, partition, offset), nothing twice.
    List<String> all = new ArrayList<>(bronze.keySet());
    all.addAll(dead.keySet());
    assertThat(all).doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(byCoordinates(rawTable).keySet());
    assertThat(deadLetterTable.count()).isEqualTo(dead.size());

    // Both tables keep raw's partitioning.
    for (String table : List.of("bronze", "dead_letter")) {
      Row detail = DeltaTable.forPath(spark, lake.resolve(table + "/sensor_readings").toString())
          .detail().first();
      assertThat(detail.getList(detail.fieldIndex("partitionColumns")))
          .containsExactly(TableSchemas.INGEST_DATE);
    }

    // Per-batch counts in the metadata of each batch's bronze commit.
    List<JsonNode> metrics = DeltaTable.forPath(spark, lake.resolve("bronze/sensor_readings")
            .toString()).history().where("userMetadata IS NOT NULL").orderBy("version")
        .select("userMetadata").as(Encoders.STRING()).collectAsList().stream()
        .map(DeserializeStageIT::json).toList();
    assertThat(metrics).hasSize(2);
    JsonNode m0 = metrics.get(0);
    assertThat(m0.get("batch").asLong()).isZero();
    assertThat(m0.get("rows").asLong()).isEqualTo(13L);
    assertThat(m0.get("good").asLong()).isEqualTo(3L);
    assertThat(m0.get("dead_letters").asLong()).isEqualTo(10L);
    assertThat(m0.at("/dead_letters_by_code/EMPTY_PAYLOAD").asLong()).isEqualTo(2L);
    assertThat(m0.at("/dead_letters_by_code/MALFORMED_AVRO").asLong()).isEqualTo(2L);
    assertThat(m0.at("/dead_letters_by_code/RULE_VIOLATION").asLong()).isEqualTo(3L);
    assertThat(m0.at("/rule_failures/temperature_range").asLong()).isEqualTo(2L);
    assertThat(m0.at("/rule_failures/status_known").asLong()).isEqualTo(1L);
    assertThat(m0.at("/rule_failures/sensor_id_length").asLong()).isEqualTo(1L);
    JsonNode m1 = metrics.get(1);
    assertThat(m1.get("batch").asLong()).isEqualTo(1L);
    assertThat(m1.get("rows").asLong()).isEqualTo(3L);
    assertThat(m1.get("good").asLong()).isEqualTo(2L);
    assertThat(m1.at("/dead_letters_by_code/MALFORMED_AVRO").asLong()).isEqualTo(1L);
  }

  @Test
  void laterBatchesCompileNoNewCode() throws Exception {
    String raw = StageRuns.rawPath(lake);
    DeserializeConfig config = StageRuns.config(lake, "--raw-max-files-per-trigger", "1");
    for (int i = 0; i < 2; i++) {
      appendGoodAndBad(raw, i);
    }
    StageRuns.runToEnd(spark, config);
    long compiledBefore = TestSpark.generatedClassesCompiled();

    for (int i = 2; i < 5; i++) {
      appendGoodAndBad(raw, i);
    }
    StageRuns.runToEnd(spark, config);
    long compiled = TestSpark.generatedClassesCompiled() - compiledBefore;

    assertThat(spark.read().format("delta").load(lake.resolve("bronze/sensor_readings")
        .toString()).count()).isEqualTo(5);
    // The batch time as current_timestamp() in the query would be a literal in the scan's code.
    assertThat(compiled).as("classes compiled by three more batches of the same shape").isZero();
  }

  private void appendGoodAndBad(String raw, int i) {
    RawRows.append(spark, raw, List.of(
        RawRows.row(0, 2L * i, Payloads.v2(Reading.of("s" + i, Payloads.MIDNIGHT, 20 + i))),
        RawRows.row(0, 2L * i + 1, new byte[] {0, 0, 0, 2})));
  }

  static long millis(Row r, String column) {
    return ((Timestamp) r.getAs(column)).toInstant().toEpochMilli();
  }

  /** batchTimestampMs from an offset log file: its second line is the batch's metadata. */
  static long batchTimestampMs(Path offsetLogFile) throws java.io.IOException {
    List<String> lines = java.nio.file.Files.readAllLines(offsetLogFile);
    return json(lines.get(1)).get("batchTimestampMs").asLong();
  }

  static JsonNode json(String text) {
    try {
      return new ObjectMapper().readTree(text);
    } catch (java.io.IOException e) {
      throw new AssertionError(text, e);
    }
  }

  static void assertFields(Row r, String id, Timestamp ts, double temp, Double humidity,
      Integer battery, String status, String firmware, Double pressure, int schemaId) {
    assertThat((String) r.getAs("sensor_id")).isEqualTo(id);
    assertThat(((Timestamp) r.getAs("reading_ts")).toInstant()).isEqualTo(ts.toInstant());
    assertThat(r.<Double>getAs("temperature_c")).isEqualTo(temp);
    assertThat(r.<Double>getAs("humidity_pct")).isEqualTo(humidity);
    assertThat(r.<Integer>getAs("battery_pct")).isEqualTo(battery);
    assertThat((String) r.getAs("status")).isEqualTo(status);
    assertThat((String) r.getAs("firmware")).isEqualTo(firmware);
    assertThat(r.<Double>getAs("pressure_hpa")).isEqualTo(pressure);
    assertThat(r.<Integer>getAs(TableSchemas.SCHEMA_ID)).isEqualTo(schemaId);
  }

  static String message(Map<String, Row> rows, String key) {
    return rows.get(key).getAs(TableSchemas.ERROR_MESSAGE);
  }

  /** Rows by "partition/offset"; fails on a duplicate. */
  static Map<String, Row> byCoordinates(Dataset<Row> table) {
    Map<String, Row> m = new HashMap<>();
    for (Row r : table.collectAsList()) {
      assertThat((String) r.getAs(TableSchemas.TOPIC)).isEqualTo(RawRows.TOPIC);
      String k = r.<Integer>getAs(TableSchemas.PARTITION) + "/" + r.<Long>getAs(TableSchemas.OFFSET);
      assertThat(m.put(k, r)).as("duplicate " + k).isNull();
    }
    return m;
  }
}
