package dev.streamlake.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.ingest.RawIngestConfig;
import dev.streamlake.ingest.RawIngestQuery;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import dev.streamlake.testing.TestKafka;
import dev.streamlake.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit against tables the real stages 1, 2 and 3 wrote from records on a real Kafka topic:
 * clean first, then every kind of violation, each planted once, found with exact counts.
 *
 * <p>The topic: partition 0 holds offsets 0-8 valid (sensors s-1 and s-2) and 9 not Avro;
 * partition 1 holds offsets 0-7 valid (s-3 and s-4) and 8, 9 not Avro. So 20 raw rows, 17 in
 * bronze, 3 dead letters, and 4 gold keys (one reading date).
 */
class AuditIT {

  @TempDir Path lake;

  private final SparkSession spark = TestSpark.session();

  @Test
  void cleanPipelineThenEveryPlantedViolationIsFound() throws Exception {
    String topic = TestKafka.uniqueTopic("audit");
    TestKafka.createTopic(topic, 2);
    Instant day = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(1, ChronoUnit.DAYS);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      int valid = p == 0 ? 9 : 8;
      for (int o = 0; o < 10; o++) {
        String sensor = "s-" + (2 * p + 1 + o % 2);
        byte[] value = o < valid
            ? SensorReadingPayloads.v2(Reading.of(sensor, day.plusSeconds(60L * o), 10.0 + o))
            : bytes("not avro");
        records.add(new ProducerRecord<>(topic, p, bytes(sensor), value));
      }
    }
    List<RecordMetadata> sent = TestKafka.produce(records);
    for (int i = 0; i < sent.size(); i++) {
      assertThat(sent.get(i).offset()).as("offset of record %s", i).isEqualTo(i % 10);
    }

    List<String> pipeline = List.of("--lake", lake.toString());
    String servers = TestKafka.bootstrapServers();
    PipelineRuns.awaitEnd(RawIngestQuery.start(spark, RawIngestConfig.fromArgs(
        AuditRuns.withTrigger(List.of("--lake", lake.toString(), "--bootstrap-servers", servers,
            "--topic", topic)))));
    AuditRuns.deserialize(spark, pipeline);
    AuditRuns.merge(spark, pipeline);
    List<String> withKafka = List.of("--lake", lake.toString(), "--bootstrap-servers", servers);

    AuditRuns.Result clean = AuditRuns.audit(spark, withKafka);
    System.out.println(clean.output());
    assertThat(clean.exitStatus()).as(clean.output()).isZero();
    assertThat(clean.output()).startsWith("Audit of pipeline sensor_readings: CLEAN");
    assertThat(clean.counted(Audit.RAW, "rows")).isEqualTo(20L);
    assertThat(clean.counted(Audit.RAW, "aged_out_offsets")).isEqualTo(0L);
    assertThat(clean.counted(Audit.RAW_TO_BRONZE, "raw_rows_checked")).isEqualTo(20L);
    assertThat(clean.counted(Audit.RAW_TO_BRONZE, "in_bronze")).isEqualTo(17L);
    assertThat(clean.counted(Audit.RAW_TO_BRONZE, "in_dead_letter")).isEqualTo(3L);
    assertThat(clean.counted(Audit.BRONZE_TO_GOLD, "keys_checked")).isEqualTo(4L);
    assertThat(clean.counted(Audit.BRONZE_TO_GOLD, "keys_right")).isEqualTo(4L);
    long ingestedVersion = (Long) clean.counted(Audit.RAW_TO_BRONZE, "raw_version_checked");

    var s = AuditCommand.parse(pipeline.toArray(String[]::new)).ops();
    String raw = s.raw().sqlName();
    // A duplicated raw row: partition 0 offset 7 once more.
    s.raw().read(spark).where("`partition` = 0 AND `offset` = 7").write().format("delta")
        .mode(SaveMode.Append).save(s.raw().name());
    // A gap that aged out: Kafka drops partition 0 below offset 3, raw loses offsets 1 and 2.
    try (Admin admin = TestKafka.admin()) {
      admin.deleteRecords(Map.of(new TopicPartition(topic, 0), RecordsToDelete.beforeOffset(3)))
          .all().get();
    }
    spark.sql("DELETE FROM " + raw + " WHERE `partition` = 0 AND `offset` IN (1, 2)");
    // A gap Kafka still has: raw loses partition 1 offsets 4 and 5.
    spark.sql("DELETE FROM " + raw + " WHERE `partition` = 1 AND `offset` IN (4, 5)");
    // In neither: bronze loses partition 0 offset 6.
    spark.sql("DELETE FROM " + s.bronze().sqlName() + " WHERE `partition` = 0 AND `offset` = 6");
    // Twice in bronze: partition 1 offset 3 once more.
    s.bronze().read(spark).where("`partition` = 1 AND `offset` = 3").write().format("delta")
        .mode(SaveMode.Append).save(s.bronze().name());
    // In bronze and an open dead letter: partition 0 offset 5.
    spark.sql("INSERT INTO " + s.deadLetter().sqlName() + " SELECT *, 'deserialize',"
        + " 'PLANTED', 'by the test', current_timestamp() FROM " + raw
        + " WHERE `partition` = 0 AND `offset` = 5");
    // Gold: a wrong value for s-1, and s-3 gone.
    String gold = s.gold().sqlName();
    spark.sql("UPDATE " + gold + " SET temperature_c = 99.0 WHERE sensor_id = 's-1'");
    spark.sql("DELETE FROM " + gold + " WHERE sensor_id = 's-3'");

    AuditRuns.Result found = AuditRuns.audit(spark, withKafka, "--examples", "5");
    System.out.println(found.output());
    assertThat(found.exitStatus()).isEqualTo(AuditCommand.VIOLATIONS);
    assertThat(found.count(Audit.RAW, Audit.DUPLICATE)).isEqualTo(1);
    assertThat(found.violation(Audit.RAW, Audit.DUPLICATE).examples())
        .containsExactly(Map.of(TableSchemas.TOPIC, topic, TableSchemas.PARTITION, 0,
            TableSchemas.OFFSET, 7L, "copies", 2L));
    assertThat(found.count(Audit.RAW, Audit.GAP_AGED_OUT)).isEqualTo(1);
    assertThat(found.violation(Audit.RAW, Audit.GAP_AGED_OUT).examples().get(0))
        .containsEntry(TableSchemas.PARTITION, 0).containsEntry("from_offset", 1L)
        .containsEntry("to_offset", 2L);
    assertThat(found.count(Audit.RAW, Audit.GAP_MISSING)).isEqualTo(1);
    assertThat(found.violation(Audit.RAW, Audit.GAP_MISSING).examples().get(0))
        .containsEntry(TableSchemas.PARTITION, 1).containsEntry("from_offset", 4L)
        .containsEntry("to_offset", 5L);
    assertThat(found.counted(Audit.RAW, "aged_out_offsets")).isEqualTo(2L);
    assertThat(found.counted(Audit.RAW, "missing_offsets")).isEqualTo(2L);
    // Stage 2 has not read raw's later versions: it is checked as of the version it completed,
    // so the rows deleted from raw since are still checked, and found.
    assertThat(found.counted(Audit.RAW_TO_BRONZE, "raw_rows_checked")).isEqualTo(20L);
    assertThat(found.count(Audit.RAW_TO_BRONZE, Audit.IN_NEITHER)).isEqualTo(1);
    assertThat(found.violation(Audit.RAW_TO_BRONZE, Audit.IN_NEITHER).examples().get(0))
        .containsEntry(TableSchemas.PARTITION, 0).containsEntry(TableSchemas.OFFSET, 6L);
    assertThat(found.count(Audit.RAW_TO_BRONZE, Audit.TWICE_IN_BRONZE)).isEqualTo(1);
    assertThat(found.violation(Audit.RAW_TO_BRONZE, Audit.TWICE_IN_BRONZE).examples().get(0))
        .containsEntry(TableSchemas.PARTITION, 1).containsEntry(TableSchemas.OFFSET, 3L);
    assertThat(found.count(Audit.RAW_TO_BRONZE, Audit.BRONZE_AND_DEAD_LETTER)).isEqualTo(1);
    assertThat(found.violation(Audit.RAW_TO_BRONZE, Audit.BRONZE_AND_DEAD_LETTER).examples()
        .get(0)).containsEntry(TableSchemas.PARTITION, 0).containsEntry(TableSchemas.OFFSET, 5L);
    assertThat(found.count(Audit.RAW_TO_BRONZE, Audit.SEVERAL_DEAD_LETTERS)).isZero();
    assertThat(found.count(Audit.RAW_TO_BRONZE, Audit.REDRIVEN_WITHOUT_BRONZE)).isZero();
    assertThat(found.count(Audit.BRONZE_TO_GOLD, Audit.GOLD_WRONG_VALUE)).isEqualTo(1);
    assertThat(found.violation(Audit.BRONZE_TO_GOLD, Audit.GOLD_WRONG_VALUE).examples().get(0))
        .containsEntry("sensor_id", "s-1").containsEntry("expected.temperature_c", 18.0)
        .containsEntry("gold.temperature_c", 99.0);
    assertThat(found.count(Audit.BRONZE_TO_GOLD, Audit.GOLD_MISSING_KEY)).isEqualTo(1);
    assertThat(found.violation(Audit.BRONZE_TO_GOLD, Audit.GOLD_MISSING_KEY).examples().get(0))
        .containsEntry("sensor_id", "s-3");
    assertThat(found.report().violationCount()).isEqualTo(8);

    // --json: the same figures, for machines.
    JsonNode json = AuditRuns.audit(spark, withKafka, "--json").json();
    assertThat(json.get("clean").asBoolean()).isFalse();
    assertThat(json.get("violations").asLong()).isEqualTo(8);
    JsonNode checks = json.get("checks");
    assertThat(checks.at("/raw/violations/" + Audit.DUPLICATE + "/count").asLong()).isEqualTo(1);
    assertThat(checks.at("/raw/violations/" + Audit.GAP_AGED_OUT + "/count").asLong())
        .isEqualTo(1);
    assertThat(checks.at("/raw/violations/" + Audit.GAP_MISSING + "/examples/0/from_offset")
        .asLong()).isEqualTo(4);
    assertThat(checks.at("/raw_to_bronze/counts/raw_rows_checked").asLong()).isEqualTo(20);
    assertThat(checks.at("/raw_to_bronze/violations/" + Audit.IN_NEITHER + "/count").asLong())
        .isEqualTo(1);
    assertThat(checks.at("/bronze_to_gold/violations/" + Audit.GOLD_MISSING_KEY + "/count")
        .asLong()).isEqualTo(1);

    // Bounds: raw as it was when stages 1 and 2 were done holds no duplicate and no gap; the
    // later checks still see what was planted in bronze and gold.
    AuditRuns.Result asIngested = AuditRuns.audit(spark, withKafka,
        "--to-version", Long.toString(ingestedVersion));
    assertThat(asIngested.counted(Audit.RAW, "rows")).isEqualTo(20L);
    assertThat(asIngested.report().section(Audit.RAW).violationCount()).isZero();
    assertThat(asIngested.count(Audit.RAW_TO_BRONZE, Audit.IN_NEITHER)).isEqualTo(1);
    assertThat(asIngested.count(Audit.BRONZE_TO_GOLD, Audit.GOLD_MISSING_KEY)).isEqualTo(1);
    // Only the duplicate's raw version: one row, and nothing of stage 2's (it never read it).
    AuditRuns.Result onlyTheCopy = AuditRuns.audit(spark, withKafka,
        "--from-version", Long.toString(ingestedVersion + 1),
        "--to-version", Long.toString(ingestedVersion + 1));
    assertThat(onlyTheCopy.counted(Audit.RAW, "rows")).isEqualTo(1L);
    assertThat(onlyTheCopy.report().section(Audit.RAW_TO_BRONZE).skipped).isTrue();
    // Rows ingested from tomorrow on: none, so nothing to find.
    AuditRuns.Result tomorrow = AuditRuns.audit(spark, withKafka,
        "--since", day.plus(2, ChronoUnit.DAYS).toString());
    assertThat(tomorrow.counted(Audit.RAW, "rows")).isEqualTo(0L);
    assertThat(tomorrow.counted(Audit.RAW_TO_BRONZE, "raw_rows_checked")).isEqualTo(0L);
    assertThat(tomorrow.counted(Audit.BRONZE_TO_GOLD, "keys_checked")).isEqualTo(0L);
    assertThat(tomorrow.exitStatus()).isZero();

    // A broker that does not answer: a warning, gaps unsplit, the audit still runs.
    AuditRuns.Result noBroker = AuditRuns.audit(spark, pipeline,
        "--bootstrap-servers", "127.0.0.1:1");
    assertThat(noBroker.report().warnings).singleElement().asString()
        .startsWith("Kafka at 127.0.0.1:1 did not answer");
    assertThat(noBroker.count(Audit.RAW, Audit.GAP)).isEqualTo(2);
    assertThat(noBroker.counted(Audit.RAW, "gap_offsets")).isEqualTo(4L);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
