package dev.streamlake.e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The chaos run's producer: sends the samples in order at a steady rate until stopped, and keeps
 * where Kafka put each one. Idempotent, with a delivery timeout longer than any broker outage of the
 * run, so an outage stalls it (the time is counted) and never makes it send a record twice or lose
 * one; records of one key keep their order.
 */
final class ChaosProducer implements Runnable {
  private static final Duration DELIVERY_TIMEOUT = Duration.ofMinutes(5);
  private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(2);

  private final KafkaProducer<byte[], byte[]> producer;
  private final SampleReadings samples;
  private final String topic;
  private final int perTick;
  private final int[] partitions;
  private final long[] offsets;
  private volatile boolean stopRequested;
  private volatile int sent;
  private volatile long stalledNanos;
  private volatile Throwable failure;

  ChaosProducer(String bootstrapServers, String topic, SampleReadings samples, int recordsPerSecond) {
    this.producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) DELIVERY_TIMEOUT.toMillis(),
        ProducerConfig.MAX_BLOCK_MS_CONFIG, DELIVERY_TIMEOUT.toMillis()),
        new ByteArraySerializer(), new ByteArraySerializer());
    this.samples = samples;
    this.topic = topic;
    this.perTick = Math.max(1, recordsPerSecond / 10);
    this.partitions = new int[samples.size()];
    this.offsets = new long[samples.size()];
  }

  @Override
  public void run() {
    List<SampleReadings.Sample> all = samples.samples();
    long next = System.nanoTime();
    try {
      while (!stopRequested && sent < all.size()) {
        int from = sent;
        int to = Math.min(all.size(), from + perTick);
        List<Future<RecordMetadata>> acks = new ArrayList<>(to - from);
        long start = System.nanoTime();
        for (int i = from; i < to; i++) {
          acks.add(producer.send(all.get(i).toRecord(topic)));
        }
        for (int i = from; i < to; i++) {
          RecordMetadata m = acks.get(i - from).get();
          partitions[i] = m.partition();
          offsets[i] = m.offset();
        }
        long took = System.nanoTime() - start;
        if (took > STALL_NANOS) {
          stalledNanos += took;
        }
        sent = to;
        next += TICK_NANOS;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        } else {
          // Behind after a stall: carry on at the rate instead of sending the backlog in a burst.
          next = System.nanoTime();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = e;
    } catch (ExecutionException | RuntimeException e) {
      failure = e instanceof ExecutionException ? e.getCause() : e;
    } finally {
      producer.close(Duration.ofSeconds(30));
    }
  }

  void requestStop() {
    stopRequested = true;
  }

  /** Records acknowledged so far: the first {@code sent()} samples, in order. */
  int sent() {
    return sent;
  }

  /** Time spent waiting more than 2 s for a tick's acknowledgements (a broker outage). */
  Duration stalled() {
    return Duration.ofNanos(stalledNanos);
  }

  /** Why sending stopped early, or null. */
  Throwable failure() {
    return failure;
  }

  int partition(int sample) {
    return partitions[sample];
  }

  long offset(int sample) {
    return offsets[sample];
  }
}
