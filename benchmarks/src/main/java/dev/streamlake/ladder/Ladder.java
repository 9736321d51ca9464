package dev.streamlake.ladder;

import dev.streamlake.local.ForkedKafkaBroker;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The performance ladder: one command that measures the limits, the anchors a user would write
 * instead, and the product's three stages on the same data, side by side, and writes a results
 * file with every figure and a verdict per target. See benchmarks/README.md.
 *
 * <p>Lifecycle only: the steps live in {@link ThroughputSteps}, {@link FixedCostStep},
 * {@link GoldScaleStep}, {@link MemoryStep} and {@link FreshnessStep}; the file in
 * {@link ResultsWriter}.
 */
@Command(
    name = "ladder",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Measures the StreamLake performance ladder and writes a results file.")
public final class Ladder implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(Ladder.class);

  /** System property scripts/ladder.sh sets to the command it was called with. */
  static final String COMMAND_PROPERTY = "streamlake.ladder.command";

  static final long DEFAULT_RECORDS = 5_000_000;
  static final long QUICK_RECORDS = 200_000;

  @Option(names = "--records", description = "Records in the topic every throughput step reads."
      + " Default 5,000,000 (--quick: 200,000).")
  Long records;

  @Option(names = "--quick", description = "Smaller defaults for a first look: 200,000 records,"
      + " the memory step on that backlog, freshness at 1,000 and 5,000/s for 60 s.")
  boolean quick;

  @Option(names = "--partitions", description = "Partitions of the topic. Default 4.")
  int partitions = 4;

  @Option(names = "--runs", description = "Runs per figure (the median is reported). Default 3.")
  int runs = 3;

  @Option(names = "--out", description = "Results file. Default benchmarks/ladder-results.md.")
  Path out;

  @Option(names = "--steps", description = "Comma-separated steps, or all (default): drain,"
      + " decode, batch-write, copy, textbook, textbook-polls, monolith, stage1, stage2, stage3,"
      + " fixed-cost, gold-scale, memory, freshness.")
  String steps = "all";

  @Option(names = "--work", description = "Folder for lakes, logs and recordings."
      + " Default benchmarks/target/ladder (emptied first).")
  Path work;

  @Option(names = "--repo", description = "The checkout. Default: found above the working folder.")
  Path repo;

  @Option(names = "--cores", description = "Spark's local[N]. Default: the machine's cores.")
  Integer cores;

  @Option(names = "--driver-memory", description = "-Xmx of every Spark step. Default 2g.")
  String driverMemory = "2g";

  @Option(names = "--memory-driver-memory", description = "-Xmx of the memory step. Default 1g.")
  String memoryDriverMemory = "1g";

  @Option(names = "--memory-records", description = "Backlog of the memory step (its own topic"
      + " when larger than --records). Default 10,000,000 (--quick: --records).")
  Long memoryRecords;

  @Option(names = "--memory-runs", description = "Runs of the memory step. Default 1.")
  int memoryRuns = 1;

  @Option(names = "--fixed-cost-records", description = "Records per fixed-cost run."
      + " Default 400,000 or --records if fewer.")
  Long fixedCostRecords;

  @Option(names = "--gold-rows", description = "The two gold sizes. Default 1000000,10000000.")
  String goldRows = "1000000,10000000";

  @Option(names = "--gold-sensors", description = "Sensors (rows per day) of generated gold."
      + " Default 100,000.")
  int goldSensors = 100_000;

  @Option(names = "--gold-batch-rows", description = "Rows of the batch merged into gold."
      + " Default 100,000.")
  int goldBatchRows = 100_000;

  @Option(names = "--freshness-rates", description = "Producer rates, records/s."
      + " Default 1000,5000,10000,20000 (--quick: 1000,5000).")
  String freshnessRates;

  @Option(names = "--freshness-seconds", description = "How long the producer sends per rate."
      + " Default 480 (--quick: 60).")
  Integer freshnessSeconds;

  @Option(names = "--freshness-warmup-seconds", description = "The first seconds of sending"
      + " that are the pipeline's warm-up (JIT, first plans): their records count in the"
      + " all-records figures, not in the steady-state ones the target is judged on."
      + " Default 300 (--quick: 20): a cold driver's JIT takes about five minutes to settle on"
      + " two cores.")
  Integer freshnessWarmupSeconds;

  @Option(names = "--seed", description = "Generator seed. Default 42.")
  long seed = 42;

  @Option(names = "--broken-pct", description = "Percent of broken records. Default 1.")
  double brokenPct = 1.0;

  @Option(names = "--sensors", description = "Distinct sensors in the topic. Default 10,000.")
  int sensors = 10_000;

  @Option(names = "--days", description = "Distinct reading days in the topic. Default 30.")
  int days = 30;

  @Option(names = "--no-jfr", description = "No flight recordings (they cost ~1% and give the"
      + " profiles of targets not met).")
  boolean noJfr;

  @Option(names = "--child-jvm-flags", description = "Extra JVM flags of every Spark step,"
      + " space-separated, e.g. \"-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m\" for a"
      + " faster smoke run (the client compiler alone reserves a 48 MiB code cache, which a driver"
      + " running three queries fills). Default none: the JVM's defaults, as spark-submit gives a"
      + " driver.")
  String childJvmFlags = "";

  @Option(names = "--step-timeout", description = "Seconds one Spark step may take."
      + " Default max(1800, 3 s per 1,000 records).")
  Long stepTimeout;

  private String[] args = new String[0];

  public static void main(String[] args) {
    Ladder ladder = new Ladder();
    ladder.args = args;
    System.exit(new CommandLine(ladder).execute(args));
  }

  @Override
  public Integer call() throws IOException {
    LadderConfig config;
    try {
      config = toConfig();
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("ladder: " + e.getMessage());
      return 2;
    }
    Results results = run(config);
    System.out.println("Results: " + config.out());
    return results.stoppedEarly ? 1 : 0;
  }

  LadderConfig toConfig() {
    Path root = repo != null ? repo.toAbsolutePath() : Workspace.findRoot(Paths.get(""));
    long n = records != null ? records : quick ? QUICK_RECORDS : DEFAULT_RECORDS;
    long memory = memoryRecords != null ? memoryRecords : quick ? n : 10_000_000L;
    long timeout = stepTimeout != null ? stepTimeout : Math.max(1800, 3 * Math.max(n, memory) / 1000);
    String command = System.getProperty(COMMAND_PROPERTY);
    List<String> commandLine = command != null && !command.isBlank() ? List.of(command)
        : concat("java ... " + Ladder.class.getName(), args);
    Set<Step> selected = Step.parse(steps);
    return new LadderConfig(
        n, quick, partitions, runs,
        (out != null ? out : root.resolve("benchmarks/ladder-results.md")).toAbsolutePath(),
        (work != null ? work : root.resolve("benchmarks/target/ladder")).toAbsolutePath(),
        root, selected.isEmpty() ? EnumSet.allOf(Step.class) : selected,
        cores != null ? cores : Machine.cores(), driverMemory, memoryDriverMemory, memory,
        memoryRuns, fixedCostRecords != null ? fixedCostRecords : Math.min(n, 400_000),
        longs("--gold-rows", goldRows), goldSensors, goldBatchRows,
        longs("--freshness-rates", freshnessRates != null ? freshnessRates
            : quick ? "1000,5000" : "1000,5000,10000,20000").stream().map(Long::intValue).toList(),
        freshnessSeconds != null ? freshnessSeconds : quick ? 60 : 480,
        freshnessWarmupSeconds != null ? freshnessWarmupSeconds : quick ? 20 : 300,
        seed, brokenPct, sensors, days, !noJfr,
        childJvmFlags.isBlank() ? List.of() : List.of(childJvmFlags.trim().split("\\s+")),
        timeout, commandLine);
  }

  /** Runs the selected steps and writes the results file, also when a step throws. */
  static Results run(LadderConfig config) throws IOException {
    Workspace workspace = new Workspace(config.root(), config.work());
    workspace.reset();
    if (System.getProperty(ForkedKafkaBroker.LIB_PROPERTY) == null) {
      System.setProperty(ForkedKafkaBroker.LIB_PROPERTY, workspace.repository().kafkaBrokerLib().toString());
    }
    workspace.repository().sparkHome();
    Results results = new Results(config);
    SparkSubmit submit = new SparkSubmit(workspace, config.cores(), config.jfr(),
        config.childJvmFlags());
    results.sparkConfs = submit.confs();
    results.jvmFlags = submit.jvmFlags();
    LOG.info("Ladder: {} records, {} runs, steps {}; results to {}", config.records(),
        config.runs(), config.steps(), config.out());
    try (ForkedKafkaBroker broker = ForkedKafkaBroker.start()) {
      // Ctrl-C or SIGTERM skips the try's close: stop the broker (and delete its data) anyway.
      Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "ladder-kafka-stop"));
      StepRunner runner = new StepRunner(config, workspace, submit, broker.bootstrapServers());
      String topic = "ladder";
      results.mainTopic = TopicData.produce(broker.bootstrapServers(), spec(config, topic,
          config.records()));
      if (config.steps().stream().anyMatch(s -> s.ordinal() <= Step.STAGE3.ordinal())) {
        new ThroughputSteps(runner, results, topic, config.records()).run();
        save(results);
      }
      if (config.runs(Step.FIXED_COST)) {
        new FixedCostStep(runner, results, topic).run();
        save(results);
      }
      if (config.runs(Step.GOLD_SCALE)) {
        new GoldScaleStep(runner, results).run();
        save(results);
      }
      if (config.runs(Step.MEMORY)) {
        String memoryTopic = topic;
        if (config.memoryRecords() > config.records()) {
          memoryTopic = "ladder-memory";
          results.memoryTopic = TopicData.produce(broker.bootstrapServers(),
              spec(config, memoryTopic, config.memoryRecords()));
        } else {
          results.memoryTopic = results.mainTopic;
        }
        new MemoryStep(runner, results, memoryTopic, results.memoryTopic.records()).run();
        save(results);
      }
      if (config.runs(Step.FRESHNESS)) {
        new FreshnessStep(runner, results).run();
      }
    } catch (RuntimeException e) {
      LOG.error("Ladder stopped early: {}", e.toString(), e);
      results.stoppedEarly = true;
      results.notes.add("The ladder stopped early: " + e);
    } finally {
      save(results);
    }
    return results;
  }

  private static void save(Results results) throws IOException {
    results.finishedAt = Instant.now();
    results.loadAtEnd = Machine.loadAverage();
    ResultsWriter.write(results, results.config.out());
  }

  private static TopicData.Spec spec(LadderConfig c, String topic, long records) {
    return new TopicData.Spec(topic, c.partitions(), records, c.seed(), c.brokenPct(),
        c.sensors(), c.days());
  }

  private static List<Long> longs(String option, String list) {
    List<Long> out = new ArrayList<>();
    for (String part : list.split(",")) {
      try {
        out.add(Long.parseLong(part.trim().replace("_", "")));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "Invalid value for %s: '%s'. Allowed: comma-separated whole numbers", option, list));
      }
    }
    return out;
  }

  private static List<String> concat(String first, String[] rest) {
    List<String> out = new ArrayList<>();
    out.add(first);
    out.addAll(Arrays.asList(rest));
    return out;
  }
}
