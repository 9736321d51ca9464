package dev.streamlake.common;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.spark.sql.SparkSession;

/**
 * The figures of a micro-batch that Spark's progress does not have (rows written per table, dead
 * letters per code and rule, gold's newest sequence), handed from a stage's foreachBatch code to
 * {@link BatchMetricsListener}. Both run on the driver: the batch code records its figures under
 * its query id and batch id, and the listener takes them when that batch's progress arrives.
 */
public final class BatchMetrics {

  /**
   * One batch's own figures. {@code newestSequence} is the largest value of gold's first sequence
   * column ({@code newestSequenceColumn}) among the rows the batch merged, or null.
   */
  public record Figures(
      Map<String, Long> rowsWritten,
      Map<String, Long> deadLettersByCode,
      Map<String, Long> deadLettersByRule,
      String newestSequenceColumn,
      String newestSequence) {

    public Figures {
      rowsWritten = frozen(rowsWritten);
      deadLettersByCode = frozen(deadLettersByCode);
      deadLettersByRule = frozen(deadLettersByRule);
    }

    /** Rows written per table, nothing else. */
    public static Figures rowsWritten(Map<String, Long> rowsWritten) {
      return new Figures(rowsWritten, Map.of(), Map.of(), null, null);
    }

    private static Map<String, Long> frozen(Map<String, Long> m) {
      return m == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }
  }

  /** Keyed by query id and batch id; a batch that fails and is run again records again. */
  private static final ConcurrentMap<Key, Figures> BY_BATCH = new ConcurrentHashMap<>();

  private record Key(String queryId, long batchId) {}

  private BatchMetrics() {}

  /**
   * Records the figures of batch {@code batchId}; call inside foreachBatch, where Spark has set
   * the query id on the thread. Elsewhere (a test merging one batch directly) it does nothing.
   */
  public static void record(SparkSession batchSession, long batchId, Figures figures) {
    String queryId =
        batchSession.sparkContext().getLocalProperty(IdempotentWrites.QUERY_ID_PROPERTY);
    if (queryId != null) {
      BY_BATCH.put(new Key(queryId, batchId), figures);
    }
  }

  /**
   * The figures of a batch whose progress arrived, or null when its code recorded none. Figures
   * of earlier batches of the query that never got a progress (a batch that failed) go too, so
   * nothing accumulates in a long-running driver.
   */
  static Figures take(String queryId, long batchId) {
    BY_BATCH.keySet().removeIf(k -> k.queryId().equals(queryId) && k.batchId() < batchId);
    return BY_BATCH.remove(new Key(queryId, batchId));
  }
}
