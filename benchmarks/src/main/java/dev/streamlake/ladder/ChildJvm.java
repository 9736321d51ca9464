package dev.streamlake.ladder;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A child JVM of the ladder, started through {@code StepMain} (see there): its output goes to
 * {@code out.log} in its folder, and at exit it leaves {@code metrics.properties}, its GC log,
 * its progress events and its flight recording there too. It dies with the ladder.
 */
final class ChildJvm {
  private static final Logger LOG = LoggerFactory.getLogger(ChildJvm.class);
  private static final long STOP_TIMEOUT_MS = 60_000;

  static final String LOG_FILE = "out.log";
  static final String METRICS_FILE = "metrics.properties";
  static final String PROGRESS_FILE = "progress.jsonl";
  static final String GC_FILE = "gc.log";
  static final String JFR_FILE = "profile.jfr";

  private final String name;
  private final Path dir;
  private final Process process;
  private final OutputStream lifeline;
  private final long startNanos;
  private final String loadStart;
  private boolean timedOut;

  private ChildJvm(String name, Path dir, Process process, long startNanos, String loadStart) {
    this.name = name;
    this.dir = dir;
    this.process = process;
    this.lifeline = process.getOutputStream();
    this.startNanos = startNanos;
    this.loadStart = loadStart;
  }

  /** Starts {@code command} (a java command line ending in StepMain and its main) in {@code dir}. */
  static ChildJvm start(String name, Path dir, List<String> command, Map<String, String> env) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("command.txt"), String.join(" ", command) + "\n",
          StandardCharsets.UTF_8);
      ProcessBuilder builder = new ProcessBuilder(command)
          .directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve(LOG_FILE).toFile());
      builder.environment().putAll(env);
      String load = Machine.loadAverage();
      long t0 = System.nanoTime();
      Process p = builder.start();
      LOG.info("{}: started pid {} (log {})", name, p.pid(), dir.resolve(LOG_FILE));
      return new ChildJvm(name, dir, p, t0, load);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + name + " in " + dir, e);
    }
  }

  Path dir() {
    return dir;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Waits for the exit; past {@code timeout} the child is stopped and the run marked failed. */
  ChildJvm await(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("{}: still running after {} s; stopping it", name, timeout.toSeconds());
        timedOut = true;
        stop();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop();
      throw new IllegalStateException("Interrupted while waiting for " + name, e);
    }
    return this;
  }

  /** SIGTERM (the shutdown hooks stop Spark and write the metrics), then SIGKILL after 60 s. */
  ChildJvm stop() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
          LOG.warn("{}: ignored SIGTERM for {} s; killing it", name, STOP_TIMEOUT_MS / 1000);
          process.destroyForcibly().waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    try {
      lifeline.close();
    } catch (IOException e) {
      // The child is gone; its pipe does not matter any more.
    }
    return this;
  }

  /** What the finished child measured. {@code expectClean}: a non-zero exit is a failure. */
  RunRecord record(String step, String label, int round, long records, boolean expectClean) {
    double wall = (System.nanoTime() - startNanos) / 1e9;
    String loadEnd = Machine.loadAverage();
    int exit = process.isAlive() ? -1 : process.exitValue();
    Properties metrics = metrics();
    double cpu = Long.parseLong(metrics.getProperty("cpu_ns", "-1")) / 1e9;
    long pools = Long.parseLong(metrics.getProperty("heap_pool_peaks_bytes", "-1"));
    long rss = Long.parseLong(metrics.getProperty("rss_peak_bytes", "-1"));
    // -XX:+ExitOnOutOfMemoryError exits with 3 after printing this line.
    boolean oom = exit == 3 || logContains("java.lang.OutOfMemoryError");
    String failure = null;
    if (timedOut) {
      failure = "timed out after " + Math.round(wall) + " s";
    } else if (oom) {
      failure = "OutOfMemoryError (exit code " + exit + ")";
    } else if (expectClean && exit != 0) {
      failure = "exit code " + exit;
    } else if (metrics.isEmpty()) {
      failure = "no metrics written (exit code " + exit + ")";
    }
    if (failure != null) {
      LOG.warn("{}: failed: {}; last lines of {}:\n{}", name, failure, dir.resolve(LOG_FILE),
          logTail(25));
    } else {
      LOG.info("{}: done in {} s, CPU {} s", name, String.format("%.1f", wall),
          String.format("%.1f", cpu));
    }
    Map<String, Double> threads = new TreeMap<>();
    for (String key : metrics.stringPropertyNames()) {
      if (key.startsWith("thread_cpu_ns.")) {
        threads.put(key.substring("thread_cpu_ns.".length()),
            Long.parseLong(metrics.getProperty(key)) / 1e9);
      }
    }
    return new RunRecord(step, label, round, records, exit, oom, wall, cpu,
        GcLog.read(dir.resolve(GC_FILE)), pools, rss, threads,
        BatchProgress.read(dir.resolve(PROGRESS_FILE)),
        BatchProgress.firstStartCpuNs(dir.resolve(PROGRESS_FILE)), loadStart, loadEnd, dir,
        failure);
  }

  private Properties metrics() {
    Properties p = new Properties();
    Path file = dir.resolve(METRICS_FILE);
    if (Files.isRegularFile(file)) {
      try (var in = Files.newInputStream(file)) {
        p.load(in);
      } catch (IOException e) {
        LOG.warn("{}: cannot read {}: {}", name, file, e.toString());
      }
    }
    return p;
  }

  private boolean logContains(String text) {
    try (var lines = Files.lines(dir.resolve(LOG_FILE), StandardCharsets.ISO_8859_1)) {
      return lines.anyMatch(l -> l.contains(text));
    } catch (IOException | UncheckedIOException e) {
      return false;
    }
  }

  String logTail(int n) {
    try {
      List<String> all = new ArrayList<>(Files.readAllLines(dir.resolve(LOG_FILE),
          StandardCharsets.ISO_8859_1));
      return String.join("\n", all.subList(Math.max(0, all.size() - n), all.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
