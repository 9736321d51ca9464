package dev.streamlake.deserialize;

/**
 * A job needed to classify a partition again after the batch's classification was sealed: its
 * cached copy was lost (an executor went away). The write that hit it commits nothing, and
 * {@link BatchWriter} falls back to deriving dead letters from what bronze holds.
 */
final class ClassificationSealedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ClassificationSealedException() {
    super("the batch's classification is sealed after its bronze commit; a lost cached partition"
        + " may not be classified again for the dead-letter write");
  }

  /** Whether {@code t} or one of its causes is this exception, however Spark wrapped it. */
  static boolean causedBy(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ClassificationSealedException
          || (c.getMessage() != null && c.getMessage().contains(
              ClassificationSealedException.class.getSimpleName()))) {
        return true;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }
}
