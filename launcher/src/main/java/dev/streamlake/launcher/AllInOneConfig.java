package dev.streamlake.launcher;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.CommonOptions;
import dev.streamlake.common.PassThroughArgs;
import dev.streamlake.deserialize.DeserializeConfig;
import dev.streamlake.deserialize.DeserializeOptions;
import dev.streamlake.ingest.RawIngestConfig;
import dev.streamlake.ingest.RawIngestOptions;
import dev.streamlake.merge.MergeConfig;
import dev.streamlake.merge.MergeOptions;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The settings of all three stages from one command line: the common settings once, each stage's
 * own settings under their own names. Each stage's config is built exactly as its own job builds
 * it, so a command line means the same in every deployment shape.
 */
public record AllInOneConfig(
    RawIngestConfig rawIngest, DeserializeConfig deserialize, MergeConfig merge) {

  @Command(
      name = "all-in-one",
      mixinStandardHelpOptions = true,
      description = "All three stages in one driver; when any query fails, all stop (fail fast).")
  static final class Cli {
    @Mixin CommonOptions common;
    @Mixin RawIngestOptions rawIngest;
    @Mixin DeserializeOptions deserialize;
    @Mixin MergeOptions merge;
  }

  /** The config from a command line, or null when only --help was asked for. */
  public static AllInOneConfig fromArgs(String[] args) {
    PassThroughArgs split = PassThroughArgs.split(args, RawIngestConfig.KAFKA_PREFIX);
    Cli cli = new Cli();
    if (!CommandLines.parse(cli, split.rest())) {
      return null;
    }
    return new AllInOneConfig(
        RawIngestConfig.from(cli.common, cli.rawIngest, split.options()),
        DeserializeConfig.from(cli.common, cli.deserialize),
        MergeConfig.from(cli.common, cli.merge));
  }

  /** True when every stage runs once over what is there (backfill): stages then run in order. */
  public boolean runsOnce() {
    return rawIngest.settings().trigger().isAvailableNow()
        && deserialize.settings().trigger().isAvailableNow()
        && merge.settings().trigger().isAvailableNow();
  }

  /** The effective configuration, secrets masked: a record would print every field as it is. */
  @Override
  public String toString() {
    return "AllInOneConfig[" + CommandLines.effectiveConfig(describe()) + "]";
  }

  public Map<String, String> describe() {
    Map<String, String> m = new TreeMap<>();
    rawIngest.describe().forEach((k, v) -> m.put("raw-ingest." + k, v));
    deserialize.describe().forEach((k, v) -> m.put("deserialize." + k, v));
    merge.describe().forEach((k, v) -> m.put("merge." + k, v));
    return m;
  }
}
