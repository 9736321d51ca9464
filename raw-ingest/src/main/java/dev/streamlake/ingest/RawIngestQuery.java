package dev.streamlake.ingest;

import static org.apache.spark.sql.functions.col;

import dev.streamlake.common.BatchMetricsListener;
import dev.streamlake.common.ConfigException;
import dev.streamlake.common.SparkApi;
import dev.streamlake.common.Stage;
import dev.streamlake.common.StageSettings;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.common.UtcDates;
import dev.streamlake.common.WriteTimes;
import dev.streamlake.common.WriterDefaults;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 1: Kafka records to the raw table, one row each, bytes untouched. Kafka offsets live in
 * the checkpoint and move in the same step as the Delta commit (the Delta sink records each batch
 * id), so a restart neither skips nor repeats a record.
 */
public final class RawIngestQuery {
  private static final Logger LOG = LoggerFactory.getLogger(RawIngestQuery.class);
  static final String QUERY = Stage.RAW_INGEST.query();

  private RawIngestQuery() {}

  public static StreamingQuery start(SparkSession spark, RawIngestConfig config)
      throws TimeoutException {
    StageSettings s = config.settings();
    requireCatalogTableOnConnect(spark, s);
    WriterDefaults.apply(spark);
    s.raw().ensureExists(spark, TableSchemas.raw(), List.of(TableSchemas.INGEST_DATE),
        TableSchemas.rawProperties());
    Dataset<Row> raw = toRaw(source(spark, config).load());
    BatchMetricsListener.register(spark, s, s.queryName(QUERY));
    StreamingQuery query =
        s.raw()
            .start(
                raw.writeStream()
                    .format("delta")
                    .queryName(s.queryName(QUERY))
                    .outputMode(OutputMode.Append())
                    .partitionBy(TableSchemas.INGEST_DATE)
                    .option("checkpointLocation", s.checkpoint(QUERY))
                    .trigger(s.trigger().toTrigger()));
    LOG.info("Query {} started: {} {} -> raw table {} (checkpoint {})", query.name(),
        config.subscription().option(), config.subscription().value(), s.raw(),
        s.checkpoint(QUERY));
    return query;
  }

  /**
   * Stage 1 uses only the DataFrame and streaming API, so it runs on Spark Connect (Databricks
   * serverless, standard access mode), but there a Delta table is reached by its catalog name:
   * checking a path table needs the classic session's internals.
   */
  static void requireCatalogTableOnConnect(SparkSession spark, StageSettings s) {
    if (s.raw().isPath() && SparkApi.of(spark) == SparkApi.CONNECT) {
      throw new ConfigException("The raw table is the path " + s.raw() + ", but this session is"
          + " Spark Connect (Databricks serverless or a cluster in standard access mode), which"
          + " reaches Delta tables by their Unity Catalog names: set --catalog and --schema, or"
          + " --raw-table <catalog>.<schema>.<table>.");
    }
  }

  static DataStreamReader source(SparkSession spark, RawIngestConfig config) {
    return spark.readStream().format("kafka").options(sourceOptions(config));
  }

  /**
   * Records one poll of Spark's Kafka consumer may return, unless the user sets
   * {@code --kafka.max.poll.records}. Spark's source asks Kafka for the partition's earliest and
   * latest offsets after every poll, two requests to the broker, so at Kafka's default of 500 a
   * task waits for two round trips every 500 records: for records of ~60 bytes, every 30 KB.
   * At this limit one poll takes everything a fetch brought (1 MiB, the default
   * {@code max.partition.fetch.bytes}, is ~15,000 such records), so the lookups happen once per
   * fetch. The price is memory: a poll's records exist as objects at once, up to this many per
   * task; the memory step of the ladder (10,000,000 records, 1 GiB driver) runs with it.
   */
  static final String MAX_POLL_RECORDS = "kafka.max.poll.records";
  public static final String MAX_POLL_RECORDS_DEFAULT = "50000";

  /**
   * Every option of the Kafka source. The stage's defaults go in first, then the pass-through
   * options, so a user's setting wins over a default; the options the stage owns (subscription,
   * offsets, {@code includeHeaders}) are set last and always win.
   */
  static Map<String, String> sourceOptions(RawIngestConfig config) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put(MAX_POLL_RECORDS, MAX_POLL_RECORDS_DEFAULT);
    o.putAll(config.sourceOptions());
    o.putAll(config.kafkaOptions());
    o.put("kafka.bootstrap.servers", config.bootstrapServers());
    o.put(config.subscription().option(), config.subscription().value());
    o.put("startingOffsets", config.startingOffsets());
    o.put("failOnDataLoss", Boolean.toString(config.failOnDataLoss()));
    if (config.maxOffsetsPerTrigger() != null) {
      o.put("maxOffsetsPerTrigger", config.maxOffsetsPerTrigger().toString());
    }
    // Raw keeps every header a producer sent.
    o.put("includeHeaders", "true");
    return o;
  }

  /**
   * The Kafka source's columns as the raw table stores them. {@code ingested_at} is the time each
   * row is written, read per row rather than fixed per batch, which keeps the query's generated
   * code the same across micro-batches ({@link WriteTimes}).
   */
  static Dataset<Row> toRaw(Dataset<Row> kafka) {
    return kafka
        .select(
            col("key"),
            col("value"),
            col("topic"),
            col("partition"),
            col("offset"),
            col("timestamp"),
            col("timestampType"),
            col("headers"),
            WriteTimes.now(kafka.sparkSession()).as(TableSchemas.INGESTED_AT))
        .withColumn(TableSchemas.INGEST_DATE, UtcDates.of(TableSchemas.INGESTED_AT));
  }
}
