package dev.streamlake.ingest;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.SparkSessions;
import dev.streamlake.common.StageMain;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Entry point of stage 1 (spark-submit or a Databricks JAR task). */
public final class RawIngestJob {
  private static final Logger LOG = LoggerFactory.getLogger(RawIngestJob.class);

  private RawIngestJob() {}

  public static void main(String[] args) throws Exception {
    StageMain.run(args, commandLine -> {
      RawIngestConfig config = RawIngestConfig.fromArgs(commandLine);
      if (config == null) {
        return;
      }
      CommandLines.logEffectiveConfig(LOG, "raw-ingest", config.describe());
      // Before the session: a stage waiting for its topic holds no executors of the cluster.
      TopicWaiter.awaitTopics(config);
      SparkSession spark = SparkSessions.getOrCreate("streamlake raw-ingest");
      StreamingQuery query = RawIngestQuery.start(spark, config);
      query.awaitTermination();
      LOG.info("Query {} finished", query.name());
    });
  }
}
