package dev.streamlake.ingest;

import java.lang.reflect.InvocationTargetException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The topic names a Kafka cluster shows this client. Free of Kafka types, so stage 1 loads and runs
 * where kafka-clients is missing or relocated: only {@link KafkaAdminTopicLister} touches the Kafka
 * client, and {@link #open} loads it by name and copes when it cannot be loaded.
 */
interface TopicLister extends AutoCloseable {

  /** Loaded by name so that nothing refers to it before {@link #open} knows it can be loaded. */
  String KAFKA_ADMIN_LISTER = "dev.streamlake.ingest.KafkaAdminTopicLister";

  /**
   * Topic names visible to this client (internal topics left out).
   *
   * @throws NotAnswering when the brokers did not answer within {@code timeout} (retryable)
   * @throws Refused when the brokers refused this client's credentials or its TLS handshake
   * @throws ListingFailed for anything else, such as a bad option (not retryable)
   */
  Set<String> topicNames(Duration timeout) throws NotAnswering, InterruptedException;

  /**
   * The earliest and the latest offset Kafka holds for each of {@code partitions} (topic to
   * partition numbers); a partition Kafka does not have is left out.
   *
   * @throws NotAnswering when the brokers did not answer within {@code timeout}
   */
  default java.util.List<PartitionOffsets> offsets(Map<String, Set<Integer>> partitions,
      Duration timeout) throws NotAnswering, InterruptedException {
    throw new UnsupportedOperationException("this lister reads no offsets");
  }

  /** What Kafka holds of one partition: offsets {@code earliest} up to {@code latest} - 1. */
  record PartitionOffsets(String topic, int partition, long earliest, long latest) {}

  @Override
  void close();

  /** The brokers did not answer in time: they may be starting, so this is worth retrying. */
  final class NotAnswering extends Exception {
    private static final long serialVersionUID = 1L;

    NotAnswering(String reason) {
      super(reason);
    }
  }

  /**
   * The brokers refused this client: SASL authentication or the TLS handshake failed. The Kafka
   * source would fail the same way with the same options, so the stage stops here, saying so.
   */
  final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** True for a TLS handshake failure, false for refused SASL credentials. */
    private final boolean tls;

    Refused(String reason, boolean tls) {
      super(reason);
      this.tls = tls;
    }

    boolean tls() {
      return tls;
    }
  }

  /** Listing failed for a reason waiting will not fix (authorization, configuration). */
  final class ListingFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ListingFailed(String reason, Throwable cause) {
      super(reason, cause);
    }
  }

  /**
   * A lister over Kafka's AdminClient with the job's {@code --kafka.*} client options, or null when
   * this runtime has no Kafka client classes where the jar expects them (kafka-clients in the
   * -spark jar, the runtime's {@code kafkashaded} copy for the -databricks jar).
   *
   * @throws ListingFailed when the client classes are there but refuse the options
   */
  static TopicLister open(String bootstrapServers, Map<String, String> kafkaOptions) {
    try {
      Class<?> type = Class.forName(KAFKA_ADMIN_LISTER, true, TopicLister.class.getClassLoader());
      return (TopicLister) type.getDeclaredConstructor(String.class, Map.class)
          .newInstance(bootstrapServers, kafkaOptions);
    } catch (LinkageError e) {
      return null;
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof LinkageError) {
        return null;
      }
      throw new ListingFailed(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("Cannot create " + KAFKA_ADMIN_LISTER + ": " + e, e);
    }
  }
}
