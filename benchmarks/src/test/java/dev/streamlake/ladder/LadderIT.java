package dev.streamlake.ladder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.local.QuickJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The small version of the ladder, so it cannot rot: a few thousand records, one run, the two
 * in-process limits, the textbook anchor and stages 1 and 2 (stage 2 reads stage 1's raw table),
 * each Spark step through SparkSubmit with the stage jars as built; and a 12 s freshness run with
 * its report; and a gold-scale step on two tiny golds. About five minutes on an idle 2-core
 * machine.
 */
class LadderIT {
  @TempDir Path dir;

  @Test
  void tinyLadderMeasuresEveryStepItRunsAndWritesEverySection() throws Exception {
    Path out = dir.resolve("results.md");
    Ladder ladder = new Ladder();
    new CommandLine(ladder).parseArgs("--records", "3000", "--runs", "1",
        "--steps", "drain,decode,textbook,textbook-polls,stage1,stage2", "--out", out.toString(),
        "--work", dir.resolve("work").toString(),
        // Only the plumbing is checked here, not speed: the client compiler halves start-up CPU.
        "--child-jvm-flags", QuickJvm.joined());

    Results results = Ladder.run(ladder.toConfig());

    assertThat(results.stoppedEarly).isFalse();
    assertThat(results.mainTopic.records()).isEqualTo(3000);
    List<RunRecord> runs = new ArrayList<>();
    results.throughput.values().forEach(runs::addAll);
    assertThat(runs).extracting(RunRecord::step).containsExactlyInAnyOrder("limit.kafka-drain",
        "limit.avro-decode", "anchor.textbook", "control.textbook-polls", "stage1.raw-ingest",
        "stage2.deserialize");
    assertThat(runs).allSatisfy(r -> {
      assertThat(r.failure()).as(r.step()).isNull();
      assertThat(r.wallSeconds()).as(r.step()).isPositive();
      assertThat(r.cpuSeconds()).as(r.step()).isPositive();
      assertThat(r.recordsPerSecond()).as(r.step()).isPositive();
    });
    for (Step spark : List.of(Step.TEXTBOOK, Step.TEXTBOOK_POLLS, Step.STAGE1, Step.STAGE2)) {
      RunRecord r = results.lastOk(spark);
      assertThat(r.progressRows()).as(spark.figureName).isEqualTo(3000);
      assertThat(r.batchSeconds()).as(spark.figureName).isPositive();
      assertThat(r.gc().peakBeforeGcBytes()).as(spark.figureName).isPositive();
      assertThat(r.hasJfr()).as(spark.figureName).isTrue();
    }
    // The control is the textbook job with stage 1's poll size, and only the control has it.
    assertThat(Files.readString(results.lastOk(Step.TEXTBOOK_POLLS).dir().resolve("command.txt")))
        .contains("spark.ladder.kafka.max.poll.records=" + ThroughputSteps.STAGE1_MAX_POLL_RECORDS);
    assertThat(Files.readString(results.lastOk(Step.TEXTBOOK).dir().resolve("command.txt")))
        .doesNotContain("spark.ladder.kafka.");
    assertThat(JfrSummary.read(results.lastOk(Step.STAGE2).jfr(), 5).samples()).isPositive();

    String text = Files.readString(out);
    assertThat(text).contains(ResultsWriter.SECTIONS);
    assertThat(text).contains("| stage 1 records/s vs the textbook");
    assertThat(Targets.evaluate(results).get(0).status()).isNotEqualTo(Targets.Status.NOT_MEASURED);
  }

  @Test
  void tinyFreshnessRunReportsAllRecordsAndTheSteadyState() throws Exception {
    Path out = dir.resolve("freshness.md");
    Ladder ladder = new Ladder();
    new CommandLine(ladder).parseArgs("--records", "1000", "--runs", "1", "--steps", "freshness",
        "--freshness-rates", "200", "--freshness-seconds", "12",
        "--freshness-warmup-seconds", "4", "--no-jfr", "--out", out.toString(),
        "--work", dir.resolve("work").toString(), "--child-jvm-flags", QuickJvm.joined());

    Results results = Ladder.run(ladder.toConfig());

    assertThat(results.freshness).hasSize(1);
    Results.FreshnessRun run = results.freshness.get(0);
    assertThat(run.failure()).isNull();
    assertThat(run.produced()).isEqualTo(200L * 12);
    assertThat(run.report()).containsEntry("visible", run.produced())
        .containsEntry("bronze", run.produced());
    // Records sent in the first 4 s of 12 are warm-up: about a third out of the steady figures.
    long steady = run.report().get("steady_produced");
    assertThat(steady).isBetween(run.produced() / 2, run.produced() * 3 / 4);
    assertThat(run.report()).containsEntry("steady_visible", steady);
    assertThat(run.seconds("steady_p50_ms")).isPositive()
        .isLessThanOrEqualTo(run.seconds("steady_p99_ms"));
    assertThat(run.seconds("p99_ms")).isLessThanOrEqualTo(run.seconds("max_ms"));
    assertThat(Files.readString(out)).contains("steady p50 s", "records sent after the first 4 s");
  }

  @Test
  void tinyGoldScaleGeneratesGoldAndMergesABatchIntoEachSize() throws Exception {
    Path out = dir.resolve("gold-scale.md");
    Ladder ladder = new Ladder();
    new CommandLine(ladder).parseArgs("--records", "1000", "--runs", "1", "--steps", "gold-scale",
        "--gold-rows", "2000,4000", "--gold-sensors", "1000", "--gold-batch-rows", "500",
        "--no-jfr", "--out", out.toString(), "--work", dir.resolve("work").toString(),
        "--child-jvm-flags", QuickJvm.joined());

    Results results = Ladder.run(ladder.toConfig());

    assertThat(results.goldGeneration).hasSize(2).allSatisfy(g -> assertThat(g.failure()).isNull());
    assertThat(results.gold).extracting(Results.GoldRun::goldRows).containsExactly(2000L, 4000L);
    // Every batch row is a later reading of a sensor gold holds on its last day: all updates.
    assertThat(results.gold).allSatisfy(g -> {
      assertThat(g.run().failure()).isNull();
      assertThat(g.mergeMetrics()).containsEntry("numTargetRowsUpdated", "500")
          .containsEntry("numTargetRowsInserted", "0");
    });
    assertThat(Files.readString(out)).contains("| stage 3: a 500-row batch into gold of 4,000 rows");
  }
}
