package dev.streamlake.common;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Spark schemas of the four tables. Column names here are the table contract that every stage
 * and every downstream reader relies on.
 */
public final class TableSchemas {
  private TableSchemas() {}

  // Kafka coordinates and record metadata, as the Spark Kafka source names them.
  public static final String KEY = "key";
  public static final String VALUE = "value";
  public static final String TOPIC = "topic";
  public static final String PARTITION = "partition";
  public static final String OFFSET = "offset";
  public static final String TIMESTAMP = "timestamp";
  public static final String TIMESTAMP_TYPE = "timestampType";
  public static final String HEADERS = "headers";
  public static final String INGESTED_AT = "ingested_at";
  public static final String INGEST_DATE = "ingest_date";

  public static final String SCHEMA_ID = "schema_id";
  public static final String KAFKA_TIMESTAMP = "kafka_timestamp";
  public static final String DESERIALIZED_AT = "deserialized_at";
  /** The Kafka record's key bytes, kept in bronze so gold can be keyed on them. */
  public static final String KAFKA_KEY = "kafka_key";
  /**
   * True for a Kafka record whose value is null (a tombstone). Only pipelines whose
   * {@code gold.deleteWhen} holds for a tombstone let one into bronze; elsewhere it is a dead
   * letter.
   */
  public static final String TOMBSTONE = "tombstone";

  public static final String STAGE = "stage";
  public static final String ERROR_CODE = "error_code";
  public static final String ERROR_MESSAGE = "error_message";
  public static final String FAILED_AT = "failed_at";
  /**
   * dead_letter columns the re-drive command adds: when a dead letter was re-driven into bronze,
   * and the bronze version it went in with. Both NULL: the dead letter is open.
   */
  public static final String REDRIVEN_AT = "redriven_at";
  public static final String REDRIVEN_TO_VERSION = "redriven_to_version";

  public static final String FIRST_INSERTED_AT = "first_inserted_at";
  public static final String LAST_CHANGED_AT = "last_changed_at";

  // Gold with gold.history scd2: each version's validity, and the delete flag of a stored record.
  public static final String VALID_FROM = "valid_from";
  public static final String VALID_TO = "valid_to";
  public static final String IS_CURRENT = "is_current";
  public static final String IS_DELETE = "is_delete";

  /** Bronze columns besides the decoded fields. */
  public static final List<String> BRONZE_METADATA_COLUMNS =
      List.of(SCHEMA_ID, TOPIC, PARTITION, OFFSET, KAFKA_TIMESTAMP, INGEST_DATE, DESERIALIZED_AT,
          KAFKA_KEY, TOMBSTONE);

  /** raw: one row per Kafka record, bytes untouched, partitioned by {@link #INGEST_DATE}. */
  public static StructType raw() {
    return new StructType()
        .add(KEY, DataTypes.BinaryType, true)
        .add(VALUE, DataTypes.BinaryType, true)
        .add(TOPIC, DataTypes.StringType, false)
        .add(PARTITION, DataTypes.IntegerType, false)
        .add(OFFSET, DataTypes.LongType, false)
        .add(TIMESTAMP, DataTypes.TimestampType, true)
        .add(TIMESTAMP_TYPE, DataTypes.IntegerType, true)
        .add(HEADERS, headersType(), true)
        .add(INGESTED_AT, DataTypes.TimestampType, false)
        .add(INGEST_DATE, DataTypes.DateType, false);
  }

  /**
   * raw's table properties. Delta passes a table's properties to the Parquet writer, so they can
   * spare stage 1 work no reader needs: no dictionary and no min/max statistics for the key, value
   * and header bytes (random-looking payloads never fit a dictionary, and nobody filters on their
   * byte order), no dictionary for the offsets and timestamps (unique per record), and Delta's file
   * statistics only for the columns that locate a record.
   */
  public static Map<String, String> rawProperties() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("delta.dataSkippingStatsColumns", String.join(",",
        TOPIC, "`" + PARTITION + "`", OFFSET, TIMESTAMP, INGESTED_AT));
    for (String column : List.of(KEY, VALUE, HEADERS + ".list.element." + VALUE)) {
      p.put("parquet.enable.dictionary#" + column, "false");
      p.put("parquet.column.statistics.enabled#" + column, "false");
    }
    // Unique per record: a dictionary is built and thrown away for every file.
    p.put("parquet.enable.dictionary#" + OFFSET, "false");
    p.put("parquet.enable.dictionary#" + TIMESTAMP, "false");
    return p;
  }

  public static DataType headersType() {
    return DataTypes.createArrayType(
        new StructType()
            .add(KEY, DataTypes.StringType, true)
            .add(VALUE, DataTypes.BinaryType, true),
        true);
  }

  /** bronze: the reader schema's fields, then where each record came from. */
  public static StructType bronze(Schema readerSchema) {
    StructType t = dataStruct(readerSchema);
    return t.add(SCHEMA_ID, DataTypes.IntegerType, true)
        .add(TOPIC, DataTypes.StringType, false)
        .add(PARTITION, DataTypes.IntegerType, false)
        .add(OFFSET, DataTypes.LongType, false)
        .add(KAFKA_TIMESTAMP, DataTypes.TimestampType, true)
        .add(INGEST_DATE, DataTypes.DateType, false)
        .add(DESERIALIZED_AT, DataTypes.TimestampType, false)
        // Added after the first release: nullable, so stage 2 can add them to an older bronze.
        .add(KAFKA_KEY, DataTypes.BinaryType, true)
        .add(TOMBSTONE, DataTypes.BooleanType, true);
  }

  /** dead_letter: the raw row unchanged, plus which stage failed it, how and when. */
  public static StructType deadLetter() {
    return raw()
        .add(STAGE, DataTypes.StringType, false)
        .add(ERROR_CODE, DataTypes.StringType, false)
        .add(ERROR_MESSAGE, DataTypes.StringType, true)
        .add(FAILED_AT, DataTypes.TimestampType, false);
  }

  /**
   * dead_letter once the re-drive command has run on it: {@link #deadLetter()} and the nullable
   * {@link #REDRIVEN_AT} and {@link #REDRIVEN_TO_VERSION}. Stage 2 appends without them, and
   * its dead letters read them as NULL: open.
   */
  public static StructType deadLetterWithRedrive() {
    return deadLetter()
        .add(REDRIVEN_AT, DataTypes.TimestampType, true)
        .add(REDRIVEN_TO_VERSION, DataTypes.LongType, true);
  }

  /** The decoded fields of a record schema as a Spark struct (every field nullable). */
  public static StructType dataStruct(Schema recordSchema) {
    List<StructField> fields = new ArrayList<>();
    for (Schema.Field f : recordSchema.getFields()) {
      fields.add(DataTypes.createStructField(f.name(), sparkType(f.schema()), true));
    }
    return DataTypes.createStructType(fields);
  }

  public static List<String> dataColumns(Schema recordSchema) {
    return recordSchema.getFields().stream().map(Schema.Field::name).toList();
  }

  /**
   * Avro type to Spark type; unions with null become the nullable other branch. Logical types map
   * to their Spark counterparts (timestamps, local timestamps, dates, decimals); nanosecond
   * timestamps are refused, since a Spark timestamp holds microseconds and a silent truncation
   * would change the value.
   */
  public static DataType sparkType(Schema s) {
    LogicalType lt = s.getLogicalType();
    if (lt instanceof LogicalTypes.TimestampMillis || lt instanceof LogicalTypes.TimestampMicros) {
      return DataTypes.TimestampType;
    }
    if (lt instanceof LogicalTypes.LocalTimestampMillis
        || lt instanceof LogicalTypes.LocalTimestampMicros) {
      return DataTypes.TimestampNTZType;
    }
    if (lt instanceof LogicalTypes.TimestampNanos || lt instanceof LogicalTypes.LocalTimestampNanos) {
      throw new ConfigException("Avro logical type " + lt.getName() + " is not supported: a Spark"
          + " timestamp holds microseconds. Use timestamp-micros or timestamp-millis.");
    }
    if (lt instanceof LogicalTypes.Date) {
      return DataTypes.DateType;
    }
    if (lt instanceof LogicalTypes.Decimal d) {
      if (d.getPrecision() > DecimalType.MAX_PRECISION()) {
        throw new ConfigException("Avro decimal(" + d.getPrecision() + "," + d.getScale()
            + ") is not supported: a Spark decimal has at most " + DecimalType.MAX_PRECISION()
            + " digits.");
      }
      return DataTypes.createDecimalType(d.getPrecision(), d.getScale());
    }
    return switch (s.getType()) {
      case STRING, ENUM -> DataTypes.StringType;
      case INT -> DataTypes.IntegerType;
      case LONG -> DataTypes.LongType;
      case FLOAT -> DataTypes.FloatType;
      case DOUBLE -> DataTypes.DoubleType;
      case BOOLEAN -> DataTypes.BooleanType;
      case BYTES, FIXED -> DataTypes.BinaryType;
      case RECORD -> dataStruct(s);
      case ARRAY -> DataTypes.createArrayType(sparkType(s.getElementType()), true);
      case MAP -> DataTypes.createMapType(
          DataTypes.StringType, sparkType(s.getValueType()), true);
      case UNION -> {
        List<Schema> nonNull =
            s.getTypes().stream().filter(b -> b.getType() != Schema.Type.NULL).toList();
        if (nonNull.size() != 1) {
          throw new ConfigException("Avro union " + s + " is not supported: only a union of null"
              + " and one other type maps to a bronze column.");
        }
        yield sparkType(nonNull.get(0));
      }
      case NULL -> DataTypes.NullType;
    };
  }
}
