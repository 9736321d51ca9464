package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.deserialize.HostileRecords.Case;
import dev.streamlake.deserialize.HostileRecords.EitherTable;
import dev.streamlake.deserialize.HostileRecords.Expect;
import dev.streamlake.deserialize.HostileRecords.InBronze;
import dev.streamlake.deserialize.HostileRecords.InDeadLetter;
import dev.streamlake.deserialize.HostileRecords.RuleSet;
import dev.streamlake.deserialize.HostileRecords.Sent;
import dev.streamlake.testing.TestSpark;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hostile input through the real stage 2 query, not only the decoder: {@link HostileRecords}
 * (valid readings mixed with extremes of every reader-schema field and every decode failure) is
 * appended to a raw Delta table in a few files, then {@link DeserializeQuery} drains it with
 * {@code --trigger availableNow}, one file per micro-batch. The query must finish; every raw row
 * must be in exactly one of bronze and dead_letter; each record must be where its tag says: bronze
 * with exactly the values sent (timestamps compared as instants, read with the java8 API so no
 * calendar conversion stands between the table and the check), or dead_letter with its code.
 *
 * <p>Once with the built-in pipeline, once with its rules removed: the second run shows that every
 * value the decoder accepts can be written, whatever a pipeline's rules would have said.
 *
 * <p>{@code -Dstreamlake.hostile.records=N} (default 3,000) and {@code -Dstreamlake.hostile.seed}
 * size and vary the run; README.md (Tests) has the command for the full run.
 */
class HostileRecordsIT {
  private static final Logger LOG = LoggerFactory.getLogger(HostileRecordsIT.class);

  static final String RECORDS = "streamlake.hostile.records";
  static final String SEED = "streamlake.hostile.seed";
  static final int DEFAULT_RECORDS = 3_000;
  static final long DEFAULT_SEED = 20_240_301L;
  /** Raw rows are spread over this many Kafka partitions: record i is at (i % 4, i / 4). */
  static final int PARTITIONS = 4;
  static final Instant KAFKA_TIME = Instant.parse("2024-03-01T00:00:00Z");

  static final SparkSession spark = TestSpark.session();

  @TempDir static Path dir;

  static long seed;
  static List<Case> cases;
  static String raw;
  static int files;
  static final Map<RuleSet, StreamingQuery> queries = new EnumMap<>(RuleSet.class);
  static long started;
  static long startCpu;

  /**
   * Writes the raw table, then starts stage 2 once per rule set. The two queries run at the same
   * time: each mostly runs one task at a time (one raw file per micro-batch), so together they
   * keep both cores of a small machine busy. Each test waits for its own.
   */
  @BeforeAll
  static void writeRawAndStartStage2() throws Exception {
    int records = Integer.getInteger(RECORDS, DEFAULT_RECORDS);
    seed = Long.getLong(SEED, DEFAULT_SEED);
    started = System.nanoTime();
    startCpu = cpuMillis();
    cases = HostileRecords.generate(records, seed);
    raw = dir.resolve("raw").toString();
    // Several files, so that --raw-max-files-per-trigger 1 makes several micro-batches.
    files = Math.max(3, cases.size() / 25_000);
    int perFile = (cases.size() + files - 1) / files;
    for (int f = 0; f < files; f++) {
      List<Row> rows = new ArrayList<>();
      for (int i = f * perFile; i < Math.min(cases.size(), (f + 1) * perFile); i++) {
        rows.add(RawRows.row(i % PARTITIONS, i / PARTITIONS, cases.get(i).value()));
      }
      RawRows.append(spark, raw, rows);
    }
    LOG.info("Hostile records: {} raw rows of {} kinds in {} files (seed {}) written in {} ms,"
            + " {} ms CPU (load average {})", cases.size(), HostileRecords.tags().size(), files,
        seed, millisSince(started), cpuMillis() - startCpu, loadAverage());
    for (RuleSet rules : RuleSet.values()) {
      queries.put(rules, DeserializeQuery.start(spark, config(rules)));
    }
  }

  @AfterAll
  static void stopQueries() throws Exception {
    for (StreamingQuery q : queries.values()) {
      q.stop();
    }
    LOG.info("Hostile records: {} records, {} ms in all after the Spark session started, {} ms"
            + " CPU (load average {})", cases == null ? 0 : cases.size(), millisSince(started),
        cpuMillis() - startCpu, loadAverage());
  }

  @Test
  void builtInPipeline() throws Exception {
    check(RuleSet.BUILT_IN);
  }

  @Test
  void withoutRulesEveryDecodableValueArrivesExactly() throws Exception {
    check(RuleSet.NONE);
  }

  static Path lake(RuleSet rules) {
    return dir.resolve(rules == RuleSet.BUILT_IN ? "built-in" : "no-rules");
  }

  /**
   * The built-in pipeline, or the same without its rules (renamed, since two active queries of
   * one session need different names).
   */
  static DeserializeConfig config(RuleSet rules) {
    DeserializeConfig c = StageRuns.config(lake(rules), "--raw-table", raw,
        "--raw-max-files-per-trigger", "1");
    if (rules == RuleSet.BUILT_IN) {
      return c;
    }
    return RawRows.withPipeline(c, p -> new PipelineConfig(p.name() + "_without_rules",
        p.topic(), p.format(), p.schemas(), p.maxPayloadBytes(), List.of(), p.deadLetterLimit(),
        p.gold()));
  }

  void check(RuleSet rules) throws Exception {
    assertThat(cases).extracting(Case::tag).containsAll(HostileRecords.tags());
    StreamingQuery q = StageRuns.awaitEnd(queries.get(rules),
        Duration.ofMinutes(3 + cases.size() / 10_000));
    long batchMillis = Arrays.stream(q.recentProgress())
        .mapToLong(p -> p.durationMs().getOrDefault("triggerExecution", 0L)).sum();
    long start = System.nanoTime();

    assertThat(Arrays.stream(q.recentProgress()).filter(p -> p.numInputRows() > 0).count())
        .as("micro-batches with rows").isEqualTo(files);

    // Timestamps as java.time.Instant straight from the stored microseconds, no calendar rebase.
    SparkSession reader = spark.newSession();
    reader.conf().set("spark.sql.datetime.java8API.enabled", "true");
    List<Row> rawRows = reader.read().format("delta").load(raw)
        .select(TableSchemas.TOPIC, TableSchemas.PARTITION, TableSchemas.OFFSET).collectAsList();
    List<Row> bronzeRows = table(reader, lake(rules), "bronze")
        .select("sensor_id", "reading_ts", "temperature_c", "humidity_pct", "battery_pct",
            "status", "firmware", "pressure_hpa", TableSchemas.SCHEMA_ID, TableSchemas.TOPIC,
            TableSchemas.PARTITION, TableSchemas.OFFSET, TableSchemas.KAFKA_TIMESTAMP)
        .collectAsList();
    List<Row> deadRows = table(reader, lake(rules), "dead_letter")
        .select(TableSchemas.TOPIC, TableSchemas.PARTITION, TableSchemas.OFFSET,
            TableSchemas.VALUE, TableSchemas.STAGE, TableSchemas.ERROR_CODE,
            TableSchemas.ERROR_MESSAGE, TableSchemas.FAILED_AT)
        .collectAsList();

    // raw = bronze + dead_letter by (topic, partition, offset): each raw row in exactly one.
    int[] inRaw = new int[cases.size()];
    rawRows.forEach(r -> inRaw[index(r)]++);
    assertThat(inRaw).as("raw holds every record once").containsOnly(1);
    Row[] bronze = new Row[cases.size()];
    Row[] dead = new Row[cases.size()];
    Problems problems = new Problems();
    for (Row r : bronzeRows) {
      int i = index(r);
      if (bronze[i] != null) {
        problems.add(cases.get(i).tag(), i, "in bronze twice");
      }
      bronze[i] = r;
    }
    for (Row r : deadRows) {
      int i = index(r);
      if (dead[i] != null) {
        problems.add(cases.get(i).tag(), i, "in dead_letter twice");
      }
      dead[i] = r;
    }

    Map<String, Integer> outcomes = new TreeMap<>();
    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      if (bronze[i] != null && dead[i] != null) {
        problems.add(c.tag(), i, "in bronze and in dead_letter");
        continue;
      }
      if (bronze[i] == null && dead[i] == null) {
        problems.add(c.tag(), i, "in neither bronze nor dead_letter");
        continue;
      }
      outcomes.merge(dead[i] == null ? "bronze" : dead[i].getAs(TableSchemas.ERROR_CODE), 1,
          Integer::sum);
      if (dead[i] != null) {
        checkDeadLetterRow(c, i, dead[i], problems);
      }
      Expect expect = c.expect(rules);
      if (expect instanceof InBronze b) {
        if (bronze[i] == null) {
          problems.add(c.tag(), i, "expected in bronze, is a dead letter "
              + dead[i].getAs(TableSchemas.ERROR_CODE) + ": "
              + dead[i].getAs(TableSchemas.ERROR_MESSAGE));
        } else {
          checkBronzeRow(c, i, b.values(), bronze[i], problems);
        }
      } else if (expect instanceof InDeadLetter d) {
        if (dead[i] == null) {
          problems.add(c.tag(), i, "expected a dead letter " + d.code() + ", is in bronze as "
              + describe(bronze[i]));
        } else {
          checkDeadLetter(c, i, d, dead[i], problems);
        }
      } else if (!(expect instanceof EitherTable)) {
        throw new IllegalStateException("unknown expectation " + expect);
      }
    }
    LOG.info("Hostile records, {} rules: {} rows in {} micro-batches of {} ms in all, checks {}"
            + " ms (load average {}); outcomes {}", rules, cases.size(), files, batchMillis,
        millisSince(start), loadAverage(), outcomes);
    if (!problems.isEmpty()) {
      fail("%s with %s rules (seed %d, %d records): %s", problems.count(), rules, seed,
          cases.size(), problems);
    }
  }

  /** Every dead letter: the raw value byte for byte, the stage, a code, a message, a time. */
  static void checkDeadLetterRow(Case c, int i, Row d, Problems problems) {
    if (!Arrays.equals(c.value(), d.<byte[]>getAs(TableSchemas.VALUE))) {
      problems.add(c.tag(), i, "dead letter's value differs from the raw value");
    }
    if (d.getAs(TableSchemas.ERROR_CODE) == null || d.getAs(TableSchemas.ERROR_MESSAGE) == null
        || ((String) d.getAs(TableSchemas.ERROR_MESSAGE)).isBlank()) {
      problems.add(c.tag(), i, "dead letter without code or message: " + describeDead(d));
    }
    if (!"deserialize".equals(d.getAs(TableSchemas.STAGE))
        || d.getAs(TableSchemas.FAILED_AT) == null) {
      problems.add(c.tag(), i, "dead letter without stage or failed_at: " + d);
    }
  }

  static void checkDeadLetter(Case c, int i, InDeadLetter expected, Row d, Problems problems) {
    String code = d.getAs(TableSchemas.ERROR_CODE);
    String message = d.getAs(TableSchemas.ERROR_MESSAGE);
    if (!expected.code().equals(code)) {
      problems.add(c.tag(), i, "expected " + expected.code() + ", got " + describeDead(d));
      return;
    }
    if (message == null) {
      return;
    }
    if (expected.exactMessage() != null && !expected.exactMessage().equals(message)) {
      problems.add(c.tag(), i, "expected message '" + expected.exactMessage() + "', got '"
          + message + "'");
    }
    List<String> parts = new ArrayList<>(expected.messageParts());
    if (!expected.code().equals(HostileRecords.RULE_VIOLATION)) {
      // A decode failure names the record.
      parts.add("partition " + (i % PARTITIONS) + ", offset " + (i / PARTITIONS));
    }
    for (String part : parts) {
      if (!message.contains(part)) {
        problems.add(c.tag(), i, "message lacks '" + part + "': " + message);
      }
    }
  }

  /** Every value as sent: doubles by Double.equals (NaN is NaN, -0.0 is not 0.0). */
  static void checkBronzeRow(Case c, int i, Sent sent, Row b, Problems problems) {
    List<String> diffs = new ArrayList<>();
    same(diffs, "sensor_id", sent.sensorId(), b.getAs("sensor_id"));
    same(diffs, "reading_ts", Instant.ofEpochMilli(sent.readingTs()), b.getAs("reading_ts"));
    same(diffs, "temperature_c", sent.temperatureC(), b.getAs("temperature_c"));
    same(diffs, "humidity_pct", sent.humidityPct(), b.getAs("humidity_pct"));
    same(diffs, "battery_pct", sent.batteryPct(), b.getAs("battery_pct"));
    same(diffs, "status", sent.status(), b.getAs("status"));
    same(diffs, "firmware", sent.firmware(), b.getAs("firmware"));
    same(diffs, "pressure_hpa", sent.pressureHpa(), b.getAs("pressure_hpa"));
    same(diffs, TableSchemas.SCHEMA_ID, sent.schemaId(), b.getAs(TableSchemas.SCHEMA_ID));
    same(diffs, TableSchemas.KAFKA_TIMESTAMP, KAFKA_TIME.plusMillis(i / PARTITIONS),
        b.getAs(TableSchemas.KAFKA_TIMESTAMP));
    if (!diffs.isEmpty()) {
      problems.add(c.tag(), i, "bronze differs from what was sent: " + String.join("; ", diffs));
    }
  }

  static void same(List<String> diffs, String column, Object sent, Object stored) {
    if (!Objects.equals(sent, stored)) {
      diffs.add(column + " sent " + shorten(sent) + ", bronze has " + shorten(stored));
    }
  }

  static Dataset<Row> table(SparkSession reader, Path lake, String table) {
    return reader.read().format("delta").load(lake.resolve(table).resolve("sensor_readings")
        .toString());
  }

  /** The record's index from its coordinates; the topic must be the test's. */
  static int index(Row r) {
    assertThat((String) r.getAs(TableSchemas.TOPIC)).isEqualTo(RawRows.TOPIC);
    long offset = r.<Long>getAs(TableSchemas.OFFSET);
    int partition = r.<Integer>getAs(TableSchemas.PARTITION);
    return Math.toIntExact(offset * PARTITIONS + partition);
  }

  static String describe(Row bronze) {
    return "sensor_id=" + shorten(bronze.getAs("sensor_id")) + ", reading_ts="
        + bronze.getAs("reading_ts") + ", temperature_c=" + bronze.getAs("temperature_c");
  }

  static String describeDead(Row d) {
    return d.getAs(TableSchemas.ERROR_CODE) + " (" + d.getAs(TableSchemas.ERROR_MESSAGE) + ")";
  }

  static String shorten(Object v) {
    String s = String.valueOf(v);
    return s.length() > 80 ? s.substring(0, 60) + "...(" + s.length() + " chars)" : s;
  }

  /** The 1-minute load average: timings on a shared machine mean little without it. */
  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** CPU time of this JVM (all threads): less dependent than wall time on the machine's load. */
  static long cpuMillis() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() / 1_000_000;
  }

  static long millisSince(long nanoTime) {
    return (System.nanoTime() - nanoTime) / 1_000_000;
  }

  /** Wrong outcomes by tag: a count and the first few, for a failure message one can act on. */
  static final class Problems {
    private final Map<String, List<String>> byTag = new TreeMap<>();
    private final Set<Integer> records = new HashSet<>();
    private int count;

    void add(String tag, int i, String what) {
      count++;
      records.add(i);
      byTag.computeIfAbsent(tag, t -> new ArrayList<>())
          .add("record " + i + " (partition " + (i % PARTITIONS) + ", offset "
              + (i / PARTITIONS) + "): " + what);
    }

    boolean isEmpty() {
      return count == 0;
    }

    String count() {
      return count + " problem(s) in " + records.size() + " record(s) of " + byTag.size()
          + " kind(s)";
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder();
      byTag.forEach((tag, list) -> {
        b.append("\n  ").append(tag).append(" (").append(list.size()).append(")");
        list.stream().limit(3).forEach(p -> b.append("\n    ").append(p));
      });
      return b.toString();
    }
  }
}
