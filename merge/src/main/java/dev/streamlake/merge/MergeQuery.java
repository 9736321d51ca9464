package dev.streamlake.merge;

import static org.apache.spark.sql.functions.lit;

import dev.streamlake.common.PipelineConfig.History;
import dev.streamlake.common.SparkApi;
import dev.streamlake.common.StageSettings;
import dev.streamlake.common.TableEvolution;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts stage 3: bronze as a Delta stream, each micro-batch merged into gold. */
public final class MergeQuery {
  private static final Logger LOG = LoggerFactory.getLogger(MergeQuery.class);

  static final String QUERY = "bronze-to-gold";

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
          history.describe());
    }
    return start(spark, config, GoldMerger.forConfig(config));
  }

  static StreamingQuery start(SparkSession spark, MergeConfig config, GoldMerger merger)
      throws TimeoutException {
    return start(spark, config, merger, merger.asBatchFunction(),
        GoldPlan.of(config.settings().pipeline()).describeMerge(config.settings().gold().sqlName()));
  }

  /** {@code checks} checks the pipeline's gold settings against bronze before the query starts. */
  static StreamingQuery start(SparkSession spark, MergeConfig config, GoldMerger checks,
      VoidFunction2<Dataset<Row>, Long> mergeBatch, String description)
      throws TimeoutException {
    StageSettings settings = config.settings();
    StructType bronzeContract = TableSchemas.bronze(settings.pipeline().readerSchema());
    checks.checkAgainst(spark, bronzeContract);
    String readerSchema =
        "stage 3's reader schema (id " + settings.pipeline().schemas().readerId() + ")";
    // Bronze's shape is the pipeline's contract, so stage 3 can start before stage 2 ran.
    settings.bronze().ensureExists(spark, bronzeContract, List.of(TableSchemas.INGEST_DATE));
    Dataset<Row> bronze =
        settings.bronze().readStream(
            spark, Map.of("maxFilesPerTrigger", Integer.toString(config.maxFilesPerTrigger())));
    bronze = withMissingColumnsAsNull(bronze, bronzeContract, settings.bronze(), readerSchema);
    if (settings.pipeline().gold().history() != History.SCD2) {
      // Gold gets the columns this plan writes before the first batch, so a new field reaches
      // gold whichever of stages 2 and 3 is given the new pipeline config first. (A history's
      // tables are HistoryMerger's own and not evolved here.)
      checks.prepareGold(spark, bronzeContract, readerSchema);
    }
    String name = settings.queryName(QUERY);
    LOG.info("Query {}: {}", name, description);
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
