package dev.streamlake.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import dev.streamlake.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The audit's settings, and the audit of catalog tables (spark_catalog, tables named
 * {@code <database>.<table>}) that the real stages 2 and 3 wrote from hand-written raw rows. The
 * Kafka side is in {@code AuditIT}.
 */
class AuditCommandTest {

  @TempDir Path lake;

  private final SparkSession spark = TestSpark.session();

  @Test
  void catalogTablesWrittenByTheStagesAuditCleanThenShowWhatWasChanged() throws Exception {
    String schema = "audit_catalog_" + System.nanoTime();
    spark.sql("CREATE DATABASE " + schema);
    // Two-part names: Delta's table builder (stage 3 creating gold) parses no catalog part.
    List<String> pipeline = List.of("--lake", lake.toString(),
        "--raw-table", schema + ".raw", "--bronze-table", schema + ".bronze",
        "--dead-letter-table", schema + ".dead_letter", "--gold-table", schema + ".gold");
    TableRef raw = TableRef.catalog(schema + ".raw");
    raw.ensureExists(spark, TableSchemas.raw(), List.of(TableSchemas.INGEST_DATE),
        TableSchemas.rawProperties());
    Instant day = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(1, ChronoUnit.DAYS);
    List<Row> rows = new ArrayList<>();
    rows.add(rawRow(0, "s-1", v2(Reading.of("s-1", day.plusSeconds(60), 20.0))));
    rows.add(rawRow(1, "s-1", v2(Reading.of("s-1", day.plusSeconds(120), 21.5))));
    rows.add(rawRow(2, "s-1", v2(Reading.of("s-1", day.plusSeconds(30), 19.0))));
    rows.add(rawRow(3, "s-2", v2(Reading.of("s-2", day.plusSeconds(10), 5.0))));
    rows.add(rawRow(4, "s-3", "not avro".getBytes(StandardCharsets.UTF_8)));
    raw.write(spark.createDataFrame(rows, TableSchemas.raw()).coalesce(1).write().format("delta")
        .mode(SaveMode.Append));
    AuditRuns.deserialize(spark, pipeline);
    AuditRuns.merge(spark, pipeline);

    AuditRuns.Result clean = AuditRuns.audit(spark, pipeline);
    assertThat(clean.exitStatus()).as(clean.output()).isZero();
    assertThat(clean.output()).startsWith("Audit of pipeline sensor_readings: CLEAN");
    assertThat(clean.counted(Audit.RAW, "rows")).isEqualTo(5L);
    assertThat(clean.counted(Audit.RAW_TO_BRONZE, "in_bronze")).isEqualTo(4L);
    assertThat(clean.counted(Audit.RAW_TO_BRONZE, "in_dead_letter")).isEqualTo(1L);
    assertThat(clean.counted(Audit.BRONZE_TO_GOLD, "keys_right")).isEqualTo(2L);

    spark.sql("UPDATE " + schema + ".gold SET temperature_c = 99.0"
        + " WHERE sensor_id = 's-1'");
    AuditRuns.Result wrong = AuditRuns.audit(spark, pipeline);
    assertThat(wrong.exitStatus()).isEqualTo(AuditCommand.VIOLATIONS);
    assertThat(wrong.count(Audit.BRONZE_TO_GOLD, Audit.GOLD_WRONG_VALUE)).isEqualTo(1);
    var example = wrong.violation(Audit.BRONZE_TO_GOLD, Audit.GOLD_WRONG_VALUE).examples().get(0);
    assertThat(example).containsEntry("sensor_id", "s-1")
        .containsEntry("expected.temperature_c", 21.5)
        .containsEntry("gold.temperature_c", 99.0);
    assertThat(wrong.report().verdict())
        .isEqualTo("Audit of pipeline sensor_readings: VIOLATIONS, 1 in all (wrong_value 1).");

    // dead_letter with the re-drive columns: a dead letter marked re-driven must have its row in
    // bronze; here it has none.
    spark.sql("ALTER TABLE " + schema + ".dead_letter ADD COLUMNS (redriven_at TIMESTAMP,"
        + " redriven_to_version BIGINT)");
    spark.sql("UPDATE " + schema + ".dead_letter SET redriven_at = current_timestamp()");
    // And gold's s-2 row as a later batch of stage 3 would leave it: newer than the newest
    // bronze row stage 3 had completed, so no violation.
    spark.sql("UPDATE " + schema + ".gold SET temperature_c = 7.0,"
        + " reading_ts = reading_ts + INTERVAL 1 MINUTE WHERE sensor_id = 's-2'");
    AuditRuns.Result redriven = AuditRuns.audit(spark, pipeline);
    assertThat(redriven.counted(Audit.BRONZE_TO_GOLD, "keys_newer_in_gold")).isEqualTo(1L);
    assertThat(redriven.count(Audit.BRONZE_TO_GOLD, Audit.GOLD_WRONG_VALUE)).isEqualTo(1);
    assertThat(redriven.count(Audit.RAW_TO_BRONZE, Audit.REDRIVEN_WITHOUT_BRONZE)).isEqualTo(1);
    assertThat(redriven.violation(Audit.RAW_TO_BRONZE, Audit.REDRIVEN_WITHOUT_BRONZE).examples()
        .get(0)).containsEntry(TableSchemas.OFFSET, 4L).containsEntry("redriven_dead_letters", 1L);
    assertThat(redriven.counted(Audit.RAW_TO_BRONZE, "in_dead_letter")).isEqualTo(0L);
  }

  @Test
  void aMissingTableIsOneLineNamingIt() {
    String missing = "spark_catalog.default.no_such_raw_" + System.nanoTime();
    assertThatThrownBy(() -> AuditRuns.audit(spark,
            List.of("--lake", lake.toString(), "--raw-table", missing)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Table " + missing + " does not exist")
        .hasMessageContaining("--raw-table");
  }

  @Test
  void badBoundsAndOptionsNameTheSetting() {
    String root = lake.toString();
    assertThatThrownBy(() -> AuditCommand.parse(new String[] {"--lake", root, "--since", "noon"}))
        .isInstanceOf(ConfigException.class).hasMessageContaining("--since");
    assertThatThrownBy(() -> AuditCommand.parse(new String[] {"--lake", root,
        "--since", "2026-11-30", "--until", "2026-11-29"}))
        .isInstanceOf(ConfigException.class).hasMessageContaining("must be before --until");
    assertThatThrownBy(() -> AuditCommand.parse(new String[] {"--lake", root,
        "--from-version", "5", "--to-version", "4"}))
        .isInstanceOf(ConfigException.class).hasMessageContaining("--from-version");
    assertThatThrownBy(() -> AuditCommand.parse(new String[] {"--lake", root, "--examples", "-1"}))
        .isInstanceOf(ConfigException.class).hasMessageContaining("--examples");
    assertThatThrownBy(() -> AuditCommand.parse(new String[] {"--lake", root,
        "--kafka.security.protocol=SSL"}))
        .isInstanceOf(ConfigException.class).hasMessageContaining("--bootstrap-servers");
    assertThatThrownBy(() -> AuditCommand.parse(new String[] {"--lake", root,
        "--bootstrap-servers", "nohost"}))
        .isInstanceOf(ConfigException.class).hasMessageContaining("--bootstrap-servers");
  }

  @Test
  void timesAreUtc() {
    assertThat(AuditCommand.time("--since", "2026-11-30"))
        .isEqualTo(Instant.parse("2026-11-30T00:00:00Z"));
    assertThat(AuditCommand.time("--since", "2026-11-30T12:30"))
        .isEqualTo(Instant.parse("2026-11-30T12:30:00Z"));
    assertThat(AuditCommand.time("--since", "2026-11-30T12:30:00+02:00"))
        .isEqualTo(Instant.parse("2026-11-30T10:30:00Z"));
  }

  @Test
  void kafkaSecretsAreMaskedInTheSettingsLine() {
    AuditCommand.AuditSettings s = AuditCommand.parse(new String[] {"--lake", lake.toString(),
        "--bootstrap-servers", "localhost:9092", "--kafka.sasl.jaas.config=secret-value"});
    assertThat(dev.streamlake.common.CommandLines.effectiveConfig(s.describe()))
        .contains("kafka.sasl.jaas.config=").doesNotContain("secret-value");
  }

  private static byte[] v2(Reading r) {
    return SensorReadingPayloads.v2(r);
  }

  private static Row rawRow(long offset, String key, byte[] value) {
    Instant ingested = Instant.now();
    return RowFactory.create(key.getBytes(StandardCharsets.UTF_8), value, "sensor-readings", 0,
        offset, Timestamp.from(ingested), 0,
        CollectionConverters.asScala(List.<Row>of()).toSeq(), Timestamp.from(ingested),
        Date.valueOf(ingested.atZone(ZoneOffset.UTC).toLocalDate()));
  }
}
