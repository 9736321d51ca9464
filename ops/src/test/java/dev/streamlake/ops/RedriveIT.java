package dev.streamlake.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.deserialize.DeserializeConfig;
import dev.streamlake.deserialize.DeserializeQuery;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import dev.streamlake.merge.MergeConfig;
import dev.streamlake.merge.MergeQuery;
import dev.streamlake.testing.TestSpark;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Re-drive against tables written by the real stages: stage 2 dead-letters records whose writer
 * schema id the schema folder lacks; the schema files are added; re-drive brings them to bronze
 * exactly once and stage 3 to gold.
 */
class RedriveIT {
  static final String TOPIC = "sensor-readings";
  static final Instant READ_AT = Instant.parse("2024-03-01T08:00:00Z");
  static final LocalDate INGEST_DATE = LocalDate.of(2024, 3, 1);

  final SparkSession spark = TestSpark.session();

  @TempDir Path lake;
  @TempDir Path schemas;
  Path pipeline;

  /** The built-in pipeline with a schema folder of its own, which the tests add files to. */
  @BeforeEach
  void pipelineWithItsOwnSchemaFolder() throws IOException {
    for (int id : new int[] {1, 2}) {
      Files.writeString(schemas.resolve(id + ".avsc"),
          SensorReadingPayloads.schema(id).toString(true));
    }
    String builtIn;
    try (var in = PipelineConfig.class.getResourceAsStream("/pipelines/sensor_readings.json")) {
      builtIn = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    pipeline = lake.resolve("pipeline.json");
    Files.writeString(pipeline, builtIn.replace("classpath:schemas/sensor_readings",
        schemas.toAbsolutePath().toString()));
  }

  /**
   * Offsets 1 and 2: schema id 7, unknown now, good once 7.avsc exists. Offset 3: id 8, unknown
   * now, a rule violation once 8.avsc exists. Offsets 4 and 5 are dead letters of other codes.
   */
  static List<Row> firstRecords() {
    return List.of(
        raw(0, SensorReadingPayloads.v2(reading("s-0", 20))),
        raw(1, idSeven(reading("s-1", 21))),
        raw(2, idSeven(reading("s-2", 22))),
        raw(3, SensorReadingPayloads.wire(8, SensorReadingPayloads.avroBody(2,
            reading("s-3", 500)))),
        raw(4, SensorReadingPayloads.v2(reading("s-4", 500))),
        raw(5, new byte[0]));
  }

  void addSchemaFilesSevenAndEight() throws IOException {
    String v2 = SensorReadingPayloads.schema(2).toString(true);
    Files.writeString(schemas.resolve("7.avsc"), v2);
    Files.writeString(schemas.resolve("8.avsc"), v2);
  }

  @Test
  void unknownSchemaIdsBecomeGoodAreRedrivenOnceReachGoldAndASecondRedriveChangesNothing()
      throws Exception {
    String[] tables = {"--lake", lake.toString(), "--config", pipeline.toString()};
    appendRaw(TableRef.path(lake.resolve("raw/sensor_readings").toString()), firstRecords());
    runStageTwo(tables);
    TableRef bronze = TableRef.path(lake.resolve("bronze/sensor_readings").toString());
    TableRef deadLetter = TableRef.path(lake.resolve("dead_letter/sensor_readings").toString());
    assertThat(offsets(bronze)).containsExactly(0L);
    assertThat(codes(deadLetter)).containsExactly(Map.entry(1L, "UNKNOWN_SCHEMA_ID"),
        Map.entry(2L, "UNKNOWN_SCHEMA_ID"), Map.entry(3L, "UNKNOWN_SCHEMA_ID"),
        Map.entry(4L, "RULE_VIOLATION"), Map.entry(5L, "EMPTY_PAYLOAD"));
    Map<Long, Timestamp> failedAt = failedAt(deadLetter);

    addSchemaFilesSevenAndEight();
    long bronzeBefore = version(bronze);
    long deadLetterBefore = version(deadLetter);
    RedriveReport dry = redrive(tables, "--code", "UNKNOWN_SCHEMA_ID", "--dry-run");
    assertThat(dry.selected()).isEqualTo(3);
    assertThat(dry.writtenNow()).isEqualTo(2);
    assertThat(dry.stillFailing()).containsExactly(Map.entry("RULE_VIOLATION", 1L));
    assertThat(version(bronze)).as("a dry run writes nothing").isEqualTo(bronzeBefore);
    assertThat(version(deadLetter)).isEqualTo(deadLetterBefore);
    assertThat(deadLetter.read(spark).columns()).doesNotContain(TableSchemas.REDRIVEN_AT);

    RedriveReport first = redrive(tables, "--code", "UNKNOWN_SCHEMA_ID");
    System.out.print(first.toText());
    long redriveVersion = version(bronze);
    assertThat(first.matched()).isEqualTo(3);
    assertThat(first.alreadyRedriven()).isZero();
    assertThat(first.selected()).isEqualTo(3);
    assertThat(first.writtenNow()).isEqualTo(2);
    assertThat(first.foundInBronze()).isZero();
    assertThat(first.bronzeVersion()).isEqualTo(redriveVersion);
    assertThat(first.stillFailing()).containsExactly(Map.entry("RULE_VIOLATION", 1L));
    assertThat(first.newReasons()).isEqualTo(1);

    assertThat(offsets(bronze)).containsExactly(0L, 1L, 2L);
    Map<Long, Row> marks = marks(deadLetter);
    for (long redriven : new long[] {1, 2}) {
      assertThat(marks.get(redriven).getLong(1)).isEqualTo(redriveVersion);
      assertThat(marks.get(redriven).getTimestamp(0)).isEqualTo(deserializedAt(bronze, redriven));
    }
    for (long open : new long[] {3, 4, 5}) {
      assertThat(marks.get(open).isNullAt(0)).as("offset %d open", open).isTrue();
      assertThat(marks.get(open).isNullAt(1)).isTrue();
    }
    assertThat(codes(deadLetter)).containsEntry(3L, "RULE_VIOLATION");
    assertThat(message(deadLetter, 3)).contains("temperature_range");
    assertThat(failedAt(deadLetter)).as("failed_at keeps the first failure").isEqualTo(failedAt);
    assertEveryRecordOnce(bronze, deadLetter, 6);

    runStageThree(tables);
    assertThat(spark.read().format("delta").load(lake.resolve("gold/sensor_readings").toString())
        .select("sensor_id").as(Encoders.STRING()).collectAsList())
        .containsExactlyInAnyOrder("s-0", "s-1", "s-2");

    long deadLetterAfter = version(deadLetter);
    RedriveReport again = redrive(tables, "--code", "UNKNOWN_SCHEMA_ID");
    assertThat(again.matched()).isEqualTo(2);
    assertThat(again.alreadyRedriven()).isEqualTo(2);
    assertThat(again.selected()).isZero();
    assertThat(again.redriven()).isZero();
    RedriveReport everything = redrive(tables);
    assertThat(everything.selected()).isEqualTo(3);
    assertThat(everything.redriven()).isZero();
    assertThat(everything.newReasons()).isZero();
    assertThat(version(bronze)).isEqualTo(redriveVersion);
    assertThat(version(deadLetter)).isEqualTo(deadLetterAfter);
    assertThat(redrive(tables, "--rule", "temperature_range", "--dry-run").selected())
        .as("offsets 3 and 4 broke temperature_range").isEqualTo(2);

    // Stage 2 goes on appending to the dead_letter that has the re-drive columns.
    appendRaw(TableRef.path(lake.resolve("raw/sensor_readings").toString()), List.of(
        raw(6, SensorReadingPayloads.v2(reading("s-6", 23))),
        raw(7, SensorReadingPayloads.wire(9, SensorReadingPayloads.avroBody(2,
            reading("s-7", 24))))));
    runStageTwo(tables);
    assertThat(offsets(bronze)).containsExactly(0L, 1L, 2L, 6L);
    assertThat(marks(deadLetter).get(7L).isNullAt(0)).as("a new dead letter is open").isTrue();
    assertEveryRecordOnce(bronze, deadLetter, 8);
  }

  @Test
  void aRedriveStoppedBetweenBronzeAndDeadLetterIsCompletedByTheNextWithoutDuplicates()
      throws Exception {
    String[] tables = {"--lake", lake.toString(), "--config", pipeline.toString()};
    appendRaw(TableRef.path(lake.resolve("raw/sensor_readings").toString()), firstRecords());
    runStageTwo(tables);
    TableRef bronze = TableRef.path(lake.resolve("bronze/sensor_readings").toString());
    TableRef deadLetter = TableRef.path(lake.resolve("dead_letter/sensor_readings").toString());
    assertThatThrownBy(() -> redrive(tables, "--where", "no_such_column = 1"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("--where")
        .hasMessageContaining("no_such_column");
    addSchemaFilesSevenAndEight();

    assertThatThrownBy(() -> redrive(r -> r.afterBronzeWrite(() -> {
      throw new IllegalStateException("stopped between the two writes");
    }), tables, "--code", "UNKNOWN_SCHEMA_ID")).hasMessageContaining("stopped");
    long crashedVersion = version(bronze);
    assertThat(offsets(bronze)).containsExactly(0L, 1L, 2L);
    assertThat(marks(deadLetter).get(1L).isNullAt(0)).as("not marked yet").isTrue();

    RedriveReport rerun = redrive(tables, "--code", "UNKNOWN_SCHEMA_ID");
    assertThat(rerun.writtenNow()).isZero();
    assertThat(rerun.foundInBronze()).isEqualTo(2);
    assertThat(offsets(bronze)).containsExactly(0L, 1L, 2L);
    Map<Long, Row> marks = marks(deadLetter);
    for (long redriven : new long[] {1, 2}) {
      assertThat(marks.get(redriven).getLong(1)).as("the stopped run's commit")
          .isEqualTo(crashedVersion);
      assertThat(marks.get(redriven).getTimestamp(0)).isEqualTo(deserializedAt(bronze, redriven));
    }
    assertEveryRecordOnce(bronze, deadLetter, 6);
  }

  @Test
  void catalogTablesAreRedrivenLikePathTables() throws Exception {
    String schema = "redrive_" + Long.toHexString(System.nanoTime());
    spark.sql("CREATE SCHEMA spark_catalog." + schema);
    try {
      String[] tables = {"--lake", lake.toString(), "--config", pipeline.toString(),
          "--catalog", "spark_catalog", "--schema", schema};
      String prefix = "spark_catalog." + schema + ".";
      appendRaw(TableRef.catalog(prefix + "raw_sensor_readings"), firstRecords());
      runStageTwo(tables);
      addSchemaFilesSevenAndEight();

      RedriveReport report = redrive(tables, "--code", "UNKNOWN_SCHEMA_ID");
      TableRef bronze = TableRef.catalog(prefix + "bronze_sensor_readings");
      TableRef deadLetter = TableRef.catalog(prefix + "dead_letter_sensor_readings");
      assertThat(report.writtenNow()).isEqualTo(2);
      assertThat(offsets(bronze)).containsExactly(0L, 1L, 2L);
      assertThat(marks(deadLetter).get(1L).getLong(1)).isEqualTo(version(bronze));
      assertEveryRecordOnce(bronze, deadLetter, 6);
    } finally {
      spark.sql("DROP SCHEMA IF EXISTS spark_catalog." + schema + " CASCADE");
    }
  }

  // --- the stages and the command, as their mains run them ---

  RedriveReport redrive(String[] tables, String... options) {
    return redrive(r -> r, tables, options);
  }

  RedriveReport redrive(UnaryOperator<Redrive> hook, String[] tables, String... options) {
    return RedriveCommandTest.redrive(spark, hook, concat(tables, options));
  }

  void runStageTwo(String[] tables) throws Exception {
    DeserializeConfig config =
        DeserializeConfig.fromArgs(concat(tables, "--trigger", "availableNow"));
    PipelineRuns.awaitEnd(DeserializeQuery.start(spark, config));
  }

  void runStageThree(String[] tables) throws Exception {
    MergeConfig config = MergeConfig.fromArgs(concat(tables, "--trigger", "availableNow"));
    PipelineRuns.awaitEnd(MergeQuery.start(spark, config));
  }

  static String[] concat(String[] a, String... b) {
    return Stream.concat(Arrays.stream(a), Arrays.stream(b)).toArray(String[]::new);
  }

  // --- rows and tables ---

  static Reading reading(String sensor, double temperature) {
    return Reading.of(sensor, READ_AT, temperature);
  }

  static byte[] idSeven(Reading r) {
    return SensorReadingPayloads.wire(7, SensorReadingPayloads.avroBody(2, r));
  }

  static Row raw(long offset, byte[] value) {
    Row header = RowFactory.create("source", "test".getBytes(StandardCharsets.UTF_8));
    return RowFactory.create(("key-" + offset).getBytes(StandardCharsets.UTF_8), value, TOPIC, 0,
        offset, Timestamp.from(READ_AT.plusMillis(offset)), 0,
        CollectionConverters.asScala(List.of(header)).toSeq(),
        Timestamp.from(READ_AT.plusSeconds(5)), Date.valueOf(INGEST_DATE));
  }

  /** Rows as stage 1 appends them: one commit to raw. */
  void appendRaw(TableRef raw, List<Row> rows) {
    raw.write(spark.createDataFrame(rows, TableSchemas.raw()).coalesce(1).write()
        .format("delta").mode(SaveMode.Append).partitionBy(TableSchemas.INGEST_DATE));
  }

  List<Long> offsets(TableRef table) {
    return table.read(spark).orderBy(TableSchemas.OFFSET).select(TableSchemas.OFFSET)
        .collectAsList().stream().map(r -> r.getLong(0)).toList();
  }

  Map<Long, String> codes(TableRef deadLetter) {
    Map<Long, String> m = new TreeMap<>();
    for (Row r : deadLetter.read(spark).select(TableSchemas.OFFSET, TableSchemas.ERROR_CODE)
        .collectAsList()) {
      m.put(r.getLong(0), r.getString(1));
    }
    return m;
  }

  String message(TableRef deadLetter, long offset) {
    return deadLetter.read(spark).where(TableSchemas.OFFSET + " = " + offset)
        .select(TableSchemas.ERROR_MESSAGE).first().getString(0);
  }

  Map<Long, Timestamp> failedAt(TableRef deadLetter) {
    Map<Long, Timestamp> m = new HashMap<>();
    for (Row r : deadLetter.read(spark).select(TableSchemas.OFFSET, TableSchemas.FAILED_AT)
        .collectAsList()) {
      m.put(r.getLong(0), r.getTimestamp(1));
    }
    return m;
  }

  /** By offset: redriven_at, redriven_to_version. */
  Map<Long, Row> marks(TableRef deadLetter) {
    Map<Long, Row> m = new HashMap<>();
    for (Row r : deadLetter.read(spark).select(TableSchemas.OFFSET, TableSchemas.REDRIVEN_AT,
        TableSchemas.REDRIVEN_TO_VERSION).collectAsList()) {
      m.put(r.getLong(0), RowFactory.create(r.get(1), r.get(2)));
    }
    return m;
  }

  Timestamp deserializedAt(TableRef bronze, long offset) {
    return bronze.read(spark).where(TableSchemas.OFFSET + " = " + offset)
        .select(TableSchemas.DESERIALIZED_AT).first().getTimestamp(0);
  }

  long version(TableRef table) {
    return table.deltaTable(spark).history(1).select("version").first().getLong(0);
  }

  /**
   * The audit's "exactly one of": each record is in bronze once or an open dead letter, and each
   * re-driven dead letter's record is in bronze.
   */
  void assertEveryRecordOnce(TableRef bronze, TableRef deadLetter, int records) {
    List<Long> inBronze = offsets(bronze);
    List<Long> open = new ArrayList<>();
    List<Long> redriven = new ArrayList<>();
    for (Map.Entry<Long, Row> e : marks(deadLetter).entrySet()) {
      (e.getValue().isNullAt(0) ? open : redriven).add(e.getKey());
    }
    assertThat(inBronze).doesNotHaveDuplicates().doesNotContainAnyElementsOf(open);
    assertThat(inBronze).containsAll(redriven);
    List<Long> all = new ArrayList<>(inBronze);
    all.addAll(open);
    assertThat(all).hasSize(records);
  }
}
