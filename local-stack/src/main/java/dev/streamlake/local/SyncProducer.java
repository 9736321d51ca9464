package dev.streamlake.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A byte-array producer for tests and the demo: acks=all, idempotence on, every send waits for
 * the broker's acknowledgement, so the caller knows exactly which offsets exist before a query
 * starts.
 */
public final class SyncProducer implements AutoCloseable {
  private static final long SEND_TIMEOUT_MS = 30_000;

  private final Producer<byte[], byte[]> producer;

  private SyncProducer(Producer<byte[], byte[]> producer) {
    this.producer = producer;
  }

  public static SyncProducer create(String bootstrapServers) {
    Map<String, Object> config =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
            ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
            ProducerConfig.LINGER_MS_CONFIG, 0,
            ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
            ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) SEND_TIMEOUT_MS,
            ProducerConfig.MAX_BLOCK_MS_CONFIG, SEND_TIMEOUT_MS);
    return new SyncProducer(
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer()));
  }

  /**
   * Sends one record and waits for its acknowledgement.
   *
   * @param partition the partition, or null for the key's default partitioning
   * @param headers record headers, in order; null or empty for none
   */
  public RecordMetadata send(
      String topic, Integer partition, byte[] key, byte[] value, Iterable<Header> headers) {
    return send(new ProducerRecord<>(topic, partition, key, value, headers));
  }

  public RecordMetadata send(ProducerRecord<byte[], byte[]> record) {
    return sendAll(List.of(record)).get(0);
  }

  /**
   * Sends records in order and waits until the broker has acknowledged all of them; returns their
   * metadata (partition, offset) in the same order.
   */
  public List<RecordMetadata> sendAll(List<ProducerRecord<byte[], byte[]>> records) {
    List<Future<RecordMetadata>> pending = new ArrayList<>(records.size());
    for (ProducerRecord<byte[], byte[]> record : records) {
      pending.add(producer.send(record));
    }
    producer.flush();
    List<RecordMetadata> acknowledged = new ArrayList<>(records.size());
    for (int i = 0; i < pending.size(); i++) {
      try {
        acknowledged.add(pending.get(i).get(SEND_TIMEOUT_MS, TimeUnit.MILLISECONDS));
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException(
            "Record " + i + " to topic " + records.get(i).topic() + " was not acknowledged", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while sending to " + records.get(i).topic(), e);
      }
    }
    return acknowledged;
  }

  /** Flushes what is pending and closes the producer. */
  @Override
  public void close() {
    producer.flush();
    producer.close(Duration.ofMillis(SEND_TIMEOUT_MS));
  }
}
