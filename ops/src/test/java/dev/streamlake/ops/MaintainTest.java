package dev.streamlake.ops;

import static dev.streamlake.ops.PipelineLake.TODAY;
import static dev.streamlake.ops.PipelineLake.before;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.ConfigException;
import dev.streamlake.testing.TestSpark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The maintain command on tables written by the real stages 2 and 3. */
class MaintainTest {
  static final String KEEP_30_DAYS =
      "{\"rawRetention\": \"30d\", \"bronzeRetention\": \"30d\"}";

  final SparkSession spark = TestSpark.session();
  @TempDir Path lake;

  @BeforeAll
  static void fewListingTasks() {
    // VACUUM lists the table with Spark's partition-discovery parallelism (10,000 tasks by
    // default), which on local[2] takes minutes for a handful of files.
    TestSpark.session().conf().set(LISTING_PARALLELISM, "2");
  }

  static final String LISTING_PARALLELISM =
      "spark.sql.sources.parallelPartitionDiscovery.parallelism";

  private List<TableMaintenance.Report> maintain(PipelineLake p, StringBuilder printed,
      String... options) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<TableMaintenance.Report> reports;
    try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      reports = MaintainCommand.run(spark, MaintainCommand.fromArgs(p.args(options)),
          Clock.systemUTC(), ps);
    }
    printed.append(out.toString(StandardCharsets.UTF_8));
    System.out.print(out.toString(StandardCharsets.UTF_8));
    return reports;
  }

  private static TableMaintenance.Report report(List<TableMaintenance.Report> reports,
      String label) {
    return reports.stream().filter(r -> r.label().equals(label)).findFirst().orElseThrow();
  }

  @Test
  void retentionDeletesOldPartitionsAndStagesKeepRunningAfterwards() throws Exception {
    PipelineLake p = new PipelineLake(spark, lake, KEEP_30_DAYS);
    LocalDate old = TODAY.minusDays(40);
    LocalDate recent = TODAY.minusDays(2);
    p.appendRaw(old, 30, 5, 7);
    p.appendRaw(recent, 20, 5, 7);
    p.runStage2();
    p.runStage3();
    OpsSettings ops = p.ops();
    long oldBronze = p.count(ops.bronze(), before(TODAY.minusDays(30)));
    assertThat(oldBronze).isPositive();
    long goldRows = ops.gold().read(spark).count();

    StringBuilder printed = new StringBuilder();
    List<TableMaintenance.Report> reports = maintain(p, printed, "--skip-vacuum");

    LocalDate cutoff = TODAY.minusDays(30);
    assertThat(report(reports, "raw").rowsDeleted()).isEqualTo(30);
    assertThat(report(reports, "raw").deletedBefore()).isEqualTo(cutoff);
    assertThat(report(reports, "bronze").rowsDeleted()).isEqualTo(oldBronze);
    assertThat(p.count(ops.raw(), "true")).isEqualTo(20);
    assertThat(p.count(ops.raw(), before(cutoff))).isZero();
    assertThat(p.count(ops.bronze(), before(cutoff))).isZero();
    assertThat(ops.gold().read(spark).count()).as("gold is never trimmed").isEqualTo(goldRows);
    assertThat(printed.toString())
        .contains("raw " + ops.raw().name(), "retention: deleted 30 rows with ingest_date before "
            + cutoff);

    // Both stages read on over the deletes (ignoreDeletes) and take the new rows.
    long bronzeBefore = ops.bronze().read(spark).count();
    long deadBefore = ops.deadLetter().read(spark).count();
    p.appendRaw(TODAY, 14, 5, 7);
    p.runStage2();
    p.runStage3();
    assertThat(ops.bronze().read(spark).count() + ops.deadLetter().read(spark).count())
        .isEqualTo(bronzeBefore + deadBefore + 14);
    assertThat(p.count(ops.bronze(), "ingest_date = DATE'" + TODAY + "'")).isEqualTo(12);
  }

  @Test
  void retentionNeverDeletesRawRowsStage2HasNotRead() throws Exception {
    PipelineLake p = new PipelineLake(spark, lake,
        "{\"rawRetention\": \"30d\", \"bronzeRetention\": \"off\"}");
    OpsSettings ops = p.ops();
    p.appendRaw(TODAY.minusDays(40), 10, 3, 0);
    StringBuilder printed = new StringBuilder();

    // Stage 2 never ran: raw stays whole.
    List<TableMaintenance.Report> first =
        maintain(p, printed, "--tables", "raw", "--skip-optimize", "--skip-vacuum");
    assertThat(report(first, "raw").rowsDeleted()).isEqualTo(-1);
    assertThat(p.count(ops.raw(), "true")).isEqualTo(10);
    assertThat(printed.toString()).contains("retention skipped: stage 2 (deserialize)");

    p.runStage2();
    p.appendRaw(TODAY.minusDays(35), 10, 3, 0);
    p.appendRaw(TODAY, 5, 3, 0);
    List<TableMaintenance.Report> second =
        maintain(p, printed, "--tables", "raw", "--skip-optimize", "--skip-vacuum");

    // Only what stage 2 has read goes: the rows of 35 days ago are still unread.
    assertThat(report(second, "raw").deletedBefore()).isEqualTo(TODAY.minusDays(35));
    assertThat(report(second, "raw").rowsDeleted()).isEqualTo(10);
    assertThat(p.count(ops.raw(), "true")).isEqualTo(15);
    assertThat(printed.toString()).contains("has not yet read rows of ingest_date "
        + TODAY.minusDays(35));

    p.runStage2();
    assertThat(ops.bronze().read(spark).count()).as("every row reached bronze").isEqualTo(25);
  }

  @Test
  void optimizeCompactsAndVacuumDeletesTheReplacedFiles() throws Exception {
    PipelineLake p = new PipelineLake(spark, lake,
        "{\"vacuumRetention\": \"0h\", \"allowShortVacuumRetention\": true}");
    for (int i = 0; i < 4; i++) {
      p.appendRaw(TODAY, 10, 4, 0);
    }
    // One batch per raw file, so bronze gets four files too.
    p.runStage2("--raw-max-files-per-trigger", "1");
    p.runStage3();
    OpsSettings ops = p.ops();
    Path rawDir = Path.of(ops.raw().name());
    assertThat(parquetFiles(rawDir)).isEqualTo(4);
    long goldRows = ops.gold().read(spark).count();

    StringBuilder printed = new StringBuilder();
    List<TableMaintenance.Report> dry = maintain(p, printed, "--dry-run");
    assertThat(parquetFiles(rawDir)).as("a dry run changes nothing").isEqualTo(4);
    assertThat(report(dry, "raw").filesAddedByOptimize()).isEqualTo(-1);

    List<TableMaintenance.Report> reports = maintain(p, printed);
    assertThat(report(reports, "raw").filesRemovedByOptimize()).isEqualTo(4);
    assertThat(report(reports, "raw").filesAddedByOptimize()).isEqualTo(1);
    assertThat(report(reports, "raw").filesVacuumed()).isEqualTo(4);
    assertThat(parquetFiles(rawDir)).isEqualTo(1);
    assertThat(report(reports, "bronze").filesRemovedByOptimize()).isGreaterThan(1);
    assertThat(report(reports, "gold").notes()).contains("Z-ordered by sensor_id");
    assertThat(p.count(ops.raw(), "true")).isEqualTo(40);
    assertThat(p.count(ops.bronze(), "true")).isEqualTo(40);
    assertThat(ops.gold().read(spark).count()).isEqualTo(goldRows);
    assertThat(printed.toString()).contains("optimize: 4 files compacted into 1",
        "vacuum: 4 unreferenced files and empty folders deleted");
  }

  @Test
  void catalogTablesAreMaintainedLikePathTables() throws Exception {
    // Two-part names: Delta's table builder, which stage 3 creates gold with, takes no catalog
    // part in OSS Delta 4.0's session catalog.
    String schema = "maintain_" + Long.toHexString(System.nanoTime());
    spark.sql("CREATE SCHEMA IF NOT EXISTS " + schema);
    PipelineLake p = new PipelineLake(spark, lake, KEEP_30_DAYS,
        "--raw-table", schema + ".raw_sensor_readings",
        "--bronze-table", schema + ".bronze_sensor_readings",
        "--dead-letter-table", schema + ".dead_letter_sensor_readings",
        "--gold-table", schema + ".gold_sensor_readings");
    OpsSettings ops = p.ops();
    assertThat(ops.raw().isPath()).isFalse();
    p.appendRaw(TODAY.minusDays(31), 10, 3, 4);
    p.appendRaw(TODAY, 10, 3, 4);
    p.runStage2();
    p.runStage3();

    StringBuilder printed = new StringBuilder();
    List<TableMaintenance.Report> reports = maintain(p, printed);

    assertThat(reports).extracting(TableMaintenance.Report::label)
        .containsExactly("raw", "bronze", "dead_letter", "gold");
    assertThat(report(reports, "raw").rowsDeleted()).isEqualTo(10);
    assertThat(p.count(ops.raw(), "true")).isEqualTo(10);
    assertThat(p.count(ops.bronze(), before(TODAY.minusDays(30)))).isZero();
    assertThat(p.count(ops.deadLetter(), before(TODAY.minusDays(30))))
        .as("dead letters are kept for re-drive").isPositive();
    assertThat(printed.toString()).contains("raw " + schema + ".raw_sensor_readings");
  }

  @Test
  void aMissingTableOrABadOptionIsOneLineNamingIt() throws Exception {
    PipelineLake p = new PipelineLake(spark, lake, "{}");
    assertThatThrownBy(() -> maintain(p, new StringBuilder()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Table " + p.ops().raw().name() + " (raw) does not exist");
    assertThatThrownBy(() -> MaintainCommand.fromArgs(p.args("--tables", "raw,silver")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --tables: 'silver'. Allowed: raw, bronze, dead_letter,"
            + " gold.");
  }

  private static long parquetFiles(Path table) throws IOException {
    try (Stream<Path> files = Files.walk(table)) {
      return files.filter(f -> f.toString().endsWith(".parquet")
          && !f.toString().contains("_delta_log")).count();
    }
  }
}
