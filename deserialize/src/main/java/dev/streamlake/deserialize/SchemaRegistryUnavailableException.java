package dev.streamlake.deserialize;

/**
 * The schema registry could not answer (connection refused, timeout, HTTP 5xx, an unreadable
 * reply). Not a property of the record: it fails the task and so the batch, which Spark retries
 * and which the query resumes from its checkpoint, instead of pouring good records into
 * dead_letter while the registry is down.
 */
public final class SchemaRegistryUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  SchemaRegistryUnavailableException(String message) {
    super(message);
  }

  SchemaRegistryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
