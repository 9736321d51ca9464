package dev.streamlake.local;

/** A running Kafka broker for tests: either a Testcontainers container or a forked KRaft process. */
public interface KafkaBroker extends AutoCloseable {

  /** {@code host:port} for Kafka clients' {@code bootstrap.servers}. */
  String bootstrapServers();

  /** How this broker runs, for logs: "forked KRaft process" or "Testcontainers". */
  String kind();

  /** Stops the broker and frees its resources; safe to call more than once. */
  @Override
  void close();
}
