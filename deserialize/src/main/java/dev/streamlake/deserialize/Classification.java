package dev.streamlake.deserialize;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.storage.StorageLevel;

/**
 * One micro-batch classified: each raw row, at the batch's timestamp, becomes one row of the {@link ClassifiedRowLayout}, whatever its bytes, so every raw row is
 * accounted for.
 *
 * <p>Decoding and the rules run in {@link ClassifyPartition} over Spark's internal rows, straight
 * from the raw scan into the classified layout: no external {@code Row} objects in between, and no
 * encoder after the decoder that could fail on a value the decoder accepted. The rows are Spark's
 * compact {@code UnsafeRow}s in an RDD, so that caching them stores the rows as they are instead
 * of building a columnar cache.
 */
final class Classification {
  private final ClassifyPartition classifier;
  private final JavaRDD<InternalRow> rows;
  private final Dataset<Row> frame;

  Classification(Dataset<Row> batch, ClassifiedRowLayout layout, DecoderSettings settings,
      Rules rules, long batchMicros) {
    this.classifier = new ClassifyPartition(layout, settings, rules, batchMicros);
    var selected = (org.apache.spark.sql.classic.Dataset<Row>) batch.select(layout.inputColumns());
    RDD<InternalRow> raw = selected.queryExecution().toRdd();
    this.rows = raw.toJavaRDD().mapPartitions(classifier);
    var session = (org.apache.spark.sql.classic.SparkSession) batch.sparkSession();
    this.frame = session.internalCreateDataFrame(rows.rdd(), layout.schema(), false);
  }

  /** Keeps the rows once computed, so that the counts and the writes read one classification. */
  Classification cache() {
    rows.persist(StorageLevel.MEMORY_AND_DISK());
    return this;
  }

  void uncache() {
    rows.unpersist(false);
  }

  /** The classified rows, a DataFrame of {@link ClassifiedRowLayout#schema()}. */
  Dataset<Row> rows() {
    return frame;
  }

  /** From now on, jobs may only read the cached rows: see {@link ClassifyPartition#seal()}. */
  void seal() {
    classifier.seal();
  }

  void unseal() {
    classifier.unseal();
  }
}
