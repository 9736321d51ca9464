package dev.streamlake.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.TableRef;
import dev.streamlake.merge.History.Rec;
import dev.streamlake.merge.History.Version;
import dev.streamlake.testing.TestSpark;
import io.delta.tables.DeltaTable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SCD2 merges called directly: every batching of the same records gives the history computed in
 * plain Java from all of them ({@link History#expected}), late records included.
 */
class HistoryMergerTest {
  static final String APP = "sensor_readings-history-test";
  static final String OTHER_TOPIC = "sensor-readings-b";

  static SparkSession spark;

  @TempDir Path lake;
  String gold;

  @BeforeAll
  static void startSpark() {
    spark = TestSpark.session();
  }

  @BeforeEach
  void paths() {
    gold = lake.resolve("gold").toString();
  }

  HistoryMerger merger(TableRef table, Consumer<TableRef> afterWrite) {
    return new HistoryMerger(HistoryPlan.of(History.pipeline(lake)), table, APP,
        new ConflictRetry(0, Duration.ZERO, d -> { }), 1000, afterWrite);
  }

  HistoryMerger merger() {
    return merger(TableRef.path(gold), null);
  }

  static Dataset<Row> batch(List<Rec> records) {
    return History.batch(spark, records);
  }

  /**
   * Every record, in the order they "arrive" in the tests: late ones after those they precede.
   * Key a: the collapsed-point trap, an older record of the same state, ties on the sequence
   * broken by offset (before partition and topic), then partition, then topic, a duplicate state under a new offset and a
   * resent record. Key b: deletes, a late record before a delete, a late delete before
   * everything. Key c: another day (partition). Key a/null: readings without a sequence value.
   */
  static final List<Rec> ARRIVALS = List.of(
      new Rec("a", "2024-05-01T10:00:00Z", "OK", 20.0, 1),
      new Rec("a", "2024-05-01T12:00:00Z", "OK", 22.0, 3),
      new Rec("b", "2024-05-01T10:00:00Z", "OK", 1.0, 20),
      new Rec("b", "2024-05-01T11:00:00Z", "WARN", 2.0, 21),
      new Rec("c", "2024-05-02T10:00:00Z", "OK", 5.0, 30),
      new Rec("a", "2024-05-01T11:00:00Z", "WARN", 21.0, 2),
      new Rec("b", "2024-05-01T12:00:00Z", History.DELETE_STATUS, 0.0, 22),
      new Rec("a", "2024-05-01T13:00:00Z", "OK", 23.0, 5, 1, Bronze.TOPIC),
      new Rec("a", "2024-05-01T13:00:00Z", "FAULT", 23.5, 5, 0, Bronze.TOPIC),
      new Rec("b", "2024-05-01T11:30:00Z", "FAULT", 3.0, 23),
      new Rec("a", "2024-05-01T14:00:00Z", "OK", 24.0, 6, 0, OTHER_TOPIC),
      new Rec("a", "2024-05-01T14:00:00Z", "WARN", 24.5, 6, 0, Bronze.TOPIC),
      new Rec("b", "2024-05-01T13:00:00Z", "WARN", 4.0, 24),
      new Rec("a", "2024-05-01T15:00:00Z", "OK", 25.0, 7),
      new Rec("a", "2024-05-01T16:00:00Z", "WARN", 26.0, 9, 0, Bronze.TOPIC),
      new Rec("a", "2024-05-01T16:00:00Z", "FAULT", 26.5, 8, 1, OTHER_TOPIC),
      new Rec("a", "2024-05-01T12:00:00Z", "OK", 22.0, 3),
      new Rec("c", "2024-05-02T09:00:00Z", "OK", 4.5, 31),
      new Rec("a", "2024-05-01T09:00:00Z", "OK", 19.0, 10),
      new Rec("b", "2024-05-01T09:00:00Z", History.DELETE_STATUS, 0.0, 25),
      new Rec("a", null, "WARN", 1.0, 41),
      new Rec("a", null, "OK", 1.0, 40));

  @Test
  void aNewReaderSchemaFieldBecomesAColumnOfAllThreeTablesOlderRowsNull() {
    Rec v1 = new Rec("a", "2024-05-01T10:00:00Z", "OK", 20.0, 1);
    Rec v2 = new Rec("a", "2024-05-01T11:00:00Z", "WARN", 21.0, 2);
    HistoryMerger before = new HistoryMerger(
        HistoryPlan.of(dev.streamlake.common.PipelineConfig.load(
            History.pipelineFile(lake, 1).toString())),
        TableRef.path(gold), APP, new ConflictRetry(0, Duration.ZERO, d -> { }), 1000, null);
    before.merge(batch(List.of(v1)).drop("pressure_hpa"), 0);
    assertThat(spark.read().format("delta").load(gold).columns()).doesNotContain("pressure_hpa");

    // Stage 3 starting with the newer reader schema adds the column before any batch.
    HistoryMerger after = merger();
    after.prepare(spark, Bronze.SCHEMA);
    for (String table : List.of(gold, current(), gold + "_points")) {
      assertThat(spark.read().format("delta").load(table).columns()).as(table)
          .contains("pressure_hpa");
    }
    after.merge(History.batch(spark, List.of(v2))
        .withColumn("pressure_hpa", org.apache.spark.sql.functions.lit(1013.0)), 1);

    for (String table : List.of(gold, current(), gold + "_points")) {
      assertThat(spark.read().format("delta").load(table)
          .selectExpr("status", "pressure_hpa").collectAsList().stream()
          .map(r -> r.getString(0) + "=" + (r.isNullAt(1) ? "null" : r.get(1))).toList())
          .as(table)
          .contains("WARN=1013.0")
          .allMatch(v -> v.equals("WARN=1013.0") || v.equals("OK=null"));
    }
    assertThat(History.gold(spark, gold)).isEqualTo(History.expected(List.of(v1, v2)));
  }

  @Test
  void aLateRecordSplitsAVersionThatCollapsedTheRecordAfterIt() {
    HistoryMerger m = merger();
    Rec r1 = new Rec("a", "2024-05-01T10:00:00Z", "OK", 20.0, 1);
    Rec r3 = new Rec("a", "2024-05-01T12:00:00Z", "OK", 22.0, 3);
    Rec r2 = new Rec("a", "2024-05-01T11:00:00Z", "WARN", 21.0, 2);
    m.merge(batch(List.of(r1, r3)), 0);
    String key = "a/2024-05-01";
    long t1 = r1.millis();
    long t2 = r2.millis();
    long t3 = r3.millis();
    // One version, showing the untracked temperature of its latest record.
    assertThat(History.gold(spark, gold)).containsExactly(
        new Version(key, "OK", 22.0, r1.coordinates(), t1, null, true));

    m.merge(batch(List.of(r2)), 1);

    assertThat(History.gold(spark, gold)).containsExactlyInAnyOrder(
        new Version(key, "OK", 20.0, r1.coordinates(), t1, t2, false),
        new Version(key, "WARN", 21.0, r2.coordinates(), t2, t3, false),
        new Version(key, "OK", 22.0, r3.coordinates(), t3, null, true));
    assertThat(History.current(spark, current()))
        .containsExactly(new Version(key, "OK", 22.0, r3.coordinates(), t3, null, true));
    assertThat(History.gold(spark, gold)).isEqualTo(History.expected(List.of(r1, r2, r3)));
  }

  @Test
  void deletesCloseTheVersionTheyFallInAndLateRecordsLandBeforeThem() {
    HistoryMerger m = merger();
    Rec b1 = new Rec("b", "2024-05-01T10:00:00Z", "OK", 1.0, 20);
    Rec delete = new Rec("b", "2024-05-01T12:00:00Z", History.DELETE_STATUS, 0.0, 22);
    Rec late = new Rec("b", "2024-05-01T11:00:00Z", "WARN", 2.0, 21);
    m.merge(batch(List.of(b1, delete)), 0);
    String key = "b/2024-05-01";
    assertThat(History.gold(spark, gold)).containsExactly(
        new Version(key, "OK", 1.0, b1.coordinates(), b1.millis(), delete.millis(), false));
    assertThat(History.current(spark, current())).isEmpty();

    // A late record before the delete, and a record after it that brings the key back.
    Rec again = new Rec("b", "2024-05-01T13:00:00Z", "WARN", 3.0, 23);
    m.merge(batch(List.of(late, again)), 1);

    assertThat(History.gold(spark, gold)).containsExactlyInAnyOrder(
        new Version(key, "OK", 1.0, b1.coordinates(), b1.millis(), late.millis(), false),
        new Version(key, "WARN", 2.0, late.coordinates(), late.millis(), delete.millis(), false),
        new Version(key, "WARN", 3.0, again.coordinates(), again.millis(), null, true));
    assertThat(History.current(spark, current())).containsExactly(
        new Version(key, "WARN", 3.0, again.coordinates(), again.millis(), null, true));
    assertThat(History.gold(spark, gold))
        .isEqualTo(History.expected(List.of(b1, delete, late, again)));
  }

  @Test
  void allRecordsInOneBatch() {
    mergeInBatches(ARRIVALS, ARRIVALS.size());
    assertThat(spark.read().format("delta").load(gold).columns()).containsExactly(
        "sensor_id", "reading_date", "reading_ts", "temperature_c", "humidity_pct",
        "battery_pct", "status", "firmware", "pressure_hpa", "topic", "partition", "offset",
        "schema_id", "kafka_timestamp", "valid_from", "valid_to", "is_current",
        "first_inserted_at", "last_changed_at");
    assertThat(spark.read().format("delta").load(current()).columns()).containsExactly(
        "sensor_id", "reading_date", "reading_ts", "temperature_c", "humidity_pct",
        "battery_pct", "status", "firmware", "pressure_hpa", "topic", "partition", "offset",
        "schema_id", "kafka_timestamp", "valid_from", "first_inserted_at", "last_changed_at");
  }

  @Test
  void recordsShuffledFiveABatch() {
    // Arrival order in batches of ten runs through the stage-3 query in HistoryQueryTest.
    List<Rec> shuffled = new ArrayList<>(ARRIVALS);
    Collections.shuffle(shuffled, new Random(12));
    mergeInBatches(shuffled, 5);
  }

  /** Merges the records in this order, n a batch; after each batch gold is the model's history. */
  void mergeInBatches(List<Rec> records, int n) {
    HistoryMerger m = merger();
    for (int from = 0, batchId = 0; from < records.size(); from += n, batchId++) {
      List<Rec> seen = records.subList(0, Math.min(records.size(), from + n));
      m.merge(batch(records.subList(from, seen.size())), batchId);
      assertThat(History.gold(spark, gold))
          .as("history after batch %d of %s", batchId, seen)
          .isEqualTo(History.expected(seen));
      assertThat(History.current(spark, current()))
          .as("current state after batch %d", batchId)
          .isEqualTo(History.expectedCurrent(seen));
    }
    // The model is not trivially satisfied: this input has versions that no record's arrival
    // order alone would produce.
    assertThat(History.expected(records)).hasSize(16);
  }

  @Test
  void aReplayedBatchIdChangesNothingEvenWithOtherRecords() {
    HistoryMerger m = merger();
    List<Rec> first = ARRIVALS.subList(0, 6);
    m.merge(batch(first), 4);
    long[] versions = versions();

    // The same batch id again, once with the same records and once with a late one: Delta's
    // transaction check skips every write.
    HistoryMerger.Outcome same = m.merge(batch(first), 4);
    HistoryMerger.Outcome other =
        m.merge(batch(List.of(new Rec("a", "2024-05-01T11:30:00Z", "FAULT", 9.0, 99))), 4);

    assertThat(same.newRecords()).isZero();
    assertThat(other.newRecords()).isEqualTo(1);
    assertThat(other.history().replaySkipped()).isTrue();
    assertThat(other.current().replaySkipped()).isFalse();
    assertThat(other.pointsSkipped()).isTrue();
    assertThat(versions()).containsExactly(versions);
    assertThat(History.gold(spark, gold)).isEqualTo(History.expected(first));
    assertThat(spark.conf().getOption(GoldMerger.TXN_APP_ID).isDefined()).isFalse();
  }

  @Test
  void aBatchThatFailedBetweenItsWritesIsCompletedByItsReplay() {
    List<Rec> records = ARRIVALS.subList(0, 10);
    HistoryMerger crashing = merger(TableRef.path(gold), table -> {
      if (table.name().equals(gold)) {
        throw new IllegalStateException("crash after the history's commit");
      }
    });
    assertThatThrownBy(() -> crashing.merge(batch(records), 0))
        .hasMessageContaining("crash after");
    long[] afterCrash = versions();
    assertThat(History.current(spark, current())).isEmpty();

    HistoryMerger.Outcome replay = merger().merge(batch(records), 0);

    assertThat(History.gold(spark, gold)).isEqualTo(History.expected(records));
    assertThat(History.current(spark, current())).isEqualTo(History.expectedCurrent(records));
    // The history was already right: the replay found nothing to change there.
    assertThat(replay.history()).isEqualTo(HistoryMerger.TableChange.NONE);
    assertThat(replay.pointsSkipped()).isFalse();
    assertThat(versions()[0]).isEqualTo(afterCrash[0]);
    assertThat(versions()[1]).isEqualTo(afterCrash[1] + 1);
    assertThat(versions()[2]).isEqualTo(afterCrash[2] + 1);
  }

  @Test
  void aCatalogGoldGetsItsCurrentStateAndRecordsTablesInTheSameSchema() {
    String name = "default.gold_" + Long.toHexString(System.nanoTime());
    HistoryMerger m = merger(TableRef.catalog(name), null);
    try {
      List<Rec> records = ARRIVALS.subList(0, 6);
      m.merge(batch(records), 0);
      assertThat(spark.catalog().tableExists(name + "_current")).isTrue();
      assertThat(spark.catalog().tableExists(name + "_points")).isTrue();
      assertThat(spark.table(name).count()).isEqualTo(History.expected(records).size());
      assertThat(spark.table(name + "_current").count())
          .isEqualTo(History.expectedCurrent(records).size());
      Row detail = DeltaTable.forName(spark, name).detail().first();
      assertThat(detail.<String>getList(detail.fieldIndex("partitionColumns")))
          .containsExactly("reading_date");
    } finally {
      for (String t : List.of(name, name + "_current", name + "_points")) {
        spark.sql("DROP TABLE IF EXISTS " + t);
      }
    }
  }

  @Test
  void aLatestStateGoldIsNotTurnedIntoAHistory() {
    new GoldMerger(GoldPlan.of(Bronze.PIPELINE), TableRef.path(gold), APP,
        new ConflictRetry(0, Duration.ZERO, d -> { }), 1000, null)
        .merge(Bronze.batch(spark, Bronze.reading("a", "2024-05-01T10:00:00Z", 1.0, 1)), 0);
    assertThatThrownBy(() -> merger().merge(batch(ARRIVALS.subList(0, 1)), 1))
        .hasMessageContaining("has no column 'valid_from'")
        .hasMessageContaining("gold.history scd2");
  }

  String current() {
    return gold + "_current";
  }

  /** Versions of history, current state and records tables. */
  long[] versions() {
    return new long[] {version(gold), version(current()), version(gold + "_points")};
  }

  static long version(String path) {
    return DeltaTable.forPath(spark, path).history(1).first().getLong(0);
  }
}
