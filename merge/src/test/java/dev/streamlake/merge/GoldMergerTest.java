package dev.streamlake.merge;

import static dev.streamlake.merge.Bronze.batch;
import static dev.streamlake.merge.Bronze.millis;
import static dev.streamlake.merge.Bronze.reading;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.merge.Bronze.GoldRow;
import dev.streamlake.testing.TestSpark;
import io.delta.exceptions.ConcurrentTransactionException;
import io.delta.tables.DeltaTable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The merge of one batch, called directly: ordering, dedup, days, idempotency, conflicts, cost. */
class GoldMergerTest {
  static final String APP = "sensor_readings-merge-test";

  static SparkSession spark;

  @TempDir Path lake;
  String goldPath;

  @BeforeAll
  static void startSpark() throws Exception {
    spark = TestSpark.session();
    // Created (and its thread started) here, on the test thread, so the writer runs with a clean
    // set of Spark local properties, not those of the task that asks it to write.
    writer = Executors.newSingleThreadExecutor();
    writer.submit(() -> { }).get();
  }

  @AfterAll
  static void stopWriter() {
    writer.shutdownNow();
  }

  @BeforeEach
  void paths() {
    goldPath = lake.resolve("gold").toString();
    ACTIONS.clear();
    FIRED.clear();
    PROBED.clear();
    SEEN_CONFS.clear();
    batchSession = null;
  }

  GoldMerger merger(int maxRetries, VoidFunction2<Long, Integer> insideMerge) {
    return new GoldMerger(GoldPlan.of(Bronze.PIPELINE), TableRef.path(goldPath), APP,
        new ConflictRetry(maxRetries, Duration.ofMillis(10), d -> { }), 1000, insideMerge);
  }

  @Test
  void newestWinsWhateverTheArrivalOrder() {
    GoldMerger m = merger(0, null);
    // a: newest first, the older reading arrives in the next batch.
    // b: three versions in one batch, newest first.
    m.merge(batch(spark,
        reading("a", "2024-05-01T10:00:00Z", 21.0, 10),
        reading("b", "2024-05-01T12:00:00Z", 30.0, 22),
        reading("b", "2024-05-01T11:00:00Z", 29.0, 21),
        reading("b", "2024-05-01T09:00:00Z", 28.0, 20)), 0);
    long afterFirst = version();
    GoldMerger.Outcome late = m.merge(batch(spark,
        reading("a", "2024-05-01T09:00:00Z", 19.0, 9),
        reading("a", "2024-05-01T08:00:00Z", 18.0, 8)), 1);

    Map<String, GoldRow> gold = Bronze.gold(spark, goldPath);
    assertThat(gold).hasSize(2);
    assertThat(gold.get("a/2024-05-01").temperature()).isEqualTo(21.0);
    assertThat(gold.get("a/2024-05-01").tsMillis()).isEqualTo(millis("2024-05-01T10:00:00Z"));
    assertThat(gold.get("b/2024-05-01").temperature()).isEqualTo(30.0);
    assertThat(gold.get("b/2024-05-01").offset()).isEqualTo(22);
    assertThat(gold.values()).allMatch(GoldRow::audited);
    // The late batch changed nothing: no MERGE ran, so no commit at all.
    assertThat(late.changedRows()).isZero();
    assertThat(version()).isEqualTo(afterFirst);
  }

  @Test
  void duplicatesTiesAndEqualValues() {
    GoldMerger m = merger(0, null);
    Row first = reading("a", "2024-05-01T10:00:00Z", 20.0, 5);
    // Exact duplicates within a batch; c ties on reading_ts: the higher offset wins in-batch.
    m.merge(batch(spark, first, first, first,
        reading("c", "2024-05-01T10:00:00Z", 11.0, 41),
        reading("c", "2024-05-01T10:00:00Z", 12.0, 42)), 0);
    long v0 = version();
    Row firstChanged = lastChanged("a");
    // Across batches: the same record again changes nothing, not even a commit.
    GoldMerger.Outcome dup = m.merge(batch(spark, first), 1);
    assertThat(dup.changedRows()).isZero();
    assertThat(version()).isEqualTo(v0);
    // The same values re-sent under a later offset: the record stored moves forward (it is
    // newer by the total order), but its values did not change, so last_changed_at stays.
    GoldMerger.Outcome resent = m.merge(batch(spark,
        reading("a", "2024-05-01T10:00:00Z", 20.0, 6)), 2);
    assertThat(resent.updated()).isEqualTo(1);
    assertThat(Bronze.gold(spark, goldPath).get("a/2024-05-01").offset()).isEqualTo(6);
    assertThat(lastChanged("a")).isEqualTo(firstChanged);
    // Equal timestamp, different value, higher offset: wins. Lower offset: loses.
    m.merge(batch(spark, reading("a", "2024-05-01T10:00:00Z", 22.0, 7)), 3);
    long v3 = version();
    assertThat(lastChanged("a")).isNotEqualTo(firstChanged);
    m.merge(batch(spark, reading("a", "2024-05-01T10:00:00Z", 25.0, 6)), 4);
    assertThat(version()).isEqualTo(v3);
    // A batch where one key is new and another is older than gold: the older one is filtered out
    // before the MERGE, so no file holding it is rewritten.
    GoldMerger.Outcome mixed = m.merge(batch(spark,
        reading("a", "2024-05-01T09:00:00Z", 22.0, 3),
        reading("d", "2024-05-01T10:00:00Z", 1.0, 50)), 5);
    assertThat(mixed.inserted()).isEqualTo(1);
    assertThat(mixed.updated()).isZero();

    Map<String, GoldRow> gold = Bronze.gold(spark, goldPath);
    assertThat(gold.get("a/2024-05-01").temperature()).isEqualTo(22.0);
    assertThat(gold.get("a/2024-05-01").offset()).isEqualTo(7);
    assertThat(gold.get("c/2024-05-01").temperature()).isEqualTo(12.0);
    assertThat(gold.get("c/2024-05-01").offset()).isEqualTo(42);

    List<String> aChanges = changeFeed("a");
    long v2 = v0 + 1;
    assertThat(aChanges).containsExactlyInAnyOrder(
        v0 + ":insert", v2 + ":update_preimage", v2 + ":update_postimage",
        v3 + ":update_preimage", v3 + ":update_postimage");
    Map<String, String> lastMerge = lastOperationMetrics("MERGE");
    assertThat(lastMerge.get("numTargetFilesRemoved")).isEqualTo("0");
    assertThat(lastMerge.get("numTargetRowsUpdated")).isEqualTo("0");
  }

  private Row lastChanged(String sensor) {
    return spark.read().format("delta").load(goldPath)
        .where("sensor_id = '" + sensor + "'").select("last_changed_at").first();
  }

  @Test
  void readingsAroundMidnightUtcLandOnTheirUtcDays() {
    assertThat(TimeZone.getDefault().getRawOffset())
        .as("this test is meant to run with a non-UTC JVM time zone (see the parent pom)")
        .isNotZero();
    // The batch's session time zone differs from the JVM's and from UTC as well.
    SparkSession other = spark.newSession();
    other.conf().set("spark.sql.session.timeZone", "Pacific/Kiritimati");
    merger(0, null).merge(batch(other,
        reading("a", "2024-03-09T23:59:59.999Z", 1.0, 1),
        reading("a", "2024-03-10T00:00:00.000Z", 2.0, 2)), 0);

    Map<String, GoldRow> gold = Bronze.gold(spark, goldPath);
    assertThat(gold).containsOnlyKeys("a/2024-03-09", "a/2024-03-10");
    assertThat(gold.get("a/2024-03-09").tsMillis()).isEqualTo(millis("2024-03-09T23:59:59.999Z"));
    assertThat(gold.get("a/2024-03-10").tsMillis()).isEqualTo(millis("2024-03-10T00:00:00Z"));
    assertThat(spark.read().format("delta").load(goldPath).inputFiles()).hasSize(2);
  }

  @Test
  void aBatchCachesUncompressedUnlessTheUserChoseOtherwise() {
    SparkSession unset = spark.newSession();
    merger(0, null).merge(batch(unset, reading("a", "2024-05-01T10:00:00Z", 20.0, 5)), 0);
    assertThat(unset.conf().get(GoldMerger.CACHE_COMPRESSION)).isEqualTo("false");

    SparkSession chosen = spark.newSession();
    chosen.conf().set(GoldMerger.CACHE_COMPRESSION, "true");
    merger(0, null).merge(batch(chosen, reading("a", "2024-05-01T11:00:00Z", 21.0, 6)), 1);
    assertThat(chosen.conf().get(GoldMerger.CACHE_COMPRESSION)).isEqualTo("true");
    assertThat(Bronze.gold(spark, goldPath).get("a/2024-05-01").temperature()).isEqualTo(21.0);
  }

  @Test
  void goldIsCreatedPartitionedWithChangeFeedAndAuditColumns() {
    merger(0, null).merge(batch(spark, reading("a", "2024-05-01T10:00:00Z", 20.0, 5)), 0);
    Row detail = DeltaTable.forPath(spark, goldPath).detail().first();
    assertThat(detail.<String>getList(detail.fieldIndex("partitionColumns")))
        .containsExactly("reading_date");
    assertThat(detail.<String, String>getJavaMap(detail.fieldIndex("properties")))
        .containsEntry("delta.enableChangeDataFeed", "true");
    assertThat(spark.read().format("delta").load(goldPath).columns()).containsExactly(
        "sensor_id", "reading_date", "reading_ts", "temperature_c", "humidity_pct",
        "battery_pct", "status", "firmware", "pressure_hpa", "topic", "partition", "offset",
        "schema_id", "kafka_timestamp", "first_inserted_at", "last_changed_at");
  }

  @Test
  void aCatalogGoldTableWorksLikeAPathOne() {
    String name = "default.gold_" + Long.toHexString(System.nanoTime());
    GoldMerger m = new GoldMerger(GoldPlan.of(Bronze.PIPELINE), TableRef.catalog(name), APP,
        new ConflictRetry(0, Duration.ZERO, d -> { }), 1000, null);
    try {
      m.merge(batch(spark, reading("a", "2024-05-01T10:00:00Z", 20.0, 5)), 0);
      m.merge(batch(spark, reading("a", "2024-05-01T11:00:00Z", 21.0, 6)), 1);
      List<Row> rows = spark.table(name).select("sensor_id", "temperature_c").collectAsList();
      assertThat(rows).hasSize(1);
      assertThat(rows.get(0).getDouble(1)).isEqualTo(21.0);
      Row detail = DeltaTable.forName(spark, name).detail().first();
      assertThat(detail.<String>getList(detail.fieldIndex("partitionColumns")))
          .containsExactly("reading_date");
    } finally {
      spark.sql("DROP TABLE IF EXISTS " + name);
    }
  }

  @Test
  void aCatalogGoldTableGetsTheColumnsOfANewerReaderSchemaAtStart() {
    String name = "default.gold_" + Long.toHexString(System.nanoTime());
    PipelineConfig p = Bronze.PIPELINE;
    PipelineConfig v1 = new PipelineConfig(p.name(), p.topic(), p.format(),
        new PipelineConfig.SchemaSettings(p.schemas().directory(), null, 1), p.maxPayloadBytes(),
        p.rules(), p.deadLetterLimit(), p.gold());
    TableRef gold = TableRef.catalog(name);
    try {
      new GoldMerger(GoldPlan.of(v1), gold, APP, new ConflictRetry(0, Duration.ZERO, d -> { }),
          1000, null).prepareGold(spark, TableSchemas.bronze(v1.readerSchema()), "v1");
      assertThat(spark.table(name).columns()).doesNotContain("pressure_hpa");

      GoldMerger v2 = new GoldMerger(GoldPlan.of(p), gold, APP,
          new ConflictRetry(0, Duration.ZERO, d -> { }), 1000, null);
      v2.prepareGold(spark, Bronze.SCHEMA, "v2");
      Row r = reading("a", "2024-05-01T10:00:00Z", 20.0, 5);
      Object[] values = new Object[r.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = r.get(i);
      }
      values[Bronze.SCHEMA.fieldIndex("pressure_hpa")] = 1001.5;
      v2.merge(batch(spark, RowFactory.create(values)), 0);

      assertThat(spark.table(name).select("pressure_hpa").as(Encoders.DOUBLE()).collectAsList())
          .containsExactly(1001.5);
    } finally {
      spark.sql("DROP TABLE IF EXISTS " + name);
    }
  }

  @Test
  void deltaSkipsABatchIdItAlreadyCommittedAndTheConfsNeverLeak() {
    GoldMerger m = merger(0, null);
    SparkSession batchSession = spark.newSession();
    m.merge(batch(batchSession, reading("a", "2024-05-01T10:00:00Z", 20.0, 5)), 3);
    long v = version();
    // Same batch id, newer data: the pre-filter keeps it, so only Delta's txn check (app id,
    // batch id) can stop it. If Delta ignored the confs, gold would change here.
    GoldMerger.Outcome replay =
        m.merge(batch(batchSession, reading("a", "2024-05-01T11:00:00Z", 99.0, 6)), 3);
    assertThat(replay.changedRows()).isEqualTo(1);
    assertThat(replay.replaySkipped()).isTrue();
    assertThat(version()).isEqualTo(v);
    assertThat(Bronze.gold(spark, goldPath).get("a/2024-05-01").temperature()).isEqualTo(20.0);
    // The txn version is recorded per app id.
    assertThat(lastTxnVersion()).isEqualTo(3);

    GoldMerger.Outcome next =
        m.merge(batch(batchSession, reading("a", "2024-05-01T11:00:00Z", 99.0, 6)), 4);
    assertThat(next.replaySkipped()).isFalse();
    assertThat(Bronze.gold(spark, goldPath).get("a/2024-05-01").temperature()).isEqualTo(99.0);

    for (SparkSession s : List.of(batchSession, spark)) {
      assertThat(s.conf().getOption(GoldMerger.TXN_APP_ID).isDefined()).isFalse();
      assertThat(s.conf().getOption(GoldMerger.TXN_VERSION).isDefined()).isFalse();
    }
    // A plain write on that session afterwards is not skipped as "already done".
    long before = version();
    batchSession.sql("UPDATE delta.`" + goldPath + "` SET status = 'WARN'");
    assertThat(version()).isEqualTo(before + 1);
  }

  @Test
  void aConflictingOptimizeIsRetriedAndAnUpdateOfAnotherPartitionIsNot() {
    GoldMerger m = merger(3, new ConflictingWriter());
    // Day 1 gets two files (two commits), so OPTIMIZE has something to compact.
    m.merge(batch(spark,
        reading("s1", "2024-05-01T10:00:00Z", 10.0, 1),
        reading("s3", "2024-05-02T10:00:00Z", 30.0, 3)), 0);
    m.merge(batch(spark, reading("s2", "2024-05-01T10:00:00Z", 20.0, 2)), 1);
    ACTIONS.put(1, "OPTIMIZE " + sql() + " WHERE reading_date = DATE'2024-05-01'");
    ACTIONS.put(2, "UPDATE " + sql() + " SET temperature_c = 33.0"
        + " WHERE reading_date = DATE'2024-05-02' AND sensor_id = 's3'");
    batchSession = spark.newSession();

    GoldMerger.Outcome out = m.merge(batch(batchSession,
        reading("s1", "2024-05-01T11:00:00Z", 11.0, 4),
        reading("s4", "2024-05-01T11:00:00Z", 40.0, 5)), 2);

    // Attempt 1 lost to OPTIMIZE of its partition; attempt 2 committed although an UPDATE of
    // another partition went in while it ran: the conflict check covers the touched days only.
    assertThat(out.attempts()).isEqualTo(2);
    assertThat(PROBED).containsExactly(1, 2);
    assertThat(operations()).endsWith("OPTIMIZE", "UPDATE", "MERGE");
    Map<String, GoldRow> gold = Bronze.gold(spark, goldPath);
    assertThat(gold).hasSize(4);
    assertThat(gold.get("s1/2024-05-01").temperature()).isEqualTo(11.0);
    assertThat(gold.get("s2/2024-05-01").temperature()).isEqualTo(20.0);
    assertThat(gold.get("s3/2024-05-02").temperature()).isEqualTo(33.0);
    assertThat(gold.get("s4/2024-05-01").temperature()).isEqualTo(40.0);
    assertThat(changeFeed("s1")).hasSize(3);
    // Inside the MERGE the txn confs were set on the batch's session only.
    assertThat(SEEN_CONFS).containsOnly("batch=2 outer=none");
  }

  @Test
  void aConflictThatOutlastsTheRetriesFailsNamingBatchAndOperation() {
    GoldMerger m = merger(1, new ConflictingWriter());
    m.merge(batch(spark, reading("s1", "2024-05-01T10:00:00Z", 10.0, 1)), 0);
    m.merge(batch(spark, reading("s2", "2024-05-01T10:00:00Z", 20.0, 2)), 1);
    String update = "UPDATE " + sql() + " SET temperature_c = temperature_c + 1"
        + " WHERE reading_date = DATE'2024-05-01' AND sensor_id = 's2'";
    ACTIONS.put(1, update);
    ACTIONS.put(2, update);
    batchSession = spark.newSession();

    assertThatThrownBy(() ->
            m.merge(batch(batchSession, reading("s1", "2024-05-01T11:00:00Z", 11.0, 3)), 7))
        .isInstanceOf(MergeConflictException.class)
        .hasMessageContaining("Batch 7")
        .hasMessageContaining("all 2 attempts")
        .hasMessageContaining("UPDATE")
        .satisfies(e -> assertThat(((MergeConflictException) e).attempts()).isEqualTo(2));
    assertThat(batchSession.conf().getOption(GoldMerger.TXN_APP_ID).isDefined()).isFalse();
    assertThat(batchSession.conf().getOption(GoldMerger.TXN_VERSION).isDefined()).isFalse();
    Map<String, GoldRow> gold = Bronze.gold(spark, goldPath);
    assertThat(gold.get("s1/2024-05-01").temperature()).isEqualTo(10.0);
    assertThat(gold.get("s2/2024-05-01").temperature()).isEqualTo(22.0);
  }

  @Test
  void aCommitUnderTheSameAppIdFailsAtOnce() {
    GoldMerger m = merger(3, new ConflictingWriter());
    m.merge(batch(spark, reading("s1", "2024-05-01T10:00:00Z", 10.0, 1)), 0);
    SAME_APP_WRITE_TO = goldPath;
    ACTIONS.put(1, SAME_APP_WRITE);

    assertThatThrownBy(() ->
            m.merge(batch(spark, reading("s1", "2024-05-01T11:00:00Z", 11.0, 3)), 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("same app id '" + APP + "'")
        .hasRootCauseInstanceOf(ConcurrentTransactionException.class);
    assertThat(PROBED).containsExactly(1);
  }

  @Test
  void aSmallBatchIntoALargeGoldReadsAndRewritesOnlyItsPartition() {
    GoldMerger m = merger(0, null);
    List<Row> rows = new ArrayList<>();
    long offset = 0;
    for (int day = 1; day <= 30; day++) {
      for (String sensor : List.of("s1", "s2", "s3")) {
        rows.add(reading(sensor, String.format("2024-04-%02dT12:00:00Z", day), day, offset++));
      }
    }
    m.merge(batch(spark, rows.toArray(Row[]::new)), 0);
    String[] goldFiles = spark.read().format("delta").load(goldPath).inputFiles();
    String[] dayFiles = spark.read().format("delta").load(goldPath)
        .where("reading_date = DATE'2024-04-15'").inputFiles();
    assertThat(goldFiles.length).isGreaterThanOrEqualTo(30);

    m.merge(batch(spark,
        reading("s1", "2024-04-15T13:00:00Z", 99.0, 1000),
        reading("s9", "2024-04-15T13:00:00Z", 98.0, 1001)), 1);

    // Delta OSS 4.0 keeps files-before/after-skipping out of the history; what it keeps shows
    // the MERGE rewrote one day's files and copied only that day's other rows. That its scan
    // and conflict check covered that day only is shown by the concurrency test above, where
    // an UPDATE of another day does not conflict.
    Map<String, String> metrics = lastOperationMetrics("MERGE");
    assertThat(Long.parseLong(metrics.get("numTargetFilesRemoved")))
        .isBetween(1L, (long) dayFiles.length);
    assertThat(Long.parseLong(metrics.get("numTargetBytesRemoved")))
        .isLessThanOrEqualTo(bytes(dayFiles))
        .isLessThan(bytes(goldFiles) / 10);
    assertThat(Long.parseLong(metrics.get("numTargetRowsCopied"))).isLessThanOrEqualTo(2);
    assertThat(Long.parseLong(metrics.get("numTargetFilesAdded"))).isLessThanOrEqualTo(2);
    assertThat(metrics).containsEntry("numTargetRowsUpdated", "1")
        .containsEntry("numTargetRowsInserted", "1")
        .containsEntry("numSourceRows", "2");
    Map<String, GoldRow> gold = Bronze.gold(spark, goldPath);
    assertThat(gold).hasSize(91);
    assertThat(gold.get("s1/2024-04-15").temperature()).isEqualTo(99.0);
  }

  // ---- forcing conflicts: a real second writer commits while the MERGE is between its
  // snapshot and its commit ----

  /** attempt -> SQL the second writer runs inside that attempt's MERGE. */
  static final Map<Integer, String> ACTIONS = new ConcurrentHashMap<>();
  static final Set<Integer> FIRED = ConcurrentHashMap.newKeySet();
  static final List<Integer> PROBED = new CopyOnWriteArrayList<>();
  static final Set<String> SEEN_CONFS = ConcurrentHashMap.newKeySet();
  static final String SAME_APP_WRITE = "<append under the merge's app id>";
  static volatile String SAME_APP_WRITE_TO;
  static volatile SparkSession batchSession;
  static ExecutorService writer;

  /** Runs on an executor thread inside the MERGE; state is static as it arrives deserialized. */
  static final class ConflictingWriter implements VoidFunction2<Long, Integer> {
    private static final long serialVersionUID = 1L;

    @Override
    public void call(Long batchId, Integer attempt) {
      if (!PROBED.contains(attempt)) {
        PROBED.add(attempt);
      }
      SparkSession b = batchSession;
      if (b != null) {
        SEEN_CONFS.add("batch=" + b.conf().getOption(GoldMerger.TXN_VERSION).getOrElse(() -> "none")
            + " outer=" + spark.conf().getOption(GoldMerger.TXN_VERSION).getOrElse(() -> "none"));
      }
      String action = ACTIONS.get(attempt);
      if (action == null || !FIRED.add(attempt)) {
        return;
      }
      try {
        writer.submit(() -> {
          if (action.equals(SAME_APP_WRITE)) {
            spark.read().format("delta").load(SAME_APP_WRITE_TO)
                .where("sensor_id = 's1'")
                .selectExpr("'s8' AS sensor_id", "* EXCEPT (sensor_id)")
                .write().format("delta").mode("append")
                .option("txnAppId", APP).option("txnVersion", 999)
                .save(SAME_APP_WRITE_TO);
          } else {
            spark.sql(action).collect();
          }
          return null;
        }).get(2, TimeUnit.MINUTES);
      } catch (Exception e) {
        throw new IllegalStateException("second writer failed: " + action, e);
      }
    }
  }

  // ---- reading gold's log ----

  static long bytes(String[] files) {
    long total = 0;
    for (String f : files) {
      try {
        total += java.nio.file.Files.size(Path.of(java.net.URI.create(f)));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return total;
  }

  String sql() {
    return "delta.`" + goldPath + "`";
  }

  long version() {
    return DeltaTable.forPath(spark, goldPath).history(1).first().getLong(0);
  }

  List<String> operations() {
    return DeltaTable.forPath(spark, goldPath).history().orderBy("version")
        .select("operation").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
  }

  Map<String, String> lastOperationMetrics(String operation) {
    Row r = DeltaTable.forPath(spark, goldPath).history()
        .where("operation = '" + operation + "'").orderBy(org.apache.spark.sql.functions.desc("version"))
        .select("operationMetrics").first();
    return r.getJavaMap(0);
  }

  long lastTxnVersion() {
    Row r = spark.read().json(goldPath + "/_delta_log/*.json")
        .where("txn.appId = '" + APP + "'").selectExpr("max(txn.version)").first();
    return r.getLong(0);
  }

  /** "commitVersion:changeType" for one sensor, in commit order. */
  List<String> changeFeed(String sensor) {
    return spark.read().format("delta").option("readChangeFeed", "true")
        .option("startingVersion", 0).load(goldPath)
        .where(org.apache.spark.sql.functions.col("sensor_id").equalTo(sensor))
        .orderBy("_commit_version", "_change_type")
        .selectExpr("concat(_commit_version, ':', _change_type)")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
  }
}
