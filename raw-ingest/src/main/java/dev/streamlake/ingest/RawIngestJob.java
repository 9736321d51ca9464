package dev.streamlake.ingest;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.SparkSessions;
import dev.streamlake.common.StageMain;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
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
      run(SparkSessions.getOrCreate("streamlake raw-ingest"), config);
    });
  }

  /**
   * Runs the query until it ends. When it fails only because the brokers stopped answering (the
   * Kafka source gives up after its own retries, about three minutes with Kafka's defaults), the
   * stage waits for them as it does at start, for as long as {@code --wait-for-topic} allows, and
   * starts the query again from its checkpoint: nothing is read twice or skipped. Any other
   * failure, and a wait that runs out, ends the stage with the error.
   */
  public static void run(SparkSession spark, RawIngestConfig config) throws Exception {
    for (int resumes = 0; ; resumes++) {
      StreamingQuery query = RawIngestQuery.start(spark, config);
      try {
        query.awaitTermination();
        LOG.info("Query {} finished", query.name());
        return;
      } catch (StreamingQueryException e) {
        if (!KafkaOutage.brokersDidNotAnswer(e)) {
          throw e;
        }
        LOG.warn("Query {} stopped because Kafka at {} did not answer ({}). Waiting for the brokers"
            + " (--wait-for-topic {}) to resume from the checkpoint; {} resume(s) so far",
            query.name(), config.bootstrapServers(), rootMessage(e), config.waitForTopic(), resumes);
        TopicWaiter.awaitTopics(config);
        LOG.info("Kafka at {} answers again: resuming query {} from its checkpoint",
            config.bootstrapServers(), query.name());
      }
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }
}
