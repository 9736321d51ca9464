package dev.streamlake.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.local.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, run as a user runs it: ./demo.sh (shape 3), on a small data set,
 * ending with the ops commands audit and status.
 */
class DemoIT {
  @TempDir Path dir;

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void demoScriptRunsTheThreeStagesReportsSuccessAndStopsWhatItStarted() throws Exception {
    Repository repo = Repository.find();
    Path lake = dir.resolve("demo-lake");
    Commands.Result result = Commands.run(dir, Map.of(), Duration.ofMinutes(7), dir.resolve("demo.out"),
        List.of("bash", repo.root().resolve("demo.sh").toString(), "--records", "80", "--lake", lake.toString(),
            "--trigger-seconds", "2", "--timeout-seconds", "300"));

    assertThat(result.exitCode()).as(result.tail(80)).isZero();
    String out = result.output();
    assertThat(out).contains("shape 3 (three drivers: raw-ingest, deserialize, merge)", "Rows per table",
        "Dead letters by error_code", "BAD_MAGIC_BYTE", "UNKNOWN_SCHEMA_ID", "MALFORMED_AVRO",
        "EMPTY_PAYLOAD", "RULE_VIOLATION", "Gold (first", "1 raw-ingest", "2 deserialize", "3 merge",
        "gold matches the expected rows", "stopped Kafka broker", "DEMO OK");
    // It ends with the operator commands, run from the ops jar.
    assertThat(out).contains("$ spark-submit ops.jar audit --lake",
        "Audit of pipeline sensor_readings: CLEAN, no violation found.",
        "$ spark-submit ops.jar status --lake", "Pipeline sensor_readings, status at",
        "dead letters in the last 24h: ", "0 record(s) in Kafka behind (sensor-readings-0 0");
    assertThat(out.indexOf("DEMO OK")).isGreaterThan(out.indexOf("Pipeline sensor_readings, status at"));
    // Tables and logs stay for inspection.
    assertThat(lake.resolve("gold/sensor_readings/_delta_log")).isDirectory();
    assertThat(lake.resolve("_run/deserialize.log")).isRegularFile();
    // Nothing it started outlives it.
    Matcher pids = Pattern.compile("driver \\(pid (\\d+)").matcher(out);
    int drivers = 0;
    while (pids.find()) {
      drivers++;
      long pid = Long.parseLong(pids.group(1));
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("driver pid %d", pid).isFalse();
    }
    assertThat(drivers).isEqualTo(3);
    Matcher broker = Pattern.compile("Kafka broker up at \\S+ \\(pid (\\d+)\\)").matcher(out);
    assertThat(broker.find()).isTrue();
    assertThat(ProcessHandle.of(Long.parseLong(broker.group(1))).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(Files.exists(dir.resolve("spark-warehouse"))).as("no stray warehouse folder").isFalse();
  }
}
