package dev.streamlake.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MergeConfigTest {

  @Test
  void defaults() {
    MergeConfig c = MergeConfig.fromArgs(new String[] {"--lake", "/tmp/lake"});
    assertThat(c.settings().trigger().toString()).isEqualTo("processingTime:15m");
    assertThat(c.settings().appId()).isEqualTo("sensor_readings-merge");
    assertThat(c.settings().gold().name()).isEqualTo("/tmp/lake/gold/sensor_readings");
    assertThat(c.maxFilesPerTrigger()).isEqualTo(1000);
    assertThat(c.maxRetries()).isEqualTo(5);
    assertThat(c.retryBackoff()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.maxPartitionLiterals()).isEqualTo(1000);
    assertThat(c.describe())
        .containsEntry("trigger", "processingTime:15m")
        .containsEntry("merge-max-retries", "5")
        .containsEntry("merge-retry-backoff", "1000ms")
        .containsKeys("merge-max-files-per-trigger", "merge-max-partition-literals", "gold-table");
  }

  @Test
  void everyTriggerAndOptionIsAccepted() {
    MergeConfig c = MergeConfig.fromArgs(new String[] {"--lake", "/l", "--trigger", "availableNow",
        "--merge-max-files-per-trigger", "7", "--merge-max-retries", "0",
        "--merge-retry-backoff", "250ms", "--merge-max-partition-literals", "3",
        "--gold-table", "main.gold.sensor_readings"});
    assertThat(c.settings().trigger().isAvailableNow()).isTrue();
    assertThat(c.maxFilesPerTrigger()).isEqualTo(7);
    assertThat(c.maxRetries()).isZero();
    assertThat(c.retryBackoff()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.maxPartitionLiterals()).isEqualTo(3);
    assertThat(c.settings().gold().isPath()).isFalse();
    assertThat(MergeConfig.fromArgs(new String[] {"--lake", "/l", "--trigger", "processingTime:30s"})
        .settings().trigger().toString()).isEqualTo("processingTime:30s");
  }

  @Test
  void badValuesNameTheSetting() {
    assertThatThrownBy(() -> MergeConfig.fromArgs(
            new String[] {"--lake", "/l", "--merge-max-retries", "-1"}))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --merge-max-retries: '-1'. Allowed: a whole number >= 0.");
    assertThatThrownBy(() -> MergeConfig.fromArgs(
            new String[] {"--lake", "/l", "--merge-retry-backoff", "soon"}))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--merge-retry-backoff: 'soon'");
    assertThatThrownBy(() -> MergeConfig.fromArgs(
            new String[] {"--lake", "/l", "--merge-max-files-per-trigger", "0"}))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--merge-max-files-per-trigger");
    assertThatThrownBy(() -> MergeConfig.fromArgs(new String[] {"--trigger", "availableNow"}))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--lake");
  }

  @Test
  void numbersAreTypedWithTheSameMessagesAndStillTrimmed() {
    assertThatThrownBy(() -> MergeConfig.fromArgs(
            new String[] {"--lake", "/l", "--merge-max-retries", "five"}))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --merge-max-retries: 'five'. Allowed: a whole number.");
    assertThatThrownBy(() -> MergeConfig.fromArgs(
            new String[] {"--lake", "/l", "--merge-max-partition-literals", "99999999999"}))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --merge-max-partition-literals: '99999999999'. Allowed: a"
            + " whole number.");
    assertThat(MergeConfig.fromArgs(
            new String[] {"--lake", "/l", "--merge-max-files-per-trigger", " 7 "})
        .maxFilesPerTrigger()).isEqualTo(7);
  }

  @Test
  void theRetryBackoffReadsEveryDurationUpToAnHour() {
    // Once only ms, s and m: the one duration grammar adds us, min, h and d.
    assertThat(backoff("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(backoff("2min")).isEqualTo(Duration.ofMinutes(2));
    assertThat(backoff("1500 ms")).isEqualTo(Duration.ofMillis(1500));
    for (String tooLong : new String[] {"61m", "1d"}) {
      assertThatThrownBy(() -> backoff(tooLong))
          .isInstanceOf(ConfigException.class)
          .hasMessage("Invalid value for --merge-retry-backoff: '" + tooLong + "'. Allowed: a"
              + " duration up to 1 hour such as 500ms, 1s or 2m.");
    }
    for (String noDuration : new String[] {"500", "-1s", "1.5s"}) {
      assertThatThrownBy(() -> backoff(noDuration))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("--merge-retry-backoff: '" + noDuration + "'");
    }
  }

  private static Duration backoff(String value) {
    return MergeConfig.fromArgs(new String[] {"--lake", "/l", "--merge-retry-backoff", value})
        .retryBackoff();
  }

  @Test
  void aPipelineWhoseGoldCannotBeBuiltFailsAtParsing(@TempDir Path dir) throws IOException {
    Path config = dir.resolve("bad.json");
    Files.writeString(config, """
        {"name": "bad", "topic": "t",
         "schemas": {"directory": "classpath:schemas/sensor_readings", "readerId": 2},
         "gold": {"key": ["sensor_id"], "sequence": ["reading_ts"], "partitionBy": [],
                  "derived": [{"name": "first_inserted_at", "expression": "reading_ts"}]}}
        """);
    assertThatThrownBy(() -> MergeConfig.fromArgs(
            new String[] {"--lake", "/l", "--config", config.toString()}))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid pipeline config: column 'first_inserted_at' is reserved in gold for"
            + " the time a row was first inserted / last changed; rename the field or derived"
            + " column.");
  }

  @Test
  void helpOnlyReturnsNull() {
    assertThat(MergeConfig.fromArgs(new String[] {"--help"})).isNull();
  }
}
