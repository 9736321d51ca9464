package dev.streamlake.merge;

import static org.apache.spark.sql.functions.lit;

import dev.streamlake.common.BatchMetricsListener;
import dev.streamlake.common.PipelineConfig.History;
import dev.streamlake.common.SparkApi;
import dev.streamlake.common.Stage;
import dev.streamlake.common.StageSettings;
import dev.streamlake.common.TableEvolution;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.spark.SparkThrowable;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts stage 3: bronze as a Delta stream, each micro-batch merged into gold. */
public final class MergeQuery {
  private static final Logger LOG = LoggerFactory.getLogger(MergeQuery.class);

  static final String QUERY = Stage.MERGE.query();

  private MergeQuery() {}

  public static StreamingQuery start(SparkSession spark, MergeConfig config)
      throws TimeoutException {
    // Before anything touches Delta's classes, which a Spark Connect client may not have.
    SparkApi.requireClassic(spark, "merge", "each micro-batch caches its rows (persist), makes"
        + " its MERGE idempotent through session settings (spark.databricks.delta.write.txnAppId"
        + " and txnVersion) and reads the streaming query id from the SparkContext");
    if (config.settings().pipeline().gold().history() == History.SCD2) {
      HistoryMerger history = HistoryMerger.forConfig(config);
      // The latest-state merger only checks gold.derived and gold.deleteWhen, which scd2 shares.
      return start(spark, config, GoldMerger.forConfig(config), history.asBatchFunction(),
          history.describe(), (contract, reader) -> history.prepare(spark, contract));
    }
    return start(spark, config, GoldMerger.forConfig(config));
  }

  /**
   * Runs stage 3 until its query ends, as the stage's main does. Delta's streaming source stops
   * the query at a commit that changes bronze's columns (stage 2 started with a newer reader
   * schema), before it reads a row of the new shape, and asks for a restart: the query is then
   * started again from its checkpoint, which reads bronze's new schema. Only when bronze's columns
   * really differ from those the query started with, so a schema error a restart cannot fix
   * still ends the stage.
   */
  public static void run(SparkSession spark, MergeConfig config) throws Exception {
    TableRef bronze = config.settings().bronze();
    while (true) {
      StructType startedWith = bronze.exists(spark) ? bronze.read(spark).schema() : null;
      StreamingQuery query = start(spark, config);
      try {
        query.awaitTermination();
        return;
      } catch (StreamingQueryException e) {
        TableEvolution.Difference change = startedWith == null
            ? null : TableEvolution.compare(startedWith, bronze.read(spark).schema());
        if (!isSourceSchemaChange(e) || change == null || change.isEmpty()) {
          throw e;
        }
        LOG.warn("Bronze {} changed its columns under query {} (added {}, removed {}, retyped {});"
            + " Delta stopped the query before reading a row of the new shape: starting the query"
            + " again from its checkpoint", bronze, query.name(),
            TableEvolution.describe(change.missing()), TableEvolution.describe(change.unexpected()),
            change.changedTypes().stream().map(TableEvolution.TypeChange::column).toList());
      }
    }
  }

  /** Delta's "the source's schema changed, restart the query" errors, by error condition. */
  static boolean isSourceSchemaChange(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof SparkThrowable t && t.getCondition() != null
          && t.getCondition().startsWith("DELTA_SCHEMA_CHANGED")) {
        return true;
      }
    }
    return false;
  }

  static StreamingQuery start(SparkSession spark, MergeConfig config, GoldMerger merger)
      throws TimeoutException {
    return start(spark, config, merger, merger.asBatchFunction(),
        GoldPlan.of(config.settings().pipeline()).describeMerge(config.settings().gold().sqlName()),
        (contract, reader) -> merger.prepareGold(spark, contract, reader));
  }

  /**
   * {@code checks} checks the pipeline's gold settings against bronze before the query starts;
   * {@code prepareTables} creates the tables the batches write, or brings them up to the plan
   * (given bronze's contract and the reader schema's name for messages), so that a new field
   * reaches them whichever of stages 2 and 3 is given the new pipeline config first.
   */
  static StreamingQuery start(SparkSession spark, MergeConfig config, GoldMerger checks,
      VoidFunction2<Dataset<Row>, Long> mergeBatch, String description,
      java.util.function.BiConsumer<StructType, String> prepareTables)
      throws TimeoutException {
    StageSettings settings = config.settings();
    StructType bronzeContract = TableSchemas.bronze(settings.pipeline().readerSchema());
    checks.checkAgainst(spark, bronzeContract);
    String readerSchema =
        "stage 3's reader schema (id " + settings.pipeline().schemas().readerId() + ")";
    // Bronze's shape is the pipeline's contract, so stage 3 can start before stage 2 ran.
    settings.bronze().ensureExists(spark, bronzeContract, List.of(TableSchemas.INGEST_DATE));
    // Retention (the maintain command) deletes whole ingest_date partitions of bronze: commits
    // that only remove files, which ignoreDeletes skips. A commit that removes and adds data
    // (a rewrite) still stops the stream, instead of being skipped like skipChangeCommits would.
    Dataset<Row> bronze =
        settings.bronze().readStream(spark, Map.of(
            "maxFilesPerTrigger", Integer.toString(config.maxFilesPerTrigger()),
            "ignoreDeletes", "true"));
    bronze = withMissingColumnsAsNull(bronze, bronzeContract, settings.bronze(), readerSchema);
    prepareTables.accept(bronzeContract, readerSchema);
    String name = settings.queryName(QUERY);
    LOG.info("Query {}: {}", name, description);
    BatchMetricsListener.register(spark, settings, name);
    StreamingQuery query =
        bronze.writeStream()
            .queryName(name)
            .option("checkpointLocation", settings.checkpoint(QUERY))
            .trigger(settings.trigger().toTrigger())
            .foreachBatch(mergeBatch)
            .start();
    LOG.info("Query {} started: {} -> {} (trigger {}, checkpoint {}, app id {})", name,
        settings.bronze(), settings.gold(), settings.trigger(), settings.checkpoint(QUERY),
        settings.appId());
    return query;
  }

  /**
   * Bronze as this plan reads it. A column the plan knows and bronze lacks (stage 2 has not yet
   * run with the reader schema that adds it) is NULL, which is what bronze will hold for the
   * rows written so far; once stage 2 adds it, Delta stops this stream on the schema change and
   * the next start reads the real column. Columns bronze has and the plan does not know (stage 2
   * runs a newer reader schema) are never selected. A column whose type differs stops the stage.
   */
  static Dataset<Row> withMissingColumnsAsNull(Dataset<Row> bronze, StructType contract,
      TableRef table, String readerSchema) {
    TableEvolution.Difference d = TableEvolution.compare(bronze.schema(), contract);
    TableEvolution.refuseTypeChanges(table, d, readerSchema);
    if (!d.unexpected().isEmpty()) {
      LOG.info("Bronze {} has column(s) {} that {} lacks (stage 2 runs a newer pipeline config):"
          + " stage 3 leaves them out of gold until it runs that config too", table,
          TableEvolution.describe(d.unexpected()), readerSchema);
    }
    for (StructField f : d.missing()) {
      bronze = bronze.withColumn(f.name(), lit(null).cast(f.dataType()));
    }
    if (!d.missing().isEmpty()) {
      LOG.info("Bronze {} lacks column(s) {} of {} (stage 2 has not run with it yet): read as"
          + " NULL until it adds them", table, TableEvolution.describe(d.missing()),
          readerSchema);
    }
    return bronze;
  }
}
