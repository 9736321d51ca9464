package dev.streamlake.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamlake.common.CheckpointLog;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * How far a stage's streaming query has read its Delta source table, from the query's checkpoint
 * ({@link CheckpointLog}): the newest batch with a file in {@code commits/} is done, and its
 * {@code offsets/<batch>} file holds the Delta source offset the batch ended at.
 *
 * <p>A Delta source offset {@code (reservoirVersion v, index i, isStartingVersion s)} means: every
 * file ordered at or before {@code (v, i)} was read. With {@code s} false, versions before
 * {@code v} are complete and version {@code v} is read through its file {@code i} at most (Delta
 * writes the end of a whole version as {@code (v + 1, -1)}; a negative index is a marker before
 * the version's files). With {@code s} true the query is still inside its first snapshot of the
 * table at {@code v}, whose files it reads in an order of its own: no version is complete yet.
 * So {@link #completeThrough} is {@code v - 1}, or none.
 *
 * @param batch the newest committed batch, or -1 when the checkpoint has none
 * @param completeThrough the newest source version every file of which (and of every version
 *     before it) the query has read; -1 for none
 * @param describe the offset in words, for the report
 */
record CheckpointProgress(long batch, long completeThrough, String describe) {

  static final long NONE = -1;

  boolean processedAnything() {
    return completeThrough >= 0;
  }

  /** Reads {@code checkpoint}; a missing checkpoint is a query that has not run. */
  static CheckpointProgress read(String checkpoint) throws IOException {
    Optional<CheckpointLog.Committed> committed = CheckpointLog.newestCommitted(checkpoint);
    if (committed.isEmpty()) {
      return new CheckpointProgress(NONE, NONE, "no committed batch in checkpoint " + checkpoint
          + ": the stage has processed nothing");
    }
    CheckpointLog.Committed c = committed.get();
    return fromSourceOffset(c.batch(), c.sourceOffsets().get(0), c.offsetFile());
  }

  /**
   * Spark's offset log file: a version line, the batch metadata, then one line per source; the
   * stages read exactly one Delta source.
   */
  static CheckpointProgress fromOffsetLog(long batch, String offsetLog, String where) {
    List<String> lines = offsetLog.lines().filter(l -> !l.isBlank()).toList();
    if (lines.size() < 3) {
      throw new IllegalStateException("Offset log " + where + " has no source offset: "
          + lines.size() + " lines");
    }
    return fromSourceOffset(batch, lines.get(2), where);
  }

  /** One source's offset line: the stages read exactly one Delta source. */
  static CheckpointProgress fromSourceOffset(long batch, String sourceOffset, String where) {
    JsonNode o;
    try {
      o = new ObjectMapper().readTree(sourceOffset);
    } catch (IOException e) {
      throw new IllegalStateException("Offset log " + where + " holds no Delta source offset",
          e);
    }
    if (o == null || !o.has("reservoirVersion") || !o.has("index")) {
      throw new IllegalStateException("Offset log " + where + " holds no Delta source offset: "
          + sourceOffset);
    }
    long version = o.get("reservoirVersion").asLong();
    long index = o.get("index").asLong();
    boolean initialSnapshot = o.path("isStartingVersion").asBoolean(false);
    String offset = "batch " + batch + " ended at source version " + version + ", index " + index
        + (initialSnapshot ? ", inside its initial snapshot" : "");
    if (initialSnapshot) {
      return new CheckpointProgress(batch, NONE, offset + ": no version is complete yet");
    }
    long complete = version - 1;
    String partly = index >= 0 ? "; version " + version + " is read through file " + index
        + " and not checked" : "";
    return new CheckpointProgress(batch, complete,
        offset + (complete >= 0 ? ": complete through version " + complete : ": nothing complete")
            + partly);
  }
}
