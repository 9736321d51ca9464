package dev.streamlake.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.testing.TestKafka;
import dev.streamlake.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proof that the -spark jars work outside the IDE: scripts/local-cluster.sh starts a Spark
 * standalone master and worker from the Maven-built Spark home, and spark-submits each stage's jar
 * to it in turn (availableNow, so each driver ends when its stage has caught up), against the test
 * broker. Gold must come out right.
 */
class LocalClusterIT {
  private static final Duration SUBMIT_TIMEOUT = Duration.ofMinutes(3);

  @TempDir Path dir;

  @Test
  @Timeout(value = 9, unit = TimeUnit.MINUTES)
  void theThreeJarsSubmittedToAStandaloneClusterTurnKafkaRecordsIntoGold() throws Exception {
    Repository repo = Repository.find();
    Path script = repo.script("local-cluster.sh");
    String topic = TestKafka.uniqueTopic("local-cluster");
    TestKafka.createTopic(topic, 2);
    SampleReadings samples = SampleReadings.generate(80, 42);
    TestKafka.produce(samples.records(topic));
    Path lake = dir.resolve("lake");
    Map<String, String> env = Map.of(
        "STREAMLAKE_CLUSTER_DIR", dir.resolve("cluster").toString(),
        "WORKER_CORES", "1");

    try {
      long t0 = System.nanoTime();
      Commands.Result started = Commands.run(repo.root(), env, Duration.ofMinutes(3),
          dir.resolve("start.log"), List.of("bash", script.toString(), "start"));
      assertThat(started.exitCode()).as("cluster start:\n%s", started.tail(40)).isZero();
      assertThat(started.output()).containsPattern("MASTER_URL=spark://127\\.0\\.0\\.1:\\d+");
      System.out.printf("LocalClusterIT: cluster up in %d s%n", (System.nanoTime() - t0) / 1_000_000_000);

      for (StageProcess.Kind stage : List.of(StageProcess.Kind.RAW_INGEST, StageProcess.Kind.DESERIALIZE,
          StageProcess.Kind.MERGE)) {
        List<String> command = new ArrayList<>(List.of("bash", script.toString(), "submit",
            repo.sparkJar(stage.module()).toString(), "--lake", lake.toString(), "--trigger", "availableNow"));
        if (stage == StageProcess.Kind.RAW_INGEST) {
          command.addAll(List.of("--bootstrap-servers", TestKafka.bootstrapServers(), "--topic", topic));
        }
        long t1 = System.nanoTime();
        Commands.Result submitted = Commands.run(repo.root(), env, SUBMIT_TIMEOUT,
            dir.resolve("submit-" + stage.module() + ".log"), command);
        assertThat(submitted.exitCode())
            .as("spark-submit of %s:\n%s", stage.module(), submitted.tail(60)).isZero();
        System.out.printf("LocalClusterIT: %s submitted and finished in %d s%n", stage.module(),
            (System.nanoTime() - t1) / 1_000_000_000);
        // The driver really ran on the cluster: it got executors from the standalone master.
        assertThat(submitted.output()).as("%s driver log", stage.module())
            .contains("spark://127.0.0.1");
      }

      // Each driver got an executor from the worker: one application folder per submit.
      try (var apps = Files.list(dir.resolve("cluster").resolve("work"))) {
        assertThat(apps.filter(p -> p.getFileName().toString().startsWith("app-")).count()).isEqualTo(3);
      }

      PipelineReport report = new PipelineReport(TestSpark.session(), lake);
      PipelineReport.Progress progress = report.progress(samples);
      assertThat(progress.missing()).isEmpty();
      assertThat(report.counts()).isEqualTo(new PipelineReport.Counts(samples.expectedRaw(),
          samples.expectedBronze(), samples.expectedDeadLetterCount(), samples.expectedGold().size()));
      assertThat(report.deadLettersByCode()).isEqualTo(samples.expectedDeadLetters());
      assertThat(report.gold()).isEqualTo(samples.expectedGold());
      assertThat(report.coverage().exact()).as("raw = bronze + dead_letter by coordinates: %s",
          report.coverage()).isTrue();
      assertThat(report.rawDuplicates()).isZero();
    } finally {
      Commands.Result stopped = Commands.run(repo.root(), env, Duration.ofMinutes(2),
          dir.resolve("stop.log"), List.of("bash", script.toString(), "stop"));
      assertThat(stopped.exitCode()).as("cluster stop:\n%s", stopped.tail(20)).isZero();
    }
  }
}
