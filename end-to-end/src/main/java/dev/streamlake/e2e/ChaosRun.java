package dev.streamlake.e2e;

import dev.streamlake.common.BatchMetricsListener;
import dev.streamlake.common.CheckpointLog;
import dev.streamlake.common.LakeLayout;
import dev.streamlake.common.Stage;
import dev.streamlake.common.TableRef;
import dev.streamlake.local.ForkedKafkaBroker;
import dev.streamlake.local.HaltingLogStore;
import dev.streamlake.local.Repository;
import dev.streamlake.local.StageModule;
import dev.streamlake.local.StageProcess;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The chaos run: the three stages as separate drivers with short triggers while a producer writes
 * a known stream of sensor readings (valid ones and a share of bad ones), and meanwhile
 * <ul>
 *   <li>kill -9 of a stage at a random moment, every stage in turn in a shuffled order; every
 *       third kill lands inside a commit: the stage halts right after a Delta commit and before
 *       its checkpoint records the batch ({@link HaltingLogStore});</li>
 *   <li>the broker stopped once, half-way, and started again on the same port and data;</li>
 *   <li>OPTIMIZE of raw, bronze and gold now and then, from another session, as an operator
 *       would.</li>
 * </ul>
 * A stage that dies of anything else is restarted too, and counted: the run fails on it. At the end
 * the stages catch up and the run checks raw against what Kafka acknowledged, raw against
 * bronze + dead_letter, bronze, dead_letter and gold against what the records must become, and
 * runs the {@code audit} command.
 */
public final class ChaosRun {
  static final String TOPIC = "sensor-readings";
  private static final List<StageModule> STAGES =
      List.of(StageModule.RAW_INGEST, StageModule.DESERIALIZE, StageModule.MERGE);

  /** What a run does; {@link #quick()} for the default suite, {@link #full()} for the profile. */
  public record Settings(String name, long seed, int kills, Duration minGap, Duration maxGap,
      Duration minOutage, Duration maxOutage, int optimizeEvery, int recordsPerSecond,
      int partitions, String trigger, Duration armTimeout, Duration catchUpTimeout) {

    public Settings {
      if (kills < 3) {
        throw new IllegalArgumentException("at least 3 kills, one per stage, not " + kills);
      }
    }

    /** A few kills (two inside a commit), a short outage, a few thousand records. */
    public static Settings quick() {
      return new Settings("quick", 11L, 6, Duration.ofSeconds(6), Duration.ofSeconds(12),
          Duration.ofSeconds(12), Duration.ofSeconds(12), 3, 40, 3, "processingTime:2s",
          Duration.ofMinutes(3), Duration.ofMinutes(6));
    }

    /** At least 20 kills, every stage several times and inside a commit; a 30-60 s outage. */
    public static Settings full() {
      return new Settings("full", 20_261_130L, 24, Duration.ofSeconds(10), Duration.ofSeconds(40),
          Duration.ofSeconds(30), Duration.ofSeconds(60), 4, 200, 4, "processingTime:2s",
          Duration.ofMinutes(3), Duration.ofMinutes(15));
    }

    /** {@code streamlake.chaos.mode} (quick or full) and {@code streamlake.chaos.seed}. */
    public static Settings fromSystemProperties() {
      String mode = System.getProperty("streamlake.chaos.mode", "quick");
      Settings s = switch (mode) {
        case "quick" -> quick();
        case "full" -> full();
        default -> throw new IllegalArgumentException(
            "streamlake.chaos.mode must be quick or full, not '" + mode + "'");
      };
      String seed = System.getProperty("streamlake.chaos.seed");
      return seed == null || seed.isBlank() ? s : s.withSeed(Long.parseLong(seed.trim()));
    }

    public Settings withSeed(long newSeed) {
      return new Settings(name, newSeed, kills, minGap, maxGap, minOutage, maxOutage, optimizeEvery,
          recordsPerSecond, partitions, trigger, armTimeout, catchUpTimeout);
    }

    /** Enough samples for the run's longest plausible fault phase at its rate. */
    int sampleCapacity() {
      long seconds = kills * (maxGap.toSeconds() + 40) + maxOutage.toSeconds() + 120;
      return (int) Math.max(1_000, seconds * recordsPerSecond);
    }
  }

  /** One kill: of which stage, how, and what it hit. */
  public record Kill(int number, Instant at, StageModule stage, boolean armed,
      boolean insideCommit, String committed, String checkpoint, String note) {}

  /** The broker outage: how long, and how stage 1 took it. */
  public record Outage(Instant start, Duration length, Duration stageOneResumedAfter,
      int stageOneWarnings, List<String> stageOneSample) {}

  /** One end check. */
  public record Check(String name, boolean passed, String detail) {}

  /** Everything a run measured; {@link ChaosResults} writes it down. */
  public record Result(Settings settings, Instant start, Duration total, int produced,
      Map<String, Long> producedByKind, List<Kill> kills, Outage outage, int optimizeRuns,
      List<String> optimizeFailures, int mergeConflictRetries, Duration producerStalled,
      List<String> unplannedExits, Map<StageModule, Integer> starts, Duration catchUp,
      List<Check> checks, String auditReport) {

    public boolean passed() {
      return checks.stream().allMatch(Check::passed);
    }

    public Map<StageModule, Long> killsPerStage() {
      Map<StageModule, Long> m = new EnumMap<>(StageModule.class);
      STAGES.forEach(s -> m.put(s, kills.stream().filter(k -> k.stage() == s).count()));
      return m;
    }

    public long insideCommitKills() {
      return kills.stream().filter(Kill::insideCommit).count();
    }
  }

  private final Repository repo;
  private final SparkSession spark;
  private final Settings settings;
  private final Path dir;
  private final PrintStream out;
  private final Random random;
  private final Path lake;
  private final Path runDir;
  private final Path faultDir;
  private final PipelineReport report;
  private final Map<StageModule, StageProcess> stages = new EnumMap<>(StageModule.class);
  /** Stages the fault loop is killing or restarting, which the watchdog leaves alone. */
  private final Set<StageModule> held = new HashSet<>();
  private final List<String> unplannedExits = Collections.synchronizedList(new ArrayList<>());
  private final List<Kill> kills = new ArrayList<>();
  private final List<String> optimizeFailures = new ArrayList<>();
  private int optimizeRuns;
  private Outage outage;
  private ForkedKafkaBroker broker;
  private long t0;

  private ChaosRun(Repository repo, SparkSession spark, Settings settings, Path dir, PrintStream out) {
    this.repo = repo;
    this.spark = spark;
    this.settings = settings;
    this.dir = dir;
    this.out = out;
    this.random = new Random(settings.seed());
    this.lake = dir.resolve("lake");
    this.runDir = dir.resolve("run");
    this.faultDir = dir.resolve("faults");
    this.report = new PipelineReport(spark, lake);
  }

  /** Runs the chaos run in {@code dir} (lake, logs, broker data) and returns what it measured. */
  public static Result run(Repository repo, SparkSession spark, Settings settings, Path dir,
      PrintStream out) throws Exception {
    return new ChaosRun(repo, spark, settings, dir, out).run();
  }

  private Result run() throws Exception {
    Instant start = Instant.now();
    t0 = System.nanoTime();
    Files.createDirectories(faultDir);
    if (System.getProperty(ForkedKafkaBroker.LIB_PROPERTY) == null) {
      System.setProperty(ForkedKafkaBroker.LIB_PROPERTY, repo.kafkaBrokerLib().toString());
    }
    Path brokerDir = dir.resolve("kafka");
    broker = ForkedKafkaBroker.start(0, brokerDir);
    int port = broker.port();
    String bootstrap = broker.bootstrapServers();
    Demo.createTopic(bootstrap, TOPIC, settings.partitions());

    SampleReadings samples = SampleReadings.generate(settings.sampleCapacity(), settings.seed());
    ChaosProducer producer = new ChaosProducer(bootstrap, TOPIC, samples, settings.recordsPerSecond());
    Thread producerThread = new Thread(producer, "chaos-producer");
    ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "chaos-watchdog");
      t.setDaemon(true);
      return t;
    });
    String auditReport = "";
    Duration catchUp = null;
    List<Check> checks = new ArrayList<>();
    Map<StageModule, Integer> starts = new EnumMap<>(StageModule.class);
    int produced;
    try {
      for (StageModule stage : STAGES) {
        stages.put(stage, StageProcess.start(repo, stage, stageArgs(stage, bootstrap), runDir,
            List.of("-Dspark.delta.logStore.file.impl=" + HaltingLogStore.class.getName(),
                "-D" + HaltingLogStore.ARM_FILE_PROPERTY + "=" + armFile(stage))));
      }
      producerThread.start();
      watchdog.scheduleWithFixedDelay(this::restartUnplannedExits, 2, 2, TimeUnit.SECONDS);
      awaitFirstGold();

      List<StageModule> victims = victims();
      int outageBefore = settings.kills() / 2;
      for (int i = 0; i < settings.kills(); i++) {
        if (i == outageBefore) {
          outage = brokerOutage(brokerDir, port);
        }
        if (settings.optimizeEvery() > 0 && i > 0 && i % settings.optimizeEvery() == 0) {
          optimize();
        }
        sleep(between(settings.minGap(), settings.maxGap()));
        StageModule victim = victims.get(i);
        // Every third kill is inside a commit; the victim's place in its round varies, so each
        // stage gets both kinds over a full run.
        boolean insideCommit = i % 3 == 1;
        kills.add(kill(i + 1, victim, insideCommit));
      }
      producer.requestStop();
      producerThread.join(TimeUnit.MINUTES.toMillis(6));
      if (producer.failure() != null) {
        throw new IllegalStateException("The producer failed: " + producer.failure(), producer.failure());
      }
      produced = producer.sent();
      SampleReadings expected = samples.prefix(produced);
      log("faults over; %d records produced; waiting for the stages to catch up", produced);

      PipelineReport.Timings timings = new PipelineReport.Timings(Instant.now());
      PipelineReport.Progress done = report.awaitCaughtUp(expected, timings, settings.catchUpTimeout(),
          () -> true, p -> log("%s", p.caughtUp() ? "caught up" : p.missing()));
      catchUp = done.caughtUp() ? timings.gold() : null;
      watchdog.shutdownNow();
      watchdog.awaitTermination(1, TimeUnit.MINUTES);
      for (StageModule stage : STAGES) {
        starts.put(stage, stages.get(stage).starts());
      }
      checks.addAll(tableChecks(expected, producer, done));
      for (StageProcess s : stages.values()) {
        s.stop();
      }
      StageProcess.Run audit = StageProcess.runToEnd(repo, StageModule.OPS, List.of("audit",
          "--lake", lake.toString(), "--bootstrap-servers", bootstrap), runDir, "audit",
          Duration.ofMinutes(5));
      auditReport = audit.stdout();
      checks.add(new Check("audit finds no violation", audit.exitCode() == 0,
          "exit " + audit.exitCode() + "; " + firstLine(audit.stdout())));
      checks.add(new Check("no stage died but by a planned kill", unplannedExits.isEmpty(),
          unplannedExits.isEmpty() ? "none" : String.join(" | ", unplannedExits)));
      checks.add(new Check("every planned kill happened", kills.size() == settings.kills(),
          kills.size() + " of " + settings.kills()));
    } finally {
      producer.requestStop();
      watchdog.shutdownNow();
      for (StageProcess s : stages.values()) {
        s.stop();
      }
      producerThread.join(TimeUnit.MINUTES.toMillis(1));
      broker.close();
    }
    Map<String, Long> byKind = new LinkedHashMap<>();
    samples.prefix(produced).countsByKind().forEach((k, v) -> byKind.put(k.name(), v));
    return new Result(settings, start, Duration.ofNanos(System.nanoTime() - t0), produced, byKind,
        List.copyOf(kills), outage, optimizeRuns, List.copyOf(optimizeFailures),
        countLines(stages.get(StageModule.MERGE).logFile(), "conflicted with"), producer.stalled(),
        List.copyOf(unplannedExits), starts, catchUp, checks, auditReport);
  }

  private List<String> stageArgs(StageModule stage, String bootstrap) {
    List<String> args = new ArrayList<>(List.of("--lake", lake.toString(), "--trigger", settings.trigger()));
    if (stage == StageModule.RAW_INGEST) {
      args.addAll(List.of("--bootstrap-servers", bootstrap, "--topic", TOPIC));
    }
    return args;
  }

  private Path armFile(StageModule stage) {
    return faultDir.resolve("halt-" + stage.module()).toAbsolutePath();
  }

  /** The kill order: rounds of the three stages, each round shuffled. */
  private List<StageModule> victims() {
    List<StageModule> order = new ArrayList<>();
    while (order.size() < settings.kills()) {
      List<StageModule> round = new ArrayList<>(STAGES);
      Collections.shuffle(round, random);
      order.addAll(round);
    }
    return order.subList(0, settings.kills());
  }

  private void awaitFirstGold() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (report.counts().gold() == 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("No gold row within 5 minutes of the start; logs in " + runDir);
      }
      Thread.sleep(2_000);
    }
    log("all three stages have written; faults begin");
  }

  private Kill kill(int number, StageModule stage, boolean insideCommit) throws Exception {
    StageProcess process = stages.get(stage);
    synchronized (held) {
      held.add(stage);
    }
    try {
      Instant at = Instant.now();
      Kill kill;
      if (insideCommit) {
        kill = haltInsideCommit(number, at, stage, process);
      } else {
        process.kill();
        kill = new Kill(number, at, stage, false, false, null, null, "SIGKILL");
      }
      log("kill %d: %s, %s", number, stage.module(),
          kill.insideCommit() ? "inside a commit, after " + kill.committed() + " (" + kill.checkpoint() + ")"
              : kill.note());
      sleep(between(Duration.ZERO, Duration.ofSeconds(3)));
      process.restart();
      return kill;
    } finally {
      synchronized (held) {
        held.remove(stage);
      }
    }
  }

  private Kill haltInsideCommit(int number, Instant at, StageModule stage, StageProcess process)
      throws IOException, InterruptedException {
    Path arm = armFile(stage);
    Path halted = arm.resolveSibling(arm.getFileName() + ".halted");
    Files.deleteIfExists(halted);
    // Stage 2 commits bronze and then dead_letter in a batch: letting one commit pass sometimes
    // lands the halt between the two.
    int pass = stage == StageModule.DESERIALIZE ? random.nextInt(2) : 0;
    Path tmp = arm.resolveSibling(arm.getFileName() + ".tmp");
    Files.writeString(tmp, Integer.toString(pass), StandardCharsets.UTF_8);
    Files.move(tmp, arm, StandardCopyOption.ATOMIC_MOVE);
    long deadline = System.nanoTime() + settings.armTimeout().toNanos();
    while (process.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    Files.deleteIfExists(arm);
    if (!Files.exists(halted)) {
      Integer died = process.exitCode();
      process.kill();
      if (died != null) {
        unplannedExits.add(String.format("+%ds %s exited with %s while armed to halt", elapsedSeconds(),
            stage.module(), died));
        return new Kill(number, at, stage, true, false, null, null, "died before the halt: exit " + died);
      }
      return new Kill(number, at, stage, true, false, null, null,
          "SIGKILL: no commit within " + settings.armTimeout().toSeconds() + " s of arming the halt");
    }
    // Normally gone already; if the halt is under way, this only makes it sooner.
    process.kill();
    String committed = Files.readString(halted, StandardCharsets.UTF_8).trim();
    Files.delete(halted);
    String checkpoint = checkpointState(stage);
    return new Kill(number, at, stage, true, checkpoint.startsWith("batch"),
        describeCommit(committed), checkpoint, "halted with exit " + process.exitCode());
  }

  /** Whether the checkpoint lacks the commit of its newest planned batch: the halt's window. */
  private String checkpointState(StageModule stage) throws IOException {
    Stage s = Stage.valueOf(stage.name());
    String checkpoint = report.layout().checkpoint(s, s.query());
    long planned = newestPlannedBatch(Path.of(checkpoint, "offsets"));
    long committed = CheckpointLog.newestCommitted(checkpoint).map(CheckpointLog.Committed::batch).orElse(-1L);
    return planned > committed
        ? "batch " + planned + " planned, checkpoint committed through " + committed
        : "checkpoint committed through its newest batch " + committed + " (not inside a commit)";
  }

  private static long newestPlannedBatch(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      return -1;
    }
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+"))
          .mapToLong(Long::parseLong).max().orElse(-1);
    }
  }

  /** {@code raw@v12} for {@code <lake>/raw/<pipeline>/_delta_log/00000000000000000012.json}. */
  private String describeCommit(String committedFile) {
    Path file = Path.of(committedFile.replaceFirst("^file:", ""));
    Path table = file.getParent().getParent();
    String name = lake.toAbsolutePath().relativize(table.toAbsolutePath()).toString();
    long version = Long.parseLong(file.getFileName().toString().replace(".json", ""));
    return name + "@v" + version;
  }

  /** The broker stopped (clean shutdown) for a random 30-60 s and started on the same port and data. */
  private Outage brokerOutage(Path brokerDir, int port) throws Exception {
    Duration length = between(settings.minOutage(), settings.maxOutage());
    StageProcess ingest = stages.get(StageModule.RAW_INGEST);
    long logFrom = Files.size(ingest.logFile());
    Instant start = Instant.now();
    log("broker outage of %d s begins", length.toSeconds());
    broker.close();
    sleep(length);
    TableRef raw = report.layout().raw();
    long rawBefore = BatchMetricsListener.newestVersion(spark, raw);
    broker = ForkedKafkaBroker.start(port, brokerDir);
    long back = System.nanoTime();
    Duration resumed = null;
    while (System.nanoTime() - back < TimeUnit.MINUTES.toNanos(3)) {
      if (BatchMetricsListener.newestVersion(spark, raw) > rawBefore) {
        resumed = Duration.ofNanos(System.nanoTime() - back);
        break;
      }
      Thread.sleep(500);
    }
    List<String> warnings = warningsSince(ingest.logFile(), logFrom);
    log("broker back after %d s; stage 1 logged %d warnings meanwhile and wrote raw again %s",
        length.toSeconds(), warnings.size(), resumed == null ? "not within 3 min" : "after " + resumed.toMillis() + " ms");
    return new Outage(start, length, resumed, warnings.size(),
        warnings.stream().map(ChaosRun::withoutTimestamp).distinct().limit(3).toList());
  }

  private static List<String> warningsSince(Path logFile, long from) throws IOException {
    byte[] all = Files.readAllBytes(logFile);
    String tail = new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from),
        StandardCharsets.UTF_8);
    // Kafka's client, stage 1's own start-up wait and Spark's note on a slow batch; not the
    // unrelated start-up warnings of a stage that was restarted meanwhile.
    return tail.lines().filter(l -> l.contains(" WARN "))
        .filter(l -> l.contains("NetworkClient") || l.contains("TopicWaiter") || l.contains("Kafka")
            || l.contains("falling behind"))
        .toList();
  }

  private static String withoutTimestamp(String line) {
    int at = line.indexOf(" WARN ");
    String s = at < 0 ? line : line.substring(at + 1);
    // Node ids, ports and client ids differ line by line; the message is what matters.
    s = s.replaceAll("clientId=[^,\\]]*", "clientId=…").replaceAll("/127\\.0\\.0\\.1:\\d+", "/127.0.0.1:…");
    return s.length() > 240 ? s.substring(0, 240) + "…" : s;
  }

  private void optimize() {
    LakeLayout layout = report.layout();
    for (TableRef table : List.of(layout.raw(), layout.bronze(), layout.gold())) {
      try {
        table.deltaTable(spark).optimize().executeCompaction();
        optimizeRuns++;
      } catch (RuntimeException e) {
        // A compaction that loses to a stage's commit is the operator's retry, not the stage's
        // failure; it is counted and the run goes on.
        optimizeFailures.add(table.name() + ": " + firstLine(String.valueOf(e.getMessage())));
      }
    }
    log("OPTIMIZE of raw, bronze and gold (%d compactions so far, %d lost to conflicts)",
        optimizeRuns, optimizeFailures.size());
  }

  /** The watchdog: a stage that died while the fault loop did not hold it is restarted and counted. */
  private void restartUnplannedExits() {
    for (StageModule stage : STAGES) {
      StageProcess process = stages.get(stage);
      synchronized (held) {
        if (held.contains(stage) || process.isAlive()) {
          continue;
        }
        String tail = process.logTail(300).lines().filter(l -> !l.stripLeading().startsWith("at "))
            .filter(l -> l.contains("ERROR") || l.contains("Exception")).reduce((a, b) -> b).orElse("");
        unplannedExits.add(String.format("+%ds %s exited with %s: %s", elapsedSeconds(), stage.module(),
            process.exitCode(), tail.strip()));
        log("%s died unplanned (exit %s); restarting it", stage.module(), process.exitCode());
        process.restart();
      }
    }
  }

  private List<Check> tableChecks(SampleReadings expected, ChaosProducer producer,
      PipelineReport.Progress done) {
    List<Check> checks = new ArrayList<>();
    checks.add(new Check("the stages caught up", done.caughtUp(),
        done.caughtUp() ? "within " + settings.catchUpTimeout().toMinutes() + " min" : done.missing()));

    StructType coordinates = new StructType()
        .add("partition", DataTypes.IntegerType).add("offset", DataTypes.LongType);
    List<Row> acked = new ArrayList<>(producer.sent());
    for (int i = 0; i < producer.sent(); i++) {
      acked.add(RowFactory.create(producer.partition(i), producer.offset(i)));
    }
    Dataset<Row> producedRows = spark.createDataFrame(acked, coordinates);
    Dataset<Row> raw = report.layout().raw().read(spark).selectExpr("partition", "offset");
    long missing = producedRows.join(raw, producedRows.col("partition").equalTo(raw.col("partition"))
        .and(producedRows.col("offset").equalTo(raw.col("offset"))), "left_anti").count();
    long extra = raw.join(producedRows, raw.col("partition").equalTo(producedRows.col("partition"))
        .and(raw.col("offset").equalTo(producedRows.col("offset"))), "left_anti").count();
    long duplicates = report.rawDuplicates();
    long rawRows = report.counts().raw();
    checks.add(new Check("raw holds each record Kafka acknowledged, once",
        missing == 0 && extra == 0 && duplicates == 0 && rawRows == producer.sent(),
        String.format("%d acknowledged, %d raw rows, %d missing, %d not produced, %d duplicated",
            producer.sent(), rawRows, missing, extra, duplicates)));

    PipelineReport.Coverage coverage = report.coverage();
    checks.add(new Check("raw = bronze + dead_letter by (topic, partition, offset)", coverage.exact(),
        coverage.toString()));
    PipelineReport.Counts counts = report.counts();
    checks.add(new Check("bronze holds every valid record once", counts.bronze() == expected.expectedBronze(),
        counts.bronze() + " rows, expected " + expected.expectedBronze()));
    Map<String, Long> deadLetters = report.deadLettersByCode();
    checks.add(new Check("dead_letter holds every bad record once, with its code",
        deadLetters.equals(expected.expectedDeadLetters()),
        deadLetters + ", expected " + expected.expectedDeadLetters()));
    Map<SampleReadings.GoldKey, SampleReadings.GoldRow> gold = report.gold();
    long wrong = expected.expectedGold().entrySet().stream()
        .filter(e -> !Objects.equals(gold.get(e.getKey()), e.getValue())).count();
    checks.add(new Check("gold = the latest reading per key computed from what was produced",
        gold.equals(expected.expectedGold()),
        gold.size() + " rows, expected " + expected.expectedGold().size() + "; " + wrong + " keys differ"));
    return checks;
  }

  private static int countLines(Path file, String needle) {
    try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
      return (int) lines.filter(l -> l.contains(needle)).count();
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }

  private static String firstLine(String s) {
    return s.lines().findFirst().orElse("").strip();
  }

  private Duration between(Duration min, Duration max) {
    long span = max.toMillis() - min.toMillis();
    return min.plusMillis(span <= 0 ? 0 : (long) (random.nextDouble() * span));
  }

  private static void sleep(Duration d) throws InterruptedException {
    Thread.sleep(d.toMillis());
  }

  private long elapsedSeconds() {
    return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
  }

  private void log(String format, Object... args) {
    out.printf("chaos +%ds: %s%n", elapsedSeconds(), String.format(format, args));
  }
}
