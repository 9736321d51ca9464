package dev.streamlake.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Optional;

/**
 * Where a query reading a Delta table as a stream stands, from one Delta source offset: a table
 * version ({@code reservoirVersion} v), a file index within it, and whether the query is still
 * inside its first snapshot of the table ({@code isStartingVersion}).
 *
 * <p>Every file ordered at or before (v, index) was read. Outside the first snapshot, versions
 * before v are complete; v itself is complete only at Delta's end index (the offset after a
 * version's last file), and part read at any other index. The first snapshot is the table as of
 * v, whose files are read in an order of Delta's own: at its end index every version through v
 * is complete, before it none is.
 *
 * @param batch the batch whose offset this is; -1 when the offset came from elsewhere
 */
public record DeltaSourcePosition(long batch, long reservoirVersion, long index,
    boolean initialSnapshot, String reservoirId) {

  /** Delta's index after a version's last file ({@code DeltaSourceOffset.END_INDEX}). */
  public static final long END_INDEX = Long.MAX_VALUE - 100;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The position after the newest batch {@code checkpoint} finished; empty when none. */
  public static Optional<DeltaSourcePosition> read(String checkpoint) throws IOException {
    Optional<CheckpointLog.Committed> committed = CheckpointLog.newestCommitted(checkpoint);
    if (committed.isEmpty()) {
      return Optional.empty();
    }
    CheckpointLog.Committed c = committed.get();
    return Optional.of(parse(c.batch(), c.sourceOffsets().get(0), c.offsetFile()));
  }

  /**
   * One Delta source offset as Spark writes it (the offset log's source line, a progress event's
   * {@code endOffset}).
   *
   * @throws IllegalArgumentException when it is not a Delta source offset
   */
  public static DeltaSourcePosition parse(long batch, String offsetJson, String where) {
    JsonNode o;
    try {
      o = JSON.readTree(offsetJson);
    } catch (IOException e) {
      throw new IllegalArgumentException("The offset in " + where + " is not JSON", e);
    }
    if (o == null || !o.has("reservoirVersion")) {
      throw new IllegalArgumentException("The offset in " + where + " is not a Delta source"
          + " offset: " + offsetJson);
    }
    return new DeltaSourcePosition(batch, o.get("reservoirVersion").asLong(),
        o.path("index").asLong(-1), o.path("isStartingVersion").asBoolean(false),
        o.path("reservoirId").asText(null));
  }

  /** The newest version every file of which, and of every version before it, was read; -1 for none. */
  public long completeThrough() {
    if (index >= END_INDEX) {
      return reservoirVersion;
    }
    return initialSnapshot ? -1 : reservoirVersion - 1;
  }

  /** The oldest version that may hold files not read yet. */
  public long firstUnreadVersion() {
    return completeThrough() + 1;
  }

  /** The offset in words, for reports. */
  public String describe() {
    long complete = completeThrough();
    String at = (batch >= 0 ? "batch " + batch + " ended at" : "at") + " source version "
        + reservoirVersion + ", index " + (index >= END_INDEX ? "end" : Long.toString(index))
        + (initialSnapshot ? ", inside its initial snapshot" : "");
    if (complete < 0 && initialSnapshot) {
      return at + ": no version is complete yet";
    }
    return at + (complete >= 0 ? ": complete through version " + complete : ": nothing complete")
        + (index >= 0 && index < END_INDEX
            ? "; version " + reservoirVersion + " is read through file " + index : "");
  }
}
