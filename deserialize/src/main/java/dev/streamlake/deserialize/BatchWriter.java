package dev.streamlake.deserialize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.timestamp_micros;

import dev.streamlake.common.BatchMetrics;
import dev.streamlake.common.IdempotentWrites;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.LongConsumer;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The foreachBatch body. Classifies the batch once into cached compact rows (without the raw bytes
 * of good rows), counts it in one pass, applies the circuit breaker before writing anything, then
 * writes bronze and dead_letter with Delta's idempotent-write options.
 *
 * <p>Exactly once, even when a replay classifies differently: bronze is always written first, and
 * always committed (empty or not), so each batch's bronze rows are fixed by one commit that Delta
 * skips on every replay. The dead letters must be the batch's rows that bronze lacks. When this
 * attempt's bronze write committed, from the classification the counts saw, that is simply the
 * classification's failed rows: the classification is sealed after the counts, so a write that
 * would have to classify a lost cached partition again fails instead. Otherwise (a replay whose
 * bronze commit Delta skipped, or a lost partition) the dead letters are derived from what bronze
 * holds. Whatever changed between two attempts (rules, schema files, registry answers, blocks
 * recomputed after a lost executor), each raw row ends in exactly one table. DESIGN.md has the
 * argument.
 */
final class BatchWriter implements VoidFunction2<Dataset<Row>, Long> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);

  private final String queryName;
  private final String appId;
  private final String stage;
  private final TableRef bronze;
  private final TableRef deadLetter;
  private final ClassifiedRowLayout layout;
  private final DecoderSettings decoder;
  private final Rules rules;
  private final Double deadLetterLimit;
  private final OffsetLogClock clock;
  /**
   * Set by Delta after each commit a session makes; unset before bronze's write, it tells whether
   * that write committed or was skipped as a replay.
   */
  static final String LAST_COMMIT_VERSION = "spark.databricks.delta.lastCommitVersionInSession";

  /** Where a batch's dead letters came from. */
  enum DeadLetterPath {
    /** This attempt's classification, the one bronze's commit used. */
    CLASSIFICATION,
    /** The batch's rows that bronze lacks. */
    DERIVED_FROM_BRONZE
  }

  /** Test seam: runs after the counts and before bronze's write. */
  private transient LongConsumer beforeBronzeWrite = batchId -> {};
  /** Test seam: runs after bronze's commit and before dead_letter's. */
  private transient LongConsumer afterBronzeCommit = batchId -> {};
  /** Test seam: tells which way each batch's dead letters were found. */
  private transient BiConsumer<Long, DeadLetterPath> deadLetterPath = (batchId, path) -> {};

  BatchWriter(String queryName, String appId, String stage, TableRef bronze, TableRef deadLetter,
      ClassifiedRowLayout layout, DecoderSettings decoder, Rules rules, Double deadLetterLimit,
      OffsetLogClock clock) {
    this.queryName = queryName;
    this.appId = appId;
    this.stage = stage;
    this.bronze = bronze;
    this.deadLetter = deadLetter;
    this.layout = layout;
    this.decoder = decoder;
    this.rules = rules;
    this.deadLetterLimit = deadLetterLimit;
    this.clock = clock;
  }

  BatchWriter beforeBronzeWrite(LongConsumer hook) {
    this.beforeBronzeWrite = hook;
    return this;
  }

  BatchWriter afterBronzeCommit(LongConsumer hook) {
    this.afterBronzeCommit = hook;
    return this;
  }

  BatchWriter onDeadLetterPath(BiConsumer<Long, DeadLetterPath> hook) {
    this.deadLetterPath = hook;
    return this;
  }

  @Override
  public void call(Dataset<Row> batch, Long batchId) {
    long batchMicros = clock.batchMicros(batch.sparkSession(), batchId);
    Classification classification =
        new Classification(batch, layout, decoder, rules, batchMicros).cache();
    Dataset<Row> classified = classification.rows();
    try {
      BatchCounts counts = BatchCounts.of(classified, rules.names());
      LOG.info("{} batch {}: {}", queryName, batchId, counts.describe());
      if (counts.rows() == 0) {
        report(batch, batchId, counts, 0, 0);
        return;
      }
      if (deadLetterLimit != null && counts.deadLetterShare() > deadLetterLimit) {
        throw new DeadLetterLimitExceededException(queryName, batchId, counts, deadLetterLimit);
      }
      // Every write from here reads the classification the counts saw, or fails.
      classification.seal();
      SparkSession spark = batch.sparkSession();
      String txnAppId = IdempotentWrites.txnAppId(appId, spark);
      spark.conf().unset(LAST_COMMIT_VERSION);
      boolean sameClassification = true;
      String commitMetadata = counts.toJson(batchId);
      beforeBronzeWrite.accept(batchId);
      try {
        writeBronze(classified, txnAppId, batchId, commitMetadata);
      } catch (Exception e) { // Spark's SparkException is checked, though Scala does not say so
        if (!ClassificationSealedException.causedBy(e)) {
          throw e;
        }
        LOG.warn("{} batch {}: part of the cached classification was lost before bronze's"
            + " commit; classifying it again, the dead letters follow from what bronze holds",
            queryName, batchId);
        classification.unseal();
        sameClassification = false;
        writeBronze(classified, txnAppId, batchId, commitMetadata);
      }
      boolean committedNow = spark.conf().getOption(LAST_COMMIT_VERSION).isDefined();
      afterBronzeCommit.accept(batchId);

      if (committedNow && sameClassification
          && writeOwnDeadLetters(classified, counts, txnAppId, batchId)) {
        deadLetterPath.accept(batchId, DeadLetterPath.CLASSIFICATION);
        report(batch, batchId, counts, counts.good(), counts.deadLetters());
        return;
      }
      classification.unseal();
      deadLetterPath.accept(batchId, DeadLetterPath.DERIVED_FROM_BRONZE);
      writeDeadLettersBronzeLacks(classified, batch, txnAppId, batchId, batchMicros, counts);
    } finally {
      classification.uncache();
    }
  }

  /**
   * Hands the batch's figures to the metrics line ({@link BatchMetrics}): the counts this batch
   * made anyway, so the metrics cost no pass over the data. Dead letters per rule are the rule
   * failures: only a dead letter has broken rules.
   */
  private static void report(Dataset<Row> batch, long batchId, BatchCounts counts,
      long toBronze, long toDeadLetter) {
    Map<String, Long> written = new LinkedHashMap<>();
    written.put("bronze", toBronze);
    written.put("dead_letter", toDeadLetter);
    BatchMetrics.record(batch.sparkSession(), batchId, new BatchMetrics.Figures(written,
        counts.deadLettersByCode(), counts.ruleFailures(), null, null));
  }

  /** Bronze's commit of the batch, which fixes its split; the batch's counts are its metadata. */
  private void writeBronze(Dataset<Row> classified, String txnAppId, long batchId,
      String commitMetadata) {
    append(layout.bronzeRows(classified), bronze, txnAppId, batchId, commitMetadata);
  }

  /**
   * The usual case: this attempt committed bronze from the sealed classification the counts saw,
   * so bronze holds exactly its good rows and its failed rows are the dead letters. A lost cached
   * partition fails this write instead of being classified differently; then nothing was committed
   * to dead_letter, this returns false and the caller derives the dead letters from bronze.
   */
  private boolean writeOwnDeadLetters(Dataset<Row> classified, BatchCounts counts,
      String txnAppId, long batchId) {
    if (counts.deadLetters() == 0) {
      LOG.info("{} batch {} written: {} rows to {}, none to {}", queryName, batchId,
          counts.good(), bronze, deadLetter);
      return true;
    }
    try {
      append(layout.deadLetterRows(classified.where(not(ClassifiedRowLayout.isGood())), stage),
          deadLetter, txnAppId, batchId, null);
    } catch (Exception e) { // Spark's SparkException is checked, though Scala does not say so
      if (!ClassificationSealedException.causedBy(e)) {
        throw e;
      }
      LOG.warn("{} batch {}: part of the cached classification was lost after bronze's commit;"
          + " deriving the batch's dead letters from what bronze holds instead", queryName,
          batchId);
      return false;
    }
    LOG.info("{} batch {} written: {} rows to {}, {} rows to {}", queryName, batchId,
        counts.good(), bronze, counts.deadLetters(), deadLetter);
    return true;
  }

  /**
   * After a replay whose bronze commit Delta skipped, or a lost cached partition: the dead letters
   * are the batch's rows that bronze lacks, whatever this attempt's classification says.
   */
  private void writeDeadLettersBronzeLacks(Dataset<Row> classified, Dataset<Row> batch,
      String txnAppId, long batchId, long batchMicros, BatchCounts counts) {
    Dataset<Row> notInBronze = classified
        .join(bronzeRowsOf(classified, batch), seq(ClassifiedRowLayout.coordinateNames()), "left_anti")
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Row split = notInBronze.agg(count_if(not(ClassifiedRowLayout.isGood())),
          count_if(ClassifiedRowLayout.isGood())).first();
      long failed = split.getLong(0);
      long conflicts = split.getLong(1);
      if (failed + conflicts > 0) {
        Dataset<Row> deadLetters =
            layout.deadLetterRows(notInBronze.where(not(ClassifiedRowLayout.isGood())), stage);
        if (conflicts > 0) {
          LOG.warn("{} batch {}: {} rows classify as good now but are not in bronze, whose rows"
              + " of this batch were committed before; they go to {} as RECLASSIFIED",
              queryName, batchId, conflicts, deadLetter);
          deadLetters = deadLetters.unionByName(
              reclassified(notInBronze.where(ClassifiedRowLayout.isGood()), batch, batchId,
                  batchMicros));
        }
        append(deadLetters, deadLetter, txnAppId, batchId, null);
      }
      LOG.info("{} batch {} written: {} rows to {}, {} rows to {}", queryName, batchId,
          counts.rows() - failed - conflicts, bronze, failed + conflicts, deadLetter);
      report(batch, batchId, counts, counts.rows() - failed - conflicts, failed + conflicts);
    } finally {
      notInBronze.unpersist();
    }
  }

  /**
   * Coordinates of the bronze rows that may belong to this batch: the batch's ingest dates and,
   * per Kafka partition, its offset range, so Delta prunes partitions and skips files by their
   * offset statistics. The anti-join against the batch's own coordinates makes it exact.
   */
  private Dataset<Row> bronzeRowsOf(Dataset<Row> classified, Dataset<Row> batch) {
    List<Row> ranges = classified
        .groupBy(col(TableSchemas.TOPIC), col(TableSchemas.PARTITION))
        .agg(min(TableSchemas.OFFSET), max(TableSchemas.OFFSET))
        .collectAsList();
    List<Row> dates = classified.select(TableSchemas.INGEST_DATE).distinct().collectAsList();
    Column inRange = lit(false);
    for (Row r : ranges) {
      inRange = inRange.or(col(TableSchemas.TOPIC).equalTo(r.getString(0))
          .and(col(TableSchemas.PARTITION).equalTo(r.getInt(1)))
          .and(col(TableSchemas.OFFSET).between(r.getLong(2), r.getLong(3))));
    }
    Column onDate = col(TableSchemas.INGEST_DATE)
        .isin(dates.stream().map(d -> d.get(0)).toArray());
    return bronze.read(batch.sparkSession())
        .where(onDate.and(inRange))
        .select(ClassifiedRowLayout.coordinates());
  }

  /** Rows bronze lacks although they classify as good now: the raw row, as a dead letter. */
  private Dataset<Row> reclassified(Dataset<Row> good, Dataset<Row> batch, long batchId,
      long batchMicros) {
    Dataset<Row> raw = batch.join(good.select(ClassifiedRowLayout.coordinates()),
        seq(ClassifiedRowLayout.coordinateNames()), "left_semi");
    List<Column> columns = new ArrayList<>();
    for (String c : TableSchemas.raw().fieldNames()) {
      columns.add(col("`" + c + "`"));
    }
    columns.add(lit(stage).as(TableSchemas.STAGE));
    columns.add(lit(ErrorCode.RECLASSIFIED.name()).as(TableSchemas.ERROR_CODE));
    columns.add(concat(lit("this record of batch " + batchId + " decodes and passes the rules"
            + " now, but the batch's bronze rows were committed without it (schema files, rules or"
            + " the schema registry changed in between: a replay after a redeploy, or blocks"
            + " recomputed after a lost executor); re-drive it to bring it to bronze [topic "), col(TableSchemas.TOPIC), lit(", partition "),
        col(TableSchemas.PARTITION), lit(", offset "), col(TableSchemas.OFFSET), lit("]"))
        .as(TableSchemas.ERROR_MESSAGE));
    columns.add(timestamp_micros(lit(batchMicros)).as(TableSchemas.FAILED_AT));
    return raw.select(columns.toArray(Column[]::new));
  }

  /**
   * No schema merging: the query's start gave bronze every column its rows have
   * (TableEvolution), so a write whose columns differ from the table's is a bug that must fail,
   * not a change to make to the table mid-stream.
   */
  private static void append(Dataset<Row> rows, TableRef table, String txnAppId, long batchId,
      String userMetadata) {
    DataFrameWriter<Row> writer =
        rows.write()
            .format("delta")
            .mode(SaveMode.Append)
            .partitionBy(TableSchemas.INGEST_DATE)
            .option("txnAppId", txnAppId)
            .option("txnVersion", batchId);
    if (userMetadata != null) {
      writer = writer.option("userMetadata", userMetadata);
    }
    table.write(writer);
  }

  private static scala.collection.immutable.Seq<String> seq(List<String> names) {
    return CollectionConverters.asScala(names).toSeq();
  }
}
