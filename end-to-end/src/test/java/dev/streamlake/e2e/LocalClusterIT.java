package dev.streamlake.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.streamlake.local.Repository;
import dev.streamlake.testing.TestKafka;
import dev.streamlake.testing.TestSpark;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline on a local standalone cluster the way a user runs it: {@code scripts/local-cluster.sh
 * run} starts master and worker (default size) and submits the three -spark jars, always on, before
 * their topic exists. The topic is created and records are produced while the three stages run side
 * by side, each with its own executor; gold must converge to the expected rows while all three still
 * run, and {@code stop} must end them and the cluster cleanly.
 */
class LocalClusterIT {
  private static final List<String> STAGES = List.of("raw-ingest", "deserialize", "merge");
  private static final Pattern EXECUTOR_ADDED =
      Pattern.compile("Executor added: (app-[0-9-]+)/\\d+ on \\S+ \\S+ with (\\d+) core\\(s\\)");

  // Kept when the test fails: the cluster's and the stages' logs are what explains it.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;

  @Test
  // Minutes, not seconds: on a busy 2-core machine one executor JVM takes a minute to start and a
  // first micro-batch several; the waits below end as soon as their condition holds.
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void theThreeStagesRunTogetherOnTheDefaultWorkerAndGoldConvergesWhileTheyRun() throws Exception {
    Repository repo = Repository.find();
    Path script = repo.script("local-cluster.sh");
    String topic = TestKafka.uniqueTopic("local-cluster");
    SampleReadings samples = SampleReadings.generate(80, 42);
    int firstPart = samples.size() / 2;
    Path lake = dir.resolve("lake");
    Path cluster = dir.resolve("cluster");
    // The worker's default size: the point is that the three stages fit it as shipped.
    Map<String, String> env = Map.of("STREAMLAKE_CLUSTER_DIR", cluster.toString());
    PipelineReport report = new PipelineReport(TestSpark.session(), lake);
    long t0 = System.nanoTime();

    try {
      Commands.Result run = Commands.run(repo.root(), env, Duration.ofMinutes(8), dir.resolve("run.log"),
          List.of("bash", script.toString(), "run", "--lake", lake.toString(),
              "--bootstrap-servers", TestKafka.bootstrapServers(), "--topic", topic,
              "--trigger", "processingTime:3s", "--wait-for-topic", "10m"));
      assertThat(run.exitCode()).as("local-cluster.sh run:\n%s", run.tail(40)).isZero();
      log(t0, "run returned: cluster up, three stages submitted");
      assertThat(run.output())
          .containsPattern("MASTER_URL=spark://127\\.0\\.0\\.1:\\d+")
          .contains("raw-ingest is up, waiting for its topic: Topic '" + topic + "' does not exist on Kafka at "
              + TestKafka.bootstrapServers())
          .contains("deserialize is up: the master granted it an executor")
          .contains("merge is up: the master granted it an executor");
      Map<String, ProcessHandle> drivers = drivers(cluster);

      TestKafka.createTopic(topic, 2);
      TestKafka.produce(samples.records(topic, 0, firstPart));
      log(t0, "topic created, first " + firstPart + " records produced");
      PipelineReport.Counts[] last = {null};
      await("gold gets its first rows while the three stages run").atMost(Duration.ofMinutes(10))
          .pollInterval(Duration.ofSeconds(10))
          .until(() -> {
            assertAlive(drivers, cluster);
            PipelineReport.Counts counts = report.counts();
            if (!counts.equals(last[0])) {
              log(t0, counts.toString());
              last[0] = counts;
            }
            return counts.gold() > 0;
          });
      log(t0, "gold has rows; producing the other " + (samples.size() - firstPart) + " records");
      TestKafka.produce(samples.records(topic, firstPart, samples.size()));

      PipelineReport.Progress done = report.awaitCaughtUp(samples, new PipelineReport.Timings(Instant.now()),
          Duration.ofMinutes(8), () -> drivers.values().stream().allMatch(ProcessHandle::isAlive),
          p -> log(t0, p.counts().toString()));
      assertAlive(drivers, cluster);
      assertThat(done.missing()).as("gold converges while all three run; logs:%s", logs(cluster)).isEmpty();
      log(t0, "gold converged with all three stages running");

      // Each stage is its own application with one executor of one core, all three at once.
      Map<String, String> appOf = new LinkedHashMap<>();
      for (String stage : STAGES) {
        Matcher m = EXECUTOR_ADDED.matcher(read(stageLog(cluster, stage)));
        assertThat(m.find()).as("%s got an executor:\n%s", stage, tail(stageLog(cluster, stage))).isTrue();
        assertThat(m.group(2)).as("%s executor cores", stage).isEqualTo("1");
        appOf.put(stage, m.group(1));
      }
      assertThat(appOf.values()).doesNotHaveDuplicates();
      String master = read(cluster.resolve("master.log"));
      assertThat(master).contains("Registered app streamlake-raw-ingest", "Registered app streamlake-deserialize",
          "Registered app streamlake-merge");
      assertThat(master).doesNotContain("Removing app");

      Commands.Result status = Commands.run(repo.root(), env, Duration.ofMinutes(1), dir.resolve("status.log"),
          List.of("bash", script.toString(), "status"));
      assertThat(status.output()).contains("raw-ingest: running", "deserialize: running", "merge: running");

      assertThat(report.counts()).isEqualTo(new PipelineReport.Counts(samples.expectedRaw(),
          samples.expectedBronze(), samples.expectedDeadLetterCount(), samples.expectedGold().size()));
      assertThat(report.deadLettersByCode()).isEqualTo(samples.expectedDeadLetters());
      assertThat(report.gold()).isEqualTo(samples.expectedGold());
      assertThat(report.coverage().exact()).as("raw = bronze + dead_letter by coordinates: %s",
          report.coverage()).isTrue();
      assertThat(report.rawDuplicates()).isZero();
    } catch (Throwable t) {
      System.out.printf("LocalClusterIT failed; files kept in %s%s%n", dir, logs(cluster));
      throw t;
    } finally {
      Commands.Result stopped = Commands.run(repo.root(), env, Duration.ofMinutes(3),
          dir.resolve("stop.log"), List.of("bash", script.toString(), "stop"));
      log(t0, "stopped:\n" + stopped.output().strip());
      assertThat(stopped.exitCode()).as("local-cluster.sh stop:\n%s", stopped.tail(20)).isZero();
      assertThat(stopped.output()).doesNotContain("killed");
    }
    // Cleanly: each query was stopped before its SparkContext, so no driver died of an error.
    for (String stage : STAGES) {
      String log = read(stageLog(cluster, stage));
      assertThat(log).as("%s log:\n%s", stage, tail(stageLog(cluster, stage)))
          .containsPattern("GracefulShutdown: Query sensor_readings\\." + stage + "\\.\\S+ stopped")
          .doesNotContain("Exception in thread \"main\"")
          .doesNotContain("terminated with error");
    }
    try (var files = Files.list(cluster.resolve("stages"))) {
      assertThat(files.filter(p -> p.toString().endsWith(".pid")))
          .as("stop forgets the stages it stopped").isEmpty();
    }
  }

  /** The driver processes 'run' recorded, by stage. */
  private static Map<String, ProcessHandle> drivers(Path cluster) throws IOException {
    Map<String, ProcessHandle> out = new LinkedHashMap<>();
    for (String stage : STAGES) {
      long pid = Long.parseLong(read(cluster.resolve("stages").resolve(stage + ".pid")).strip());
      out.put(stage, ProcessHandle.of(pid).orElseThrow(
          () -> new AssertionError(stage + " driver (pid " + pid + ") is not running:\n"
              + tail(stageLog(cluster, stage)))));
    }
    return out;
  }

  private static void assertAlive(Map<String, ProcessHandle> drivers, Path cluster) {
    drivers.forEach((stage, process) -> assertThat(process.isAlive())
        .as("%s driver exited:\n%s", stage, tail(stageLog(cluster, stage))).isTrue());
  }

  private static Path stageLog(Path cluster, String stage) {
    return cluster.resolve("stages").resolve(stage + ".log");
  }

  private static String logs(Path cluster) {
    StringBuilder b = new StringBuilder();
    for (String stage : STAGES) {
      b.append("\n--- ").append(stage).append('\n').append(tail(stageLog(cluster, stage)));
    }
    return b.toString();
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  private static String tail(Path file) {
    try {
      return Commands.tail(file, 30);
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  private static void log(long t0, String what) {
    System.out.printf("LocalClusterIT +%ds: %s%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0), what);
  }
}
