package dev.streamlake.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.local.Repository;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bad share setting stops {@code local-cluster.sh run} before anything starts, with one line
 * naming the variable, its value and what is allowed. Needs no broker: nothing gets that far.
 */
class LocalClusterSharesIT {
  @TempDir Path dir;

  @Test
  void aBadShareSettingStopsTheRunWithItsOneMessageAndStartsNothing() throws Exception {
    Repository repo = Repository.find();
    Path script = repo.script("local-cluster.sh");
    Map<String, String> env = Map.of("STREAMLAKE_CLUSTER_DIR", dir.resolve("cluster").toString(),
        "DESERIALIZE_CORES", "two");

    Commands.Result run = Commands.run(repo.root(), env, Duration.ofMinutes(2),
        dir.resolve("run.log"), List.of("bash", script.toString(), "run", "--lake",
            dir.resolve("lake").toString(), "--bootstrap-servers", "127.0.0.1:9"));

    assertThat(run.exitCode()).as("local-cluster.sh run:\n%s", run.tail(20)).isNotZero();
    // One message and nothing after it (a check that only ended a subshell let the script run on
    // into shell arithmetic errors).
    assertThat(run.output().strip().lines().reduce((first, last) -> last).orElse(""))
        .isEqualTo("error: invalid DESERIALIZE_CORES: 'two'. Allowed: a whole number of cores >= 1");
    Commands.Result status = Commands.run(repo.root(), env, Duration.ofMinutes(1),
        dir.resolve("status.log"), List.of("bash", script.toString(), "status"));
    assertThat(status.tail(5)).contains("cluster: not running");
  }
}
