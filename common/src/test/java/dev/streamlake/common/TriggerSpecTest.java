package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TriggerSpecTest {

  @Test
  void parsesAvailableNowAndProcessingTimeDurations() {
    assertThat(TriggerSpec.parse("--trigger", "availableNow").isAvailableNow()).isTrue();
    assertThat(TriggerSpec.parse("--trigger", "processingTime:15m").interval())
        .isEqualTo(Duration.ofMinutes(15));
    assertThat(TriggerSpec.parse("--trigger", "processingTime:500ms").interval())
        .isEqualTo(Duration.ofMillis(500));
    assertThat(TriggerSpec.parse("--trigger", "processingTime:1h").toString())
        .isEqualTo("processingTime:1h");
  }

  @Test
  void readsTheOneDurationGrammar() {
    assertThat(TriggerSpec.parse("--trigger", "processingTime:2min").interval())
        .isEqualTo(Duration.ofMinutes(2));
    assertThat(TriggerSpec.parse("--trigger", "processingTime:1d").interval())
        .isEqualTo(Duration.ofDays(1));
    assertThat(TriggerSpec.parse("--trigger", "processingtime: 30 S").interval())
        .isEqualTo(Duration.ofSeconds(30));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "once", "processingTime", "processingTime:", "processingTime:15",
      "processingTime:-5m", "processingTime:15 minutes", "continuous:1s"})
  void rejectsMalformedTriggersNamingSettingValueAndChoices(String value) {
    assertThatThrownBy(() -> TriggerSpec.parse("--trigger", value))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--trigger")
        .hasMessageContaining("'" + value + "'")
        .hasMessageContaining("availableNow, processingTime:<duration>")
        .hasMessageContaining("or default (the stage's own)");
  }

  @Test
  void defaultMeansTheStagesOwnWhereThereIsOne() {
    TriggerSpec stage = TriggerSpec.processingTime(Duration.ofMinutes(15));
    assertThat(TriggerSpec.parse("--trigger", "default", stage)).isEqualTo(stage);
    assertThat(TriggerSpec.parse("--trigger", "Default", stage)).isEqualTo(stage);
    assertThatThrownBy(() -> TriggerSpec.parse("--trigger", "default"))
        .isInstanceOf(ConfigException.class);
  }
}
