package dev.streamlake.ingest;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.Durations;
import dev.streamlake.common.StageSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;
import picocli.CommandLine.Option;

/** Stage 1's own command-line settings: where to read Kafka and how. */
public final class RawIngestOptions {

  /** How long stage 1 waits at start for its topics when {@code --wait-for-topic} is not given. */
  static final Duration DEFAULT_WAIT_FOR_TOPIC = Duration.ofMinutes(5);

  /** Options Spark's Kafka source owns; setting them through pass-through breaks exactly-once. */
  static final Set<String> SPARK_MANAGED_KAFKA_OPTIONS =
      Set.of(
          "kafka.bootstrap.servers",
          "kafka.auto.offset.reset",
          "kafka.enable.auto.commit",
          "kafka.key.deserializer",
          "kafka.value.deserializer",
          "kafka.interceptor.classes",
          "kafka.key.serializer",
          "kafka.value.serializer");

  private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9_.\\-\\[\\]:]+:(\\d{1,5})");

  @Option(
      names = "--bootstrap-servers",
      paramLabel = "H:P[,H:P]",
      description = "Kafka bootstrap servers (required for raw-ingest)")
  String bootstrapServers;

  @Option(
      names = "--topic",
      paramLabel = "NAME",
      description = "Kafka topic(s) to read, comma-separated. Default: the pipeline's topic.")
  String topic;

  @Option(
      names = "--topic-pattern",
      paramLabel = "REGEX",
      description = "Read every topic matching this Java regex instead of --topic")
  String topicPattern;

  @Option(
      names = "--starting-offsets",
      paramLabel = "earliest|latest|JSON",
      description = "Where a new checkpoint starts. Default: earliest. Ignored once the checkpoint exists.")
  String startingOffsets;

  @Option(
      names = "--max-offsets-per-trigger",
      paramLabel = "N",
      description = "Cap on records per micro-batch. Default: no cap.")
  Long maxOffsetsPerTrigger;

  @Option(
      names = "--fail-on-data-loss",
      paramLabel = "true|false",
      arity = "1",
      description = "Stop when offsets were deleted before they were read. Default: true.")
  Boolean failOnDataLoss;

  @Option(
      names = "--wait-for-topic",
      paramLabel = "DURATION|forever",
      description = "At start, how long to wait for the topic (or a topic matching the pattern) to"
          + " exist, checking with a backoff of up to 30s; then stop with one message."
          + " 0s checks once. Default: 5m.")
  String waitForTopic;

  /**
   * {@code kafkaOptions}: the {@code --kafka.<client option>=<value>} settings, split off the
   * command line before parsing ({@link dev.streamlake.common.PassThroughArgs}) and passed to the
   * Kafka consumer unchanged.
   */
  RawIngestConfig toConfig(StageSettings settings, Map<String, String> kafkaOptions) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new ConfigException(
          "Missing required setting --bootstrap-servers: the Kafka brokers to read from"
              + " (for example --bootstrap-servers broker1:9092,broker2:9092).");
    }
    List<String> servers = new ArrayList<>();
    for (String s : bootstrapServers.split(",")) {
      String server = s.trim();
      var m = HOST_PORT.matcher(server);
      if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(1)) > 65535) {
        throw new ConfigException(
            "Invalid value for --bootstrap-servers: '" + bootstrapServers + "'. Allowed: a"
                + " comma-separated list of host:port with a port from 1 to 65535; '" + server
                + "' is not one.");
      }
      servers.add(server);
    }
    if (topic != null && topicPattern != null) {
      throw new ConfigException(
          "Settings --topic ('" + topic + "') and --topic-pattern ('" + topicPattern
              + "') exclude each other: give one.");
    }
    Subscription subscription;
    if (topicPattern != null) {
      try {
        Pattern.compile(topicPattern);
      } catch (PatternSyntaxException e) {
        throw new ConfigException("Invalid value for --topic-pattern: '" + topicPattern
            + "'. Allowed: a Java regular expression; " + e.getDescription() + ".");
      }
      subscription = new Subscription("subscribePattern", topicPattern);
    } else {
      String topics = topic == null ? settings.pipeline().topic() : topic.trim();
      if (topics.isEmpty() || List.of(topics.split(",")).stream().anyMatch(t -> t.isBlank())) {
        throw new ConfigException("Invalid value for --topic: '" + topic
            + "'. Allowed: one or more topic names, comma-separated.");
      }
      subscription = new Subscription("subscribe", topics);
    }
    String starting = startingOffsets == null ? "earliest" : startingOffsets.trim();
    if (!starting.equals("earliest") && !starting.equals("latest") && !starting.startsWith("{")) {
      throw new ConfigException("Invalid value for --starting-offsets: '" + startingOffsets
          + "'. Allowed: earliest, latest, or Spark's per-partition JSON such as"
          + " {\"topic\":{\"0\":23,\"1\":-2}}.");
    }
    if (maxOffsetsPerTrigger != null && maxOffsetsPerTrigger <= 0) {
      throw new ConfigException("Invalid value for --max-offsets-per-trigger: '"
          + maxOffsetsPerTrigger + "'. Allowed: a positive number of records.");
    }
    return new RawIngestConfig(
        settings,
        String.join(",", servers),
        subscription,
        starting,
        maxOffsetsPerTrigger,
        failOnDataLoss == null || failOnDataLoss,
        topicWait(waitForTopic),
        checkKafkaOptions(kafkaOptions));
  }

  static TopicWait topicWait(String value) {
    if (value == null) {
      return new TopicWait(DEFAULT_WAIT_FOR_TOPIC);
    }
    if (value.trim().equalsIgnoreCase("forever")) {
      return TopicWait.FOREVER;
    }
    Duration d = Durations.parse(value);
    if (d == null) {
      throw new ConfigException("Invalid value for --wait-for-topic: '" + value + "'. Allowed: a"
          + " duration such as 0s, 30s, 5m or 1h, or forever.");
    }
    return new TopicWait(d);
  }

  /** Refuses pass-through options that Spark's Kafka source must own. */
  static Map<String, String> checkKafkaOptions(Map<String, String> options) {
    for (String key : options.keySet()) {
      if (SPARK_MANAGED_KAFKA_OPTIONS.contains(key.toLowerCase(Locale.ROOT))) {
        throw new ConfigException("Kafka option --" + key + " cannot be passed through: "
            + (key.equalsIgnoreCase("kafka.bootstrap.servers")
                ? "use --bootstrap-servers."
                : "Spark's Kafka source manages it to keep offsets exactly-once."));
      }
    }
    return options;
  }

  /** How the source names its topics: Spark's {@code subscribe} or {@code subscribePattern}. */
  record Subscription(String option, String value) {

    boolean isPattern() {
      return option.equals("subscribePattern");
    }

    /** The topics of {@code subscribe}, split and trimmed as Spark's Kafka source does. */
    List<String> topics() {
      return Arrays.stream(value.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
    }

    /**
     * True when a pattern subscription would read at least one of {@code topics}: a whole-name
     * match, as Spark's Kafka source matches.
     */
    boolean matchesAny(Set<String> topics) {
      Pattern p = Pattern.compile(value);
      return topics.stream().anyMatch(t -> p.matcher(t).matches());
    }

    /** {@code topic 'a'}, {@code topics 'a', 'b'} or {@code a topic matching --topic-pattern 'x'}. */
    String describe() {
      if (isPattern()) {
        return "a topic matching --topic-pattern '" + value + "'";
      }
      List<String> topics = topics();
      return (topics.size() == 1 ? "topic " : "topics ") + quoted(topics);
    }

    static String quoted(List<String> names) {
      return names.stream().map(n -> "'" + n + "'").collect(Collectors.joining(", "));
    }
  }
}
