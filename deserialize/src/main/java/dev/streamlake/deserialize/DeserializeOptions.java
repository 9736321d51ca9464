package dev.streamlake.deserialize;

import static dev.streamlake.common.ConfigException.invalid;

import dev.streamlake.common.Sizes;
import dev.streamlake.common.StageSettings;
import java.util.Locale;
import java.util.function.Function;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Stage 2's own command-line settings (a picocli mixin). */
public final class DeserializeOptions {

  @Option(
      names = "--raw-max-files-per-trigger",
      paramLabel = "N",
      description = "At most this many raw table files per micro-batch (Delta maxFilesPerTrigger;"
          + " Delta's default 1000).")
  Integer rawMaxFilesPerTrigger;

  @Option(
      names = "--raw-max-bytes-per-trigger",
      paramLabel = "SIZE",
      description = "Roughly this many bytes of raw table files per micro-batch, e.g. 512m or 2g"
          + " (Delta maxBytesPerTrigger). Default: 1g, so a large backlog is read in batches that"
          + " each commit.")
  String rawMaxBytesPerTrigger;

  /** Bounds a batch when the user set no byte limit (Delta's file limit alone is 1000 files). */
  static final String DEFAULT_RAW_MAX_BYTES_PER_TRIGGER = "1g";

  @Option(
      names = "--dead-letter-limit",
      paramLabel = "FRACTION|off",
      description = "Stop the stage when one batch's share of dead letters exceeds this fraction"
          + " in (0, 1], e.g. 0.5. 'off' disables the check. Overrides the pipeline's"
          + " deadLetterLimit.")
  String deadLetterLimit;

  @Mixin SchemaRegistryOptions schemaRegistry;

  public DeserializeConfig toConfig(StageSettings settings) {
    return toConfig(settings, System::getenv);
  }

  /** @param env environment variables by name, for checking that named secrets are there */
  DeserializeConfig toConfig(StageSettings settings, Function<String, String> env) {
    if (rawMaxFilesPerTrigger != null && rawMaxFilesPerTrigger <= 0) {
      throw invalid("--raw-max-files-per-trigger", rawMaxFilesPerTrigger, "a positive number");
    }
    String maxBytesSetting =
        rawMaxBytesPerTrigger != null ? rawMaxBytesPerTrigger : DEFAULT_RAW_MAX_BYTES_PER_TRIGGER;
    long bytes = Sizes.parse("--raw-max-bytes-per-trigger", maxBytesSetting,
        "a size such as 1048576, 512m or 2g");
    String maxBytes = Sizes.toSpark(maxBytesSetting);
    if (bytes <= 0) {
      throw invalid("--raw-max-bytes-per-trigger", maxBytesSetting, "a positive size");
    }
    Double limit = settings.pipeline().deadLetterLimit();
    if (deadLetterLimit != null) {
      limit = parseLimit(deadLetterLimit);
    }
    return new DeserializeConfig(
        settings, rawMaxFilesPerTrigger, maxBytes, limit,
        schemaRegistry.toSettings(settings.pipeline().schemas().registryUrl(), env));
  }

  private static Double parseLimit(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("off") || v.equals("none")) {
      return null;
    }
    double d;
    try {
      d = Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw invalid("--dead-letter-limit", value, "a fraction in (0, 1] such as 0.5, or off");
    }
    if (!(d > 0 && d <= 1)) {
      throw invalid("--dead-letter-limit", value, "a fraction in (0, 1] such as 0.5, or off");
    }
    return d;
  }
}
