package dev.streamlake.launcher;

/** One query of the one-driver pipeline ended; the others were stopped with it. */
public final class PipelineFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String queryName;

  PipelineFailedException(String queryName, String message, Throwable cause) {
    super(message, cause);
    this.queryName = queryName;
  }

  /** The query that ended first. */
  public String queryName() {
    return queryName;
  }
}
