package dev.streamlake.ladder;

import dev.streamlake.local.StageModule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-batch fixed cost: each stage over the same {@code --fixed-cost-records} records at four
 * batch sizes (1/16, 1/8, 1/4, 1/2 of them per batch), so the batches' times can be fitted as
 * {@code a + b * records}. Stage 1 reads the topic's last records (starting offsets near the end)
 * with {@code --max-offsets-per-trigger}; stage 2 reads the raw table of stage 1's smallest-batch
 * run (many small files) with {@code --raw-max-files-per-trigger}; stage 3 reads the bronze table
 * of stage 2's smallest-batch run with {@code --merge-max-files-per-trigger}.
 */
final class FixedCostStep {
  private static final Logger LOG = LoggerFactory.getLogger(FixedCostStep.class);
  static final int[] DIVISORS = {16, 8, 4, 2};

  private final StepRunner runner;
  private final Results results;
  private final String topic;

  FixedCostStep(StepRunner runner, Results results, String topic) {
    this.runner = runner;
    this.results = results;
    this.topic = topic;
  }

  void run() {
    long m = runner.config.fixedCostRecords();
    String heap = runner.config.driverMemory();
    Map<TopicPartition, Long> end = TopicData.endOffsets(runner.bootstrap, topic);
    long perPartition = (m + end.size() - 1) / end.size();
    StringBuilder json = new StringBuilder("{\"" + topic + "\":{");
    for (TopicPartition tp : TopicData.partitions(end)) {
      json.append(tp.partition() == 0 ? "" : ",").append('"').append(tp.partition()).append("\":")
          .append(Math.max(0, end.get(tp) - perPartition));
    }
    json.append("}}");

    String step1 = "fixed-cost." + Step.STAGE1.figureName;
    List<RunRecord> s1 = new ArrayList<>();
    Path smallRaw = null;
    for (int d : DIVISORS) {
      long size = Math.max(1, m / d);
      List<String> args = runner.stage1Args(topic);
      args.addAll(List.of("--starting-offsets", json.toString(),
          "--max-offsets-per-trigger", Long.toString(size)));
      String label = "max-offsets-per-trigger " + size;
      RunRecord r = runner.stage(StageModule.RAW_INGEST, step1, label, 0, m, args, heap,
          d == DIVISORS[0]);
      s1.add(r);
      if (d == DIVISORS[0] && r.ok()) {
        smallRaw = StepRunner.raw(runner.lake(step1, label));
      }
    }
    results.fixedCost.put(Step.STAGE1.figureName, s1);
    if (smallRaw == null) {
      results.notes.add("fixed cost: stages 2 and 3 not measured: stage 1's smallest-batch run"
          + " failed, so there is no raw table of small files");
      return;
    }

    String step2 = "fixed-cost." + Step.STAGE2.figureName;
    List<RunRecord> s2 = new ArrayList<>();
    Path smallBronze = null;
    long rawFiles = Workspace.dataFiles(smallRaw);
    List<Long> fileCounts = fileCounts(rawFiles);
    for (long files : fileCounts) {
      String label = "raw-max-files-per-trigger " + files;
      boolean smallest = files == fileCounts.get(0);
      RunRecord r = runner.stage(StageModule.DESERIALIZE, step2, label, 0, m,
          List.of("--raw-table", smallRaw.toString(), "--raw-max-files-per-trigger",
              Long.toString(files)), heap, smallest);
      s2.add(r);
      if (smallest && r.ok()) {
        smallBronze = StepRunner.bronze(runner.lake(step2, label));
      }
    }
    results.fixedCost.put(Step.STAGE2.figureName, s2);
    if (smallBronze == null) {
      results.notes.add("fixed cost: stage 3 not measured: stage 2's smallest-batch run failed");
      return;
    }

    String step3 = "fixed-cost." + Step.STAGE3.figureName;
    List<RunRecord> s3 = new ArrayList<>();
    for (long files : fileCounts(Workspace.dataFiles(smallBronze))) {
      s3.add(runner.stage(StageModule.MERGE, step3, "merge-max-files-per-trigger " + files, 0, m,
          List.of("--bronze-table", smallBronze.toString(), "--merge-max-files-per-trigger",
              Long.toString(files)), heap, false));
    }
    results.fixedCost.put(Step.STAGE3.figureName, s3);
    LOG.info("Fixed cost: {} raw files, bronze {}", rawFiles, smallBronze);
    // The small-file tables were inputs only.
    Workspace.deleteRecursively(smallRaw.getParent().getParent());
    Workspace.deleteRecursively(smallBronze.getParent().getParent());
  }

  /** Files per batch for batches of 1/16 .. 1/2 of a table of {@code files} files, distinct. */
  static List<Long> fileCounts(long files) {
    Set<Long> counts = new LinkedHashSet<>();
    for (int d : DIVISORS) {
      counts.add(Math.max(1, files / d));
    }
    return new ArrayList<>(counts);
  }
}
