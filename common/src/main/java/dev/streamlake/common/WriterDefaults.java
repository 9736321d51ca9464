package dev.streamlake.common;

import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spark settings that make the stages' Delta writes cheaper, set on the session before a stage
 * starts its query (each streaming query copies the session's settings when it starts) and only
 * where the user did not set them.
 */
public final class WriterDefaults {
  private static final Logger LOG = LoggerFactory.getLogger(WriterDefaults.class);

  /**
   * With concurrent writers allowed, Spark writes a task's rows to one open file per partition
   * value instead of sorting the task's rows by partition first. Raw, bronze and dead_letter are
   * partitioned by ingest date, so a batch has one or two values: the sort (a copy of every row)
   * bought nothing. Past this many values in one task Spark sorts the rest, as before.
   */
  static final String CONCURRENT_WRITERS = "spark.sql.maxConcurrentOutputFileWriters";
  static final String CONCURRENT_WRITERS_VALUE = "4";

  private WriterDefaults() {}

  public static void apply(SparkSession spark) {
    if (spark.conf().contains(CONCURRENT_WRITERS)) {
      return;
    }
    try {
      spark.conf().set(CONCURRENT_WRITERS, CONCURRENT_WRITERS_VALUE);
    } catch (RuntimeException e) {
      // Serverless allows only some settings; the writes then sort, as Spark does by default.
      LOG.info("Cannot set {} on this session ({}); writes sort by partition first",
          CONCURRENT_WRITERS, e.toString());
    }
  }
}
