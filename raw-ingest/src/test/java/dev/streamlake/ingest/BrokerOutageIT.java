package dev.streamlake.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.streamlake.local.ForkedKafkaBroker;
import dev.streamlake.local.SyncProducer;
import dev.streamlake.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stage 1 while its only broker is down for a while and comes back on the same address. */
class BrokerOutageIT {
  static final Duration OUTAGE = Duration.ofSeconds(40);

  @TempDir Path lake;
  @TempDir Path brokerDir;

  private final SparkSession spark = TestSpark.session();

  @Test
  void stageOneRidesOutABrokerOutageAndLosesNothing() throws Exception {
    ForkedKafkaBroker broker = ForkedKafkaBroker.start(0, brokerDir);
    int port = broker.port();
    String topic = "outage";
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    produce(broker.bootstrapServers(), topic, 0, 20);
    RawIngestConfig config = RawIngestConfig.fromArgs(new String[] {"--lake", lake.toString(),
        "--bootstrap-servers", broker.bootstrapServers(), "--topic", topic,
        "--trigger", "processingTime:1s"});
    TopicWaiter.awaitTopics(config);
    StreamingQuery query = RawIngestQuery.start(spark, config);
    try {
      await().atMost(Duration.ofMinutes(2)).until(() -> rawRows() == 20);
      broker.close();
      Instant down = Instant.now();
      Thread.sleep(OUTAGE.toMillis());
      assertThat(query.isActive()).as("stage 1 still runs after %s without a broker: %s",
          Duration.between(down, Instant.now()), query.exception()).isTrue();
      broker = ForkedKafkaBroker.start(port, brokerDir);
      produce(broker.bootstrapServers(), topic, 20, 50);
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
          .until(() -> rawRows() == 50 || !query.isActive());
      assertThat(query.exception().isEmpty()).as("%s", query.exception()).isTrue();
      assertThat(rawRows()).isEqualTo(50);
      assertThat(spark.read().format("delta").load(rawPath()).select("partition", "offset")
          .distinct().count()).isEqualTo(50);
    } finally {
      query.stop();
      broker.close();
    }
  }

  private long rawRows() {
    return Path.of(rawPath(), "_delta_log").toFile().isDirectory()
        ? spark.read().format("delta").load(rawPath()).count() : 0;
  }

  private String rawPath() {
    return lake.resolve("raw").resolve("sensor_readings").toString();
  }

  private static void produce(String bootstrap, String topic, int from, int to) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = from; i < to; i++) {
      records.add(new ProducerRecord<>(topic, i % 2, null, ("r" + i).getBytes(StandardCharsets.UTF_8)));
    }
    try (SyncProducer producer = SyncProducer.create(bootstrap)) {
      producer.sendAll(records);
    }
  }
}
