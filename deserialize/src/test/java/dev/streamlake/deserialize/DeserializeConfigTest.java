package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.ConfigException;
import org.junit.jupiter.api.Test;

class DeserializeConfigTest {

  @Test
  void defaults() {
    DeserializeConfig c = DeserializeConfig.fromArgs(new String[] {"--lake", "/tmp/lake"});
    assertThat(c.settings().trigger().toString()).isEqualTo("processingTime:1m");
    assertThat(c.settings().appId()).isEqualTo("sensor_readings-deserialize");
    assertThat(c.deadLetterLimit()).isNull();
    assertThat(c.schemaRegistryUrl()).isNull();
    assertThat(c.sourceOptions()).containsOnlyKeys("ignoreDeletes");
    assertThat(c.describe()).containsEntry("dead-letter-limit", "off")
        .containsEntry("rules", "sensor_id_length,temperature_range,humidity_range,"
            + "battery_range,status_known,reading_ts_plausible");
  }

  @Test
  void stageOptions() {
    DeserializeConfig c = DeserializeConfig.fromArgs(new String[] {"--lake", "/tmp/lake",
        "--raw-max-files-per-trigger", "5", "--raw-max-bytes-per-trigger", "512m",
        "--dead-letter-limit", "0.25", "--schema-registry-url", "http://registry:8081",
        "--format", "json", "--trigger", "availableNow"});
    assertThat(c.sourceOptions()).containsEntry("maxFilesPerTrigger", "5")
        .containsEntry("maxBytesPerTrigger", "512m");
    assertThat(c.deadLetterLimit()).isEqualTo(0.25);
    assertThat(c.decoderSettings().registryUrl()).isEqualTo("http://registry:8081");
    assertThat(c.decoderSettings().format().name()).isEqualTo("JSON");
    assertThat(DeserializeConfig.fromArgs(new String[] {"--lake", "/l", "--dead-letter-limit",
        "off"}).deadLetterLimit()).isNull();
  }

  @Test
  void badValuesNameTheSetting() {
    String[][] bad = {
      {"--dead-letter-limit", "0"},
      {"--dead-letter-limit", "1.5"},
      {"--dead-letter-limit", "lots"},
      {"--raw-max-files-per-trigger", "0"},
      {"--raw-max-bytes-per-trigger", "many"},
      {"--schema-registry-url", "registry:8081"},
    };
    for (String[] b : bad) {
      assertThatThrownBy(() -> DeserializeConfig.fromArgs(new String[] {"--lake", "/l", b[0],
          b[1]}))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(b[0])
          .hasMessageContaining(b[1]);
    }
  }

  @Test
  void helpOnly() {
    assertThat(DeserializeConfig.fromArgs(new String[] {"--help"})).isNull();
  }
}
