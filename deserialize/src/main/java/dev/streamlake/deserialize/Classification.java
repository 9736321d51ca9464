package dev.streamlake.deserialize;

import java.io.Serializable;
import java.util.Iterator;
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
    // The classifier travels in each job's tasks afresh, so a job submitted after seal() sees it
    // sealed; Spark picks Kryo for the cached blocks by their element type, byte[].
    ClassifyPartition classify = classifier;
    this.packed = raw.mapPartitions(new OnPartition<InternalRow, byte[]>(
        input -> RowChunks.pack(classify.classify(input), RowChunks.CHUNK_BYTES)), false, BYTES);
    int fields = layout.schema().size();
    RDD<InternalRow> rows = packed.mapPartitions(new OnPartition<byte[], InternalRow>(
        chunks -> RowChunks.unpack(chunks, fields)), true, ROWS);
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

  /** What a partition's rows become, as a Java function that travels with the job's tasks. */
  interface PartitionBody<A, B> extends Serializable {
    Iterator<B> apply(Iterator<A> rows);
  }

  /**
   * A {@link PartitionBody} as the Scala function {@code RDD.mapPartitions} takes; the element
   * types Spark sees come from the {@code ClassTag}s given there.
   */
  private static final class OnPartition<A, B>
      extends AbstractFunction1<scala.collection.Iterator<A>, scala.collection.Iterator<B>>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final PartitionBody<A, B> body;

    OnPartition(PartitionBody<A, B> body) {
      this.body = body;
    }

    @Override
    public scala.collection.Iterator<B> apply(scala.collection.Iterator<A> rows) {
      return CollectionConverters.asScala(body.apply(CollectionConverters.asJava(rows)));
    }
  }
}
