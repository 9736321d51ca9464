package dev.streamlake.merge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.common.PipelineConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GoldPlanTest {
  final GoldPlan sensors = GoldPlan.of(PipelineConfig.sensorReadings());

  @Test
  void sensorReadingsColumnsComeFromTheConfig() {
    assertThat(sensors.key()).containsExactly("sensor_id", "reading_date");
    assertThat(sensors.values()).containsExactly("reading_ts", "temperature_c", "humidity_pct",
        "battery_pct", "status", "firmware", "pressure_hpa");
    assertThat(sensors.coordinates())
        .containsExactly("topic", "partition", "offset", "schema_id", "kafka_timestamp");
    assertThat(sensors.ordering()).containsExactly("reading_ts", "offset", "partition", "topic");
    assertThat(sensors.partitionBy()).containsExactly("reading_date");
  }

  @Test
  void conditionsAreNullSafeAndQuoted() {
    assertThat(sensors.keyCondition()).isEqualTo(
        "t.`sensor_id` <=> s.`sensor_id` AND t.`reading_date` <=> s.`reading_date`");
    assertThat(sensors.newerCondition()).isEqualTo(
        "(coalesce(s.`reading_ts` > t.`reading_ts`, s.`reading_ts` IS NOT NULL AND"
            + " t.`reading_ts` IS NULL) OR (s.`reading_ts` <=> t.`reading_ts` AND"
            + " (coalesce(s.`offset` > t.`offset`, s.`offset` IS NOT NULL AND t.`offset` IS"
            + " NULL) OR (s.`offset` <=> t.`offset` AND (coalesce(s.`partition` > t.`partition`,"
            + " s.`partition` IS NOT NULL AND t.`partition` IS NULL) OR (s.`partition` <=>"
            + " t.`partition` AND (coalesce(s.`topic` > t.`topic`, s.`topic` IS NOT NULL AND"
            + " t.`topic` IS NULL))))))))");
    // The update applies whenever the source is newer: values decide only last_changed_at.
    assertThat(sensors.updateCondition()).isEqualTo(sensors.newerCondition());
    // Values only: a re-sent reading under another offset is not a change.
    assertThat(sensors.valuesDiffer())
        .startsWith("NOT (t.`reading_ts` <=> s.`reading_ts` AND")
        .contains("t.`pressure_hpa` <=> s.`pressure_hpa`")
        .doesNotContain("`offset`")
        .doesNotContain("`sensor_id`");
    assertThat(sensors.updateSet())
        .doesNotContainKeys("`sensor_id`", "`reading_date`", "`first_inserted_at`")
        .containsEntry("`offset`", "s.`offset`")
        .containsEntry("`last_changed_at`", "CASE WHEN " + sensors.valuesDiffer() + " THEN "
            + GoldPlan.MERGE_TIME + "() ELSE t.`last_changed_at` END");
    assertThat(sensors.insertValues().keySet()).endsWith("`first_inserted_at`",
        "`last_changed_at`");
    assertThat(sensors.describeMerge("delta.`/lake/gold`"))
        .startsWith("MERGE INTO delta.`/lake/gold` t USING")
        .contains("AND t.`reading_date` IN (<the batch's values>) WHEN MATCHED AND (");
  }

  @Test
  void anotherPipelineGetsItsOwnShape(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("meters.json");
    Files.writeString(config, """
        {"name": "meters", "topic": "meters",
         "schemas": {"directory": "classpath:schemas/sensor_readings", "readerId": 1},
         "gold": {"key": ["sensor_id"], "sequence": ["offset"], "partitionBy": []}}
        """);
    GoldPlan plan = GoldPlan.of(PipelineConfig.load(config.toString()));
    assertThat(plan.keyCondition()).isEqualTo("t.`sensor_id` <=> s.`sensor_id`");
    assertThat(plan.values()).contains("reading_ts").doesNotContain("pressure_hpa");
    assertThat(plan.newerCondition()).doesNotContain("reading_ts").contains("`partition`");
    assertThat(plan.describeMerge("g")).doesNotContain(" IN (");
  }
}
