package dev.streamlake.ops;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.CommonOptions;
import dev.streamlake.common.ConfigException;
import dev.streamlake.common.PassThroughArgs;
import dev.streamlake.common.SparkSessions;
import dev.streamlake.common.StageMain;
import java.io.PrintStream;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code audit}: are the tables right? Checks raw against Kafka's offsets, raw against bronze and
 * dead_letter up to what stage 2 has processed, and gold against bronze up to what stage 3 has
 * processed (see {@link Audit}). Exit status 0 clean, 1 violations, 2 bad settings.
 */
public final class AuditCommand {
  private static final Logger LOG = LoggerFactory.getLogger(AuditCommand.class);

  static final int DEFAULT_EXAMPLES = 10;
  /** The exit status of an audit that found violations. */
  static final int VIOLATIONS = 1;
  /** Set by the Databricks runtime, as common's SparkSessions and StageMain tell it. */


  @Command(
      name = "audit",
      mixinStandardHelpOptions = true,
      description = "Checks that every Kafka record is in raw once, that every raw row stage 2"
          + " processed is in exactly one of bronze and dead_letter, and that gold holds the"
          + " newest bronze row of every key stage 3 processed. Exit status 0: clean; 1:"
          + " violations; 2: bad settings. Kafka client options: --kafka.<option>=<value>.")
  static final class Cli {
    @Mixin CommonOptions common;

    @Option(names = "--bootstrap-servers", paramLabel = "H:P[,H:P]",
        description = "Kafka brokers to ask for each partition's earliest offset, to tell gaps"
            + " that aged out of Kafka before ingest from missing ones. Without it gaps are"
            + " reported unsplit.")
    String bootstrapServers;

    @Option(names = "--examples", paramLabel = "N",
        description = "Examples shown per kind of violation. Default " + DEFAULT_EXAMPLES + ".")
    Integer examples;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--since", paramLabel = "TIME",
        description = "Check only raw rows with ingested_at at or after TIME (UTC: 2026-11-30,"
            + " 2026-11-30T12:00, or an instant 2026-11-30T12:00:00Z); prunes raw's ingest_date"
            + " partitions.")
    String since;

    @Option(names = "--until", paramLabel = "TIME",
        description = "Check only raw rows with ingested_at before TIME (as --since).")
    String until;

    @Option(names = "--from-version", paramLabel = "N",
        description = "Check only raw rows written by raw table versions N and later.")
    Long fromVersion;

    @Option(names = "--to-version", paramLabel = "N",
        description = "Check only raw rows written by raw table versions up to N.")
    Long toVersion;
  }

  /** The validated command line. Times are UTC instants; a bound not given is null. */
  record AuditSettings(OpsSettings ops, String bootstrapServers, Map<String, String> kafkaOptions,
      int examples, boolean json, Instant since, Instant until, Long fromVersion,
      Long toVersion) {

    boolean timeBounded() {
      return since != null || until != null;
    }

    boolean versionBounded() {
      return fromVersion != null || toVersion != null;
    }

    Map<String, String> describe() {
      Map<String, String> m = new TreeMap<>(ops.describe());
      m.put("bootstrap-servers", bootstrapServers == null ? "(none)" : bootstrapServers);
      m.put("examples", Integer.toString(examples));
      m.put("json", Boolean.toString(json));
      m.put("since", since == null ? "(none)" : since.toString());
      m.put("until", until == null ? "(none)" : until.toString());
      m.put("from-version", fromVersion == null ? "(none)" : fromVersion.toString());
      m.put("to-version", toVersion == null ? "(none)" : toVersion.toString());
      m.putAll(kafkaOptions);
      return m;
    }
  }

  private AuditCommand() {}

  public static void main(String[] args) throws Exception {
    StageMain.run(args, argv -> {
      AuditSettings settings = parse(argv);
      if (settings == null) {
        return;
      }
      SparkSession spark = SparkSessions.getOrCreate("streamlake-audit");
      AuditReport report = run(spark, settings, System.out);
      if (exitStatus(report) != 0) {
        if (SparkSessions.onDatabricks()) {
          // A JAR task must not call System.exit: the task fails with the verdict instead.
          throw new IllegalStateException(report.verdict());
        }
        System.out.flush();
        System.exit(VIOLATIONS);
      }
    });
  }

  /** 0 for a clean audit, {@value #VIOLATIONS} for one that found any violation. */
  static int exitStatus(AuditReport report) {
    return report.clean() ? 0 : VIOLATIONS;
  }

  /** Parses and validates; null when only --help or --version was asked for. */
  static AuditSettings parse(String[] args) {
    PassThroughArgs split = PassThroughArgs.split(args, KafkaAccess.KAFKA_PREFIX);
    Cli cli = new Cli();
    if (!CommandLines.parse(cli, split.rest())) {
      return null;
    }
    OpsSettings ops = OpsSettings.from(cli.common);
    KafkaAccess kafka = KafkaAccess.of(cli.bootstrapServers, split.options());
    int examples = cli.examples == null ? DEFAULT_EXAMPLES : cli.examples;
    if (examples < 0) {
      throw ConfigException.invalid("--examples", cli.examples, "a whole number >= 0");
    }
    Instant since = time("--since", cli.since);
    Instant until = time("--until", cli.until);
    if (since != null && until != null && !since.isBefore(until)) {
      throw new ConfigException("Invalid bounds: --since (" + since + ") must be before --until ("
          + until + ").");
    }
    Long from = version("--from-version", cli.fromVersion);
    Long to = version("--to-version", cli.toVersion);
    if (from != null && to != null && from > to) {
      throw new ConfigException("Invalid bounds: --from-version (" + from + ") must not be above"
          + " --to-version (" + to + ").");
    }
    return new AuditSettings(ops, kafka == null ? null : kafka.bootstrapServers(),
        kafka == null ? Map.of() : kafka.options(), examples, cli.json, since, until,
        from, to);
  }

  /** Runs the audit and prints its report; the caller decides the exit status. */
  static AuditReport run(SparkSession spark, AuditSettings settings, PrintStream out)
      throws Exception {
    CommandLines.logEffectiveConfig(LOG, "audit", settings.describe());
    AuditReport report = new Audit(spark, settings).run();
    out.println(settings.json() ? report.json() : report.text());
    out.flush();
    return report;
  }

  private static Long version(String setting, Long value) {
    if (value != null && value < 0) {
      throw ConfigException.invalid(setting, value, "a raw table version, a whole number >= 0");
    }
    return value;
  }

  /** A date is its start of day, a date-time without zone is UTC, an instant is itself. */
  static Instant time(String setting, String value) {
    if (value == null) {
      return null;
    }
    String v = value.trim();
    try {
      if (v.length() == 10) {
        return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
      }
      if (v.endsWith("Z") || v.matches(".*[+-]\\d\\d:\\d\\d$")) {
        return java.time.OffsetDateTime.parse(v).toInstant();
      }
      return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw ConfigException.invalid(setting, value, "a UTC date 2026-11-30, a date-time"
          + " 2026-11-30T12:00 (UTC) or an instant 2026-11-30T12:00:00Z");
    }
  }
}
