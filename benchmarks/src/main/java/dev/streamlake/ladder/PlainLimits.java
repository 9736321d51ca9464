package dev.streamlake.ladder;

import dev.streamlake.local.SensorReadingPayloads;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two limits that need no Spark, each the simplest code that does only that step, run in the
 * ladder's own JVM (CPU = the process's CPU time over the loop):
 * <ul>
 *   <li>a plain {@code KafkaConsumer} drain of the topic, default client settings;
 *   <li>a plain Avro decode loop: one thread, {@code GenericDatumReader} of the v2 schema over
 *       every payload after its 5-byte header, decoder and record reused.
 * </ul>
 */
final class PlainLimits {
  private static final Logger LOG = LoggerFactory.getLogger(PlainLimits.class);

  private PlainLimits() {}

  /** Reads the topic from the beginning to the end offsets it had when the drain started. */
  static RunRecord drain(String bootstrap, String topic, int round, long expected) {
    String load = Machine.loadAverage();
    long cpu0 = processCpuNanos();
    long t0 = System.nanoTime();
    long records = 0;
    long bytes = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = TopicData.consumer(bootstrap)) {
      Map<TopicPartition, Long> end = TopicData.endOffsets(bootstrap, topic);
      consumer.assign(end.keySet());
      consumer.seekToBeginning(end.keySet());
      while (!reached(consumer, end)) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          records++;
          bytes += r.value() == null ? 0 : r.value().length;
        }
      }
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    double cpu = (processCpuNanos() - cpu0) / 1e9;
    LOG.info("limit.kafka-drain round {}: {} records, {} MB in {} s", round, records, bytes >> 20,
        String.format("%.2f", wall));
    String failure = records == expected ? null
        : "read " + records + " records, expected " + expected;
    return RunRecord.inProcess("limit.kafka-drain", round, records, wall, cpu, load,
        Machine.loadAverage(), failure);
  }

  private static boolean reached(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (c.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** The topic's values, read once and kept in memory for the decode loop (not timed). */
  static Payloads load(String bootstrap, String topic) {
    Payloads payloads = new Payloads();
    try (KafkaConsumer<byte[], byte[]> consumer = TopicData.consumer(bootstrap)) {
      Map<TopicPartition, Long> end = TopicData.endOffsets(bootstrap, topic);
      consumer.assign(end.keySet());
      consumer.seekToBeginning(end.keySet());
      while (!reached(consumer, end)) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          payloads.add(r.value() == null ? new byte[0] : r.value());
        }
      }
    }
    return payloads;
  }

  /** Decodes every payload once. */
  static RunRecord decode(Payloads payloads, int round) {
    Schema schema = SensorReadingPayloads.schema(SensorReadingPayloads.V2);
    GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(schema);
    String load = Machine.loadAverage();
    long cpu0 = processCpuNanos();
    long t0 = System.nanoTime();
    BinaryDecoder decoder = null;
    GenericRecord record = null;
    long ok = 0;
    long failed = 0;
    double checksum = 0;
    for (int c = 0; c < payloads.chunks.size(); c++) {
      byte[] chunk = payloads.chunks.get(c);
      int end = payloads.ends.get(c);
      int pos = 0;
      while (pos < end) {
        int length = readInt(chunk, pos);
        int start = pos + 4;
        pos = start + length;
        if (length < 5 || chunk[start] != 0) {
          failed++;
          continue;
        }
        decoder = DecoderFactory.get().binaryDecoder(chunk, start + 5, length - 5, decoder);
        try {
          record = reader.read(record, decoder);
          checksum += (Double) record.get(2);
          ok++;
        } catch (IOException | RuntimeException e) {
          failed++;
        }
      }
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    double cpu = (processCpuNanos() - cpu0) / 1e9;
    LOG.info("limit.avro-decode round {}: {} decoded, {} failed in {} s (checksum {})", round, ok,
        failed, String.format("%.2f", wall), checksum);
    return RunRecord.inProcess("limit.avro-decode", round, ok + failed, wall, cpu, load,
        Machine.loadAverage(), null);
  }

  private static int readInt(byte[] b, int pos) {
    return ((b[pos] & 0xff) << 24) | ((b[pos + 1] & 0xff) << 16) | ((b[pos + 2] & 0xff) << 8)
        | (b[pos + 3] & 0xff);
  }

  static long processCpuNanos() {
    Object os = ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun
        ? sun.getProcessCpuTime() : -1;
  }

  /** Length-prefixed payloads in 16 MiB chunks: millions of them without millions of objects. */
  static final class Payloads {
    private static final int CHUNK = 16 << 20;
    final List<byte[]> chunks = new ArrayList<>();
    /** How many bytes of each chunk are used. */
    final List<Integer> ends = new ArrayList<>();
    long count;

    void add(byte[] payload) {
      int need = payload.length + 4;
      int last = chunks.size() - 1;
      if (last < 0 || ends.get(last) + need > chunks.get(last).length) {
        chunks.add(new byte[Math.max(CHUNK, need)]);
        ends.add(0);
        last++;
      }
      byte[] c = chunks.get(last);
      int used = ends.get(last);
      c[used] = (byte) (payload.length >>> 24);
      c[used + 1] = (byte) (payload.length >>> 16);
      c[used + 2] = (byte) (payload.length >>> 8);
      c[used + 3] = (byte) payload.length;
      System.arraycopy(payload, 0, c, used + 4, payload.length);
      ends.set(last, used + need);
      count++;
    }
  }
}
