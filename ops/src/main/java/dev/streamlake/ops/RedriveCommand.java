package dev.streamlake.ops;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.CommonOptions;
import dev.streamlake.common.SparkSessions;
import dev.streamlake.common.StageMain;
import dev.streamlake.deserialize.Reclassifier;
import dev.streamlake.deserialize.SchemaRegistryOptions;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code redrive}: brings dead letters that decode and pass the rules now (a schema file was
 * added, a registry learned an id, a rule was fixed) into bronze, from where stage 3 takes them to
 * gold as usual. See {@link Redrive} for why it is safe to stop and run again.
 */
public final class RedriveCommand {
  private static final Logger LOG = LoggerFactory.getLogger(RedriveCommand.class);

  @Command(
      name = "redrive",
      mixinStandardHelpOptions = true,
      description = "Classify open dead letters again with the pipeline's current config, schema"
          + " files and registry; add the ones that are good now to bronze and mark them"
          + " re-driven in dead_letter. The others stay open, with their new reason. Every"
          + " criterion given must hold; without any, every open dead letter of stage 2 is"
          + " selected.")
  static final class Cli {
    @Mixin CommonOptions common;

    /** Classification depends on the registry as on the schema folder: stage 2's settings. */
    @Mixin SchemaRegistryOptions registry;

    @Option(
        names = "--code",
        paramLabel = "CODE[,CODE]",
        split = ",",
        description = "Only dead letters with one of these error codes, e.g. UNKNOWN_SCHEMA_ID.")
    List<String> codes;

    @Option(
        names = "--rule",
        paramLabel = "NAME[,NAME]",
        split = ",",
        description = "Only RULE_VIOLATION dead letters that broke one of these rules.")
    List<String> rules;

    @Option(
        names = "--since",
        paramLabel = "TIME",
        description = "Only dead letters that failed at or after this time: 2024-03-01T10:00:00Z,"
            + " or a UTC date-time or date (2024-03-01).")
    String since;

    @Option(
        names = "--until",
        paramLabel = "TIME",
        description = "Only dead letters that failed before this time (as --since).")
    String until;

    @Option(
        names = "--where",
        paramLabel = "SQL",
        description = "Only dead letters for which this SQL condition on dead_letter's columns"
            + " holds, e.g. \"partition = 3 AND error_message LIKE '%id 7%'\".")
    String where;

    @Option(
        names = "--dry-run",
        description = "Classify and count, but write nothing (not even the new dead_letter"
            + " columns).")
    boolean dryRun;

    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;
  }

  private RedriveCommand() {}

  public static void main(String[] args) throws Exception {
    StageMain.run(args, argv -> {
      Cli cli = new Cli();
      if (!CommandLines.parse(cli, argv)) {
        return;
      }
      RedriveReport report = run(cli, SparkSessions::getOrCreate);
      System.out.print(cli.json ? report.toJson() + System.lineSeparator() : report.toText());
    });
  }

  /** The session, once the settings are known to be good. */
  interface Sessions {
    SparkSession get(String appName);
  }

  /** Checks the settings, then re-drives; every bad setting is a ConfigException first. */
  static RedriveReport run(Cli cli, Sessions sessions) {
    return run(cli, sessions, UnaryOperator.identity());
  }

  /** {@code hook} is a test seam on the re-drive, e.g. to stop it between its two writes. */
  static RedriveReport run(Cli cli, Sessions sessions, UnaryOperator<Redrive> hook) {
    OpsSettings settings = OpsSettings.from(cli.common);
    RedriveSelection selection =
        RedriveSelection.of(cli.codes, cli.rules, cli.since, cli.until, cli.where);
    Map<String, String> described = settings.describe();
    described.putAll(selection.describe());
    described.put("dry-run", Boolean.toString(cli.dryRun));
    CommandLines.logEffectiveConfig(LOG, "redrive", described);
    SparkSession spark = sessions.get("streamlake-redrive");
    Reclassifier reclassifier = Reclassifier.of(spark, settings.pipeline(), cli.registry);
    return hook.apply(new Redrive(spark, settings, reclassifier, selection, cli.dryRun)).run();
  }
}
