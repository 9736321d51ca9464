package dev.streamlake.ingest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * {@link TopicLister} over Kafka's AdminClient: one client for the whole wait, closed after it.
 * The only class of stage 1 that refers to Kafka types. The -databricks jar relocates those
 * references to the runtime's {@code kafkashaded.org.apache.kafka} (see the parent pom), and
 * {@link TopicLister#open} loads this class by name, so a runtime without either copy only loses
 * the topic check.
 */
final class KafkaAdminTopicLister implements TopicLister {

  // Resolved when the class initializes, so missing client classes fail inside TopicLister.open,
  // which expects that, and never in the middle of a check.
  @SuppressWarnings("unused")
  private static final Class<?> ADMIN = Admin.class;

  static final String CLIENT_ID = "streamlake-raw-ingest-topic-check";
  // One listing is one small metadata request; a broker that has not answered in this time is
  // treated as not answering, and the wait retries.
  private static final int REQUEST_TIMEOUT_MS = 15_000;

  private final Admin admin;

  KafkaAdminTopicLister(String bootstrapServers, Map<String, String> kafkaOptions) {
    this.admin = Admin.create(adminProperties(bootstrapServers, kafkaOptions));
  }

  /**
   * The job's {@code --kafka.*} options that an AdminClient knows (security, SASL, TLS), so the
   * check connects as the Kafka source will; consumer-only options are left out rather than logged
   * by Kafka as unknown.
   */
  static Properties adminProperties(String bootstrapServers, Map<String, String> kafkaOptions) {
    Set<String> known = AdminClientConfig.configNames();
    Properties p = new Properties();
    kafkaOptions.forEach((key, value) -> {
      String name = key.substring(RawIngestConfig.KAFKA_PREFIX.length());
      if (known.contains(name)) {
        p.setProperty(name, value);
      }
    });
    p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, CLIENT_ID);
    p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(REQUEST_TIMEOUT_MS));
    p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(REQUEST_TIMEOUT_MS));
    return p;
  }

  /** Retryable by type: what Kafka marks {@link RetriableException} (timeouts, no leader yet). */
  @Override
  public Set<String> topicNames(Duration timeout) throws NotAnswering, InterruptedException {
    int timeoutMs = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    try {
      return admin.listTopics(new ListTopicsOptions().timeoutMs(timeoutMs)).names().get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof AuthenticationException refused) {
        throw refused(refused);
      }
      if (cause instanceof RetriableException) {
        throw new NotAnswering(reason(cause));
      }
      throw new ListingFailed(reason(cause), cause);
    } catch (AuthenticationException e) {
      throw refused(e);
    } catch (RetriableException e) {
      throw new NotAnswering(reason(e));
    } catch (KafkaException e) {
      throw new ListingFailed(reason(e), e);
    }
  }

  @Override
  public List<PartitionOffsets> offsets(Map<String, Set<Integer>> partitions, Duration timeout)
      throws NotAnswering, InterruptedException {
    Map<TopicPartition, Long> earliest = listOffsets(partitions, OffsetSpec.earliest(), timeout);
    Map<TopicPartition, Long> latest = listOffsets(partitions, OffsetSpec.latest(), timeout);
    List<PartitionOffsets> result = new ArrayList<>();
    earliest.forEach((tp, first) -> {
      Long end = latest.get(tp);
      if (end != null) {
        result.add(new PartitionOffsets(tp.topic(), tp.partition(), first, end));
      }
    });
    result.sort(Comparator.comparing(PartitionOffsets::topic)
        .thenComparingInt(PartitionOffsets::partition));
    return result;
  }

  private Map<TopicPartition, Long> listOffsets(Map<String, Set<Integer>> partitions,
      OffsetSpec spec, Duration timeout) throws NotAnswering, InterruptedException {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    partitions.forEach((topic, numbers) ->
        numbers.forEach(p -> request.put(new TopicPartition(topic, p), spec)));
    int timeoutMs = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    ListOffsetsResult result = admin.listOffsets(request, new ListOffsetsOptions().timeoutMs(timeoutMs));
    Map<TopicPartition, Long> offsets = new HashMap<>();
    for (TopicPartition tp : request.keySet()) {
      try {
        offsets.put(tp, result.partitionResult(tp).get().offset());
      } catch (ExecutionException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        if (cause instanceof UnknownTopicOrPartitionException) {
          continue;
        }
        if (cause instanceof AuthenticationException refused) {
          throw refused(refused);
        }
        if (cause instanceof RetriableException) {
          throw new NotAnswering(reason(cause));
        }
        throw new ListingFailed(reason(cause), cause);
      }
    }
    return offsets;
  }

  /** Kafka's own message, which names the mechanism; the TLS one gets its root cause too. */
  private static Refused refused(AuthenticationException e) {
    boolean tls = e instanceof SslAuthenticationException;
    String message = e.getMessage();
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (tls && root != e && root.getMessage() != null) {
      message = message + " (" + root.getMessage() + ")";
    }
    return new Refused(message, tls);
  }

  private static String reason(Throwable t) {
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
  }
}
