package dev.streamlake.ladder.jobs;

import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * A limit for stage 1: the topic's records, headers included (the bytes raw holds), read by
 * one Spark batch query and written to Delta by one batch write. No streaming machinery: no
 * checkpoint, no offset log, one job.
 *
 * <p>Arguments: {@code BOOTSTRAP TOPIC TABLE}.
 */
public final class BatchWriteJob {
  private BatchWriteJob() {}

  public static void main(String[] args) {
    JobArgs a = JobArgs.of(args, "BOOTSTRAP", "TOPIC", "TABLE");
    SparkSession spark = SparkSession.builder().appName("ladder batch write").getOrCreate();
    spark.read()
        .format("kafka")
        .option("kafka.bootstrap.servers", a.get("BOOTSTRAP"))
        .option("subscribe", a.get("TOPIC"))
        .option("startingOffsets", "earliest")
        .option("endingOffsets", "latest")
        .option("includeHeaders", "true")
        .load()
        .write()
        .format("delta")
        .mode(SaveMode.Append)
        .save(a.get("TABLE"));
  }
}
