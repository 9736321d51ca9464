package dev.streamlake.ladder.jobs;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.Trigger;

/**
 * The I/O floor of stage 2: raw read as a Delta stream and copied, bytes undecoded, into another
 * Delta table partitioned like bronze; a checkpoint and {@code availableNow}, as stage 2 runs.
 *
 * <p>Arguments: {@code RAW_TABLE TABLE CHECKPOINT}.
 */
public final class CopyJob {
  private CopyJob() {}

  public static void main(String[] args) throws Exception {
    JobArgs a = JobArgs.of(args, "RAW_TABLE", "TABLE", "CHECKPOINT");
    SparkSession spark = SparkSession.builder().appName("ladder raw copy").getOrCreate();
    spark.readStream()
        .format("delta")
        .load(a.get("RAW_TABLE"))
        .writeStream()
        .format("delta")
        .partitionBy("ingest_date")
        .option("checkpointLocation", a.get("CHECKPOINT"))
        .trigger(Trigger.AvailableNow())
        .start(a.get("TABLE"))
        .awaitTermination();
  }
}
