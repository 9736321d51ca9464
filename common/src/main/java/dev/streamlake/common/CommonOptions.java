package dev.streamlake.common;

import picocli.CommandLine.Option;

/**
 * The command-line settings every stage accepts. A picocli mixin: each job (and the all-in-one
 * launcher) mixes it in and turns it into an immutable {@link StageSettings}.
 */
public final class CommonOptions {

  @Option(
      names = "--lake",
      paramLabel = "DIR",
      description = "Root for checkpoints, and for the tables unless --catalog/--schema name them"
          + " (required): a local path, a volume /Volumes/<catalog>/<schema>/<volume>, dbfs:/,"
          + " s3://, abfss://...")
  String lake;

  @Option(
      names = "--catalog",
      paramLabel = "NAME",
      description = "Unity Catalog catalog of the four tables (with --schema):"
          + " <catalog>.<schema>.raw_<pipeline>, bronze_, dead_letter_, gold_. The --*-table"
          + " settings override single tables. Default: path tables under --lake.")
  String catalog;

  @Option(
      names = "--schema",
      paramLabel = "NAME",
      description = "Unity Catalog schema of the four tables (with --catalog).")
  String schema;

  @Option(
      names = "--trigger",
      paramLabel = "T",
      description = "availableNow | processingTime:<duration> (e.g. processingTime:15m) | default"
          + " (the stage's own: raw-ingest 30s, deserialize 1m, merge 15m).")
  String trigger;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Pipeline config (JSON). Default: the built-in sensor-readings pipeline.")
  String config;

  @Option(
      names = "--format",
      paramLabel = "avro|json",
      description = "Override the pipeline's payload format.")
  String format;

  @Option(
      names = "--app-id",
      paramLabel = "ID",
      description = "Stable name for Delta idempotent writes. Default <pipeline>-<stage>. Writes"
          + " use <ID>@<streaming query id>; a new checkpoint has a new query id, so deleting"
          + " a checkpoint needs no new --app-id.")
  String appId;

  @Option(names = "--raw-table", paramLabel = "TABLE", description = "raw table: path or catalog name")
  String rawTable;

  @Option(names = "--bronze-table", paramLabel = "TABLE", description = "bronze table: path or catalog name")
  String bronzeTable;

  @Option(names = "--dead-letter-table", paramLabel = "TABLE", description = "dead_letter table: path or catalog name")
  String deadLetterTable;

  @Option(names = "--gold-table", paramLabel = "TABLE", description = "gold table: path or catalog name")
  String goldTable;

  @Option(names = "--events-table", paramLabel = "TABLE", description = "Delta table (path or"
      + " catalog name) to append each micro-batch's metrics to, one row per batch; created when"
      + " missing. Default: none, the metrics go to the log (logger streamlake.metrics) only.")
  String eventsTable;

  /** Validates and freezes the settings for one stage. */
  public StageSettings toSettings(Stage stage, TriggerSpec defaultTrigger) {
    if (lake == null || lake.isBlank()) {
      throw new ConfigException(
          "Missing required setting --lake: the root folder for checkpoints, and for the tables"
              + " unless --catalog and --schema name them (for example --lake /tmp/lake or"
              + " --lake /Volumes/main/sensors/checkpoints).");
    }
    String root = LakeLayout.checkRoot("--lake", lake);
    CatalogSchema namespace = CatalogSchema.parse(catalog, schema);
    PipelineConfig pipeline =
        config == null ? PipelineConfig.sensorReadings() : PipelineConfig.load(config);
    if (format != null) {
      pipeline = pipeline.withFormat(PipelineConfig.PayloadFormat.parse("--format", format));
    }
    TriggerSpec t =
        trigger == null ? defaultTrigger : TriggerSpec.parse("--trigger", trigger, defaultTrigger);
    LakeLayout layout = new LakeLayout(root, pipeline.name(), namespace);
    String id = appId == null ? pipeline.name() + "-" + stage.id() : appId.trim();
    if (id.isEmpty()) {
      throw ConfigException.invalid("--app-id", appId, "a non-empty, stable name");
    }
    return new StageSettings(
        stage,
        layout,
        pipeline,
        config == null ? PipelineConfig.BUILT_IN : config,
        t,
        id,
        table("--raw-table", rawTable, layout.raw()),
        table("--bronze-table", bronzeTable, layout.bronze()),
        table("--dead-letter-table", deadLetterTable, layout.deadLetter()),
        table("--gold-table", goldTable, layout.gold()),
        eventsTable == null ? null : TableRef.parse("--events-table", eventsTable));
  }

  private static TableRef table(String setting, String value, TableRef fallback) {
    return value == null ? fallback : TableRef.parse(setting, value);
  }
}
