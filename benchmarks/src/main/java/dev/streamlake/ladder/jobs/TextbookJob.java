package dev.streamlake.ladder.jobs;

import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.Trigger;
import scala.Tuple2;

/**
 * The anchor for stage 1: the Kafka to Delta stream a user writes from the documentation, with a
 * checkpoint and {@code availableNow}. Nothing else: no headers, no ingest columns, no
 * partitioning.
 *
 * <p>Arguments: {@code BOOTSTRAP TOPIC TABLE CHECKPOINT}. A Spark setting
 * {@code spark.ladder.kafka.<option>} becomes the source option {@code kafka.<option>}, so the
 * same job can run with a setting stage 1 uses (the ladder's control step passes it as a
 * spark-submit {@code --conf}), to tell what the setting buys from what the stage does
 * differently.
 */
public final class TextbookJob {
  public static final String KAFKA_OPTION_PREFIX = "spark.ladder.kafka.";

  private TextbookJob() {}

  public static void main(String[] args) throws Exception {
    JobArgs a = JobArgs.of(args, "BOOTSTRAP", "TOPIC", "TABLE", "CHECKPOINT");
    SparkSession spark = SparkSession.builder().appName("ladder textbook").getOrCreate();
    spark.readStream()
        .format("kafka")
        .options(kafkaOptions(spark.sparkContext().getConf()))
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

  static Map<String, String> kafkaOptions(SparkConf conf) {
    Map<String, String> options = new TreeMap<>();
    for (Tuple2<String, String> e : conf.getAllWithPrefix(KAFKA_OPTION_PREFIX)) {
      options.put("kafka." + e._1(), e._2());
    }
    return options;
  }
}
