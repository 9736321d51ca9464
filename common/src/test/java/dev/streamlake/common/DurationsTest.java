package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one duration grammar: Spark's time strings, a unit required. */
class DurationsTest {

  @Test
  void readsEveryUnitOfSparksTimeStrings() {
    assertThat(Durations.parse("250us")).isEqualTo(Duration.ofNanos(250_000));
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(Durations.parse("15min")).isEqualTo(Duration.ofMinutes(15));
    assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(Durations.parse("2d")).isEqualTo(Duration.ofDays(2));
  }

  @Test
  void keepsWhatTheOldGrammarAcceptedWithTheSameMeaning() {
    // Case, surrounding spaces and a space before the unit were always accepted; Spark alone
    // refuses the last.
    assertThat(Durations.parse(" 15M ")).isEqualTo(Duration.ofMinutes(15));
    assertThat(Durations.parse("5 s")).isEqualTo(Duration.ofSeconds(5));
    assertThat(Durations.parse("0s")).isEqualTo(Duration.ZERO);
    assertThat(Durations.parse("007ms")).isEqualTo(Duration.ofMillis(7));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "5", "-5s", "1.5s", "5 minutes", "5mins", "5sec", "s",
      "99999999999999999999s", "9223372036854775807d"})
  void namesNoDurationWithoutAUnitNegativeFractionalMisspeltOrOutOfRange(String text) {
    // A bare number is milliseconds to Spark but looks like seconds: refused, not guessed.
    assertThat(Durations.parse(text)).isNull();
  }

  @Test
  void aBadValueNamesTheSettingTheValueAndWhatIsAllowed() {
    assertThatThrownBy(() -> Durations.parse("--x", "5", Duration.ZERO, "a duration such as 5s"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --x: '5'. Allowed: a duration such as 5s.");
    assertThat(Durations.parse("--x", null, Duration.ofSeconds(3), "any")).hasSeconds(3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"250us", "500ms", "30s", "15m", "2h", "1500ms", "90s", "0s"})
  void formatReadsBackAsTheSameDuration(String text) {
    Duration d = Durations.parse(text);
    assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
  }

  @Test
  void theSparkFormIsLowerCaseWithoutSpaces() {
    assertThat(Durations.toSpark(" 5 MIN")).isEqualTo("5min");
  }
}
