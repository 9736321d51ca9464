package dev.streamlake.deserialize;

import java.io.Serializable;
import java.util.Iterator;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The executor side of stage 2: one {@link PayloadDecoder} per partition, then the rules, for
 * every raw row, producing its row of the {@link ClassifiedRowLayout} as an {@code UnsafeRow}
 * ({@link Classification} keeps them).
 *
 * <p>No record can fail the task: the decoder turns every payload into a result, each rule is
 * evaluated under its own guard, and anything else that goes wrong while converting one record
 * becomes an {@link ErrorCode#UNEXPECTED_ERROR} dead letter. The exceptions that do fail the task
 * are infrastructure failures ({@link SchemaSourceUnavailableException}: the registry or the
 * schema folder) and errors of the JVM.
 */
final class ClassifyPartition implements Serializable {
  private static final long serialVersionUID = 1L;

  private final ClassifiedRowLayout layout;
  private final DecoderSettings settings;
  private final Rules rules;
  /**
   * Set on the driver between jobs. Each job serializes this object into its tasks afresh, so a
   * job submitted after {@link #seal()} cannot classify a partition again: it fails instead of
   * computing a classification that may differ from the one an earlier write used.
   */
  private boolean sealed;

  /** The batch's timestamp (epoch micros): {@code deserialized_at}, and the rules' clock. */
  private final long batchMicros;

  ClassifyPartition(ClassifiedRowLayout layout, DecoderSettings settings, Rules rules,
      long batchMicros) {
    this.layout = layout;
    this.settings = settings;
    this.rules = rules;
    this.batchMicros = batchMicros;
  }

  /** From now on, jobs may only read the cached classification. */
  void seal() {
    sealed = true;
  }

  void unseal() {
    sealed = false;
  }

  /**
   * The partition's classified rows. The returned row and its buffer are reused for the next one,
   * as Spark's projections do: {@link RowChunks#pack} copies each before asking for the next.
   */
  Iterator<UnsafeRow> classify(Iterator<InternalRow> input) {
    if (sealed) {
      throw new ClassificationSealedException();
    }
    Converter converter =
        new Converter(layout, PayloadDecoder.create(settings), rules, batchMicros);
    UnsafeProjection compact = UnsafeProjection.create(layout.schema());
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return input.hasNext();
      }

      @Override
      public UnsafeRow next() {
        return compact.apply(converter.convert(input.next()));
      }
    };
  }

  /**
   * Per-partition state: the decoder and the layout, whose ordinals were resolved by name once,
   * before the task was serialized.
   */
  static final class Converter {
    private static final GenericArrayData NO_BROKEN_RULES = new GenericArrayData(new Object[0]);

    private final ClassifiedRowLayout layout;
    private final PayloadDecoder decoder;
    private final Rules rules;
    private final long batchMicros;

    Converter(ClassifiedRowLayout layout, PayloadDecoder decoder, Rules rules, long batchMicros) {
      this.layout = layout;
      this.decoder = decoder;
      this.rules = rules;
      this.batchMicros = batchMicros;
    }

    InternalRow convert(InternalRow raw) {
      Object[] out = new Object[layout.width];
      // The scan may reuse its row buffer: strings are copied, binaries are copies already.
      UTF8String topic = raw.getUTF8String(layout.inTopic).clone();
      int partition = raw.getInt(layout.inPartition);
      long offset = raw.getLong(layout.inOffset);
      out[layout.outTopic] = topic;
      out[layout.outPartition] = partition;
      out[layout.outOffset] = offset;
      out[layout.outKafkaTimestamp] =
          raw.isNullAt(layout.inTimestamp) ? null : raw.getLong(layout.inTimestamp);
      out[layout.outIngestDate] = raw.getInt(layout.inIngestDate);
      out[layout.outDeserializedAt] = batchMicros;
      out[layout.outKafkaKey] = raw.isNullAt(layout.inKey) ? null : raw.getBinary(layout.inKey);
      out[layout.outTombstone] = false;
      out[layout.outBrokenRules] = NO_BROKEN_RULES;
      DecodeFailure failure;
      try {
        failure = classify(raw, out);
      } catch (SchemaSourceUnavailableException e) {
        throw e;
      } catch (RuntimeException e) {
        layout.clearRecord(out);
        failure = DecodeFailure.unexpected(e);
      }
      if (failure != null) {
        if (failure.code() != ErrorCode.RULE_VIOLATION) {
          failure = failure.at(topic.toString(), partition, offset);
        }
        out[layout.outErrorCode] = UTF8String.fromString(failure.code().name());
        out[layout.outErrorMessage] = UTF8String.fromString(failure.message());
        layout.putRawColumns(out, raw);
      }
      return new GenericInternalRow(out);
    }

    /** Decodes and checks one record into {@code out}; the failure, or null for a good row. */
    private DecodeFailure classify(InternalRow raw, Object[] out) {
      byte[] value = raw.isNullAt(layout.inValue) ? null : raw.getBinary(layout.inValue);
      if (value == null && out[layout.outKafkaKey] != null && rules.hasDeleteCondition()) {
        // A tombstone has no fields to decode or validate; it is a delete of its key when the
        // pipeline's delete condition says so, else the decoder's null-value dead letter.
        out[layout.outTombstone] = true;
        if (rules.isDelete(new GenericInternalRow(out))) {
          return null;
        }
        out[layout.outTombstone] = false;
      }
      DecodeResult result = decoder.decode(value);
      if (result instanceof DecodeFailure failure) {
        return failure;
      }
      layout.putRecord(out, (DecodeResult.Decoded) result);
      // Bronze's columns lead the classified row, at bronze's ordinals, where the rules look.
      Rules.Outcome outcome = rules.evaluate(new GenericInternalRow(out));
      if (outcome.passed()) {
        return null;
      }
      out[layout.outBrokenRules] = new GenericArrayData(
          outcome.broken().stream().map(UTF8String::fromString).toArray());
      layout.clearRecord(out);
      return new DecodeFailure(ErrorCode.RULE_VIOLATION, outcome.message());
    }
  }
}
