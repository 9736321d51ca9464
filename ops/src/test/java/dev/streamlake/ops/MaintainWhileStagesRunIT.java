package dev.streamlake.ops;

import static dev.streamlake.ops.PipelineLake.TODAY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.deserialize.DeserializeConfig;
import dev.streamlake.deserialize.DeserializeQuery;
import dev.streamlake.merge.MergeConfig;
import dev.streamlake.merge.MergeQuery;
import dev.streamlake.testing.TestSpark;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * maintain, run again and again while stages 2 and 3 stream with processing-time triggers over
 * a raw table that keeps growing: no query fails, and at the end every raw row is in exactly one
 * of bronze and dead_letter and gold holds the latest record of every key.
 */
class MaintainWhileStagesRunIT {
  static final int SENSORS = 6;
  static final int BAD_EVERY = 9;

  final SparkSession spark = TestSpark.session();
  @TempDir Path lake;

  @Test
  void maintainDuringAStreamingRunLosesAndDoublesNothing() throws Exception {
    spark.conf().set(MaintainTest.LISTING_PARALLELISM, "2");
    PipelineLake p = new PipelineLake(spark, lake,
        "{\"rawRetention\": \"30d\", \"bronzeRetention\": \"30d\"}");
    LocalDate cutoff = TODAY.minusDays(30);
    List<Long> offsets = new ArrayList<>(p.appendRaw(TODAY.minusDays(40), 40, SENSORS,
        BAD_EVERY));
    StreamingQuery stage2 = DeserializeQuery.start(spark,
        DeserializeConfig.fromArgs(p.args("--trigger", "processingTime:1s")));
    StreamingQuery stage3 = MergeQuery.start(spark,
        MergeConfig.fromArgs(p.args("--trigger", "processingTime:1s",
            "--merge-retry-backoff", "200ms")));
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    List<TableMaintenance.Report> reports = new ArrayList<>();
    try {
      for (int round = 0; round < 6; round++) {
        offsets.addAll(p.appendRaw(TODAY, 30, SENSORS, BAD_EVERY));
        if (round % 2 == 1) {
          reports.addAll(MaintainCommand.run(spark, MaintainCommand.fromArgs(p.args()),
              Clock.systemUTC(), quiet));
        }
        assertThat(stage2.isActive()).as("stage 2 runs: %s", stage2.exception()).isTrue();
        assertThat(stage3.isActive()).as("stage 3 runs: %s", stage3.exception()).isTrue();
      }
      Map<String, Long> expectedGold = latestValidOffsetPerSensor(offsets);
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (!goldOffsets(p).equals(expectedGold) && System.nanoTime() < deadline) {
        assertThat(stage2.exception().isDefined()).as("stage 2: %s", stage2.exception())
            .isFalse();
        assertThat(stage3.exception().isDefined()).as("stage 3: %s", stage3.exception())
            .isFalse();
        Thread.sleep(1000);
      }
      assertThat(goldOffsets(p)).as("gold: the latest record of every key")
          .isEqualTo(expectedGold);
      // Once both stages have read everything, the old partitions go.
      reports.addAll(MaintainCommand.run(spark, MaintainCommand.fromArgs(p.args()),
          Clock.systemUTC(), quiet));
      assertThat(stage2.isActive()).as("stage 2 runs: %s", stage2.exception()).isTrue();
      assertThat(stage3.isActive()).as("stage 3 runs: %s", stage3.exception()).isTrue();
    } finally {
      stage2.stop();
      stage3.stop();
    }
    assertThat(stage2.exception().isDefined()).as("stage 2: %s", stage2.exception()).isFalse();
    assertThat(stage3.exception().isDefined()).as("stage 3: %s", stage3.exception()).isFalse();
    assertThat(reports).filteredOn(r -> r.label().equals("gold"))
        .allSatisfy(r -> assertThat(r.filesRemovedByOptimize()).isNotNegative()).hasSize(4);

    OpsSettings ops = p.ops();
    String kept = "ingest_date >= DATE'" + cutoff + "'";
    List<Long> raw = offsetsOf(ops.raw().read(spark).where(kept).collectAsList());
    List<Long> bronze = offsetsOf(ops.bronze().read(spark).where(kept).collectAsList());
    List<Long> dead = offsetsOf(ops.deadLetter().read(spark).where(kept).collectAsList());
    assertThat(raw).doesNotHaveDuplicates().hasSize(180);
    assertThat(bronze).doesNotHaveDuplicates().doesNotContainAnyElementsOf(dead);
    List<Long> both = new ArrayList<>(bronze);
    both.addAll(dead);
    assertThat(both).containsExactlyInAnyOrderElementsOf(raw);
    assertThat(p.count(ops.raw(), PipelineLake.before(cutoff))).isZero();
    assertThat(p.count(ops.bronze(), PipelineLake.before(cutoff))).isZero();
  }

  private static Map<String, Long> latestValidOffsetPerSensor(List<Long> offsets) {
    Map<String, Long> latest = new HashMap<>();
    for (long o : offsets) {
      if (o % BAD_EVERY != 0) {
        latest.merge("s" + (o % SENSORS), o, Math::max);
      }
    }
    return latest;
  }

  private Map<String, Long> goldOffsets(PipelineLake p) {
    return p.ops().gold().read(spark).select("sensor_id", "offset").collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getString(0), r -> r.getLong(1)));
  }

  private static List<Long> offsetsOf(List<Row> rows) {
    return rows.stream().map(r -> r.<Long>getAs("offset")).toList();
  }
}
