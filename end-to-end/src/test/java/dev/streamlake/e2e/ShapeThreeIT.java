package dev.streamlake.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.streamlake.local.Repository;
import dev.streamlake.local.StageModule;
import dev.streamlake.local.StageProcess;
import dev.streamlake.testing.TestKafka;
import dev.streamlake.testing.TestSpark;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deployment shape 3 on this machine: each stage its own driver JVM over its own -spark jar. While
 * data flows, stage 2 dies by kill -9. Stage 1 keeps ingesting and stage 3 keeps running; restarted,
 * stage 2 resumes from its checkpoint and the tables end with nothing lost and nothing twice.
 */
class ShapeThreeIT {
  private static final String TRIGGER = "processingTime:2s";

  @TempDir Path dir;

  @Test
  @Timeout(value = 9, unit = TimeUnit.MINUTES)
  void killingStageTwoMidStreamLosesNothingAndDuplicatesNothing() throws Exception {
    Repository repo = Repository.find();
    String topic = TestKafka.uniqueTopic("shape-three");
    TestKafka.createTopic(topic, 3);
    SampleReadings samples = SampleReadings.generate(160, 3);
    int firstPart = samples.size() / 2;
    Path lake = dir.resolve("lake");
    Path run = dir.resolve("run");
    PipelineReport report = new PipelineReport(TestSpark.session(), lake);

    List<StageProcess> stages = new ArrayList<>();
    long t0 = System.nanoTime();
    try {
      StageProcess ingest = StageProcess.start(repo, StageModule.RAW_INGEST, List.of("--lake", lake.toString(),
          "--trigger", TRIGGER, "--bootstrap-servers", TestKafka.bootstrapServers(), "--topic", topic), run);
      stages.add(ingest);
      StageProcess deserialize = StageProcess.start(repo, StageModule.DESERIALIZE,
          List.of("--lake", lake.toString(), "--trigger", TRIGGER), run);
      stages.add(deserialize);
      StageProcess merge = StageProcess.start(repo, StageModule.MERGE,
          List.of("--lake", lake.toString(), "--trigger", TRIGGER), run);
      stages.add(merge);

      TestKafka.produce(samples.records(topic, 0, firstPart));
      await("stage 2 writes bronze rows").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2))
          .until(() -> {
            assertAlive(stages);
            return report.counts().bronze() > 0;
          });

      log(t0, "stage 2 wrote bronze rows; killing it with SIGKILL");
      deserialize.kill();
      assertThat(deserialize.isAlive()).isFalse();
      PipelineReport.Counts atKill = report.counts();
      TestKafka.produce(samples.records(topic, firstPart, samples.size()));

      // Stage 1 keeps ingesting everything while stage 2 is dead; stage 3 keeps running and gold
      // keeps serving what reached bronze before the kill.
      await("stage 1 ingests every record while stage 2 is dead").atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(2))
          .until(() -> {
            assertAlive(List.of(ingest, merge));
            return report.counts().raw() == samples.expectedRaw();
          });
      await("gold serves while stage 2 is dead").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
          .until(() -> report.counts().gold() > 0);
      assertThat(deserialize.isAlive()).isFalse();
      assertThat(ingest.isAlive()).isTrue();
      assertThat(merge.isAlive()).isTrue();
      PipelineReport.Counts whileDead = report.counts();
      assertThat(whileDead.bronze() + whileDead.deadLetter())
          .as("nothing reaches bronze or dead_letter while stage 2 is dead")
          .isEqualTo(atKill.bronze() + atKill.deadLetter());

      log(t0, "raw complete and gold serving while stage 2 is dead; restarting stage 2");
      deserialize.restart();
      assertThat(deserialize.starts()).isEqualTo(2);
      PipelineReport.Progress done = report.awaitCaughtUp(samples, new PipelineReport.Timings(Instant.now()),
          Duration.ofMinutes(4), () -> stages.stream().allMatch(StageProcess::isAlive), p -> { });
      assertThat(done.missing()).as(logs(stages)).isEmpty();
      log(t0, "gold caught up after the restart");

      assertThat(report.counts().raw()).isEqualTo(samples.expectedRaw());
      assertThat(report.rawDuplicates()).isZero();
      assertThat(report.coverage()).as("raw = bronze + dead_letter by (topic, partition, offset)")
          .isEqualTo(new PipelineReport.Coverage(0, 0, 0));
      assertThat(report.counts().bronze()).isEqualTo(samples.expectedBronze());
      assertThat(report.deadLettersByCode()).isEqualTo(samples.expectedDeadLetters());
      assertThat(report.gold()).isEqualTo(samples.expectedGold());
    } finally {
      for (StageProcess s : stages) {
        s.stop();
      }
    }
  }

  private static void log(long t0, String what) {
    System.out.printf("ShapeThreeIT +%ds: %s%n", (System.nanoTime() - t0) / 1_000_000_000, what);
  }

  private static void assertAlive(List<StageProcess> stages) {
    for (StageProcess s : stages) {
      // Without stack frames, which would push the error itself out of the report.
      assertThat(s.isAlive()).as("%s driver exited with %s:\n%s", s.name(), s.exitCode(),
          s.logTail(400).lines().filter(l -> !l.stripLeading().startsWith("at "))
              .reduce((a, b) -> a + "\n" + b).orElse("")).isTrue();
    }
  }

  private static String logs(List<StageProcess> stages) {
    StringBuilder b = new StringBuilder();
    for (StageProcess s : stages) {
      b.append("\n--- ").append(s.logFile()).append('\n').append(s.logTail(25));
    }
    return b.toString();
  }
}
