package dev.streamlake.ops;

import dev.streamlake.common.TableSchemas;
import dev.streamlake.deserialize.DeserializeConfig;
import dev.streamlake.deserialize.DeserializeQuery;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import dev.streamlake.merge.MergeConfig;
import dev.streamlake.merge.MergeQuery;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A sensor-readings pipeline in a temporary lake: raw rows as stage 1 writes them (one file per
 * append, any ingest date), stages 2 and 3 run by their real queries, and the settings the
 * maintain command is started with.
 */
final class PipelineLake {
  static final String TOPIC = "sensor-readings";
  static final LocalDate TODAY = LocalDate.now(ZoneOffset.UTC);

  final SparkSession spark;
  final Path lake;
  final Path config;
  final List<String> tableArgs;
  private long nextOffset;

  /**
   * {@code maintenance} is the pipeline file's maintenance object (JSON); {@code tableArgs} point
   * the stages and the command at catalog tables, or are empty for path tables under the lake.
   */
  PipelineLake(SparkSession spark, Path lake, String maintenance, String... tableArgs)
      throws IOException {
    this.spark = spark;
    this.lake = lake;
    this.tableArgs = List.of(tableArgs);
    String builtIn;
    try (var in = getClass().getResourceAsStream("/pipelines/sensor_readings.json")) {
      builtIn = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    }
    String withMaintenance = builtIn.substring(0, builtIn.lastIndexOf('}'))
        + ", \"maintenance\": " + maintenance + "}";
    this.config = lake.resolveSibling(lake.getFileName() + "-pipeline.json");
    Files.writeString(config, withMaintenance);
  }

  /** The common settings every stage and the command get. */
  List<String> common() {
    List<String> args = new ArrayList<>(List.of("--lake", lake.toString(), "--config",
        config.toString()));
    args.addAll(tableArgs);
    return args;
  }

  String[] args(String... more) {
    List<String> args = common();
    args.addAll(Arrays.asList(more));
    return args.toArray(String[]::new);
  }

  OpsSettings ops() {
    return MaintainCommand.fromArgs(args()).ops();
  }

  /**
   * Appends one raw file with {@code count} records on {@code ingestDate}: valid readings of
   * sensors {@code s0..s(sensors-1)} in turn, with every {@code badEvery}-th value broken (0:
   * none). Offsets grow across appends, as one Kafka partition's do.
   */
  List<Long> appendRaw(LocalDate ingestDate, int count, int sensors, int badEvery) {
    // As stage 1 creates it, so the raw table has its properties.
    ops().raw().ensureExists(spark, TableSchemas.raw(), List.of(TableSchemas.INGEST_DATE),
        TableSchemas.rawProperties());
    List<Row> rows = new ArrayList<>();
    List<Long> offsets = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long offset = nextOffset++;
      Instant ts = Instant.parse("2026-01-01T00:00:00Z").plusSeconds(offset);
      byte[] value = badEvery > 0 && offset % badEvery == 0
          ? "not avro".getBytes(StandardCharsets.UTF_8)
          : SensorReadingPayloads.v2(Reading.of("s" + (offset % sensors), ts, 20.0 + i % 10));
      Row header = RowFactory.create("source", "test".getBytes(StandardCharsets.UTF_8));
      rows.add(RowFactory.create(
          ("s" + (offset % sensors)).getBytes(StandardCharsets.UTF_8), value, TOPIC, 0, offset,
          Timestamp.from(ts), 0, CollectionConverters.asScala(List.of(header)).toSeq(),
          Timestamp.from(ingestDate.atStartOfDay().toInstant(ZoneOffset.UTC).plusSeconds(5)),
          Date.valueOf(ingestDate)));
      offsets.add(offset);
    }
    var frame = spark.createDataFrame(rows, TableSchemas.raw()).coalesce(1).write()
        .format("delta").mode(SaveMode.Append).partitionBy(TableSchemas.INGEST_DATE);
    ops().raw().write(frame);
    return offsets;
  }

  /** Stage 2, availableNow: reads all of raw that it has not read yet. */
  void runStage2(String... options) throws Exception {
    List<String> a = new ArrayList<>(List.of("--trigger", "availableNow"));
    a.addAll(Arrays.asList(options));
    PipelineRuns.awaitEnd(DeserializeQuery.start(spark,
        DeserializeConfig.fromArgs(args(a.toArray(String[]::new)))));
  }

  /** Stage 3, availableNow. */
  void runStage3() throws Exception {
    PipelineRuns.awaitEnd(MergeQuery.start(spark, MergeConfig.fromArgs(args("--trigger", "availableNow"))));
  }

  long count(dev.streamlake.common.TableRef table, String where) {
    return table.read(spark).where(where).count();
  }

  static String before(LocalDate date) {
    return "ingest_date < DATE'" + date + "'";
  }
}
