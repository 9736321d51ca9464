package dev.streamlake.e2e;

import dev.streamlake.common.LakeLayout;
import dev.streamlake.common.TableRef;
import dev.streamlake.e2e.SampleReadings.GoldKey;
import dev.streamlake.e2e.SampleReadings.GoldRow;
import dev.streamlake.local.LocalSpark;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Reads the four tables of a lake and tells whether the pipeline has caught up with a
 * {@link SampleReadings} set, and prints what a person wants to see after a run: rows per table,
 * dead letters by code, a few gold rows, and how long each stage took.
 */
public final class PipelineReport {
  public static final String PIPELINE = "sensor_readings";
  private static final Duration POLL_INTERVAL = Duration.ofSeconds(3);
  private static final DateTimeFormatter UTC_TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

  private final SparkSession spark;
  private final LakeLayout layout;

  public PipelineReport(SparkSession spark, Path lake) {
    this.spark = spark;
    this.layout = new LakeLayout(lake.toAbsolutePath().toString(), PIPELINE);
  }

  /**
   * A local[1] session for reading the tables next to running drivers: one core, no UI, loopback
   * only, a warehouse folder of its own.
   */
  public static SparkSession localSession(Path warehouse) {
    return LocalSpark.session("local[1]", warehouse, "streamlake demo report");
  }

  public LakeLayout layout() {
    return layout;
  }

  /** Row counts of the four tables; a table not created yet counts 0. */
  public record Counts(long raw, long bronze, long deadLetter, long gold) {
    @Override
    public String toString() {
      return "raw " + raw + ", bronze " + bronze + ", dead_letter " + deadLetter + ", gold " + gold;
    }
  }

  public Counts counts() {
    return new Counts(count(layout.raw()), count(layout.bronze()), count(layout.deadLetter()),
        count(layout.gold()));
  }

  private long count(TableRef table) {
    Dataset<Row> rows = readIfExists(table);
    return rows == null ? 0 : rows.count();
  }

  /**
   * The table's current rows, or null while it does not exist yet. Reading (not
   * {@link TableRef#exists}) is what updates Delta's cached log: a session that looked while a
   * table was being created would otherwise keep seeing no table.
   */
  private Dataset<Row> readIfExists(TableRef table) {
    try {
      Dataset<Row> rows = table.read(spark);
      rows.schema();
      return rows;
    } catch (Exception e) {
      if (e instanceof AnalysisException) {
        return null;
      }
      throw e;
    }
  }

  /** dead_letter rows by error_code, sorted by code. */
  public Map<String, Long> deadLettersByCode() {
    Map<String, Long> out = new TreeMap<>();
    Dataset<Row> deadLetter = readIfExists(layout.deadLetter());
    if (deadLetter == null) {
      return out;
    }
    for (Row r : deadLetter.groupBy("error_code").count().collectAsList()) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
  }

  /** Gold's key and value columns, read without any time zone in the way. */
  public Map<GoldKey, GoldRow> gold() {
    Map<GoldKey, GoldRow> out = new TreeMap<>();
    Dataset<Row> goldRows = readIfExists(layout.gold());
    if (goldRows == null) {
      return out;
    }
    List<Row> rows = goldRows.selectExpr(
        "sensor_id", "CAST(reading_date AS STRING)", "unix_millis(reading_ts)", "temperature_c",
        "humidity_pct", "battery_pct", "status", "firmware", "pressure_hpa").collectAsList();
    for (Row r : rows) {
      GoldRow row = new GoldRow(r.getString(0), LocalDate.parse(r.getString(1)),
          Instant.ofEpochMilli(r.getLong(2)), r.getDouble(3), (Double) r.get(4), (Integer) r.get(5),
          r.getString(6), r.getString(7), (Double) r.get(8));
      if (out.put(row.key(), row) != null) {
        throw new IllegalStateException("gold holds key " + row.key() + " twice");
      }
    }
    return out;
  }

  /**
   * How bronze + dead_letter cover raw by (topic, partition, offset): rows of raw in neither, rows
   * in both or twice in one, and rows not from raw at all. All zero means nothing lost, nothing
   * twice.
   */
  public record Coverage(long lost, long twice, long unknown) {
    public boolean exact() {
      return lost == 0 && twice == 0 && unknown == 0;
    }
  }

  public Coverage coverage() {
    Dataset<Row> raw = layout.raw().read(spark).selectExpr("topic", "partition", "offset");
    Dataset<Row> out = layout.bronze().read(spark).selectExpr("topic", "partition", "offset")
        .unionAll(layout.deadLetter().read(spark).selectExpr("topic", "partition", "offset"));
    Dataset<Row> outCounts = out.groupBy("topic", "partition", "offset").count();
    long lost = raw.join(outCounts, raw.col("topic").equalTo(outCounts.col("topic"))
            .and(raw.col("partition").equalTo(outCounts.col("partition")))
            .and(raw.col("offset").equalTo(outCounts.col("offset"))), "left_anti").count();
    long twice = outCounts.filter("count > 1").count();
    long unknown = outCounts.join(raw, outCounts.col("topic").equalTo(raw.col("topic"))
            .and(outCounts.col("partition").equalTo(raw.col("partition")))
            .and(outCounts.col("offset").equalTo(raw.col("offset"))), "left_anti").count();
    return new Coverage(lost, twice, unknown);
  }

  /** Raw rows with the same (topic, partition, offset) more than once. */
  public long rawDuplicates() {
    return layout.raw().read(spark).groupBy("topic", "partition", "offset").count()
        .filter("count > 1").count();
  }

  /** Where the tables stand against the expected outcome; empty {@link #missing} means caught up. */
  public record Progress(Counts counts, boolean rawDone, boolean decodedDone, boolean goldDone,
      String missing) {
    public boolean caughtUp() {
      return missing.isEmpty();
    }
  }

  public Progress progress(SampleReadings expected) {
    Counts c = counts();
    List<String> missing = new ArrayList<>();
    boolean rawDone = c.raw() == expected.expectedRaw();
    if (!rawDone) {
      missing.add("raw has " + c.raw() + " of " + expected.expectedRaw() + " rows");
    }
    boolean decodedDone = c.bronze() == expected.expectedBronze()
        && c.deadLetter() == expected.expectedDeadLetterCount();
    if (!decodedDone) {
      missing.add("bronze has " + c.bronze() + " of " + expected.expectedBronze() + ", dead_letter "
          + c.deadLetter() + " of " + expected.expectedDeadLetterCount());
    }
    boolean goldDone = false;
    if (c.gold() == expected.expectedGold().size()) {
      Map<GoldKey, GoldRow> actual = gold();
      List<GoldKey> differ = new ArrayList<>();
      expected.expectedGold().forEach((k, v) -> {
        if (!Objects.equals(actual.get(k), v)) {
          differ.add(k);
        }
      });
      goldDone = differ.isEmpty();
      if (!goldDone) {
        missing.add("gold differs from the expected rows at " + differ.size() + " keys, e.g. "
            + differ.get(0) + ": " + actual.get(differ.get(0)) + " instead of "
            + expected.expectedGold().get(differ.get(0)));
      }
    } else {
      missing.add("gold has " + c.gold() + " of " + expected.expectedGold().size() + " rows");
    }
    return new Progress(c, rawDone, decodedDone, goldDone, String.join("; ", missing));
  }

  /** True when all four tables hold exactly the expected outcome. */
  public boolean caughtUp(SampleReadings expected) {
    return progress(expected).caughtUp();
  }

  /** When each table first held its expected content, measured from {@code start}. */
  public static final class Timings {
    private final Instant start;
    private Duration raw;
    private Duration decoded;
    private Duration gold;

    public Timings(Instant start) {
      this.start = start;
    }

    public Instant start() {
      return start;
    }

    void record(Progress p, Instant now) {
      Duration since = Duration.between(start, now);
      if (p.rawDone() && raw == null) {
        raw = since;
      }
      if (p.decodedDone() && decoded == null) {
        decoded = since;
      }
      if (p.goldDone() && gold == null) {
        gold = since;
      }
    }

    public Duration raw() {
      return raw;
    }

    public Duration decoded() {
      return decoded;
    }

    public Duration gold() {
      return gold;
    }
  }

  /**
   * Polls until the tables hold the expected outcome or the deadline passes. {@code healthy} is
   * asked every round (the drivers still run): when it says false the wait ends at once.
   *
   * @return the last progress seen; {@link Progress#caughtUp()} tells which way it ended
   */
  public Progress awaitCaughtUp(SampleReadings expected, Timings timings, Duration timeout,
      BooleanSupplier healthy, Consumer<Progress> onChange) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    Progress last = null;
    while (true) {
      Progress p = progress(expected);
      timings.record(p, Instant.now());
      if (last == null || !p.counts().equals(last.counts()) || p.caughtUp()) {
        onChange.accept(p);
      }
      last = p;
      if (p.caughtUp() || Instant.now().isAfter(deadline) || !healthy.getAsBoolean()) {
        return p;
      }
      Thread.sleep(POLL_INTERVAL.toMillis());
    }
  }

  /** What Delta's history says about the writes to one table. */
  public record History(int commits, Instant firstWrite, Instant lastWrite) {
    Duration span() {
      return firstWrite == null ? Duration.ZERO : Duration.between(firstWrite, lastWrite);
    }
  }

  /** Commits that wrote rows (table creation left out). */
  public History history(TableRef table) {
    if (readIfExists(table) == null) {
      return new History(0, null, null);
    }
    List<Row> rows = table.deltaTable(spark).history()
        // Table creation (CREATE, or the empty append a stage makes at start) is not work done.
        .filter("operation NOT LIKE 'CREATE%' AND coalesce(operationMetrics['numOutputRows'], '1') != '0'")
        .selectExpr("unix_millis(timestamp)").collectAsList();
    if (rows.isEmpty()) {
      return new History(0, null, null);
    }
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (Row r : rows) {
      min = Math.min(min, r.getLong(0));
      max = Math.max(max, r.getLong(0));
    }
    return new History(rows.size(), Instant.ofEpochMilli(min), Instant.ofEpochMilli(max));
  }

  /** The report: rows per table, dead letters by code, a few gold rows, time per stage. */
  public void print(PrintStream out, SampleReadings expected, Timings timings, int goldRows) {
    Counts c = counts();
    out.println();
    out.println("Rows per table (expected in brackets)");
    out.printf(Locale.ROOT, "  raw          %6d  [%d]%n", c.raw(), expected.expectedRaw());
    out.printf(Locale.ROOT, "  bronze       %6d  [%d]%n", c.bronze(), expected.expectedBronze());
    out.printf(Locale.ROOT, "  dead_letter  %6d  [%d]%n", c.deadLetter(), expected.expectedDeadLetterCount());
    out.printf(Locale.ROOT, "  gold         %6d  [%d]  (sensor x UTC day)%n", c.gold(), expected.expectedGold().size());

    out.println();
    out.println("Dead letters by error_code (expected in brackets)");
    Map<String, Long> actual = deadLettersByCode();
    Map<String, Long> codes = new TreeMap<>(expected.expectedDeadLetters());
    actual.keySet().forEach(k -> codes.putIfAbsent(k, 0L));
    codes.forEach((code, n) -> out.printf(Locale.ROOT, "  %-20s %5d  [%d]%n", code,
        actual.getOrDefault(code, 0L), n));

    out.println();
    out.println("Gold (first " + goldRows + " of " + c.gold() + " rows, by sensor and day)");
    Dataset<Row> goldTable = readIfExists(layout.gold());
    if (goldTable != null) {
      List<Row> rows = goldTable.orderBy("sensor_id", "reading_date")
          .selectExpr("sensor_id", "CAST(reading_date AS STRING)",
              "unix_millis(reading_ts)",
              "temperature_c", "humidity_pct", "battery_pct", "status", "firmware", "pressure_hpa",
              "schema_id", "partition", "offset")
          .limit(goldRows).collectAsList();
      out.printf(Locale.ROOT, "  %-10s %-10s %-8s %6s %5s %4s %-6s %-6s %7s %3s %s%n", "sensor_id",
          "date", "time", "temp_c", "hum", "batt", "status", "fw", "hpa", "v", "partition/offset");
      for (Row r : rows) {
        out.printf(Locale.ROOT, "  %-10s %-10s %-8s %6.1f %5s %4s %-6s %-6s %7s %3s %s/%s%n",
            r.getString(0), r.getString(1), UTC_TIME.format(Instant.ofEpochMilli(r.getLong(2))), r.getDouble(3), orDash(r.get(4)),
            orDash(r.get(5)), r.getString(6), orDash(r.get(7)), orDash(r.get(8)), orDash(r.get(9)),
            r.get(10), r.get(11));
      }
    }

    out.println();
    out.println("Stages (times from the start of the drivers; 'complete' as seen by polling the tables,"
        + " commits that wrote rows from Delta's history)");
    Map<String, TableRef[]> stages = new LinkedHashMap<>();
    stages.put("1 raw-ingest  -> raw", new TableRef[] {layout.raw()});
    stages.put("2 deserialize -> bronze + dead_letter", new TableRef[] {layout.bronze(), layout.deadLetter()});
    stages.put("3 merge       -> gold", new TableRef[] {layout.gold()});
    Duration[] done = {timings.raw(), timings.decoded(), timings.gold()};
    int i = 0;
    for (Map.Entry<String, TableRef[]> stage : stages.entrySet()) {
      int commits = 0;
      Instant first = null;
      Instant last = null;
      for (TableRef t : stage.getValue()) {
        History h = history(t);
        commits += h.commits();
        if (h.firstWrite() != null) {
          first = first == null || h.firstWrite().isBefore(first) ? h.firstWrite() : first;
          last = last == null || h.lastWrite().isAfter(last) ? h.lastWrite() : last;
        }
      }
      String writes = first == null ? "no commits"
          : String.format(Locale.ROOT, "%d commit%s, first at +%s, last at +%s", commits,
              commits == 1 ? "" : "s",
              seconds(Duration.between(timings.start(), first)),
              seconds(Duration.between(timings.start(), last)));
      out.printf(Locale.ROOT, "  %-38s complete at %-8s %s%n", stage.getKey(),
          done[i] == null ? "(never)" : "+" + seconds(done[i]), writes);
      i++;
    }
  }

  private static String orDash(Object o) {
    return o == null ? "-" : o.toString();
  }

  static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
  }

  /** A folder for the report session's warehouse inside the demo's run folder. */
  public static Path warehouse(Path runDir) throws java.io.IOException {
    return Files.createDirectories(runDir.resolve("warehouse-report"));
  }
}
