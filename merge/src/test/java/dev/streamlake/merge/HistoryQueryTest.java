package dev.streamlake.merge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.merge.History.Rec;
import dev.streamlake.testing.TestSpark;
import io.delta.tables.DeltaTable;
import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stage-3 query with {@code gold.history: scd2}: bronze stream to history and current. */
class HistoryQueryTest {
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

  MergeConfig config() {
    return MergeConfig.fromArgs(new String[] {"--lake", lake.toString(), "--trigger",
        "availableNow", "--merge-max-files-per-trigger", "1",
        "--config", History.pipelineFile(lake).toString()});
  }

  void runAvailableNow() throws Exception {
    StreamingQuery q = MergeQuery.start(spark, config());
    q.awaitTermination();
    assertThat(q.exception().isDefined()).isFalse();
  }

  @Test
  void eachBronzeCommitIsABatchAndTheHistoryIsTheModelsAndAReplayChangesNothing()
      throws Exception {
    List<Rec> all = HistoryMergerTest.ARRIVALS;
    int perCommit = 11;
    for (int from = 0; from < all.size(); from += perCommit) {
      List<Rec> commit = all.subList(from, Math.min(all.size(), from + perCommit));
      History.batch(spark, commit).coalesce(1).write().format("delta").mode("append")
          .save(bronze);
    }

    runAvailableNow();

    assertThat(History.gold(spark, gold)).isEqualTo(History.expected(all));
    assertThat(History.current(spark, gold + "_current"))
        .isEqualTo(History.expectedCurrent(all));

    // Lose the record that the last batch finished, as if the driver died right after its
    // writes: the query runs that batch again.
    File commits = new File(config().settings().checkpoint(MergeQuery.QUERY), "commits");
    File newest = Arrays.stream(commits.listFiles((d, n) -> n.matches("\\d+")))
        .max((x, y) -> Long.compare(Long.parseLong(x.getName()), Long.parseLong(y.getName())))
        .orElseThrow();
    assertThat(newest.getName()).isEqualTo("1");
    assertThat(newest.delete()).isTrue();
    new File(commits, ".1.crc").delete();
    long[] before = versions();

    runAvailableNow();

    assertThat(newest).exists();
    assertThat(versions()).containsExactly(before);
    assertThat(History.gold(spark, gold)).isEqualTo(History.expected(all));
  }

  long[] versions() {
    return new long[] {version(gold), version(gold + "_current"),
        version(gold + "_points")};
  }

  static long version(String path) {
    return DeltaTable.forPath(spark, path).history(1).first().getLong(0);
  }
}
