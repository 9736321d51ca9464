package dev.streamlake.testing;

import dev.streamlake.local.QuickJvm;
import dev.streamlake.local.StageJars;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a stage module's shaded jar in a separate JVM, from that module's ITs (after
 * {@code package}); {@link StageJars} finds and reads the jars. The probe JVM's classpath has
 * Spark but none of what the jar must bring itself (Delta, the Kafka connector, spark-avro, our
 * own classes).
 */
public final class JarProbe {

  /** Artifacts the -spark jar bundles; removed from the probe JVM's classpath. */
  private static final List<String> BUNDLED =
      List.of("delta-spark_", "delta-storage-", "spark-sql-kafka-0-10_", "spark-token-provider-kafka",
          "kafka-clients-", "spark-avro_", "commons-pool2-", "picocli-");

  // Generous: a Spark driver starting on a loaded 2-core machine can take a minute.
  private static final long PROBE_TIMEOUT_SECONDS = 180;

  private JarProbe() {}

  /** What a separate JVM printed and how it ended. */
  public record Run(int exitCode, String output) {}

  /**
   * Looks up Spark data sources by short name ({@code delta}, {@code kafka}) in a JVM that has
   * Spark plus {@code extraJar} (may be null: Spark alone). Prints one line per name:
   * {@code name -> provider class} or {@code name -> NOT FOUND: reason}.
   */
  public static Run lookupDataSources(Path extraJar, String... names)
      throws IOException, InterruptedException {
    Path probe = Files.createTempFile("DataSourceProbe", ".java");
    try (InputStream in = JarProbe.class.getResourceAsStream("DataSourceProbe.java.txt")) {
      Files.write(probe, in.readAllBytes());
    }
    List<String> cp = new ArrayList<>(sparkOnlyClasspath());
    if (extraJar != null) {
      cp.add(extraJar.toAbsolutePath().toString());
    }
    return java(cp, probe.toString(), names);
  }

  /** Runs the jar's manifest main class with {@code args} over Spark's classpath. */
  public static Run runMain(Path jar, String... args) throws IOException, InterruptedException {
    List<String> cp = new ArrayList<>(sparkOnlyClasspath());
    cp.add(jar.toAbsolutePath().toString());
    return java(cp, StageJars.mainClass(jar), args);
  }

  /**
   * Runs the jar as {@code spark-submit --master local[1] JAR ARGS} would, in a JVM with Spark's
   * classpath and nothing the jar must bring: what a user of a plain Spark distribution sees,
   * including how the driver ends (exit code, what it prints).
   */
  public static Run sparkSubmit(Path jar, String... args) throws IOException, InterruptedException {
    List<String> submit = new ArrayList<>(List.of("--master", "local[1]",
        "--conf", "spark.ui.enabled=false", "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1", jar.toAbsolutePath().toString()));
    submit.addAll(List.of(args));
    List<String> jvm = new ArrayList<>(
        List.of(org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptionArray()));
    jvm.addAll(QuickJvm.flags());
    return java(jvm, sparkOnlyClasspath(), "org.apache.spark.deploy.SparkSubmit",
        submit.toArray(String[]::new));
  }

  private static Run java(List<String> classpath, String main, String... args)
      throws IOException, InterruptedException {
    return java(List.of(), classpath, main, args);
  }

  private static Run java(List<String> jvmOptions, List<String> classpath, String main, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(String.join(File.pathSeparator, classpath));
    cmd.add(main);
    cmd.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true);
    builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = builder.start();
    // Read on another thread so the deadline holds even when the JVM never closes its output.
    var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return p.getInputStream().readAllBytes();
      } catch (IOException e) {
        return ("(cannot read the output: " + e + ")").getBytes(StandardCharsets.UTF_8);
      }
    });
    if (!p.waitFor(PROBE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("probe JVM did not finish within " + PROBE_TIMEOUT_SECONDS
          + " s: " + cmd);
    }
    return new Run(p.exitValue(), new String(out.join(), StandardCharsets.UTF_8));
  }

  /** This test JVM's classpath without our classes and without what the -spark jar bundles. */
  static List<String> sparkOnlyClasspath() {
    List<String> out = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String name = Path.of(entry).getFileName().toString();
      boolean bundled = BUNDLED.stream().anyMatch(name::startsWith);
      boolean ours = entry.contains(File.separator + "target" + File.separator)
          || name.startsWith("common-") || name.startsWith("local-stack-")
          || name.startsWith("test-support-");
      if (!bundled && !ours) {
        out.add(entry);
      }
    }
    return out;
  }
}
