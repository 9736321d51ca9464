package dev.streamlake.ladder;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Everything a ladder run measured, in the order the results file shows it. */
final class Results {
  /** One stage-3 run into a gold table of {@code goldRows} rows, with its MERGE's metrics. */
  record GoldRun(long goldRows, RunRecord run, Map<String, String> mergeMetrics) {}

  /** One freshness run: the pipeline at one producer rate, and what the report found. */
  record FreshnessRun(int rate, int round, double achievedRate, long produced,
      Map<String, Long> report, RunRecord pipeline, RunRecord reportJob, String failure) {

    double seconds(String key) {
      Long ms = report.get(key);
      return ms == null || ms < 0 ? Double.NaN : ms / 1000.0;
    }

    boolean ok() {
      return failure == null;
    }
  }

  final LadderConfig config;
  final Instant startedAt = Instant.now();
  final String loadAtStart = Machine.loadAverage();
  Instant finishedAt;
  String loadAtEnd;
  Map<String, String> sparkConfs = Map.of();
  List<String> jvmFlags = List.of();
  TopicData.Produced mainTopic;
  TopicData.Produced memoryTopic;
  final Map<Step, List<RunRecord>> throughput = new EnumMap<>(Step.class);
  final List<RunRecord> preparation = new ArrayList<>();
  /** Per stage (figure name), the runs at each batch size. */
  final Map<String, List<RunRecord>> fixedCost = new LinkedHashMap<>();
  final List<RunRecord> goldGeneration = new ArrayList<>();
  final List<GoldRun> gold = new ArrayList<>();
  final List<RunRecord> memory = new ArrayList<>();
  final List<FreshnessRun> freshness = new ArrayList<>();
  final List<String> notes = new ArrayList<>();
  boolean stoppedEarly;

  Results(LadderConfig config) {
    this.config = config;
  }

  void add(Step step, RunRecord run) {
    throughput.computeIfAbsent(step, s -> new ArrayList<>()).add(run);
  }

  List<RunRecord> runs(Step step) {
    return throughput.getOrDefault(step, List.of());
  }

  /** The runs of a step that succeeded. */
  List<RunRecord> okRuns(Step step) {
    return runs(step).stream().filter(RunRecord::ok).toList();
  }

  /** The last successful run of a step (its flight recording is the one a profile shows). */
  RunRecord lastOk(Step step) {
    List<RunRecord> ok = okRuns(step);
    return ok.isEmpty() ? null : ok.get(ok.size() - 1);
  }

  Figure figure(Step step, java.util.function.ToDoubleFunction<RunRecord> value) {
    return Figure.of(okRuns(step), value);
  }
}
