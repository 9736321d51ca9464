package dev.streamlake.ladder;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** The targets, each judged from the medians of its figures. */
final class Targets {
  enum Status {
    MET("met"), NOT_MET("**not met**"), NOT_MEASURED("not measured");

    final String text;

    Status(String text) {
      this.text = text;
    }
  }

  /**
   * One target's verdict. {@code profiled}: the runs whose profile explains a miss (the last
   * successful run of the step in question).
   */
  record Target(String name, String goal, String measured, String ratio, Status status,
      List<RunRecord> profiled) {}

  private Targets() {}

  static List<Target> evaluate(Results r) {
    List<Target> out = new ArrayList<>();
    out.add(stage1(r));
    out.add(stage2(r));
    out.add(goldScale(r));
    out.add(cpuTotal(r));
    out.add(freshness(r));
    out.add(memory(r));
    return out;
  }

  private static Target stage1(Results r) {
    Figure s1 = r.figure(Step.STAGE1, RunRecord::recordsPerSecond);
    Figure tb = r.figure(Step.TEXTBOOK, RunRecord::recordsPerSecond);
    Figure drain = r.figure(Step.DRAIN, RunRecord::recordsPerSecond);
    String name = "stage 1 records/s vs the textbook Kafka -> Delta job, start-up included";
    if (!s1.isMeasured() || !tb.isMeasured()) {
      return new Target(name, ">= 1.5x", "n/a", "n/a", Status.NOT_MEASURED, List.of());
    }
    double ratio = s1.median() / tb.median();
    String stretch = drain.isMeasured()
        ? String.format(Locale.ROOT, "; stretch (half of the plain drain's %.0f rec/s): %.2f of it,"
            + " %s", drain.median(), s1.median() / drain.median(),
            s1.median() / drain.median() >= 0.5 ? "met" : "not met")
        : "; stretch: drain not measured";
    return new Target(name, ">= 1.5x (stretch: >= 0.5 x the KafkaConsumer drain)",
        String.format(Locale.ROOT, "stage 1 %.0f rec/s, textbook %.0f rec/s%s", s1.median(),
            tb.median(), stretch),
        x(ratio), ratio >= 1.5 ? Status.MET : Status.NOT_MET, profiled(r, Step.STAGE1));
  }

  /**
   * Per-record CPU is judged on the queries' own CPU (from the first query's start to its last
   * batch), as for a stream that runs for days; the whole JVM's, start-up included, is shown next
   * to it.
   */
  private static Target stage2(Results r) {
    Figure s2 = r.figure(Step.STAGE2, RunRecord::queryCpuSecondsPerMillion);
    Figure copy = r.figure(Step.COPY, RunRecord::queryCpuSecondsPerMillion);
    Figure s2All = r.figure(Step.STAGE2, RunRecord::cpuSecondsPerMillion);
    Figure copyAll = r.figure(Step.COPY, RunRecord::cpuSecondsPerMillion);
    String name = "stage 2 CPU per record vs a raw -> Delta copy that does not decode";
    if (!s2.isMeasured() || !copy.isMeasured()) {
      return new Target(name, "<= 2x", "n/a", "n/a", Status.NOT_MEASURED, List.of());
    }
    double ratio = s2.median() / copy.median();
    return new Target(name, "<= 2x",
        String.format(Locale.ROOT, "in the queries: stage 2 %.1f, copy %.1f CPU s per million"
            + " records; whole JVM, start-up included: %.1f vs %.1f (%.2fx)", s2.median(),
            copy.median(), s2All.median(), copyAll.median(), s2All.median() / copyAll.median()),
        x(ratio), ratio <= 2 ? Status.MET : Status.NOT_MET, profiled(r, Step.STAGE2));
  }

  private static Target goldScale(Results r) {
    List<Long> sizes = r.config.goldRows();
    String name = String.format(Locale.ROOT,
        "stage 3: a %,d-row batch into gold of %,d rows vs of %,d rows (batch time)",
        r.config.goldBatchRows(), sizes.get(1), sizes.get(0));
    Figure small = goldFigure(r, sizes.get(0));
    Figure big = goldFigure(r, sizes.get(1));
    if (!small.isMeasured() || !big.isMeasured()) {
      return new Target(name, "<= 1.3x", "n/a", "n/a", Status.NOT_MEASURED, List.of());
    }
    double ratio = big.median() / small.median();
    List<RunRecord> bigRuns = r.gold.stream().filter(g -> g.goldRows() == sizes.get(1))
        .map(Results.GoldRun::run).filter(RunRecord::ok).toList();
    return new Target(name, "<= 1.3x",
        String.format(Locale.ROOT, "%.1f s into %,d rows, %.1f s into %,d rows", big.median(),
            sizes.get(1), small.median(), sizes.get(0)),
        x(ratio), ratio <= 1.3 ? Status.MET : Status.NOT_MET,
        bigRuns.isEmpty() ? List.of() : List.of(bigRuns.get(bigRuns.size() - 1)));
  }

  static Figure goldFigure(Results r, long rows) {
    return Figure.of(r.gold.stream().filter(g -> g.goldRows() == rows).map(Results.GoldRun::run)
        .filter(RunRecord::ok).toList(), RunRecord::batchSeconds);
  }

  private static Target cpuTotal(Results r) {
    List<Step> stages = List.of(Step.STAGE1, Step.STAGE2, Step.STAGE3);
    String name = "the three stages together, CPU per million records, vs the monolith";
    double total = 0;
    double totalAll = 0;
    StringBuilder parts = new StringBuilder();
    for (Step s : stages) {
      Figure q = r.figure(s, RunRecord::queryCpuSecondsPerMillion);
      if (!q.isMeasured()) {
        return new Target(name, "<= 1.0x", "n/a", "n/a", Status.NOT_MEASURED, List.of());
      }
      total += q.median();
      totalAll += r.figure(s, RunRecord::cpuSecondsPerMillion).median();
      parts.append(parts.length() == 0 ? "" : " + ").append(String.format(Locale.ROOT, "%.1f",
          q.median()));
    }
    Figure mono = r.figure(Step.MONOLITH, RunRecord::queryCpuSecondsPerMillion);
    Figure monoAll = r.figure(Step.MONOLITH, RunRecord::cpuSecondsPerMillion);
    if (!mono.isMeasured()) {
      return new Target(name, "<= 1.0x", "n/a", "n/a", Status.NOT_MEASURED, List.of());
    }
    double ratio = total / mono.median();
    // The stage that costs most explains a miss best.
    Step worst = stages.stream()
        .max(Comparator.comparingDouble(s -> r.figure(s, RunRecord::queryCpuSecondsPerMillion)
            .median()))
        .orElse(Step.STAGE2);
    return new Target(name, "<= 1.0x",
        String.format(Locale.ROOT, "in the queries: stages %s = %.1f CPU s per million records"
            + " (stage 3 in one availableNow run), monolith %.1f (batches of 200,000); whole"
            + " JVMs, start-up included: %.1f vs %.1f (%.2fx)", parts, total, mono.median(),
            totalAll, monoAll.median(), totalAll / monoAll.median()),
        x(ratio), ratio <= 1.0 ? Status.MET : Status.NOT_MET, profiled(r, worst));
  }

  private static Target freshness(Results r) {
    String name = "freshness, produce -> visible in gold, shape 1, 2 cores, 1 s triggers";
    List<Results.FreshnessRun> at5000 = r.freshness.stream()
        .filter(f -> f.rate() == 5000 && f.ok()).toList();
    String best = bestRate(r);
    if (at5000.isEmpty()) {
      return new Target(name, "p50 <= 10 s at 5,000 records/s; report the highest rate with"
          + " p99 <= 60 s", "5,000/s not measured; " + best, "n/a", Status.NOT_MEASURED,
          List.of());
    }
    // Judged on the steady state, the records sent after the warm-up; all records shown too.
    Figure p50 = Figure.of(at5000, f -> f.seconds("steady_p50_ms"));
    Figure p99 = Figure.of(at5000, f -> f.seconds("steady_p99_ms"));
    Figure allP50 = Figure.of(at5000, f -> f.seconds("p50_ms"));
    Figure allP99 = Figure.of(at5000, f -> f.seconds("p99_ms"));
    boolean met = p50.isMeasured() && p50.median() <= 10;
    return new Target(name, "p50 <= 10 s at 5,000 records/s; report the highest rate with"
        + " p99 <= 60 s",
        String.format(Locale.ROOT, "at 5,000/s, records sent after the first %d s: p50 %s s,"
            + " p99 %s s; all records: p50 %s s, p99 %s s; %s",
            r.config.freshnessWarmupSeconds(), p50.isMeasured() ? p50.format("%.1f") : "not reached",
            p99.isMeasured() ? p99.format("%.1f") : "not reached",
            allP50.isMeasured() ? allP50.format("%.1f") : "not reached",
            allP99.isMeasured() ? allP99.format("%.1f") : "not reached", best),
        p50.isMeasured() ? String.format(Locale.ROOT, "p50 %.1f s", p50.median()) : "n/a",
        met ? Status.MET : Status.NOT_MET,
        List.of(at5000.get(at5000.size() - 1).pipeline()));
  }

  /** The highest producer rate whose median steady-state p99 is at most 60 s, as text. */
  static String bestRate(Results r) {
    List<Integer> tried = r.freshness.stream().map(Results.FreshnessRun::rate).distinct()
        .sorted().toList();
    if (tried.isEmpty()) {
      return "no rate tried";
    }
    int best = -1;
    for (int rate : tried) {
      List<Results.FreshnessRun> runs = r.freshness.stream()
          .filter(f -> f.rate() == rate && f.ok()).toList();
      Figure p99 = Figure.of(runs, f -> f.seconds("steady_p99_ms"));
      if (!runs.isEmpty() && p99.isMeasured() && p99.runs() == runs.size() && p99.median() <= 60) {
        best = Math.max(best, rate);
      }
    }
    return best < 0 ? "no rate tried held p99 <= 60 s (tried " + tried + "/s)"
        : String.format(Locale.ROOT, "highest rate tried holding p99 <= 60 s: %,d/s (tried %s/s)",
            best, tried);
  }

  private static Target memory(Results r) {
    String name = "memory: every stage with a " + r.config.memoryDriverMemory()
        + " driver heap on a " + String.format(Locale.ROOT, "%,d", r.memoryTopic == null
            ? r.config.memoryRecords() : r.memoryTopic.records()) + "-record backlog";
    if (r.memory.isEmpty()) {
      return new Target(name, "no OOM; peak heap reported", "n/a", "n/a", Status.NOT_MEASURED,
          List.of());
    }
    List<RunRecord> failed = r.memory.stream().filter(m -> !m.ok()).toList();
    StringBuilder peaks = new StringBuilder();
    for (String stage : List.of(Step.STAGE1.figureName, Step.STAGE2.figureName,
        Step.STAGE3.figureName)) {
      long peak = r.memory.stream().filter(m -> m.step().endsWith(stage) && m.ok())
          .mapToLong(m -> m.gc().peakBeforeGcBytes()).max().orElse(-1);
      peaks.append(peaks.length() == 0 ? "" : ", ").append(stage).append(' ')
          .append(peak < 0 ? "n/a" : (peak >> 20) + " MiB");
    }
    boolean oom = r.memory.stream().anyMatch(RunRecord::outOfMemory);
    return new Target(name, "no OOM; peak heap reported",
        (oom ? "OutOfMemoryError; " : failed.isEmpty() ? "no OOM; " : "a run failed; ")
            + "peak heap " + peaks,
        "-", failed.isEmpty() ? Status.MET : Status.NOT_MET, failed);
  }

  private static List<RunRecord> profiled(Results r, Step step) {
    RunRecord last = r.lastOk(step);
    return last == null ? List.of() : List.of(last);
  }

  private static String x(double ratio) {
    return String.format(Locale.ROOT, "%.2fx", ratio);
  }
}
