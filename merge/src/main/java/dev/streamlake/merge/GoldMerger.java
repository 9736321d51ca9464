package dev.streamlake.merge;

import static dev.streamlake.merge.GoldPlan.SOURCE;
import static dev.streamlake.merge.GoldPlan.TARGET;
import static dev.streamlake.merge.GoldPlan.quote;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.struct;

import dev.streamlake.common.BatchMetrics;
import dev.streamlake.common.ConfigException;
import dev.streamlake.common.IdempotentWrites;
import dev.streamlake.common.PipelineConfig.NamedExpression;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.WriteTimes;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges one micro-batch of bronze into gold. Called from {@code foreachBatch}; tests call
 * {@link #merge} directly.
 *
 * <ol>
 *   <li>Derive the configured columns, then keep the newest row per key (highest sequence, then
 *       Kafka coordinates): a MERGE must never see two source rows for one target row.
 *   <li>Collect the batch's distinct partition values (few) as literals ({@link
 *       PartitionLiterals}).
 *   <li>Read gold's rows for those keys, pruned to those partitions, and keep only source rows
 *       that are new keys, or strictly newer and different. Without this step a MERGE with an
 *       insert clause rewrites every file holding a matched row, even when no row changes.
 *   <li>MERGE those rows, the condition carrying the partition literals so the target scan and
 *       Delta's conflict check only cover the touched partitions. The MERGE repeats the
 *       newer-and-different test, so it stays correct whatever happened since step 3.
 * </ol>
 *
 * <p>Idempotent: the MERGE runs with {@code spark.databricks.delta.write.txnAppId} /
 * {@code txnVersion} (app id, batch id) set on the batch's own session, which Structured Streaming
 * clones per query; they are unset right after, whatever happens. Delta's MERGE skips a batch
 * whose version its log already records for the app id. Steps 3-4 are retried on Delta's
 * retryable conflicts ({@link ConflictRetry}). The first batch creates gold, or checks the one
 * it finds ({@link GoldTable}).
 */
final class GoldMerger {
  private static final Logger LOG = LoggerFactory.getLogger(GoldMerger.class);

  static final String TXN_APP_ID = "spark.databricks.delta.write.txnAppId";
  static final String TXN_VERSION = "spark.databricks.delta.write.txnVersion";
  static final String CACHE_COMPRESSION = "spark.sql.inMemoryColumnarStorage.compressed";
  static final String MATERIALIZE_SOURCE = "spark.databricks.delta.merge.materializeSource";

  private static final String ROW = "__streamlake_row";
  private static final String GOLD_PRESENT = "__streamlake_gold_present";
  private static final String DELETES = "d";

  /**
   * What a batch did. {@code replaySkipped}: Delta found the batch already committed.
   * {@code newestSequence}: the largest value of the first sequence column among the rows the
   * batch merged, as text, or null when it merged none.
   */
  record Outcome(
      long batchId,
      long changedRows,
      long inserted,
      long updated,
      long deleted,
      boolean replaySkipped,
      int attempts,
      String newestSequence) {

    Outcome(long batchId, long changedRows, long inserted, long updated, long deleted,
        boolean replaySkipped, int attempts) {
      this(batchId, changedRows, inserted, updated, deleted, replaySkipped, attempts, null);
    }
  }

  private final GoldPlan plan;
  private final TableRef gold;
  private final GoldTable goldTable;
  private final String appId;
  private final ConflictRetry retry;
  private final int maxPartitionLiterals;
  /**
   * Called with (batch id, attempt) on an executor inside the MERGE, after Delta took the
   * transaction's snapshot and before it commits, once per source row. Null in production; tests
   * set it to commit to gold "in between" and so force a real conflict.
   */
  private final VoidFunction2<Long, Integer> insideMerge;

  GoldMerger(
      GoldPlan plan, TableRef gold, String appId, ConflictRetry retry, int maxPartitionLiterals,
      VoidFunction2<Long, Integer> insideMerge) {
    this.plan = plan;
    this.gold = gold;
    this.goldTable = new GoldTable(plan, gold);
    this.appId = appId;
    this.retry = retry;
    this.maxPartitionLiterals = maxPartitionLiterals;
    this.insideMerge = insideMerge;
  }

  static GoldMerger forConfig(MergeConfig config) {
    return new GoldMerger(
        GoldPlan.of(config.settings().pipeline()),
        config.settings().gold(),
        config.settings().appId(),
        ConflictRetry.sleeping(config.maxRetries(), config.retryBackoff()),
        config.maxPartitionLiterals(),
        null);
  }

  /**
   * At the query's start: creates gold, or brings an existing gold up to this plan's columns
   * ({@link GoldTable#ensure}). The columns' types are those a batch of bronze in the contract's
   * shape gets, derived columns included; analysing an empty frame runs no job.
   */
  void prepareGold(SparkSession spark, StructType bronzeContract, String readerSchema) {
    StructType sourceSchema =
        sourceSchema(latestPerKey(spark.createDataFrame(List.<Row>of(), bronzeContract)));
    goldTable.ensure(spark, sourceSchema, readerSchema);
  }

  /** The {@code foreachBatch} function. */
  VoidFunction2<Dataset<Row>, Long> asBatchFunction() {
    return (batch, batchId) -> {
      Outcome o = merge(batch, batchId, IdempotentWrites.txnAppId(appId, batch.sparkSession()));
      BatchMetrics.record(batch.sparkSession(), batchId, new BatchMetrics.Figures(
          Map.of("gold", o.inserted() + o.updated() + o.deleted()), Map.of(), Map.of(),
          plan.sequence().get(0), o.newestSequence()));
    };
  }

  /** Merges one batch outside a stream (tests): the configured app id is the txn app id. */
  Outcome merge(Dataset<Row> batch, long batchId) {
    return merge(batch, batchId, appId);
  }

  Outcome merge(Dataset<Row> batch, long batchId, String txnAppId) {
    long started = System.nanoTime();
    // The batch's own session: Structured Streaming clones it per query, so the txn confs set
    // on it below are never seen by other queries sharing the driver's session.
    SparkSession spark = batch.sparkSession();
    cacheUncompressed(spark);
    WriteTimes.register(spark, GoldPlan.MERGE_TIME, Instant.now());
    Dataset<Row> latest = latestPerKey(batch).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      // The first action fills the cache: the partition values of a partitioned gold, else
      // a plain emptiness check.
      PartitionLiterals partitions =
          PartitionLiterals.of(latest, plan.partitionBy(), maxPartitionLiterals, batchId, gold);
      boolean empty = plan.partitionBy().isEmpty() ? latest.isEmpty() : partitions.isEmpty();
      if (empty) {
        goldTable.ensure(spark, sourceSchema(latest), "the pipeline's reader schema");
        LOG.info("Merge batch {} into {}: no rows", batchId, gold);
        return new Outcome(batchId, 0, 0, 0, 0, false, 0);
      }
      int[] attempts = {0};
      Outcome outcome =
          retry.run(gold.name(), txnAppId, batchId, attempt -> {
            attempts[0] = attempt;
            return mergeOnce(spark, latest, partitions, batchId, txnAppId, attempt);
          });
      LOG.info(
          "Merge batch {} into {}: {} rows newer than gold -> {} inserted, {} updated, {} deleted{};"
              + " {} attempt(s), {} ms",
          batchId, gold, outcome.changedRows(), outcome.inserted(),
          outcome.updated(), outcome.deleted(),
          outcome.replaySkipped() ? " (replay: skipped by Delta)" : "",
          attempts[0], (System.nanoTime() - started) / 1_000_000);
      return outcome;
    } finally {
      latest.unpersist(false);
    }
  }

  /**
   * The two frames a batch caches live for that batch only and are read two or three times;
   * compressing them cost about a fifth of stage 3's CPU in its flight recording and bought
   * nothing back (benchmarks/README.md, "Stage 3's cache"). A value the user set is kept.
   */
  private static void cacheUncompressed(SparkSession spark) {
    if (!spark.conf().contains(CACHE_COMPRESSION)) {
      spark.conf().set(CACHE_COMPRESSION, "false");
    }
  }

  private Outcome mergeOnce(
      SparkSession spark, Dataset<Row> latest, PartitionLiterals partitions, long batchId,
      String txnAppId, int attempt) {
    goldTable.ensure(spark, sourceSchema(latest), "the pipeline's reader schema");
    Dataset<Row> computed = changedRows(spark, latest, partitions);
    // With deletes, a second MERGE reads the changes after the first one wrote gold. Delta plans
    // a MERGE's source again on the newest snapshots, so the cache would be bypassed and the
    // changes computed anew from the gold they just changed (and found empty); a local
    // checkpoint cuts them loose from gold.
    Dataset<Row> changes = plan.deletes()
        ? computed.localCheckpoint(true)
        : computed.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      // The count the batch needs anyway, and in the same pass the newest sequence value for
      // the batch's metrics line.
      Row summary = changes.agg(count(lit(1)), max(col(quote(plan.sequence().get(0))))).first();
      long changed = summary.getLong(0);
      String newestSequence = summary.isNullAt(1) ? null : asText(summary.get(1));
      if (changed == 0) {
        // Nothing would change: no MERGE, so no commit, no rewrite, no change-feed entry.
        return new Outcome(batchId, 0, 0, 0, 0, false, attempt);
      }
      Dataset<Row> source =
          insideMerge == null ? changes : changes.filter(insideMergeCall(batchId, attempt));
      Column on = expr(plan.keyCondition());
      Optional<Column> literals = partitions.predicate(TARGET);
      if (literals.isPresent()) {
        on = on.and(literals.get());
      }
      var merge = gold.deltaTable(spark).as(TARGET).merge(source.as(SOURCE), on);
      String upsert = "";
      if (plan.deletes()) {
        merge = merge.whenMatched(SOURCE + "." + GoldPlan.DELETE + " AND " + plan.updateCondition())
            .delete();
        upsert = "NOT " + SOURCE + "." + GoldPlan.DELETE + " AND ";
      }
      merge = merge.whenMatched(upsert + plan.updateCondition()).updateExpr(plan.updateSet());
      merge = plan.deletes()
          ? merge.whenNotMatched("NOT " + SOURCE + "." + GoldPlan.DELETE)
              .insertExpr(plan.insertValues())
          : merge.whenNotMatched().insertExpr(plan.insertValues());
      // The hook's test UDF is nondeterministic: Delta must copy that source to read it once.
      Optional<Row> result = executeOnce(spark, merge, txnAppId, batchId, insideMerge == null);
      // Gold first: a replay after a crash between the two commits finds the deleted rows gone
      // from gold and still remembers their deletes; the other way round it would find the
      // deletes remembered, no longer newer, and leave the rows in gold.
      if (plan.deletes()) {
        rememberDeletes(spark, changes, partitions, batchId, txnAppId);
      }
      if (result.isEmpty()) {
        // MERGE returns no metrics row only when it found (appId, batchId) in gold's log.
        LOG.warn(
            "Merge batch {} into {}: Delta's log already records batch {} or later for app id"
                + " '{}', so the MERGE was skipped: this batch is a replay after a failure.",
            batchId, gold, batchId, txnAppId);
        return new Outcome(batchId, changed, 0, 0, 0, true, attempt, newestSequence);
      }
      Row r = result.get();
      return new Outcome(
          batchId, changed, r.getLong(r.fieldIndex("num_inserted_rows")),
          r.getLong(r.fieldIndex("num_updated_rows")),
          r.getLong(r.fieldIndex("num_deleted_rows")), false, attempt, newestSequence);
    } finally {
      changes.unpersist(false);
    }
  }

  /**
   * Runs a MERGE once per (app id, batch id): the txn settings make Delta skip it when the
   * table's log already records the batch, and then it returns no metrics row.
   *
   * <p>{@code sourceHeld}: the source is a frame this batch persisted or checkpointed, so it
   * reads the same in both of the MERGE's passes. Delta cannot tell (it copies any source that is
   * not a plain Delta scan), and its copy is one more pass and one more cached copy of the batch
   * per MERGE; then the MERGE reads ours ({@code materializeSource=none}) unless the user chose.
   */
  private static Optional<Row> executeOnce(SparkSession spark,
      io.delta.tables.DeltaMergeBuilder merge, String txnAppId, long batchId, boolean sourceHeld) {
    RuntimeConfig conf = spark.conf();
    boolean readHeldSource = sourceHeld && !conf.contains(MATERIALIZE_SOURCE);
    conf.set(TXN_APP_ID, txnAppId);
    conf.set(TXN_VERSION, batchId);
    if (readHeldSource) {
      conf.set(MATERIALIZE_SOURCE, "none");
    }
    try {
      List<Row> result = merge.execute().collectAsList();
      return result.isEmpty() ? Optional.empty() : Optional.of(result.get(0));
    } finally {
      // Left set, they would make Delta skip every later write of this session as "done".
      conf.unset(TXN_APP_ID);
      conf.unset(TXN_VERSION);
      if (readHeldSource) {
        conf.unset(MATERIALIZE_SOURCE);
      }
    }
  }

  /**
   * Keeps the remembered deletes in step with gold: a newer delete is remembered (or moves the
   * remembered one forward), a newer upsert forgets the key's delete, since gold's row now
   * stands in its place in the order.
   */
  private void rememberDeletes(SparkSession spark, Dataset<Row> changes,
      PartitionLiterals partitions, long batchId, String txnAppId) {
    TableRef deletes = goldTable.deletes();
    Column on = expr(plan.keyCondition(DELETES));
    Optional<Column> literals = partitions.predicate(DELETES);
    if (literals.isPresent()) {
      on = on.and(literals.get());
    }
    String isDelete = SOURCE + "." + GoldPlan.DELETE;
    String newer = plan.newerCondition(DELETES);
    java.util.Map<String, String> orderSet = new java.util.LinkedHashMap<>();
    for (String c : plan.ordering()) {
      orderSet.put(quote(c), GoldPlan.col(SOURCE, c));
    }
    orderSet.put(quote(GoldTable.DELETED_AT), GoldPlan.MERGE_TIME + "()");
    java.util.Map<String, String> insert = new java.util.LinkedHashMap<>();
    for (String c : plan.deleteColumns()) {
      insert.put(quote(c), GoldPlan.col(SOURCE, c));
    }
    insert.put(quote(GoldTable.DELETED_AT), GoldPlan.MERGE_TIME + "()");
    var merge = deletes.deltaTable(spark).as(DELETES)
        .merge(changes.as(SOURCE), on)
        .whenMatched(isDelete + " AND " + newer).updateExpr(orderSet)
        .whenMatched("NOT " + isDelete + " AND " + newer).delete()
        .whenNotMatched(isDelete).insertExpr(insert);
    if (executeOnce(spark, merge, txnAppId, batchId, true).isEmpty()) {
      LOG.warn("Remembered deletes {}: batch {} is already recorded for app id '{}' (a replay)",
          deletes, batchId, txnAppId);
    }
  }

  /** The batch rows' columns that gold stores: without the delete flag. */
  private static StructType sourceSchema(Dataset<Row> latest) {
    StructType schema = new StructType();
    for (StructField f : latest.schema().fields()) {
      if (!f.name().equals(GoldPlan.DELETE)) {
        schema = schema.add(f);
      }
    }
    return schema;
  }

  /**
   * Plans a batch over an empty bronze frame, so that a derived column or a delete condition
   * that does not fit bronze stops stage 3 at start, naming the setting, rather than failing
   * its first batch.
   */
  void checkAgainst(SparkSession spark, StructType bronze) {
    Dataset<Row> empty = spark.createDataFrame(List.of(), bronze);
    try {
      latestPerKey(empty).schema();
    } catch (Exception e) { // Spark's AnalysisException is checked, though Scala does not say so
      throw new ConfigException("The pipeline's gold.derived or gold.deleteWhen does not fit"
          + " bronze's columns " + List.of(bronze.fieldNames()) + ": "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
    }
    if (plan.deletes()) {
      Dataset<Row> derived = empty;
      for (NamedExpression d : plan.derived()) {
        derived = derived.withColumn(d.name(), expr(d.expression()));
      }
      var type = derived.select(expr(plan.deleteWhen())).schema().fields()[0].dataType();
      if (!type.equals(DataTypes.BooleanType)) {
        throw new ConfigException("Invalid pipeline setting gold.deleteWhen ("
            + plan.deleteWhen() + "): it is of type " + type.simpleString()
            + ", but it must be a condition (boolean) on the bronze row");
      }
    }
  }

  /** Derived columns, then the newest row per key; columns in gold's source-column order. */
  Dataset<Row> latestPerKey(Dataset<Row> batch) {
    Dataset<Row> derived = batch;
    for (NamedExpression d : plan.derived()) {
      derived = derived.withColumn(d.name(), expr(d.expression()));
    }
    Column ordering = struct(columns(null, plan.ordering()));
    List<Column> fields = new java.util.ArrayList<>(List.of(columns(null, plan.sourceColumns())));
    if (plan.deletes()) {
      // A condition that is NULL for a row does not make it a delete.
      derived = derived.withColumn(
          GoldPlan.DELETE, functions.coalesce(expr(plan.deleteWhen()), lit(false)));
      fields.add(col(GoldPlan.DELETE));
    }
    Column row = struct(fields.toArray(Column[]::new));
    return derived
        .groupBy(columns(null, plan.key()))
        .agg(max_by(row, ordering).as(ROW))
        .select(col(ROW + ".*"));
  }

  /**
   * Source rows newer than what gold holds for their key: a new key, or strictly newer than
   * gold's row by the total order; with deletes, also newer than the key's remembered delete.
   */
  Dataset<Row> changedRows(SparkSession spark, Dataset<Row> latest, PartitionLiterals partitions) {
    Optional<Column> literals = partitions.predicate(null);
    Dataset<Row> target = gold.read(spark);
    if (literals.isPresent()) {
      target = target.where(literals.get());
    }
    target = target.select(columns(null, plan.comparedColumns())).withColumn(GOLD_PRESENT, lit(true));
    Dataset<Row> joined = latest.as(SOURCE)
        .join(target.as(TARGET), expr(plan.keyCondition()), "left_outer")
        .where(expr(TARGET + "." + GOLD_PRESENT + " IS NULL OR (" + plan.updateCondition() + ")"));
    List<Column> selected = new java.util.ArrayList<>(List.of(columns(SOURCE, plan.sourceColumns())));
    if (plan.deletes()) {
      Dataset<Row> deletes = goldTable.deletes().read(spark);
      if (literals.isPresent()) {
        deletes = deletes.where(literals.get());
      }
      deletes = deletes.select(columns(null, plan.deleteColumns())).withColumn(GOLD_PRESENT, lit(true));
      joined = joined
          .join(deletes.as(DELETES), expr(plan.keyCondition(DELETES)), "left_outer")
          .where(expr(DELETES + "." + GOLD_PRESENT + " IS NULL OR " + plan.newerCondition(DELETES)));
      selected.add(col(SOURCE + "." + GoldPlan.DELETE));
    }
    return joined.select(selected.toArray(Column[]::new));
  }

  private Column insideMergeCall(long batchId, int attempt) {
    // Captured alone: the UDF is serialized to executors, and this merger is not serializable.
    VoidFunction2<Long, Integer> hook = insideMerge;
    UserDefinedFunction f =
        functions.udf(
                (UDF2<Long, Integer, Boolean>) (b, a) -> {
                  hook.call(b, a);
                  return true;
                },
                DataTypes.BooleanType)
            .asNondeterministic();
    return f.apply(lit(batchId), lit(attempt));
  }

  /** A sequence value as text; a timestamp in UTC (ISO 8601), whatever the session's zone. */
  private static String asText(Object value) {
    if (value instanceof java.sql.Timestamp t) {
      return t.toInstant().toString();
    }
    if (value instanceof Instant i) {
      return i.toString();
    }
    return value.toString();
  }

  private static Column[] columns(String alias, List<String> names) {
    return names.stream()
        .map(n -> col(alias == null ? quote(n) : alias + "." + quote(n)))
        .toArray(Column[]::new);
  }
}
