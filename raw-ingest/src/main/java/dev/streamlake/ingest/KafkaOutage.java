package dev.streamlake.ingest;

/**
 * Tells a query failure that only means "the brokers did not answer in time" from the others. The
 * Kafka source retries its offset requests a few times (about three minutes with Kafka's default
 * timeouts, measured) and then fails the query with Kafka's {@code TimeoutException} or another of
 * its retriable errors. Classes are matched by name: on Databricks the Kafka client lives under
 * {@code kafkashaded.}, so an {@code instanceof} against this jar's classes would never match.
 */
final class KafkaOutage {
  private static final String ERRORS = "apache.kafka.common.errors.";
  private static final int MAX_CAUSES = 32;

  private KafkaOutage() {}

  /** True when {@code failure} or one of its causes is one of Kafka's retriable errors. */
  static boolean brokersDidNotAnswer(Throwable failure) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < MAX_CAUSES; depth++, t = t.getCause()) {
      for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
        String name = c.getName();
        if (name.endsWith(ERRORS + "RetriableException") || name.endsWith(ERRORS + "TimeoutException")) {
          return true;
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
