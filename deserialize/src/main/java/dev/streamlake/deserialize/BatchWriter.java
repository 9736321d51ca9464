package dev.streamlake.deserialize;

import dev.streamlake.common.PipelineConfig.NamedExpression;
import dev.streamlake.common.IdempotentWrites;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The foreachBatch body: computes the classified batch once (persisted), counts it in one pass,
 * applies the circuit breaker before writing anything, then appends to bronze and dead_letter with
 * Delta's idempotent-write options, so a replayed batch writes nothing twice.
 */
final class BatchWriter implements VoidFunction2<Dataset<Row>, Long> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);

  private final String queryName;
  private final String appId;
  private final String stage;
  private final TableRef bronze;
  private final TableRef deadLetter;
  private final String readerSchemaJson;
  private final List<NamedExpression> rules;
  private final Double deadLetterLimit;

  BatchWriter(String queryName, String appId, String stage, TableRef bronze, TableRef deadLetter,
      Schema reader, List<NamedExpression> rules, Double deadLetterLimit) {
    this.queryName = queryName;
    this.appId = appId;
    this.stage = stage;
    this.bronze = bronze;
    this.deadLetter = deadLetter;
    this.readerSchemaJson = reader.toString();
    this.rules = List.copyOf(rules);
    this.deadLetterLimit = deadLetterLimit;
  }

  @Override
  public void call(Dataset<Row> batch, Long batchId) {
    Dataset<Row> classified = batch.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<Column> metrics = BatchCounts.metrics(rules);
      Row row = classified.agg(metrics.get(0), metrics.subList(1, metrics.size())
          .toArray(Column[]::new)).first();
      BatchCounts counts = BatchCounts.from(row, rules);
      LOG.info("{} batch {}: {}", queryName, batchId, counts.describe());
      if (deadLetterLimit != null && counts.deadLetterShare() > deadLetterLimit) {
        throw new DeadLetterLimitExceededException(queryName, batchId, counts, deadLetterLimit);
      }
      Schema reader = new Schema.Parser().parse(readerSchemaJson);
      String txnAppId = IdempotentWrites.txnAppId(appId, batch.sparkSession());
      if (counts.good() > 0) {
        append(Classification.bronzeRows(classified, reader), bronze, txnAppId, batchId, true);
      }
      if (counts.deadLetters() > 0) {
        append(Classification.deadLetterRows(classified, stage), deadLetter, txnAppId, batchId,
            false);
      }
      LOG.info("{} batch {} written: {} rows to {}, {} rows to {}", queryName, batchId,
          counts.good(), bronze, counts.deadLetters(), deadLetter);
    } finally {
      classified.unpersist();
    }
  }

  private static void append(
      Dataset<Row> rows, TableRef table, String txnAppId, long batchId, boolean mergeSchema) {
    DataFrameWriter<Row> writer =
        rows.write()
            .format("delta")
            .mode(SaveMode.Append)
            .partitionBy(TableSchemas.INGEST_DATE)
            .option("txnAppId", txnAppId)
            .option("txnVersion", batchId);
    if (mergeSchema) {
      // A newer reader schema adds its fields to bronze, as Avro resolution adds them to records.
      writer = writer.option("mergeSchema", "true");
    }
    table.write(writer);
  }
}
