package dev.streamlake.deserialize;

/** A schema file in the pipeline's schema folder exists but cannot be read or parsed. */
public final class SchemaFolderUnreadableException extends SchemaSourceUnavailableException {
  private static final long serialVersionUID = 1L;

  SchemaFolderUnreadableException(String message, Throwable cause) {
    super(message, cause);
  }
}
