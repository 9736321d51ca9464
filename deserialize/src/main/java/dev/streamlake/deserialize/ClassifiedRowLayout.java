package dev.streamlake.deserialize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.streamlake.common.TableSchemas;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The classified row, what stage 2 makes of one raw row, and the raw row it is made from: the one
 * place both layouts are defined. The classified row's first columns are exactly bronze's, at
 * bronze's ordinals, because the rules are bound to bronze's ordinals and evaluate the classified
 * row as it is being built. Then come the error code and message (null for a good row) and the
 * names of the broken rules; then the raw columns a dead letter needs that bronze does not have,
 * filled for failed rows only, so good rows carry no copy of their bytes.
 *
 * <p>The executor writes Spark internal rows by ordinal, the driver selects columns by name; both
 * come from here. The ordinals are looked up by name in the schemas built here, once, and travel
 * with this object into each task.
 */
final class ClassifiedRowLayout implements Serializable {
  private static final long serialVersionUID = 1L;

  static final String ERROR_CODE = "_sl_error_code";
  static final String ERROR_MESSAGE = "_sl_error_message";
  static final String BROKEN_RULES = "_sl_broken_rules";
  private static final String RAW_PREFIX = "_sl_raw_";

  /** Raw columns a dead letter needs besides the ones bronze shares with raw. */
  private static final List<String> RAW_ONLY = List.of(TableSchemas.KEY, TableSchemas.VALUE,
      TableSchemas.TIMESTAMP, TableSchemas.TIMESTAMP_TYPE, TableSchemas.HEADERS,
      TableSchemas.INGESTED_AT);

  /** The raw columns bronze keeps, under their bronze names. */
  private static final List<String> COORDINATES =
      List.of(TableSchemas.TOPIC, TableSchemas.PARTITION, TableSchemas.OFFSET);

  private final StructType bronze;
  private final StructType input;
  private final StructType classified;

  final int inKey;
  final int inValue;
  final int inTopic;
  final int inPartition;
  final int inOffset;
  final int inTimestamp;
  final int inIngestDate;

  final int outSchemaId;
  final int outTopic;
  final int outPartition;
  final int outOffset;
  final int outKafkaTimestamp;
  final int outIngestDate;
  final int outDeserializedAt;
  final int outKafkaKey;
  final int outTombstone;
  final int outErrorCode;
  final int outErrorMessage;
  final int outBrokenRules;
  final int width;

  /** Where each of the reader schema's fields goes, in the reader schema's order. */
  private final int[] recordOut;
  /** Each raw-only column: where it is read, where it goes, and its type. */
  private final int[] rawIn;
  private final int[] rawOut;
  private final DataType[] rawTypes;

  ClassifiedRowLayout(Schema reader) {
    this.bronze = TableSchemas.bronze(reader);
    StructType raw = TableSchemas.raw();
    StructType in = new StructType();
    for (StructField f : raw.fields()) {
      in = in.add(f);
    }
    this.input = in;
    StructType out = bronze
        .add(ERROR_CODE, DataTypes.StringType, true)
        .add(ERROR_MESSAGE, DataTypes.StringType, true)
        .add(BROKEN_RULES, DataTypes.createArrayType(DataTypes.StringType, false), true);
    for (String c : RAW_ONLY) {
      out = out.add(RAW_PREFIX + c, raw.apply(c).dataType(), true);
    }
    this.classified = out;

    this.inKey = in(TableSchemas.KEY);
    this.inValue = in(TableSchemas.VALUE);
    this.inTopic = in(TableSchemas.TOPIC);
    this.inPartition = in(TableSchemas.PARTITION);
    this.inOffset = in(TableSchemas.OFFSET);
    this.inTimestamp = in(TableSchemas.TIMESTAMP);
    this.inIngestDate = in(TableSchemas.INGEST_DATE);

    this.outSchemaId = out(TableSchemas.SCHEMA_ID);
    this.outTopic = out(TableSchemas.TOPIC);
    this.outPartition = out(TableSchemas.PARTITION);
    this.outOffset = out(TableSchemas.OFFSET);
    this.outKafkaTimestamp = out(TableSchemas.KAFKA_TIMESTAMP);
    this.outIngestDate = out(TableSchemas.INGEST_DATE);
    this.outDeserializedAt = out(TableSchemas.DESERIALIZED_AT);
    this.outKafkaKey = out(TableSchemas.KAFKA_KEY);
    this.outTombstone = out(TableSchemas.TOMBSTONE);
    this.outErrorCode = out(ERROR_CODE);
    this.outErrorMessage = out(ERROR_MESSAGE);
    this.outBrokenRules = out(BROKEN_RULES);
    this.width = classified.size();

    this.recordOut =
        TableSchemas.dataColumns(reader).stream().mapToInt(this::out).toArray();
    this.rawIn = RAW_ONLY.stream().mapToInt(this::in).toArray();
    this.rawOut = RAW_ONLY.stream().mapToInt(this::outRaw).toArray();
    this.rawTypes = new DataType[rawIn.length];
    for (int i = 0; i < rawIn.length; i++) {
      rawTypes[i] = input.fields()[rawIn[i]].dataType();
    }
  }

  StructType bronzeSchema() {
    return bronze;
  }

  /** The raw row: what the executor classifies (the batch's time travels with the task). */
  StructType inputSchema() {
    return input;
  }

  StructType schema() {
    return classified;
  }

  /** Ordinal of a classified column by name. */
  int out(String column) {
    return classified.fieldIndex(column);
  }

  /** Ordinal of an input column by name. */
  int in(String column) {
    return input.fieldIndex(column);
  }

  /** Ordinal of the classified column that keeps raw column {@code rawColumn} for dead letters. */
  int outRaw(String rawColumn) {
    return out(RAW_PREFIX + rawColumn);
  }

  /** A decoded record's values (reader schema order) and writer schema id, into {@code row}. */
  void putRecord(Object[] row, DecodeResult.Decoded decoded) {
    Object[] values = decoded.values();
    for (int i = 0; i < recordOut.length; i++) {
      row[recordOut[i]] = values[i];
    }
    row[outSchemaId] = decoded.schemaId();
  }

  /** Empties what {@link #putRecord} wrote: a failed row keeps no decoded value. */
  void clearRecord(Object[] row) {
    for (int ordinal : recordOut) {
      row[ordinal] = null;
    }
    row[outSchemaId] = null;
  }

  /** The raw columns a dead letter needs, copied from {@code raw} into {@code row}. */
  void putRawColumns(Object[] row, InternalRow raw) {
    for (int i = 0; i < rawIn.length; i++) {
      row[rawOut[i]] = raw.isNullAt(rawIn[i]) ? null : copy(raw.get(rawIn[i], rawTypes[i]));
    }
  }

  /** The scan may reuse its row buffer: strings and arrays are copied, binaries are copies. */
  private static Object copy(Object v) {
    if (v instanceof UTF8String s) {
      return s.clone();
    }
    if (v instanceof ArrayData a) {
      return a.copy();
    }
    return v;
  }

  /** The columns of {@link #inputSchema()}, in its order. */
  Column[] inputColumns() {
    return names(input.fieldNames());
  }

  static Column isGood() {
    return col(ERROR_CODE).isNull();
  }

  /** The good rows, shaped exactly like bronze. */
  Dataset<Row> bronzeRows(Dataset<Row> classifiedRows) {
    return classifiedRows.where(isGood()).select(names(bronze.fieldNames()));
  }

  /** Coordinates of rows, for anti-joins against what a table already holds. */
  static Column[] coordinates() {
    return names(COORDINATES.toArray(String[]::new));
  }

  static List<String> coordinateNames() {
    return COORDINATES;
  }

  /**
   * Failed rows as dead letters: the raw row unchanged, then stage, code, message and when. Only
   * rows with an error code carry their raw columns.
   */
  Dataset<Row> deadLetterRows(Dataset<Row> failed, String stage) {
    List<Column> columns = new ArrayList<>();
    for (String c : TableSchemas.raw().fieldNames()) {
      columns.add((RAW_ONLY.contains(c) ? col(RAW_PREFIX + c) : col("`" + c + "`")).as(c));
    }
    columns.add(lit(stage).as(TableSchemas.STAGE));
    columns.add(col(ERROR_CODE).as(TableSchemas.ERROR_CODE));
    columns.add(col(ERROR_MESSAGE).as(TableSchemas.ERROR_MESSAGE));
    columns.add(col(TableSchemas.DESERIALIZED_AT).as(TableSchemas.FAILED_AT));
    return failed.select(columns.toArray(Column[]::new));
  }

  private static Column[] names(String[] names) {
    Column[] c = new Column[names.length];
    for (int i = 0; i < names.length; i++) {
      c[i] = col("`" + names[i] + "`");
    }
    return c;
  }
}
