package dev.streamlake.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.ConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

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
  void helpOnlyReturnsNull() {
    assertThat(MergeConfig.fromArgs(new String[] {"--help"})).isNull();
  }
}
