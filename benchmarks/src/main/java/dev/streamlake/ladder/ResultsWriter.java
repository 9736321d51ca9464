package dev.streamlake.ladder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The results file: markdown, every figure as median (min–max) over its runs. */
final class ResultsWriter {
  /** The section headings, in order; the small IT checks each is there. */
  static final List<String> SECTIONS = List.of(
      "## Command", "## Machine", "## Versions", "## Settings every step shares", "## Data",
      "## Targets", "## Throughput: limits, anchors, stages", "## Inside the runs",
      "## Per-batch fixed cost", "## Stage 3 against gold size", "## Memory", "## Freshness",
      "## Profiles of the targets not met", "## Failures and notes");

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);
  private static final List<String> PHASES =
      List.of("addBatch", "latestOffset", "getBatch", "queryPlanning", "walCommit", "commitOffsets");

  private final Results r;
  private final StringBuilder b = new StringBuilder();

  private ResultsWriter(Results r) {
    this.r = r;
  }

  static void write(Results r, Path file) throws IOException {
    String text = render(r);
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  static String render(Results r) {
    ResultsWriter w = new ResultsWriter(r);
    List<Targets.Target> targets = Targets.evaluate(r);
    w.header();
    w.command();
    w.machine();
    w.versions();
    w.settings();
    w.data();
    w.targets(targets);
    w.throughput();
    w.inside();
    w.fixedCost();
    w.gold();
    w.memory();
    w.freshness();
    w.profiles(targets);
    w.failures();
    return w.b.toString();
  }

  private void header() {
    LadderConfig c = r.config;
    line("# StreamLake performance ladder: results");
    line("");
    if (c.quick() || c.runs() < 3) {
      line("> **" + (c.quick() ? "Quick run" : "Short run") + "**: " + fmt(c.records())
          + " records, " + c.runs() + " run(s) per figure. The targets are stated for at least"
          + " 5,000,000 records and 3 runs; these numbers show the ladder works and give orders"
          + " of magnitude, not the verdict.");
      line("");
    }
    double load = Machine.load1(r.loadAtStart);
    if (load > Machine.cores()) {
      line(String.format(Locale.ROOT, "> **Measured under load**: the 1-minute load average was"
          + " %s at the start and %s at the end on %d cores, so other processes shared the CPUs"
          + " with every step. Ratios of steps measured in the same rounds are more trustworthy"
          + " than absolute speeds.", r.loadAtStart, r.loadAtEnd, Machine.cores()));
      line("");
    }
    line("Started " + TIME.format(r.startedAt) + ", finished "
        + (r.finishedAt == null ? "?" : TIME.format(r.finishedAt)) + " ("
        + (r.finishedAt == null ? "?" : Duration.between(r.startedAt, r.finishedAt).toMinutes()
            + " min") + "). Steps: " + String.join(", ",
            c.steps().stream().sorted().map(s -> s.cliName).toList()) + ".");
    line("");
  }

  private void command() {
    line("## Command");
    line("");
    line("```");
    line(String.join(" ", r.config.commandLine()));
    line("```");
    line("");
  }

  private void machine() {
    line("## Machine");
    line("");
    line("| what | value |");
    line("| --- | --- |");
    line("| cores (`nproc`) | " + Machine.cores() + " |");
    line("| CPU | " + Machine.cpuModel() + " |");
    line("| memory (`free -g`: total used free shared buff/cache available) | `"
        + Machine.freeGiB() + "` |");
    line("| load average 1/5/15 min at start / end | " + r.loadAtStart + " / " + r.loadAtEnd
        + " |");
    line("| OS | " + Machine.os() + " |");
    line("| JVM | " + Machine.java() + " |");
    line("");
    line("Each step's load average at its start and end is in its row below (column \"load\").");
    line("");
  }

  private void versions() {
    line("## Versions");
    line("");
    Map<String, String> v = Versions.find(r.config.root());
    line("| component | version |");
    line("| --- | --- |");
    v.forEach((k, val) -> line("| " + k + " | " + val + " |"));
    line("");
  }

  private void settings() {
    line("## Settings every step shares");
    line("");
    line("Every Spark step is a fresh JVM: `org.apache.spark.deploy.SparkSubmit --master local["
        + r.config.cores() + "] --deploy-mode client` over `spark-home/target/spark-home`"
        + " (plain Spark from Maven Central), the step's jar as the application jar (the stages'"
        + " `-spark.jar`s; the limits, anchors and generators from `benchmarks-*-spark.jar`, built"
        + " the same way). Wall time runs from process start to exit, start-up included; CPU is"
        + " the JVM's process CPU time (all threads), written by a shutdown hook.");
    line("");
    line("- driver heap: `-Xmx" + r.config.driverMemory() + "` (memory step: `-Xmx"
        + r.config.memoryDriverMemory() + "`), the JVM's default collector (G1)");
    line("- JVM flags: `" + String.join(" ", r.jvmFlags.stream()
        .filter(f -> !f.startsWith("--add-opens")).toList())
        + "` plus Spark's `--add-opens` list (`JavaModuleOptions`), `-Xlog:gc:file=...`"
        + (r.config.jfr() ? ", `-XX:StartFlightRecording=settings=default` (every Spark step,"
            + " so the overhead is the same on both sides of each ratio)" : ""));
    line("- Spark settings:");
    r.sparkConfs.forEach((k, v) -> line("  - `" + k + "=" + v + "`"));
    line("");
  }

  private void data() {
    line("## Data");
    line("");
    LadderConfig c = r.config;
    line(String.format(Locale.ROOT, "Seeded generator (seed %d): `BenchPayloads.reading` readings"
        + " of %,d sensors over %d days, valid v2 Avro in the Confluent wire format, keyed by"
        + " sensor id; every %s-th record one of `BenchPayloads.broken`'s 8 broken kinds"
        + " (%.1f%%). Written once, read by every step.", c.seed(), c.sensors(), c.days(),
        c.brokenPct() > 0 ? fmt(Math.round(100 / c.brokenPct())) : "-", c.brokenPct()));
    line("");
    line("| topic | partitions | records | broken | MB | produce s |");
    line("| --- | --- | --- | --- | --- | --- |");
    for (TopicData.Produced p : new TopicData.Produced[] {r.mainTopic, r.memoryTopic}) {
      if (p != null) {
        line(String.format(Locale.ROOT, "| %s | %d | %,d | %,d | %,d | %.1f |", p.topic(),
            c.partitions(), p.records(), p.broken(), p.bytes() >> 20, p.seconds()));
      }
    }
    line("");
  }

  private void targets(List<Targets.Target> targets) {
    line("## Targets");
    line("");
    line("Each ratio from the medians of steps measured side by side in the same rounds.");
    line("");
    line("| target | goal | measured (medians) | ratio | result |");
    line("| --- | --- | --- | --- | --- |");
    for (Targets.Target t : targets) {
      line("| " + t.name() + " | " + t.goal() + " | " + t.measured() + " | " + t.ratio() + " | "
          + t.status().text + " |");
    }
    line("");
  }

  private void throughput() {
    line("## Throughput: limits, anchors, stages");
    line("");
    if (r.throughput.isEmpty()) {
      line("Not run in this invocation.");
      line("");
      return;
    }
    line("Each step moves the whole topic (" + fmt(r.mainTopic == null ? 0 : r.mainTopic.records())
        + " records); records/s and CPU per million are per topic record, wall and CPU for the"
        + " whole JVM, start-up included. \"Of it in the queries\": the CPU from the first"
        + " streaming query's start to its last batch, per million records, i.e. without JVM and"
        + " Spark start-up and shut-down. Median (min–max) over the runs; \"load\" is the"
        + " 1-minute load average at the start of each run.");
    line("");
    line("| step | what | runs ok | wall s | records/s | CPU s | CPU s per million records |"
        + " of it in the queries | load at start |");
    line("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (Step s : Step.values()) {
      List<RunRecord> runs = r.runs(s);
      if (runs.isEmpty()) {
        continue;
      }
      line("| " + s.figureName + " | " + s.description + " | " + r.okRuns(s).size() + "/"
          + runs.size() + " | " + r.figure(s, RunRecord::wallSeconds).format("%.1f") + " | "
          + r.figure(s, RunRecord::recordsPerSecond).format("%,.0f") + " | "
          + r.figure(s, RunRecord::cpuSeconds).format("%.1f") + " | "
          + r.figure(s, RunRecord::cpuSecondsPerMillion).format("%.1f") + " | "
          + r.figure(s, RunRecord::queryCpuSecondsPerMillion).format("%.1f") + " | "
          + loads(runs) + " |");
    }
    line("");
  }

  private void inside() {
    line("## Inside the runs");
    line("");
    line("From the streaming query progress of each run (`StreamingQueryListener` writing"
        + " `progress.jsonl`): micro-batches that read rows, their own time (`triggerExecution`),"
        + " the time outside them (JVM and Spark start-up, query start and stop), and where the"
        + " batch time went (`durationMs`, share of the summed trigger time).");
    line("");
    List<RunRecord> streaming = new ArrayList<>();
    Map<String, List<RunRecord>> byStep = new LinkedHashMap<>();
    for (Step s : Step.values()) {
      List<RunRecord> ok = r.okRuns(s).stream().filter(x -> !x.batches().isEmpty()).toList();
      if (!ok.isEmpty()) {
        byStep.put(s.figureName, ok);
        streaming.addAll(ok);
      }
    }
    if (streaming.isEmpty()) {
      line("No streaming step ran in this invocation.");
      line("");
      return;
    }
    line("| step | batches | rows read | batch s | rows/s in batches | outside batches s |"
        + " addBatch | latestOffset | getBatch | queryPlanning | walCommit | commitOffsets |");
    line("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    byStep.forEach((step, runs) -> {
      Map<String, Double> share = phaseShare(runs);
      StringBuilder phases = new StringBuilder();
      for (String p : PHASES) {
        phases.append(" | ").append(share.containsKey(p)
            ? String.format(Locale.ROOT, "%.0f%%", share.get(p) * 100) : "-");
      }
      line("| " + step + " | " + Figure.of(runs, x -> x.dataBatches().size()).format("%.0f")
          + " | " + Figure.of(runs, x -> x.progressRows()).format("%,.0f") + " | "
          + Figure.of(runs, RunRecord::batchSeconds).format("%.1f") + " | "
          + Figure.of(runs, x -> x.progressRows() / x.batchSeconds()).format("%,.0f") + " | "
          + Figure.of(runs, RunRecord::outsideBatchesSeconds).format("%.1f") + phases + " |");
    });
    line("");
  }

  /** Each phase's share of the summed trigger time over all batches of the runs. */
  static Map<String, Double> phaseShare(List<RunRecord> runs) {
    Map<String, Double> sums = new TreeMap<>();
    double total = 0;
    for (RunRecord run : runs) {
      for (BatchProgress bp : run.batches()) {
        total += bp.triggerMs();
        for (String p : PHASES) {
          Long v = bp.durationsMs().get(p);
          if (v != null) {
            sums.merge(p, v.doubleValue(), Double::sum);
          }
        }
      }
    }
    Map<String, Double> out = new TreeMap<>();
    if (total > 0) {
      for (Map.Entry<String, Double> e : sums.entrySet()) {
        out.put(e.getKey(), e.getValue() / total);
      }
    }
    return out;
  }

  private void fixedCost() {
    line("## Per-batch fixed cost");
    line("");
    if (r.fixedCost.isEmpty()) {
      line("Not run in this invocation.");
      line("");
      return;
    }
    line(String.format(Locale.ROOT, "Each stage over the same %,d records at four batch sizes"
        + " (1/16 to 1/2 of them per batch; stages 2 and 3 by files per trigger, over the tables"
        + " stage 1 and 2 wrote in their smallest-batch runs). Every micro-batch that read rows"
        + " is a point (rows, `triggerExecution` s) but each query's first, which carries the"
        + " query's start-up; least squares gives time = a + b x rows.",
        r.config.fixedCostRecords()));
    line("");
    line("| stage | a: fixed s per batch | b: µs per record | R² | points | batch size where a = b x rows |");
    line("| --- | --- | --- | --- | --- | --- |");
    r.fixedCost.forEach((stage, runs) -> {
      LinearFit fit = fit(runs);
      line(String.format(Locale.ROOT, "| %s | %.2f | %.1f | %.2f | %d | %,.0f |", stage, fit.a(),
          fit.b() * 1e6, fit.r2(), fit.points(), fit.breakEvenRecords()));
    });
    line("");
    line("| run | batches with rows | rows per batch (median) | batch s (median, min–max) | wall s | load at start |");
    line("| --- | --- | --- | --- | --- | --- |");
    r.fixedCost.forEach((stage, runs) -> {
      for (RunRecord run : runs) {
        List<BatchProgress> data = run.dataBatches();
        line("| " + stage + " " + run.label() + (run.ok() ? "" : " (failed)") + " | "
            + data.size() + " | " + Figure.of(data, x -> x.rows()).format("%,.0f").split(" ")[0]
            + " | " + Figure.of(data, BatchProgress::seconds).format("%.2f") + " | "
            + String.format(Locale.ROOT, "%.1f", run.wallSeconds()) + " | " + run.loadStart()
            + " |");
      }
    });
    line("");
  }

  static LinearFit fit(List<RunRecord> runs) {
    List<double[]> points = new ArrayList<>();
    for (RunRecord run : runs) {
      if (!run.ok()) {
        continue;
      }
      for (BatchProgress bp : BatchProgress.steadyBatches(run.batches())) {
        points.add(new double[] {bp.rows(), bp.seconds()});
      }
    }
    return LinearFit.of(points);
  }

  private void gold() {
    line("## Stage 3 against gold size");
    line("");
    if (r.gold.isEmpty() && r.goldGeneration.isEmpty()) {
      line("Not run in this invocation.");
      line("");
      return;
    }
    LadderConfig c = r.config;
    line(String.format(Locale.ROOT, "Gold built directly (`GoldGenJob`: stage 3's schema,"
        + " partitioning by reading date and change data feed) for a fleet of %,d sensors, one"
        + " row per sensor and day, so the larger gold holds more days. Each run merges one"
        + " %,d-row batch of later readings on gold's last day (every row an update, one"
        + " partition) with the stage 3 jar, availableNow. \"batch s\" is the micro-batch's"
        + " `triggerExecution`; the MERGE columns are Delta's `operationMetrics` of the commit"
        + " (median).", c.goldSensors(), c.goldBatchRows()));
    line("");
    for (RunRecord g : r.goldGeneration) {
      line(String.format(Locale.ROOT, "- generating %s: %.1f s%s", g.label(), g.wallSeconds(),
          g.ok() ? "" : " (failed: " + g.failure() + ")"));
    }
    line("");
    line("| gold rows | runs ok | batch s | wall s | target files removed | files added | rows updated | rows copied | MERGE executionTimeMs |");
    line("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (long rows : c.goldRows()) {
      List<Results.GoldRun> runs = r.gold.stream().filter(g -> g.goldRows() == rows).toList();
      List<Results.GoldRun> ok = runs.stream().filter(g -> g.run().ok()).toList();
      line(String.format(Locale.ROOT, "| %,d | %d/%d | %s | %s | %s | %s | %s | %s | %s |", rows,
          ok.size(), runs.size(), Targets.goldFigure(r, rows).format("%.1f"),
          Figure.of(ok, g -> g.run().wallSeconds()).format("%.1f"),
          metric(ok, "numTargetFilesRemoved"), metric(ok, "numTargetFilesAdded"),
          metric(ok, "numTargetRowsUpdated"), metric(ok, "numTargetRowsCopied"),
          metric(ok, "executionTimeMs")));
    }
    line("");
  }

  private static String metric(List<Results.GoldRun> runs, String key) {
    Figure f = Figure.of(runs, g -> {
      String v = g.mergeMetrics().get(key);
      return v == null ? Double.NaN : Double.parseDouble(v);
    });
    return f.isMeasured() ? String.format(Locale.ROOT, "%,.0f", f.median()) : "n/a";
  }

  private void memory() {
    line("## Memory");
    line("");
    if (r.memory.isEmpty()) {
      line("Not run in this invocation.");
      line("");
      return;
    }
    line("Each stage as its own driver with `-Xmx" + r.config.memoryDriverMemory() + "` and"
        + " `-XX:+ExitOnOutOfMemoryError`, availableNow over a backlog of "
        + fmt(r.memoryTopic != null ? r.memoryTopic.records() : r.config.memoryRecords())
        + " records (stage 2 on what stage 1 wrote, stage 3 on what stage 2 wrote). Peak heap ="
        + " the most heap occupied before any collection (`-Xlog:gc`); after GC = the most that"
        + " survived one (what the job kept alive, at most).");
    line("");
    line("| run | result | wall s | records/s | peak heap MiB | max after GC MiB | heap pool peaks MiB | GCs | full GC | peak RSS MiB | load at start |");
    line("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (RunRecord m : r.memory) {
      line(String.format(Locale.ROOT, "| %s %s | %s | %.1f | %s | %s | %s | %s | %d | %s | %s | %s |",
          m.step(), m.label(), m.ok() ? "ok" : m.failure(), m.wallSeconds(),
          m.ok() ? String.format(Locale.ROOT, "%,.0f", m.recordsPerSecond()) : "-",
          mib(m.gc().peakBeforeGcBytes()), mib(m.gc().peakAfterGcBytes()),
          mib(m.heapPoolPeaksBytes()), m.gc().collections(), m.gc().fullGc() ? "yes" : "no",
          mib(m.rssPeakBytes()), m.loadStart()));
    }
    line("");
  }

  private void freshness() {
    line("## Freshness");
    line("");
    if (r.freshness.isEmpty()) {
      line("Not run in this invocation.");
      line("");
      return;
    }
    line(String.format(Locale.ROOT, "Shape 1 (`AllInOneJob`, the three queries in one driver,"
        + " local[%d], `--trigger processingTime:1s`). A producer sends at a fixed rate for %d s"
        + " from a fleet of rate x 10 sensors, each reading stamped with its send time; latency"
        + " = the commit time of gold's first change showing the reading (or a newer one of its"
        + " key, from the change data feed) minus the send time. Records never visible count as"
        + " infinitely late (\"not reached\"). The target is judged on the steady state: the"
        + " records sent after the first %d s, the pipeline's warm-up on a cold JVM (JIT, first"
        + " plans). %s.", r.config.cores(), r.config.freshnessSeconds(),
        r.config.freshnessWarmupSeconds(), Targets.bestRate(r)));
    line("");
    line("| rate/s | runs ok | achieved rate/s | visible / produced | p50 s | p90 s | p99 s | max s"
        + " | steady: visible / sent | steady p50 s | steady p90 s | steady p99 s | load at start |");
    line("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (int rate : r.config.freshnessRates()) {
      List<Results.FreshnessRun> runs = r.freshness.stream().filter(f -> f.rate() == rate).toList();
      if (runs.isEmpty()) {
        continue;
      }
      List<Results.FreshnessRun> ok = runs.stream().filter(Results.FreshnessRun::ok).toList();
      line(String.format(Locale.ROOT,
          "| %,d | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", rate,
          ok.size(), runs.size(), Figure.of(ok, Results.FreshnessRun::achievedRate).format("%,.0f"),
          ok.stream().map(f -> f.report().getOrDefault("visible", 0L) + "/" + f.produced())
              .reduce((x, y) -> x + ", " + y).orElse("-"),
          quantile(ok, "p50_ms"), quantile(ok, "p90_ms"), quantile(ok, "p99_ms"),
          quantile(ok, "max_ms"),
          ok.stream().map(f -> f.report().getOrDefault("steady_visible", 0L) + "/"
              + f.report().getOrDefault("steady_produced", 0L))
              .reduce((x, y) -> x + ", " + y).orElse("-"),
          quantile(ok, "steady_p50_ms"), quantile(ok, "steady_p90_ms"),
          quantile(ok, "steady_p99_ms"),
          runs.stream().map(f -> f.pipeline().loadStart().split(" ")[0])
              .reduce((x, y) -> x + ", " + y).orElse("-")));
    }
    line("");
  }

  private static String quantile(List<Results.FreshnessRun> runs, String key) {
    if (runs.isEmpty()) {
      return "-";
    }
    Figure f = Figure.of(runs, x -> x.seconds(key));
    if (f.runs() < runs.size()) {
      return (f.isMeasured() ? f.format("%.1f") + ", " : "") + (runs.size() - f.runs())
          + " run(s) not reached";
    }
    return f.format("%.1f");
  }

  private void profiles(List<Targets.Target> targets) {
    line("## Profiles of the targets not met");
    line("");
    List<Targets.Target> missed = targets.stream()
        .filter(t -> t.status() == Targets.Status.NOT_MET).toList();
    if (missed.isEmpty()) {
      line("Every measured target was met.");
      line("");
      return;
    }
    for (Targets.Target t : missed) {
      line("### " + t.name());
      line("");
      if (t.profiled().isEmpty()) {
        line("No successful run to profile.");
        line("");
        continue;
      }
      for (RunRecord run : t.profiled()) {
        profile(run);
      }
    }
  }

  private void profile(RunRecord run) {
    line("Run `" + run.step() + " " + run.label() + "` (" + (run.ok() ? "ok" : run.failure())
        + String.format(Locale.ROOT, ", %.1f s wall, %.1f s CPU", run.wallSeconds(),
            run.cpuSeconds()) + "; files in `" + rel(run.dir()) + "`).");
    line("");
    if (!run.batches().isEmpty()) {
      Map<String, Double> share = phaseShare(List.of(run));
      double batches = run.batches().stream().mapToDouble(BatchProgress::seconds).sum();
      StringBuilder s = new StringBuilder();
      share.forEach((k, v) -> s.append(s.length() == 0 ? "" : ", ")
          .append(String.format(Locale.ROOT, "%s %.0f%%", k, v * 100)));
      line(String.format(Locale.ROOT, "Spark's metrics: %d micro-batches took %.1f s of the"
          + " %.1f s wall (%.1f s outside batches: start-up, query start and stop); of the batch"
          + " time: %s.", run.batches().size(), batches, run.wallSeconds(),
          run.wallSeconds() - batches, s));
      line("");
    }
    if (!run.threadCpuSeconds().isEmpty()) {
      line(threadCpu(run));
      line("");
    }
    if (!run.hasJfr()) {
      line("No flight recording (run with JFR on to get one).");
      line("");
      return;
    }
    JfrSummary jfr;
    try {
      jfr = JfrSummary.read(run.jfr(), 15);
    } catch (IOException | RuntimeException e) {
      line("Cannot read the flight recording " + rel(run.jfr()) + ": " + e);
      line("");
      return;
    }
    line(String.format(Locale.ROOT, "JDK Flight Recorder (`%s`): %,d execution samples (Java"
        + " threads on CPU); %d collections paused %.1f s in total.", rel(run.jfr()),
        jfr.samples(), jfr.gcCount(), jfr.gcPauses().toMillis() / 1000.0));
    line("");
    line("| component (anywhere on the stack) | share of samples |");
    line("| --- | --- |");
    jfr.components().forEach((k, v) -> line(String.format(Locale.ROOT, "| %s | %.0f%% |", k,
        100.0 * v / Math.max(1, jfr.samples()))));
    line("");
    line("| top frame (self time) | share of samples |");
    line("| --- | --- |");
    jfr.topMethods().forEach((k, v) -> line(String.format(Locale.ROOT, "| `%s` | %.1f%% |", k,
        100.0 * v / Math.max(1, jfr.samples()))));
    line("");
    line("| thread | share of samples |");
    line("| --- | --- |");
    jfr.threads().forEach((k, v) -> line(String.format(Locale.ROOT, "| %s | %.0f%% |", k,
        100.0 * v / Math.max(1, jfr.samples()))));
    line("");
  }

  /** The CPU of the threads alive at exit, largest first, and what ended threads used. */
  static String threadCpu(RunRecord run) {
    double live = run.threadCpuSeconds().values().stream().mapToDouble(Double::doubleValue).sum();
    StringBuilder s = new StringBuilder();
    run.threadCpuSeconds().entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(8)
        .forEach(e -> s.append(s.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT,
            "`%s` %.1f s (%.0f%%)", e.getKey(), e.getValue(),
            100 * e.getValue() / Math.max(1e-9, run.cpuSeconds()))));
    return String.format(Locale.ROOT, "CPU by thread (`/proc/self/task` at exit; digits as N;"
        + " JIT compiler and GC threads included, which the execution samples below do not see):"
        + " %s; threads that ended before the exit: %.1f s (%.0f%%).", s,
        Math.max(0, run.cpuSeconds() - live),
        100 * Math.max(0, run.cpuSeconds() - live) / Math.max(1e-9, run.cpuSeconds()));
  }

  private void failures() {
    line("## Failures and notes");
    line("");
    List<RunRecord> all = new ArrayList<>();
    r.throughput.values().forEach(all::addAll);
    all.addAll(r.preparation);
    r.fixedCost.values().forEach(all::addAll);
    all.addAll(r.goldGeneration);
    r.gold.forEach(g -> all.add(g.run()));
    all.addAll(r.memory);
    List<RunRecord> failed = all.stream().filter(x -> !x.ok()).toList();
    for (RunRecord p : r.preparation) {
      line(String.format(Locale.ROOT, "- preparation `%s`: %.1f s%s (its lake is the input of"
          + " the steps after it; not a figure)", p.step(), p.wallSeconds(),
          p.ok() ? "" : ", failed: " + p.failure()));
    }
    for (RunRecord f : failed) {
      line("- `" + f.step() + " " + f.label() + "` failed: " + f.failure()
          + (f.log() == null ? "" : " (log `" + rel(f.log()) + "`)"));
    }
    for (Results.FreshnessRun f : r.freshness) {
      if (!f.ok()) {
        line("- `freshness " + f.rate() + "/s round " + f.round() + "` failed: " + f.failure());
      }
    }
    for (String n : r.notes) {
      line("- " + n);
    }
    if (failed.isEmpty() && r.notes.isEmpty() && r.preparation.isEmpty()
        && r.freshness.stream().allMatch(Results.FreshnessRun::ok)) {
      line("No run failed.");
    }
    line("- Logs, GC logs, progress events and flight recordings of every run: `"
        + rel(r.config.work()) + "/<step>/<run>/`.");
    line("");
  }

  private String rel(Path p) {
    if (p == null) {
      return "-";
    }
    Path root = r.config.root().toAbsolutePath();
    Path abs = p.toAbsolutePath();
    return abs.startsWith(root) ? root.relativize(abs).toString() : abs.toString();
  }

  private static String loads(List<RunRecord> runs) {
    return runs.stream().map(x -> x.loadStart().split(" ")[0]).reduce((x, y) -> x + ", " + y)
        .orElse("-");
  }

  private static String mib(long bytes) {
    return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%,d", bytes >> 20);
  }

  private static String fmt(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private void line(String s) {
    b.append(s).append('\n');
  }

  /** Versions of the pieces, from the jar names on the classpath and in the build's folders. */
  static final class Versions {
    private static final Pattern[] PATTERNS = {
        Pattern.compile("spark-core_([0-9.]+)-([0-9][^/]*)\\.jar"),
        Pattern.compile("delta-spark_[0-9.]+-([0-9][^/]*)\\.jar"),
        Pattern.compile("kafka-clients-([0-9][^/]*)\\.jar"),
        Pattern.compile("avro-([0-9][^/]*)\\.jar"),
        Pattern.compile("scala-library-([0-9][^/]*)\\.jar")};
    private static final String[] NAMES = {"Spark", "Delta", "Kafka clients", "Avro", "Scala"};

    private Versions() {}

    static Map<String, String> find(Path root) {
      Map<String, String> out = new LinkedHashMap<>();
      String cp = System.getProperty("java.class.path", "");
      for (int i = 0; i < PATTERNS.length; i++) {
        Matcher m = PATTERNS[i].matcher(cp);
        if (m.find()) {
          out.put(NAMES[i], m.group(m.groupCount()));
        }
      }
      try (var files = Files.list(root.resolve("kafka-broker/target/lib"))) {
        files.map(p -> p.getFileName().toString()).filter(n -> n.matches("kafka_[0-9.]+-.*\\.jar"))
            .findFirst().ifPresent(n -> out.put("Kafka broker (forked KRaft)",
                n.replaceAll("kafka_[0-9.]+-(.*)\\.jar", "$1")));
      } catch (IOException e) {
        out.put("Kafka broker (forked KRaft)", "n/a");
      }
      out.put("Java", Machine.java());
      out.put("StreamLake", "this commit: " + GitHead.describe(root));
      return out;
    }
  }

  /** The checked-out commit, and whether the work tree had changes. */
  static final class GitHead {
    private GitHead() {}

    static String describe(Path root) {
      String sha = git(root, "rev-parse", "--short=12", "HEAD").trim();
      String branch = git(root, "rev-parse", "--abbrev-ref", "HEAD").trim();
      String dirty = git(root, "status", "--porcelain", "--untracked-files=no").trim();
      if (sha.isEmpty()) {
        return "n/a";
      }
      return branch + " " + sha + (dirty.isEmpty() ? "" : " + uncommitted changes");
    }

    private static String git(Path root, String... args) {
      List<String> cmd = new ArrayList<>(List.of("git", "-C", root.toString()));
      cmd.addAll(List.of(args));
      try {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor() == 0 ? out : "";
      } catch (IOException e) {
        return "";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "";
      }
    }
  }
}
