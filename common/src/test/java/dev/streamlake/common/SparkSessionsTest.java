package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** How the session's option redaction regex is extended; no session needed. */
class SparkSessionsTest {

  @Test
  void ourRegexIsAppendedToSparksDefaultOrTheUsersOwn() {
    String ours = Secrets.sparkRedactionRegex();
    assertThat(SparkSessions.optionsRedaction("(?i)url")).isEqualTo("(?:(?i)url)|(?:" + ours + ")");

    Pattern extended = Pattern.compile(SparkSessions.optionsRedaction("(?i)dbtable|user"));
    assertThat(extended.matcher("dbtable").find()).as("the user's pattern still applies").isTrue();
    assertThat(extended.matcher("USER").find()).isTrue();
    assertThat(extended.matcher("kafka.ssl.keystore.key").find()).isTrue();
    assertThat(extended.matcher("kafka.security.protocol").find()).isFalse();
  }

  @Test
  void sparkRedactsEveryPasswordTypedOptionAndNotTheRest() {
    // Spark applies the regex with find() to an option's name and to its value.
    Pattern regex = Pattern.compile(SparkSessions.optionsRedaction(
        SparkSessions.SPARK_DEFAULT_OPTIONS_REDACTION));
    for (String option : KafkaPasswordOptionsTest.passwordTypedOptions()) {
      assertThat(regex.matcher("kafka." + option).find()).as("kafka." + option).isTrue();
      assertThat(regex.matcher("KAFKA." + option.toUpperCase(Locale.ROOT)).find())
          .as("upper case " + option).isTrue();
    }
    for (String plain : Set.of("kafka.security.protocol", "kafka.sasl.mechanism",
        "kafka.ssl.keystore.type", "kafka.ssl.keystore.location", "subscribe", "startingOffsets",
        "failOnDataLoss", "includeHeaders", "sensor-readings", "SASL_SSL", "earliest")) {
      assertThat(regex.matcher(plain).find()).as(plain).isFalse();
    }
    assertThat(regex.matcher("kafka.sasl.oauthbearer.jwks.endpoint.url").find())
        .as("Spark's own default, url, is kept").isTrue();
  }

  @Test
  void extendingTwiceChangesNothing() {
    String once = SparkSessions.optionsRedaction("(?i)url");
    assertThat(SparkSessions.optionsRedaction(once)).isEqualTo(once);
    assertThat(SparkSessions.optionsRedaction(null)).isEqualTo(Secrets.sparkRedactionRegex());
  }

  @Test
  void aCaseSensitiveUserPatternDoesNotMakeOursCaseSensitive() {
    Pattern extended = Pattern.compile(SparkSessions.optionsRedaction("dbtable"));
    assertThat(extended.matcher("DBTABLE").find()).isFalse();
    assertThat(extended.matcher("KAFKA.SSL.KEYSTORE.KEY").find()).isTrue();
  }
}
