package dev.streamlake.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.streamlake.testing.TestKafka;
import dev.streamlake.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stage 1 when Kafka changes under it, against a real broker: records deleted by retention while
 * the stage was stopped, partitions added while it runs, a topic deleted and created again. Each
 * case runs the stage as its main does: the start-up checks ({@link TopicWaiter#awaitTopics}),
 * then the query.
 */
class KafkaFaultsIT {

  @TempDir Path lake;

  private final SparkSession spark = TestSpark.session();

  @Test
  void recordsDeletedBeforeStageOneReadThemStopItNamingThemOrAreSkippedWhenToldSo()
      throws Exception {
    String topic = TestKafka.uniqueTopic("aged-out");
    TestKafka.createTopic(topic, 2);
    produce(topic, 0, 10);
    produce(topic, 1, 10);
    ingest(config(topic, "availableNow", true));

    produce(topic, 0, 10);
    produce(topic, 1, 10);
    // What retention does to a partition's oldest segments, done at a chosen offset.
    TestKafka.admin().deleteRecords(Map.of(new TopicPartition(topic, 0),
        RecordsToDelete.beforeOffset(15))).all().get(30, TimeUnit.SECONDS);

    assertThatThrownBy(() -> TopicWaiter.awaitTopics(config(topic, "availableNow", true)))
        .isInstanceOf(KafkaDataLossException.class)
        .hasMessageContaining("topic '" + topic + "' partition 0: offsets 10 to 14 (5 records)"
            + " were deleted before stage 1 read them")
        .hasMessageContaining("--fail-on-data-loss is true")
        .hasMessageContaining("start it once with --fail-on-data-loss false")
        .hasMessageNotContaining("partition 1");
    assertThat(offsets(topic, 0)).as("nothing read after the refusal").hasSize(10);

    ingest(config(topic, "availableNow", false));
    assertThat(offsets(topic, 0)).containsExactlyElementsOf(range(0, 10, 15, 20));
    assertThat(offsets(topic, 1)).containsExactlyElementsOf(range(0, 20));
  }

  @Test
  void partitionsAddedWhileStageOneRunsAreReadFromTheirStart() throws Exception {
    String topic = TestKafka.uniqueTopic("grown");
    TestKafka.createTopic(topic, 1);
    produce(topic, 0, 5);
    RawIngestConfig config = config(topic, "processingTime:1s", true);
    TopicWaiter.awaitTopics(config);
    StreamingQuery query = RawIngestQuery.start(spark, config);
    try {
      await("the first records").atMost(Duration.ofMinutes(2))
          .until(() -> offsets(topic, 0).size() == 5);
      TestKafka.admin().createPartitions(Map.of(topic, NewPartitions.increaseTo(3)))
          .all().get(30, TimeUnit.SECONDS);
      produce(topic, 1, 4);
      produce(topic, 2, 4);
      produce(topic, 0, 1);
      await("records of the new partitions").atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> offsets(topic, 1).size() == 4 && offsets(topic, 2).size() == 4);
      assertThat(query.exception().isEmpty()).isTrue();
    } finally {
      query.stop();
    }
    assertThat(offsets(topic, 0)).containsExactlyElementsOf(range(0, 6));
    assertThat(offsets(topic, 1)).containsExactlyElementsOf(range(0, 4));
    assertThat(offsets(topic, 2)).containsExactlyElementsOf(range(0, 4));
  }

  @Test
  void aTopicDeletedAndCreatedAgainStopsStageOneInsteadOfRepeatingOffsets() throws Exception {
    String topic = TestKafka.uniqueTopic("recreated");
    TestKafka.createTopic(topic, 1);
    produce(topic, 0, 12);
    ingest(config(topic, "availableNow", true));

    TestKafka.admin().deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
    await("the topic is gone").atMost(Duration.ofMinutes(1)).until(() ->
        !TestKafka.admin().listTopics().names().get(30, TimeUnit.SECONDS).contains(topic));
    await("the topic is created again").atMost(Duration.ofMinutes(1)).ignoreExceptions()
        .until(() -> {
          TestKafka.createTopic(topic, 1);
          return true;
        });
    produce(topic, 0, 3);

    assertThatThrownBy(() -> TopicWaiter.awaitTopics(config(topic, "availableNow", true)))
        .isInstanceOf(KafkaDataLossException.class)
        .hasMessageContaining("topic '" + topic + "' partition 0: stage 1 has read up to offset"
            + " 12 but Kafka's newest offset is 3, so the partition was re-created or truncated")
        .hasMessageContaining("give the new topic another name");
    assertThat(offsets(topic, 0)).as("raw keeps the first topic's records only")
        .containsExactlyElementsOf(range(0, 12));
  }

  private RawIngestConfig config(String topic, String trigger, boolean failOnDataLoss) {
    return RawIngestConfig.fromArgs(new String[] {"--lake", lake.toString(),
        "--bootstrap-servers", TestKafka.bootstrapServers(), "--topic", topic,
        "--trigger", trigger, "--fail-on-data-loss", Boolean.toString(failOnDataLoss),
        "--wait-for-topic", "0s"});
  }

  private void ingest(RawIngestConfig config) throws Exception {
    TopicWaiter.awaitTopics(config);
    StreamingQuery q = RawIngestQuery.start(spark, config);
    q.awaitTermination();
    assertThat(q.exception().isEmpty()).as("query failed: %s", q.exception()).isTrue();
  }

  private static void produce(String topic, int partition, int n) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      records.add(new ProducerRecord<>(topic, partition, null,
          ("r" + i).getBytes(StandardCharsets.UTF_8)));
    }
    TestKafka.produce(records);
  }

  /** The offsets raw holds for one partition, ascending. */
  private List<Long> offsets(String topic, int partition) {
    Path table = lake.resolve("raw").resolve("sensor_readings");
    if (!table.resolve("_delta_log").toFile().isDirectory()) {
      return List.of();
    }
    List<Long> list = new ArrayList<>();
    for (Row r : spark.read().format("delta").load(table.toString())
        .where("topic = '" + topic + "' AND partition = " + partition).select("offset")
        .orderBy("offset").collectAsList()) {
      list.add(r.getLong(0));
    }
    assertThat(list).as("offsets of %s-%d in raw, each once", topic, partition)
        .doesNotHaveDuplicates();
    return list;
  }

  /** Offsets from..to (exclusive), and more such pairs. */
  private static List<Long> range(long... bounds) {
    List<Long> offsets = new ArrayList<>();
    for (int i = 0; i < bounds.length; i += 2) {
      for (long o = bounds[i]; o < bounds[i + 1]; o++) {
        offsets.add(o);
      }
    }
    return offsets;
  }
}
