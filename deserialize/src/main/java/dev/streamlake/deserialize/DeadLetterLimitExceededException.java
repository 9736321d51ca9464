package dev.streamlake.deserialize;

import java.util.Locale;

/**
 * The circuit breaker: one batch had a larger share of dead letters than the configured limit. It
 * is thrown before anything of the batch is written, so the batch is not committed and the stage
 * stops here; after the cause is fixed, the job resumes from its checkpoint with this same batch.
 */
public final class DeadLetterLimitExceededException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long batchId;

  DeadLetterLimitExceededException(String query, long batchId, BatchCounts counts, double limit) {
    super(String.format(Locale.ROOT,
        "Stopping %s: batch %d has %d dead letters in %d rows (%.1f%%), over the dead-letter"
            + " limit of %.1f%% (deadLetterLimit / --dead-letter-limit). Nothing of this batch was"
            + " written. Dead letters by code %s; rule failures %s. If a decoder, schema or rule"
            + " bug caused this, fix it and restart: the job resumes from its checkpoint at batch"
            + " %d. If the data really is this bad, raise --dead-letter-limit (or set it to off)"
            + " and restart.",
        query, batchId, counts.deadLetters(), counts.rows(), 100.0 * counts.deadLetterShare(),
        100.0 * limit, counts.deadLettersByCode(), counts.ruleFailures(), batchId));
    this.batchId = batchId;
  }

  public long batchId() {
    return batchId;
  }
}
