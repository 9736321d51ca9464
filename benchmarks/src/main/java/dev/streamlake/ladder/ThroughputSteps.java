package dev.streamlake.ladder;

import dev.streamlake.ladder.jobs.TextbookJob;
import dev.streamlake.local.StageModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The limits, the anchors and the three stages on the main topic, in rounds: round k runs every
 * selected step once, so a change of the machine's load during the ladder hits every step alike
 * instead of all runs of one. Stage 2 and the raw copy read the raw table of stage 1's first run;
 * stage 3 reads the bronze table of stage 2's first run (each prepared by an extra run when its
 * step is not selected).
 */
final class ThroughputSteps {
  private static final Logger LOG = LoggerFactory.getLogger(ThroughputSteps.class);

  /**
   * Stage 1's default {@code kafka.max.poll.records} (RawIngestQuery, on this module's test
   * class path only, where TextbookPollsControlTest holds the two equal): the control step gives
   * the textbook job the same.
   */
  static final String STAGE1_MAX_POLL_RECORDS = "50000";

  private final StepRunner runner;
  private final Results results;
  private final String topic;
  private final long records;
  private final String heap;
  private Path refRaw;
  private Path refBronze;
  private boolean rawFailed;
  private boolean bronzeFailed;

  ThroughputSteps(StepRunner runner, Results results, String topic, long records) {
    this.runner = runner;
    this.results = results;
    this.topic = topic;
    this.records = records;
    this.heap = runner.config.driverMemory();
  }

  void run() {
    LadderConfig c = runner.config;
    PlainLimits.Payloads payloads = c.runs(Step.DECODE)
        ? PlainLimits.load(runner.bootstrap, topic) : null;
    for (int round = 1; round <= c.runs(); round++) {
      LOG.info("Throughput round {} of {} (load {})", round, c.runs(), Machine.loadAverage());
      if (c.runs(Step.DRAIN)) {
        results.add(Step.DRAIN, PlainLimits.drain(runner.bootstrap, topic, round, records));
      }
      if (c.runs(Step.DECODE)) {
        results.add(Step.DECODE, PlainLimits.decode(payloads, round));
      }
      if (c.runs(Step.BATCH_WRITE)) {
        results.add(Step.BATCH_WRITE, ladderJob(Step.BATCH_WRITE, round, "BatchWriteJob",
            List.of(runner.bootstrap, topic, lake(Step.BATCH_WRITE, round).resolve("t").toString())));
      }
      if (c.runs(Step.TEXTBOOK)) {
        Path lake = lake(Step.TEXTBOOK, round);
        results.add(Step.TEXTBOOK, ladderJob(Step.TEXTBOOK, round, "TextbookJob",
            List.of(runner.bootstrap, topic, lake.resolve("t").toString(),
                lake.resolve("checkpoint").toString())));
      }
      if (c.runs(Step.TEXTBOOK_POLLS)) {
        Path lake = lake(Step.TEXTBOOK_POLLS, round);
        results.add(Step.TEXTBOOK_POLLS, ladderJob(Step.TEXTBOOK_POLLS, round, "TextbookJob",
            List.of(runner.bootstrap, topic, lake.resolve("t").toString(),
                lake.resolve("checkpoint").toString()),
            Map.of(TextbookJob.KAFKA_OPTION_PREFIX + "max.poll.records",
                STAGE1_MAX_POLL_RECORDS)));
      }
      if (c.runs(Step.STAGE1)) {
        RunRecord r = stage1(Step.STAGE1.figureName, "round " + round, round, round == 1);
        results.add(Step.STAGE1, r);
        if (round == 1 && r.ok()) {
          refRaw = StepRunner.raw(runner.lake(Step.STAGE1.figureName, "round 1"));
        }
      }
      if (c.runs(Step.COPY)) {
        Path lake = lake(Step.COPY, round);
        results.add(Step.COPY, refRaw() == null ? missing(Step.COPY, round, "no raw table")
            : ladderJob(Step.COPY, round, "CopyJob", List.of(refRaw().toString(),
                lake.resolve("t").toString(), lake.resolve("checkpoint").toString())));
      }
      if (c.runs(Step.STAGE2)) {
        RunRecord r = refRaw() == null ? missing(Step.STAGE2, round, "no raw table")
            : stage2(Step.STAGE2.figureName, "round " + round, round, round == 1);
        results.add(Step.STAGE2, r);
        if (round == 1 && r.ok()) {
          refBronze = StepRunner.bronze(runner.lake(Step.STAGE2.figureName, "round 1"));
        }
      }
      if (c.runs(Step.MONOLITH)) {
        Path lake = lake(Step.MONOLITH, round);
        results.add(Step.MONOLITH, ladderJob(Step.MONOLITH, round, "MonolithJob",
            List.of(runner.bootstrap, topic, lake.resolve("gold").toString(),
                lake.resolve("checkpoint").toString(), "200000", "availableNow")));
      }
      if (c.runs(Step.STAGE3)) {
        results.add(Step.STAGE3, refBronze() == null ? missing(Step.STAGE3, round, "no bronze table")
            : runner.stage(StageModule.MERGE, Step.STAGE3.figureName, "round " + round, round,
                records, List.of("--bronze-table", refBronze().toString()), heap, false));
      }
    }
    // The reference tables were inputs only; at millions of records they are large.
    for (Path table : new Path[] {refRaw, refBronze}) {
      if (table != null) {
        Workspace.deleteRecursively(table.getParent().getParent());
      }
    }
  }

  private RunRecord stage1(String step, String label, int round, boolean keep) {
    return runner.stage(StageModule.RAW_INGEST, step, label, round, records,
        runner.stage1Args(topic), heap, keep);
  }

  private RunRecord stage2(String step, String label, int round, boolean keep) {
    return runner.stage(StageModule.DESERIALIZE, step, label, round, records,
        List.of("--raw-table", refRaw.toString()), heap, keep);
  }

  /** Stage 1's raw table of round 1, or of a preparation run when stage 1 is not measured. */
  private Path refRaw() {
    if (refRaw == null && !rawFailed) {
      RunRecord r = stage1("prepare.raw", "prepare", 0, true);
      results.preparation.add(r);
      if (r.ok()) {
        refRaw = StepRunner.raw(runner.lake("prepare.raw", "prepare"));
      } else {
        rawFailed = true;
      }
    }
    return refRaw;
  }

  private Path refBronze() {
    if (refBronze == null && !bronzeFailed && refRaw() != null) {
      RunRecord r = stage2("prepare.bronze", "prepare", 0, true);
      results.preparation.add(r);
      if (r.ok()) {
        refBronze = StepRunner.bronze(runner.lake("prepare.bronze", "prepare"));
      } else {
        bronzeFailed = true;
      }
    }
    return refBronze;
  }

  private Path lake(Step step, int round) {
    return runner.lake(step.figureName, "round " + round);
  }

  private RunRecord ladderJob(Step step, int round, String job, List<String> args) {
    return ladderJob(step, round, job, args, Map.of());
  }

  private RunRecord ladderJob(Step step, int round, String job, List<String> args,
      Map<String, String> confs) {
    return runner.run(step.figureName, "round " + round, round, records, runner.ladderJar(),
        "dev.streamlake.ladder.jobs." + job, args, heap, confs, false);
  }

  private RunRecord missing(Step step, int round, String why) {
    return new RunRecord(step.figureName, "round " + round, round, records, -1, false, 0, -1,
        GcLog.NONE, -1, -1, Map.of(), List.of(), -1, Machine.loadAverage(),
        Machine.loadAverage(), null, "not run: " + why + " (its producing stage failed)");
  }

  /** True when a table folder holds a Delta log. */
  static boolean isTable(Path table) {
    return Files.isDirectory(table.resolve("_delta_log"));
  }
}
