package dev.streamlake.common;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.SourceProgress;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryManager;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line of JSON per micro-batch of each stage's query, on the logger {@value #LOGGER}, and
 * optionally one row per batch in a Delta events table ({@code --events-table}). Spark's progress
 * gives input rows, duration, Kafka lag and the Delta source's backlog; the stage's batch code
 * adds what only it knows through {@link BatchMetrics}.
 *
 * <p>One listener per session: in the all-in-one driver the three stages register their queries
 * with the same listener, which reacts to the queries it knows by name, so each batch is one line
 * however many stages share the session. A query restarted under the same name (stage 3 after a
 * schema change) stays one line per batch as well.
 *
 * <p>Nothing here may stop a stage: a failure is a warning. The events row is written on a thread
 * of its own, so a slow table delays neither the batches nor Spark's listener bus.
 */
public final class BatchMetricsListener extends StreamingQueryListener {
  /** The logger name of the per-batch lines, so they can be routed on their own. */
  public static final String LOGGER = "streamlake.metrics";
  /** Spark's own streaming metrics (Dropwizard: input rate, latency, state) per query. */
  public static final String METRICS_ENABLED = "spark.sql.streaming.metricsEnabled";

  private static final Logger LINES = LoggerFactory.getLogger(LOGGER);
  private static final Logger LOG = LoggerFactory.getLogger(BatchMetricsListener.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The columns of the events table, one row per batch; see README "Metrics, lag and status". */
  public static final StructType EVENTS_SCHEMA = new StructType()
      .add("stage", DataTypes.StringType)
      .add("query", DataTypes.StringType)
      .add("query_id", DataTypes.StringType)
      .add("run_id", DataTypes.StringType)
      .add("batch_id", DataTypes.LongType)
      .add("timestamp", DataTypes.TimestampType)
      .add("input_rows", DataTypes.LongType)
      .add("duration_ms", DataTypes.LongType)
      .add("rows_written", mapOfLongs())
      .add("dead_letters_by_code", mapOfLongs())
      .add("dead_letters_by_rule", mapOfLongs())
      .add("kafka_offsets_behind_latest", DataTypes.LongType)
      .add("delta_versions_behind", DataTypes.LongType)
      .add("delta_files_outstanding", DataTypes.LongType)
      .add("delta_bytes_outstanding", DataTypes.LongType)
      .add("newest_sequence", DataTypes.StringType)
      .add("metrics", DataTypes.StringType);

  private static final Map<StreamingQueryManager, BatchMetricsListener> BY_SESSION =
      new WeakHashMap<>();

  /** What the listener knows of a registered query; {@code source} is its Delta source or null. */
  private record Target(Stage stage, TableRef source, TableRef events) {}

  private final SparkSession spark;
  private final ConcurrentMap<String, Target> byQueryName = new ConcurrentHashMap<>();
  private final List<Consumer<String>> sinks = new CopyOnWriteArrayList<>();
  private final ConcurrentMap<TableRef, Boolean> eventsTablesReady = new ConcurrentHashMap<>();
  private final ExecutorService eventsWriter = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "streamlake-events-table");
    t.setDaemon(true);
    return t;
  });

  private BatchMetricsListener(SparkSession spark) {
    this.spark = spark;
  }

  /** The session's listener, added to it on first use. */
  public static BatchMetricsListener of(SparkSession spark) {
    synchronized (BY_SESSION) {
      return BY_SESSION.computeIfAbsent(spark.streams(), streams -> {
        BatchMetricsListener l = new BatchMetricsListener(spark);
        streams.addListener(l);
        return l;
      });
    }
  }

  /**
   * Called by a stage before it starts its query {@code queryName}: turns Spark's streaming
   * metrics on (each query copies the session's conf when it starts) and reports the query's
   * batches from now on. A Spark Connect session (stage 1 on serverless) gets Spark's metrics
   * only, since its listeners would run in the server.
   */
  public static void register(SparkSession spark, StageSettings settings, String queryName) {
    try {
      spark.conf().set(METRICS_ENABLED, "true");
    } catch (RuntimeException e) {
      LOG.warn("Cannot set {} on this Spark session ({}); set it in the cluster's Spark config",
          METRICS_ENABLED, e.toString());
    }
    if (SparkApi.of(spark) == SparkApi.CONNECT) {
      LOG.info("Query {} runs on Spark Connect: no per-batch lines on {}", queryName, LOGGER);
      return;
    }
    TableRef source = switch (settings.stage()) {
      case RAW_INGEST -> null;
      case DESERIALIZE -> settings.raw();
      case MERGE -> settings.bronze();
    };
    of(spark).byQueryName.put(queryName,
        new Target(settings.stage(), source, settings.events()));
  }

  /** Also hands every line to {@code sink} (tests; an embedding application). */
  public BatchMetricsListener addSink(Consumer<String> sink) {
    sinks.add(sink);
    return this;
  }

  public BatchMetricsListener removeSink(Consumer<String> sink) {
    sinks.remove(sink);
    return this;
  }

  @Override
  public void onQueryStarted(QueryStartedEvent event) {}

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {}

  @Override
  public void onQueryProgress(QueryProgressEvent event) {
    try {
      StreamingQueryProgress p = event.progress();
      Target target = p.name() == null ? null : byQueryName.get(p.name());
      // Without addBatch the progress is an idle trigger's, which ran no batch.
      if (target == null || !p.durationMs().containsKey("addBatch")) {
        return;
      }
      BatchMetrics.Figures figures = BatchMetrics.take(p.id().toString(), p.batchId());
      ObjectNode line = line(target.stage(), p, figures);
      if (target.source() != null) {
        deltaBacklog(target.source(), p, line);
      }
      String text = line.toString();
      LINES.info(text);
      for (Consumer<String> sink : sinks) {
        sink.accept(text);
      }
      if (target.events() != null) {
        eventsWriter.execute(() -> append(target.events(), line));
      }
    } catch (RuntimeException e) {
      LOG.warn("Could not report a micro-batch's metrics: {}", e.toString(), e);
    }
  }

  /** The batch's line: Spark's figures, then those the batch code recorded. */
  static ObjectNode line(Stage stage, StreamingQueryProgress p, BatchMetrics.Figures figures) {
    ObjectNode o = JSON.createObjectNode();
    o.put("stage", stage.id());
    o.put("query", p.name());
    o.put("query_id", p.id().toString());
    o.put("run_id", p.runId().toString());
    o.put("batch_id", p.batchId());
    o.put("timestamp", p.timestamp());
    o.put("input_rows", p.numInputRows());
    o.put("duration_ms", p.durationMs().getOrDefault("triggerExecution", 0L));
    if (figures != null) {
      ObjectNode written = o.putObject("rows_written");
      figures.rowsWritten().forEach(written::put);
    } else if (stage == Stage.RAW_INGEST) {
      // Stage 1 writes each Kafka record it reads as one raw row.
      o.putObject("rows_written").put("raw", p.numInputRows());
    }
    if (figures != null && stage == Stage.DESERIALIZE) {
      ObjectNode byCode = o.putObject("dead_letters_by_code");
      figures.deadLettersByCode().forEach(byCode::put);
      ObjectNode byRule = o.putObject("dead_letters_by_rule");
      figures.deadLettersByRule().forEach(byRule::put);
    }
    for (SourceProgress s : p.sources()) {
      Map<String, String> m = s.metrics();
      if (m.containsKey("maxOffsetsBehindLatest")) {
        ObjectNode lag = o.putObject("kafka_offsets_behind_latest");
        putLong(lag, "min", m.get("minOffsetsBehindLatest"));
        putLong(lag, "max", m.get("maxOffsetsBehindLatest"));
        putDouble(lag, "avg", m.get("avgOffsetsBehindLatest"));
      }
      // Databricks' Delta reports these; open-source Delta 4.0 reports no source metrics.
      if (m.containsKey("numFilesOutstanding") || m.containsKey("numBytesOutstanding")) {
        ObjectNode backlog = object(o, "delta_backlog");
        putLong(backlog, "files_outstanding", m.get("numFilesOutstanding"));
        putLong(backlog, "bytes_outstanding", m.get("numBytesOutstanding"));
      }
    }
    if (figures != null && figures.newestSequenceColumn() != null) {
      ObjectNode newest = o.putObject("newest_sequence");
      newest.put("column", figures.newestSequenceColumn());
      newest.put("value", figures.newestSequence());
    }
    return o;
  }

  /**
   * Versions of the source table newer than what the batch read whole: the source's newest
   * version against the batch's end offset. Reads the table's newest commit, no data.
   */
  private void deltaBacklog(TableRef source, StreamingQueryProgress p, ObjectNode line) {
    try {
      if (p.sources().length == 0 || p.sources()[0].endOffset() == null) {
        return;
      }
      Long read = completedVersion(p.sources()[0].endOffset());
      if (read == null) {
        return;
      }
      long newest = newestVersion(spark, source);
      ObjectNode backlog = object(line, "delta_backlog");
      backlog.put("source_version", newest);
      backlog.put("read_version", read);
      backlog.put("versions_behind", Math.max(0, newest - read));
    } catch (RuntimeException e) {
      LOG.warn("Could not read the newest version of {} for the metrics line: {}", source,
          e.toString());
    }
  }

  /**
   * The newest version a Delta source offset (its JSON) has read whole, or null for an offset
   * that is not a Delta source's.
   */
  public static Long completedVersion(String deltaOffsetJson) {
    try {
      return DeltaSourcePosition.parse(-1, deltaOffsetJson, "a progress event")
          .completeThrough();
    } catch (IllegalArgumentException notDelta) {
      return null;
    }
  }

  private static final java.util.regex.Pattern COMMIT_FILE =
      java.util.regex.Pattern.compile("(\\d{20})\\.json");

  /**
   * The table's newest version, from its log. A path table's log folder is listed rather than
   * queried: the listener runs beside the stages' batches, and a query here would compile code
   * at moments no batch can plan for.
   */
  public static long newestVersion(SparkSession spark, TableRef table) {
    if (!table.isPath()) {
      return table.deltaTable(spark).history(1).select("version").first().getLong(0);
    }
    try {
      org.apache.hadoop.fs.Path log = new org.apache.hadoop.fs.Path(table.name(), "_delta_log");
      long newest = -1;
      for (org.apache.hadoop.fs.FileStatus f : log.getFileSystem(
          spark.sparkContext().hadoopConfiguration()).listStatus(log)) {
        java.util.regex.Matcher m = COMMIT_FILE.matcher(f.getPath().getName());
        if (m.matches()) {
          newest = Math.max(newest, Long.parseLong(m.group(1)));
        }
      }
      if (newest < 0) {
        throw new IllegalStateException("no commit in " + log);
      }
      return newest;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static ObjectNode object(ObjectNode o, String field) {
    return o.get(field) instanceof ObjectNode existing ? existing : o.putObject(field);
  }

  private static void putLong(ObjectNode o, String field, String value) {
    if (value != null) {
      try {
        o.put(field, Long.parseLong(value.trim()));
      } catch (NumberFormatException e) {
        o.put(field, value);
      }
    }
  }

  private static void putDouble(ObjectNode o, String field, String value) {
    if (value != null) {
      try {
        o.put(field, Double.parseDouble(value.trim()));
      } catch (NumberFormatException e) {
        o.put(field, value);
      }
    }
  }

  /** The line as an events-table row (EVENTS_SCHEMA). */
  static Row eventsRow(ObjectNode line) {
    return RowFactory.create(
        line.path("stage").asText(),
        line.path("query").asText(),
        line.path("query_id").asText(),
        line.path("run_id").asText(),
        line.path("batch_id").asLong(),
        Timestamp.from(Instant.parse(line.path("timestamp").asText())),
        line.path("input_rows").asLong(),
        line.path("duration_ms").asLong(),
        longs(line, "rows_written"),
        longs(line, "dead_letters_by_code"),
        longs(line, "dead_letters_by_rule"),
        longOrNull(line.path("kafka_offsets_behind_latest").get("max")),
        longOrNull(line.path("delta_backlog").get("versions_behind")),
        longOrNull(line.path("delta_backlog").get("files_outstanding")),
        longOrNull(line.path("delta_backlog").get("bytes_outstanding")),
        line.path("newest_sequence").hasNonNull("value")
            ? line.path("newest_sequence").get("value").asText() : null,
        line.toString());
  }

  private static Map<String, Long> longs(ObjectNode line, String field) {
    Map<String, Long> m = new java.util.LinkedHashMap<>();
    line.path(field).fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asLong()));
    return m;
  }

  private static Long longOrNull(com.fasterxml.jackson.databind.JsonNode n) {
    return n == null || !n.canConvertToLong() ? null : n.asLong();
  }

  private void append(TableRef events, ObjectNode line) {
    try {
      SparkSession.setActiveSession(spark);
      eventsTablesReady.computeIfAbsent(events, t -> {
        t.ensureExists(spark, EVENTS_SCHEMA, List.of());
        return true;
      });
      events.write(spark.createDataFrame(List.of(eventsRow(line)), EVENTS_SCHEMA)
          .coalesce(1).write().format("delta").mode(SaveMode.Append));
    } catch (Exception e) { // Spark's AnalysisException is checked, though Scala does not say so
      LOG.warn("Could not append batch {} of {} to the events table {} (the stage goes on): {}",
          line.path("batch_id").asLong(), line.path("query").asText(), events, e.toString());
    }
  }

  private static org.apache.spark.sql.types.MapType mapOfLongs() {
    return DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType);
  }
}
