package dev.streamlake.ladder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamlake.local.StageModule;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Freshness in deployment shape 1: the launcher's {@code AllInOneJob} (three queries in one
 * driver) with 1 s triggers on a fresh topic and lake; once its queries run, a producer sends
 * readings at a fixed rate for {@code --freshness-seconds}, each stamped with its send time in
 * {@code reading_ts}, from a fleet of {@code rate x 10} sensors (each reports every 10 s, so
 * gold's rows are updated, not only inserted). After the pipeline has caught up (each query idle
 * after the one before it last had data) it is stopped and {@code FreshnessReportJob} computes,
 * per record, gold's first commit showing it minus its send time.
 */
final class FreshnessStep {
  private static final Logger LOG = LoggerFactory.getLogger(FreshnessStep.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String STEP = "freshness";
  private static final long READY_TIMEOUT_MS = 300_000;

  private final StepRunner runner;
  private final Results results;

  FreshnessStep(StepRunner runner, Results results) {
    this.runner = runner;
    this.results = results;
  }

  void run() {
    for (int round = 1; round <= runner.config.runs(); round++) {
      for (int rate : runner.config.freshnessRates()) {
        results.freshness.add(runOne(rate, round));
      }
    }
  }

  private Results.FreshnessRun runOne(int rate, int round) {
    LadderConfig c = runner.config;
    String label = rate + " per s round " + round;
    String topic = "freshness-" + rate + "-" + round;
    TopicData.createTopic(runner.bootstrap, topic, c.partitions());
    Path lake = runner.lake(STEP, label);
    ChildJvm pipeline = runner.start(STEP, label, runner.stageJar(StageModule.ALL_IN_ONE),
        runner.mainClass(StageModule.ALL_IN_ONE),
        List.of("--lake", lake.toString(), "--bootstrap-servers", runner.bootstrap,
            "--topic", topic, "--trigger", "processingTime:1s"),
        c.driverMemory(), Map.of("spark.sql.streaming.noDataProgressEventInterval", "1000"));
    Path events = pipeline.dir().resolve(ChildJvm.PROGRESS_FILE);
    long produced = 0;
    long warmupUntil = 0;
    double achieved = Double.NaN;
    String failure = null;
    try {
      failure = awaitRunning(pipeline, events);
      if (failure == null) {
        long t0 = System.nanoTime();
        warmupUntil = System.currentTimeMillis() + 1000L * c.freshnessWarmupSeconds();
        produced = produceAtRate(topic, rate, c.freshnessSeconds(), c.seed() + round);
        achieved = produced / ((System.nanoTime() - t0) / 1e9);
        long producedAt = System.currentTimeMillis();
        long deadline = producedAt + Math.max(180_000L, 3_000L * c.freshnessSeconds());
        while (!caughtUp(events, producedAt) && System.currentTimeMillis() < deadline
            && pipeline.isAlive()) {
          sleep(1000);
        }
        if (!pipeline.isAlive()) {
          Path log = pipeline.dir().resolve(ChildJvm.LOG_FILE);
          failure = "the pipeline stopped on its own; see " + log + firstErrors(log);
        } else if (!caughtUp(events, producedAt)) {
          LOG.warn("Freshness {}: not caught up {} s after the producer stopped; stopping anyway",
              label, (deadline - producedAt) / 1000);
        }
      }
    } finally {
      pipeline.stop();
    }
    RunRecord pipelineRun = pipeline.record(STEP, label, round, produced, false);
    if (failure == null && pipelineRun.outOfMemory()) {
      failure = pipelineRun.failure();
    }
    Map<String, Long> report = Map.of();
    RunRecord reportRun = null;
    if (failure == null) {
      Path out = runner.workspace.runDir(STEP + ".report", label).resolveSibling(
          "report-" + rate + "-" + round + ".json");
      reportRun = runner.run(STEP + ".report", label, round, produced, runner.ladderJar(),
          "dev.streamlake.ladder.jobs.FreshnessReportJob",
          List.of(lake.toString(), Long.toString(produced), Long.toString(warmupUntil),
              out.toString()),
          c.driverMemory(), Map.of(), false);
      if (reportRun.ok()) {
        report = readReport(out);
      } else {
        failure = "the report job failed: " + reportRun.failure();
      }
    }
    Workspace.deleteRecursively(lake);
    LOG.info("Freshness {}: {} records at {}/s: {}", label, produced,
        String.format("%.0f", achieved), report);
    return new Results.FreshnessRun(rate, round, achieved, produced, report, pipelineRun,
        reportRun, failure);
  }

  /** Waits until each of the pipeline's three queries has reported; a failure message or null. */
  private static String awaitRunning(ChildJvm pipeline, Path events) {
    long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
    while (System.currentTimeMillis() < deadline) {
      if (!pipeline.isAlive()) {
        return "the pipeline exited before its queries ran; see "
            + pipeline.dir().resolve(ChildJvm.LOG_FILE);
      }
      if (Events.read(events).reportedQueries() >= 3) {
        return null;
      }
      sleep(1000);
    }
    return "the pipeline's queries did not all report within " + READY_TIMEOUT_MS / 1000 + " s";
  }

  /**
   * Caught up: the ingest query was idle after the producer stopped, the deserialize query idle
   * after ingest last had data, the merge query idle after deserialize last had data.
   */
  static boolean caughtUp(Path eventFile, long producedAtMs) {
    Events e = Events.read(eventFile);
    long after = producedAtMs;
    for (String query : List.of("kafka-to-raw", "raw-to-bronze", "bronze-to-gold")) {
      if (!e.idleAfter(query, after)) {
        return false;
      }
      after = Math.max(producedAtMs, e.lastDataEnd(query));
    }
    return true;
  }

  private long produceAtRate(String topic, int rate, int seconds, long seed) {
    int sensors = Math.max(100, rate * 10);
    long total = (long) rate * seconds;
    Random random = new Random(seed);
    ReadingEncoder encoder = new ReadingEncoder();
    AtomicReference<Exception> error = new AtomicReference<>();
    long sent = 0;
    long start = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = TopicData.producer(runner.bootstrap)) {
      while (sent < total && error.get() == null) {
        long due = Math.min(total,
            (long) ((System.nanoTime() - start) / 1e9 * rate) + 1);
        while (sent < due) {
          String sensor = "fresh-" + (sent % sensors);
          Reading r = new Reading(sensor, Instant.ofEpochMilli(System.currentTimeMillis()),
              Math.round((random.nextDouble() * 40) * 100) / 100.0, 50.0, 80, "OK", "fw-1.2",
              1000.0 + random.nextInt(50));
          producer.send(new ProducerRecord<>(topic, sensor.getBytes(StandardCharsets.UTF_8),
              encoder.v2(r)), (m, e) -> {
                if (e != null) {
                  error.compareAndSet(null, e);
                }
              });
          sent++;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      }
      producer.flush();
    }
    if (error.get() != null) {
      throw new IllegalStateException("The freshness producer failed after " + sent + " records",
          error.get());
    }
    return sent;
  }

  private static Map<String, Long> readReport(Path file) {
    Map<String, Long> m = new TreeMap<>();
    try {
      JsonNode n = JSON.readTree(Files.readString(file));
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        m.put(e.getKey(), e.getValue().asLong());
      }
    } catch (IOException e) {
      LOG.warn("Cannot read the freshness report {}: {}", file, e.toString());
    }
    return m;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The pipeline's query events so far: names, data batches and idle moments per query. */
  static final class Events {
    private final Map<String, String> names = new HashMap<>();
    private final Map<String, Long> lastDataEnd = new HashMap<>();
    private final Map<String, Long> lastIdle = new HashMap<>();
    private final Map<String, Boolean> reported = new HashMap<>();

    static Events read(Path file) {
      Events e = new Events();
      if (!Files.isRegularFile(file)) {
        return e;
      }
      try {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          e.add(line);
        }
      } catch (IOException ex) {
        LOG.debug("Cannot read {} yet: {}", file, ex.toString());
      }
      return e;
    }

    private void add(String line) {
      JsonNode n;
      try {
        n = JSON.readTree(line);
      } catch (IOException | RuntimeException ex) {
        return;
      }
      String event = n.path("event").asText();
      long at = n.path("at").asLong();
      switch (event) {
        case "started" -> names.put(n.path("id").asText(), n.path("name").asText());
        case "idle" -> lastIdle.merge(n.path("id").asText(), at, Math::max);
        case "progress" -> {
          JsonNode p = n.path("progress");
          String id = p.path("id").asText();
          names.putIfAbsent(id, p.path("name").asText());
          reported.put(id, true);
          long startMs = Instant.parse(p.path("timestamp").asText()).toEpochMilli();
          if (p.path("numInputRows").asLong() > 0) {
            long end = startMs + p.path("durationMs").path("triggerExecution").asLong();
            lastDataEnd.merge(id, end, Math::max);
          } else {
            lastIdle.merge(id, startMs, Math::max);
          }
        }
        default -> {
          // terminated: nothing to add
        }
      }
    }

    int reportedQueries() {
      return reported.size();
    }

    private String idOf(String querySuffix) {
      return names.entrySet().stream().filter(e -> e.getValue().endsWith(querySuffix))
          .map(Map.Entry::getKey).findFirst().orElse(null);
    }

    boolean idleAfter(String querySuffix, long ms) {
      String id = idOf(querySuffix);
      return id != null && lastIdle.getOrDefault(id, 0L) > ms;
    }

    long lastDataEnd(String querySuffix) {
      String id = idOf(querySuffix);
      return id == null ? 0 : lastDataEnd.getOrDefault(id, 0L);
    }
  }

  /**
   * The log's first error lines, so a failure read where the log is gone (a test's temporary
   * folder, a CI report) still says what stopped the pipeline.
   */
  static String firstErrors(Path log) {
    try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
      List<String> errors = lines
          .filter(l -> l.contains(" ERROR ") || l.contains("Exception:"))
          .limit(5)
          .map(l -> l.length() > 400 ? l.substring(0, 400) + "..." : l)
          .toList();
      return errors.isEmpty() ? "" : "; first errors:\n" + String.join("\n", errors);
    } catch (IOException | java.io.UncheckedIOException e) {
      return "";
    }
  }
}
