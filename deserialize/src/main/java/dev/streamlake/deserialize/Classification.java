package dev.streamlake.deserialize;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_join;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.filter;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

import dev.streamlake.common.PipelineConfig.NamedExpression;
import dev.streamlake.common.TableSchemas;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.encoders.RowEncoder;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Decodes and validates raw rows into one classified Dataset, streaming or batch alike: the bronze
 * columns, plus the raw row kept whole, the names of broken rules, and the final error code and
 * message (null for a good row). {@link #bronzeRows} and {@link #deadLetterRows} split it.
 *
 * <p>Everything time-dependent uses {@code current_timestamp()}, which in a streaming query is the
 * micro-batch's timestamp from the offset log: a replayed batch classifies exactly as before.
 */
final class Classification {
  static final String RAW = "_sl_raw";
  static final String DECODE_CODE = "_sl_decode_code";
  static final String DECODE_MESSAGE = "_sl_decode_message";
  static final String BROKEN_RULES = "_sl_broken_rules";
  static final String ERROR_CODE = "_sl_error_code";
  static final String ERROR_MESSAGE = "_sl_error_message";

  private Classification() {}

  /** {@code raw} must have the raw table's columns; {@code rules} were checked by {@link Rules}. */
  static Dataset<Row> classify(
      Dataset<Row> raw, DecoderSettings settings, List<NamedExpression> rules) {
    Schema reader = settings.readerSchema();
    StructType data = TableSchemas.dataStruct(reader);
    Column[] rawColumns =
        Arrays.stream(TableSchemas.raw().fieldNames()).map(c -> col("`" + c + "`"))
            .toArray(Column[]::new);
    Dataset<Row> rawRows = raw.select(rawColumns);
    StructType decodedSchema =
        data.add(TableSchemas.SCHEMA_ID, DataTypes.IntegerType, true)
            .add(RAW, rawRows.schema(), false)
            .add(DECODE_CODE, DataTypes.StringType, true)
            .add(DECODE_MESSAGE, DataTypes.StringType, true);
    // Lenient: accepts java.sql.Timestamp/Instant and Date/LocalDate whatever the session's
    // java8API setting, so the decoder's values never depend on session config.
    Dataset<Row> decoded =
        rawRows.mapPartitions(
            new DecodePartition(settings, data.size()), RowEncoder.encoderFor(decodedSchema, true));

    List<Column> bronze = new ArrayList<>();
    for (String f : data.fieldNames()) {
      bronze.add(col("`" + f + "`"));
    }
    bronze.add(col(TableSchemas.SCHEMA_ID));
    bronze.add(col(RAW + "." + TableSchemas.TOPIC).as(TableSchemas.TOPIC));
    bronze.add(col(RAW + "." + TableSchemas.PARTITION).as(TableSchemas.PARTITION));
    bronze.add(col(RAW + "." + TableSchemas.OFFSET).as(TableSchemas.OFFSET));
    bronze.add(col(RAW + "." + TableSchemas.TIMESTAMP).as(TableSchemas.KAFKA_TIMESTAMP));
    bronze.add(col(RAW + "." + TableSchemas.INGEST_DATE).as(TableSchemas.INGEST_DATE));
    bronze.add(current_timestamp().as(TableSchemas.DESERIALIZED_AT));
    bronze.add(col(RAW));
    bronze.add(col(DECODE_CODE));
    bronze.add(col(DECODE_MESSAGE));
    Dataset<Row> withBronzeColumns = decoded.select(bronze.toArray(Column[]::new));

    Column decodedOk = col(DECODE_CODE).isNull();
    Dataset<Row> withRules =
        withBronzeColumns.withColumn(BROKEN_RULES, brokenRules(decodedOk, rules));
    Column broken = size(col(BROKEN_RULES)).gt(0);
    return withRules
        .withColumn(ERROR_CODE,
            when(not(decodedOk), col(DECODE_CODE))
                .when(broken, lit(ErrorCode.RULE_VIOLATION.name())))
        .withColumn(ERROR_MESSAGE,
            when(not(decodedOk), col(DECODE_MESSAGE))
                .when(broken, concat(lit("broken rules: "), array_join(col(BROKEN_RULES), ", "))));
  }

  /**
   * The names of the rules a decoded row breaks, in config order; empty for undecodable rows. A
   * rule evaluating to NULL counts as broken: {@code coalesce(rule, false) = false}.
   */
  static Column brokenRules(Column decodedOk, List<NamedExpression> rules) {
    if (rules.isEmpty()) {
      return array().cast(DataTypes.createArrayType(DataTypes.StringType, false));
    }
    Column[] perRule =
        rules.stream()
            .map(r -> when(decodedOk.and(not(coalesce(expr(r.expression()), lit(false)))),
                lit(r.name())))
            .toArray(Column[]::new);
    return filter(array(perRule), Column::isNotNull);
  }

  static Column isGood() {
    return col(ERROR_CODE).isNull();
  }

  /** The good rows, shaped exactly like bronze. */
  static Dataset<Row> bronzeRows(Dataset<Row> classified, Schema reader) {
    Column[] columns =
        Arrays.stream(TableSchemas.bronze(reader).fieldNames()).map(c -> col("`" + c + "`"))
            .toArray(Column[]::new);
    return classified.where(isGood()).select(columns);
  }

  /** The failed rows: the raw row unchanged, then stage, code, message and when. */
  static Dataset<Row> deadLetterRows(Dataset<Row> classified, String stage) {
    List<Column> columns = new ArrayList<>();
    for (String c : TableSchemas.raw().fieldNames()) {
      columns.add(col(RAW + ".`" + c + "`").as(c));
    }
    columns.add(lit(stage).as(TableSchemas.STAGE));
    columns.add(col(ERROR_CODE).as(TableSchemas.ERROR_CODE));
    columns.add(col(ERROR_MESSAGE).as(TableSchemas.ERROR_MESSAGE));
    columns.add(col(TableSchemas.DESERIALIZED_AT).as(TableSchemas.FAILED_AT));
    return classified.where(not(isGood())).select(columns.toArray(Column[]::new));
  }
}
