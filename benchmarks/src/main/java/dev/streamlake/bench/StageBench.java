package dev.streamlake.bench;

import dev.streamlake.common.TableSchemas;
import dev.streamlake.deserialize.DeserializeConfig;
import dev.streamlake.deserialize.DeserializeQuery;
import dev.streamlake.merge.MergeConfig;
import dev.streamlake.merge.MergeQuery;
import dev.streamlake.ladder.Machine;
import dev.streamlake.ladder.agent.StepMain;
import dev.streamlake.local.LocalSpark;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.StreamingQueryProgress;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * End-to-end benchmark of stages 2 and 3 on a local[2] session (the tests' settings): writes
 * {@code --rows} raw rows (v1 and v2 Avro, {@code --broken-pct} percent broken in every way the
 * decoder and the rules catch), runs stage 2 and stage 3 once each with availableNow and times
 * them, then appends a small batch touching one reading date and times stage 2 and 3 again, to
 * show that a MERGE into the now-large gold costs what its batch touches, not what gold holds.
 *
 * <p>Prints one table; {@link #run} returns the numbers so StageBenchIT can check them.
 */
@Command(
    name = "stage-bench",
    mixinStandardHelpOptions = true,
    description = "Times stage 2 (deserialize) and stage 3 (merge) end to end on local[2].")
public final class StageBench {
  @Option(names = "--rows", description = "Raw rows of the first, large batch. Default 200000.")
  int rows = 200_000;

  @Option(names = "--second-rows",
      description = "Raw rows of the second, small batch (all one reading date). Default 1% of"
          + " --rows, at least 100.")
  Integer secondRows;

  @Option(names = "--sensors", description = "Distinct sensor ids. Default 5000.")
  int sensors = 5_000;

  @Option(names = "--days", description = "Distinct reading dates (gold partitions). Default 30.")
  int days = 30;

  @Option(names = "--broken-pct", description = "Percent of broken raw rows. Default 2.")
  double brokenPct = 2.0;

  @Option(names = "--lake", description = "Lake folder (must not exist yet). Default: a temp dir.")
  Path lake;

  /** One timed phase: what it did and how long it took. */
  public record Phase(String name, long records, double seconds, double batchSeconds,
      String load, String note) {

    double perSecond() {
      return records / seconds;
    }
  }

  /** Everything measured and counted. */
  public record Results(
      List<Phase> phases,
      long rawRows,
      long bronzeRows,
      long deadLetterRows,
      long goldRows,
      long expectedBronze,
      long expectedDeadLetter,
      long expectedGold,
      Map<String, String> firstMergeMetrics,
      Map<String, String> secondMergeMetrics,
      long goldFiles,
      long peakHeapBytes,
      long peakRssBytes) {}

  /** What the generator wrote; the counts the stages must reproduce. */
  private static final class Expected {
    long valid;
    long broken;
    final Set<Long> goldKeys = new HashSet<>();
  }

  public static void main(String[] args) throws Exception {
    StageBench bench = new StageBench();
    CommandLine cl = new CommandLine(bench);
    cl.parseArgs(args);
    if (cl.isUsageHelpRequested()) {
      cl.usage(System.out);
      return;
    }
    if (cl.isVersionHelpRequested()) {
      cl.printVersionHelp(System.out);
      return;
    }
    boolean tempLake = bench.lake == null;
    Results r = bench.run(LocalSpark.session(
        "local[2]", Files.createTempDirectory("streamlake-bench-warehouse"), "streamlake-bench"));
    System.out.println(table(bench, r));
    if (tempLake) {
      deleteRecursively(bench.lake);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Runs the benchmark on {@code spark} (a local[2] session with Delta). */
  public Results run(SparkSession spark) throws IOException, TimeoutException,
      StreamingQueryException {
    if (lake == null) {
      lake = Files.createTempDirectory("streamlake-bench");
    }
    int second = secondRows != null ? secondRows : Math.max(100, rows / 100);
    String[] common = {"--lake", lake.toString(), "--trigger", "availableNow"};
    DeserializeConfig deserialize = DeserializeConfig.fromArgs(
        concat(common, "--dead-letter-limit", "off"));
    MergeConfig merge = MergeConfig.fromArgs(common);
    String rawPath = deserialize.settings().raw().name();

    PeakMemory memory = PeakMemory.start();
    List<Phase> phases = new ArrayList<>();
    Expected expected = new Expected();
    Random random = new Random(7);

    String load = Machine.loadAverage();
    long t0 = System.nanoTime();
    deserialize.settings().raw().ensureExists(spark, TableSchemas.raw(),
        List.of(TableSchemas.INGEST_DATE));
    appendRaw(spark, rawPath, firstBatch(random, expected));
    phases.add(new Phase("make + write raw (batch 1)", rows, seconds(t0), Double.NaN,
        load, "encode, createDataFrame, Delta append"));

    phases.add(runStage(spark, "stage 2 deserialize (batch 1)", rows,
        () -> DeserializeQuery.start(spark, deserialize), ""));
    long bronze1 = deserialize.settings().bronze().read(spark).count();
    phases.add(runStage(spark, "stage 3 merge (batch 1)", bronze1,
        () -> MergeQuery.start(spark, merge), "gold empty before"));
    Map<String, String> firstMerge = lastMergeMetrics(spark, merge);
    long goldFilesBefore = goldFiles(spark, merge);

    load = Machine.loadAverage();
    t0 = System.nanoTime();
    appendRaw(spark, rawPath, secondBatch(random, second, expected));
    phases.add(new Phase("make + write raw (batch 2)", second, seconds(t0), Double.NaN, load, ""));
    phases.add(runStage(spark, "stage 2 deserialize (batch 2)", second,
        () -> DeserializeQuery.start(spark, deserialize), ""));
    long bronze2 = deserialize.settings().bronze().read(spark).count() - bronze1;
    phases.add(runStage(spark, "stage 3 merge (batch 2)", bronze2,
        () -> MergeQuery.start(spark, merge),
        "gold had " + goldFilesBefore + " files, 1 date touched"));
    Map<String, String> secondMerge = lastMergeMetrics(spark, merge);

    return new Results(
        phases,
        deserialize.settings().raw().read(spark).count(),
        deserialize.settings().bronze().read(spark).count(),
        deserialize.settings().deadLetter().read(spark).count(),
        merge.settings().gold().read(spark).count(),
        expected.valid,
        expected.broken,
        expected.goldKeys.size(),
        firstMerge,
        secondMerge,
        goldFiles(spark, merge),
        memory.peakHeap(),
        StepMain.peakRss());
  }

  private interface Starter {
    StreamingQuery start() throws TimeoutException;
  }

  /** Starts an availableNow query and waits for it; wall time includes query start-up. */
  private static Phase runStage(SparkSession spark, String name, long records, Starter starter,
      String note) throws TimeoutException, StreamingQueryException {
    String load = Machine.loadAverage();
    long t0 = System.nanoTime();
    StreamingQuery q = starter.start();
    q.awaitTermination();
    double wall = seconds(t0);
    if (q.exception().isDefined()) {
      throw q.exception().get();
    }
    // The micro-batches' own time, without the query's start-up and shut-down.
    double batches = 0;
    int n = 0;
    for (StreamingQueryProgress p : q.recentProgress()) {
      if (p.numInputRows() > 0) {
        Long ms = p.durationMs().get("triggerExecution");
        batches += ms == null ? 0 : ms / 1000.0;
        n++;
      }
    }
    return new Phase(name, records, wall, batches, load,
        (note.isEmpty() ? "" : note + "; ") + n + " micro-batch(es)");
  }

  private List<Row> firstBatch(Random random, Expected expected) {
    List<Row> out = new ArrayList<>(rows);
    long brokenEvery = brokenPct <= 0 ? Long.MAX_VALUE : Math.max(1, Math.round(100 / brokenPct));
    long brokenIndex = 0;
    for (long i = 0; i < rows; i++) {
      byte[] value;
      if (i % brokenEvery == brokenEvery - 1) {
        value = BenchPayloads.broken(random, brokenIndex++).payload();
        expected.broken++;
      } else {
        Reading r = BenchPayloads.reading(random, i, sensors, days);
        value = i % 2 == 0 ? SensorReadingPayloads.v2(r) : SensorReadingPayloads.v1(r);
        expected.valid++;
        expected.goldKeys.add(goldKey(r));
      }
      out.add(rawRow(i, value));
    }
    return out;
  }

  /** Later readings of the first {@code n} sensors on the first day: updates, one partition. */
  private List<Row> secondBatch(Random random, int n, Expected expected) {
    List<Row> out = new ArrayList<>(n);
    Instant lateInDay = BenchPayloads.FIRST_DAY.atStartOfDay(ZoneOffset.UTC).toInstant()
        .plusSeconds(86_399);
    for (int j = 0; j < n; j++) {
      Reading r = BenchPayloads.reading(random, j % sensors, sensors, 1);
      r = new Reading(r.sensorId(), lateInDay.plusMillis(j % 1000), r.temperatureC(),
          r.humidityPct(), r.batteryPct(), r.status(), r.firmware(), r.pressureHpa());
      expected.valid++;
      expected.goldKeys.add(goldKey(r));
      out.add(rawRow(rows + j, SensorReadingPayloads.v2(r)));
    }
    return out;
  }

  private long goldKey(Reading r) {
    long sensor = Long.parseLong(r.sensorId().substring("sensor-".length()));
    long day = r.readingTs().atZone(ZoneOffset.UTC).toLocalDate().toEpochDay();
    return day * 1_000_000L + sensor;
  }

  private static final Instant INGESTED_AT = Instant.parse("2024-06-01T00:00:00Z");

  private static Row rawRow(long i, byte[] value) {
    int partition = (int) (i % 3);
    long offset = i / 3;
    return RowFactory.create(
        ("k" + i).getBytes(StandardCharsets.UTF_8),
        value,
        "sensor-readings",
        partition,
        offset,
        Timestamp.from(INGESTED_AT.plusMillis(i)),
        0,
        null,
        Timestamp.from(INGESTED_AT),
        Date.valueOf(LocalDate.ofInstant(INGESTED_AT, ZoneOffset.UTC)));
  }

  private static void appendRaw(SparkSession spark, String path, List<Row> rows) {
    spark.createDataFrame(rows, TableSchemas.raw()).write().format("delta")
        .mode(SaveMode.Append).partitionBy(TableSchemas.INGEST_DATE).save(path);
  }

  /** The operationMetrics of gold's latest MERGE commit. */
  private static Map<String, String> lastMergeMetrics(SparkSession spark, MergeConfig merge) {
    List<Row> h = merge.settings().gold().deltaTable(spark).history()
        .where("operation = 'MERGE'").orderBy(org.apache.spark.sql.functions.col("version").desc())
        .limit(1).select("operationMetrics").collectAsList();
    if (h.isEmpty()) {
      return Map.of();
    }
    return new java.util.TreeMap<>(
        scala.jdk.javaapi.CollectionConverters.asJava(h.get(0).<String, String>getMap(0)));
  }

  private static long goldFiles(SparkSession spark, MergeConfig merge) {
    return merge.settings().gold().deltaTable(spark).detail().select("numFiles").first()
        .getLong(0);
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** The results as one plain-text table. */
  public static String table(StageBench bench, Results r) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT,
        "%nStageBench: %d raw rows (+%d), %d sensors, %d days, %.1f%% broken, local[2], %d cores,"
            + " max heap %d MiB%n",
        bench.rows, r.rawRows() - bench.rows, bench.sensors, bench.days, bench.brokenPct,
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20));
    b.append(String.format(Locale.ROOT, "%-32s %9s %9s %11s %9s %11s  %-17s %s%n", "phase",
        "records", "wall s", "records/s", "batch s", "rec/s batch", "load avg (1/5/15)", "note"));
    for (Phase p : r.phases()) {
      b.append(String.format(Locale.ROOT, "%-32s %9d %9.2f %11.0f %9s %11s  %-17s %s%n",
          p.name(), p.records(), p.seconds(), p.perSecond(),
          Double.isNaN(p.batchSeconds()) ? "-" : String.format(Locale.ROOT, "%.2f",
              p.batchSeconds()),
          Double.isNaN(p.batchSeconds()) || p.batchSeconds() == 0 ? "-"
              : String.format(Locale.ROOT, "%.0f", p.records() / p.batchSeconds()),
          p.load(), p.note()));
    }
    b.append(String.format(Locale.ROOT,
        "counts: raw %d = bronze %d + dead_letter %d (expected %d + %d); gold %d (expected %d),"
            + " %d files%n",
        r.rawRows(), r.bronzeRows(), r.deadLetterRows(), r.expectedBronze(),
        r.expectedDeadLetter(), r.goldRows(), r.expectedGold(), r.goldFiles()));
    b.append("MERGE 1 metrics: ").append(mergeSummary(r.firstMergeMetrics())).append('\n');
    b.append("MERGE 2 metrics: ").append(mergeSummary(r.secondMergeMetrics())).append('\n');
    b.append(String.format(Locale.ROOT, "peak heap used %d MiB, peak RSS %d MiB, load avg now %s%n",
        r.peakHeapBytes() >> 20, r.peakRssBytes() >> 20, Machine.loadAverage()));
    return b.toString();
  }

  private static String mergeSummary(Map<String, String> m) {
    StringBuilder b = new StringBuilder();
    for (String k : List.of("numSourceRows", "numTargetRowsInserted", "numTargetRowsUpdated",
        "numTargetRowsCopied", "numTargetFilesAdded", "numTargetFilesRemoved", "executionTimeMs",
        "scanTimeMs", "rewriteTimeMs")) {
      b.append(k).append('=').append(m.getOrDefault(k, "?")).append(' ');
    }
    return b.toString().trim();
  }

  /** Samples heap pools' peak usage (exact: the JVM tracks the peaks) and the process's RSS. */
  static final class PeakMemory {
    private PeakMemory() {}

    static PeakMemory start() {
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        pool.resetPeakUsage();
      }
      return new PeakMemory();
    }

    /**
     * The sum of the heap pools' peaks: an upper bound of the heap in use at any one time
     * (pools peak at different moments), which is what sizing a driver needs.
     */
    long peakHeap() {
      long sum = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP) {
          sum += pool.getPeakUsage().getUsed();
        }
      }
      return sum;
    }
  }
}
