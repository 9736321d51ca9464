package dev.streamlake.ops;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamlake.common.BatchMetricsListener;
import dev.streamlake.common.CheckpointLog;
import dev.streamlake.common.CommandLines;
import dev.streamlake.common.CommonOptions;
import dev.streamlake.common.ConfigException;
import dev.streamlake.common.PassThroughArgs;
import dev.streamlake.common.SparkSessions;
import dev.streamlake.common.Stage;
import dev.streamlake.common.StageMain;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.common.TriggerSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.TopicPartition;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code status}: for each stage, its last batch, when it committed and how old that is, how far
 * it is behind its source, and for stage 2 the dead letters of the last day, from the checkpoints
 * and tables alone: nothing needs to run, and nothing is written.
 */
public final class StatusCommand {
  private static final Logger LOG = LoggerFactory.getLogger(StatusCommand.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Pattern BATCH_TIMESTAMP =
      Pattern.compile("\"batchTimestampMs\"\\s*:\\s*(-?\\d+)");
  static final Duration DEAD_LETTER_WINDOW = Duration.ofDays(1);

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Prints, for each stage, its last batch, the batch's age, the stage's lag and"
          + " the dead letters of the last day, from the checkpoints and tables alone.")
  static final class Cli {
    @Mixin CommonOptions common;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Option(names = "--bootstrap-servers", paramLabel = "H:P[,H:P]",
        description = "Ask Kafka for its newest offsets, for stage 1's lag (with stage 1's"
            + " --kafka.<option>=<value> security options). Default: stage 1's lag comes from"
            + " the events table, if given.")
    String bootstrapServers;
  }

  private StatusCommand() {}

  public static void main(String[] args) throws Exception {
    StageMain.run(args, argv -> {
      String out = run(argv, () -> SparkSessions.getOrCreate("streamlake-status"), Instant.now());
      if (out != null) {
        System.out.println(out);
        System.out.flush();
      }
    });
  }

  /** What {@code status ARGS} prints at {@code now}; null when only --help or --version. */
  static String run(String[] args, java.util.function.Supplier<SparkSession> session,
      Instant now) throws IOException {
    PassThroughArgs split = PassThroughArgs.split(args, KafkaAccess.KAFKA_PREFIX);
    Cli cli = new Cli();
    if (!CommandLines.parse(cli, split.rest())) {
      return null;
    }
    OpsSettings settings = OpsSettings.from(cli.common);
    KafkaAccess kafka = KafkaAccess.of(cli.bootstrapServers, split.options());
    TableRef events = cli.common.toSettings(Stage.MERGE, TriggerSpec.availableNow()).events();
    Map<String, String> described = new TreeMap<>(settings.describe());
    if (events != null) {
      described.put("events-table", events.name());
    }
    if (kafka != null) {
      described.put("bootstrap-servers", kafka.bootstrapServers());
      described.putAll(kafka.options());
    }
    CommandLines.logEffectiveConfig(LOG, "status", described);
    ObjectNode status = status(session.get(), settings, events, kafka, now);
    return cli.json ? JSON.writeValueAsString(status) : text(status);
  }

  /** The pipeline's status at {@code now}, as JSON (the text output is rendered from it). */
  static ObjectNode status(SparkSession spark, OpsSettings settings, TableRef events,
      KafkaAccess kafka, Instant now) {
    ObjectNode o = JSON.createObjectNode();
    o.put("pipeline", settings.pipeline().name());
    o.put("at", now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    ArrayNode stages = o.putArray("stages");
    boolean anything = false;
    for (Stage stage : Stage.values()) {
      ObjectNode s = stageStatus(spark, settings, stage, kafka, now);
      anything |= s.path("ran").asBoolean();
      stages.add(s);
    }
    anything |= settings.raw().exists(spark) || settings.bronze().exists(spark);
    if (!anything) {
      throw new ConfigException("Pipeline '" + settings.pipeline().name() + "' has no checkpoint"
          + " under " + settings.layout().root() + "/_checkpoints and neither its raw table "
          + settings.raw() + " nor its bronze table " + settings.bronze() + " exists: check"
          + " --lake, --catalog/--schema, --config and the --*-table settings.");
    }
    if (events != null) {
      lastEvents(spark, events, stages);
    }
    return o;
  }

  private static ObjectNode stageStatus(SparkSession spark, OpsSettings settings, Stage stage,
      KafkaAccess kafka, Instant now) {
    ObjectNode s = JSON.createObjectNode();
    s.put("stage", stage.id());
    String checkpoint = settings.checkpoint(stage);
    s.put("checkpoint", checkpoint);
    Checkpoint cp = Checkpoint.read(checkpoint);
    s.put("ran", cp != null);
    if (cp != null) {
      s.put("last_batch", cp.batchId());
      s.put("committed_at", cp.committedAt().toString());
      s.put("age_seconds", Duration.between(cp.committedAt(), now).toSeconds());
      if (cp.batchTimestamp() != null) {
        s.put("batch_started_at", cp.batchTimestamp().toString());
      }
    }
    ObjectNode lag = s.putObject("lag");
    switch (stage) {
      case RAW_INGEST -> kafkaLag(kafka, cp, lag);
      case DESERIALIZE -> deltaLag(spark, settings.raw(), cp, lag);
      case MERGE -> deltaLag(spark, settings.bronze(), cp, lag);
    }
    if (stage == Stage.DESERIALIZE) {
      deadLettersOfLastDay(spark, settings.deadLetter(), now, s);
    }
    return s;
  }

  /**
   * Records Kafka holds beyond what stage 1's checkpoint has read: per partition, Kafka's newest
   * offset minus the offset the newest finished batch read up to. Needs the brokers; without
   * {@code --bootstrap-servers} the events table's last row has it.
   */
  private static void kafkaLag(KafkaAccess kafka, Checkpoint cp, ObjectNode lag) {
    if (kafka == null) {
      lag.put("note", "not in the checkpoint (Kafka's end offsets are on the brokers): give"
          + " --bootstrap-servers, or see kafka_offsets_behind_latest in stage 1's metrics lines"
          + " or events table");
      return;
    }
    if (cp == null || cp.sourceOffset() == null) {
      lag.put("note", "never ran: everything in its topics is ahead of it");
      return;
    }
    try {
      Map<TopicPartition, Long> read = new java.util.HashMap<>();
      CheckpointLog.kafkaOffsets(cp.sourceOffset()).forEach((topic, partitions) ->
          partitions.forEach((p, offset) -> read.put(new TopicPartition(topic, p), offset)));
      Map<TopicPartition, Long> latest = KafkaOffsets.latest(kafka, read.keySet());
      long behind = 0;
      ObjectNode perPartition = lag.putObject("kafka_partitions");
      List<Map.Entry<TopicPartition, Long>> sorted = new java.util.ArrayList<>(latest.entrySet());
      sorted.sort(Comparator.comparing((Map.Entry<TopicPartition, Long> x) -> x.getKey().topic())
          .thenComparingInt(x -> x.getKey().partition()));
      for (Map.Entry<TopicPartition, Long> e : sorted) {
        long ahead = Math.max(0, e.getValue() - read.get(e.getKey()));
        perPartition.put(e.getKey().toString(), ahead);
        behind += ahead;
      }
      lag.put("kafka_offsets_behind", behind);
    } catch (Exception e) {
      lag.put("note", "Kafka at " + kafka.bootstrapServers() + " did not answer: "
          + e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  /**
   * Versions of the stage's source table that its checkpoint has not read whole: the source's
   * newest version minus the last version its newest offset completed. A version that changed
   * no data (OPTIMIZE, a property) counts too: the stage reads it, finding nothing.
   */
  private static void deltaLag(SparkSession spark, TableRef source, Checkpoint cp,
      ObjectNode lag) {
    lag.put("source_table", source.name());
    if (!source.exists(spark)) {
      lag.put("note", "unknown, the source table does not exist");
      return;
    }
    long newest = BatchMetricsListener.newestVersion(spark, source);
    lag.put("source_version", newest);
    if (cp == null) {
      lag.put("versions_behind", newest + 1);
      lag.put("note", "never ran: every version of the source is ahead of it");
      return;
    }
    Long completed = cp.sourceOffset() == null
        ? null : BatchMetricsListener.completedVersion(cp.sourceOffset());
    if (completed == null) {
      lag.put("note", "unknown, the checkpoint's offset has no Delta source version");
      return;
    }
    lag.put("read_version", completed);
    lag.put("versions_behind", Math.max(0, newest - completed));
  }

  private static void deadLettersOfLastDay(SparkSession spark, TableRef deadLetter, Instant now,
      ObjectNode s) {
    ObjectNode byCode = JSON.createObjectNode();
    if (!deadLetter.exists(spark)) {
      s.put("dead_letters_note", "the dead_letter table " + deadLetter + " does not exist");
      return;
    }
    List<Row> rows = deadLetter.read(spark)
        .where(col(TableSchemas.FAILED_AT).geq(lit(Timestamp.from(now.minus(DEAD_LETTER_WINDOW)))))
        .groupBy(col(TableSchemas.ERROR_CODE))
        .agg(count(lit(1)))
        .orderBy(col(TableSchemas.ERROR_CODE))
        .collectAsList();
    long total = 0;
    for (Row r : rows) {
      byCode.put(r.isNullAt(0) ? "null" : r.getString(0), r.getLong(1));
      total += r.getLong(1);
    }
    s.put("dead_letters_last_day", total);
    s.set("dead_letters_last_day_by_code", byCode);
  }

  /** The newest events-table row of each stage, as the metrics line it was written from. */
  private static void lastEvents(SparkSession spark, TableRef events, ArrayNode stages) {
    if (!events.exists(spark)) {
      throw new ConfigException("The events table " + events + " (--events-table) does not"
          + " exist: give the table the stages were started with, or leave the setting out.");
    }
    for (JsonNode s : stages) {
      List<Row> last = events.read(spark)
          .where(col("stage").equalTo(s.path("stage").asText()))
          .orderBy(col("timestamp").desc(), col("batch_id").desc())
          .select("metrics")
          .limit(1)
          .collectAsList();
      if (!last.isEmpty()) {
        try {
          ((ObjectNode) s).set("last_event", JSON.readTree(last.get(0).getString(0)));
        } catch (IOException e) {
          ((ObjectNode) s).put("last_event", last.get(0).getString(0));
        }
      }
    }
  }

  /** The status as text for a person. */
  static String text(ObjectNode status) {
    StringBuilder b = new StringBuilder();
    b.append("Pipeline ").append(status.path("pipeline").asText()).append(", status at ")
        .append(status.path("at").asText()).append('\n');
    for (JsonNode s : status.path("stages")) {
      b.append('\n').append(s.path("stage").asText()).append('\n');
      if (!s.path("ran").asBoolean()) {
        b.append("  last batch:   never ran (no committed batch in ")
            .append(s.path("checkpoint").asText()).append(")\n");
      } else {
        b.append("  last batch:   ").append(s.path("last_batch").asLong()).append(", committed ")
            .append(s.path("committed_at").asText()).append(" (")
            .append(age(s.path("age_seconds").asLong())).append(" ago)\n");
      }
      JsonNode lag = s.path("lag");
      b.append("  lag:          ");
      if (lag.has("versions_behind")) {
        b.append(lag.path("versions_behind").asLong()).append(" version(s) of ")
            .append(lag.path("source_table").asText()).append(" behind (source at version ")
            .append(lag.path("source_version").asLong());
        if (lag.has("read_version")) {
          b.append(", read up to version ").append(lag.path("read_version").asLong());
        }
        b.append(')');
        if (lag.has("note")) {
          b.append("; ").append(lag.path("note").asText());
        }
      } else if (lag.has("kafka_offsets_behind")) {
        b.append(lag.path("kafka_offsets_behind").asLong()).append(" record(s) in Kafka behind (");
        List<String> parts = new java.util.ArrayList<>();
        lag.path("kafka_partitions").fields().forEachRemaining(
            p -> parts.add(p.getKey() + " " + p.getValue().asLong()));
        b.append(String.join(", ", parts)).append(')');
      } else {
        b.append(lag.path("note").asText());
      }
      b.append('\n');
      if (s.has("dead_letters_last_day")) {
        b.append("  dead letters in the last 24h: ").append(s.path("dead_letters_last_day")
            .asLong());
        JsonNode byCode = s.path("dead_letters_last_day_by_code");
        if (byCode.size() > 0) {
          StringBuilder codes = new StringBuilder();
          byCode.fields().forEachRemaining(e -> codes.append(codes.length() == 0 ? "" : ", ")
              .append(e.getKey()).append(' ').append(e.getValue().asLong()));
          b.append(" (").append(codes).append(')');
        }
        b.append('\n');
      } else if (s.has("dead_letters_note")) {
        b.append("  dead letters: ").append(s.path("dead_letters_note").asText()).append('\n');
      }
      if (s.has("last_event")) {
        b.append("  last event:   ").append(s.path("last_event").toString()).append('\n');
      }
    }
    return b.toString();
  }

  /** {@code 42s}, {@code 3m 5s}, {@code 2h 3m}, {@code 4d 2h}. */
  static String age(long seconds) {
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return seconds / 60 + "m " + seconds % 60 + "s";
    }
    if (seconds < 86400) {
      return seconds / 3600 + "h " + seconds % 3600 / 60 + "m";
    }
    return seconds / 86400 + "d " + seconds % 86400 / 3600 + "h";
  }

  /**
   * What a streaming checkpoint says of its newest committed batch: its id, when its commit file
   * was written, the batch's timestamp from its offset log, and its Delta source offset.
   */
  record Checkpoint(long batchId, Instant committedAt, Instant batchTimestamp,
      String sourceOffset) {

    /** Null when the checkpoint has no committed batch. */
    static Checkpoint read(String checkpoint) {
      try {
        Optional<CheckpointLog.Committed> committed = CheckpointLog.newestCommitted(checkpoint);
        if (committed.isEmpty()) {
          return null;
        }
        CheckpointLog.Committed c = committed.get();
        Matcher t = BATCH_TIMESTAMP.matcher(c.metadata());
        Instant batchTimestamp = t.find() ? Instant.ofEpochMilli(Long.parseLong(t.group(1))) : null;
        return new Checkpoint(c.batch(), c.committedAt(), batchTimestamp,
            c.sourceOffsets().get(0));
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read the checkpoint " + checkpoint + ": "
            + e.getMessage(), e);
      }
    }
  }
}
