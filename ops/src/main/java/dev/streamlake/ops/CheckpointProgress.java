package dev.streamlake.ops;

import dev.streamlake.common.DeltaSourcePosition;
import java.io.IOException;
import java.util.Optional;

/**
 * How far a stage's streaming query has read its Delta source table, for the audit: the
 * newest source version every file of which the query has read ({@link
 * DeltaSourcePosition#completeThrough()}), from the newest batch its checkpoint finished.
 *
 * @param batch the newest committed batch, or -1 when the checkpoint has none
 * @param completeThrough the newest complete source version; -1 for none
 * @param describe the offset in words, for the report
 */
record CheckpointProgress(long batch, long completeThrough, String describe) {

  static final long NONE = -1;

  boolean processedAnything() {
    return completeThrough >= 0;
  }

  /** Reads {@code checkpoint}; a missing checkpoint is a query that has not run. */
  static CheckpointProgress read(String checkpoint) throws IOException {
    Optional<DeltaSourcePosition> position = DeltaSourcePosition.read(checkpoint);
    if (position.isEmpty()) {
      return new CheckpointProgress(NONE, NONE, "no committed batch in checkpoint " + checkpoint
          + ": the stage has processed nothing");
    }
    DeltaSourcePosition p = position.get();
    return new CheckpointProgress(p.batch(), p.completeThrough(), p.describe());
  }
}
