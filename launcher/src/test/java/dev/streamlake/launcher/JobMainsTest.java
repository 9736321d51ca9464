package dev.streamlake.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.common.ProjectVersion;
import dev.streamlake.deserialize.DeserializeJob;
import dev.streamlake.ingest.RawIngestJob;
import dev.streamlake.merge.MergeJob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every job's main as {@code java} runs it, in a JVM of its own: exit statuses and stderr are what
 * a user of spark-submit sees, and an exit cannot be observed inside the test's JVM.
 */
class JobMainsTest {
  private static final String BAD_TRIGGER = "Invalid value for --trigger: 'every 5 minutes'."
      + " Allowed: availableNow, processingTime:<duration> with a duration such as 500ms, 30s,"
      + " 15m or 1h, or default (the stage's own).";

  @TempDir Path dir;

  record Run(int exit, String stdout, String stderr) {}

  private Run run(String main, boolean onDatabricks, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), main));
    command.addAll(List.of(args));
    Path out = dir.resolve("stdout");
    Path err = dir.resolve("stderr");
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().remove("DATABRICKS_RUNTIME_VERSION");
    if (onDatabricks) {
      pb.environment().put("DATABRICKS_RUNTIME_VERSION", "16.4");
    }
    Process p = pb.start();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(main + " did not end within 2 minutes");
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  /** A command line that is right but for its trigger. */
  private String[] badTrigger(Class<?> job) {
    List<String> args = new ArrayList<>(List.of("--lake", dir.resolve("lake").toString(),
        "--trigger", "every 5 minutes"));
    if (job == RawIngestJob.class || job == AllInOneJob.class) {
      args.addAll(List.of("--bootstrap-servers", "127.0.0.1:9"));
    }
    return args.toArray(String[]::new);
  }

  @ParameterizedTest
  @ValueSource(classes = {RawIngestJob.class, DeserializeJob.class, MergeJob.class,
      AllInOneJob.class})
  void aBadSettingPrintsItsOneLineAndExitsWithTwo(Class<?> job) throws Exception {
    Run r = run(job.getName(), false, badTrigger(job));
    assertThat(r.exit()).as(r.stderr()).isEqualTo(2);
    assertThat(r.stderr()).doesNotContain("\tat ").isEqualTo(BAD_TRIGGER + System.lineSeparator());
  }

  @ParameterizedTest
  @ValueSource(classes = {RawIngestJob.class, MergeJob.class})
  void onDatabricksTheTaskFailsWithTheSameMessageWithoutExit(Class<?> job) throws Exception {
    // The JVM's own ending of an uncaught exception: status 1, not the 2 of System.exit.
    Run r = run(job.getName(), true, badTrigger(job));
    assertThat(r.exit()).as(r.stderr()).isEqualTo(1);
    assertThat(r.stderr()).contains("ConfigException: " + BAD_TRIGGER);
  }

  @ParameterizedTest
  @ValueSource(classes = {RawIngestJob.class, DeserializeJob.class, MergeJob.class,
      AllInOneJob.class})
  void versionPrintsTheProjectVersionAndNeedsNothingElse(Class<?> job) throws Exception {
    Run r = run(job.getName(), false, "--version");
    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(r.stdout()).contains(ProjectVersion.get()).doesNotContain("--lake");
  }
}
