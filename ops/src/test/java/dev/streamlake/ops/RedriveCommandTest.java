package dev.streamlake.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.ConfigException;
import dev.streamlake.testing.TestSpark;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The re-drive command's settings and summary, without any stage run (RedriveIT has those). */
class RedriveCommandTest {

  @TempDir Path lake;

  /** The command as its main runs it, on the given session, with a seam on the re-drive. */
  static RedriveReport redrive(SparkSession spark, UnaryOperator<Redrive> hook, String... args) {
    RedriveCommand.Cli cli = new RedriveCommand.Cli();
    assertThat(CommandLines.parse(cli, args)).isTrue();
    return RedriveCommand.run(cli, name -> spark, hook);
  }

  static RedriveReport redrive(String... args) {
    return redrive(TestSpark.session(), UnaryOperator.identity(), args);
  }

  /** The command with a session that must not be asked for. */
  static RedriveReport withoutSpark(String... args) {
    RedriveCommand.Cli cli = new RedriveCommand.Cli();
    assertThat(CommandLines.parse(cli, args)).isTrue();
    return RedriveCommand.run(cli, name -> {
      throw new AssertionError("a bad setting must stop the command before Spark starts");
    });
  }

  @Test
  void badSelectionsAreOneLineNamingTheSettingBeforeAnySparkWork() {
    assertThatThrownBy(() -> withoutSpark("--lake", lake.toString(), "--code", "UNKNOWN_ID"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Invalid value for --code: 'UNKNOWN_ID'. Allowed: one or more of"
            + " EMPTY_PAYLOAD, ");
    assertThatThrownBy(() -> withoutSpark("--lake", lake.toString(), "--since", "yesterday"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Invalid value for --since: 'yesterday'");
    assertThatThrownBy(() -> withoutSpark("--lake", lake.toString(),
        "--since", "2024-03-02", "--until", "2024-03-01T12:00:00"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("is not before --until");
    assertThatThrownBy(() -> withoutSpark("--lake", lake.toString(), "--where", " "))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("Invalid value for --where");
  }

  @Test
  void aPipelineWithoutTablesIsNamedWithWhatToDo() {
    assertThatThrownBy(() -> redrive("--lake", lake.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("The dead_letter table " + lake.resolve("dead_letter/sensor_readings")
            + " does not exist")
        .hasMessageContaining("--dead-letter-table");
  }

  @Test
  void theSummarySaysWhatWasRedrivenAndWhatStaysOpen() {
    Map<String, Long> failing = new TreeMap<>(Map.of("RULE_VIOLATION", 1L, "EMPTY_PAYLOAD", 2L));
    RedriveReport r = new RedriveReport("/lake/dead_letter/x", "/lake/bronze/x", false, 9, 2, 7,
        3, 1, 12L, failing, 1);
    assertThat(r.toText()).isEqualTo("""
        Re-drive of /lake/dead_letter/x into /lake/bronze/x
          matching dead letters:       9
          already re-driven, skipped:  2
          open, classified again:      7
          re-driven:                   4 (3 written at bronze version 12, 1 already in bronze \
        from an earlier re-drive)
          still failing, left open:    3 (EMPTY_PAYLOAD 2, RULE_VIOLATION 1; 1 with a new reason)
        """);
    assertThat(r.toJson()).isEqualTo("{\"dead_letter\":\"/lake/dead_letter/x\","
        + "\"bronze\":\"/lake/bronze/x\",\"dry_run\":false,\"matched\":9,"
        + "\"already_redriven\":2,\"selected\":7,\"redriven\":4,\"written_to_bronze\":3,"
        + "\"found_in_bronze\":1,\"bronze_version\":12,"
        + "\"still_failing\":{\"EMPTY_PAYLOAD\":2,\"RULE_VIOLATION\":1},\"new_reasons\":1}");
  }
}
