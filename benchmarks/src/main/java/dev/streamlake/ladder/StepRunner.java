package dev.streamlake.ladder;

import dev.streamlake.local.StageModule;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the Spark steps: each one a fresh {@code SparkSubmit} JVM in its own folder
 * ({@code work/<step>/<label>}) with its lake in {@code lake/} there. A lake is deleted after the
 * run unless a later step reads it; logs, GC log, progress and flight recording stay.
 */
final class StepRunner {
  /** The table folders of the reference pipeline inside a lake. */
  static final String PIPELINE = "sensor_readings";

  final LadderConfig config;
  final Workspace workspace;
  final SparkSubmit submit;
  final String bootstrap;

  StepRunner(LadderConfig config, Workspace workspace, SparkSubmit submit, String bootstrap) {
    this.config = config;
    this.workspace = workspace;
    this.submit = submit;
    this.bootstrap = bootstrap;
  }

  static Path raw(Path lake) {
    return lake.resolve("raw").resolve(PIPELINE);
  }

  static Path bronze(Path lake) {
    return lake.resolve("bronze").resolve(PIPELINE);
  }

  static Path gold(Path lake) {
    return lake.resolve("gold").resolve(PIPELINE);
  }

  Path lake(String step, String label) {
    return workspace.runDir(step, label).resolve("lake");
  }

  /** The ladder's own jobs (textbook, monolith, limits, generators) bundled like a user's job jar. */
  Path ladderJar() {
    return workspace.repository().sparkJar("benchmarks");
  }

  /** A stage's jar, run exactly as users submit it. */
  Path stageJar(StageModule job) {
    return workspace.repository().sparkJar(job);
  }

  String mainClass(StageModule job) {
    return workspace.repository().mainClass(job);
  }

  /** Runs one Spark step to its end; {@code keepLake}: a later step reads its tables. */
  RunRecord run(String step, String label, int round, long records, Path jar, String mainClass,
      List<String> args, String heap, Map<String, String> confs, boolean keepLake) {
    Path dir = workspace.runDir(step, label);
    Workspace.deleteRecursively(dir);
    ChildJvm child = ChildJvm.start(step + " " + label, dir,
        submit.command(dir, heap, jar, mainClass, args, confs), submit.env());
    RunRecord record = child.await(Duration.ofSeconds(config.stepTimeoutSeconds()))
        .stop()
        .record(step, label, round, records, true);
    Workspace.deleteRecursively(dir.resolve("spark-tmp"));
    if (!keepLake || !record.ok()) {
      Workspace.deleteRecursively(dir.resolve("lake"));
    }
    return record;
  }

  /** Starts a long-running Spark step (the freshness pipeline); the caller stops it. */
  ChildJvm start(String step, String label, Path jar, String mainClass, List<String> args,
      String heap, Map<String, String> confs) {
    Path dir = workspace.runDir(step, label);
    Workspace.deleteRecursively(dir);
    return ChildJvm.start(step + " " + label, dir,
        submit.command(dir, heap, jar, mainClass, args, confs), submit.env());
  }

  RunRecord stage(StageModule job, String step, String label, int round, long records,
      List<String> args, String heap, boolean keepLake) {
    List<String> all = new ArrayList<>(List.of("--lake", lake(step, label).toString(),
        "--trigger", "availableNow"));
    all.addAll(args);
    return run(step, label, round, records, stageJar(job), mainClass(job), all, heap, Map.of(),
        keepLake);
  }

  List<String> stage1Args(String topic) {
    return new ArrayList<>(List.of("--bootstrap-servers", bootstrap, "--topic", topic));
  }
}
