package dev.streamlake.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.local.Repository;
import dev.streamlake.local.StageModule;
import dev.streamlake.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chaos run ({@link ChaosRun}): the quick version in the default suite, the full one with
 * {@code mvn -B -Pchaos -pl end-to-end -am verify} ({@code scripts/chaos.sh}), which writes
 * {@code end-to-end/chaos-results.md}.
 */
class ChaosIT {
  @TempDir Path dir;

  @Test
  @Timeout(value = 80, unit = TimeUnit.MINUTES)
  void killsInsideAndOutsideCommitsABrokerOutageAndOptimizeLeaveEveryTableExact() throws Exception {
    ChaosRun.Settings settings = ChaosRun.Settings.fromSystemProperties();
    String resultsProperty = System.getProperty("streamlake.chaos.results", "");
    Path results = resultsProperty.isBlank() ? dir.resolve("chaos-results.md") : Path.of(resultsProperty);
    String command = settings.name().equals("full") ? "scripts/chaos.sh  (mvn -B -Pchaos -pl end-to-end -am verify)"
        : "mvn -B verify -pl end-to-end -am -Dit.test=ChaosIT";

    ChaosRun.Result r = ChaosRun.run(Repository.find(), TestSpark.session(), settings, dir, System.out);
    ChaosResults.write(r, command, TestSpark.session().version(), results);
    String written = Files.readString(results);
    System.out.println(written);

    for (ChaosRun.Check check : r.checks()) {
      assertThat(check.passed()).as("%s: %s\n%s", check.name(), check.detail(), written).isTrue();
    }
    assertThat(r.passed()).isTrue();
    assertThat(written).startsWith("# Chaos run (" + settings.name() + "): PASS");
    // The faults the run claims it made, it made: each stage killed, some inside a commit, the
    // broker down and back, compactions done.
    for (StageModule stage : List.of(StageModule.RAW_INGEST, StageModule.DESERIALIZE, StageModule.MERGE)) {
      assertThat(r.killsPerStage().get(stage)).as("kills of %s", stage).isGreaterThanOrEqualTo(settings.kills() / 3);
      assertThat(r.starts().get(stage)).as("starts of %s", stage).isGreaterThan(1);
    }
    assertThat(r.insideCommitKills()).as("kills inside a commit").isGreaterThanOrEqualTo(1);
    assertThat(r.kills().stream().filter(ChaosRun.Kill::insideCommit))
        .allSatisfy(k -> assertThat(k.checkpoint()).startsWith("batch"));
    assertThat(r.outage()).isNotNull();
    assertThat(r.outage().length()).isGreaterThanOrEqualTo(settings.minOutage());
    assertThat(r.outage().stageOneResumedAfter()).as("stage 1 resumed after the outage").isNotNull();
    assertThat(r.optimizeRuns()).isPositive();
    assertThat(r.produced()).isGreaterThan(1_000);
  }
}
