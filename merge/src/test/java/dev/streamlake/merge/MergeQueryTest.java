package dev.streamlake.merge;

import static dev.streamlake.merge.Bronze.reading;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.streamlake.merge.Bronze.GoldRow;
import dev.streamlake.testing.TestSpark;
import io.delta.tables.DeltaTable;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The streaming query end to end: bronze Delta stream, foreachBatch MERGE, checkpoints. */
class MergeQueryTest {
  static SparkSession spark;

  @TempDir Path lake;
  String bronze;
  String gold;

  @BeforeEach
  void setUp() {
    spark = TestSpark.session();
    bronze = lake.resolve("bronze/sensor_readings").toString();
    gold = lake.resolve("gold/sensor_readings").toString();
  }

  MergeConfig config(String trigger) {
    return MergeConfig.fromArgs(new String[] {"--lake", lake.toString(), "--trigger", trigger,
        "--merge-max-files-per-trigger", "1"});
  }

  /** What the driver's shared session held while a MERGE ran, as seen from inside it. */
  static final Set<String> OUTER_CONF_DURING_MERGE = ConcurrentHashMap.newKeySet();

  static final class OuterSessionProbe implements VoidFunction2<Long, Integer> {
    private static final long serialVersionUID = 1L;

    @Override
    public void call(Long batchId, Integer attempt) {
      OUTER_CONF_DURING_MERGE.add(
          spark.conf().getOption(GoldMerger.TXN_APP_ID).getOrElse(() -> "unset") + "/"
              + spark.conf().getOption(GoldMerger.TXN_VERSION).getOrElse(() -> "unset"));
    }
  }

  void runAvailableNow() throws Exception {
    MergeConfig c = config("availableNow");
    GoldMerger probed = new GoldMerger(GoldPlan.of(c.settings().pipeline()), c.settings().gold(),
        c.settings().appId(), ConflictRetry.sleeping(0, Duration.ZERO), 1000,
        new OuterSessionProbe());
    StreamingQuery q = MergeQuery.start(spark, c, probed);
    q.awaitTermination();
    assertThat(q.exception().isDefined()).isFalse();
  }

  @Test
  void availableNowMergesEachBronzeCommitAndAReplayedBatchChangesNothing() throws Exception {
    Bronze.append(spark, bronze,
        reading("a", "2024-05-01T10:00:00Z", 21.0, 10),
        reading("b", "2024-05-01T10:00:00Z", 5.0, 11));
    Bronze.append(spark, bronze,
        reading("a", "2024-05-01T09:00:00Z", 19.0, 9),
        reading("a", "2024-05-01T10:00:00Z", 21.0, 12),
        reading("c", "2024-05-02T00:00:00Z", 7.0, 13));

    runAvailableNow();

    Map<String, GoldRow> first = Bronze.gold(spark, gold);
    assertThat(first).containsOnlyKeys("a/2024-05-01", "b/2024-05-01", "c/2024-05-02");
    assertThat(first.get("a/2024-05-01").temperature()).isEqualTo(21.0);
    // The re-sent reading (same values, later offset) is the newest record of a: stored.
    assertThat(first.get("a/2024-05-01").offset()).isEqualTo(12);
    // One batch per bronze commit (maxFilesPerTrigger 1): create, then one MERGE each.
    assertThat(operations()).containsExactly("CREATE TABLE", "MERGE", "MERGE");
    // The txn confs live on the query's own (cloned) session: the shared one never saw them.
    assertThat(OUTER_CONF_DURING_MERGE).containsExactly("unset/unset");
    assertThat(spark.conf().getOption(GoldMerger.TXN_APP_ID).isDefined()).isFalse();
    assertThat(spark.conf().getOption(GoldMerger.TXN_VERSION).isDefined()).isFalse();

    // Lose the record that batch 1 finished, as if the driver died right after its MERGE.
    File commits = new File(config("availableNow").settings().checkpoint(MergeQuery.QUERY),
        "commits");
    File newest = Arrays.stream(commits.listFiles((d, n) -> n.matches("\\d+")))
        .max((x, y) -> Long.compare(Long.parseLong(x.getName()), Long.parseLong(y.getName())))
        .orElseThrow();
    assertThat(newest.getName()).isEqualTo("1");
    assertThat(newest.delete()).isTrue();
    new File(commits, ".1.crc").delete();
    // Someone removes a row batch 1 inserted. Re-applying batch 1 would bring it back; only
    // Delta's (app id, batch id) check on the MERGE can tell that batch 1 is already done.
    spark.sql("DELETE FROM delta.`" + gold + "` WHERE sensor_id = 'c'");
    long version = version();
    Map<String, GoldRow> beforeReplay = Bronze.gold(spark, gold);

    runAvailableNow();

    assertThat(newest).exists();
    assertThat(version()).isEqualTo(version);
    assertThat(Bronze.gold(spark, gold)).isEqualTo(beforeReplay);
  }

  @Test
  void laterBatchesLikeTheEarlierOnesCompileNoNewCode() throws Exception {
    // Each batch updates sensor a and inserts a new sensor on the same day; the first run also
    // creates gold and sees a batch that only inserts.
    Bronze.append(spark, bronze, reading("a", "2024-05-01T10:00:00Z", 20.0, 0));
    for (int i = 1; i <= 2; i++) {
      appendUpdateAndInsert(i);
    }
    StreamingQuery warmUp = MergeQuery.start(spark, config("availableNow"));
    warmUp.awaitTermination();
    // A second run finds gold there and checks its layout, as every later run does.
    appendUpdateAndInsert(3);
    MergeQuery.start(spark, config("availableNow")).awaitTermination();
    long compiledBefore = TestSpark.generatedClassesCompiled();

    for (int i = 4; i <= 6; i++) {
      appendUpdateAndInsert(i);
    }
    StreamingQuery q = MergeQuery.start(spark, config("availableNow"));
    q.awaitTermination();
    long compiled = TestSpark.generatedClassesCompiled() - compiledBefore;

    assertThat(q.exception().isDefined()).isFalse();
    assertThat(Bronze.gold(spark, gold).get("a/2024-05-01").temperature()).isEqualTo(26.0);
    assertThat(Bronze.gold(spark, gold)).hasSize(7);
    // A batch time written into the plan as a literal (current_timestamp()) would compile each
    // MERGE anew, as would Spark's per-session class loaders or a too-small code cache.
    assertThat(compiled).as("classes compiled by three more batches of the same shape").isZero();
  }

  @Test
  void theMergeReadsTheBatchsOwnCachedRowsWithoutACopyByDelta() throws Exception {
    StageRdds merged = mergeTwoBatchesWatchingStages();
    assertThat(operations()).containsExactly("CREATE TABLE", "MERGE", "MERGE");
    assertThat(merged.names()).contains("FileScanRDD").doesNotContain(MERGE_SOURCE_COPY);
    assertThat(Bronze.gold(spark, gold).get("a/2024-05-01").temperature()).isEqualTo(22.0);
  }

  @Test
  void aMaterializeSourceSettingOfTheUserIsKept() throws Exception {
    spark.conf().set(GoldMerger.MATERIALIZE_SOURCE, "all");
    try {
      StageRdds merged = mergeTwoBatchesWatchingStages();
      assertThat(merged.names()).contains(MERGE_SOURCE_COPY);
    } finally {
      spark.conf().unset(GoldMerger.MATERIALIZE_SOURCE);
    }
    assertThat(Bronze.gold(spark, gold).get("a/2024-05-01").temperature()).isEqualTo(22.0);
  }

  /** The name Delta gives its copy of a MERGE's source. */
  static final String MERGE_SOURCE_COPY = "mergeMaterializedSource";

  private StageRdds mergeTwoBatchesWatchingStages() throws Exception {
    Bronze.append(spark, bronze, reading("a", "2024-05-01T10:00:00Z", 21.0, 1),
        reading("b", "2024-05-01T10:00:00Z", 5.0, 2));
    Bronze.append(spark, bronze, reading("a", "2024-05-01T11:00:00Z", 22.0, 3),
        reading("c", "2024-05-01T10:00:00Z", 7.0, 4));
    StageRdds seen = StageRdds.watch(spark);
    try {
      StreamingQuery q = MergeQuery.start(spark, config("availableNow"));
      q.awaitTermination();
      assertThat(q.exception().isDefined()).isFalse();
      seen.catchUp();
    } finally {
      seen.stop();
    }
    return seen;
  }

  /** The names of the RDDs of every Spark stage submitted while it watches. */
  static final class StageRdds extends org.apache.spark.scheduler.SparkListener {
    private static final String MARKER = "streamlake-stage-rdds-marker";
    private final SparkSession session;
    private final Set<String> names = ConcurrentHashMap.newKeySet();

    private StageRdds(SparkSession session) {
      this.session = session;
    }

    static StageRdds watch(SparkSession session) {
      StageRdds l = new StageRdds(session);
      session.sparkContext().addSparkListener(l);
      return l;
    }

    @Override
    public void onStageSubmitted(org.apache.spark.scheduler.SparkListenerStageSubmitted event) {
      scala.jdk.javaapi.CollectionConverters.asJava(event.stageInfo().rddInfos())
          .forEach(info -> names.add(info.name()));
    }

    /** Listener events arrive in order: once a marked job's stage is seen, so are all before. */
    void catchUp() {
      session.sparkContext().parallelize(
          scala.jdk.javaapi.CollectionConverters.asScala(List.of(1)).toSeq(), 1,
          scala.reflect.ClassTag$.MODULE$.apply(Integer.class)).setName(MARKER).count();
      await().atMost(Duration.ofSeconds(30)).until(() -> names.contains(MARKER));
    }

    void stop() {
      session.sparkContext().removeSparkListener(this);
    }

    Set<String> names() {
      return names;
    }
  }

  private void appendUpdateAndInsert(int i) {
    Bronze.append(spark, bronze,
        reading("a", "2024-05-01T1" + i + ":00:00Z", 20.0 + i, 10L * i),
        reading("new-" + i, "2024-05-01T10:00:00Z", 1.0, 10L * i + 1));
  }

  @Test
  void processingTimeTriggerKeepsMerging() throws Exception {
    Bronze.append(spark, bronze, reading("a", "2024-05-01T10:00:00Z", 21.0, 1));
    StreamingQuery q = MergeQuery.start(spark, config("processingTime:1s"));
    try {
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
          .until(() -> DeltaTable.isDeltaTable(spark, gold) && Bronze.gold(spark, gold).size() == 1);
      Bronze.append(spark, bronze, reading("a", "2024-05-01T11:00:00Z", 23.0, 2));
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
          .until(() -> Bronze.gold(spark, gold).get("a/2024-05-01").temperature() == 23.0);
      assertThat(q.isActive()).isTrue();
    } finally {
      q.stop();
    }
    assertThat(q.exception().isDefined()).isFalse();
  }

  @Test
  void startsBeforeStageTwoByCreatingAnEmptyBronzeOfTheContractShape() throws Exception {
    StreamingQuery q = MergeQuery.start(spark, config("availableNow"));
    q.awaitTermination();
    assertThat(q.exception().isDefined()).isFalse();
    var schema = spark.read().format("delta").load(bronze).schema();
    assertThat(schema.fieldNames()).containsExactly(
        dev.streamlake.common.TableSchemas.bronze(
            dev.streamlake.common.PipelineConfig.sensorReadings().readerSchema()).fieldNames());
  }

  long version() {
    return DeltaTable.forPath(spark, gold).history(1).first().getLong(0);
  }

  List<String> operations() {
    return DeltaTable.forPath(spark, gold).history().orderBy("version").select("operation")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
  }

}
