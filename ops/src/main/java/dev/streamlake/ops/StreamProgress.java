package dev.streamlake.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * How far a stage's streaming query has read its Delta source, from the query's checkpoint, and
 * which {@code ingest_date} partitions of that source still hold rows it has not read. Retention
 * uses it so that it never deletes rows a stage has yet to process.
 *
 * <p>The newest {@code commits/<n>} of the checkpoint names the last batch the query finished;
 * its {@code offsets/<n>} holds the Delta source offset that batch read up to: a table version
 * ({@code reservoirVersion}), a file index within it, and whether the query was still reading the
 * table's first snapshot ({@code isStartingVersion}). Every data file added at that version or
 * later may be unread; the version itself counts as unread unless the index says it was finished,
 * and part way through the first snapshot every commit counts as unread.
 */
final class StreamProgress {

  /** Delta's index of a source offset that finished its version (DeltaSourceOffset.END_INDEX). */
  static final long END_INDEX = Long.MAX_VALUE - 100;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where a stage's query stands on its source, or why it cannot be told. */
  record Position(OptionalLong firstUnreadVersion, String reservoirId, String unknownBecause) {
    static Position unknown(String why) {
      return new Position(OptionalLong.empty(), null, why);
    }
  }

  private StreamProgress() {}

  private static Configuration hadoopConf(SparkSession spark) {
    return ((org.apache.spark.sql.classic.SparkSession) spark).sessionState().newHadoopConf();
  }

  /** Reads the newest finished batch's source offset from {@code checkpoint}. */
  static Position read(SparkSession spark, String checkpoint) {
    Configuration conf = hadoopConf(spark);
    Path commits = new Path(checkpoint, "commits");
    try {
      FileSystem fs = commits.getFileSystem(conf);
      if (!fs.exists(commits)) {
        return Position.unknown("its checkpoint " + checkpoint + " has no finished batch (the"
            + " stage never ran with this --lake)");
      }
      long newest = -1;
      for (FileStatus f : fs.listStatus(commits)) {
        String name = f.getPath().getName();
        if (name.matches("\\d+")) {
          newest = Math.max(newest, Long.parseLong(name));
        }
      }
      if (newest < 0) {
        return Position.unknown("its checkpoint " + checkpoint + " has no finished batch yet");
      }
      Path offsets = new Path(new Path(checkpoint, "offsets"), Long.toString(newest));
      String text;
      try (InputStream in = fs.open(offsets)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      return parseOffsetLog(text, offsets.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the checkpoint " + checkpoint + ": "
          + e.getMessage(), e);
    }
  }

  /**
   * The position in an offset log file: a version line, the batch metadata, then one line per
   * source; the stages read one source each.
   */
  static Position parseOffsetLog(String text, String where) {
    String[] lines = text.split("\n");
    if (lines.length < 3) {
      return Position.unknown("the offset log " + where + " names no source offset");
    }
    try {
      JsonNode offset = JSON.readTree(lines[2]);
      if (offset == null || !offset.has("reservoirVersion")) {
        return Position.unknown("the offset log " + where + " holds no Delta source offset");
      }
      long version = offset.get("reservoirVersion").asLong();
      long index = offset.path("index").asLong(-1);
      boolean finished = index == END_INDEX;
      // Part way through the table's first snapshot, any file of that snapshot may be unread:
      // counting every commit from the first one covers them all.
      long firstUnread = finished ? version + 1
          : offset.path("isStartingVersion").asBoolean(false) ? 0 : version;
      return new Position(OptionalLong.of(firstUnread), offset.path("reservoirId").asText(null),
          null);
    } catch (IOException e) {
      return Position.unknown("the offset log " + where + " is not readable JSON: "
          + e.getMessage());
    }
  }

  /**
   * The oldest {@code ingest_date} among the data files added to {@code table} (at {@code
   * location}) from {@code firstUnreadVersion} on, or null when none was added since. Read from
   * Delta's commit files, so it costs no data file read and sees files that OPTIMIZE has since
   * compacted. Files added without a data change (OPTIMIZE) hold only rows added before, which
   * their original commits already account for.
   */
  static LocalDate oldestUnreadDate(SparkSession spark, TableRef table, String location,
      long firstUnreadVersion) {
    Path log = new Path(location, "_delta_log");
    Configuration conf = hadoopConf(spark);
    List<String> commitFiles = new ArrayList<>();
    long newest = -1;
    try {
      FileSystem fs = log.getFileSystem(conf);
      for (FileStatus f : fs.listStatus(log)) {
        String name = f.getPath().getName();
        if (name.matches("\\d{20}\\.json")) {
          long v = Long.parseLong(name.substring(0, 20));
          newest = Math.max(newest, v);
          if (v >= firstUnreadVersion) {
            commitFiles.add(f.getPath().toString());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list the Delta log of " + table + ": "
          + e.getMessage(), e);
    }
    if (commitFiles.size() < newest - firstUnreadVersion + 1) {
      throw new IllegalStateException("The Delta log of " + table + " lacks commits between"
          + " version " + firstUnreadVersion + " and " + newest + " that a stage has yet to read;"
          + " not trimming it");
    }
    if (commitFiles.isEmpty()) {
      return null;
    }
    StructType add = new StructType()
        .add("partitionValues", DataTypes.createMapType(DataTypes.StringType,
            DataTypes.StringType), true)
        .add("dataChange", DataTypes.BooleanType, true);
    StructType action = new StructType().add("add", add, true);
    Row oldest = spark.read().schema(action).json(commitFiles.toArray(String[]::new))
        .where("add IS NOT NULL AND add.dataChange")
        .selectExpr("min(CAST(add.partitionValues['" + TableSchemas.INGEST_DATE
            + "'] AS DATE))")
        .first();
    return oldest.isNullAt(0) ? null : ((Date) oldest.get(0)).toLocalDate();
  }
}
