package dev.streamlake.merge;

import static dev.streamlake.common.ConfigException.invalid;

import dev.streamlake.common.Durations;
import dev.streamlake.common.StageSettings;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The merge stage's own command-line settings (a picocli mixin). */
public final class MergeOptions {

  static final int DEFAULT_MAX_FILES_PER_TRIGGER = 1000;
  static final int DEFAULT_MAX_RETRIES = 5;
  static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofSeconds(1);
  static final int DEFAULT_MAX_PARTITION_LITERALS = 1000;

  /** A first wait longer than an hour is a typo, not a setting. */
  static final Duration MAX_RETRY_BACKOFF = Duration.ofHours(1);

  @Option(
      names = "--merge-max-files-per-trigger",
      paramLabel = "N",
      description = "Most bronze files one merge batch reads (Delta maxFilesPerTrigger). Default "
          + DEFAULT_MAX_FILES_PER_TRIGGER + ".")
  Integer maxFilesPerTrigger;

  @Option(
      names = "--merge-max-retries",
      paramLabel = "N",
      description = "Retries of a batch whose MERGE lost to a concurrent commit (0 = none)."
          + " Default " + DEFAULT_MAX_RETRIES + ".")
  Integer maxRetries;

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
  Integer maxPartitionLiterals;

  /** Validates and freezes the settings. */
  public MergeConfig toConfig(StageSettings settings) {
    return new MergeConfig(
        settings,
        atLeast("--merge-max-files-per-trigger", maxFilesPerTrigger,
            DEFAULT_MAX_FILES_PER_TRIGGER, 1),
        atLeast("--merge-max-retries", maxRetries, DEFAULT_MAX_RETRIES, 0),
        retryBackoff(),
        atLeast("--merge-max-partition-literals", maxPartitionLiterals,
            DEFAULT_MAX_PARTITION_LITERALS, 1));
  }

  private static int atLeast(String setting, Integer value, int fallback, int min) {
    if (value == null) {
      return fallback;
    }
    if (value < min) {
      throw invalid(setting, value, "a whole number >= " + min);
    }
    return value;
  }

  private Duration retryBackoff() {
    String allowed = "a duration up to 1 hour such as 500ms, 1s or 2m";
    Duration d = Durations.parse("--merge-retry-backoff", retryBackoff, DEFAULT_RETRY_BACKOFF,
        allowed);
    if (d.compareTo(MAX_RETRY_BACKOFF) > 0) {
      throw invalid("--merge-retry-backoff", retryBackoff, allowed);
    }
    return d;
  }
}
