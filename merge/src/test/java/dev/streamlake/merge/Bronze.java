package dev.streamlake.merge;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.TableSchemas;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** Bronze rows for tests, in the bronze contract's schema; gold read back by key. */
final class Bronze {
  static final PipelineConfig PIPELINE = PipelineConfig.sensorReadings();
  static final StructType SCHEMA = TableSchemas.bronze(PIPELINE.readerSchema());
  static final String TOPIC = "sensor-readings";

  private Bronze() {}

  /** One reading; only what the tests vary is a parameter. Timestamps are instants (UTC). */
  static Row reading(String sensor, String isoInstant, double temperature, long offset) {
    Instant ts = Instant.parse(isoInstant);
    Object[] v = new Object[SCHEMA.size()];
    v[SCHEMA.fieldIndex("sensor_id")] = sensor;
    v[SCHEMA.fieldIndex("reading_ts")] = ts;
    v[SCHEMA.fieldIndex("temperature_c")] = temperature;
    v[SCHEMA.fieldIndex("humidity_pct")] = 40.0;
    v[SCHEMA.fieldIndex("battery_pct")] = 90;
    v[SCHEMA.fieldIndex("status")] = "OK";
    v[SCHEMA.fieldIndex("firmware")] = "1.2.0";
    v[SCHEMA.fieldIndex("pressure_hpa")] = null;
    v[SCHEMA.fieldIndex("schema_id")] = 2;
    v[SCHEMA.fieldIndex("topic")] = TOPIC;
    v[SCHEMA.fieldIndex("partition")] = 0;
    v[SCHEMA.fieldIndex("offset")] = offset;
    v[SCHEMA.fieldIndex("kafka_timestamp")] = ts;
    v[SCHEMA.fieldIndex("ingest_date")] = LocalDate.ofInstant(ts, ZoneOffset.UTC);
    v[SCHEMA.fieldIndex("deserialized_at")] = Instant.now();
    return RowFactory.create(v);
  }

  static Dataset<Row> batch(SparkSession spark, Row... rows) {
    return spark.createDataFrame(Arrays.asList(rows), SCHEMA);
  }

  /** Appends rows to a bronze Delta table as one commit of one file. */
  static void append(SparkSession spark, String path, Row... rows) {
    batch(spark, rows).coalesce(1).write().format("delta").mode("append").save(path);
  }

  /** A gold row as the tests compare it. */
  record GoldRow(String sensor, String date, long tsMillis, double temperature, long offset,
      boolean audited) {}

  /** Gold by "sensor/date", dates and timestamps rendered by Spark without any time zone. */
  static Map<String, GoldRow> gold(SparkSession spark, String path) {
    List<Row> rows =
        spark.read().format("delta").load(path)
            .selectExpr(
                "sensor_id",
                "CAST(unix_date(reading_date) AS BIGINT) AS day",
                "unix_millis(reading_ts) AS ts",
                "temperature_c",
                "`offset`",
                "first_inserted_at IS NOT NULL AND last_changed_at >= first_inserted_at AS audited")
            .collectAsList();
    Map<String, GoldRow> m = new HashMap<>();
    for (Row r : rows) {
      String date = LocalDate.ofEpochDay(r.getLong(1)).toString();
      GoldRow g = new GoldRow(r.getString(0), date, r.getLong(2), r.getDouble(3), r.getLong(4),
          r.getBoolean(5));
      if (m.put(g.sensor() + "/" + date, g) != null) {
        throw new AssertionError("two gold rows for " + g.sensor() + "/" + date);
      }
    }
    return m;
  }

  static long millis(String isoInstant) {
    return Instant.parse(isoInstant).toEpochMilli();
  }
}
