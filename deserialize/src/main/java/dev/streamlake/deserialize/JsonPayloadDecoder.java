package dev.streamlake.deserialize;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.JsonProperties;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.spark.sql.RowFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A JSON object with the reader schema's fields by name (the JSON format switch). Types follow the
 * schema: timestamps are epoch millis (or micros for timestamp-micros), dates epoch days, a union
 * with null takes either null or the other branch's value directly. A field the schema requires
 * must be present and non-null unless the schema gives it a default; unknown fields are ignored,
 * so producers can add fields before the reader schema has them.
 */
final class JsonPayloadDecoder extends PayloadDecoder {
  private static final ObjectReader READER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS)
          .build()
          .reader();

  private final Schema reader;
  private final SparkValues avroValues = new SparkValues();

  /** A JSON value that does not fit the schema; becomes MALFORMED_JSON. */
  private static final class Mismatch extends Exception {
    private static final long serialVersionUID = 1L;

    Mismatch(String message) {
      super(message);
    }
  }

  JsonPayloadDecoder(DecoderSettings settings) {
    super(settings.maxPayloadBytes());
    this.reader = settings.readerSchema();
  }

  @Override
  DecodeResult decodeBody(byte[] value) {
    JsonNode root;
    try {
      root = READER.readTree(value);
    } catch (IOException | RuntimeException e) {
      return DecodeFailure.malformedJson("not valid JSON: " + firstLine(e.getMessage()));
    }
    if (root == null || !root.isObject()) {
      return DecodeFailure.malformedJson("expected a JSON object, got "
          + (root == null ? "nothing" : root.getNodeType().name().toLowerCase()));
    }
    try {
      return new DecodeResult.Decoded(record(reader, root, ""), null);
    } catch (Mismatch e) {
      return DecodeFailure.malformedJson(e.getMessage());
    }
  }

  private Object[] record(Schema schema, JsonNode obj, String prefix) throws Mismatch {
    List<Schema.Field> fields = schema.getFields();
    Object[] out = new Object[fields.size()];
    for (int i = 0; i < out.length; i++) {
      Schema.Field f = fields.get(i);
      String path = prefix + f.name();
      JsonNode node = obj.get(f.name());
      if (node == null || node.isNull()) {
        out[i] = missing(f, node == null, path);
      } else {
        out[i] = value(f.schema(), node, path);
      }
    }
    return out;
  }

  private Object missing(Schema.Field f, boolean absent, String path) throws Mismatch {
    if (isNullable(f.schema())) {
      return null;
    }
    if (absent && f.hasDefaultValue() && f.defaultVal() != JsonProperties.NULL_VALUE) {
      try {
        return avroValues.value(f.schema(), GenericData.get().getDefaultValue(f), path);
      } catch (SparkValues.InvalidValueException e) {
        throw new Mismatch(e.getMessage());
      }
    }
    throw new Mismatch(absent
        ? "missing required field '" + path + "'"
        : "field '" + path + "' is null but the schema requires " + typeName(f.schema()));
  }

  private Object value(Schema s, JsonNode n, String path) throws Mismatch {
    LogicalType lt = s.getLogicalType();
    switch (s.getType()) {
      case UNION: {
        for (Schema branch : s.getTypes()) {
          if (branch.getType() == Schema.Type.NULL) {
            continue;
          }
          return value(branch, n, path);
        }
        throw mismatch(path, s, n);
      }
      case STRING:
        if (n.isTextual()) {
          return n.asText();
        }
        throw mismatch(path, s, n);
      case ENUM:
        if (n.isTextual() && s.hasEnumSymbol(n.asText())) {
          return n.asText();
        }
        throw new Mismatch("field '" + path + "' must be one of " + s.getEnumSymbols()
            + ", got " + abbreviate(n));
      case INT:
        if (n.isIntegralNumber() && n.canConvertToInt()) {
          return lt instanceof LogicalTypes.Date ? LocalDate.ofEpochDay(n.intValue()) : n.intValue();
        }
        throw mismatch(path, s, n);
      case LONG:
        if (n.isIntegralNumber() && n.canConvertToLong()) {
          long v = n.longValue();
          if (lt instanceof LogicalTypes.TimestampMillis) {
            return new Timestamp(v);
          }
          if (lt instanceof LogicalTypes.TimestampMicros) {
            return Timestamp.from(Instant.ofEpochSecond(
                Math.floorDiv(v, 1_000_000L), Math.floorMod(v, 1_000_000L) * 1_000L));
          }
          return v;
        }
        throw mismatch(path, s, n);
      case FLOAT:
        if (n.isNumber()) {
          return n.floatValue();
        }
        throw mismatch(path, s, n);
      case DOUBLE:
        if (n.isNumber()) {
          return n.doubleValue();
        }
        throw mismatch(path, s, n);
      case BOOLEAN:
        if (n.isBoolean()) {
          return n.booleanValue();
        }
        throw mismatch(path, s, n);
      case BYTES:
      case FIXED:
        // Avro's own JSON encoding: one character per byte (ISO-8859-1).
        if (n.isTextual()) {
          byte[] b = n.asText().getBytes(StandardCharsets.ISO_8859_1);
          if (s.getType() == Schema.Type.FIXED && b.length != s.getFixedSize()) {
            throw new Mismatch("field '" + path + "' must have " + s.getFixedSize() + " bytes");
          }
          return b;
        }
        throw mismatch(path, s, n);
      case RECORD:
        if (n.isObject()) {
          return RowFactory.create(record(s, n, path + "."));
        }
        throw mismatch(path, s, n);
      case ARRAY:
        if (n.isArray()) {
          List<Object> items = new ArrayList<>();
          for (int i = 0; i < n.size(); i++) {
            JsonNode item = n.get(i);
            items.add(item.isNull() && isNullable(s.getElementType())
                ? null
                : value(s.getElementType(), item, path + "[" + i + "]"));
          }
          return CollectionConverters.asScala(items).toSeq();
        }
        throw mismatch(path, s, n);
      case MAP:
        if (n.isObject()) {
          Map<String, Object> m = new LinkedHashMap<>();
          for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode item = e.getValue();
            m.put(e.getKey(), item.isNull() && isNullable(s.getValueType())
                ? null
                : value(s.getValueType(), item, path + "." + e.getKey()));
          }
          return CollectionConverters.asScala(m);
        }
        throw mismatch(path, s, n);
      default:
        throw mismatch(path, s, n);
    }
  }

  private static boolean isNullable(Schema s) {
    return s.getType() == Schema.Type.NULL
        || (s.getType() == Schema.Type.UNION
            && s.getTypes().stream().anyMatch(b -> b.getType() == Schema.Type.NULL));
  }

  private static Mismatch mismatch(String path, Schema s, JsonNode n) {
    return new Mismatch("field '" + path + "' must be " + typeName(s) + ", got "
        + n.getNodeType().name().toLowerCase() + " " + abbreviate(n));
  }

  private static String typeName(Schema s) {
    LogicalType lt = s.getLogicalType();
    if (lt instanceof LogicalTypes.TimestampMillis) {
      return "a timestamp in epoch milliseconds (an integer)";
    }
    if (lt instanceof LogicalTypes.TimestampMicros) {
      return "a timestamp in epoch microseconds (an integer)";
    }
    return switch (s.getType()) {
      case STRING -> "a string";
      case INT -> "an int";
      case LONG -> "a long";
      case FLOAT, DOUBLE -> "a number";
      case BOOLEAN -> "a boolean";
      case RECORD, MAP -> "an object";
      case ARRAY -> "an array";
      case UNION -> s.getTypes().stream()
          .filter(b -> b.getType() != Schema.Type.NULL)
          .map(JsonPayloadDecoder::typeName)
          .findFirst().orElse("null");
      default -> s.getType().getName();
    };
  }

  private static String abbreviate(JsonNode n) {
    String s = n.toString();
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
