package dev.streamlake.deserialize;

import java.util.Iterator;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The executor side of stage 2: one {@link PayloadDecoder} per partition, applied to every raw row.
 * Input rows have the raw table's columns in {@code TableSchemas.raw()} order; each output row is
 * the decoded fields (null on failure), the writer schema id, the raw row itself (kept whole for
 * dead_letter), and the decode failure's code and message (null on success).
 */
final class DecodePartition implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  static final int VALUE = 1;
  static final int TOPIC = 2;
  static final int PARTITION = 3;
  static final int OFFSET = 4;

  private final DecoderSettings settings;
  private final int fieldCount;

  DecodePartition(DecoderSettings settings, int fieldCount) {
    this.settings = settings;
    this.fieldCount = fieldCount;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    PayloadDecoder decoder = PayloadDecoder.create(settings);
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return input.hasNext();
      }

      @Override
      public Row next() {
        return decode(decoder, input.next());
      }
    };
  }

  Row decode(PayloadDecoder decoder, Row raw) {
    Object[] out = new Object[fieldCount + 4];
    DecodeResult result = decoder.decode((byte[]) raw.get(VALUE));
    if (result instanceof DecodeResult.Decoded decoded) {
      System.arraycopy(decoded.values(), 0, out, 0, fieldCount);
      out[fieldCount] = decoded.schemaId();
    } else {
      DecodeFailure failure =
          ((DecodeFailure) result).at(raw.getString(TOPIC), raw.get(PARTITION), raw.get(OFFSET));
      out[fieldCount + 2] = failure.code().name();
      out[fieldCount + 3] = failure.message();
    }
    out[fieldCount + 1] = raw;
    return RowFactory.create(out);
  }
}
