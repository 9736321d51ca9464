package dev.streamlake.common;

import static org.apache.spark.sql.functions.expr;

import org.apache.spark.sql.Column;

/**
 * UTC calendar dates of timestamps, computed from epoch millis so neither the JVM's nor the Spark
 * session's time zone can shift a record into another day.
 */
public final class UtcDates {
  private UtcDates() {}

  /** SQL for the UTC date of the timestamp expression {@code ts}. */
  public static String sql(String ts) {
    return "date_from_unix_date(CAST(floor(unix_millis(" + ts + ") / 86400000) AS INT))";
  }

  public static Column of(String ts) {
    return expr(sql(ts));
  }
}
