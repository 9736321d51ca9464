package dev.streamlake.merge;

import dev.streamlake.common.StageSettings;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts stage 3: bronze as a Delta stream, each micro-batch merged into gold. */
public final class MergeQuery {
  private static final Logger LOG = LoggerFactory.getLogger(MergeQuery.class);

  static final String QUERY = "gold";

  private MergeQuery() {}

  public static StreamingQuery start(SparkSession spark, MergeConfig config)
      throws TimeoutException {
    return start(spark, config, GoldMerger.forConfig(config));
  }

  static StreamingQuery start(SparkSession spark, MergeConfig config, GoldMerger merger)
      throws TimeoutException {
    StageSettings settings = config.settings();
    if (!settings.bronze().exists(spark)) {
      throw new IllegalStateException(
          "Bronze table " + settings.bronze() + " does not exist yet: stage 2 (deserialize)"
              + " creates it with its first batch. Start stage 2 first, or restart this stage"
              + " once bronze exists.");
    }
    Dataset<Row> bronze =
        settings.bronze().readStream(
            spark, Map.of("maxFilesPerTrigger", Integer.toString(config.maxFilesPerTrigger())));
    String name = settings.queryName(QUERY);
    LOG.info("Query {}: {}", name,
        GoldPlan.of(settings.pipeline()).describeMerge(settings.gold().sqlName()));
    StreamingQuery query =
        bronze.writeStream()
            .queryName(name)
            .option("checkpointLocation", settings.checkpoint(QUERY))
            .trigger(settings.trigger().toTrigger())
            .foreachBatch(merger.asBatchFunction())
            .start();
    LOG.info("Query {} started: {} -> {} (trigger {}, checkpoint {}, app id {})", name,
        settings.bronze(), settings.gold(), settings.trigger(), settings.checkpoint(QUERY),
        settings.appId());
    return query;
  }
}
