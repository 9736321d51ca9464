package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.PipelineConfig.NamedExpression;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import dev.streamlake.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Decode + rules on batch DataFrames: the same code path the stream runs, without a stream. */
class ClassificationTest {
  final SparkSession spark = TestSpark.session();
  final PipelineConfig sensor = PipelineConfig.sensorReadings();

  /** The classified batch of these raw rows, as stage 2 computes it inside foreachBatch. */
  Dataset<Row> classified(PipelineConfig pipeline, List<Row> raw) {
    ClassifiedRowLayout layout = new ClassifiedRowLayout(pipeline.readerSchema());
    Rules rules = Rules.bind(spark, pipeline.rules(), layout.bronzeSchema());
    // The batch's time is now, as in a stream whose batch just started.
    long batchMicros = Math.multiplyExact(System.currentTimeMillis(), 1000L);
    return new Classification(RawRows.frame(spark, raw), layout, DecoderSettings.of(pipeline, null),
        rules, batchMicros).rows();
  }

  @Test
  void theCacheKeepsPackedRowBytesThatSpillWithKryoAndReadsBackTheSameRows() {
    List<Row> raw = new ArrayList<>();
    // Rows of many sizes, good and broken. (RowChunksTest covers a row that exactly fills the
    // projection's reused buffer: these sizes are not known to produce one.)
    for (int i = 0; i < 400; i++) {
      raw.add(RawRows.row(i % 2, i, i % 5 == 0 ? new byte[] {1, 2}
          : Payloads.v2(Reading.of("s" + "x".repeat(i % 61), Payloads.MIDNIGHT, 20 + i % 50))));
    }
    ClassifiedRowLayout layout = new ClassifiedRowLayout(sensor.readerSchema());
    long batchMicros = Math.multiplyExact(System.currentTimeMillis(), 1000L);
    Classification fresh = new Classification(RawRows.frame(spark, raw), layout,
        DecoderSettings.of(sensor, null), Rules.bind(spark, sensor.rules(), layout.bronzeSchema()),
        batchMicros);
    List<Row> expected = fresh.rows().orderBy(TableSchemas.OFFSET).collectAsList();
    Classification cached = new Classification(RawRows.frame(spark, raw), layout,
        DecoderSettings.of(sensor, null), Rules.bind(spark, sensor.rules(), layout.bronzeSchema()),
        batchMicros).cache();
    try {
      assertThat(cached.rows().count()).isEqualTo(400);
      var stored = java.util.Arrays.stream(spark.sparkContext().getRDDStorageInfo())
          .filter(info -> info.numCachedPartitions() > 0)
          .toList();
      assertThat(stored).hasSize(1);
      assertThat(stored.get(0).memSize()).isPositive();
      // What Spark spills the cached rows with is chosen by the cached RDD's element type.
      var rdd = spark.sparkContext().getPersistentRDDs().get(stored.get(0).id()).get();
      assertThat(org.apache.spark.SparkEnv.get().serializerManager()
          .getSerializer(rdd.elementClassTag(), true))
          .isInstanceOf(org.apache.spark.serializer.KryoSerializer.class);
      // Many rows to a cached element, not one each.
      assertThat(rdd.count()).isPositive().isLessThan(400);
      // Sealed, every read must come from the cache: a recomputation would fail the job.
      cached.seal();
      assertThat(cached.rows().orderBy(TableSchemas.OFFSET).collectAsList())
          .isEqualTo(expected)
          .filteredOn(r -> r.getAs(ClassifiedRowLayout.ERROR_CODE) != null).hasSize(80);
    } finally {
      cached.uncache();
    }
  }

  /** offset -> error_message (null for bronze rows). */
  Map<Long, String> classify(PipelineConfig pipeline, byte[]... values) {
    List<Row> raw = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      raw.add(RawRows.row(i, values[i]));
    }
    Dataset<Row> classified = classified(pipeline, raw);
    Map<Long, String> out = new LinkedHashMap<>();
    for (Row r : classified.orderBy(TableSchemas.OFFSET).collectAsList()) {
      String code = r.getAs(ClassifiedRowLayout.ERROR_CODE);
      out.put(r.getAs(TableSchemas.OFFSET),
          code == null ? null : code + ": " + r.getAs(ClassifiedRowLayout.ERROR_MESSAGE));
    }
    return out;
  }

  @Test
  void everyRuleOfTheSensorPipeline() {
    Instant ok = Payloads.MIDNIGHT;
    Map<Long, String> r = classify(sensor,
        Payloads.v2(Reading.of("a", ok, 20)),                                   // 0 good
        Payloads.v2(Reading.of("b", ok, 150)),                                  // 1
        Payloads.v1(Reading.of("c", ok, 100).withStatus("BROKEN")),             // 2
        Payloads.v2(Reading.of("", ok, 20)),                                    // 3
        Payloads.v2(Reading.of("d", ok, 20).withHumidity(100.5)),               // 4
        Payloads.v2(Reading.of("e", ok, 20).withBattery(-1)),                   // 5
        Payloads.v2(Reading.of("f", Instant.parse("1999-12-31T23:59:59.999Z"), 20)), // 6
        Payloads.v2(Reading.of("g", Instant.now().plus(2, ChronoUnit.DAYS), 20)),    // 7
        Payloads.v2(Reading.of("h", Instant.parse("2000-01-01T00:00:00Z"), -90)
            .withHumidity(0.0).withBattery(100)));                              // 8 good
    assertThat(r.get(0L)).isNull();
    assertThat(r.get(1L)).isEqualTo("RULE_VIOLATION: broken rules: temperature_range");
    assertThat(r.get(2L))
        .isEqualTo("RULE_VIOLATION: broken rules: temperature_range, status_known");
    assertThat(r.get(3L)).isEqualTo("RULE_VIOLATION: broken rules: sensor_id_length");
    assertThat(r.get(4L)).isEqualTo("RULE_VIOLATION: broken rules: humidity_range");
    assertThat(r.get(5L)).isEqualTo("RULE_VIOLATION: broken rules: battery_range");
    assertThat(r.get(6L)).isEqualTo("RULE_VIOLATION: broken rules: reading_ts_plausible");
    assertThat(r.get(7L)).isEqualTo("RULE_VIOLATION: broken rules: reading_ts_plausible");
    assertThat(r.get(8L)).isNull();
  }

  @Test
  void idLengthCountsCharactersNotBytes() {
    Map<Long, String> r = classify(sensor,
        Payloads.v2(Reading.of("s".repeat(64), Payloads.MIDNIGHT, 20)),
        Payloads.v2(Reading.of("s".repeat(65), Payloads.MIDNIGHT, 20)),
        Payloads.v1(Reading.of("🌡".repeat(64), Payloads.MIDNIGHT, 20)),
        Payloads.v1(Reading.of("é".repeat(65), Payloads.MIDNIGHT, 20)));
    assertThat(r.get(0L)).isNull();
    assertThat(r.get(1L)).isEqualTo("RULE_VIOLATION: broken rules: sensor_id_length");
    assertThat(r.get(2L)).isNull();
    assertThat(r.get(3L)).isEqualTo("RULE_VIOLATION: broken rules: sensor_id_length");
  }

  @Test
  void aRuleThatEvaluatesToNullIsBroken() {
    PipelineConfig p = RawRows.withRules(sensor, List.of(
        new NamedExpression("humidity_known", "humidity_pct > 0"),
        new NamedExpression("always", "true")));
    Map<Long, String> r = classify(p,
        Payloads.v2(Reading.of("a", Payloads.MIDNIGHT, 20)),
        Payloads.v2(Reading.of("a", Payloads.MIDNIGHT, 20).withHumidity(5.0)));
    assertThat(r.get(0L)).isEqualTo("RULE_VIOLATION: broken rules: humidity_known");
    assertThat(r.get(1L)).isNull();
  }

  @Test
  void aRuleThatRaisesBreaksForThatRecordOnly() {
    // ANSI mode is on: each of these raises for some records, and would fail a whole query.
    PipelineConfig p = RawRows.withRules(sensor, List.of(
        new NamedExpression("firmware_major", "CAST(firmware AS INT) >= 3"),
        new NamedExpression("battery_ratio", "100 / (battery_pct - 50) > 0"),
        new NamedExpression("battery_wide", "battery_pct * 30000000 > 0")));
    Instant t = Payloads.MIDNIGHT;
    Map<Long, String> r = classify(p,
        Payloads.v2(Reading.of("a", t, 20).withFirmware("4").withBattery(60)),   // 0 good
        Payloads.v2(Reading.of("b", t, 20).withFirmware("v4").withBattery(60)),  // 1 bad cast
        Payloads.v2(Reading.of("c", t, 20).withFirmware("4").withBattery(50)),   // 2 / by zero
        Payloads.v2(Reading.of("d", t, 20).withFirmware("5").withBattery(51)),   // 3 good
        Payloads.v2(Reading.of("e", t, 20).withFirmware("4").withBattery(99)),   // 4 overflow
        Payloads.v2(Reading.of("f", t, 20).withFirmware("x").withBattery(50)));  // 5 two raise
    assertThat(r.get(0L)).isNull();
    assertThat(r.get(3L)).isNull();
    assertThat(r.get(1L)).startsWith("RULE_VIOLATION: broken rules: firmware_major (")
        .contains("firmware_major raised CAST_INVALID_INPUT: ");
    assertThat(r.get(2L)).startsWith("RULE_VIOLATION: broken rules: battery_ratio (")
        .contains("battery_ratio raised DIVIDE_BY_ZERO: ");
    assertThat(r.get(4L)).startsWith("RULE_VIOLATION: broken rules: battery_wide (")
        .contains("battery_wide raised ARITHMETIC_OVERFLOW: ");
    assertThat(r.get(5L))
        .startsWith("RULE_VIOLATION: broken rules: firmware_major, battery_ratio (")
        .contains("firmware_major raised CAST_INVALID_INPUT")
        .contains("; battery_ratio raised DIVIDE_BY_ZERO");
  }

  @Test
  void rulesSeeTheBatchTimeThroughEveryClockFunction() {
    PipelineConfig p = RawRows.withRules(sensor, List.of(
        new NamedExpression("not_future", "reading_ts <= now()"),
        new NamedExpression("today_or_before", "to_date(reading_ts) <= current_date()"),
        new NamedExpression("local", "CAST(reading_ts AS TIMESTAMP_NTZ) <= localtimestamp()"),
        new NamedExpression("between", "battery_pct BETWEEN 0 AND 100")));
    Map<Long, String> r = classify(p,
        Payloads.v2(Reading.of("a", Payloads.MIDNIGHT, 20).withBattery(5)),
        Payloads.v2(Reading.of("b", Instant.now().plus(3, ChronoUnit.DAYS), 20).withBattery(5)),
        Payloads.v2(Reading.of("c", Payloads.MIDNIGHT, 20).withBattery(101)));
    assertThat(r.get(0L)).isNull();
    assertThat(r.get(1L))
        .isEqualTo("RULE_VIOLATION: broken rules: not_future, today_or_before, local");
    assertThat(r.get(2L)).isEqualTo("RULE_VIOLATION: broken rules: between");
  }

  @Test
  void decodeFailuresAreNotAlsoRuleFailures() {
    List<Row> raw = List.of(RawRows.row(0, null), RawRows.row(1, new byte[] {9}));
    Dataset<Row> classified = classified(sensor, raw);
    List<Row> rows = classified.orderBy(TableSchemas.OFFSET).collectAsList();
    assertThat(rows).extracting(r -> (String) r.getAs(ClassifiedRowLayout.ERROR_CODE))
        .containsExactly("EMPTY_PAYLOAD", "BAD_MAGIC_BYTE");
    assertThat(rows).allSatisfy(r ->
        assertThat(r.getList(r.fieldIndex(ClassifiedRowLayout.BROKEN_RULES))).isEmpty());
    assertThat((String) rows.get(1).getAs(ClassifiedRowLayout.ERROR_MESSAGE))
        .contains("0x09").contains("partition 0, offset 1");
  }

  @Test
  void jsonPipelineHasNoSchemaIdAndTheSameRules() {
    PipelineConfig json = sensor.withFormat(PipelineConfig.PayloadFormat.JSON);
    List<Row> raw = List.of(
        RawRows.row(0, Payloads.json(Reading.of("j", Payloads.MIDNIGHT, 20))),
        RawRows.row(1, Payloads.json(Reading.of("j", Payloads.MIDNIGHT, 99))),
        RawRows.row(2, "{oops".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        RawRows.row(3, Payloads.v2(Reading.of("j", Payloads.MIDNIGHT, 20))));
    Dataset<Row> classified = classified(json, raw);
    List<Row> rows = classified.orderBy(TableSchemas.OFFSET).collectAsList();
    assertThat(rows).extracting(r -> (String) r.getAs(ClassifiedRowLayout.ERROR_CODE))
        .containsExactly(null, "RULE_VIOLATION", "MALFORMED_JSON", "MALFORMED_JSON");
    assertThat((Object) rows.get(0).getAs(TableSchemas.SCHEMA_ID)).isNull();
    assertThat((String) rows.get(0).getAs("sensor_id")).isEqualTo("j");
  }

  @Test
  void datesComeOutInUtcWhateverTheJvmTimeZone() {
    assertThat(TimeZone.getDefault().getID()).isNotEqualTo("UTC");
    assertThat(TimeZone.getDefault().getRawOffset()).isNotZero();
    List<Row> raw = List.of(RawRows.row(0, Payloads.v1(Reading.of("a", Payloads.MIDNIGHT, 1))));
    Dataset<Row> bronze =
        new ClassifiedRowLayout(sensor.readerSchema()).bronzeRows(classified(sensor, raw));
    String readingDate = sensor.gold().derived().get(0).expression();
    Row r = bronze.selectExpr("reading_ts", "unix_millis(reading_ts) AS ms",
        readingDate + " AS reading_date", TableSchemas.INGEST_DATE).first();
    assertThat(r.getTimestamp(0).toInstant()).isEqualTo(Instant.parse("2024-03-01T00:00:00Z"));
    assertThat(r.getLong(1)).isEqualTo(1709251200000L);
    assertThat(r.getDate(2).toLocalDate()).isEqualTo(LocalDate.of(2024, 3, 1));
    assertThat(r.getDate(3).toLocalDate()).isEqualTo(RawRows.INGEST_DATE);
  }

  @Test
  void bronzeAndDeadLetterRowsHaveTheTableSchemas() {
    List<Row> raw = List.of(RawRows.row(0, Payloads.v2(Payloads.full())), RawRows.row(1, null));
    Dataset<Row> classified = classified(sensor, raw);
    ClassifiedRowLayout layout = new ClassifiedRowLayout(sensor.readerSchema());
    assertThat(layout.bronzeRows(classified).schema().fieldNames())
        .containsExactly(TableSchemas.bronze(sensor.readerSchema()).fieldNames());
    assertThat(layout.deadLetterRows(classified, "deserialize").schema().fieldNames())
        .containsExactly(TableSchemas.deadLetter().fieldNames());
  }

  @Test
  void badRulesStopTheJobBeforeAnyTableIsTouched(@TempDir Path lake) {
    String[][] bad = {
      {"no_such_column", "pressure_bar > 1"},
      {"syntax", "temperature_c >>>> 1"},
      {"not_boolean", "temperature_c + 1"},
      {"aggregate", "max(temperature_c) > 1"},
      {"random", "rand() < 0.5"},
      {"subquery", "temperature_c > (SELECT 1)"},
    };
    for (String[] b : bad) {
      DeserializeConfig config = RawRows.withPipeline(
          DeserializeConfig.fromArgs(new String[] {"--lake", lake.toString()}),
          p -> RawRows.withRules(p, List.of(new NamedExpression(b[0], b[1]))));
      assertThatThrownBy(() -> DeserializeQuery.start(spark, config))
          .as(b[0])
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("'" + b[0] + "'");
    }
    assertThat(Files.exists(lake.resolve("raw"))).isFalse();
    assertThat(Files.exists(lake.resolve("bronze"))).isFalse();
  }
}
