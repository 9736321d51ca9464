package dev.streamlake.deserialize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.streamlake.common.TableSchemas;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The classified row: what stage 2 makes of one raw row, and the one place its layout is defined.
 * Its first columns are exactly bronze's; then the error code and message (null for a good row)
 * and the names of the broken rules; then the raw columns a dead letter needs that bronze does not
 * have, filled for failed rows only, so good rows carry no copy of their bytes.
 *
 * <p>Decoding and the rules run in {@link ClassifyPartition} over Spark's internal rows, straight
 * from the raw scan into the classified layout: no external {@code Row} objects in between, and no
 * encoder after the decoder that could fail on a value the decoder accepted.
 */
final class Classification implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The micro-batch timestamp, added to the raw stream so that replays see the same value. */
  static final String BATCH_TIMESTAMP = "_sl_batch_ts";

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

  Classification(Schema reader) {
    this.bronze = TableSchemas.bronze(reader);
    StructType raw = TableSchemas.raw();
    StructType in = new StructType();
    for (StructField f : raw.fields()) {
      in = in.add(f);
    }
    this.input = in.add(BATCH_TIMESTAMP, DataTypes.TimestampType, false);
    StructType out = bronze
        .add(ERROR_CODE, DataTypes.StringType, true)
        .add(ERROR_MESSAGE, DataTypes.StringType, true)
        .add(BROKEN_RULES, DataTypes.createArrayType(DataTypes.StringType, false), true);
    for (String c : RAW_ONLY) {
      out = out.add(RAW_PREFIX + c, raw.apply(c).dataType(), true);
    }
    this.classified = out;
  }

  StructType bronzeSchema() {
    return bronze;
  }

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

  int outRaw(String rawColumn) {
    return out(RAW_PREFIX + rawColumn);
  }

  List<String> rawOnly() {
    return RAW_ONLY;
  }

  /** The raw stream with the batch timestamp that rules and {@code deserialized_at} use. */
  static Dataset<Row> withBatchTimestamp(Dataset<Row> raw) {
    return raw.withColumn(BATCH_TIMESTAMP, org.apache.spark.sql.functions.current_timestamp());
  }

  /**
   * Classifies one micro-batch of raw rows (with {@link #BATCH_TIMESTAMP}). One row out per row
   * in, whatever the bytes: every raw row is accounted for.
   */
  Dataset<Row> classify(Dataset<Row> batch, DecoderSettings settings, Rules rules) {
    return frame(batch.sparkSession(), rows(batch, new ClassifyPartition(this, settings, rules)));
  }

  /**
   * The classified rows as Spark's compact {@code UnsafeRow}s, computed by {@code classifier}: an
   * RDD, so that caching it stores the rows as they are instead of building a columnar cache.
   */
  JavaRDD<InternalRow> rows(Dataset<Row> batch, ClassifyPartition classifier) {
    Column[] columns =
        List.of(input.fieldNames()).stream().map(c -> col("`" + c + "`")).toArray(Column[]::new);
    var selected = (org.apache.spark.sql.classic.Dataset<Row>) batch.select(columns);
    RDD<InternalRow> rows = selected.queryExecution().toRdd();
    return rows.toJavaRDD().mapPartitions(classifier);
  }

  /** Classified rows as a DataFrame of {@link #schema()}. */
  Dataset<Row> frame(SparkSession spark, JavaRDD<InternalRow> rows) {
    var session = (org.apache.spark.sql.classic.SparkSession) spark;
    return session.internalCreateDataFrame(rows.rdd(), classified, false);
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
