package dev.streamlake.local;

import dev.streamlake.common.Secrets;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.launcher.JavaModuleOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stage (or the all-in-one launcher) as its own driver JVM, the way a plain Spark deployment
 * runs it: {@code java -cp spark-home/conf:spark-home/jars/*:<module>-spark.jar <main class>} with a
 * local master, its output in a log file.
 *
 * <p>The driver dies with the JVM that started it, even when that JVM is killed with -9: it runs
 * under the {@link BrokerProcess} wrapper, which exits when its stdin (a pipe whose write
 * end only this JVM holds) closes.
 */
public final class StageProcess {
  private static final Logger LOG = LoggerFactory.getLogger(StageProcess.class);
  private static final long STOP_TIMEOUT_MS = 30_000;

  private final StageModule kind;
  private final List<String> command;
  private final Path logFile;
  private final Map<String, String> environment;
  private Process process;
  private OutputStream lifeline;
  private int starts;

  private StageProcess(StageModule kind, List<String> command, Path logFile,
      Map<String, String> environment) {
    this.kind = kind;
    this.command = List.copyOf(command);
    this.logFile = logFile;
    this.environment = Map.copyOf(environment);
  }

  /**
   * Starts a driver.
   *
   * @param args the job's own arguments (--lake, --trigger, ...)
   * @param runDir where the log ({@code <module>.log}) and the small wrapper class go
   */
  public static StageProcess start(Repository repo, StageModule kind, List<String> args, Path runDir) {
    return start(repo, kind, args, runDir, List.of());
  }

  /**
   * Starts a driver with extra JVM options, placed after the defaults so they win (for example
   * {@code -Dlog4j2.configurationFile=...} for other log levels than spark-home's).
   */
  public static StageProcess start(Repository repo, StageModule kind, List<String> args, Path runDir,
      List<String> jvmOptions) {
    return start(repo, kind, args, runDir, jvmOptions, Map.of());
  }

  /** Starts a driver with extra JVM options and environment variables (never logged). */
  public static StageProcess start(Repository repo, StageModule kind, List<String> args, Path runDir,
      List<String> jvmOptions, Map<String, String> environment) {
    StageProcess stage = new StageProcess(kind, command(repo, kind, args, runDir, jvmOptions),
        runDir.resolve(kind.module() + ".log"), environment);
    try {
      stage.launch();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + kind.module() + ": " + e.getMessage(), e);
    }
    return stage;
  }

  /** What a driver that ran to its end printed, and how it ended. */
  public record Run(int exitCode, String stdout, Path stdoutFile, Path logFile) {}

  /**
   * Runs a driver that ends by itself (an ops command) and waits for it: its standard output,
   * which is the command's report, goes to {@code <name>.out}, and Spark's log lines on standard
   * error to {@code <name>.log}, so the report can be shown without them.
   */
  public static Run runToEnd(Repository repo, StageModule kind, List<String> args, Path runDir,
      String name, Duration timeout) {
    List<String> command = command(repo, kind, args, runDir, List.of());
    Path out = runDir.resolve(name + ".out");
    Path log = runDir.resolve(name + ".log");
    try {
      Files.writeString(log, "=== " + Instant.now() + " " + name + ": "
          + String.join(" ", Secrets.maskCommandLine(command)) + "\n", StandardCharsets.UTF_8);
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectOutput(out.toFile())
          .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
      Process process = builder.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor();
        throw new IllegalStateException(name + " did not end within " + timeout.toSeconds()
            + " s; its log is " + log);
      }
      return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), out, log);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot run " + name + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while " + name + " ran", e);
    }
  }

  private static List<String> command(Repository repo, StageModule kind, List<String> args,
      Path runDir, List<String> jvmOptions) {
    Path sparkHome = repo.sparkHome();
    Path jar = repo.sparkJar(kind);
    try {
      Files.createDirectories(runDir);
      Path wrapper = BrokerProcess.copyClassFiles(runDir).toAbsolutePath();
      // Inert unless a run configures it (the chaos run's kills inside a commit).
      ClassFiles.copy(wrapper, HaltingLogStore.class);
      String classpath = String.join(File.pathSeparator,
          sparkHome.resolve("conf").toString(),
          sparkHome.resolve("jars").resolve("*").toString(),
          jar.toString(),
          wrapper.toString());
      List<String> command = new ArrayList<>();
      command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx1g");
      command.addAll(QuickJvm.flags());
      command.addAll(Arrays.asList(JavaModuleOptions.defaultModuleOptionArray()));
      command.add("-Dspark.master=local[1]");
      LocalSpark.settings().forEach((key, value) -> command.add("-D" + key + "=" + value));
      // Spark's own driver scripts set this; without it a local session writes spark-warehouse/
      // into whatever the working directory is.
      command.add("-Dspark.sql.warehouse.dir=" + runDir.resolve("warehouse-" + kind.module()).toAbsolutePath());
      command.addAll(jvmOptions);
      command.add("-cp");
      command.add(classpath);
      command.add(BrokerProcess.class.getName());
      command.add(StageJars.mainClass(jar));
      command.addAll(args);
      return command;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + kind.module() + ": " + e.getMessage(), e);
    }
  }

  private synchronized void launch() throws IOException {
    starts++;
    // The command line goes into the log that a reader (or SecretMaskingIT) takes for the stage's
    // own output, so secret settings are masked in it.
    Files.writeString(logFile,
        "=== " + Instant.now() + " start #" + starts + " of " + kind.module() + ": "
            + String.join(" ", Secrets.maskCommandLine(command)) + "\n",
        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    builder.environment().putAll(environment);
    process = builder.start();
    lifeline = process.getOutputStream();
    LOG.info("Stage {} started as pid {} (start #{}); log {}", kind.module(), process.pid(), starts, logFile);
  }

  public StageModule kind() {
    return kind;
  }

  public String name() {
    return kind.module();
  }

  public Path logFile() {
    return logFile;
  }

  public synchronized long pid() {
    return process.pid();
  }

  public synchronized boolean isAlive() {
    return process.isAlive();
  }

  /** How many times this driver was started. */
  public synchronized int starts() {
    return starts;
  }

  /** The exit code of a driver that ended, or null while it runs. */
  public synchronized Integer exitCode() {
    return process.isAlive() ? null : process.exitValue();
  }

  /** SIGKILL: the driver gets no chance to finish a batch or clean up, as in a machine loss. */
  public synchronized void kill() {
    long pid = process.pid();
    process.destroyForcibly();
    awaitExit(STOP_TIMEOUT_MS);
    closeLifeline();
    LOG.info("Stage {} (pid {}) killed with SIGKILL", kind.module(), pid);
  }

  /** SIGTERM (Spark's shutdown hooks stop the query), then SIGKILL if it takes too long. */
  public synchronized void stop() {
    if (!process.isAlive()) {
      closeLifeline();
      return;
    }
    long pid = process.pid();
    process.destroy();
    boolean clean = awaitExit(STOP_TIMEOUT_MS);
    if (!clean) {
      process.destroyForcibly();
      awaitExit(STOP_TIMEOUT_MS);
    }
    closeLifeline();
    LOG.info("Stage {} (pid {}) stopped {}", kind.module(), pid, clean ? "cleanly" : "with SIGKILL after a timeout");
  }

  /** Starts the same command again, after stopping the old driver if it still runs. */
  public synchronized void restart() {
    stop();
    try {
      launch();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot restart " + kind.module() + ": " + e.getMessage(), e);
    }
  }

  /** The last lines of the log, for a failure message. */
  public String logTail(int lines) {
    try {
      List<String> all = new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8).lines().toList();
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e.getMessage() + ")";
    }
  }

  private boolean awaitExit(long timeoutMs) {
    try {
      return process.waitFor(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void closeLifeline() {
    try {
      lifeline.close();
    } catch (IOException e) {
      // The driver is gone; its pipe does not matter any more.
    }
  }
}
