package dev.streamlake.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.deserialize.DeserializeConfig;
import dev.streamlake.deserialize.DeserializeQuery;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import dev.streamlake.merge.MergeConfig;
import dev.streamlake.merge.MergeQuery;
import java.nio.charset.StandardCharsets;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Raw rows as stage 1 writes them, and stages 2 and 3 run to the end of their input with the
 * availableNow trigger, as their jobs run them.
 */
final class PipelineRuns {
  static final String TOPIC = "sensor-readings";
  static final Instant READINGS_AT = Instant.parse("2024-03-01T10:00:00Z");

  private PipelineRuns() {}

  /** A raw row on partition 0 at {@code offset}, ingested now. */
  static Row rawRow(long offset, byte[] value) {
    Row header = RowFactory.create("source", "test".getBytes(StandardCharsets.UTF_8));
    return RowFactory.create(("key-" + offset).getBytes(StandardCharsets.UTF_8), value, TOPIC, 0,
        offset, Timestamp.from(READINGS_AT.plusMillis(offset)), 0,
        CollectionConverters.asScala(List.of(header)).toSeq(), Timestamp.from(Instant.now()),
        Date.valueOf(LocalDate.now(java.time.ZoneOffset.UTC)));
  }

  /**
   * Raw rows from offset {@code first}: {@code good} valid v2 readings, one second apart, then one
   * record that is not Avro and one reading that breaks the rule temperature_range.
   */
  static List<Row> rawBatch(long first, int good) {
    List<Row> rows = new ArrayList<>();
    long offset = first;
    for (int i = 0; i < good; i++) {
      rows.add(rawRow(offset++, SensorReadingPayloads.v2(
          Reading.of("sensor-" + i, READINGS_AT.plusSeconds(first + i), 20.0 + i))));
    }
    rows.add(rawRow(offset++, "not avro".getBytes(StandardCharsets.UTF_8)));
    rows.add(rawRow(offset, SensorReadingPayloads.v2(
        Reading.of("sensor-hot", READINGS_AT, 500.0))));
    return rows;
  }

  /** Appends {@code rows} to the raw table as one commit, creating it the way stage 1 does. */
  static void appendRaw(SparkSession spark, TableRef raw, List<Row> rows) {
    raw.ensureExists(spark, TableSchemas.raw(), List.of(TableSchemas.INGEST_DATE),
        TableSchemas.rawProperties());
    raw.write(spark.createDataFrame(rows, TableSchemas.raw()).coalesce(1).write().format("delta")
        .mode(SaveMode.Append));
  }

  static StreamingQuery deserialize(SparkSession spark, String... args) throws Exception {
    return awaitEnd(DeserializeQuery.start(spark, DeserializeConfig.fromArgs(withTrigger(args))));
  }

  static StreamingQuery merge(SparkSession spark, String... args) throws Exception {
    return awaitEnd(MergeQuery.start(spark, MergeConfig.fromArgs(withTrigger(args))));
  }

  private static String[] withTrigger(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--trigger", "availableNow"));
    return all.toArray(String[]::new);
  }

  /** Waits for an availableNow query to end, stops it either way, and fails on its exception. */
  static StreamingQuery awaitEnd(StreamingQuery q) throws Exception {
    try {
      assertThat(q.awaitTermination(180_000)).as("query finished").isTrue();
    } finally {
      q.stop();
    }
    assertThat(q.exception().isDefined()).as("query failed: %s", q.exception()).isFalse();
    return q;
  }

  /** The metrics lines (JSON) among {@code lines} that are about query {@code q}. */
  static List<JsonNode> metricsLines(List<String> lines, StreamingQuery q) throws Exception {
    List<JsonNode> of = new ArrayList<>();
    for (String line : lines) {
      JsonNode n = METRICS_JSON.readTree(line);
      if (n.path("query_id").asText().equals(q.id().toString())) {
        of.add(n);
      }
    }
    return of;
  }

  private static final ObjectMapper METRICS_JSON = new ObjectMapper();
}
