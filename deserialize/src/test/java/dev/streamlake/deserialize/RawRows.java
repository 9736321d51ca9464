package dev.streamlake.deserialize;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.StageSettings;
import dev.streamlake.common.TableSchemas;
import java.nio.charset.StandardCharsets;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import scala.jdk.javaapi.CollectionConverters;

/** Builds raw-table rows (TableSchemas.raw()) and raw Delta tables for stage 2 tests. */
final class RawRows {
  static final String TOPIC = "sensor-readings";
  static final LocalDate INGEST_DATE = LocalDate.of(2024, 3, 1);
  static final Instant INGESTED_AT = Instant.parse("2024-03-01T00:00:05Z");

  private RawRows() {}

  /** A raw row on partition 0 at {@code offset}, with a key and one header. */
  static Row row(long offset, byte[] value) {
    return row(0, offset, value);
  }

  static Row row(int partition, long offset, byte[] value) {
    Row header = RowFactory.create("source", "test".getBytes(StandardCharsets.UTF_8));
    return RowFactory.create(
        ("key-" + offset).getBytes(StandardCharsets.UTF_8),
        value,
        TOPIC,
        partition,
        offset,
        Timestamp.from(Instant.parse("2024-03-01T00:00:00Z").plusMillis(offset)),
        0,
        CollectionConverters.asScala(List.of(header)).toSeq(),
        Timestamp.from(INGESTED_AT),
        Date.valueOf(INGEST_DATE));
  }

  static Dataset<Row> frame(SparkSession spark, List<Row> rows) {
    return spark.createDataFrame(rows, TableSchemas.raw());
  }

  /** Appends {@code rows} to the raw Delta table at {@code path} as one file. */
  static void append(SparkSession spark, String path, List<Row> rows) {
    frame(spark, rows).coalesce(1).write().format("delta").mode(SaveMode.Append)
        .partitionBy(TableSchemas.INGEST_DATE).save(path);
  }

  /** The same config with the pipeline changed (rules, format, payload cap...). */
  static DeserializeConfig withPipeline(DeserializeConfig c, UnaryOperator<PipelineConfig> f) {
    StageSettings s = c.settings();
    StageSettings changed = new StageSettings(s.stage(), s.layout(), f.apply(s.pipeline()),
        s.pipelineSource(), s.trigger(), s.appId(), s.raw(), s.bronze(), s.deadLetter(), s.gold());
    return new DeserializeConfig(changed, c.rawMaxFilesPerTrigger(), c.rawMaxBytesPerTrigger(),
        c.deadLetterLimit(), c.schemaRegistry());
  }

  static PipelineConfig withRules(PipelineConfig p, List<PipelineConfig.NamedExpression> rules) {
    return new PipelineConfig(p.name(), p.topic(), p.format(), p.schemas(), p.maxPayloadBytes(),
        rules, p.deadLetterLimit(), p.gold());
  }

  static PipelineConfig withMaxPayload(PipelineConfig p, long max) {
    return new PipelineConfig(p.name(), p.topic(), p.format(), p.schemas(), max, p.rules(),
        p.deadLetterLimit(), p.gold());
  }
}
