package dev.streamlake.common;

import org.apache.spark.network.util.JavaUtils;

/**
 * Sizes as every setting writes them: Spark's own byte strings ({@link
 * JavaUtils#byteStringAsBytes}), a whole number of bytes or a whole number and a unit ({@code b},
 * {@code k}/{@code kb}, {@code m}/{@code mb}, {@code g}/{@code gb}, {@code t}/{@code tb},
 * {@code p}/{@code pb}, powers of 1024). A bare number is bytes, as in Spark and Delta.
 */
public final class Sizes {

  private Sizes() {}

  /**
   * The bytes {@code value} of {@code setting} names; a value that names none, or names more than
   * a long holds, is a {@link ConfigException} with {@code allowed}.
   */
  public static long parse(String setting, String value, String allowed) {
    String spark = SparkQuantity.normalize(value, false);
    if (spark == null) {
      throw ConfigException.invalid(setting, value, allowed);
    }
    try {
      return JavaUtils.byteStringAsBytes(spark);
    } catch (IllegalArgumentException e) { // NumberFormatException, or too large for its unit
      throw ConfigException.invalid(setting, value, allowed);
    }
  }

  /** {@code value} as Spark and Delta read it, for a size handed to them unchanged. */
  public static String toSpark(String value) {
    return SparkQuantity.normalize(value, false);
  }
}
