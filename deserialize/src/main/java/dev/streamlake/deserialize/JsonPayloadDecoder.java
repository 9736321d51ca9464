package dev.streamlake.deserialize;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.avro.JsonProperties;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayBasedMapData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * A JSON object with the reader schema's fields by name (the JSON format switch). Types follow the
 * schema: timestamps are epoch millis (or micros for timestamp-micros), dates epoch days, times of
 * day ms (or µs) after midnight, decimals JSON numbers with at most the field's scale, a union
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
  private final CatalystValues avroValues = new CatalystValues();

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
    } catch (CatalystValues.InvalidValueException e) {
      return DecodeFailure.invalidValue(null, e);
    }
  }

  private Object[] record(Schema schema, JsonNode obj, String prefix)
      throws Mismatch, CatalystValues.InvalidValueException {
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

  private Object missing(Schema.Field f, boolean absent, String path)
      throws Mismatch, CatalystValues.InvalidValueException {
    if (isNullable(f.schema())) {
      return null;
    }
    if (absent && f.hasDefaultValue() && f.defaultVal() != JsonProperties.NULL_VALUE) {
      return avroValues.avro(f.schema(), GenericData.get().getDefaultValue(f), path);
    }
    throw new Mismatch(absent
        ? "missing required field '" + path + "'"
        : "field '" + path + "' is null but the schema requires " + typeName(f.schema()));
  }

  private Object value(Schema s, JsonNode n, String path)
      throws Mismatch, CatalystValues.InvalidValueException {
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
          return string(n.asText(), path);
        }
        throw mismatch(path, s, n);
      case ENUM:
        if (n.isTextual() && s.hasEnumSymbol(n.asText())) {
          return UTF8String.fromString(n.asText());
        }
        throw new Mismatch("field '" + path + "' must be one of " + s.getEnumSymbols()
            + ", got " + abbreviate(n));
      case INT:
        if (n.isIntegralNumber() && n.canConvertToInt()) {
          return CatalystValues.intValue(lt, n.intValue(), path);
        }
        throw mismatch(path, s, n);
      case LONG:
        if (n.isIntegralNumber() && n.canConvertToLong()) {
          return CatalystValues.longValue(lt, n.longValue(), path);
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
        if (lt instanceof LogicalTypes.Decimal d) {
          if (n.isNumber()) {
            return CatalystValues.decimal(n.decimalValue(), d, path);
          }
          throw mismatch(path, s, n);
        }
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
          return new GenericInternalRow(record(s, n, path + "."));
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
          return new GenericArrayData(items.toArray());
        }
        throw mismatch(path, s, n);
      case MAP:
        if (n.isObject()) {
          List<Object> keys = new ArrayList<>();
          List<Object> values = new ArrayList<>();
          for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode item = e.getValue();
            keys.add(UTF8String.fromString(e.getKey()));
            values.add(item.isNull() && isNullable(s.getValueType())
                ? null
                : value(s.getValueType(), item, path + "." + e.getKey()));
          }
          return new ArrayBasedMapData(
              new GenericArrayData(keys.toArray()), new GenericArrayData(values.toArray()));
        }
        throw mismatch(path, s, n);
      default:
        throw mismatch(path, s, n);
    }
  }

  /** A JSON escape can carry half a surrogate pair, which has no UTF-8 form to store. */
  private static UTF8String string(String text, String path) throws Mismatch {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new Mismatch("field '" + path + "' has an unpaired UTF-16 surrogate at character "
            + i + ", which is not valid Unicode");
      }
    }
    return UTF8String.fromString(text);
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
