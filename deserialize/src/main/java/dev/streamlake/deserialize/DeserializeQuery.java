package dev.streamlake.deserialize;

import dev.streamlake.common.BatchMetricsListener;
import dev.streamlake.common.SparkApi;
import dev.streamlake.common.Stage;
import dev.streamlake.common.StageSettings;
import dev.streamlake.common.TableEvolution;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.common.WriterDefaults;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import org.apache.avro.Schema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds and starts stage 2's streaming query: raw → bronze + dead_letter. */
public final class DeserializeQuery {
  private static final Logger LOG = LoggerFactory.getLogger(DeserializeQuery.class);

  static final String QUERY = Stage.DESERIALIZE.query();

  private DeserializeQuery() {}

  public static StreamingQuery start(SparkSession spark, DeserializeConfig config)
      throws TimeoutException {
    return start(spark, config, UnaryOperator.identity());
  }

  /** Refuses a Spark Connect session before anything starts, saying why stage 2 needs classic. */
  public static void requireClassic(SparkSession spark) {
    SparkApi.requireClassic(spark, "deserialize", "it classifies records over RDDs and Spark's"
        + " internal rows, and persists each micro-batch");
  }

  /** {@code writerHook} is a test seam, for example to stop between the two commits of a batch. */
  static StreamingQuery start(SparkSession spark, DeserializeConfig config,
      UnaryOperator<BatchWriter> writerHook) throws TimeoutException {
    SchemaRegistryCheck.verify(config);
    requireClassic(spark);
    WriterDefaults.apply(spark);
    StageSettings s = config.settings();
    Schema reader = s.pipeline().readerSchema();
    ClassifiedRowLayout layout = new ClassifiedRowLayout(reader);
    StructType bronzeSchema = layout.bronzeSchema();
    // A bad rule stops the job here, naming the rule, before any table is touched.
    Rules rules =
        Rules.bind(spark, config.rules(), s.pipeline().gold().deleteWhen(), bronzeSchema);

    // Created up front so that stage 3 can start reading bronze before the first good row, and
    // stage 2 can start before stage 1 wrote its first batch; both use the shared contract.
    List<String> byIngestDate = List.of(TableSchemas.INGEST_DATE);
    s.raw().ensureExists(spark, TableSchemas.raw(), byIngestDate, TableSchemas.rawProperties());
    s.bronze().ensureExists(spark, bronzeSchema, byIngestDate);
    // A reader schema with a new field, or a bronze made by an older version of this code, gets
    // its missing columns here, before the query starts: every bronze write of the query then
    // has the same columns, and stage 3 meets one schema change, now, not one mid-stream.
    TableEvolution.addMissingColumns(spark, s.bronze(), bronzeSchema,
        "the pipeline's reader schema (id " + s.pipeline().schemas().readerId() + ")");
    s.deadLetter().ensureExists(spark, TableSchemas.deadLetter(), byIngestDate);

    Dataset<Row> raw = s.raw().readStream(spark, config.sourceOptions());
    String queryName = s.queryName(QUERY);
    BatchWriter writer = writerHook.apply(
        new BatchWriter(queryName, s.appId(), s.stage().id(), s.bronze(), s.deadLetter(), layout,
            config.decoderSettings(), rules, config.deadLetterLimit(),
            new OffsetLogClock(s.checkpoint(QUERY))));
    BatchMetricsListener.register(spark, s, queryName);
    StreamingQuery query =
        raw.writeStream()
            .queryName(queryName)
            .option("checkpointLocation", s.checkpoint(QUERY))
            .trigger(s.trigger().toTrigger())
            .foreachBatch(writer)
            .start();
    LOG.info("Started query {} ({}): {} -> {} + {}, checkpoint {}, app id {}", queryName,
        query.id(), s.raw(), s.bronze(), s.deadLetter(), s.checkpoint(QUERY), s.appId());
    return query;
  }
}
