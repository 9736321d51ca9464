package dev.streamlake.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamlake.common.ConfigException;
import dev.streamlake.common.TableRef;
import dev.streamlake.testing.TestSpark;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code status} on checkpoints and tables the real stages 2 and 3 wrote. */
class StatusCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  SparkSession spark;
  @TempDir Path lake;

  @BeforeEach
  void setUp() {
    spark = TestSpark.session();
  }

  JsonNode status(Instant now, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--json");
    return JSON.readTree(StatusCommand.run(all.toArray(String[]::new), () -> spark, now));
  }

  static JsonNode stage(JsonNode status, String id) {
    for (JsonNode s : status.path("stages")) {
      if (s.path("stage").asText().equals(id)) {
        return s;
      }
    }
    throw new AssertionError("no stage " + id + " in " + status);
  }

  @Test
  void showsLastBatchesLagDeadLettersOfTheLastDayAndNeverRunStages() throws Exception {
    TableRef raw = TableRef.path(lake.resolve("raw/sensor_readings").toString());
    String events = lake.resolve("events").toString();
    String[] lakeArgs = {"--lake", lake.toString(), "--events-table", events};
    PipelineRuns.appendRaw(spark, raw, PipelineRuns.rawBatch(0, 3));
    PipelineRuns.deserialize(spark, lakeArgs);
    PipelineRuns.merge(spark, lakeArgs);
    TableRef eventsTable = TableRef.path(events);
    await().atMost(Duration.ofSeconds(60))
        .until(() -> eventsTable.exists(spark) && eventsTable.read(spark).count() == 2);

    Instant now = Instant.now();
    JsonNode status = status(now, lakeArgs);
    assertThat(status.path("pipeline").asText()).isEqualTo("sensor_readings");

    JsonNode ingest = stage(status, "raw-ingest");
    assertThat(ingest.path("ran").asBoolean()).isFalse();
    assertThat(ingest.has("last_batch")).isFalse();
    assertThat(ingest.has("last_event")).isFalse();

    JsonNode deserialize = stage(status, "deserialize");
    assertThat(deserialize.path("ran").asBoolean()).isTrue();
    assertThat(deserialize.path("last_batch").asLong()).isZero();
    Instant committed = Instant.parse(deserialize.path("committed_at").asText());
    assertThat(committed).isBetween(now.minus(Duration.ofMinutes(10)), now);
    assertThat(deserialize.path("age_seconds").asLong())
        .isEqualTo(Duration.between(committed, now).toSeconds());
    assertThat(deserialize.path("lag").path("versions_behind").asLong()).isZero();
    assertThat(deserialize.path("dead_letters_last_day").asLong()).isEqualTo(2);
    assertThat(longs(deserialize.path("dead_letters_last_day_by_code")))
        .isEqualTo(Map.of("BAD_MAGIC_BYTE", 1L, "RULE_VIOLATION", 1L));
    assertThat(deserialize.path("last_event").path("batch_id").asLong()).isZero();
    assertThat(deserialize.path("last_event").path("rows_written").path("bronze").asLong())
        .isEqualTo(3);

    JsonNode merge = stage(status, "merge");
    assertThat(merge.path("last_batch").asLong()).isZero();
    assertThat(merge.path("lag").path("versions_behind").asLong()).isZero();
    assertThat(merge.has("dead_letters_last_day")).isFalse();
    assertThat(merge.path("last_event").path("newest_sequence").path("value").asText())
        .isEqualTo("2024-03-01T10:00:02Z");

    // Two days later the same dead letters are no longer of the last day.
    JsonNode later = status(now.plus(Duration.ofDays(2)), lakeArgs);
    assertThat(stage(later, "deserialize").path("dead_letters_last_day").asLong()).isZero();

    String text = StatusCommand.run(lakeArgs, () -> spark, now);
    assertThat(text)
        .contains("raw-ingest\n  last batch:   never ran")
        .contains("dead letters in the last 24h: 2 (BAD_MAGIC_BYTE 1, RULE_VIOLATION 1)")
        .contains("  lag:          0 version(s) of " + raw + " behind");

    // New raw rows: stage 2 is now one raw version behind, stage 3 still caught up.
    PipelineRuns.appendRaw(spark, raw, PipelineRuns.rawBatch(100, 1));
    JsonNode behind = status(Instant.now(), "--lake", lake.toString());
    assertThat(stage(behind, "deserialize").path("lag").path("versions_behind").asLong())
        .isEqualTo(1);
    assertThat(stage(behind, "merge").path("lag").path("versions_behind").asLong()).isZero();
  }

  @Test
  void worksOnCatalogTables() throws Exception {
    String schema = "ops_status_" + Long.toHexString(System.nanoTime());
    spark.sql("CREATE SCHEMA " + schema);
    String[] args = {"--lake", lake.toString(), "--catalog", "spark_catalog", "--schema", schema};
    TableRef raw = TableRef.catalog("spark_catalog." + schema + ".raw_sensor_readings");
    PipelineRuns.appendRaw(spark, raw, PipelineRuns.rawBatch(0, 2));
    PipelineRuns.deserialize(spark, args);

    JsonNode status = status(Instant.now(), args);
    JsonNode deserialize = stage(status, "deserialize");
    assertThat(deserialize.path("last_batch").asLong()).isZero();
    assertThat(deserialize.path("lag").path("source_table").asText()).isEqualTo(raw.name());
    assertThat(deserialize.path("lag").path("versions_behind").asLong()).isZero();
    assertThat(deserialize.path("dead_letters_last_day").asLong()).isEqualTo(2);
    // Stage 3 never ran: every bronze version (its creation and stage 2's batch) is ahead of it.
    JsonNode merge = stage(status, "merge");
    assertThat(merge.path("ran").asBoolean()).isFalse();
    assertThat(merge.path("lag").path("versions_behind").asLong()).isEqualTo(2);
  }

  @Test
  void aLakeWithoutCheckpointsOrTablesIsABadSetting() {
    assertThatThrownBy(() -> StatusCommand.run(new String[] {"--lake", lake.toString()},
        () -> spark, Instant.now()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("has no checkpoint under " + lake)
        .hasMessageContaining("--lake");
  }

  @Test
  void aMissingEventsTableIsABadSetting() {
    TableRef raw = TableRef.path(lake.resolve("raw/sensor_readings").toString());
    PipelineRuns.appendRaw(spark, raw, PipelineRuns.rawBatch(0, 0));
    String events = lake.resolve("no-events").toString();
    assertThatThrownBy(() -> StatusCommand.run(new String[] {"--lake", lake.toString(),
        "--events-table", events}, () -> spark, Instant.now()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("events table " + events + " (--events-table) does not exist");
  }

  private static Map<String, Long> longs(JsonNode object) {
    Map<String, Long> m = new TreeMap<>();
    object.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asLong()));
    return m;
  }
}
