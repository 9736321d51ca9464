package dev.streamlake.ladder;

import dev.streamlake.local.StageModule;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Every stage with the memory step's driver heap ({@code --memory-driver-memory}, 1g) on a
 * backlog of {@code --memory-records}: stage 1 drains the topic in one availableNow run, stage 2
 * reads what it wrote, stage 3 what stage 2 wrote. Heap from the GC log (see {@link GcLog});
 * an OutOfMemoryError ends the JVM ({@code -XX:+ExitOnOutOfMemoryError}) and fails the run.
 */
final class MemoryStep {
  static final String STEP = "memory";

  private final StepRunner runner;
  private final Results results;
  private final String topic;
  private final long records;

  MemoryStep(StepRunner runner, Results results, String topic, long records) {
    this.runner = runner;
    this.results = results;
    this.topic = topic;
    this.records = records;
  }

  void run() {
    String heap = runner.config.memoryDriverMemory();
    for (int round = 1; round <= runner.config.memoryRuns(); round++) {
      String label = "round " + round;
      String s1 = STEP + "." + Step.STAGE1.figureName;
      String s2 = STEP + "." + Step.STAGE2.figureName;
      String s3 = STEP + "." + Step.STAGE3.figureName;
      RunRecord r1 = runner.stage(StageModule.RAW_INGEST, s1, label, round, records,
          runner.stage1Args(topic), heap, true);
      results.memory.add(r1);
      Path raw = StepRunner.raw(runner.lake(s1, label));
      RunRecord r2 = r1.ok()
          ? runner.stage(StageModule.DESERIALIZE, s2, label, round, records,
              List.of("--raw-table", raw.toString()), heap, true)
          : skipped(s2, label, round, s1);
      results.memory.add(r2);
      Path bronze = StepRunner.bronze(runner.lake(s2, label));
      results.memory.add(r2.ok()
          ? runner.stage(StageModule.MERGE, s3, label, round, records,
              List.of("--bronze-table", bronze.toString()), heap, false)
          : skipped(s3, label, round, s2));
      Workspace.deleteRecursively(runner.lake(s1, label));
      Workspace.deleteRecursively(runner.lake(s2, label));
    }
  }

  private RunRecord skipped(String step, String label, int round, String after) {
    return new RunRecord(step, label, round, records, -1, false, 0, -1, GcLog.NONE, -1, -1,
        Map.of(), List.of(), -1, Machine.loadAverage(), Machine.loadAverage(), null,
        "not run: " + after + " failed");
  }
}
