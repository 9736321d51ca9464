package dev.streamlake.ladder.jobs;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.Trigger;

/**
 * The anchor for stage 1: the Kafka to Delta stream a user writes from the documentation, with a
 * checkpoint and {@code availableNow}. Nothing else: no headers, no ingest columns, no
 * partitioning.
 *
 * <p>Arguments: {@code BOOTSTRAP TOPIC TABLE CHECKPOINT}.
 */
public final class TextbookJob {
  private TextbookJob() {}

  public static void main(String[] args) throws Exception {
    JobArgs a = JobArgs.of(args, "BOOTSTRAP", "TOPIC", "TABLE", "CHECKPOINT");
    SparkSession spark = SparkSession.builder().appName("ladder textbook").getOrCreate();
    spark.readStream()
        .format("kafka")
        .option("kafka.bootstrap.servers", a.get("BOOTSTRAP"))
        .option("subscribe", a.get("TOPIC"))
        .option("startingOffsets", "earliest")
        .load()
        .writeStream()
        .format("delta")
        .option("checkpointLocation", a.get("CHECKPOINT"))
        .trigger(Trigger.AvailableNow())
        .start(a.get("TABLE"))
        .awaitTermination();
  }
}
