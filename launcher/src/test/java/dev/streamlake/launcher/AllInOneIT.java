package dev.streamlake.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import dev.streamlake.testing.TestKafka;
import dev.streamlake.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deployment shape 1: three queries in one driver, fail fast. */
class AllInOneIT {

  @TempDir Path lake;

  private final SparkSession spark = TestSpark.session();

  @Test
  void backfillRunsTheStagesInOrderIntoGold() throws Exception {
    String topic = TestKafka.uniqueTopic("all-in-one");
    TestKafka.createTopic(topic, 2);
    Instant day = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(1, ChronoUnit.DAYS);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    records.add(reading(topic, Reading.of("s-1", day.plusSeconds(60), 20.0)));
    records.add(reading(topic, Reading.of("s-1", day.plusSeconds(120), 21.5)));
    records.add(reading(topic, Reading.of("s-1", day.plusSeconds(30), 19.0)));  // late, older
    records.add(reading(topic, Reading.of("s-2", day.plusSeconds(10), 5.0)));
    records.add(new ProducerRecord<>(topic, bytes("s-3"), bytes("not avro")));
    TestKafka.produce(records);

    AllInOneConfig config = AllInOneConfig.fromArgs(args(topic, "availableNow"));
    AllInOneJob.run(spark, config);

    var s = config.merge().settings();
    assertThat(s.raw().read(spark).count()).isEqualTo(5);
    assertThat(s.bronze().read(spark).count()).isEqualTo(4);
    assertThat(s.deadLetter().read(spark).count()).isEqualTo(1);
    List<Row> gold = s.gold().read(spark).orderBy("sensor_id").collectAsList();
    assertThat(gold).hasSize(2);
    assertThat(gold.get(0).<Double>getAs("temperature_c")).isEqualTo(21.5);
    assertThat(gold.get(1).<Double>getAs("temperature_c")).isEqualTo(5.0);
  }

  @Test
  void tombstonesDeleteGoldRowsWhenThePipelineSaysSo() throws Exception {
    String topic = TestKafka.uniqueTopic("all-in-one-deletes");
    TestKafka.createTopic(topic, 1);
    // Gold keyed on the Kafka key, so a tombstone (no fields) still names its row.
    java.nio.file.Path pipeline = lake.resolve("deletes.json");
    java.nio.file.Files.writeString(pipeline, """
        {"name": "sensor_readings", "topic": "%s",
         "schemas": {"directory": "classpath:schemas/sensor_readings", "readerId": 2},
         "gold": {"key": ["sensor"], "sequence": ["offset"], "partitionBy": [],
                  "derived": [{"name": "sensor", "expression": "CAST(kafka_key AS STRING)"}],
                  "deleteWhen": "tombstone"}}
        """.formatted(topic));
    Instant day = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(1, ChronoUnit.DAYS);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    records.add(reading(topic, Reading.of("s-1", day.plusSeconds(60), 20.0)));
    records.add(reading(topic, Reading.of("s-2", day.plusSeconds(60), 5.0)));
    records.add(new ProducerRecord<>(topic, bytes("s-1"), null));  // deletes s-1
    records.add(new ProducerRecord<>(topic, null, null));  // no key: deletes nothing
    records.add(reading(topic, Reading.of("s-3", day.plusSeconds(60), 7.0)));
    records.add(new ProducerRecord<>(topic, bytes("s-3"), null));
    records.add(reading(topic, Reading.of("s-3", day.plusSeconds(120), 8.0)));  // back again
    TestKafka.produce(records);

    String[] base = args(topic, "availableNow");
    String[] withConfig = java.util.Arrays.copyOf(base, base.length + 2);
    withConfig[base.length] = "--config";
    withConfig[base.length + 1] = pipeline.toString();
    AllInOneConfig config = AllInOneConfig.fromArgs(withConfig);
    AllInOneJob.run(spark, config);

    var s = config.merge().settings();
    assertThat(s.raw().read(spark).count()).isEqualTo(7);
    // The two keyed tombstones are bronze rows; only the keyless one is a dead letter.
    assertThat(s.bronze().read(spark).where("tombstone").count()).isEqualTo(2);
    assertThat(s.bronze().read(spark).where("NOT tombstone").count()).isEqualTo(4);
    List<Row> dead = s.deadLetter().read(spark).collectAsList();
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).<String>getAs("error_code")).isEqualTo("EMPTY_PAYLOAD");
    List<Row> gold = s.gold().read(spark).orderBy("sensor").collectAsList();
    assertThat(gold).extracting(r -> r.<String>getAs("sensor") + "=" + r.<Double>getAs("temperature_c"))
        .containsExactly("s-2=5.0", "s-3=8.0");
  }

  @Test
  void whenOneQueryFailsTheDriverStopsTheOthersAndFailsNamingIt() throws Exception {
    String topic = TestKafka.uniqueTopic("all-in-one-poison");
    TestKafka.createTopic(topic, 1);
    List<ProducerRecord<byte[], byte[]>> poison = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      poison.add(new ProducerRecord<>(topic, bytes("s-" + i), bytes("garbage " + i)));
    }
    TestKafka.produce(poison);

    String[] args = args(topic, "processingTime:2s");
    String[] withLimit = new String[args.length + 2];
    System.arraycopy(args, 0, withLimit, 0, args.length);
    withLimit[args.length] = "--dead-letter-limit";
    withLimit[args.length + 1] = "0.5";
    AllInOneConfig config = AllInOneConfig.fromArgs(withLimit);

    Map<String, Instant> terminated = new ConcurrentHashMap<>();
    StreamingQueryListener recorder = new StreamingQueryListener() {
      private final Map<java.util.UUID, String> names = new ConcurrentHashMap<>();
      @Override public void onQueryStarted(QueryStartedEvent event) {
        names.put(event.id(), event.name());
      }
      @Override public void onQueryProgress(QueryProgressEvent event) {}
      @Override public void onQueryTerminated(QueryTerminatedEvent event) {
        terminated.put(names.getOrDefault(event.id(), "?"), Instant.now());
      }
    };
    spark.streams().addListener(recorder);
    Throwable failure;
    Instant failedAt;
    try {
      CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
        try {
          AllInOneJob.run(spark, config);
          return null;
        } catch (Throwable t) {
          return t;
        }
      });
      failure = outcome.get(180, TimeUnit.SECONDS);
      failedAt = Instant.now();
      // Spark delivers listener events on its own thread, after the query has ended: the last
      // query stopped may be reported a moment after the driver gave up.
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> terminated.size() >= 3);
    } finally {
      spark.streams().removeListener(recorder);
    }
    assertThat(failure).isInstanceOf(PipelineFailedException.class);
    PipelineFailedException e = (PipelineFailedException) failure;
    assertThat(e.queryName()).isEqualTo("sensor_readings.deserialize.raw-to-bronze");
    assertThat(e.getMessage())
        .contains("sensor_readings.deserialize.raw-to-bronze failed")
        .contains("DeadLetterLimitExceededException");

    // The other stages' queries were stopped, not left running in a half-dead driver.
    for (StreamingQuery q : spark.streams().active()) {
      assertThat(q.name()).doesNotStartWith("sensor_readings.");
    }
    assertThat(terminated).containsKeys("sensor_readings.raw-ingest.kafka-to-raw",
        "sensor_readings.deserialize.raw-to-bronze", "sensor_readings.merge.bronze-to-gold");
    // The driver failed within 30 s of the failing query's end.
    assertThat(Duration.between(terminated.get("sensor_readings.deserialize.raw-to-bronze"), failedAt))
        .isLessThan(Duration.ofSeconds(30));
  }

  private String[] args(String topic, String trigger) {
    return new String[] {
        "--lake", lake.toString(),
        "--bootstrap-servers", TestKafka.bootstrapServers(),
        "--topic", topic,
        "--trigger", trigger};
  }

  private static ProducerRecord<byte[], byte[]> reading(String topic, Reading r) {
    return new ProducerRecord<>(topic, bytes(r.sensorId()), SensorReadingPayloads.v2(r));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
