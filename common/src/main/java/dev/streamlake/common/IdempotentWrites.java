package dev.streamlake.common;

import org.apache.spark.sql.SparkSession;

/**
 * The {@code txnAppId} of Delta idempotent writes made inside {@code foreachBatch}.
 *
 * <p>Delta skips a write whose (app id, version) it has already committed. The version is the
 * micro-batch id, which restarts at 0 when a checkpoint is deleted; with an unchanged app id every
 * write after such a reset would be skipped without a word. So the app id is the configured,
 * stable name plus the streaming query's id: Spark keeps that id in the checkpoint (it survives
 * restarts, unlike the run id) and draws a new one for a new checkpoint.
 */
public final class IdempotentWrites {
  /** Spark sets this local property on the thread that runs a streaming query's batches. */
  static final String QUERY_ID_PROPERTY = "sql.streaming.queryId";

  private IdempotentWrites() {}

  /** Call on the micro-batch thread (inside foreachBatch). */
  public static String txnAppId(String configuredAppId, SparkSession session) {
    String queryId = session.sparkContext().getLocalProperty(QUERY_ID_PROPERTY);
    if (queryId == null) {
      throw new IllegalStateException(
          "No streaming query id on this thread: idempotent writes are made inside foreachBatch");
    }
    return configuredAppId + "@" + queryId;
  }
}
