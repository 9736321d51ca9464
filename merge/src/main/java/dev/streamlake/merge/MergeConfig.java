package dev.streamlake.merge;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.CommonOptions;
import dev.streamlake.common.Stage;
import dev.streamlake.common.StageSettings;
import dev.streamlake.common.TriggerSpec;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Everything the merge stage runs with; immutable and validated. */
public record MergeConfig(
    StageSettings settings,
    int maxFilesPerTrigger,
    int maxRetries,
    Duration retryBackoff,
    int maxPartitionLiterals) {

  /** As in the design notes: gold is refreshed every 15 minutes. */
  public static final TriggerSpec DEFAULT_TRIGGER = TriggerSpec.processingTime(Duration.ofMinutes(15));

  @Command(
      name = "merge",
      mixinStandardHelpOptions = true,
      description = "Stage 3: merges bronze into gold (latest state per key) with Delta MERGE.")
  static final class Cli {
    @Mixin CommonOptions common;
    @Mixin MergeOptions options;
  }

  /** Parses the command line; null when only --help was asked for. */
  public static MergeConfig fromArgs(String[] args) {
    Cli cli = new Cli();
    if (!CommandLines.parse(cli, args)) {
      return null;
    }
    return from(cli.common, cli.options);
  }

  /** The config from parsed options (also used by the all-in-one launcher). */
  public static MergeConfig from(CommonOptions common, MergeOptions options) {
    return options.toConfig(common.toSettings(Stage.MERGE, DEFAULT_TRIGGER));
  }

  public Map<String, String> describe() {
    Map<String, String> m = new TreeMap<>(settings.describe());
    m.put("merge-max-files-per-trigger", Integer.toString(maxFilesPerTrigger));
    m.put("merge-max-retries", Integer.toString(maxRetries));
    m.put("merge-retry-backoff", retryBackoff.toMillis() + "ms");
    m.put("merge-max-partition-literals", Integer.toString(maxPartitionLiterals));
    return m;
  }
}
