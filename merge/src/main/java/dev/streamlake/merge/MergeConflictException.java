package dev.streamlake.merge;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A batch could not be merged into gold: every attempt lost its commit to a concurrent writer.
 * Fails the query; after the other writer is done, a restart replays the batch.
 */
public final class MergeConflictException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long batchId;
  private final int attempts;

  MergeConflictException(
      String table, long batchId, int attempts, List<ConflictRetry.Conflict> conflicts,
      Throwable last) {
    super(
        "Batch " + batchId + " could not be merged into " + table + ": all " + attempts
            + " attempts lost to concurrent commits; the last conflicting operation was "
            + conflicts.get(conflicts.size() - 1) + ". Conflicts in order: "
            + conflicts.stream().map(Object::toString).collect(Collectors.joining(", "))
            + ". Run table maintenance (OPTIMIZE, UPDATE, DELETE) on other partitions or at other"
            + " times, or raise --merge-max-retries.",
        last);
    this.batchId = batchId;
    this.attempts = attempts;
  }

  public long batchId() {
    return batchId;
  }

  public int attempts() {
    return attempts;
  }
}
