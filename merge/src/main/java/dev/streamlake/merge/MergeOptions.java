package dev.streamlake.merge;

import static dev.streamlake.common.ConfigException.invalid;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.StageSettings;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/** The merge stage's own command-line settings (a picocli mixin). */
public final class MergeOptions {

  static final int DEFAULT_MAX_FILES_PER_TRIGGER = 1000;
  static final int DEFAULT_MAX_RETRIES = 5;
  static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofSeconds(1);
  static final int DEFAULT_MAX_PARTITION_LITERALS = 1000;

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m)");

  @Option(
      names = "--merge-max-files-per-trigger",
      paramLabel = "N",
      description = "Most bronze files one merge batch reads (Delta maxFilesPerTrigger). Default "
          + DEFAULT_MAX_FILES_PER_TRIGGER + ".")
  String maxFilesPerTrigger;

  @Option(
      names = "--merge-max-retries",
      paramLabel = "N",
      description = "Retries of a batch whose MERGE lost to a concurrent commit (0 = none)."
          + " Default " + DEFAULT_MAX_RETRIES + ".")
  String maxRetries;

  @Option(
      names = "--merge-retry-backoff",
      paramLabel = "DURATION",
      description = "First wait before a retry (500ms, 1s, 2m); doubles per retry, jittered,"
          + " capped at 1m. Default 1s.")
  String retryBackoff;

  @Option(
      names = "--merge-max-partition-literals",
      paramLabel = "N",
      description = "Most distinct partition values of one batch written into the MERGE"
          + " condition; above it the MERGE scans all of gold. Default "
          + DEFAULT_MAX_PARTITION_LITERALS + ".")
  String maxPartitionLiterals;

  /** Validates and freezes the settings. */
  public MergeConfig toConfig(StageSettings settings) {
    return new MergeConfig(
        settings,
        positive("--merge-max-files-per-trigger", maxFilesPerTrigger,
            DEFAULT_MAX_FILES_PER_TRIGGER, 1),
        positive("--merge-max-retries", maxRetries, DEFAULT_MAX_RETRIES, 0),
        duration("--merge-retry-backoff", retryBackoff, DEFAULT_RETRY_BACKOFF),
        positive("--merge-max-partition-literals", maxPartitionLiterals,
            DEFAULT_MAX_PARTITION_LITERALS, 1));
  }

  private static int positive(String setting, String value, int fallback, int min) {
    if (value == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= min) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid(setting, value, "a whole number >= " + min);
  }

  private static Duration duration(String setting, String value, Duration fallback) {
    if (value == null) {
      return fallback;
    }
    Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      try {
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          default -> Duration.ofMinutes(n);
        };
        if (d.compareTo(Duration.ofHours(1)) <= 0) {
          return d;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw invalid(setting, value, "a duration up to 1 hour such as 500ms, 1s or 2m");
  }

}
