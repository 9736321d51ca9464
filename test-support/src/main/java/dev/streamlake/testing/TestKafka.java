package dev.streamlake.testing;

import dev.streamlake.local.ForkedKafkaBroker;
import dev.streamlake.local.KafkaBroker;
import dev.streamlake.local.SyncProducer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartitionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

/**
 * One Kafka broker per test JVM, started on first use and stopped by a JVM shutdown hook, plus the
 * topic and producer helpers integration tests share.
 *
 * <p>Which broker: system property or environment variable {@value #MODE} = {@code forked} |
 * {@code container} | {@code auto} (default: Testcontainers when a Docker engine answers, else a
 * forked KRaft process).
 */
public final class TestKafka {
  /** Name of the system property and environment variable choosing the broker. */
  public static final String MODE = "STREAMLAKE_TEST_KAFKA";

  private static final Logger LOG = LoggerFactory.getLogger(TestKafka.class);
  private static final long TOPIC_TIMEOUT_MS = 30_000;
  private static final AtomicInteger TOPIC_COUNTER = new AtomicInteger();
  private static KafkaBroker broker;

  private TestKafka() {}

  /** The shared broker of this JVM, started on first call. */
  public static synchronized KafkaBroker broker() {
    if (broker == null) {
      String mode = mode();
      long start = System.nanoTime();
      KafkaBroker started =
          switch (mode) {
            case "forked" -> ForkedKafkaBroker.start();
            case "container" -> ContainerKafkaBroker.start();
            case "auto" -> autoBroker();
            default -> throw new IllegalArgumentException(
                MODE + " must be forked, container or auto, not '" + mode + "'");
          };
      LOG.info(
          "Test Kafka broker started: {} at {} ({}={}, {} ms)",
          started.kind(), started.bootstrapServers(), MODE, mode,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "test-kafka-stop"));
      broker = started;
    }
    return broker;
  }

  private static KafkaBroker autoBroker() {
    if (DockerClientFactory.instance().isDockerAvailable()) {
      return ContainerKafkaBroker.start();
    }
    // Testcontainers has just logged why it found no Docker engine; that is expected here.
    LOG.info("No Docker engine answered: starting Kafka as a forked KRaft process");
    return ForkedKafkaBroker.start();
  }

  /** Shortcut for {@code broker().bootstrapServers()}. */
  public static String bootstrapServers() {
    return broker().bootstrapServers();
  }

  private static String mode() {
    String value = System.getProperty(MODE);
    if (value == null || value.isBlank()) {
      value = System.getenv(MODE);
    }
    return value == null || value.isBlank() ? "auto" : value.trim().toLowerCase(Locale.ROOT);
  }

  /** A topic name no other test in this broker's life uses: {@code prefix-N-random}. */
  public static String uniqueTopic(String prefix) {
    if (!prefix.matches("[a-zA-Z0-9._-]{1,200}")) {
      throw new IllegalArgumentException(
          "Topic prefix '" + prefix + "' must be 1-200 of the characters a-z A-Z 0-9 . _ -");
    }
    return prefix + "-" + TOPIC_COUNTER.incrementAndGet() + "-"
        + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Creates a topic (replication factor 1) on the shared broker and returns once its metadata shows
   * every partition with a leader.
   */
  public static void createTopic(String topic, int partitions) {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1)))
          .all()
          .get(TOPIC_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TOPIC_TIMEOUT_MS);
      while (true) {
        try {
          TopicDescription description =
              admin.describeTopics(Set.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS).get(topic);
          List<TopicPartitionInfo> infos = description.partitions();
          if (infos.size() == partitions && infos.stream().allMatch(p -> p.leader() != null)) {
            LOG.info("Test topic {} created with {} partitions", topic, partitions);
            return;
          }
        } catch (ExecutionException | TimeoutException | KafkaException e) {
          // Metadata not visible yet: retry until the deadline.
        }
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException(
              "Topic " + topic + " was created but its " + partitions
                  + " partitions had no leaders within " + TOPIC_TIMEOUT_MS + " ms");
        }
        Thread.sleep(100);
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Cannot create topic " + topic + " on " + bootstrapServers(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while creating topic " + topic, e);
    }
  }

  /** An AdminClient for the shared broker; the caller closes it. */
  public static Admin admin() {
    return Admin.create(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
  }

  /**
   * Sends records to the shared broker with one short-lived {@link SyncProducer} and returns their
   * metadata in the same order, each acknowledged by the broker (acks=all).
   */
  public static List<RecordMetadata> produce(List<ProducerRecord<byte[], byte[]>> records) {
    try (SyncProducer producer = SyncProducer.create(bootstrapServers())) {
      return producer.sendAll(records);
    }
  }
}
