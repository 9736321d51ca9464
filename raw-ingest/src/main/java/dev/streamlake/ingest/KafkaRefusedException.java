package dev.streamlake.ingest;

/**
 * Stage 1 stops because the brokers refused it: its SASL credentials or its TLS handshake. Waiting
 * would not help, and the Kafka source would fail on the same options after its own retries with
 * a stack trace. The message names the brokers, the security settings to check and Kafka's reason,
 * never a secret; like {@link TopicUnavailableException} it carries no stack trace.
 */
public final class KafkaRefusedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  KafkaRefusedException(String message) {
    super(message, null, false, false);
  }
}
