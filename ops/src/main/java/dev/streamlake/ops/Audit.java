package dev.streamlake.ops;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.Stage;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.merge.GoldContract;
import dev.streamlake.ops.AuditCommand.AuditSettings;
import dev.streamlake.ops.AuditReport.Section;
import dev.streamlake.ops.AuditReport.Violation;
import java.net.URI;
import java.nio.ByteBuffer;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.Path;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The three checks of {@code audit}, each a Spark job over the tables that collects only counts
 * and a few examples to the driver.
 *
 * <p>Which raw rows are checked: those within the bounds (ingested_at in [since, until), written
 * by raw versions [from, to]). The raw check reads raw as of {@code --to-version} (else now); the
 * check against bronze and dead_letter reads raw as of the newest version stage 2 has read
 * completely ({@link CheckpointProgress}), so rows of a version it is in the middle of are not
 * flagged; the gold check reads bronze as of the newest version stage 3 has read completely.
 */
final class Audit {

  static final String RAW = "raw";
  static final String RAW_TO_BRONZE = "raw_to_bronze";
  static final String BRONZE_TO_GOLD = "bronze_to_gold";

  // Violation kinds: stable names for --json readers and for tests.
  static final String DUPLICATE = "duplicate_raw_rows";
  static final String GAP = "gaps";
  static final String GAP_AGED_OUT = "gaps_aged_out_of_kafka";
  static final String GAP_MISSING = "gaps_missing";
  static final String IN_NEITHER = "in_neither";
  static final String BRONZE_AND_DEAD_LETTER = "in_bronze_and_open_dead_letter";
  static final String TWICE_IN_BRONZE = "twice_in_bronze";
  static final String SEVERAL_DEAD_LETTERS = "several_open_dead_letters";
  static final String REDRIVEN_WITHOUT_BRONZE = "redriven_without_bronze";
  static final String GOLD_WRONG_VALUE = "wrong_value";
  static final String GOLD_MISSING_KEY = "missing_key";
  static final String GOLD_DELETED_KEY_PRESENT = "deleted_key_present";

  /** dead_letter's re-drive mark (written by {@code redrive}); absent = never re-driven. */
  static final String REDRIVEN_AT = TableSchemas.REDRIVEN_AT;

  private static final String KIND = "__audit_kind";
  private static final String OK = "ok";
  private static final List<String> COORDINATES =
      List.of(TableSchemas.TOPIC, TableSchemas.PARTITION, TableSchemas.OFFSET);

  private final SparkSession spark;
  private final AuditSettings settings;
  private final OpsSettings ops;
  private final AuditReport report;

  Audit(SparkSession spark, AuditSettings settings) {
    this.spark = spark;
    this.settings = settings;
    this.ops = settings.ops();
    this.report = new AuditReport(ops.pipeline().name());
  }

  AuditReport run() throws Exception {
    requireTable(ops.raw(), "--raw-table");
    long rawLatest = latestVersion(ops.raw());
    Long to = settings.toVersion();
    if (to != null && to > rawLatest) {
      throw ConfigException.invalid("--to-version", to,
          "a version of raw table " + ops.raw() + ", which is at version " + rawLatest);
    }
    long rawTo = to == null ? rawLatest : to;
    describeScope(rawTo);
    Dataset<Row> rawInBounds = bounded(readAt(ops.raw(), rawTo), ops.raw(), rawTo);
    checkRaw(rawInBounds);
    checkRawToBronze(rawTo);
    checkBronzeToGold(rawInBounds);
    return report;
  }

  private void describeScope(long rawTo) {
    report.scope.put("raw", ops.raw().name() + " as of version " + rawTo);
    report.scope.put("bronze", ops.bronze().name());
    report.scope.put("dead_letter", ops.deadLetter().name());
    report.scope.put("gold", ops.gold().name());
    List<String> bounds = new ArrayList<>();
    if (settings.since() != null) {
      bounds.add("ingested_at >= " + settings.since());
    }
    if (settings.until() != null) {
      bounds.add("ingested_at < " + settings.until());
    }
    if (settings.versionBounded()) {
      bounds.add("written by raw versions "
          + (settings.fromVersion() == null ? 0 : settings.fromVersion()) + " to " + rawTo);
    }
    report.scope.put("bounds", bounds.isEmpty() ? "none (every raw row)" : String.join(", ",
        bounds));
  }

  // ---- raw: each record once, and the gaps -------------------------------------------------

  private void checkRaw(Dataset<Row> raw) {
    Section s = new Section(RAW, "raw: each Kafka record once, no gaps in the offsets");
    report.sections.add(s);
    Dataset<Row> perRecord = raw.groupBy(arr(coordinates())).agg(count(lit(1)).as("copies"));
    Row totals = perRecord.agg(
        coalesce(sum("copies"), lit(0L)),
        count(lit(1)),
        coalesce(sum(when(col("copies").gt(1), col("copies").minus(1))), lit(0L))).first();
    s.counts.put("rows", totals.getLong(0));
    s.counts.put("distinct_records", totals.getLong(1));
    s.counts.put("extra_copies", totals.getLong(2));
    Dataset<Row> duplicates = perRecord.where(col("copies").gt(1));
    long duplicated = duplicates.count();
    s.violations.add(new Violation(DUPLICATE, "records held more than once in raw",
        duplicated, examples(duplicates, duplicated, coordinates())));

    WindowSpec w = Window.partitionBy(TableSchemas.TOPIC, TableSchemas.PARTITION)
        .orderBy(TableSchemas.OFFSET);
    Dataset<Row> gaps = perRecord
        .withColumn("previous", lag(TableSchemas.OFFSET, 1).over(w))
        .where(col(TableSchemas.OFFSET).minus(col("previous")).gt(1))
        .select(col(TableSchemas.TOPIC), col(TableSchemas.PARTITION),
            col("previous").plus(1).as("from_offset"),
            col(TableSchemas.OFFSET).minus(1).as("to_offset"));
    s.notes.add("gaps are between offsets raw holds in the checked range, per partition; offsets"
        + " before a partition's first row there are not counted");

    Map<TopicPartition, Long> earliest = earliestOffsets(raw, s);
    if (earliest == null) {
      Dataset<Row> counted = gaps.withColumn("offsets",
          col("to_offset").minus(col("from_offset")).plus(1));
      Row g = counted.agg(count(lit(1)), coalesce(sum("offsets"), lit(0L))).first();
      s.counts.put("gap_offsets", g.getLong(1));
      s.violations.add(new Violation(GAP, "offset ranges raw lacks, not told apart (Kafka not"
          + " asked)", g.getLong(0), examples(counted, g.getLong(0), List.of(col(
              TableSchemas.TOPIC), col(TableSchemas.PARTITION), col("from_offset")))));
      return;
    }
    List<Row> earliestRows = new ArrayList<>();
    earliest.forEach((tp, o) -> earliestRows.add(
        org.apache.spark.sql.RowFactory.create(tp.topic(), tp.partition(), o)));
    Dataset<Row> earliestFrame = spark.createDataFrame(earliestRows,
        new org.apache.spark.sql.types.StructType()
            .add(TableSchemas.TOPIC, "string").add(TableSchemas.PARTITION, "int")
            .add("kafka_earliest", "long"));
    Dataset<Row> split = gaps.join(org.apache.spark.sql.functions.broadcast(earliestFrame),
            scala(new String[] {TableSchemas.TOPIC, TableSchemas.PARTITION}), "inner")
        .withColumn("aged_to", least(col("to_offset"), col("kafka_earliest").minus(1)))
        .withColumn("missing_from", greatest(col("from_offset"), col("kafka_earliest")));
    Dataset<Row> aged = split.where(col("aged_to").geq(col("from_offset")))
        .select(col(TableSchemas.TOPIC), col(TableSchemas.PARTITION), col("from_offset"),
            col("aged_to").as("to_offset"),
            col("aged_to").minus(col("from_offset")).plus(1).as("offsets"));
    Dataset<Row> missing = split.where(col("missing_from").leq(col("to_offset")))
        .select(col(TableSchemas.TOPIC), col(TableSchemas.PARTITION),
            col("missing_from").as("from_offset"), col("to_offset"),
            col("to_offset").minus(col("missing_from")).plus(1).as("offsets"));
    Row a = aged.agg(count(lit(1)), coalesce(sum("offsets"), lit(0L))).first();
    Row m = missing.agg(count(lit(1)), coalesce(sum("offsets"), lit(0L))).first();
    s.counts.put("aged_out_offsets", a.getLong(1));
    s.counts.put("missing_offsets", m.getLong(1));
    List<Column> order = List.of(col(TableSchemas.TOPIC), col(TableSchemas.PARTITION),
        col("from_offset"));
    s.violations.add(new Violation(GAP_AGED_OUT, "offset ranges raw lacks that Kafka deleted"
        + " (retention) before stage 1 read them: lost, cannot be re-read", a.getLong(0),
        examples(aged, a.getLong(0), order)));
    s.violations.add(new Violation(GAP_MISSING, "offset ranges raw lacks that Kafka still has"
        + " (or that hold only transaction markers, see the README)", m.getLong(0),
        examples(missing, m.getLong(0), order)));
  }

  /** Null when Kafka was not asked or did not answer; the section says which. */
  private Map<TopicPartition, Long> earliestOffsets(Dataset<Row> raw, Section s) {
    if (settings.bootstrapServers() == null) {
      s.notes.add("Kafka was not asked (no --bootstrap-servers): gaps are not split into aged"
          + " out and missing");
      return null;
    }
    Set<TopicPartition> partitions = new HashSet<>();
    for (Row r : raw.select(TableSchemas.TOPIC, TableSchemas.PARTITION).distinct()
        .collectAsList()) {
      partitions.add(new TopicPartition(r.getString(0), r.getInt(1)));
    }
    try {
      Map<TopicPartition, Long> earliest = KafkaOffsets.of(settings.bootstrapServers(),
          settings.kafkaOptions(), partitions);
      s.notes.add("Kafka at " + settings.bootstrapServers() + " gave the earliest offsets of "
          + earliest.size() + " partition(s)");
      return earliest;
    } catch (Exception e) {
      String why = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
          ? e.getCause().toString() : e.toString();
      report.warnings.add("Kafka at " + settings.bootstrapServers() + " did not answer ("
          + why + "): gaps are reported unsplit");
      return null;
    }
  }

  // ---- raw -> bronze + dead_letter ---------------------------------------------------------

  private void checkRawToBronze(long rawTo) throws Exception {
    Section s = new Section(RAW_TO_BRONZE,
        "raw -> bronze + dead_letter: every processed raw row in exactly one of them");
    report.sections.add(s);
    CheckpointProgress progress = progress(Stage.DESERIALIZE);
    s.notes.add("stage 2 checkpoint: " + progress.describe());
    if (!progress.processedAnything()) {
      s.skipped = true;
      return;
    }
    long through = Math.min(progress.completeThrough(), rawTo);
    if (settings.fromVersion() != null && settings.fromVersion() > through) {
      s.notes.add("stage 2 has not completed raw version " + settings.fromVersion() + " yet");
      s.skipped = true;
      return;
    }
    requireTable(ops.bronze(), "--bronze-table");
    requireTable(ops.deadLetter(), "--dead-letter-table");
    s.counts.put("raw_version_checked", through);
    Dataset<Row> processed = bounded(readAt(ops.raw(), through), ops.raw(), through)
        .select(arr(coordinates())).distinct();

    Dataset<Row> bronze = prunedByIngestDate(ops.bronze().read(spark))
        .groupBy(arr(coordinates())).agg(count(lit(1)).as("bronze_rows"));
    Dataset<Row> deadLetters = prunedByIngestDate(ops.deadLetter().read(spark));
    Column open = Arrays.asList(deadLetters.columns()).contains(REDRIVEN_AT)
        ? col(REDRIVEN_AT).isNull() : lit(true);
    Dataset<Row> dead = deadLetters.groupBy(arr(coordinates())).agg(
        sum(when(open, 1L).otherwise(0L)).as("open_dead_letters"),
        sum(when(open, 0L).otherwise(1L)).as("redriven_dead_letters"));
    String[] on = COORDINATES.toArray(String[]::new);
    Column b = coalesce(col("bronze_rows"), lit(0L));
    Column o = coalesce(col("open_dead_letters"), lit(0L));
    Column r = coalesce(col("redriven_dead_letters"), lit(0L));
    Dataset<Row> classified = processed
        .join(bronze, scala(on), "left_outer")
        .join(dead, scala(on), "left_outer")
        .select(col(TableSchemas.TOPIC), col(TableSchemas.PARTITION), col(TableSchemas.OFFSET),
            b.as("bronze_rows"), o.as("open_dead_letters"), r.as("redriven_dead_letters"))
        .withColumn(KIND,
            when(col("bronze_rows").gt(1), lit(TWICE_IN_BRONZE))
                .when(col("bronze_rows").equalTo(1).and(col("open_dead_letters").gt(0)),
                    lit(BRONZE_AND_DEAD_LETTER))
                .when(col("bronze_rows").equalTo(1), lit("ok_bronze"))
                .when(col("redriven_dead_letters").gt(0), lit(REDRIVEN_WITHOUT_BRONZE))
                .when(col("open_dead_letters").equalTo(1), lit("ok_dead_letter"))
                .when(col("open_dead_letters").gt(1), lit(SEVERAL_DEAD_LETTERS))
                .otherwise(lit(IN_NEITHER)));
    Map<String, Long> byKind = countByKind(classified);
    long checked = byKind.values().stream().mapToLong(Long::longValue).sum();
    s.counts.put("raw_rows_checked", checked);
    s.counts.put("in_bronze", byKind.getOrDefault("ok_bronze", 0L));
    s.counts.put("in_dead_letter", byKind.getOrDefault("ok_dead_letter", 0L));
    List<Column> order = coordinates();
    addKind(s, classified, byKind, IN_NEITHER, "raw rows in neither bronze nor dead_letter",
        order);
    addKind(s, classified, byKind, BRONZE_AND_DEAD_LETTER,
        "raw rows in bronze and also an open (not re-driven) dead letter", order);
    addKind(s, classified, byKind, TWICE_IN_BRONZE, "raw rows in bronze more than once", order);
    addKind(s, classified, byKind, SEVERAL_DEAD_LETTERS,
        "raw rows in no bronze row but more than one open dead letter", order);
    addKind(s, classified, byKind, REDRIVEN_WITHOUT_BRONZE,
        "raw rows whose dead letter is marked re-driven but that are not in bronze", order);
  }

  // ---- bronze -> gold ----------------------------------------------------------------------

  private void checkBronzeToGold(Dataset<Row> rawInBounds) throws Exception {
    Section s = new Section(BRONZE_TO_GOLD,
        "bronze -> gold: every processed key holds its newest bronze row");
    report.sections.add(s);
    CheckpointProgress progress = progress(Stage.MERGE);
    s.notes.add("stage 3 checkpoint: " + progress.describe());
    if (!progress.processedAnything()) {
      s.skipped = true;
      return;
    }
    requireTable(ops.bronze(), "--bronze-table");
    GoldContract contract = GoldContract.of(ops.pipeline());
    TableRef state = contract.latestStateTable(ops.gold());
    requireTable(state, "--gold-table");
    long through = progress.completeThrough();
    s.counts.put("bronze_version_checked", through);
    Dataset<Row> bronze = readAt(ops.bronze(), through);
    Dataset<Row> latest = contract.latestPerKey(bronze);
    List<String> key = contract.key();
    if (settings.timeBounded() || settings.versionBounded()) {
      // The keys of bronze rows whose raw row is in bounds; each key's newest row is still
      // looked for among all of its bronze rows, as stage 3 does.
      Dataset<Row> keys = contract.withDerived(
              bronze.join(rawInBounds.select(arr(coordinates())).distinct(),
                  scala(COORDINATES.toArray(String[]::new)), "left_semi"))
          .select(arr(columns(key))).distinct();
      latest = latest.as("l").join(keys.as("k"), keyMatch(key, "l", "k"), "left_semi");
      s.notes.add("keys checked: those with a bronze row from a raw row in bounds");
    }
    List<String> values = contract.values();
    // Gold is aliased as the newer side of stage 3's order condition, the expected row as "e".
    String g = GoldContract.NEWER;
    java.util.LinkedHashSet<String> goldNames = new java.util.LinkedHashSet<>(key);
    goldNames.addAll(values);
    goldNames.addAll(contract.ordering());
    List<Column> goldColumns = new ArrayList<>(columns(List.copyOf(goldNames)));
    goldColumns.add(lit(true).as("__present"));
    Dataset<Row> gold = state.read(spark).select(goldColumns.toArray(Column[]::new));
    Column isDelete = contract.deletes()
        ? col("e." + GoldContract.DELETE_FLAG) : lit(false);
    Column same = lit(true);
    for (String v : values) {
      same = same.and(col("e." + quoted(v)).eqNullSafe(col(g + "." + quoted(v))));
    }
    Column present = col(g + ".__present").isNotNull();
    // Stage 3 may have merged a later batch since its checkpoint was read: a gold row newer than
    // the expected one came from bronze the check does not cover, and is no violation.
    Column goldNewer = present.and(org.apache.spark.sql.functions.expr(
        contract.newerCondition("e")));
    List<Column> shown = new ArrayList<>();
    for (String k : key) {
      shown.add(col("e." + quoted(k)).as(k));
    }
    for (String v : values) {
      shown.add(col("e." + quoted(v)).as("expected." + v));
      shown.add(col(g + "." + quoted(v)).as("gold." + v));
    }
    Dataset<Row> classified = latest.as("e")
        .join(gold.as(g), keyMatch(key, "e", g), "left_outer")
        .withColumn(KIND,
            when(goldNewer, lit("ok_newer"))
                .when(isDelete.and(present), lit(GOLD_DELETED_KEY_PRESENT))
                .when(isDelete, lit("ok_deleted"))
                .when(present.and(same), lit("ok_key"))
                .when(present, lit(GOLD_WRONG_VALUE))
                .otherwise(lit(GOLD_MISSING_KEY)))
        .select(concat(shown, col(KIND)));
    Map<String, Long> byKind = countByKind(classified);
    s.counts.put("keys_checked", byKind.values().stream().mapToLong(Long::longValue).sum());
    s.counts.put("keys_right", byKind.getOrDefault("ok_key", 0L));
    s.counts.put("keys_deleted", byKind.getOrDefault("ok_deleted", 0L));
    s.counts.put("keys_newer_in_gold", byKind.getOrDefault("ok_newer", 0L));
    List<Column> order = columns(key);
    addKind(s, classified, byKind, GOLD_WRONG_VALUE,
        "keys whose gold row differs from their newest bronze row in a value column", order);
    addKind(s, classified, byKind, GOLD_MISSING_KEY,
        "keys whose newest bronze row is not a delete but that gold lacks", order);
    onlyWhatDiffers(s.violation(GOLD_WRONG_VALUE).examples());
    onlyWhatDiffers(s.violation(GOLD_MISSING_KEY).examples());
    if (contract.deletes()) {
      addKind(s, classified, byKind, GOLD_DELETED_KEY_PRESENT,
          "keys whose newest bronze row deletes them but that gold still holds", order);
    }
    if (state != ops.gold()) {
      s.notes.add("gold.history is scd2: checked its current state " + state);
    }
  }

  /**
   * An example shows the key and the value columns where gold and the expected row differ
   * (all of them for a key gold lacks, whose gold side is then left out).
   */
  private static void onlyWhatDiffers(List<Map<String, Object>> examples) {
    for (Map<String, Object> e : examples) {
      boolean goldPresent = e.entrySet().stream()
          .anyMatch(x -> x.getKey().startsWith("gold.") && x.getValue() != null);
      List<String> same = new ArrayList<>();
      for (String name : e.keySet()) {
        if (name.startsWith("expected.")) {
          String gold = "gold." + name.substring("expected.".length());
          if (!goldPresent) {
            same.add(gold);
          } else if (java.util.Objects.equals(e.get(name), e.get(gold))) {
            same.add(name);
            same.add(gold);
          }
        }
      }
      same.forEach(e::remove);
    }
  }

  // ---- shared -------------------------------------------------------------------------------

  private CheckpointProgress progress(Stage stage) throws Exception {
    return CheckpointProgress.read(ops.checkpoint(stage));
  }

  private Map<String, Long> countByKind(Dataset<Row> classified) {
    Map<String, Long> byKind = new LinkedHashMap<>();
    for (Row r : classified.groupBy(KIND).count().collectAsList()) {
      byKind.put(r.getString(0), r.getLong(1));
    }
    return byKind;
  }

  private void addKind(Section s, Dataset<Row> classified, Map<String, Long> byKind, String kind,
      String meaning, List<Column> order) {
    long n = byKind.getOrDefault(kind, 0L);
    Dataset<Row> rows = classified.where(col(KIND).equalTo(kind)).drop(KIND);
    s.violations.add(new Violation(kind, meaning, n, examples(rows, n, order)));
  }

  /** Up to N rows, in a stable order; no Spark job when there is nothing to show. */
  private List<Map<String, Object>> examples(Dataset<Row> rows, long count, List<Column> order) {
    List<Map<String, Object>> out = new ArrayList<>();
    if (count == 0 || settings.examples() == 0) {
      return out;
    }
    Dataset<Row> ordered = rows.orderBy(order.toArray(Column[]::new)).limit(settings.examples());
    String[] names = ordered.columns();
    for (Row r : ordered.collectAsList()) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (int i = 0; i < names.length; i++) {
        m.put(names[i], plain(r.get(i)));
      }
      out.add(m);
    }
    return out;
  }

  /** A value as the text and JSON reports show it: bytes in base64, times in ISO-8601 UTC. */
  private static Object plain(Object v) {
    if (v instanceof byte[] bytes) {
      return "base64:" + Base64.getEncoder().encodeToString(bytes);
    }
    if (v instanceof ByteBuffer buffer) {
      return plain(buffer.array());
    }
    if (v instanceof Timestamp t) {
      return t.toInstant().toString();
    }
    if (v instanceof Instant || v instanceof LocalDate || v instanceof Date) {
      return v.toString();
    }
    if (v == null || v instanceof Number || v instanceof Boolean || v instanceof String) {
      return v;
    }
    return v.toString();
  }

  /** Raw rows within the bounds; {@code table} read as of {@code version}. */
  private Dataset<Row> bounded(Dataset<Row> raw, TableRef table, long version) {
    Dataset<Row> rows = prunedByIngestDate(raw);
    if (settings.since() != null) {
      rows = rows.where(col(TableSchemas.INGESTED_AT).geq(lit(Timestamp.from(settings.since()))));
    }
    if (settings.until() != null) {
      rows = rows.where(col(TableSchemas.INGESTED_AT).lt(lit(Timestamp.from(settings.until()))));
    }
    if (settings.versionBounded()) {
      long from = settings.fromVersion() == null ? 0 : settings.fromVersion();
      List<String> files = filesWritten(table, from, version);
      Dataset<Row> names = spark.createDataset(files, Encoders.STRING()).toDF("__file_name");
      rows = rows.withColumn("__file_name", col("_metadata.file_name"))
          .join(org.apache.spark.sql.functions.broadcast(names), "__file_name")
          .drop("__file_name");
    }
    return rows;
  }

  /**
   * ingest_date is raw's partition column (the UTC date of ingested_at), so a filter on it
   * lets Spark skip whole partitions; a day more on each side keeps it a superset whatever the
   * session's time zone. The exact bound is on ingested_at.
   */
  private Dataset<Row> prunedByIngestDate(Dataset<Row> rows) {
    Dataset<Row> r = rows;
    if (settings.since() != null) {
      LocalDate d = settings.since().atZone(ZoneOffset.UTC).toLocalDate().minusDays(1);
      r = r.where(col(TableSchemas.INGEST_DATE).geq(lit(Date.valueOf(d))));
    }
    if (settings.until() != null) {
      LocalDate d = settings.until().atZone(ZoneOffset.UTC).toLocalDate().plusDays(1);
      r = r.where(col(TableSchemas.INGEST_DATE).leq(lit(Date.valueOf(d))));
    }
    return r;
  }

  /**
   * The names of the data files that versions {@code from..to} of {@code table} added with new
   * data (an OPTIMIZE's rewritten files carry no new rows and are left out). Read from the
   * table's commit files, {@code _delta_log/<version>.json}, as the Delta protocol defines them,
   * rather than through Delta's internal classes, which Databricks' runtime names differently.
   * File names in a Delta table are unique (a UUID each), so the name identifies the file.
   */
  private List<String> filesWritten(TableRef table, long from, long to) {
    List<String> names = new ArrayList<>();
    if (from > to) {
      return names;
    }
    String log = location(table).replaceAll("/+$", "") + "/_delta_log/";
    List<String> commits = new ArrayList<>();
    for (long v = from; v <= to; v++) {
      commits.add(log + String.format("%020d", v) + ".json");
    }
    Dataset<Row> actions = spark.read().json(commits.toArray(String[]::new));
    if (!Arrays.asList(actions.columns()).contains("add")) {
      return names;
    }
    for (Row r : actions.where(col("add.path").isNotNull()
        .and(col("add.dataChange").equalTo(true))).select("add.path").collectAsList()) {
      names.add(new Path(URI.create(r.getString(0))).getName());
    }
    return names;
  }

  private String location(TableRef table) {
    if (table.isPath()) {
      return table.name();
    }
    Row detail = table.deltaTable(spark).detail().first();
    return detail.getString(detail.fieldIndex("location"));
  }

  private long latestVersion(TableRef table) {
    Row last = table.deltaTable(spark).history(1).select("version").first();
    return last.getLong(0);
  }

  private Dataset<Row> readAt(TableRef table, long version) {
    return spark.sql("SELECT * FROM " + table.sqlName() + " VERSION AS OF " + version);
  }

  private void requireTable(TableRef table, String setting) {
    if (!table.exists(spark)) {
      throw new ConfigException("Table " + table + " does not exist (or is not a Delta table):"
          + " point the audit at the pipeline's tables with the stages' own --lake, --catalog/"
          + "--schema, --config or " + setting + ".");
    }
  }

  private static List<Column> coordinates() {
    return columns(COORDINATES);
  }

  private static Column[] arr(List<Column> columns) {
    return columns.toArray(Column[]::new);
  }

  private static List<Column> columns(List<String> names) {
    return names.stream().map(n -> col(quoted(n))).toList();
  }

  private static Column keyMatch(List<String> key, String left, String right) {
    Column c = lit(true);
    for (String k : key) {
      c = c.and(col(left + "." + quoted(k)).eqNullSafe(col(right + "." + quoted(k))));
    }
    return c;
  }

  private static Column[] concat(List<Column> columns, Column last) {
    List<Column> all = new ArrayList<>(columns);
    all.add(last);
    return all.toArray(Column[]::new);
  }

  private static String quoted(String column) {
    return "`" + column.replace("`", "``") + "`";
  }

  private static scala.collection.immutable.Seq<String> scala(String[] names) {
    return CollectionConverters.asScala(Arrays.asList(names)).toSeq();
  }
}
