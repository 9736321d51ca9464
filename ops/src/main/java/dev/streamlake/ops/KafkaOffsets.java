package dev.streamlake.ops;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * Offsets Kafka holds per partition: the earliest (below it, records were deleted by retention or
 * {@code deleteRecords}; the audit's aged-out gaps) and the latest (the next offset to be
 * written; status's lag of stage 1). One {@code ListOffsets} request with a short timeout: a
 * command must not hang on a broker that does not answer.
 */
final class KafkaOffsets {

  static final String CLIENT_ID = "streamlake-ops";
  private static final int TIMEOUT_MS = 10_000;

  private KafkaOffsets() {}

  /** Topic and partition to earliest offset; throws when the broker cannot be asked. */
  static Map<TopicPartition, Long> of(String bootstrapServers, Map<String, String> kafkaOptions,
      Collection<TopicPartition> partitions) throws Exception {
    return offsets(bootstrapServers, kafkaOptions, partitions, OffsetSpec.earliest());
  }

  /** Topic and partition to the next offset Kafka will write; throws when it cannot be asked. */
  static Map<TopicPartition, Long> latest(KafkaAccess kafka, Collection<TopicPartition> partitions)
      throws Exception {
    return offsets(kafka.bootstrapServers(), kafka.options(), partitions, OffsetSpec.latest());
  }

  private static Map<TopicPartition, Long> offsets(String bootstrapServers,
      Map<String, String> kafkaOptions, Collection<TopicPartition> partitions, OffsetSpec spec)
      throws Exception {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    partitions.forEach(tp -> request.put(tp, spec));
    Map<TopicPartition, Long> earliest = new HashMap<>();
    if (request.isEmpty()) {
      return earliest;
    }
    try (Admin admin = Admin.create(properties(bootstrapServers, kafkaOptions))) {
      var result = admin.listOffsets(request, new ListOffsetsOptions().timeoutMs(TIMEOUT_MS));
      for (var e : result.all().get(TIMEOUT_MS + 2_000L, TimeUnit.MILLISECONDS).entrySet()) {
        earliest.put(e.getKey(), e.getValue().offset());
      }
    }
    return earliest;
  }

  /** The {@code --kafka.*} options an AdminClient knows (security, SASL, TLS), as stage 1's. */
  static Properties properties(String bootstrapServers, Map<String, String> kafkaOptions) {
    Set<String> known = AdminClientConfig.configNames();
    Properties p = new Properties();
    kafkaOptions.forEach((key, value) -> {
      String name = key.substring(KafkaAccess.KAFKA_PREFIX.length());
      if (known.contains(name)) {
        p.setProperty(name, value);
      }
    });
    p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, CLIENT_ID);
    p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(TIMEOUT_MS));
    p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(TIMEOUT_MS));
    return p;
  }
}
