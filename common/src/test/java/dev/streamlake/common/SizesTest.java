package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one size grammar: Spark's byte strings, a bare number being bytes. */
class SizesTest {

  private static long parse(String value) {
    return Sizes.parse("--size", value, "a size");
  }

  @Test
  void readsSparksByteStrings() {
    assertThat(parse("1048576")).isEqualTo(1_048_576);
    assertThat(parse("10b")).isEqualTo(10);
    assertThat(parse("1k")).isEqualTo(1024);
    assertThat(parse("1kb")).isEqualTo(1024);
    assertThat(parse("512m")).isEqualTo(512L << 20);
    assertThat(parse("2G")).isEqualTo(2L << 30);
    assertThat(parse("1t")).isEqualTo(1L << 40);
    assertThat(parse("1pb")).isEqualTo(1L << 50);
  }

  @Test
  void takesASpaceBeforeTheUnitAsDurationsDo() {
    assertThat(parse(" 512 m ")).isEqualTo(512L << 20);
    assertThat(Sizes.toSpark(" 512 M ")).isEqualTo("512m");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "many", "-5", "1.5g", "5x", "99999999p", "99999999999999999999"})
  void refusesWhatIsNoSizeNamingSettingAndValue(String value) {
    assertThatThrownBy(() -> parse(value))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --size: '" + value + "'. Allowed: a size.");
  }
}
