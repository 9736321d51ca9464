package dev.streamlake.ops;

import static dev.streamlake.common.ConfigException.invalid;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.CommonOptions;
import dev.streamlake.common.ConfigException;
import dev.streamlake.common.Durations;
import dev.streamlake.common.PipelineConfig.MaintenanceSettings;
import dev.streamlake.common.SparkSessions;
import dev.streamlake.common.Stage;
import dev.streamlake.common.StageMain;
import dev.streamlake.common.TableRef;
import java.io.PrintStream;
import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code maintain}: compacts, trims and vacuums a pipeline's tables, safe to run while the three
 * stages run. Per table, in this order: OPTIMIZE (gold Z-ordered on its key), the retention
 * DELETE of raw and bronze partitions older than the pipeline's {@code maintenance} settings
 * (never past what the reading stage has processed), then VACUUM.
 */
public final class MaintainCommand {
  private static final Logger LOG = LoggerFactory.getLogger(MaintainCommand.class);

  /** The table groups {@code --tables} names; gold includes its companion tables. */
  static final List<String> TABLE_GROUPS = List.of("raw", "bronze", "dead_letter", "gold");

  /** Companions stage 3 keeps next to gold, by pipeline (deletes; scd2's current and points). */
  static final List<String> GOLD_COMPANIONS = List.of("deletes", "current", "points");

  private MaintainCommand() {}

  @Command(
      name = "maintain",
      mixinStandardHelpOptions = true,
      description = "Compacts (OPTIMIZE), trims (retention by ingest_date) and vacuums the"
          + " pipeline's tables, as its config's maintenance settings say. Safe while the"
          + " stages run.")
  static final class Cli {
    @Mixin CommonOptions common;

    @Option(names = "--tables", paramLabel = "TABLES", split = ",",
        description = "Which tables: raw, bronze, dead_letter, gold (with its companion tables)."
            + " Default all.")
    List<String> tables;

    @Option(names = "--skip-optimize", description = "No OPTIMIZE.")
    boolean skipOptimize;

    @Option(names = "--skip-vacuum", description = "No VACUUM.")
    boolean skipVacuum;

    @Option(names = "--skip-retention", description = "No retention DELETE of raw and bronze.")
    boolean skipRetention;

    @Option(names = "--dry-run",
        description = "Say what would be done; change nothing.")
    boolean dryRun;
  }

  /** What one run does, validated. */
  record Settings(OpsSettings ops, MaintenanceSettings maintenance, Set<String> tables,
      boolean optimize, boolean retention, boolean vacuum, boolean dryRun) {

    Map<String, String> describe() {
      Map<String, String> m = new TreeMap<>(ops.describe());
      m.put("tables", String.join(",", tables));
      m.put("optimize", Boolean.toString(optimize));
      m.put("retention", Boolean.toString(retention));
      m.put("vacuum", Boolean.toString(vacuum));
      m.put("dry-run", Boolean.toString(dryRun));
      m.put("raw-retention", days(maintenance.rawRetentionDays()));
      m.put("bronze-retention", days(maintenance.bronzeRetentionDays()));
      m.put("vacuum-retention", Durations.format(maintenance.vacuumRetention()));
      m.put("zorder", Boolean.toString(maintenance.zorder()));
      return m;
    }
  }

  static String days(Integer days) {
    return days == null ? "off" : days + "d";
  }

  public static void main(String[] args) throws Exception {
    StageMain.run(args, argv -> {
      Settings settings = fromArgs(argv);
      if (settings == null) {
        return;
      }
      CommandLines.logEffectiveConfig(LOG, "maintain", settings.describe());
      SparkSession spark = SparkSessions.getOrCreate("streamlake-maintain");
      run(spark, settings, Clock.systemUTC(), System.out);
    });
  }

  /**
   * The effective settings a command line gives, as the start-up log line shows them; null when
   * it only asks for --help. For checks of deploy files: a bad command line is a
   * {@link ConfigException}, as at start.
   */
  public static Map<String, String> effectiveSettings(String[] args) {
    Settings s = fromArgs(args);
    return s == null ? null : s.describe();
  }

  /** Parses the command line; null when only --help was asked for. */
  static Settings fromArgs(String[] args) {
    Cli cli = new Cli();
    if (!CommandLines.parse(cli, args)) {
      return null;
    }
    OpsSettings ops = OpsSettings.from(cli.common);
    Set<String> tables = new LinkedHashSet<>();
    if (cli.tables == null || cli.tables.isEmpty()) {
      tables.addAll(TABLE_GROUPS);
    } else {
      for (String t : cli.tables) {
        String name = t.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        if (!TABLE_GROUPS.contains(name)) {
          throw invalid("--tables", t, String.join(", ", TABLE_GROUPS));
        }
        tables.add(name);
      }
    }
    return new Settings(ops, ops.pipeline().maintenance(), tables, !cli.skipOptimize,
        !cli.skipRetention, !cli.skipVacuum, cli.dryRun);
  }

  /** Maintains every chosen table, printing what it did per table to {@code out}. */
  static List<TableMaintenance.Report> run(SparkSession spark, Settings settings, Clock clock,
      PrintStream out) {
    OpsSettings ops = settings.ops();
    List<TableMaintenance> work = new ArrayList<>();
    LocalDate today = LocalDate.now(clock);
    for (String group : settings.tables()) {
      switch (group) {
        case "raw" -> work.add(new TableMaintenance("raw", ops.raw(), List.of(),
            retention(settings.maintenance().rawRetentionDays(), today, Stage.DESERIALIZE,
                ops)));
        case "bronze" -> work.add(new TableMaintenance("bronze", ops.bronze(), List.of(),
            retention(settings.maintenance().bronzeRetentionDays(), today, Stage.MERGE, ops)));
        case "dead_letter" -> work.add(new TableMaintenance("dead_letter", ops.deadLetter(),
            List.of(), null));
        case "gold" -> {
          work.add(new TableMaintenance("gold", ops.gold(), zorderColumns(settings), null));
          for (String suffix : GOLD_COMPANIONS) {
            TableRef companion = ops.gold().companion(suffix);
            if (companion.exists(spark)) {
              work.add(new TableMaintenance("gold_" + suffix, companion, List.of(), null));
            }
          }
        }
        default -> throw new IllegalStateException(group);
      }
    }
    for (TableMaintenance t : work) {
      if (!t.table().exists(spark)) {
        throw new ConfigException("Table " + t.table() + " (" + t.label() + ") does not exist:"
            + " check --lake, --catalog/--schema and --" + t.label().replace('_', '-')
            + "-table, or leave it out with --tables.");
      }
    }
    out.println((settings.dryRun() ? "Dry run: nothing is changed. " : "")
        + "Maintaining pipeline " + ops.pipeline().name() + " (vacuum retention "
        + Durations.format(settings.maintenance().vacuumRetention()) + ")");
    List<TableMaintenance.Report> reports = new ArrayList<>();
    for (TableMaintenance t : work) {
      TableMaintenance.Report r = t.run(spark, settings);
      out.println(r.describe());
      out.flush();
      reports.add(r);
    }
    return reports;
  }

  /** Gold's key columns that are not its partition columns: what Z-ordering can sort on. */
  static List<String> zorderColumns(Settings settings) {
    if (!settings.maintenance().zorder()) {
      return List.of();
    }
    var gold = settings.ops().pipeline().gold();
    return gold.key().stream().filter(k -> !gold.partitionBy().contains(k)).toList();
  }

  private static TableMaintenance.Retention retention(Integer days, LocalDate today,
      Stage reader, OpsSettings ops) {
    if (days == null) {
      return null;
    }
    return new TableMaintenance.Retention(days, today.minusDays(days), reader,
        ops.checkpoint(reader));
  }
}
