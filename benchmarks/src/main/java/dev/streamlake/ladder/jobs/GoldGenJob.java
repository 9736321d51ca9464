package dev.streamlake.ladder.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.rand;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.timestamp_millis;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.PipelineConfig.NamedExpression;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.merge.GoldTable;
import io.delta.tables.DeltaTable;
import io.delta.tables.DeltaTableBuilder;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Builds a gold table of {@code ROWS} rows directly (stage 3's schema, partitioning and change data
 * feed, as if stage 3 had merged it up), and {@code BATCHES} bronze tables of {@code BATCH_ROWS}
 * rows each, to be merged into it one at a time.
 *
 * <p>Gold grows the way a fleet's history does: {@code SENSORS} sensors, one row per sensor and
 * day, so ROWS / SENSORS days of 2024. Each bronze batch holds later readings of the first
 * BATCH_ROWS sensors on gold's last day: every row updates one gold row, all in one partition,
 * and batch k is newer than batch k-1, so each merges as a real update.
 *
 * <p>Arguments: {@code GOLD_TABLE ROWS SENSORS BRONZE_PREFIX BATCHES BATCH_ROWS}; bronze batch k
 * is written to {@code BRONZE_PREFIX-k}.
 */
public final class GoldGenJob {
  static final LocalDate FIRST_DAY = LocalDate.of(2024, 1, 1);
  private static final long DAY_MS = 86_400_000L;

  private GoldGenJob() {}

  public static void main(String[] args) {
    JobArgs a = JobArgs.of(args, "GOLD_TABLE", "ROWS", "SENSORS", "BRONZE_PREFIX", "BATCHES",
        "BATCH_ROWS");
    long rows = a.getLong("ROWS");
    long sensors = a.getLong("SENSORS");
    long batchRows = a.getLong("BATCH_ROWS");
    if (rows % sensors != 0 || batchRows > sensors) {
      throw new IllegalArgumentException("ROWS must be a multiple of SENSORS and BATCH_ROWS at most"
          + " SENSORS: " + rows + ", " + sensors + ", " + batchRows);
    }
    long days = rows / sensors;
    SparkSession spark = SparkSession.builder().appName("ladder gold generator").getOrCreate();
    PipelineConfig pipeline = PipelineConfig.sensorReadings();
    StructType bronzeSchema = TableSchemas.bronze(pipeline.readerSchema());

    // Gold: row id -> sensor id % SENSORS on day id / SENSORS, read before 23:00 that day. One
    // range partition per day, so each day is written as one file without a shuffle.
    Dataset<Row> ids = spark.range(0, rows, 1, (int) days).toDF();
    Column sensor = col("id").mod(sensors);
    Column day = col("id").divide(sensors).cast("long");
    Column msInDay = sensor.multiply(7919).mod(23 * 3_600_000L);
    Dataset<Row> goldBronzeRows = bronzeRows(ids, bronzeSchema, sensor, day, msInDay, 0, 11);
    Dataset<Row> gold = goldRows(goldBronzeRows, pipeline);
    String goldTable = a.get("GOLD_TABLE");
    createGold(spark, goldTable, gold.schema(), pipeline);
    gold.write().format("delta").mode(SaveMode.Append).save(goldTable);

    // Bronze batch k: the first BATCH_ROWS sensors on the last day, at 23:00 + k minutes.
    for (int k = 0; k < a.getInt("BATCHES"); k++) {
      Dataset<Row> batchIds = spark.range(batchRows).toDF();
      Column batchMs = lit(23 * 3_600_000L + k * 60_000L).plus(col("id").mod(1000));
      bronzeRows(batchIds, bronzeSchema, col("id"), lit(days - 1), batchMs,
          1_000_000_000L * (k + 1), 100 + k)
          .coalesce(1)
          .write().format("delta").mode(SaveMode.Append)
          .partitionBy(TableSchemas.INGEST_DATE)
          .save(a.get("BRONZE_PREFIX") + "-" + k);
    }
  }

  /** Readings in bronze's schema for the given sensor number, day number and time of day. */
  private static Dataset<Row> bronzeRows(Dataset<Row> ids, StructType bronzeSchema, Column sensor,
      Column day, Column msInDay, long offsetBase, long seed) {
    long firstDayMs = FIRST_DAY.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    Column readingTs = timestamp_millis(lit(firstDayMs).plus(day.multiply(DAY_MS)).plus(msInDay));
    Dataset<Row> r = ids
        .withColumn("sensor_id", concat(lit("sensor-"), sensor.cast("string")))
        .withColumn("reading_ts", readingTs)
        .withColumn("temperature_c", round(rand(seed).multiply(60).minus(20), 2))
        .withColumn("humidity_pct", round(rand(seed + 1).multiply(100), 2))
        .withColumn("battery_pct", rand(seed + 2).multiply(100).cast("int"))
        .withColumn("status", lit("OK"))
        .withColumn("firmware", lit("fw-1.2"))
        .withColumn("pressure_hpa", round(rand(seed + 3).multiply(100).plus(950), 2))
        .withColumn(TableSchemas.SCHEMA_ID, lit(2))
        .withColumn(TableSchemas.TOPIC, lit("sensor-readings"))
        .withColumn(TableSchemas.PARTITION, sensor.mod(4).cast("int"))
        .withColumn(TableSchemas.OFFSET, col("id").plus(offsetBase))
        .withColumn(TableSchemas.KAFKA_TIMESTAMP, col("reading_ts"))
        .withColumn(TableSchemas.INGEST_DATE, col("reading_ts").cast("date"))
        .withColumn(TableSchemas.DESERIALIZED_AT, current_timestamp())
        .withColumn(TableSchemas.KAFKA_KEY, col("sensor_id").cast("binary"))
        .withColumn(TableSchemas.TOMBSTONE, lit(false));
    List<Column> typed = new ArrayList<>();
    for (StructField f : bronzeSchema.fields()) {
      typed.add(col(f.name()).cast(f.dataType()).as(f.name()));
    }
    return r.select(typed.toArray(Column[]::new));
  }

  /** Bronze rows as stage 3 stores them: derived columns, gold's column order, audit times. */
  private static Dataset<Row> goldRows(Dataset<Row> bronze, PipelineConfig pipeline) {
    Dataset<Row> derived = bronze;
    for (NamedExpression d : pipeline.gold().derived()) {
      derived = derived.withColumn(d.name(), expr(d.expression()));
    }
    List<Column> columns = new ArrayList<>();
    for (String c : GoldTable.sourceColumns(pipeline)) {
      columns.add(col("`" + c + "`"));
    }
    columns.add(current_timestamp().as(TableSchemas.FIRST_INSERTED_AT));
    columns.add(current_timestamp().as(TableSchemas.LAST_CHANGED_AT));
    return derived.select(columns.toArray(Column[]::new));
  }

  private static void createGold(SparkSession spark, String path, StructType schema,
      PipelineConfig pipeline) {
    StructType nullable = new StructType();
    for (StructField f : schema.fields()) {
      nullable = nullable.add(f.name(), f.dataType(), true);
    }
    DeltaTableBuilder builder = DeltaTable.create(spark).location(path).addColumns(nullable)
        .property(GoldTable.CHANGE_DATA_FEED, "true")
        .partitionedBy(pipeline.gold().partitionBy().toArray(String[]::new));
    builder.execute();
  }
}
