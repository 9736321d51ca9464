package dev.streamlake.e2e;

import dev.streamlake.e2e.SampleReadings.Kind;
import dev.streamlake.local.ForkedKafkaBroker;
import dev.streamlake.local.Repository;
import dev.streamlake.local.StageModule;
import dev.streamlake.local.StageProcess;
import dev.streamlake.local.SyncProducer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.spark.sql.SparkSession;

/**
 * The one-command demo ({@code ./demo.sh}): starts a local Kafka broker, produces sample sensor
 * readings (late, duplicate and broken ones included), runs the three stages as three separate
 * driver processes (shape 3) or all three in one driver ({@code --one-driver}, shape 1), waits until
 * gold has caught up with what the samples must give, prints a short report and stops everything it
 * started, on Ctrl-C too. The lake folder stays for inspection.
 */
public final class Demo {
  static final String TOPIC = "sensor-readings";
  static final int PARTITIONS = 3;
  static final String MARKER = ".streamlake-demo";
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

  /** The demo's settings from its command line. */
  record Options(int records, Path lake, boolean oneDriver, int triggerSeconds, Duration timeout,
      long seed) {

    static Options parse(String[] args) {
      int records = 400;
      Path lake = Paths.get("demo-lake");
      boolean oneDriver = false;
      int trigger = 3;
      Duration timeout = Duration.ofMinutes(5);
      long seed = SampleReadings.DEFAULT_SEED;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--records" -> records = intValue(args, ++i, a, 40);
          case "--lake" -> lake = Paths.get(value(args, ++i, a));
          case "--one-driver" -> oneDriver = true;
          case "--trigger-seconds" -> trigger = intValue(args, ++i, a, 1);
          case "--timeout-seconds" -> timeout = Duration.ofSeconds(intValue(args, ++i, a, 10));
          case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
          case "-h", "--help" -> {
            return null;
          }
          default -> throw new UsageException("unknown argument '" + a + "'");
        }
      }
      return new Options(records, lake.toAbsolutePath().normalize(), oneDriver, trigger, timeout, seed);
    }

    private static String value(String[] args, int i, String option) {
      if (i >= args.length) {
        throw new UsageException(option + " needs a value");
      }
      return args[i];
    }

    private static int intValue(String[] args, int i, String option, int min) {
      String v = value(args, i, option);
      try {
        int n = Integer.parseInt(v);
        if (n >= min) {
          return n;
        }
      } catch (NumberFormatException e) {
        // Reported below.
      }
      throw new UsageException(option + " must be a whole number of at least " + min + ", not '" + v + "'");
    }
  }

  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  static final String USAGE = String.join("\n",
      "Usage: ./demo.sh [--one-driver] [--records N] [--lake DIR] [--trigger-seconds S]"
          + " [--timeout-seconds S] [--seed N]",
      "Runs StreamLake on this machine: a local Kafka broker, sample sensor readings (late,",
      "duplicate and broken ones included), the three stages, then a report. Stops all it started.",
      "  --one-driver         all three stages in one driver (shape 1; default: three drivers, shape 3)",
      "  --records N          how many Kafka records to produce (default 400, at least 40)",
      "  --lake DIR           lake folder, wiped at start and kept at the end (default ./demo-lake)",
      "  --trigger-seconds S  the stages' processingTime trigger (default 3)",
      "  --timeout-seconds S  give up when gold has not caught up by then (default 300)",
      "  --seed N             seed of the sample records (default " + SampleReadings.DEFAULT_SEED + ")");

  private final Options options;
  private final PrintStream out;
  private final List<StageProcess> stages = Collections.synchronizedList(new ArrayList<>());
  private volatile ForkedKafkaBroker broker;
  private volatile SparkSession spark;
  private boolean cleanedUp;
  private volatile boolean stopping;

  Demo(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  public static void main(String[] args) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (UsageException e) {
      System.err.println("demo: " + e.getMessage() + "\n" + USAGE);
      System.exit(2);
      return;
    }
    if (options == null) {
      System.out.println(USAGE);
      return;
    }
    Demo demo = new Demo(options, System.out);
    Thread hook = new Thread(demo::interrupted, "demo-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    int code;
    try {
      code = demo.run() ? 0 : 1;
    } catch (UsageException | IllegalStateException e) {
      // A missing build or a bad --lake: the message says what to do.
      code = demo.stopping ? 130 : 1;
      if (!demo.stopping) {
        System.err.println("demo: " + e.getMessage());
      }
    } catch (Exception e) {
      // Failures while Ctrl-C tears things down are expected and say nothing new.
      code = demo.stopping ? 130 : 1;
      if (!demo.stopping) {
        System.err.println("demo failed: " + e);
        e.printStackTrace();
      }
    }
    if (demo.stopping) {
      // The hook does the stopping; System.exit would wait for it.
      return;
    }
    demo.cleanUp();
    Runtime.getRuntime().removeShutdownHook(hook);
    // Spark leaves non-daemon threads behind; this is our own main, not a Databricks job.
    System.exit(code);
  }

  /** The shutdown hook: Ctrl-C or SIGTERM while the demo runs. */
  private void interrupted() {
    stopping = true;
    say("interrupted: stopping everything the demo started");
    cleanUp();
    say("stopped; tables and logs kept in " + options.lake());
  }

  /** Runs the whole demo; true when gold came out as expected. */
  boolean run() throws Exception {
    Instant demoStart = Instant.now();
    Repository repo = Repository.find();
    List<StageModule> kinds = options.oneDriver()
        ? List.of(StageModule.ALL_IN_ONE)
        : List.of(StageModule.RAW_INGEST, StageModule.DESERIALIZE, StageModule.MERGE);
    // Fail before starting anything when a built piece is missing.
    repo.sparkHome();
    kinds.forEach(k -> repo.sparkJar(k.module()));
    repo.sparkJar(StageModule.OPS);
    if (System.getProperty(ForkedKafkaBroker.LIB_PROPERTY) == null) {
      System.setProperty(ForkedKafkaBroker.LIB_PROPERTY, repo.kafkaBrokerLib().toString());
    }

    Path lake = options.lake();
    prepareLake(lake);
    Path runDir = Files.createDirectories(lake.resolve("_run"));
    say("StreamLake demo, shape " + (options.oneDriver() ? "1 (one driver: " : "3 (three drivers: ")
        + kinds.stream().map(StageModule::module).collect(Collectors.joining(", ")) + ")");
    say("lake " + lake);

    broker = ForkedKafkaBroker.start(0, runDir.resolve("kafka"));
    say("Kafka broker up at " + broker.bootstrapServers() + " (pid " + broker.process().pid() + ")");
    createTopic(broker.bootstrapServers(), TOPIC, PARTITIONS);

    SampleReadings samples = SampleReadings.generate(options.records(), options.seed());
    try (SyncProducer producer = SyncProducer.create(broker.bootstrapServers())) {
      producer.sendAll(samples.records(TOPIC));
    }
    say("produced " + samples.size() + " records to topic " + TOPIC + " (" + PARTITIONS + " partitions): "
        + describe(samples.countsByKind()));

    String trigger = "processingTime:" + options.triggerSeconds() + "s";
    Instant stagesStart = Instant.now();
    for (StageModule kind : kinds) {
      List<String> args = new ArrayList<>(List.of("--lake", lake.toString(), "--trigger", trigger));
      if (kind == StageModule.RAW_INGEST || kind == StageModule.ALL_IN_ONE) {
        args.addAll(List.of("--bootstrap-servers", broker.bootstrapServers(), "--topic", TOPIC));
      }
      StageProcess stage = StageProcess.start(repo, kind, args, runDir);
      stages.add(stage);
      say("started " + kind.module() + " driver (pid " + stage.pid() + ", trigger " + trigger + "), log "
          + stage.logFile());
    }

    spark = PipelineReport.localSession(PipelineReport.warehouse(runDir));
    PipelineReport report = new PipelineReport(spark, lake);
    PipelineReport.Timings timings = new PipelineReport.Timings(stagesStart);
    say("waiting for gold to catch up (at most " + options.timeout().toSeconds() + " s)");
    PipelineReport.Progress last = report.awaitCaughtUp(samples, timings, options.timeout(),
        this::allStagesAlive,
        p -> say("  " + p.counts() + (p.caughtUp() ? "  -> caught up" : "")));

    report.print(out, samples, timings, 8);
    out.println();
    boolean ok = last.caughtUp();
    if (ok) {
      PipelineReport.Coverage coverage = report.coverage();
      ok = coverage.exact() && report.rawDuplicates() == 0;
      out.println(ok
          ? "Every raw row is in exactly one of bronze and dead_letter; gold matches the expected rows."
          : "Coverage of raw by bronze + dead_letter is off: " + coverage);
    } else {
      out.println("Gold did NOT catch up: " + last.missing());
      for (StageProcess s : stages) {
        out.println();
        out.println("--- last lines of " + s.logFile() + (s.isAlive() ? "" : " (exited with " + s.exitCode() + ")"));
        out.println(s.logTail(25));
      }
    }
    if (ok) {
      ok = runOpsCommand(repo, "audit", List.of("audit", "--lake", lake.toString(),
          "--bootstrap-servers", broker.bootstrapServers()), runDir);
      runOpsCommand(repo, "status", List.of("status", "--lake", lake.toString(),
          "--bootstrap-servers", broker.bootstrapServers()), runDir);
    }
    out.println();
    out.printf("Demo %s in %s. Tables in %s, logs in %s%n", ok ? "succeeded" : "FAILED",
        PipelineReport.seconds(Duration.between(demoStart, Instant.now())), lake, runDir);
    out.println(ok ? "DEMO OK" : "DEMO FAILED");
    return ok;
  }

  /**
   * Runs an operator command from the ops jar as a user would, in a driver of its own, and shows
   * its report. True when it exited with 0 (for {@code audit}: no violation).
   */
  private boolean runOpsCommand(Repository repo, String name, List<String> args, Path runDir) {
    out.println();
    out.println("$ spark-submit ops.jar " + String.join(" ", args));
    StageProcess.Run run = StageProcess.runToEnd(repo, StageModule.OPS, args, runDir, name,
        Duration.ofMinutes(5));
    out.print(run.stdout());
    if (run.exitCode() != 0) {
      out.println(name + " exited with " + run.exitCode() + "; its log is " + run.logFile());
    }
    return run.exitCode() == 0;
  }

  private boolean allStagesAlive() {
    for (StageProcess s : stages) {
      if (!s.isAlive()) {
        say("driver " + s.name() + " exited with code " + s.exitCode());
        return false;
      }
    }
    return true;
  }

  /** Stops what the demo started: drivers first (they read from Kafka), then the broker. */
  synchronized void cleanUp() {
    if (cleanedUp) {
      return;
    }
    cleanedUp = true;
    List<StageProcess> running;
    synchronized (stages) {
      running = new ArrayList<>(stages);
    }
    Collections.reverse(running);
    for (StageProcess s : running) {
      if (s.isAlive()) {
        s.stop();
        say("stopped " + s.name() + " driver");
      }
    }
    if (broker != null) {
      broker.close();
      say("stopped Kafka broker");
    }
    if (spark != null) {
      spark.stop();
    }
  }

  /**
   * Wipes the lake folder, but only one this demo made (it holds {@link #MARKER}) or an empty one:
   * never an arbitrary folder a user pointed --lake at by mistake.
   */
  static void prepareLake(Path lake) throws IOException {
    if (Files.exists(lake)) {
      boolean empty;
      try (Stream<Path> entries = Files.list(lake)) {
        empty = entries.findAny().isEmpty();
      }
      if (!empty && !Files.exists(lake.resolve(MARKER))) {
        throw new UsageException("--lake " + lake + " is a non-empty folder the demo did not make;"
            + " refusing to wipe it (choose another folder or empty it)");
      }
      deleteRecursively(lake);
    }
    Files.createDirectories(lake);
    Files.writeString(lake.resolve(MARKER), "made by the StreamLake demo; wiped by its next run\n");
  }

  static void deleteRecursively(Path dir) throws IOException {
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  static void createTopic(String bootstrapServers, String topic, int partitions) throws Exception {
    try (Admin admin = Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
  }

  private static String describe(Map<Kind, Long> counts) {
    return counts.entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .map(e -> e.getValue() + " " + e.getKey().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '))
        .collect(Collectors.joining(", "));
  }

  private void say(String message) {
    out.println("[" + LocalTime.now().format(CLOCK) + "] " + message);
    out.flush();
  }
}
