package dev.streamlake.ladder;

import dev.streamlake.common.SparkSessions;
import dev.streamlake.ladder.agent.ProgressFileListener;
import dev.streamlake.ladder.agent.StepMain;
import dev.streamlake.local.LocalSpark;
import java.io.File;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * The command line of every Spark step: {@code org.apache.spark.deploy.SparkSubmit} over the
 * plain Spark home, {@code --master local[N]}, client mode, so driver and executor are one fresh
 * JVM per step and its start-up is part of the step. Every step gets the same settings
 * ({@link #confs}); only the jar, the main class and its arguments differ.
 */
final class SparkSubmit {
  static final String SUBMIT_CLASS = "org.apache.spark.deploy.SparkSubmit";

  private final Workspace workspace;
  private final Path agentClasses;
  private final int cores;
  private final boolean jfr;
  private final List<String> extraJvmFlags;

  SparkSubmit(Workspace workspace, int cores, boolean jfr, List<String> extraJvmFlags) {
    this.workspace = workspace;
    this.agentClasses = workspace.agentClasses();
    this.cores = cores;
    this.jfr = jfr;
    this.extraJvmFlags = List.copyOf(extraJvmFlags);
  }

  /** The Spark settings every step runs with, besides the ones naming its own files. */
  Map<String, String> confs() {
    Map<String, String> c = new LinkedHashMap<>(LocalSpark.settings());
    // The stage jars give their own sessions these; the anchors must run with the same Spark.
    c.putAll(SparkSessions.LOCAL_DEFAULTS);
    // The local settings size partitions for 2 cores; the ladder sizes them for its --cores.
    for (String partitions : List.of("spark.sql.shuffle.partitions", "spark.default.parallelism",
        "spark.databricks.delta.snapshotPartitions")) {
      c.put(partitions, Integer.toString(cores));
    }
    c.put("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension");
    c.put("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
    c.put("spark.sql.streaming.streamingQueryListeners", ProgressFileListener.class.getName());
    return c;
  }

  /** The JVM flags of every step besides the heap and the files in its folder. */
  List<String> jvmFlags() {
    List<String> f = new ArrayList<>();
    f.add("-XX:+ExitOnOutOfMemoryError");
    f.addAll(Arrays.asList(JavaModuleOptions.defaultModuleOptionArray()));
    f.addAll(extraJvmFlags);
    return f;
  }

  String master() {
    return "local[" + cores + "]";
  }

  /**
   * The java command of one step in {@code dir}.
   *
   * @param heap the driver's {@code -Xmx} ({@code --driver-memory} has no effect when SparkSubmit
   *     runs in the JVM it is started in, so it is set here)
   */
  List<String> command(Path dir, String heap, Path jar, String mainClass, List<String> args,
      Map<String, String> extraConfs) {
    Path home = workspace.repository().sparkHome();
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + heap);
    cmd.add("-Xlog:gc:file=" + dir.resolve(ChildJvm.GC_FILE));
    if (jfr) {
      cmd.add("-XX:StartFlightRecording=filename=" + dir.resolve(ChildJvm.JFR_FILE)
          + ",settings=default,dumponexit=true");
    }
    cmd.addAll(jvmFlags());
    cmd.add("-D" + StepMain.METRICS_PROPERTY + "=" + dir.resolve(ChildJvm.METRICS_FILE));
    cmd.add("-D" + ProgressFileListener.FILE_PROPERTY + "=" + dir.resolve(ChildJvm.PROGRESS_FILE));
    cmd.add("-cp");
    cmd.add(String.join(File.pathSeparator, agentClasses.toString(),
        home.resolve("conf").toString(), home.resolve("jars").resolve("*").toString()));
    cmd.add(StepMain.class.getName());
    cmd.add(SUBMIT_CLASS);
    cmd.add("--master");
    cmd.add(master());
    cmd.add("--deploy-mode");
    cmd.add("client");
    Map<String, String> all = new LinkedHashMap<>(confs());
    all.put("spark.sql.warehouse.dir", dir.resolve("warehouse").toString());
    all.put("spark.local.dir", dir.resolve("spark-tmp").toString());
    all.putAll(extraConfs);
    all.forEach((k, v) -> {
      cmd.add("--conf");
      cmd.add(k + "=" + v);
    });
    cmd.add("--class");
    cmd.add(mainClass);
    cmd.add(jar.toString());
    cmd.addAll(args);
    return cmd;
  }

  Map<String, String> env() {
    return Map.of(
        "SPARK_HOME", workspace.repository().sparkHome().toString(),
        "SPARK_LOCAL_IP", "127.0.0.1",
        "SPARK_SCALA_VERSION", "2.13");
  }
}
