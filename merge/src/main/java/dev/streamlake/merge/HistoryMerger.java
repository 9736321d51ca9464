package dev.streamlake.merge;

import static dev.streamlake.merge.GoldPlan.SOURCE;
import static dev.streamlake.merge.GoldPlan.TARGET;
import static dev.streamlake.merge.GoldPlan.quote;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.lead;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.min_by;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.streamlake.common.IdempotentWrites;
import dev.streamlake.common.PipelineConfig.NamedExpression;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.common.WriteTimes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges one micro-batch of bronze into an SCD2 gold ({@code gold.history: scd2}); see
 * {@link HistoryPlan} for what a version is.
 *
 * <ol>
 *   <li>Derive the configured columns and the delete flag; drop records already stored in the
 *       points table (replays, re-sent bronze rows), compared by Kafka coordinates.
 *   <li>For every key that got a new record, read all its stored records, add the new ones and
 *       compute its whole history from them, in the one total order ({@link
 *       HistoryPlan#ordering()}). A late record thus lands where it belongs, whatever the versions
 *       had collapsed.
 *   <li>Bring gold (the history) and {@code <gold>_current} to that result for those keys: one
 *       MERGE each that inserts new versions, updates changed ones and deletes vanished ones, and
 *       only when something differs. Then append the new records to {@code <gold>_points}.
 * </ol>
 *
 * <p>Exactly once: every write carries the batch's Delta transaction (app id, batch id), so
 * Delta skips a write a replay repeats. Independently of that, a replay recomputes the same
 * history from the same records, finds gold already equal and writes nothing; the records are
 * appended last, so a batch that failed after any earlier write is recomputed in full. Steps 1-3
 * are retried on Delta's retryable conflicts ({@link ConflictRetry}).
 *
 * <p>Cost: each batch reads the stored records of its keys (pruned to the batch's partitions
 * of gold's layout) and recomputes their histories; the points table holds one row per record.
 */
final class HistoryMerger {
  private static final Logger LOG = LoggerFactory.getLogger(HistoryMerger.class);

  private static final String ACTION = "__streamlake_action";
  private static final String UPSERT = "upsert";
  private static final String DELETE = "delete";
  private static final String SEGMENT = "__streamlake_segment";
  private static final String OPENER = "__streamlake_opener";
  private static final String LATEST = "__streamlake_latest";
  private static final String DELETES = "__streamlake_deletes";
  private static final String FROM = "__streamlake_from";
  static final String LAST_COMMIT_VERSION = "spark.databricks.delta.lastCommitVersionInSession";

  /** One table's part in a batch: rows inserted or updated, rows deleted, write skipped. */
  record TableChange(long upserted, long deleted, boolean replaySkipped) {
    static final TableChange NONE = new TableChange(0, 0, false);
  }

  /** What a batch did; {@code newRecords}: records not stored before, {@code keys}: their keys. */
  record Outcome(
      long batchId,
      long newRecords,
      long keys,
      TableChange history,
      TableChange current,
      boolean pointsSkipped,
      int attempts) {}

  private final HistoryPlan plan;
  private final HistoryTables tables;
  private final String appId;
  private final ConflictRetry retry;
  private final int maxPartitionLiterals;
  /**
   * Called with the name of each table right after this batch wrote it. Null in production; tests
   * throw from it to stop a batch between two writes, as a crash would.
   */
  private final Consumer<TableRef> afterWrite;

  HistoryMerger(
      HistoryPlan plan, TableRef gold, String appId, ConflictRetry retry,
      int maxPartitionLiterals, Consumer<TableRef> afterWrite) {
    this.plan = plan;
    this.tables = new HistoryTables(plan, gold);
    this.appId = appId;
    this.retry = retry;
    this.maxPartitionLiterals = maxPartitionLiterals;
    this.afterWrite = afterWrite;
  }

  static HistoryMerger forConfig(MergeConfig config) {
    return new HistoryMerger(
        HistoryPlan.of(config.settings().pipeline()),
        config.settings().gold(),
        config.settings().appId(),
        ConflictRetry.sleeping(config.maxRetries(), config.retryBackoff()),
        config.maxPartitionLiterals(),
        null);
  }

  /**
   * Creates the history's three tables, or adds the columns a newer reader schema gives them,
   * before the first batch (given bronze's contract schema).
   */
  void prepare(SparkSession spark, StructType bronzeContract) {
    tables.ensure(spark, records(spark.createDataFrame(List.<Row>of(), bronzeContract)).schema());
  }

  String describe() {
    return plan.describe(tables.history);
  }

  /** The {@code foreachBatch} function. */
  VoidFunction2<Dataset<Row>, Long> asBatchFunction() {
    return (batch, batchId) ->
        merge(batch, batchId, IdempotentWrites.txnAppId(appId, batch.sparkSession()));
  }

  /** Merges one batch outside a stream (tests): the configured app id is the txn app id. */
  Outcome merge(Dataset<Row> batch, long batchId) {
    return merge(batch, batchId, appId);
  }

  Outcome merge(Dataset<Row> batch, long batchId, String txnAppId) {
    long started = System.nanoTime();
    // The batch's own session: the txn confs set on it are never seen by other queries.
    SparkSession spark = batch.sparkSession();
    WriteTimes.register(spark, GoldPlan.MERGE_TIME, Instant.now());
    Dataset<Row> incoming = records(batch).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      PartitionLiterals partitions = PartitionLiterals.of(
          incoming, plan.partitionBy(), maxPartitionLiterals, batchId, tables.history);
      boolean empty = plan.partitionBy().isEmpty() ? incoming.isEmpty() : partitions.isEmpty();
      if (empty) {
        tables.ensure(spark, incoming.schema());
        LOG.info("Merge batch {} into {}: no rows", batchId, tables.history);
        return new Outcome(batchId, 0, 0, TableChange.NONE, TableChange.NONE, false, 0);
      }
      Outcome outcome = retry.run(tables.history.name(), txnAppId, batchId,
          attempt -> mergeOnce(spark, incoming, partitions, batchId, txnAppId, attempt));
      LOG.info(
          "Merge batch {} into {}: {} new records of {} keys -> history {}, current {}{};"
              + " {} attempt(s), {} ms",
          batchId, tables.history, outcome.newRecords(), outcome.keys(), outcome.history(),
          outcome.current(), outcome.pointsSkipped() ? " (records: replay, skipped by Delta)" : "",
          outcome.attempts(), (System.nanoTime() - started) / 1_000_000);
      return outcome;
    } finally {
      incoming.unpersist(false);
    }
  }

  private Outcome mergeOnce(
      SparkSession spark, Dataset<Row> incoming, PartitionLiterals partitions, long batchId,
      String txnAppId, int attempt) {
    tables.ensure(spark, incoming.schema());
    Dataset<Row> stored = pruned(tables.points.read(spark), partitions)
        .select(columns(null, plan.pointColumns()));
    Dataset<Row> fresh = incoming.as(SOURCE)
        .join(stored.as(TARGET), nullSafeEqual(plan.pointIdentity()), "left_anti")
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> keys = null;
    Dataset<Row> versions = null;
    try {
      long newRecords = fresh.count();
      if (newRecords == 0) {
        // Every record is stored already, so every history they belong to is computed already.
        return new Outcome(batchId, 0, 0, TableChange.NONE, TableChange.NONE, false, attempt);
      }
      keys = fresh.select(columns(null, plan.key())).distinct()
          .persist(StorageLevel.MEMORY_AND_DISK());
      long keyCount = keys.count();
      Dataset<Row> records = stored.as(TARGET)
          .join(keys.as(SOURCE), expr(plan.gold().keyCondition()), "left_semi")
          .unionByName(fresh);
      versions = versions(records).persist(StorageLevel.MEMORY_AND_DISK());
      TableChange history = apply(spark, tables.history, versions, plan.historyColumns(),
          plan.versionIdentity(), keys, partitions, batchId, txnAppId);
      TableChange current = apply(spark, tables.current,
          versions.where(col(null, HistoryPlan.IS_CURRENT))
              .select(columns(null, plan.currentColumns())),
          plan.currentColumns(), plan.key(), keys, partitions, batchId, txnAppId);
      // Last: a batch that failed before this line finds its records missing and redoes it all.
      var writer = fresh.select(columns(null, plan.pointColumns())).write().format("delta")
          .mode("append")
          .option("txnAppId", txnAppId)
          .option("txnVersion", batchId);
      // Delta sets it on every commit of the session, and not when it skips a replayed write.
      spark.conf().unset(LAST_COMMIT_VERSION);
      tables.points.write(writer);
      boolean pointsSkipped = spark.conf().getOption(LAST_COMMIT_VERSION).isEmpty();
      written(tables.points);
      return new Outcome(batchId, newRecords, keyCount, history, current, pointsSkipped, attempt);
    } finally {
      fresh.unpersist(false);
      if (keys != null) {
        keys.unpersist(false);
      }
      if (versions != null) {
        versions.unpersist(false);
      }
    }
  }

  /** Derived columns, the delete flag, gold's source columns; one row per Kafka record. */
  Dataset<Row> records(Dataset<Row> batch) {
    Dataset<Row> derived = batch;
    for (NamedExpression d : plan.gold().derived()) {
      derived = derived.withColumn(d.name(), expr(d.expression()));
    }
    Column delete = plan.deleteWhen() == null
        ? lit(false)
        : coalesce(expr(plan.deleteWhen()), lit(false));
    return derived.withColumn(HistoryPlan.IS_DELETE, delete)
        .select(columns(null, plan.pointColumns()))
        .dropDuplicates(TableSchemas.TOPIC, TableSchemas.PARTITION, TableSchemas.OFFSET);
  }

  /**
   * Every version of the keys of {@code records}, which must hold all their records: a run of
   * non-delete records with equal tracked values is one version; a delete closes the version
   * before it and opens nothing.
   */
  Dataset<Row> versions(Dataset<Row> records) {
    Column[] key = columns(null, plan.key());
    WindowSpec inOrder = Window.partitionBy(key).orderBy(
        plan.ordering().stream().map(c -> col(null, c).asc_nulls_first()).toArray(Column[]::new));
    Column deleteFlag = col(null, HistoryPlan.IS_DELETE);
    Column sameTracked = lit(true);
    for (String c : plan.tracked()) {
      sameTracked = sameTracked.and(col(null, c).eqNullSafe(lag(col(null, c), 1).over(inOrder)));
    }
    // A record opens a segment when it is first, is a delete, follows a delete, or changes a
    // tracked value; segments are numbered in order.
    Column opens = deleteFlag
        .or(coalesce(lag(deleteFlag, 1).over(inOrder), lit(true)))
        .or(not(sameTracked));
    Dataset<Row> numbered = records.withColumn(SEGMENT, sum(when(opens, 1).otherwise(0))
        .over(inOrder.rowsBetween(Window.unboundedPreceding(), Window.currentRow())));

    Column order = struct(columns(null, plan.ordering()));
    List<String> openerColumns = new ArrayList<>(plan.gold().sourceColumns());
    openerColumns.removeAll(plan.key());
    openerColumns.removeAll(plan.untracked());
    List<Column> opener = new ArrayList<>(List.of(columns(null, openerColumns)));
    opener.add(col(null, plan.validityColumn()).as(FROM));
    List<Column> groups = new ArrayList<>(List.of(key));
    groups.add(col(null, SEGMENT));
    List<Column> aggregates = new ArrayList<>();
    aggregates.add(min_by(struct(opener.toArray(Column[]::new)), order).as(OPENER));
    aggregates.add(max(deleteFlag).as(DELETES));
    if (!plan.untracked().isEmpty()) {
      aggregates.add(max_by(struct(columns(null, plan.untracked())), order).as(LATEST));
    }
    Dataset<Row> segments = numbered.groupBy(groups.toArray(Column[]::new))
        .agg(aggregates.get(0), aggregates.subList(1, aggregates.size()).toArray(Column[]::new));

    WindowSpec segmentOrder = Window.partitionBy(key).orderBy(col(null, SEGMENT));
    Column from = col(OPENER, FROM);
    Dataset<Row> bounded = segments
        .withColumn(HistoryPlan.VALID_TO, lead(from, 1).over(segmentOrder))
        .withColumn(HistoryPlan.IS_CURRENT, lead(col(null, SEGMENT), 1).over(segmentOrder).isNull())
        .where(not(col(null, DELETES)));
    List<Column> out = new ArrayList<>();
    for (String c : plan.gold().sourceColumns()) {
      if (plan.key().contains(c)) {
        out.add(col(null, c));
      } else if (plan.untracked().contains(c)) {
        out.add(col(LATEST, c).as(c));
      } else {
        out.add(col(OPENER, c).as(c));
      }
    }
    out.add(from.as(HistoryPlan.VALID_FROM));
    out.add(col(null, HistoryPlan.VALID_TO));
    out.add(col(null, HistoryPlan.IS_CURRENT));
    return bounded.select(out.toArray(Column[]::new));
  }

  /**
   * Makes {@code target}'s rows of {@code keys} equal to {@code desired} (which holds all of them):
   * one MERGE that upserts what differs and deletes rows whose {@code identity} is gone, or no
   * MERGE when nothing differs. Audit times: an inserted row gets both, an updated one
   * {@code last_changed_at}.
   */
  private TableChange apply(
      SparkSession spark, TableRef target, Dataset<Row> desired, List<String> columns,
      List<String> identity, Dataset<Row> keys, PartitionLiterals partitions, long batchId,
      String txnAppId) {
    Dataset<Row> existing = pruned(target.read(spark), partitions).as(TARGET)
        .join(keys.as(SOURCE), expr(plan.gold().keyCondition()), "left_semi")
        .select(columns(null, columns));
    Dataset<Row> upserts = desired.as(SOURCE)
        .join(existing.as(TARGET), nullSafeEqual(columns), "left_anti")
        .withColumn(ACTION, lit(UPSERT));
    Dataset<Row> gone = existing.as(TARGET)
        .join(desired.as(SOURCE), nullSafeEqual(identity), "left_anti")
        .withColumn(ACTION, lit(DELETE));
    Dataset<Row> changes = upserts.unionByName(gone).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long changed = changes.count();
      if (changed == 0) {
        return TableChange.NONE;
      }
      Column on = nullSafeEqual(identity);
      Optional<Column> literals = partitions.predicate(TARGET);
      if (literals.isPresent()) {
        on = on.and(literals.get());
      }
      Map<String, String> set = new LinkedHashMap<>();
      for (String c : columns) {
        if (!identity.contains(c)) {
          set.put(quote(c), GoldPlan.col(SOURCE, c));
        }
      }
      set.put(quote(TableSchemas.LAST_CHANGED_AT), GoldPlan.MERGE_TIME + "()");
      Map<String, String> insert = new LinkedHashMap<>();
      for (String c : columns) {
        insert.put(quote(c), GoldPlan.col(SOURCE, c));
      }
      insert.put(quote(TableSchemas.FIRST_INSERTED_AT), GoldPlan.MERGE_TIME + "()");
      insert.put(quote(TableSchemas.LAST_CHANGED_AT), GoldPlan.MERGE_TIME + "()");
      String isUpsert = SOURCE + "." + ACTION + " = '" + UPSERT + "'";
      String isDelete = SOURCE + "." + ACTION + " = '" + DELETE + "'";
      // The MERGE repeats "differs", so a row that became equal since the count stays untouched.
      String differs = "NOT (" + columns.stream()
          .map(c -> GoldPlan.col(TARGET, c) + " <=> " + GoldPlan.col(SOURCE, c))
          .collect(Collectors.joining(" AND ")) + ")";
      var merge = target.deltaTable(spark).as(TARGET)
          .merge(changes.as(SOURCE), on)
          .whenMatched(isDelete).delete()
          .whenMatched(isUpsert + " AND " + differs).updateExpr(set)
          .whenNotMatched(isUpsert).insertExpr(insert);
      List<Row> result;
      RuntimeConfig conf = spark.conf();
      conf.set(GoldMerger.TXN_APP_ID, txnAppId);
      conf.set(GoldMerger.TXN_VERSION, batchId);
      try {
        result = merge.execute().collectAsList();
      } finally {
        // Left set, they would make Delta skip every later write of this session as "done".
        conf.unset(GoldMerger.TXN_APP_ID);
        conf.unset(GoldMerger.TXN_VERSION);
      }
      written(target);
      if (result.isEmpty()) {
        LOG.warn("Merge batch {} into {}: Delta's log already records batch {} for app id '{}',"
            + " so the MERGE was skipped: this batch is a replay after a failure.",
            batchId, target, batchId, txnAppId);
        return new TableChange(0, 0, true);
      }
      Row r = result.get(0);
      return new TableChange(
          r.getLong(r.fieldIndex("num_inserted_rows")) + r.getLong(r.fieldIndex("num_updated_rows")),
          r.getLong(r.fieldIndex("num_deleted_rows")), false);
    } finally {
      changes.unpersist(false);
    }
  }

  private void written(TableRef table) {
    if (afterWrite != null) {
      afterWrite.accept(table);
    }
  }

  private static Dataset<Row> pruned(Dataset<Row> table, PartitionLiterals partitions) {
    Optional<Column> literals = partitions.predicate(null);
    return literals.isPresent() ? table.where(literals.get()) : table;
  }

  /** {@code s.c <=> t.c AND ...} over {@code names}. */
  private static Column nullSafeEqual(List<String> names) {
    Column all = lit(true);
    for (String n : names) {
      all = all.and(col(SOURCE, n).eqNullSafe(col(TARGET, n)));
    }
    return all;
  }

  private static Column col(String alias, String name) {
    return org.apache.spark.sql.functions.col(
        alias == null ? quote(name) : alias + "." + quote(name));
  }

  private static Column[] columns(String alias, List<String> names) {
    return names.stream().map(n -> col(alias, n)).toArray(Column[]::new);
  }
}
