package dev.streamlake.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamlake.common.BatchMetricsListener;
import dev.streamlake.common.TableRef;
import dev.streamlake.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The per-batch metrics of stages 2 and 3, through their real queries: one JSON line per batch
 * on the listener, the same figures in the events table, Spark's streaming metrics on.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchMetricsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  SparkSession spark;
  Path lake;
  TableRef raw;
  String events;
  final List<String> lines = new CopyOnWriteArrayList<>();
  final Consumer<String> sink = lines::add;
  StreamingQuery deserialize;
  StreamingQuery merge;
  String metricsEnabledAfterStart;

  @BeforeAll
  void runStagesTwoAndThree() throws Exception {
    spark = TestSpark.session();
    lake = Files.createTempDirectory("ops-metrics");
    raw = TableRef.path(lake.resolve("raw/sensor_readings").toString());
    events = lake.resolve("events").toString();
    BatchMetricsListener.of(spark).addSink(sink);
    spark.conf().unset(BatchMetricsListener.METRICS_ENABLED);
    PipelineRuns.appendRaw(spark, raw, PipelineRuns.rawBatch(0, 3));
    deserialize = PipelineRuns.deserialize(spark, "--lake", lake.toString(),
        "--events-table", events);
    metricsEnabledAfterStart = spark.conf().get(BatchMetricsListener.METRICS_ENABLED, "unset");
    merge = PipelineRuns.merge(spark, "--lake", lake.toString(), "--events-table", events);
    await().atMost(Duration.ofSeconds(30))
        .until(() -> PipelineRuns.metricsLines(lines, deserialize).size() == 1
            && PipelineRuns.metricsLines(lines, merge).size() == 1);
  }

  @AfterAll
  void removeSink() {
    BatchMetricsListener.of(spark).removeSink(sink);
  }

  @Test
  void stageTwoLineCountsTheBatchByTableCodeAndRule() throws Exception {
    // availableNow over one raw commit is one batch, and so one line.
    assertThat(PipelineRuns.metricsLines(lines, deserialize)).hasSize(1);
    JsonNode line = PipelineRuns.metricsLines(lines, deserialize).get(0);
    assertThat(line.path("stage").asText()).isEqualTo("deserialize");
    assertThat(line.path("query").asText()).isEqualTo("sensor_readings.deserialize.raw-to-bronze");
    assertThat(line.path("batch_id").asLong()).isZero();
    assertThat(line.path("input_rows").asLong()).isEqualTo(5);
    assertThat(line.path("duration_ms").asLong()).isPositive();
    assertThat(longs(line.path("rows_written"))).isEqualTo(Map.of("bronze", 3L, "dead_letter", 2L));
    assertThat(longs(line.path("dead_letters_by_code")))
        .isEqualTo(Map.of("BAD_MAGIC_BYTE", 1L, "RULE_VIOLATION", 1L))
        .isEqualTo(deadLettersByCodeInTable());
    assertThat(longs(line.path("dead_letters_by_rule")))
        .isEqualTo(Map.of("temperature_range", 1L));
    // Raw was created (version 0) and then got its rows (version 1); the batch read both.
    assertThat(line.path("delta_backlog").path("source_version").asLong()).isEqualTo(1);
    assertThat(line.path("delta_backlog").path("read_version").asLong()).isEqualTo(1);
    assertThat(line.path("delta_backlog").path("versions_behind").asLong()).isZero();
  }

  @Test
  void stageThreeLineHasTheNewestSequenceItMerged() throws Exception {
    assertThat(PipelineRuns.metricsLines(lines, merge)).hasSize(1);
    JsonNode line = PipelineRuns.metricsLines(lines, merge).get(0);
    assertThat(line.path("stage").asText()).isEqualTo("merge");
    assertThat(line.path("input_rows").asLong()).isEqualTo(3);
    assertThat(longs(line.path("rows_written"))).isEqualTo(Map.of("gold", 3L));
    assertThat(line.path("newest_sequence").path("column").asText()).isEqualTo("reading_ts");
    // The three good readings are at READINGS_AT + 0, 1 and 2 s; the hot one never got to bronze.
    Row newestInGold = spark.sql("SELECT max(reading_ts) FROM delta.`"
        + lake.resolve("gold/sensor_readings") + "`").first();
    assertThat(line.path("newest_sequence").path("value").asText())
        .isEqualTo(newestInGold.getTimestamp(0).toInstant().toString())
        .isEqualTo("2024-03-01T10:00:02Z");
    assertThat(line.path("delta_backlog").path("versions_behind").asLong()).isZero();
    assertThat(line.has("dead_letters_by_code")).isFalse();
  }

  @Test
  void eventsTableHasOneRowPerLineWithTheSameFigures() throws Exception {
    TableRef table = TableRef.path(events);
    await().atMost(Duration.ofSeconds(60))
        .until(() -> table.exists(spark) && table.read(spark).count() == 2);
    for (StreamingQuery q : List.of(deserialize, merge)) {
      JsonNode line = PipelineRuns.metricsLines(lines, q).get(0);
      List<Row> rows = table.read(spark)
          .where("query_id = '" + q.id() + "'").collectAsList();
      assertThat(rows).hasSize(1);
      Row r = rows.get(0);
      assertThat(r.<String>getAs("stage")).isEqualTo(line.path("stage").asText());
      assertThat(r.<String>getAs("run_id")).isEqualTo(line.path("run_id").asText());
      assertThat(r.<Long>getAs("batch_id")).isEqualTo(line.path("batch_id").asLong());
      assertThat(r.<Long>getAs("input_rows")).isEqualTo(line.path("input_rows").asLong());
      assertThat(r.<Long>getAs("duration_ms")).isEqualTo(line.path("duration_ms").asLong());
      assertThat(r.getJavaMap(r.fieldIndex("rows_written")))
          .isEqualTo(longs(line.path("rows_written")));
      assertThat(r.getJavaMap(r.fieldIndex("dead_letters_by_code")))
          .isEqualTo(longs(line.path("dead_letters_by_code")));
      assertThat(r.getJavaMap(r.fieldIndex("dead_letters_by_rule")))
          .isEqualTo(longs(line.path("dead_letters_by_rule")));
      assertThat(r.<Long>getAs("delta_versions_behind"))
          .isEqualTo(line.path("delta_backlog").path("versions_behind").asLong());
      assertThat(r.<String>getAs("metrics")).isEqualTo(line.toString());
    }
    Row sql = spark.sql("SELECT rows_written['bronze'], dead_letters_by_rule['temperature_range']"
        + " FROM " + table.sqlName() + " WHERE stage = 'deserialize'").first();
    assertThat(sql.getLong(0)).isEqualTo(3);
    assertThat(sql.getLong(1)).isEqualTo(1);
  }

  @Test
  void stagesTurnOnSparksStreamingMetrics() {
    assertThat(metricsEnabledAfterStart).isEqualTo("true");
  }

  private Map<String, Long> deadLettersByCodeInTable() {
    Map<String, Long> m = new TreeMap<>();
    for (Row r : spark.sql("SELECT error_code, count(*) FROM delta.`"
        + lake.resolve("dead_letter/sensor_readings") + "` GROUP BY error_code").collectAsList()) {
      m.put(r.getString(0), r.getLong(1));
    }
    return m;
  }

  private static Map<String, Long> longs(JsonNode object) {
    Map<String, Long> m = new TreeMap<>();
    object.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asLong()));
    return m;
  }
}
