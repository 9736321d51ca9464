package dev.streamlake.ingest;

import static dev.streamlake.common.ConfigException.invalid;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.Durations;
import dev.streamlake.common.StageSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
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

  /** Databricks' source option naming a Unity Catalog service credential for Kafka. */
  static final String SERVICE_CREDENTIAL = "databricks.serviceCredential";

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
      description = "Cap on records per micro-batch. Default: 10000000 (or"
          + " --min-offsets-per-trigger when that is larger), so a large backlog is read in"
          + " batches that each commit.")
  Long maxOffsetsPerTrigger;

  /**
   * Bounds a batch when the user set no bound: without one, a backlog of days is one batch whose
   * work is lost whole if it fails, and raw sees no commit until it ends.
   */
  static final long DEFAULT_MAX_OFFSETS_PER_TRIGGER = 10_000_000L;

  @Option(
      names = "--min-partitions",
      paramLabel = "N",
      description = "Spark's minPartitions: read each batch with at least N Spark tasks, splitting"
          + " large Kafka partitions. Default: one task per Kafka partition.")
  Integer minPartitions;

  @Option(
      names = "--min-offsets-per-trigger",
      paramLabel = "N",
      description = "Spark's minOffsetsPerTrigger: wait for at least N new records before a"
          + " batch (at most --max-trigger-delay). Default: no minimum.")
  Long minOffsetsPerTrigger;

  @Option(
      names = "--max-trigger-delay",
      paramLabel = "DURATION",
      description = "Spark's maxTriggerDelay: the longest a batch waits for"
          + " --min-offsets-per-trigger records (e.g. 5m). Spark's default: 15m.")
  String maxTriggerDelay;

  @Option(
      names = "--group-id-prefix",
      paramLabel = "PREFIX",
      description = "Spark's groupIdPrefix: prefix of the consumer group ids Spark generates, for"
          + " brokers whose ACLs allow only some group names. Default: spark-kafka-source.")
  String groupIdPrefix;

  @Option(
      names = "--service-credential",
      paramLabel = "NAME",
      description = "Databricks only (Runtime 16.1+): databricks.serviceCredential, the Unity"
          + " Catalog service credential that signs in to managed Kafka (Amazon MSK IAM, Azure"
          + " Event Hubs) instead of --kafka.sasl.jaas.config.")
  String serviceCredential;

  @Option(
      names = "--service-credential-scope",
      paramLabel = "SCOPE",
      description = "Databricks only: databricks.serviceCredential.scope, when Databricks cannot"
          + " infer the OAuth scope of the Kafka service from the brokers.")
  String serviceCredentialScope;

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
        throw invalid("--bootstrap-servers", bootstrapServers, "a comma-separated list of"
            + " host:port with a port from 1 to 65535; '" + server + "' is not one");
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
        throw invalid("--topic-pattern", topicPattern,
            "a Java regular expression; " + e.getDescription());
      }
      subscription = new Subscription("subscribePattern", topicPattern);
    } else {
      String topics = topic == null ? settings.pipeline().topic() : topic.trim();
      if (topics.isEmpty() || List.of(topics.split(",")).stream().anyMatch(t -> t.isBlank())) {
        throw invalid("--topic", topic, "one or more topic names, comma-separated");
      }
      subscription = new Subscription("subscribe", topics);
    }
    String starting = startingOffsets == null ? "earliest" : startingOffsets.trim();
    if (!starting.equals("earliest") && !starting.equals("latest") && !starting.startsWith("{")) {
      throw invalid("--starting-offsets", startingOffsets, "earliest, latest, or Spark's"
          + " per-partition JSON such as {\"topic\":{\"0\":23,\"1\":-2}}");
    }
    if (maxOffsetsPerTrigger != null && maxOffsetsPerTrigger <= 0) {
      throw invalid("--max-offsets-per-trigger", maxOffsetsPerTrigger,
          "a positive number of records");
    }
    long maxOffsets = maxOffsetsPerTrigger != null ? maxOffsetsPerTrigger
        : Math.max(DEFAULT_MAX_OFFSETS_PER_TRIGGER,
            minOffsetsPerTrigger == null ? 0 : minOffsetsPerTrigger);
    return new RawIngestConfig(
        settings,
        String.join(",", servers),
        subscription,
        starting,
        maxOffsets,
        failOnDataLoss == null || failOnDataLoss,
        topicWait(waitForTopic),
        sourceOptions(kafkaOptions),
        checkKafkaOptions(kafkaOptions));
  }

  static TopicWait topicWait(String value) {
    if (value == null) {
      return new TopicWait(DEFAULT_WAIT_FOR_TOPIC);
    }
    if (value.trim().equalsIgnoreCase("forever")) {
      return TopicWait.FOREVER;
    }
    return new TopicWait(Durations.parse("--wait-for-topic", value, null,
        "a duration such as 0s, 30s, 5m or 1h, or forever"));
  }

  /**
   * The Spark Kafka source options set by the flags above, by Spark's names, checked. Only options
   * that cannot break what stage 1 promises have flags: the subscription, the starting offsets,
   * {@code failOnDataLoss}, {@code maxOffsetsPerTrigger} and {@code includeHeaders} (always on,
   * since raw keeps every header) stay with the stage.
   */
  Map<String, String> sourceOptions(Map<String, String> kafkaOptions) {
    Map<String, String> o = new LinkedHashMap<>();
    if (minPartitions != null) {
      if (minPartitions <= 0) {
        throw invalid("--min-partitions", minPartitions,
            "a positive number of Spark tasks per batch");
      }
      o.put("minPartitions", minPartitions.toString());
    }
    if (minOffsetsPerTrigger != null) {
      if (minOffsetsPerTrigger <= 0) {
        throw invalid("--min-offsets-per-trigger", minOffsetsPerTrigger,
            "a positive number of records");
      }
      if (maxOffsetsPerTrigger != null && minOffsetsPerTrigger > maxOffsetsPerTrigger) {
        throw new ConfigException("Settings --min-offsets-per-trigger (" + minOffsetsPerTrigger
            + ") and --max-offsets-per-trigger (" + maxOffsetsPerTrigger + ") contradict each"
            + " other: the minimum must not exceed the maximum.");
      }
      o.put("minOffsetsPerTrigger", minOffsetsPerTrigger.toString());
    }
    if (maxTriggerDelay != null) {
      Durations.parse("--max-trigger-delay", maxTriggerDelay, null,
          "a duration such as 30s, 5m or 1h");
      if (minOffsetsPerTrigger == null) {
        throw new ConfigException("Setting --max-trigger-delay ('" + maxTriggerDelay + "') needs"
            + " --min-offsets-per-trigger: Spark only delays a batch that has fewer new records"
            + " than that minimum.");
      }
      o.put("maxTriggerDelay", Durations.toSpark(maxTriggerDelay));
    }
    if (groupIdPrefix != null) {
      if (groupIdPrefix.isBlank()) {
        throw invalid("--group-id-prefix", groupIdPrefix,
            "a non-empty consumer group id prefix");
      }
      String groupId = kafkaOptions.get("kafka.group.id");
      if (groupId != null) {
        throw new ConfigException("Settings --group-id-prefix ('" + groupIdPrefix + "') and"
            + " --kafka.group.id ('" + groupId + "') exclude each other: Spark ignores the prefix"
            + " when a group id is set.");
      }
      o.put("groupIdPrefix", groupIdPrefix.trim());
    }
    if (serviceCredential != null) {
      if (serviceCredential.isBlank()) {
        throw invalid("--service-credential", serviceCredential,
            "the name of a Unity Catalog service credential");
      }
      if (kafkaOptions.containsKey("kafka.sasl.jaas.config")) {
        throw new ConfigException("Settings --service-credential ('" + serviceCredential + "')"
            + " and --kafka.sasl.jaas.config exclude each other: with a service credential"
            + " Databricks signs in to Kafka itself; give one way to sign in.");
      }
      o.put(SERVICE_CREDENTIAL, serviceCredential.trim());
    }
    if (serviceCredentialScope != null) {
      if (serviceCredential == null) {
        throw new ConfigException("Setting --service-credential-scope ('" + serviceCredentialScope
            + "') needs --service-credential: it is the scope that credential's token is for.");
      }
      o.put(SERVICE_CREDENTIAL + ".scope", serviceCredentialScope.trim());
    }
    return o;
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
