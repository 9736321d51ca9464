package dev.streamlake.merge;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.SparkSessions;
import dev.streamlake.common.StageMain;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Stage 3 entry point: bronze to gold. Never stops the session (Databricks JAR task rules). */
public final class MergeJob {
  private static final Logger LOG = LoggerFactory.getLogger(MergeJob.class);

  private MergeJob() {}

  public static void main(String[] args) throws Exception {
    StageMain.run(args, commandLine -> {
      MergeConfig config = MergeConfig.fromArgs(commandLine);
      if (config == null) {
        return;
      }
      CommandLines.logEffectiveConfig(LOG, "merge", config.describe());
      SparkSession spark = SparkSessions.getOrCreate("streamlake-merge");
      MergeQuery.run(spark, config);
    });
  }
}
