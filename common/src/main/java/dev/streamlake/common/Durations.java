package dev.streamlake.common;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import org.apache.spark.network.util.JavaUtils;

/**
 * Durations as every setting writes them: Spark's own time strings ({@link
 * JavaUtils#timeStringAs}), a whole number and a unit ({@code us}, {@code ms}, {@code s}, {@code m}
 * or {@code min}, {@code h}, {@code d}), so {@code --trigger processingTime:15m} and a Spark
 * option such as {@code maxTriggerDelay} read alike. One reader and one writer, so a value logged
 * at start reads back as the same setting.
 */
public final class Durations {

  private Durations() {}

  /**
   * The duration {@code text} names, or null when it names none (the caller reports it). Unlike
   * Spark, a number needs its unit: Spark reads a bare {@code 5} as milliseconds, a reader would
   * guess seconds, and no setting ever took one. A space between number and unit is allowed, as
   * it always was here.
   */
  public static Duration parse(String text) {
    String spark = SparkQuantity.normalize(text, true);
    if (spark == null) {
      return null;
    }
    try {
      long micros = JavaUtils.timeStringAs(spark, TimeUnit.MICROSECONDS);
      // TimeUnit saturates instead of overflowing: a value that large was not meant.
      return micros == Long.MAX_VALUE ? null : Duration.of(micros, ChronoUnit.MICROS);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * The duration {@code value} of {@code setting} names, or {@code fallback} when it is not set.
   * A value that names none is a {@link ConfigException} with {@code allowed}.
   */
  public static Duration parse(String setting, String value, Duration fallback, String allowed) {
    if (value == null) {
      return fallback;
    }
    Duration d = parse(value);
    if (d == null) {
      throw ConfigException.invalid(setting, value, allowed);
    }
    return d;
  }

  /**
   * {@code value} as Spark reads it (lower case, no space), for a duration handed to a Spark
   * option unchanged; only for a value {@link #parse} accepts.
   */
  public static String toSpark(String value) {
    return SparkQuantity.normalize(value, true);
  }

  /**
   * The shortest form {@link #parse} reads back: {@code 1h}, {@code 15m}, {@code 30s},
   * {@code 500ms}, {@code 250us}.
   */
  public static String format(Duration d) {
    if (d.getNano() % 1_000_000 != 0) {
      return d.getSeconds() * 1_000_000 + d.getNano() / 1_000 + "us";
    }
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) return ms / 3_600_000 + "h";
    if (ms % 60_000 == 0 && ms > 0) return ms / 60_000 + "m";
    if (ms % 1_000 == 0) return ms / 1_000 + "s";
    return ms + "ms";
  }
}
