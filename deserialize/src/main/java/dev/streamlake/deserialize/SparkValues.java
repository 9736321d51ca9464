package dev.streamlake.deserialize;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.util.Utf8;
import org.apache.spark.sql.RowFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Avro datums (read in the reader schema) to the Spark external values of
 * {@code TableSchemas.dataStruct}: timestamps become {@link Timestamp} built from epoch millis or
 * micros, dates {@link LocalDate} from epoch days (both free of any time zone), strings are checked
 * to be valid UTF-8. One instance per decoder: it reuses a charset decoder.
 */
final class SparkValues {
  /** A value that cannot be represented; the caller turns it into a dead letter. */
  static final class InvalidValueException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidValueException(String message) {
      super(message);
    }
  }

  private final CharsetDecoder utf8 =
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);

  /** The record's fields in schema order. */
  Object[] fields(IndexedRecord record, Schema schema) throws InvalidValueException {
    List<Schema.Field> fields = schema.getFields();
    Object[] out = new Object[fields.size()];
    for (int i = 0; i < out.length; i++) {
      Schema.Field f = fields.get(i);
      out[i] = value(f.schema(), record.get(f.pos()), f.name());
    }
    return out;
  }

  Object value(Schema s, Object v, String path) throws InvalidValueException {
    if (v == null) {
      return null;
    }
    LogicalType lt = s.getLogicalType();
    switch (s.getType()) {
      case UNION:
        int branch = GenericData.get().resolveUnion(s, v);
        return value(s.getTypes().get(branch), v, path);
      case STRING:
        return string(v, path);
      case ENUM:
        return v.toString();
      case INT:
        return lt instanceof LogicalTypes.Date ? LocalDate.ofEpochDay((Integer) v) : v;
      case LONG:
        long n = (Long) v;
        if (lt instanceof LogicalTypes.TimestampMillis) {
          return new Timestamp(n);
        }
        if (lt instanceof LogicalTypes.TimestampMicros) {
          return Timestamp.from(Instant.ofEpochSecond(
              Math.floorDiv(n, 1_000_000L), Math.floorMod(n, 1_000_000L) * 1_000L));
        }
        return n;
      case FLOAT:
      case DOUBLE:
      case BOOLEAN:
        return v;
      case BYTES:
        ByteBuffer bb = ((ByteBuffer) v).duplicate();
        byte[] bytes = new byte[bb.remaining()];
        bb.get(bytes);
        return bytes;
      case FIXED:
        return ((GenericFixed) v).bytes().clone();
      case RECORD:
        return RowFactory.create(fields((IndexedRecord) v, s));
      case ARRAY:
        List<Object> items = new ArrayList<>();
        int i = 0;
        for (Object item : (Iterable<?>) v) {
          items.add(value(s.getElementType(), item, path + "[" + i++ + "]"));
        }
        return CollectionConverters.asScala(items).toSeq();
      case MAP:
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
          String key = string(e.getKey(), path + " key");
          m.put(key, value(s.getValueType(), e.getValue(), path + "." + key));
        }
        return CollectionConverters.asScala(m);
      default:
        return null;
    }
  }

  private String string(Object v, String path) throws InvalidValueException {
    if (v instanceof Utf8 u) {
      try {
        CharBuffer chars = utf8.decode(ByteBuffer.wrap(u.getBytes(), 0, u.getByteLength()));
        return chars.toString();
      } catch (CharacterCodingException e) {
        throw new InvalidValueException("field " + path + " is not valid UTF-8");
      }
    }
    return v.toString();
  }
}
