package dev.streamlake.ops;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamlake.common.ConfigException;
import dev.streamlake.common.Stage;
import dev.streamlake.common.TableEvolution;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.deserialize.Reclassifier;
import dev.streamlake.deserialize.Reclassifier.Reclassified;
import io.delta.exceptions.DeltaConcurrentModificationException;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * One re-drive: selects open dead letters, classifies them again with stage 2's code path, adds
 * the ones that are good now to bronze and marks them in dead_letter; the ones that still fail
 * stay open with their new code and message.
 *
 * <p>Safe to run twice, at once, or again after being stopped anywhere, with stage 2 appending
 * meanwhile, because of two writes in this order:
 *
 * <ol>
 *   <li>bronze: an insert-only MERGE on the record's coordinates (topic, partition, offset), so a
 *       record already there is never added again, whoever added it. It only adds files, which
 *       stage 3's Delta stream of bronze reads like stage 2's appends. Its commit carries the
 *       re-drive's time, which is also the rows' {@code deserialized_at}.
 *   <li>dead_letter: one MERGE that marks every selected open dead letter whose record bronze
 *       holds ({@code redriven_at} = the row's {@code deserialized_at}, {@code redriven_to_version}
 *       = the commit that added it) and gives the others their new reason. What is marked follows
 *       from what bronze holds, not from this run's classification, so a run stopped between the
 *       two writes is completed by the next one, which finds the rows in bronze and the commit
 *       in bronze's history by that time.
 * </ol>
 *
 * A dead letter is thus open until the one commit that marks it, and its record is in bronze from
 * before that commit: never in bronze twice, never both re-driven and open.
 */
final class Redrive {
  private static final Logger LOG = LoggerFactory.getLogger(Redrive.class);

  /** Session setting whose value Delta writes into the next commit's userMetadata. */
  static final String USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata";
  /** Set by Delta after each commit a session makes. */
  static final String LAST_COMMIT_VERSION = "spark.databricks.delta.lastCommitVersionInSession";
  /** Names a bronze commit as a re-drive's, in its userMetadata. */
  static final String COMMIT_MARK = "streamlake-redrive";
  private static final String MICROS_FIELD = "deserialized_at_micros";

  private static final String NEW_REASON = "_new_reason";
  private static final int MAX_CONFLICT_RETRIES = 10;
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private static final List<String> COORDINATES =
      List.of(TableSchemas.TOPIC, TableSchemas.PARTITION, TableSchemas.OFFSET);
  private static final List<String> KEY = List.of(TableSchemas.TOPIC, TableSchemas.PARTITION,
      TableSchemas.OFFSET, TableSchemas.INGEST_DATE);

  private final SparkSession spark;
  private final OpsSettings settings;
  private final Reclassifier reclassifier;
  private final RedriveSelection selection;
  private final boolean dryRun;
  private final String readerSchema;

  /** Test seam: runs after bronze's write and before dead_letter's marking. */
  private Runnable afterBronzeWrite = () -> {};

  Redrive(SparkSession spark, OpsSettings settings, Reclassifier reclassifier,
      RedriveSelection selection, boolean dryRun) {
    this.spark = spark;
    this.settings = settings;
    this.reclassifier = reclassifier;
    this.selection = selection;
    this.dryRun = dryRun;
    this.readerSchema =
        "the pipeline's reader schema (id " + settings.pipeline().schemas().readerId() + ")";
  }

  Redrive afterBronzeWrite(Runnable hook) {
    this.afterBronzeWrite = hook;
    return this;
  }

  RedriveReport run() {
    TableRef deadLetter = settings.deadLetter();
    TableRef bronze = settings.bronze();
    requireTable(deadLetter, "dead_letter", "--dead-letter-table");
    requireTable(bronze, "bronze", "--bronze-table");
    // A bad --where stops the command here, before any table is changed.
    selection.matching(deadLetter.read(spark), deadLetter.name());
    prepareTables(deadLetter, bronze);
    Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);

    Dataset<Row> deadLetters = deadLetter.read(spark);
    boolean marked = List.of(deadLetters.columns()).contains(TableSchemas.REDRIVEN_AT);
    Column open = marked ? col(TableSchemas.REDRIVEN_AT).isNull() : lit(true);
    Dataset<Row> matching = selection.matching(deadLetters, deadLetter.name());
    Row counts = matching.agg(count(lit(1)), count_if(not(open))).first();
    long matched = counts.getLong(0);
    long alreadyRedriven = counts.getLong(1);
    // One per Kafka record: a record is in dead_letter once, but a stage 1 replayed from a new
    // checkpoint may have brought it twice, and bronze must get it once.
    Dataset<Row> selected = matching.where(open).dropDuplicates(seq(COORDINATES));

    try (Reclassified classified = reclassifier.classify(selected, at)) {
      Dataset<Row> rows = classified.rows();
      long selectedCount = 0;
      long good = 0;
      Set<Object> ingestDates = new LinkedHashSet<>();
      for (Row r : rows.groupBy(col(Reclassifier.ERROR_CODE), col(TableSchemas.INGEST_DATE))
          .count().collectAsList()) {
        selectedCount += r.getLong(2);
        good += r.isNullAt(0) ? r.getLong(2) : 0;
        ingestDates.add(r.get(1));
      }
      LOG.info("Re-drive of {}: {} dead letters match, {} of them re-driven before, {} open"
          + " classified again: {} good now", deadLetter, matched, alreadyRedriven,
          selectedCount, good);
      if (selectedCount == 0) {
        return report(matched, alreadyRedriven, 0, 0, 0, null, Map.of(), 0);
      }
      Object[] dates = ingestDates.toArray();

      long written = 0;
      Long version = null;
      if (good > 0 && !dryRun) {
        long[] w = writeBronze(classified.good(), at, dates);
        written = w[0];
        version = w[0] > 0 ? w[1] : null;
      }
      afterBronzeWrite.run();

      // Read after bronze's write: what decides a dead letter's mark is what bronze holds.
      Dataset<Row> inBronze = bronze.read(spark)
          .where(col(TableSchemas.INGEST_DATE).isin(dates))
          .select(col(TableSchemas.TOPIC), col(TableSchemas.PARTITION),
              col(TableSchemas.OFFSET), col(TableSchemas.INGEST_DATE),
              col(TableSchemas.DESERIALIZED_AT))
          .join(rows.select(names(KEY)), seq(KEY), "left_semi")
          .dropDuplicates(seq(KEY))
          .persist(StorageLevel.MEMORY_AND_DISK());
      try {
        long inBronzeCount = 0;
        List<Long> redriveTimes = new ArrayList<>();
        for (Row r : inBronze.groupBy(TableSchemas.DESERIALIZED_AT).count().collectAsList()) {
          inBronzeCount += r.getLong(1);
          redriveTimes.add(micros(r.getTimestamp(0).toInstant()));
        }
        long foundInBronze = inBronzeCount - written;
        if (dryRun) {
          // Nothing was written: the good rows bronze lacks are the ones a real run would add.
          written = classified.good().join(inBronze, seq(KEY), "left_anti").count();
          foundInBronze = inBronzeCount;
        }

        Dataset<Row> before = selected.select(col(TableSchemas.TOPIC),
            col(TableSchemas.PARTITION), col(TableSchemas.OFFSET), col(TableSchemas.INGEST_DATE),
            col(TableSchemas.ERROR_CODE).as("_old_code"),
            col(TableSchemas.ERROR_MESSAGE).as("_old_message"));
        Dataset<Row> failing = rows.where(col(Reclassifier.ERROR_CODE).isNotNull())
            .join(inBronze, seq(KEY), "left_anti")
            .join(before, seq(KEY), "left")
            .withColumn(NEW_REASON, not(col(Reclassifier.ERROR_CODE).eqNullSafe(col("_old_code"))
                .and(col(Reclassifier.ERROR_MESSAGE).eqNullSafe(col("_old_message")))));
        Map<String, Long> stillFailing = new TreeMap<>();
        long newReasons = 0;
        for (Row r : failing.groupBy(col(Reclassifier.ERROR_CODE), col(NEW_REASON)).count()
            .collectAsList()) {
          stillFailing.merge(r.getString(0), r.getLong(2), Long::sum);
          newReasons += r.getBoolean(1) ? r.getLong(2) : 0;
        }
        if (!dryRun && inBronzeCount + newReasons > 0) {
          markDeadLetters(inBronze, versionsOf(redriveTimes, at, version),
              failing.where(col(NEW_REASON)), dates);
        }
        return report(matched, alreadyRedriven, selectedCount, written, foundInBronze, version,
            stillFailing, newReasons);
      } finally {
        inBronze.unpersist();
      }
    }
  }

  private RedriveReport report(long matched, long alreadyRedriven, long selected, long written,
      long foundInBronze, Long version, Map<String, Long> stillFailing, long newReasons) {
    return new RedriveReport(settings.deadLetter().name(), settings.bronze().name(), dryRun,
        matched, alreadyRedriven, selected, written, foundInBronze, version, stillFailing,
        newReasons);
  }

  private void requireTable(TableRef table, String role, String setting) {
    if (!table.exists(spark)) {
      throw new ConfigException("The " + role + " table " + table + " does not exist. Point"
          + " --lake (or --catalog and --schema, or " + setting + ") at the pipeline's tables, as"
          + " its stages were started; stage 2 creates " + role + " at its first start.");
    }
  }

  /**
   * dead_letter gets the re-drive columns and bronze the columns of a newer reader schema, as
   * stage 2 does at its start; a bronze that cannot take this pipeline's rows stops the command
   * (a dry run only checks).
   */
  private void prepareTables(TableRef deadLetter, TableRef bronze) {
    if (dryRun) {
      TableEvolution.Difference d =
          TableEvolution.compare(bronze.read(spark).schema(), reclassifier.bronzeSchema());
      TableEvolution.refuseRemovedColumns(bronze, d, readerSchema);
      TableEvolution.refuseTypeChanges(bronze, d, readerSchema);
      return;
    }
    TableEvolution.addMissingColumns(spark, deadLetter, TableSchemas.deadLetterWithRedrive(),
        "the re-drive's dead_letter columns");
    TableEvolution.addMissingColumns(spark, bronze, reclassifier.bronzeSchema(), readerSchema);
  }

  /**
   * Adds the good rows bronze lacks, in one commit named as this re-drive's. Returns the rows
   * added and the commit's version.
   */
  private long[] writeBronze(Dataset<Row> good, Instant at, Object[] dates) {
    TableRef bronze = settings.bronze();
    String metadata = commitMetadata(at);
    return withConflictRetries("bronze " + bronze, () -> {
      String[] columns = bronze.read(spark).columns();
      Column[] ordered = new Column[columns.length];
      for (int i = 0; i < columns.length; i++) {
        ordered[i] = col("`" + columns[i] + "`");
      }
      spark.conf().unset(LAST_COMMIT_VERSION);
      spark.conf().set(USER_METADATA, metadata);
      Row metrics;
      try {
        metrics = bronze.deltaTable(spark).as("t")
            .merge(good.select(ordered).as("s"), sameRecord("t", "s", dates))
            .whenNotMatched().insertAll()
            .execute()
            .first();
      } finally {
        spark.conf().unset(USER_METADATA);
      }
      long inserted = metrics.getLong(metrics.fieldIndex("num_inserted_rows"));
      if (inserted == 0) {
        // Delta commits nothing then: bronze held every row already (a run stopped before its
        // dead_letter marks, or one running at the same time).
        LOG.info("Re-drive added no rows to {}: it holds them all already", bronze);
        return new long[] {0, -1};
      }
      long version = Long.parseLong(spark.conf().get(LAST_COMMIT_VERSION));
      LOG.info("Re-drive added {} rows to {} at version {}", inserted, bronze, version);
      return new long[] {inserted, version};
    });
  }

  /**
   * The bronze version each re-driven row went in with, by its {@code deserialized_at}: this
   * run's from its own commit, an earlier run's from bronze's history, where its commit carries
   * its time. A row whose commit history no longer shows (log retention) gets the version bronze
   * had when it was read here, which already held the row.
   */
  private Map<Long, Long> versionsOf(List<Long> redriveTimes, Instant at, Long version) {
    long atMicros = micros(at);
    Map<Long, Long> versions = new HashMap<>();
    if (version != null) {
      versions.put(atMicros, version);
    }
    List<Long> others = new ArrayList<>();
    for (long m : redriveTimes) {
      if (!versions.containsKey(m)) {
        others.add(m);
      }
    }
    if (others.isEmpty()) {
      return versions;
    }
    DeltaTable table = settings.bronze().deltaTable(spark);
    Map<Long, Long> fromHistory = new HashMap<>();
    for (Row r : table.history().where(col("userMetadata").contains(COMMIT_MARK))
        .select("version", "userMetadata").collectAsList()) {
      Long m = micros(r.getString(1));
      if (m != null) {
        fromHistory.merge(m, r.getLong(0), Math::min);
      }
    }
    long current = table.history(1).select("version").first().getLong(0);
    for (long m : others) {
      Long v = fromHistory.get(m);
      if (v == null) {
        LOG.warn("Bronze {} holds re-driven rows of {} but its history no longer shows their"
            + " commit; recording version {}, which holds them", settings.bronze(),
            Instant.EPOCH.plus(m, ChronoUnit.MICROS), current);
        v = current;
      }
      versions.put(m, v);
    }
    return versions;
  }

  /**
   * One commit: every selected open dead letter bronze holds is re-driven, every other one whose
   * reason changed gets the new one. Only open dead letters are touched, so a concurrent re-drive
   * that marked them first wins and this one changes nothing of theirs.
   */
  private void markDeadLetters(Dataset<Row> inBronze, Map<Long, Long> versions,
      Dataset<Row> newReasons, Object[] dates) {
    Column version = lit(null).cast(DataTypes.LongType);
    for (Map.Entry<Long, Long> v : versions.entrySet()) {
      version = when(col(TableSchemas.DESERIALIZED_AT).equalTo(
          lit(Timestamp.from(Instant.EPOCH.plus(v.getKey(), ChronoUnit.MICROS)))),
          lit(v.getValue())).otherwise(version);
    }
    Dataset<Row> redriven = inBronze.select(names(KEY)[0], names(KEY)[1], names(KEY)[2],
        names(KEY)[3], col(TableSchemas.DESERIALIZED_AT).as(TableSchemas.REDRIVEN_AT),
        version.as(TableSchemas.REDRIVEN_TO_VERSION),
        lit(null).cast(DataTypes.StringType).as(TableSchemas.ERROR_CODE),
        lit(null).cast(DataTypes.StringType).as(TableSchemas.ERROR_MESSAGE));
    Dataset<Row> reasons = newReasons.select(names(KEY)[0], names(KEY)[1], names(KEY)[2],
        names(KEY)[3], lit(null).cast(DataTypes.TimestampType).as(TableSchemas.REDRIVEN_AT),
        lit(null).cast(DataTypes.LongType).as(TableSchemas.REDRIVEN_TO_VERSION),
        col(Reclassifier.ERROR_CODE).as(TableSchemas.ERROR_CODE),
        col(Reclassifier.ERROR_MESSAGE).as(TableSchemas.ERROR_MESSAGE));
    Dataset<Row> source = redriven.unionByName(reasons);
    TableRef deadLetter = settings.deadLetter();
    String condition = sameRecord("d", "s", dates) + " AND d." + TableSchemas.STAGE + " = '"
        + Stage.DESERIALIZE.id() + "' AND d." + TableSchemas.REDRIVEN_AT
        + " IS NULL";
    Map<String, String> markRedriven = Map.of(
        TableSchemas.REDRIVEN_AT, "s." + TableSchemas.REDRIVEN_AT,
        TableSchemas.REDRIVEN_TO_VERSION, "s." + TableSchemas.REDRIVEN_TO_VERSION);
    Map<String, String> newReason = Map.of(
        TableSchemas.ERROR_CODE, "s." + TableSchemas.ERROR_CODE,
        TableSchemas.ERROR_MESSAGE, "s." + TableSchemas.ERROR_MESSAGE);
    withConflictRetries("dead_letter " + deadLetter, () -> {
      Row metrics = deadLetter.deltaTable(spark).as("d")
          .merge(source.as("s"), condition)
          .whenMatched("s." + TableSchemas.REDRIVEN_AT + " IS NOT NULL").updateExpr(markRedriven)
          .whenMatched("s." + TableSchemas.REDRIVEN_AT + " IS NULL").updateExpr(newReason)
          .execute()
          .first();
      LOG.info("Re-drive updated {} dead letters of {}",
          metrics.getLong(metrics.fieldIndex("num_updated_rows")), deadLetter);
      return null;
    });
  }

  /** The join of a table's row with a source row of the same record, pruned to its dates. */
  private static String sameRecord(String table, String source, Object[] dates) {
    StringBuilder c = new StringBuilder();
    for (String k : KEY) {
      c.append(c.length() == 0 ? "" : " AND ").append(table).append(".`").append(k)
          .append("` = ").append(source).append(".`").append(k).append('`');
    }
    List<String> literals = new ArrayList<>();
    for (Object d : dates) {
      literals.add("DATE'" + d + "'");
    }
    c.append(" AND ").append(table).append(".`").append(TableSchemas.INGEST_DATE).append("` IN (")
        .append(String.join(", ", literals)).append(')');
    return c.toString();
  }

  /**
   * Runs a MERGE again when a concurrent commit conflicted with it (stage 2's appends do not:
   * blind appends never conflict under Delta's WriteSerializable isolation; another re-drive, an
   * OPTIMIZE or a schema change may). Each attempt plans against the newest snapshot.
   */
  private static <T> T withConflictRetries(String what, Supplier<T> merge) {
    for (int attempt = 1; ; attempt++) {
      try {
        return merge.get();
      } catch (RuntimeException e) {
        Throwable conflict = conflict(e);
        if (conflict == null || attempt > MAX_CONFLICT_RETRIES) {
          throw e;
        }
        long wait = Math.min(MAX_BACKOFF.toMillis(), 500L << Math.min(attempt, 10));
        LOG.warn("Re-drive's write to {} conflicted with a concurrent commit ({}); attempt {} of"
            + " {} in {} ms", what, conflict.getClass().getSimpleName(), attempt + 1,
            MAX_CONFLICT_RETRIES + 1, wait);
        try {
          Thread.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private static Throwable conflict(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof DeltaConcurrentModificationException) {
        return c;
      }
    }
    return null;
  }

  private static String commitMetadata(Instant at) {
    ObjectNode n = new ObjectMapper().createObjectNode();
    n.put("operation", COMMIT_MARK);
    n.put(MICROS_FIELD, micros(at));
    n.put("at", at.toString());
    return n.toString();
  }

  /** The re-drive time a bronze commit's userMetadata carries, or null when it is not ours. */
  static Long micros(String userMetadata) {
    try {
      JsonNode n = new ObjectMapper().readTree(userMetadata);
      if (n != null && COMMIT_MARK.equals(n.path("operation").asText())
          && n.path(MICROS_FIELD).canConvertToLong()) {
        return n.path(MICROS_FIELD).asLong();
      }
    } catch (IOException notJson) {
      // Someone else's metadata.
    }
    return null;
  }

  private static long micros(Instant i) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, i);
  }

  private static Column[] names(List<String> names) {
    return names.stream().map(n -> col("`" + n + "`")).toArray(Column[]::new);
  }

  private static scala.collection.immutable.Seq<String> seq(List<String> names) {
    return CollectionConverters.asScala(names).toSeq();
  }
}
