package dev.streamlake.deserialize;

import dev.streamlake.common.TableSchemas;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The executor side of stage 2: one {@link PayloadDecoder} per partition, then the rules, for
 * every raw row, producing the {@link Classification} layout.
 *
 * <p>No record can fail the task: the decoder turns every payload into a result, each rule is
 * evaluated under its own guard, and anything else that goes wrong while converting one record
 * becomes an {@link ErrorCode#UNEXPECTED_ERROR} dead letter. The exceptions that do fail the task
 * are infrastructure failures ({@link SchemaSourceUnavailableException}: the registry or the
 * schema folder) and errors of the JVM.
 */
final class ClassifyPartition implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;

  private final Classification layout;
  private final DecoderSettings settings;
  private final Rules rules;
  /**
   * Set on the driver between jobs. Each job serializes this object into its tasks afresh, so a
   * job submitted after {@link #seal()} cannot classify a partition again: it fails instead of
   * computing a classification that may differ from the one an earlier write used.
   */
  private boolean sealed;

  ClassifyPartition(Classification layout, DecoderSettings settings, Rules rules) {
    this.layout = layout;
    this.settings = settings;
    this.rules = rules;
  }

  /** From now on, jobs may only read the cached classification. */
  void seal() {
    sealed = true;
  }

  void unseal() {
    sealed = false;
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> input) {
    if (sealed) {
      throw new ClassificationSealedException();
    }
    Converter converter = new Converter(layout, PayloadDecoder.create(settings), rules);
    // One compact copy per row: what the cache keeps and what the writes read.
    UnsafeProjection compact = UnsafeProjection.create(layout.schema());
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return input.hasNext();
      }

      @Override
      public InternalRow next() {
        return compact.apply(converter.convert(input.next())).copy();
      }
    };
  }

  /** Per-partition state: the decoder and the ordinals, resolved once by name. */
  static final class Converter {
    private final PayloadDecoder decoder;
    private final Rules rules;
    private final int fieldCount;
    private final int width;
    private final int inValue;
    private final int inTopic;
    private final int inPartition;
    private final int inOffset;
    private final int inTimestamp;
    private final int inIngestDate;
    private final int inBatchTs;
    private final int outSchemaId;
    private final int outTopic;
    private final int outPartition;
    private final int outOffset;
    private final int outKafkaTimestamp;
    private final int outIngestDate;
    private final int outDeserializedAt;
    private final int outCode;
    private final int outMessage;
    private final int outBroken;
    private final int[] rawIn;
    private final int[] rawOut;
    private final DataType[] rawTypes;

    Converter(Classification layout, PayloadDecoder decoder, Rules rules) {
      this.decoder = decoder;
      this.rules = rules;
      this.width = layout.schema().size();
      this.fieldCount = layout.out(TableSchemas.SCHEMA_ID);
      this.inValue = layout.in(TableSchemas.VALUE);
      this.inTopic = layout.in(TableSchemas.TOPIC);
      this.inPartition = layout.in(TableSchemas.PARTITION);
      this.inOffset = layout.in(TableSchemas.OFFSET);
      this.inTimestamp = layout.in(TableSchemas.TIMESTAMP);
      this.inIngestDate = layout.in(TableSchemas.INGEST_DATE);
      this.inBatchTs = layout.in(Classification.BATCH_TIMESTAMP);
      this.outSchemaId = layout.out(TableSchemas.SCHEMA_ID);
      this.outTopic = layout.out(TableSchemas.TOPIC);
      this.outPartition = layout.out(TableSchemas.PARTITION);
      this.outOffset = layout.out(TableSchemas.OFFSET);
      this.outKafkaTimestamp = layout.out(TableSchemas.KAFKA_TIMESTAMP);
      this.outIngestDate = layout.out(TableSchemas.INGEST_DATE);
      this.outDeserializedAt = layout.out(TableSchemas.DESERIALIZED_AT);
      this.outCode = layout.out(Classification.ERROR_CODE);
      this.outMessage = layout.out(Classification.ERROR_MESSAGE);
      this.outBroken = layout.out(Classification.BROKEN_RULES);
      List<String> rawOnly = layout.rawOnly();
      this.rawIn = new int[rawOnly.size()];
      this.rawOut = new int[rawOnly.size()];
      this.rawTypes = new DataType[rawOnly.size()];
      for (int i = 0; i < rawIn.length; i++) {
        rawIn[i] = layout.in(rawOnly.get(i));
        rawOut[i] = layout.outRaw(rawOnly.get(i));
        rawTypes[i] = layout.inputSchema().fields()[rawIn[i]].dataType();
      }
    }

    InternalRow convert(InternalRow raw) {
      Object[] out = new Object[width];
      // The scan may reuse its row buffer: strings are copied, binaries are copies already.
      UTF8String topic = raw.getUTF8String(inTopic).clone();
      int partition = raw.getInt(inPartition);
      long offset = raw.getLong(inOffset);
      out[outTopic] = topic;
      out[outPartition] = partition;
      out[outOffset] = offset;
      out[outKafkaTimestamp] = raw.isNullAt(inTimestamp) ? null : raw.getLong(inTimestamp);
      out[outIngestDate] = raw.getInt(inIngestDate);
      out[outDeserializedAt] = raw.getLong(inBatchTs);
      out[outBroken] = new GenericArrayData(new Object[0]);
      DecodeFailure failure;
      try {
        failure = classify(raw, out);
      } catch (SchemaSourceUnavailableException e) {
        throw e;
      } catch (RuntimeException e) {
        java.util.Arrays.fill(out, 0, fieldCount + 1, null);
        failure = DecodeFailure.unexpected(e);
      }
      if (failure != null) {
        if (failure.code() != ErrorCode.RULE_VIOLATION) {
          failure = failure.at(topic.toString(), partition, offset);
        }
        out[outCode] = UTF8String.fromString(failure.code().name());
        out[outMessage] = UTF8String.fromString(failure.message());
        for (int i = 0; i < rawIn.length; i++) {
          out[rawOut[i]] = raw.isNullAt(rawIn[i]) ? null : copy(raw.get(rawIn[i], rawTypes[i]));
        }
      }
      return new GenericInternalRow(out);
    }

    /** Decodes and checks one record into {@code out}; the failure, or null for a good row. */
    private DecodeFailure classify(InternalRow raw, Object[] out) {
      byte[] value = raw.isNullAt(inValue) ? null : raw.getBinary(inValue);
      DecodeResult result = decoder.decode(value);
      if (result instanceof DecodeFailure failure) {
        return failure;
      }
      DecodeResult.Decoded decoded = (DecodeResult.Decoded) result;
      System.arraycopy(decoded.values(), 0, out, 0, fieldCount);
      out[outSchemaId] = decoded.schemaId();
      Rules.Outcome outcome = rules.evaluate(new GenericInternalRow(out));
      if (outcome.passed()) {
        return null;
      }
      out[outBroken] = new GenericArrayData(
          outcome.broken().stream().map(UTF8String::fromString).toArray());
      java.util.Arrays.fill(out, 0, fieldCount + 1, null);
      return new DecodeFailure(ErrorCode.RULE_VIOLATION, outcome.message());
    }

    private static Object copy(Object v) {
      if (v instanceof UTF8String s) {
        return s.clone();
      }
      if (v instanceof org.apache.spark.sql.catalyst.util.ArrayData a) {
        return a.copy();
      }
      return v;
    }
  }
}
