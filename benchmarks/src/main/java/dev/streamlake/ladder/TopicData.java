package dev.streamlake.ladder;

import dev.streamlake.bench.BenchPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ladder's data: a topic filled once from a seeded generator and then only read. Readings
 * come from {@link BenchPayloads#reading} (sensor {@code i % sensors}, day
 * {@code (i / sensors) % days}), valid v2 Avro in the Confluent wire format, keyed by sensor id;
 * every {@code 100 / brokenPct}-th record is one of {@link BenchPayloads#broken}'s eight broken
 * kinds. The same seed gives the same bytes in every run.
 */
final class TopicData {
  private static final Logger LOG = LoggerFactory.getLogger(TopicData.class);

  /** What to generate. */
  record Spec(String topic, int partitions, long records, long seed, double brokenPct,
      int sensors, int days) {}

  /** What was produced. */
  record Produced(String topic, long records, long broken, long bytes, double seconds) {}

  private TopicData() {}

  static Produced produce(String bootstrap, Spec spec) {
    createTopic(bootstrap, spec.topic(), spec.partitions());
    Random random = new Random(spec.seed());
    ReadingEncoder encoder = new ReadingEncoder();
    long brokenEvery = spec.brokenPct() <= 0 ? Long.MAX_VALUE
        : Math.max(1, Math.round(100 / spec.brokenPct()));
    long broken = 0;
    long bytes = 0;
    AtomicReference<Exception> error = new AtomicReference<>();
    AtomicLong acked = new AtomicLong();
    long t0 = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap)) {
      for (long i = 0; i < spec.records(); i++) {
        byte[] key;
        byte[] value;
        if (i % brokenEvery == brokenEvery - 1) {
          key = ("broken-" + broken).getBytes(StandardCharsets.UTF_8);
          value = BenchPayloads.broken(random, broken).payload();
          broken++;
        } else {
          Reading r = BenchPayloads.reading(random, i, spec.sensors(), spec.days());
          key = r.sensorId().getBytes(StandardCharsets.UTF_8);
          value = encoder.v2(r);
        }
        bytes += key.length + value.length;
        producer.send(new ProducerRecord<>(spec.topic(), key, value), (metadata, e) -> {
          if (e != null) {
            error.compareAndSet(null, e);
          } else {
            acked.incrementAndGet();
          }
        });
        if (error.get() != null) {
          break;
        }
        if ((i + 1) % 1_000_000 == 0) {
          LOG.info("Topic {}: {} of {} records sent", spec.topic(), i + 1, spec.records());
        }
      }
      producer.flush();
    }
    if (error.get() != null || acked.get() != spec.records()) {
      throw new IllegalStateException("Producing " + spec.records() + " records to " + spec.topic()
          + " failed after " + acked.get() + " acknowledged", error.get());
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    LOG.info("Topic {}: {} records ({} broken, {} MB) in {} s", spec.topic(), spec.records(),
        broken, bytes >> 20, String.format("%.1f", seconds));
    return new Produced(spec.topic(), spec.records(), broken, bytes, seconds);
  }

  /** A producer tuned for bulk loading; acks=all as Kafka's clients default to. */
  static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 10,
        ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
        ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
    return new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** The topic's partitions with their end offsets. */
  static Map<TopicPartition, Long> endOffsets(String bootstrap, String topic) {
    try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap)) {
      List<TopicPartition> partitions = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      return c.endOffsets(partitions, Duration.ofSeconds(30));
    }
  }

  static void createTopic(String bootstrap, String topic, int partitions) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all()
          .get(30, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline) {
        TopicDescription d = admin.describeTopics(Set.of(topic)).allTopicNames()
            .get(10, TimeUnit.SECONDS).get(topic);
        if (d.partitions().size() == partitions
            && d.partitions().stream().allMatch(p -> p.leader() != null)) {
          return;
        }
        Thread.sleep(100);
      }
      throw new IllegalStateException("Topic " + topic + " has no leaders after 30 s");
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Cannot create topic " + topic + " on " + bootstrap, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while creating topic " + topic, e);
    }
  }

  /** Partition list of a topic, for starting-offsets JSON. */
  static List<TopicPartition> partitions(Map<TopicPartition, Long> endOffsets) {
    List<TopicPartition> out = new ArrayList<>(endOffsets.keySet());
    out.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
    return out;
  }
}
