package dev.streamlake.ingest;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.CommonOptions;
import dev.streamlake.common.PassThroughArgs;
import dev.streamlake.common.Stage;
import dev.streamlake.common.StageSettings;
import dev.streamlake.common.TriggerSpec;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Stage 1's validated, immutable settings. */
public record RawIngestConfig(
    StageSettings settings,
    String bootstrapServers,
    RawIngestOptions.Subscription subscription,
    String startingOffsets,
    Long maxOffsetsPerTrigger,
    boolean failOnDataLoss,
    TopicWait waitForTopic,
    Map<String, String> sourceOptions,
    Map<String, String> kafkaOptions) {

  /**
   * Kafka client options pass through as {@code --kafka.<option>=<value>}. {@code sourceOptions}
   * are the other Spark Kafka source options the stage lets users set, by Spark's names.
   */
  public static final String KAFKA_PREFIX = "kafka.";

  static final TriggerSpec DEFAULT_TRIGGER = TriggerSpec.processingTime(Duration.ofSeconds(30));

  public RawIngestConfig {
    // Insertion order kept: the effective-config line and the source see them as given.
    sourceOptions = Collections.unmodifiableMap(new LinkedHashMap<>(sourceOptions));
    kafkaOptions = Map.copyOf(kafkaOptions);
  }

  @Command(
      name = "raw-ingest",
      mixinStandardHelpOptions = true,
      description = "Stage 1: Kafka -> raw Delta table. Moves bytes and offsets, nothing else.")
  static final class Cli {
    @Mixin CommonOptions common;
    @Mixin RawIngestOptions options;
  }

  /** The config from a command line, or null when only --help was asked for. */
  public static RawIngestConfig fromArgs(String[] args) {
    return fromArgs(args, KafkaSparkConf.current());
  }

  /** The config from a command line over the given Spark configuration entries. */
  static RawIngestConfig fromArgs(String[] args, Map<String, String> sparkConf) {
    PassThroughArgs split = PassThroughArgs.split(args, KAFKA_PREFIX);
    Cli cli = new Cli();
    if (!CommandLines.parse(cli, split.rest())) {
      return null;
    }
    return options(cli.common, cli.options, KafkaSparkConf.merge(split.options(), sparkConf));
  }

  /**
   * The config from parsed options and the {@code --kafka.*} options split off before, over the
   * Kafka options of Spark's configuration ({@code spark.streamlake.kafka.*}).
   */
  public static RawIngestConfig from(
      CommonOptions common, RawIngestOptions options, Map<String, String> kafkaOptions) {
    return options(common, options, KafkaSparkConf.merge(kafkaOptions, KafkaSparkConf.current()));
  }

  private static RawIngestConfig options(
      CommonOptions common, RawIngestOptions options, Map<String, String> kafkaOptions) {
    return options.toConfig(common.toSettings(Stage.RAW_INGEST, DEFAULT_TRIGGER), kafkaOptions);
  }

  /**
   * A record prints its fields, and {@code kafkaOptions} holds credentials: this prints the
   * effective configuration instead, secrets masked.
   */
  @Override
  public String toString() {
    return "RawIngestConfig[" + CommandLines.effectiveConfig(describe()) + "]";
  }

  public Map<String, String> describe() {
    Map<String, String> m = new TreeMap<>(settings.describe());
    m.put("bootstrap-servers", bootstrapServers);
    m.put(subscription.option().equals("subscribe") ? "topic" : "topic-pattern",
        subscription.value());
    m.put("starting-offsets", startingOffsets);
    m.put("max-offsets-per-trigger", maxOffsetsPerTrigger == null ? "none" : maxOffsetsPerTrigger.toString());
    m.put("fail-on-data-loss", Boolean.toString(failOnDataLoss));
    m.put("wait-for-topic", waitForTopic.toString());
    sourceOptions.forEach(m::put);
    kafkaOptions.forEach((k, v) -> m.put(k, v));
    return m;
  }
}
