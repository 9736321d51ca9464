package dev.streamlake.deserialize;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.util.Utf8;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayBasedMapData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Decoded values in Spark's internal representation, the form bronze rows are written in: strings
 * as {@link UTF8String}, timestamps as epoch microseconds, dates as epoch days, decimals as
 * {@link Decimal}, records as {@link GenericInternalRow}. No external-to-internal conversion runs
 * after the decoder, so nothing downstream can fail on a value the decoder accepted: every value
 * is checked here against what a Spark column of its type can hold, and one that does not fit is
 * an {@link InvalidValueException} naming the field and the value.
 *
 * <p>Timestamps stay epoch-based on the proleptic Gregorian calendar (no {@code java.sql} types,
 * so no Julian rebase of values before 1582). The accepted range is Spark's:
 * 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z for timestamps, 0001-01-01 to 9999-12-31
 * for dates.
 */
final class CatalystValues {
  static final long MIN_MICROS = -62_135_596_800_000_000L;
  static final long MAX_MICROS = 253_402_300_799_999_999L;
  static final int MIN_DAYS = (int) LocalDate.of(1, 1, 1).toEpochDay();
  static final int MAX_DAYS = (int) LocalDate.of(9999, 12, 31).toEpochDay();
  private static final long MILLIS_PER_DAY = 86_400_000L;

  /** A value the record carries that bronze cannot hold; the record becomes a dead letter. */
  static final class InvalidValueException extends Exception {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    InvalidValueException(ErrorCode code, String message) {
      super(message, null, false, false);
      this.code = code;
    }

    ErrorCode code() {
      return code;
    }
  }

  private final CharsetDecoder utf8 =
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);

  /** An Avro record's fields (read in {@code schema}), in schema order. */
  Object[] fields(IndexedRecord record, Schema schema, String prefix)
      throws InvalidValueException {
    List<Schema.Field> fields = schema.getFields();
    Object[] out = new Object[fields.size()];
    for (int i = 0; i < out.length; i++) {
      Schema.Field f = fields.get(i);
      out[i] = avro(f.schema(), record.get(f.pos()), prefix + f.name());
    }
    return out;
  }

  /** One Avro datum of schema {@code s} as a Spark internal value. */
  Object avro(Schema s, Object v, String path) throws InvalidValueException {
    if (v == null) {
      return null;
    }
    LogicalType lt = s.getLogicalType();
    switch (s.getType()) {
      case UNION:
        int branch = GenericData.get().resolveUnion(s, v);
        return avro(s.getTypes().get(branch), v, path);
      case STRING:
        return string(v, path);
      case ENUM:
        return UTF8String.fromString(v.toString());
      case INT:
        return intValue(lt, (Integer) v, path);
      case LONG:
        return longValue(lt, (Long) v, path);
      case FLOAT:
      case DOUBLE:
      case BOOLEAN:
        return v;
      case BYTES: {
        ByteBuffer bb = ((ByteBuffer) v).duplicate();
        byte[] bytes = new byte[bb.remaining()];
        bb.get(bytes);
        return lt instanceof LogicalTypes.Decimal d ? decimal(new BigInteger(bytes), d, path) : bytes;
      }
      case FIXED: {
        byte[] bytes = ((GenericFixed) v).bytes().clone();
        return lt instanceof LogicalTypes.Decimal d ? decimal(new BigInteger(bytes), d, path) : bytes;
      }
      case RECORD:
        return new GenericInternalRow(fields((IndexedRecord) v, s, path + "."));
      case ARRAY: {
        List<Object> items = new ArrayList<>();
        int i = 0;
        for (Object item : (Iterable<?>) v) {
          items.add(avro(s.getElementType(), item, path + "[" + i++ + "]"));
        }
        return new GenericArrayData(items.toArray());
      }
      case MAP: {
        Map<?, ?> m = (Map<?, ?>) v;
        Object[] keys = new Object[m.size()];
        Object[] values = new Object[m.size()];
        int i = 0;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          UTF8String key = string(e.getKey(), path + " key");
          keys[i] = key;
          values[i++] = avro(s.getValueType(), e.getValue(), path + "." + key);
        }
        return new ArrayBasedMapData(new GenericArrayData(keys), new GenericArrayData(values));
      }
      default:
        return null;
    }
  }

  /** An int of Avro type {@code lt}: a date (epoch days), a time-millis or a plain int. */
  static Object intValue(LogicalType lt, int v, String path) throws InvalidValueException {
    if (lt instanceof LogicalTypes.Date) {
      if (v < MIN_DAYS || v > MAX_DAYS) {
        throw outOfRange(path, "date", v + " days since 1970-01-01",
            "0001-01-01 to 9999-12-31 (" + MIN_DAYS + " to " + MAX_DAYS + ")");
      }
      return v;
    }
    if (lt instanceof LogicalTypes.TimeMillis && (v < 0 || v >= MILLIS_PER_DAY)) {
      throw outOfRange(path, "time-millis", String.valueOf(v), "0 to 86399999 (ms of the day)");
    }
    return v;
  }

  /** A long of Avro type {@code lt}: a timestamp (epoch micros), a time-micros or a plain long. */
  static Object longValue(LogicalType lt, long v, String path) throws InvalidValueException {
    if (lt instanceof LogicalTypes.TimestampMillis || lt instanceof LogicalTypes.LocalTimestampMillis) {
      if (v < Math.floorDiv(MIN_MICROS, 1000) || v > Math.floorDiv(MAX_MICROS, 1000)) {
        throw outOfRange(path, lt.getName(), v + " ms", timestampRange());
      }
      return v * 1000;
    }
    if (lt instanceof LogicalTypes.TimestampMicros || lt instanceof LogicalTypes.LocalTimestampMicros) {
      if (v < MIN_MICROS || v > MAX_MICROS) {
        throw outOfRange(path, lt.getName(), v + " µs", timestampRange());
      }
      return v;
    }
    if (lt instanceof LogicalTypes.TimeMicros && (v < 0 || v >= MILLIS_PER_DAY * 1000)) {
      throw outOfRange(path, "time-micros", String.valueOf(v), "0 to 86399999999 (µs of the day)");
    }
    return v;
  }

  /** An unscaled decimal at the reader field's scale; more digits than its precision do not fit. */
  static Decimal decimal(BigInteger unscaled, LogicalTypes.Decimal type, String path)
      throws InvalidValueException {
    BigDecimal value = new BigDecimal(unscaled, type.getScale());
    if (value.precision() > type.getPrecision()) {
      throw outOfRange(path, "decimal(" + type.getPrecision() + "," + type.getScale() + ")",
          abbreviate(value.toPlainString()), "at most " + type.getPrecision() + " digits");
    }
    return Decimal.apply(value, type.getPrecision(), type.getScale());
  }

  /** A JSON number for a decimal field: at most the field's scale, then its precision. */
  static Decimal decimal(BigDecimal value, LogicalTypes.Decimal type, String path)
      throws InvalidValueException {
    BigDecimal scaled;
    try {
      scaled = value.setScale(type.getScale());
    } catch (ArithmeticException e) {
      throw outOfRange(path, "decimal(" + type.getPrecision() + "," + type.getScale() + ")",
          abbreviate(value.toPlainString()), "at most " + type.getScale() + " decimal places");
    }
    return decimal(scaled.unscaledValue(), type, path);
  }

  UTF8String string(Object v, String path) throws InvalidValueException {
    if (v instanceof Utf8 u) {
      try {
        // Validated, then handed to Spark as the bytes themselves: no String round trip.
        utf8.decode(ByteBuffer.wrap(u.getBytes(), 0, u.getByteLength()));
      } catch (CharacterCodingException e) {
        throw new InvalidValueException(ErrorCode.MALFORMED_AVRO,
            "field " + path + " is not valid UTF-8");
      }
      return UTF8String.fromBytes(u.getBytes(), 0, u.getByteLength()).clone();
    }
    return UTF8String.fromString(v.toString());
  }

  private static String timestampRange() {
    return "0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z";
  }

  static InvalidValueException outOfRange(String path, String type, String value, String range) {
    return new InvalidValueException(ErrorCode.VALUE_OUT_OF_RANGE,
        "field " + path + " (" + type + ") is " + value + ", outside the range Spark and Delta"
            + " can hold: " + range);
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }
}
