package dev.streamlake.deserialize;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.SparkSessions;
import dev.streamlake.common.StageMain;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Stage 2 entry point: decode and validate raw into bronze and dead_letter. */
public final class DeserializeJob {
  private static final Logger LOG = LoggerFactory.getLogger(DeserializeJob.class);

  private DeserializeJob() {}

  public static void main(String[] args) throws Exception {
    StageMain.run(args, commandLine -> {
      DeserializeConfig config = DeserializeConfig.fromArgs(commandLine);
      if (config == null) {
        return;
      }
      CommandLines.logEffectiveConfig(LOG, "deserialize", config.describe());
      SparkSession spark = SparkSessions.getOrCreate("streamlake-deserialize");
      StreamingQuery query = DeserializeQuery.start(spark, config);
      query.awaitTermination();
    });
  }
}
