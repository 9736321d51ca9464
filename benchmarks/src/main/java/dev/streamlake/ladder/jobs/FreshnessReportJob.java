package dev.streamlake.ladder.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;

import dev.streamlake.common.LakeLayout;
import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.PipelineConfig.NamedExpression;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

/**
 * Freshness of a finished pipeline run: for every record in bronze (its {@code reading_ts} is the
 * time the producer sent it), the first moment gold showed that reading or a newer one of the
 * same key, which is the commit timestamp of the first gold change (change data feed: insert or
 * update post-image) whose {@code reading_ts} is at least the record's. Latency = that commit
 * time minus the send time.
 *
 * <p>Records never visible (not in bronze, or no gold change covers them) count as infinitely
 * late: a quantile over all {@code PRODUCED} records is the visible latencies' quantile
 * {@code q * PRODUCED / visible}, or -1 (not reached) when that is above 1.
 *
 * <p>The same figures again, prefixed {@code steady_}, for the records sent at or after
 * WARMUP_UNTIL_MS (epoch millis): a pipeline's first minute on a cold JVM is JIT and first plans,
 * not the freshness it keeps.
 *
 * <p>Arguments: {@code LAKE PRODUCED WARMUP_UNTIL_MS OUT}; writes one JSON object to OUT.
 */
public final class FreshnessReportJob {
  static final double[] QUANTILES = {0.5, 0.9, 0.99};

  private FreshnessReportJob() {}

  public static void main(String[] args) throws Exception {
    JobArgs a = JobArgs.of(args, "LAKE", "PRODUCED", "WARMUP_UNTIL_MS", "OUT");
    long produced = a.getLong("PRODUCED");
    long warmupUntil = a.getLong("WARMUP_UNTIL_MS");
    SparkSession spark = SparkSession.builder().appName("ladder freshness report").getOrCreate();
    spark.conf().set("spark.sql.session.timeZone", "UTC");
    PipelineConfig pipeline = PipelineConfig.sensorReadings();
    LakeLayout lake = new LakeLayout(a.get("LAKE"), pipeline.name());

    Dataset<Row> bronze = lake.bronze().read(spark);
    for (NamedExpression d : pipeline.gold().derived()) {
      bronze = bronze.withColumn(d.name(), expr(d.expression()));
    }
    Dataset<Row> records = bronze.select(col("sensor_id"), col("reading_date"), col("reading_ts"),
        lit(null).cast("timestamp").as("visible_at"), lit(0).as("is_change"));
    Dataset<Row> changes = spark.read().format("delta")
        .option("readChangeFeed", "true").option("startingVersion", 0)
        .load(lake.gold().name())
        .where("_change_type IN ('insert', 'update_postimage')")
        .select(col("sensor_id"), col("reading_date"), col("reading_ts"),
            col("_commit_timestamp").as("visible_at"), lit(1).as("is_change"));
    // Newest first per key: the running minimum of commit times over the changes at or after a
    // record is when gold first showed it or something newer.
    WindowSpec newestFirst = Window.partitionBy("sensor_id", "reading_date")
        .orderBy(col("reading_ts").desc(), col("is_change").desc())
        .rowsBetween(Window.unboundedPreceding(), Window.currentRow());
    Dataset<Row> latencies = records.unionByName(changes)
        .withColumn("first_visible", min("visible_at").over(newestFirst))
        .where("is_change = 0")
        .select(col("reading_ts"),
            expr("unix_millis(first_visible) - unix_millis(reading_ts)").as("latency_ms"))
        .where("latency_ms IS NOT NULL")
        .cache();

    long inBronze = bronze.count();
    List<String> fields = new ArrayList<>();
    fields.add("\"produced\":" + produced);
    fields.add("\"bronze\":" + inBronze);
    quantiles(latencies, produced, "", fields);
    // The steady state: records sent after the warm-up. Their number comes from bronze, so a
    // record lost before bronze shows in the all-records counts above (bronze < produced).
    Column steady = expr("unix_millis(reading_ts) >= " + warmupUntil);
    long steadyProduced = bronze.where(steady).count();
    fields.add("\"steady_produced\":" + steadyProduced);
    quantiles(latencies.where(steady), steadyProduced, "steady_", fields);
    Files.writeString(Path.of(a.get("OUT")), "{" + String.join(",", fields) + "}\n",
        StandardCharsets.UTF_8);
  }

  /** Visible count, quantiles and max of {@code latencies} among {@code produced} records. */
  private static void quantiles(Dataset<Row> latencies, long produced, String prefix,
      List<String> fields) {
    long visible = latencies.count();
    fields.add("\"" + prefix + "visible\":" + visible);
    for (double q : QUANTILES) {
      double adjusted = visible == 0 ? 2 : q * produced / visible;
      long value = -1;
      if (adjusted <= 1) {
        Row r = latencies.selectExpr(String.format(Locale.ROOT, "percentile(latency_ms, %.6f)",
            Math.min(1.0, adjusted))).first();
        value = r.isNullAt(0) ? -1 : Math.round(r.getDouble(0));
      }
      fields.add(String.format(Locale.ROOT, "\"%sp%s_ms\":%d", prefix, label(q), value));
    }
    Row max = latencies.selectExpr("max(latency_ms)").first();
    fields.add("\"" + prefix + "max_ms\":" + (max.isNullAt(0) ? -1 : max.getLong(0)));
  }

  private static String label(double q) {
    return Integer.toString((int) Math.round(q * 100));
  }
}
