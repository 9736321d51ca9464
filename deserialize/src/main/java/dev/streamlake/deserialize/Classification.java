package dev.streamlake.deserialize;

import java.io.Serializable;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.storage.StorageLevel;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * One micro-batch classified: each raw row, at the batch's timestamp, becomes one row of the
 * {@link ClassifiedRowLayout}, whatever its bytes, so every raw row is accounted for.
 *
 * <p>Decoding and the rules run in {@link ClassifyPartition} over Spark's internal rows, straight
 * from the raw scan into the classified layout: no external {@code Row} objects in between, and no
 * encoder after the decoder that could fail on a value the decoder accepted.
 *
 * <p>The cache keeps the classified rows as the bytes of Spark's compact {@code UnsafeRow}s, packed
 * about a thousand to a byte array ({@link RowChunks}): an RDD of {@code byte[]}, in memory, and on
 * disk where memory runs short. Spark serializes a block of byte arrays with Kryo whatever
 * {@code spark.serializer} says. Kept as
 * {@code UnsafeRow} objects, a batch larger than the storage memory (5,000,000 records on a
 * 2 GiB driver) went to disk through Java serialization, one {@code readExternal} per row on every
 * read (benchmarks/README.md, "Stage 2's cache"). Not kept serialized in memory: Spark then reads a
 * spilled block back whole into the heap before deserializing it, which ran that driver out of
 * memory; deserialized blocks are read from disk as a stream.
 */
final class Classification {
  private static final ClassTag<byte[]> BYTES = ClassTag$.MODULE$.apply(byte[].class);
  private static final ClassTag<InternalRow> ROWS = ClassTag$.MODULE$.apply(InternalRow.class);

  private final ClassifyPartition classifier;
  private final RDD<byte[]> packed;
  private final Dataset<Row> frame;

  Classification(Dataset<Row> batch, ClassifiedRowLayout layout, DecoderSettings settings,
      Rules rules, long batchMicros) {
    this.classifier = new ClassifyPartition(layout, settings, rules, batchMicros);
    var selected = (org.apache.spark.sql.classic.Dataset<Row>) batch.select(layout.inputColumns());
    RDD<InternalRow> raw = selected.queryExecution().toRdd();
    this.packed = raw.mapPartitions(new Classify(classifier), false, BYTES);
    RDD<InternalRow> rows =
        packed.mapPartitions(new Unpack(layout.schema().size()), true, ROWS);
    var session = (org.apache.spark.sql.classic.SparkSession) batch.sparkSession();
    this.frame = session.internalCreateDataFrame(rows, layout.schema(), false);
  }

  /** Keeps the rows once computed, so that the counts and the writes read one classification. */
  Classification cache() {
    packed.persist(StorageLevel.MEMORY_AND_DISK());
    return this;
  }

  void uncache() {
    packed.unpersist(false);
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

  /**
   * The classifier as the function of an RDD whose element type Spark sees as {@code byte[]}:
   * Spark picks Kryo for a block by that type. Serialized into each job's tasks with the
   * classifier, so a job submitted after {@link #seal()} sees it sealed.
   */
  private static final class Classify
      extends AbstractFunction1<scala.collection.Iterator<InternalRow>, scala.collection.Iterator<byte[]>>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final ClassifyPartition classifier;

    Classify(ClassifyPartition classifier) {
      this.classifier = classifier;
    }

    @Override
    public scala.collection.Iterator<byte[]> apply(scala.collection.Iterator<InternalRow> input) {
      return CollectionConverters.asScala(RowChunks.pack(
          classifier.classify(CollectionConverters.asJava(input)), RowChunks.CHUNK_BYTES));
    }
  }

  /** The rows of the cached chunks ({@link RowChunks#unpack}). */
  private static final class Unpack
      extends AbstractFunction1<scala.collection.Iterator<byte[]>, scala.collection.Iterator<InternalRow>>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int fields;

    Unpack(int fields) {
      this.fields = fields;
    }

    @Override
    public scala.collection.Iterator<InternalRow> apply(scala.collection.Iterator<byte[]> input) {
      return CollectionConverters.asScala(
          RowChunks.unpack(CollectionConverters.asJava(input), fields));
    }
  }
}
