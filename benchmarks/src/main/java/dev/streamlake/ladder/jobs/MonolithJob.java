package dev.streamlake.ladder.jobs;

import static org.apache.spark.sql.avro.functions.from_avro;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.row_number;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.PipelineConfig.NamedExpression;
import io.delta.tables.DeltaTable;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.Trigger;

/**
 * The seed's monolith, the one query a user writes instead of three stages: Kafka, the 5-byte
 * Confluent header cut with {@code substring} before {@code from_avro} (spark-avro, reader schema
 * = writer schema, malformed records as nulls), the pipeline's rules as one filter, then in
 * {@code foreachBatch} the newest row per key and a Delta MERGE into gold (keyed and partitioned
 * like ours), {@code maxOffsetsPerTrigger} 200,000.
 *
 * <p>What it does not do, and the stages do: keep the raw bytes, dead-letter what fails, resolve
 * v1 payloads to the v2 schema, evaluate rules per record (an ANSI error in a rule fails its
 * batch here), skip unchanged rows, idempotent writes.
 *
 * <p>Arguments: {@code BOOTSTRAP TOPIC GOLD_TABLE CHECKPOINT MAX_OFFSETS_PER_TRIGGER TRIGGER}
 * (availableNow, or a processing-time interval in milliseconds).
 */
public final class MonolithJob {
  private MonolithJob() {}

  public static void main(String[] args) throws Exception {
    JobArgs a = JobArgs.of(args, "BOOTSTRAP", "TOPIC", "GOLD_TABLE", "CHECKPOINT",
        "MAX_OFFSETS_PER_TRIGGER", "TRIGGER");
    SparkSession spark = SparkSession.builder().appName("ladder monolith").getOrCreate();
    PipelineConfig pipeline = PipelineConfig.sensorReadings();
    String rules = pipeline.rules().stream().map(r -> "(" + r.expression() + ")")
        .collect(Collectors.joining(" AND "));
    String gold = a.get("GOLD_TABLE");

    Dataset<Row> readings = spark.readStream()
        .format("kafka")
        .option("kafka.bootstrap.servers", a.get("BOOTSTRAP"))
        .option("subscribe", a.get("TOPIC"))
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", a.get("MAX_OFFSETS_PER_TRIGGER"))
        .load()
        .select(
            from_avro(expr("substring(value, 6)"), pipeline.readerSchema().toString(),
                Map.of("mode", "PERMISSIVE")).as("r"),
            col("topic"), col("partition"), col("offset"), col("timestamp").as("kafka_timestamp"))
        .select(col("r.*"), col("topic"), col("partition"), col("offset"), col("kafka_timestamp"))
        .where(expr(rules));
    for (NamedExpression d : pipeline.gold().derived()) {
      readings = readings.withColumn(d.name(), expr(d.expression()));
    }

    Column[] key = pipeline.gold().key().stream().map(functions::col).toArray(Column[]::new);
    Column[] newestFirst = pipeline.gold().sequence().stream().map(c -> col(c).desc())
        .toArray(Column[]::new);
    String newer = "s." + pipeline.gold().sequence().get(0) + " > t."
        + pipeline.gold().sequence().get(0);
    String[] partitionBy = pipeline.gold().partitionBy().toArray(String[]::new);
    String on = pipeline.gold().key().stream().map(k -> "t." + k + " = s." + k)
        .collect(Collectors.joining(" AND "));
    VoidFunction2<Dataset<Row>, Long> mergeBatch = (batch, batchId) -> {
      Dataset<Row> latest = batch
          .withColumn("rn", row_number().over(Window.partitionBy(key).orderBy(newestFirst)))
          .where("rn = 1")
          .drop("rn");
      SparkSession session = batch.sparkSession();
      if (!DeltaTable.isDeltaTable(session, gold)) {
        latest.limit(0).write().format("delta").partitionBy(partitionBy).save(gold);
      }
      DeltaTable.forPath(session, gold).as("t")
          .merge(latest.as("s"), on)
          .whenMatched(newer).updateAll()
          .whenNotMatched().insertAll()
          .execute();
    };
    String trigger = a.get("TRIGGER");
    readings.writeStream()
        .foreachBatch(mergeBatch)
        .option("checkpointLocation", a.get("CHECKPOINT"))
        .trigger(trigger.equals("availableNow") ? Trigger.AvailableNow()
            : Trigger.ProcessingTime(Long.parseLong(trigger)))
        .start()
        .awaitTermination();
  }
}
