package dev.streamlake.ops;

import dev.streamlake.common.DeltaSourcePosition;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Date;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
    try {
      Optional<DeltaSourcePosition> position = DeltaSourcePosition.read(checkpoint);
      if (position.isEmpty()) {
        return Position.unknown("its checkpoint " + checkpoint + " has no finished batch (the"
            + " stage never ran with this --lake)");
      }
      return new Position(OptionalLong.of(position.get().firstUnreadVersion()),
          position.get().reservoirId(), null);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the checkpoint " + checkpoint + ": "
          + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      return Position.unknown(e.getMessage());
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
