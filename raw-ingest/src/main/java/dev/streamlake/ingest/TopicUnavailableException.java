package dev.streamlake.ingest;

/**
 * Stage 1 stops because its topics did not appear (or the brokers did not answer) within
 * {@code --wait-for-topic}. The message is the whole story: which topic, which brokers, how long,
 * what to do. So it carries no stack trace: thrown out of main, the JVM prints it as one line and
 * exits non-zero, and a Databricks task fails with the same message, without System.exit.
 */
public final class TopicUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  TopicUnavailableException(String message) {
    super(message, null, false, false);
  }
}
