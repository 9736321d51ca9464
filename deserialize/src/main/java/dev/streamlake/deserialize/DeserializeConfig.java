package dev.streamlake.deserialize;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.CommonOptions;
import dev.streamlake.common.PipelineConfig.NamedExpression;
import dev.streamlake.common.Stage;
import dev.streamlake.common.StageSettings;
import dev.streamlake.common.TriggerSpec;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * Stage 2's validated settings. {@code deadLetterLimit} and {@code schemaRegistry} are the
 * effective values (command line over pipeline config); null means off / none.
 */
public record DeserializeConfig(
    StageSettings settings,
    Integer rawMaxFilesPerTrigger,
    String rawMaxBytesPerTrigger,
    Double deadLetterLimit,
    SchemaRegistrySettings schemaRegistry) {

  static final TriggerSpec DEFAULT_TRIGGER = TriggerSpec.processingTime(Duration.ofMinutes(1));

  @Command(
      name = "deserialize",
      mixinStandardHelpOptions = true,
      description = "Stage 2: decode and validate the raw table into bronze and dead_letter.")
  static final class Cli {
    @Mixin CommonOptions common;
    @Mixin DeserializeOptions options;
  }

  /** The config from a command line; null when only --help was asked for. */
  public static DeserializeConfig fromArgs(String[] args) {
    return fromArgs(args, System::getenv);
  }

  /** @param env environment variables by name, where named secrets are checked */
  static DeserializeConfig fromArgs(String[] args, Function<String, String> env) {
    Cli cli = new Cli();
    if (!CommandLines.parse(cli, args)) {
      return null;
    }
    return cli.options.toConfig(
        cli.common.toSettings(Stage.DESERIALIZE, DEFAULT_TRIGGER), env);
  }

  /** The config from parsed options (also used by the all-in-one launcher). */
  public static DeserializeConfig from(CommonOptions common, DeserializeOptions options) {
    return options.toConfig(common.toSettings(Stage.DESERIALIZE, DEFAULT_TRIGGER));
  }

  List<NamedExpression> rules() {
    return settings.pipeline().rules();
  }

  DecoderSettings decoderSettings() {
    return DecoderSettings.withRegistry(settings.pipeline(), schemaRegistry);
  }

  /** Delta streaming source options for reading raw. */
  Map<String, String> sourceOptions() {
    Map<String, String> o = new LinkedHashMap<>();
    // Retention deletes whole ingest_date partitions of raw; they must not stop the stream.
    o.put("ignoreDeletes", "true");
    if (rawMaxFilesPerTrigger != null) {
      o.put("maxFilesPerTrigger", rawMaxFilesPerTrigger.toString());
    }
    if (rawMaxBytesPerTrigger != null) {
      o.put("maxBytesPerTrigger", rawMaxBytesPerTrigger);
    }
    return o;
  }

  public Map<String, String> describe() {
    Map<String, String> m = settings.describe();
    m.put("dead-letter-limit", deadLetterLimit == null ? "off" : deadLetterLimit.toString());
    if (schemaRegistry == null) {
      m.put("schema-registry-url", "none");
    } else {
      m.putAll(schemaRegistry.describe());
    }
    m.put("schema-directory", settings.pipeline().schemas().directory());
    m.put("reader-schema-id", String.valueOf(settings.pipeline().schemas().readerId()));
    m.put("max-payload-bytes", String.valueOf(settings.pipeline().maxPayloadBytes()));
    m.put("raw-max-files-per-trigger",
        rawMaxFilesPerTrigger == null ? "default" : rawMaxFilesPerTrigger.toString());
    m.put("raw-max-bytes-per-trigger",
        rawMaxBytesPerTrigger == null ? "none" : rawMaxBytesPerTrigger);
    m.put("rules", rules().stream().map(NamedExpression::name).collect(Collectors.joining(",")));
    return m;
  }
}
