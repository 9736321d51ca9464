package dev.streamlake.ops;

import dev.streamlake.common.Durations;
import dev.streamlake.common.Stage;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import io.delta.exceptions.DeltaConcurrentModificationException;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The maintenance of one table: OPTIMIZE, the retention DELETE, VACUUM. Each step is one Delta
 * commit (VACUUM: none) that a running stage tolerates: OPTIMIZE commits carry no data change, so
 * the stages' Delta streams skip them; the retention DELETE removes whole partitions, which the
 * streams skip with {@code ignoreDeletes}; VACUUM only deletes files no table version younger
 * than the retention needs. A step that loses a commit race to a stage is retried.
 */
record TableMaintenance(String label, TableRef table, List<String> zorderBy,
    Retention retention) {
  private static final Logger LOG = LoggerFactory.getLogger(TableMaintenance.class);

  static final int MAX_ATTEMPTS = 5;
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);

  /** Delta refuses a VACUUM retention below this unless its safety check is off. */
  static final String RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled";

  /**
   * Keep {@code days} days: delete rows with {@code ingest_date} before {@code cutoff}, but never
   * rows that {@code reader}'s query (checkpoint {@code checkpoint}) has not read.
   */
  record Retention(int days, LocalDate cutoff, Stage reader, String checkpoint) {}

  /** What was done to the table; -1 where a step did not run. */
  record Report(String label, String table, long filesBefore, long filesRemovedByOptimize,
      long filesAddedByOptimize, LocalDate deletedBefore, long rowsDeleted, long filesVacuumed,
      List<String> notes, boolean dryRun) {

    String describe() {
      StringBuilder s = new StringBuilder(label).append(' ').append(table);
      String would = dryRun ? "would " : "";
      if (filesRemovedByOptimize >= 0) {
        s.append("\n  optimize: ");
        if (dryRun) {
          s.append("would run over the table's ").append(filesBefore).append(" files");
        } else {
          s.append(filesRemovedByOptimize).append(" files compacted into ")
              .append(filesAddedByOptimize).append(" (").append(filesBefore)
              .append(" files before)");
        }
      }
      if (rowsDeleted >= 0) {
        s.append("\n  retention: ").append(would).append(dryRun ? "delete " : "deleted ")
            .append(rowsDeleted).append(" rows with ingest_date before ").append(deletedBefore);
      }
      if (filesVacuumed >= 0) {
        s.append("\n  vacuum: ").append(filesVacuumed)
            .append(" unreferenced files and empty folders ")
            .append(dryRun ? "would be deleted" : "deleted");
      }
      for (String note : notes) {
        s.append("\n  note: ").append(note);
      }
      return s.toString();
    }
  }

  Report run(SparkSession spark, MaintainCommand.Settings settings) {
    boolean dry = settings.dryRun();
    List<String> notes = new ArrayList<>();
    long filesBefore = fileCount(spark);
    long removed = -1;
    long added = -1;
    if (settings.optimize()) {
      if (dry) {
        removed = 0;
      } else {
        Row metrics = retrying("OPTIMIZE", () -> spark.sql(optimizeSql()).first()
            .getStruct(1));
        removed = metrics.getLong(metrics.fieldIndex("numFilesRemoved"));
        added = metrics.getLong(metrics.fieldIndex("numFilesAdded"));
      }
      if (!zorderBy.isEmpty()) {
        notes.add("Z-ordered by " + String.join(", ", zorderBy));
      }
    }
    LocalDate deletedBefore = null;
    long rowsDeleted = -1;
    if (settings.retention() && retention != null) {
      deletedBefore = safeCutoff(spark, notes);
      if (deletedBefore != null) {
        String where = "`" + TableSchemas.INGEST_DATE + "` < DATE'" + deletedBefore + "'";
        rowsDeleted = table.read(spark).where(where).count();
        if (!dry && rowsDeleted > 0) {
          // Only the partition column in the condition: Delta removes whole files and reads
          // none, and the stages' streams skip the commit (ignoreDeletes).
          retrying("DELETE", () -> spark.sql("DELETE FROM " + table.sqlName() + " WHERE "
              + where));
        }
      }
    }
    long vacuumed = -1;
    if (settings.vacuum()) {
      vacuumed = vacuum(spark, settings, dry);
    }
    Report r = new Report(label, table.name(), filesBefore, removed, added, deletedBefore,
        rowsDeleted, vacuumed, notes, dry);
    LOG.info("Maintained {}", r.describe().replace('\n', ';'));
    return r;
  }

  String optimizeSql() {
    String sql = "OPTIMIZE " + table.sqlName();
    if (!zorderBy.isEmpty()) {
      sql += " ZORDER BY (" + String.join(", ",
          zorderBy.stream().map(c -> "`" + c.replace("`", "``") + "`").toList()) + ")";
    }
    return sql;
  }

  /**
   * The retention cutoff clamped to what the reading stage has processed, or null when nothing
   * may be deleted; each limit it applies becomes a note.
   */
  private LocalDate safeCutoff(SparkSession spark, List<String> notes) {
    String stage = "stage " + (retention.reader() == Stage.DESERIALIZE ? "2" : "3") + " ("
        + retention.reader().id() + ")";
    StreamProgress.Position position = StreamProgress.read(spark, retention.checkpoint());
    if (position.firstUnreadVersion().isEmpty()) {
      notes.add("retention skipped: " + stage + " reads this table and "
          + position.unknownBecause() + "; nothing is deleted before it has read it");
      return null;
    }
    Row detail = spark.sql("DESCRIBE DETAIL " + table.sqlName()).first();
    String tableId = detail.getString(detail.fieldIndex("id"));
    if (position.reservoirId() != null && !position.reservoirId().equals(tableId)) {
      notes.add("retention skipped: " + stage + "'s checkpoint " + retention.checkpoint()
          + " reads another table (id " + position.reservoirId() + ", this one is " + tableId
          + "); check --lake and the table settings");
      return null;
    }
    String location = detail.getString(detail.fieldIndex("location"));
    LocalDate oldestUnread;
    try {
      oldestUnread = StreamProgress.oldestUnreadDate(spark, table, location,
          position.firstUnreadVersion().getAsLong());
    } catch (IllegalStateException e) {
      notes.add("retention skipped: " + e.getMessage());
      return null;
    }
    LocalDate cutoff = retention.cutoff();
    if (oldestUnread != null && oldestUnread.isBefore(cutoff)) {
      notes.add("retention of " + retention.days() + " days would delete rows before "
          + cutoff + ", but " + stage + " has not yet read rows of ingest_date " + oldestUnread
          + ": deleting only rows before " + oldestUnread);
      return oldestUnread;
    }
    return cutoff;
  }

  private long vacuum(SparkSession spark, MaintainCommand.Settings settings, boolean dry) {
    Duration keep = settings.maintenance().vacuumRetention();
    long millis = keep.toMillis();
    String hours = millis % 3_600_000 == 0 ? Long.toString(millis / 3_600_000)
        : java.math.BigDecimal.valueOf(millis).divide(java.math.BigDecimal.valueOf(3_600_000),
            6, java.math.RoundingMode.UP).toPlainString();
    String sql = "VACUUM " + table.sqlName() + " RETAIN " + hours + " HOURS";
    boolean belowSafety = keep.compareTo(
        dev.streamlake.common.PipelineConfig.MaintenanceSettings.SAFE_VACUUM_RETENTION) < 0;
    String previous = spark.conf().get(RETENTION_CHECK, "true");
    if (belowSafety) {
      // Allowed by the pipeline's maintenance.allowShortVacuumRetention (checked at load).
      spark.conf().set(RETENTION_CHECK, "false");
    }
    try {
      // The dry run lists the files and empty folders the VACUUM then deletes; OSS Delta's
      // VACUUM itself only returns the table's path.
      long count = spark.sql(sql + " DRY RUN").count();
      if (!dry && count > 0) {
        spark.sql(sql).collect();
      }
      LOG.info("VACUUM of {} with retention {}: {} files", table,
          Durations.format(keep), count);
      return count;
    } finally {
      spark.conf().set(RETENTION_CHECK, previous);
    }
  }

  private long fileCount(SparkSession spark) {
    Row detail = spark.sql("DESCRIBE DETAIL " + table.sqlName()).first();
    return detail.getLong(detail.fieldIndex("numFiles"));
  }

  /** Runs a commit again when a concurrent commit won the race, with a doubling wait. */
  private <T> T retrying(String what, Supplier<T> step) {
    Duration wait = FIRST_BACKOFF;
    for (int attempt = 1; ; attempt++) {
      try {
        return step.get();
      } catch (RuntimeException e) {
        DeltaConcurrentModificationException conflict = conflict(e);
        if (conflict == null || attempt == MAX_ATTEMPTS) {
          throw e;
        }
        LOG.warn("{} of {} lost to a concurrent commit ({}); attempt {} of {} in {}", what,
            table, conflict.getClass().getSimpleName(), attempt + 1, MAX_ATTEMPTS,
            Durations.format(wait));
        try {
          Thread.sleep(wait.toMillis());
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
        wait = wait.multipliedBy(2);
      }
    }
  }

  static DeltaConcurrentModificationException conflict(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof DeltaConcurrentModificationException d) {
        return d;
      }
    }
    return null;
  }
}
