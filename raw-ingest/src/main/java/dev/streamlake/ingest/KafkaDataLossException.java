package dev.streamlake.ingest;

/**
 * Stage 1 stops at its start because Kafka no longer holds records it has not read (retention
 * ran while it was stopped) or holds fewer offsets than it has read (the topic was deleted and
 * created again), and {@code --fail-on-data-loss} is true. The message names every partition and
 * offset range and what to do; like {@link TopicUnavailableException} it has no stack trace.
 */
public final class KafkaDataLossException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  KafkaDataLossException(String message) {
    super(message, null, false, false);
  }
}
