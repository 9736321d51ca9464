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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
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
    String topic = "outage";
    ForkedKafkaBroker broker = brokerWithTwentyRecords(topic);
    int port = broker.port();
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

  /**
   * An outage longer than the Kafka source's retries fails the query (shortened here with
   * {@code default.api.timeout.ms}: about three minutes with Kafka's defaults). Stage 1 then waits
   * for the broker and resumes the query from its checkpoint by itself.
   */
  @Test
  void anOutageLongerThanTheSourcesRetriesIsRiddenOutByResumingTheQuery() throws Exception {
    String topic = "long-outage";
    ForkedKafkaBroker broker = brokerWithTwentyRecords(topic);
    int port = broker.port();
    RawIngestConfig config = RawIngestConfig.fromArgs(new String[] {"--lake", lake.toString(),
        "--bootstrap-servers", broker.bootstrapServers(), "--topic", topic,
        "--trigger", "processingTime:1s", "--wait-for-topic", "5m",
        "--kafka.default.api.timeout.ms=4000", "--kafka.request.timeout.ms=3000"});
    List<String> failures = new CopyOnWriteArrayList<>();
    AtomicInteger starts = new AtomicInteger();
    StreamingQueryListener listener = new StreamingQueryListener() {
      @Override
      public void onQueryStarted(QueryStartedEvent event) {
        starts.incrementAndGet();
      }

      @Override
      public void onQueryProgress(QueryProgressEvent event) {}

      @Override
      public void onQueryTerminated(QueryTerminatedEvent event) {
        event.exception().foreach(failures::add);
      }
    };
    spark.streams().addListener(listener);
    AtomicReference<Throwable> ended = new AtomicReference<>();
    Thread stage = new Thread(() -> {
      try {
        RawIngestJob.run(spark, config);
      } catch (Throwable t) {
        ended.set(t);
      }
    }, "stage-1");
    stage.start();
    try {
      await().atMost(Duration.ofMinutes(2)).until(() -> rawRows() == 20);
      broker.close();
      await("the query fails once the source's retries are over").atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(1)).until(() -> !failures.isEmpty());
      assertThat(failures.get(0)).contains("TimeoutException");
      assertThat(stage.isAlive()).as("stage 1 waits for the broker: %s", ended.get()).isTrue();
      Thread.sleep(5_000);
      assertThat(stage.isAlive()).as("stage 1 still waits: %s", ended.get()).isTrue();

      broker = ForkedKafkaBroker.start(port, brokerDir);
      produce(broker.bootstrapServers(), topic, 20, 50);
      await("stage 1 resumes and reads what was produced meanwhile").atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(1)).until(() -> rawRows() == 50 || !stage.isAlive());
      assertThat(ended.get()).isNull();
      assertThat(starts.get()).as("query starts").isEqualTo(2);
      assertThat(spark.read().format("delta").load(rawPath()).select("partition", "offset")
          .distinct().count()).isEqualTo(50);
      assertThat(rawRows()).isEqualTo(50);
    } finally {
      for (StreamingQuery q : spark.streams().active()) {
        q.stop();
      }
      stage.join(TimeUnit.MINUTES.toMillis(1));
      spark.streams().removeListener(listener);
      broker.close();
    }
    assertThat(ended.get()).as("a stopped query ends stage 1 without an error").isNull();
  }

  /** A broker with its data in {@code brokerDir}, and 20 records in two partitions of {@code topic}. */
  private ForkedKafkaBroker brokerWithTwentyRecords(String topic) throws Exception {
    ForkedKafkaBroker broker = ForkedKafkaBroker.start(0, brokerDir);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    produce(broker.bootstrapServers(), topic, 0, 20);
    return broker;
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
