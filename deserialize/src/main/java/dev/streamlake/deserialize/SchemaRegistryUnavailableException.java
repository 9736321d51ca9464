package dev.streamlake.deserialize;

/**
 * The schema registry gave no usable answer: connection refused, timeout, TLS failure, refused
 * credentials, any HTTP error other than its own "schema not found" (404 with error_code 40403),
 * an unreadable reply, or a secret that cannot be read on this executor. Not a property of the
 * record: it fails the task and so the batch, which Spark retries and which the query resumes from
 * its checkpoint, instead of pouring good records into dead_letter while the registry is down or
 * misconfigured. Its message never holds a secret or the URL's user info.
 */
public final class SchemaRegistryUnavailableException extends SchemaSourceUnavailableException {
  private static final long serialVersionUID = 1L;

  SchemaRegistryUnavailableException(String message) {
    super(message, null);
  }

  SchemaRegistryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
