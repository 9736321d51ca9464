package dev.streamlake.launcher;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.SparkSessions;
import dev.streamlake.common.StageMain;
import dev.streamlake.deserialize.DeserializeQuery;
import dev.streamlake.ingest.RawIngestQuery;
import dev.streamlake.ingest.TopicWaiter;
import dev.streamlake.merge.MergeQuery;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deployment shape 1: raw ingest, deserialize and merge in one driver. With always-on triggers the
 * three queries run side by side and the first to end stops the others and fails the driver. With
 * {@code --trigger availableNow} the stages run one after another (a backfill in stage order).
 */
public final class AllInOneJob {
  private static final Logger LOG = LoggerFactory.getLogger(AllInOneJob.class);

  private AllInOneJob() {}

  public static void main(String[] args) throws Exception {
    StageMain.run(args, commandLine -> {
      AllInOneConfig config = AllInOneConfig.fromArgs(commandLine);
      if (config == null) {
        return;
      }
      CommandLines.logEffectiveConfig(LOG, "all-in-one", config.describe());
      // As stage 1 alone does: wait for the topic before the session, holding no executors.
      TopicWaiter.awaitTopics(config.rawIngest());
      run(SparkSessions.getOrCreate("streamlake all-in-one"), config);
    });
  }

  /** Runs the pipeline until it fails (always-on) or has processed everything (availableNow). */
  public static void run(SparkSession spark, AllInOneConfig config) throws TimeoutException {
    // Checked before any stage starts, so no stage runs alone on a session the others refuse.
    DeserializeQuery.requireClassic(spark);
    PipelineSupervisor supervisor = new PipelineSupervisor(spark);
    List<PipelineSupervisor.QueryStarter> stages = List.of(
        () -> RawIngestQuery.start(spark, config.rawIngest()),
        () -> DeserializeQuery.start(spark, config.deserialize()),
        () -> MergeQuery.start(spark, config.merge()));
    if (config.runsOnce()) {
      supervisor.runInOrder(stages);
      LOG.info("One-driver pipeline processed everything available in all three stages");
    } else {
      supervisor.runConcurrently(stages);
    }
  }
}
