package dev.streamlake.deserialize;

/**
 * Writer schemas cannot be looked up: a failure of what stage 2 depends on, never a property of
 * the record being decoded. The per-record defences let it through, so it fails the task and the
 * batch, which the query retries from its checkpoint once the source is back.
 */
public abstract class SchemaSourceUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  SchemaSourceUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
