package dev.streamlake.common;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What {@link Durations} and {@link Sizes} share before Spark reads a value. */
final class SparkQuantity {
  /** A whole, non-negative number and an optional unit; Spark's own pattern also takes a sign. */
  private static final Pattern QUANTITY = Pattern.compile("(\\d+)\\s*([a-z]*)");

  private SparkQuantity() {}

  /**
   * {@code text} lower-cased and without the space between number and unit, which Spark refuses;
   * null when it is not a whole number with a unit (or, unless {@code unitRequired}, without one).
   * A negative number is never one.
   */
  static String normalize(String text, boolean unitRequired) {
    if (text == null) {
      return null;
    }
    Matcher m = QUANTITY.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches() || (unitRequired && m.group(2).isEmpty())) {
      return null;
    }
    return m.group(1) + m.group(2);
  }
}
