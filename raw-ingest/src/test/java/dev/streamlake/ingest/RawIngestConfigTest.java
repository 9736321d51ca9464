package dev.streamlake.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.ConfigException;
import dev.streamlake.common.TriggerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawIngestConfigTest {

  @TempDir Path dir;

  private RawIngestConfig parse(String... args) {
    return RawIngestConfig.fromArgs(args);
  }

  @Test
  void minimalCommandLineGetsSafeDefaults() {
    RawIngestConfig c = parse("--lake", dir.toString(), "--bootstrap-servers", "127.0.0.1:9092");
    assertThat(c.subscription().option()).isEqualTo("subscribe");
    assertThat(c.subscription().value()).isEqualTo("sensor-readings");
    assertThat(c.startingOffsets()).isEqualTo("earliest");
    assertThat(c.failOnDataLoss()).isTrue();
    // A large backlog is read in bounded batches that each commit.
    assertThat(c.maxOffsetsPerTrigger()).isEqualTo(10_000_000L);
    assertThat(parse("--lake", dir.toString(), "--bootstrap-servers", "127.0.0.1:9092",
        "--min-offsets-per-trigger", "20000000").maxOffsetsPerTrigger())
        .as("the default cap never contradicts a larger minimum").isEqualTo(20_000_000L);
    assertThat(c.settings().trigger()).isEqualTo(TriggerSpec.processingTime(Duration.ofSeconds(30)));
    assertThat(c.settings().raw().name()).isEqualTo(dir + "/raw/sensor_readings");
    assertThat(c.settings().checkpoint(RawIngestQuery.QUERY))
        .isEqualTo(dir + "/_checkpoints/sensor_readings/raw-ingest/kafka-to-raw");
    assertThat(c.settings().appId()).isEqualTo("sensor_readings-raw-ingest");
    assertThat(c.waitForTopic()).isEqualTo(new TopicWait(Duration.ofMinutes(5)));
  }

  @Test
  void waitForTopicTakesADurationOrForever() {
    String[] base = {"--lake", dir.toString(), "--bootstrap-servers", "h:1", "--wait-for-topic"};
    assertThat(parse(append(base, "30s")).waitForTopic()).isEqualTo(new TopicWait(Duration.ofSeconds(30)));
    assertThat(parse(append(base, "0s")).waitForTopic()).isEqualTo(new TopicWait(Duration.ZERO));
    assertThat(parse(append(base, "Forever")).waitForTopic().forever()).isTrue();
    assertThat(parse(append(base, "forever")).describe()).containsEntry("wait-for-topic", "forever");
    assertThat(parse(append(base, "2h")).describe()).containsEntry("wait-for-topic", "2h");
    assertThat(parse(append(base, "10min")).waitForTopic())
        .isEqualTo(new TopicWait(Duration.ofMinutes(10)));
    assertThatThrownBy(() -> parse(append(base, "300")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--wait-for-topic: '300'");
    assertThatThrownBy(() -> parse(append(base, "a while")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --wait-for-topic: 'a while'. Allowed: a duration such as 0s,"
            + " 30s, 5m or 1h, or forever.");
    assertThatThrownBy(() -> parse(append(base, "-5m")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--wait-for-topic: '-5m'");
  }

  private static String[] append(String[] args, String value) {
    String[] out = java.util.Arrays.copyOf(args, args.length + 1);
    out[args.length] = value;
    return out;
  }

  @Test
  void everySettingIsRead() {
    RawIngestConfig c = parse("--lake", dir.toString(), "--bootstrap-servers", "a:9092, b:9093",
        "--topic-pattern", "sensor-.*", "--trigger", "availableNow", "--starting-offsets", "latest",
        "--max-offsets-per-trigger", "5000", "--fail-on-data-loss", "false",
        "--raw-table", "main.raw.sensor_readings",
        "--kafka.security.protocol=SASL_SSL", "--kafka.sasl.mechanism", "PLAIN");
    assertThat(c.bootstrapServers()).isEqualTo("a:9092,b:9093");
    assertThat(c.subscription()).isEqualTo(new RawIngestOptions.Subscription("subscribePattern", "sensor-.*"));
    assertThat(c.settings().trigger().isAvailableNow()).isTrue();
    assertThat(c.startingOffsets()).isEqualTo("latest");
    assertThat(c.maxOffsetsPerTrigger()).isEqualTo(5000L);
    assertThat(c.failOnDataLoss()).isFalse();
    assertThat(c.settings().raw().isPath()).isFalse();
    assertThat(c.kafkaOptions())
        .containsEntry("kafka.security.protocol", "SASL_SSL")
        .containsEntry("kafka.sasl.mechanism", "PLAIN");
  }

  @Test
  void unknownFlagIsNamed() {
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1", "--lakes", "x"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Unknown option")
        .hasMessageContaining("'--lakes'")
        .hasMessageContaining("--help");
  }

  @Test
  void missingLakeIsNamed() {
    assertThatThrownBy(() -> parse("--bootstrap-servers", "h:1"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Missing required setting --lake");
  }

  @Test
  void missingBootstrapServersIsNamed() {
    assertThatThrownBy(() -> parse("--lake", dir.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Missing required setting --bootstrap-servers");
  }

  @Test
  void flagWithoutItsValueIsNamed() {
    assertThatThrownBy(() -> parse("--bootstrap-servers", "h:1", "--lake"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--lake");
  }

  @Test
  void malformedTriggerIsNamedWithTheChoices() {
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--trigger", "every 5 minutes"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --trigger: 'every 5 minutes'. Allowed: availableNow,"
            + " processingTime:<duration> with a duration such as 500ms, 30s, 15m or 1h, or"
            + " default (the stage's own).");
  }

  @Test
  void unreadableConfigFileIsNamed() {
    Path missing = dir.resolve("nope.json");
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--config", missing.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Cannot read pipeline config --config '" + missing + "'");
  }

  @Test
  void configFileThatIsAFolderIsUnreadable() throws Exception {
    Path folder = Files.createDirectory(dir.resolve("cfg"));
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--config", folder.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Cannot read pipeline config");
  }

  @Test
  void malformedBootstrapServersAreNamed() {
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "kafka:99999"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--bootstrap-servers")
        .hasMessageContaining("'kafka:99999'")
        .hasMessageContaining("host:port");
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "kafka"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("host:port");
  }

  @Test
  void nonNumericMaxOffsetsIsNamed() {
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--max-offsets-per-trigger", "lots"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--max-offsets-per-trigger")
        .hasMessageContaining("lots");
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--max-offsets-per-trigger", "0"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("a positive number of records");
  }

  @Test
  void topicAndPatternExcludeEachOther() {
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--topic", "a", "--topic-pattern", "a.*"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("exclude each other");
  }

  @Test
  void badStartingOffsetsAndPatternAreNamed() {
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--starting-offsets", "beginning"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--starting-offsets")
        .hasMessageContaining("'beginning'");
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--topic-pattern", "sensor-[("))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--topic-pattern");
  }

  @Test
  void sparkManagedKafkaOptionsAreRefused() {
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--kafka.enable.auto.commit=true"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.enable.auto.commit")
        .hasMessageContaining("exactly-once");
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--kafka.bootstrap.servers=x:1"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("use --bootstrap-servers");
  }

  @Test
  void effectiveConfigIsSortedAndMasksSecrets() {
    RawIngestConfig c = parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
        "--kafka.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"u\" password=\"p4ss\";",
        "--kafka.security.protocol=SASL_SSL");
    String line = CommandLines.effectiveConfig(c.describe());
    assertThat(line)
        .doesNotContain("p4ss")
        .contains("kafka.sasl.jaas.config=******")
        .contains("kafka.security.protocol=SASL_SSL")
        .startsWith("app-id=sensor_readings-raw-ingest, bootstrap-servers=h:1");
  }

  @Test
  void theConfigPrintsItselfWithSecretsMasked() {
    String key = "S3cr3t-ssl.keystore.key-" + java.util.UUID.randomUUID();
    String jaas = "S3cr3t-sasl.jaas.config-" + java.util.UUID.randomUUID();
    RawIngestConfig c = parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
        "--kafka.ssl.keystore.key=" + key, "--kafka.sasl.jaas.config", jaas,
        "--kafka.security.protocol=SSL");
    assertThat(c.kafkaOptions()).containsEntry("kafka.ssl.keystore.key", key);
    assertThat(c.toString())
        .startsWith("RawIngestConfig[")
        .doesNotContain(key)
        .doesNotContain(jaas)
        .contains("kafka.ssl.keystore.key=******")
        .contains("kafka.security.protocol=SSL");
  }

  @Test
  void aRefusedKafkaOptionIsNamedWithoutItsValue() {
    String value = "S3cr3t-refused-" + java.util.UUID.randomUUID();
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--kafka.interceptor.classes=" + value))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--kafka.interceptor.classes")
        .hasMessageNotContaining(value);
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--kafka.=" + value))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("no option name")
        .hasMessageNotContaining(value);
  }

  @Test
  void helpReturnsNoConfig() {
    assertThat(parse("--help")).isNull();
  }

  @Test
  void sparkSourceOptionsPassThroughByTheirSparkNames() {
    RawIngestConfig c = parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
        "--min-partitions", "48", "--min-offsets-per-trigger", "10000",
        "--max-trigger-delay", "5m", "--group-id-prefix", "streamlake-raw",
        "--max-offsets-per-trigger", "500000");
    assertThat(c.sourceOptions()).containsExactly(
        entry("minPartitions", "48"), entry("minOffsetsPerTrigger", "10000"),
        entry("maxTriggerDelay", "5m"), entry("groupIdPrefix", "streamlake-raw"));
    assertThat(RawIngestQuery.sourceOptions(c))
        .containsEntry("minPartitions", "48")
        .containsEntry("maxOffsetsPerTrigger", "500000")
        .containsEntry("includeHeaders", "true")
        .containsEntry("subscribe", "sensor-readings");
    assertThat(c.describe()).containsEntry("minPartitions", "48");
  }

  @Test
  void theMaxTriggerDelayReachesSparkAsSparkWritesIt() {
    RawIngestConfig c = parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
        "--min-offsets-per-trigger", "10", "--max-trigger-delay", " 90 S");
    assertThat(c.sourceOptions()).containsEntry("maxTriggerDelay", "90s");
  }

  @Test
  void withoutSourceFlagsOnlyTheStagesOwnOptionsAreSet() {
    RawIngestConfig c = parse("--lake", dir.toString(), "--bootstrap-servers", "h:1");
    assertThat(c.sourceOptions()).isEmpty();
    assertThat(RawIngestQuery.sourceOptions(c)).containsOnlyKeys("kafka.bootstrap.servers",
        "subscribe", "startingOffsets", "failOnDataLoss", "maxOffsetsPerTrigger",
        "includeHeaders", "kafka.max.poll.records")
        .containsEntry("maxOffsetsPerTrigger", "10000000")
        .containsEntry("kafka.max.poll.records", "50000");
  }

  @Test
  void aUsersMaxPollRecordsWinsOverTheStagesDefault() {
    RawIngestConfig fromFlag = parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
        "--kafka.max.poll.records=2000");
    assertThat(RawIngestQuery.sourceOptions(fromFlag)).containsEntry("kafka.max.poll.records",
        "2000");
    RawIngestConfig fromSparkConf = RawIngestConfig.fromArgs(
        new String[] {"--lake", dir.toString(), "--bootstrap-servers", "h:1"},
        Map.of("spark.streamlake.kafka.max.poll.records", "3000"));
    assertThat(RawIngestQuery.sourceOptions(fromSparkConf))
        .containsEntry("kafka.max.poll.records", "3000");
  }

  @Test
  void includeHeadersStaysOnWhateverIsPassedThrough() {
    RawIngestConfig c = parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
        "--kafka.includeHeaders=false");
    assertThat(RawIngestQuery.sourceOptions(c)).containsEntry("includeHeaders", "true");
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--include-headers", "false"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Unknown option: '--include-headers'");
  }

  @Test
  void aServiceCredentialSignsInInsteadOfAJaasConfig() {
    RawIngestConfig c = parse("--lake", dir.toString(), "--bootstrap-servers", "b-1.msk:9098",
        "--service-credential", "msk-reader", "--service-credential-scope",
        "https://events.servicebus.windows.net/.default");
    assertThat(RawIngestQuery.sourceOptions(c))
        .containsEntry("databricks.serviceCredential", "msk-reader")
        .containsEntry("databricks.serviceCredential.scope",
            "https://events.servicebus.windows.net/.default");

    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--service-credential", "msk-reader", "--kafka.sasl.jaas.config=x required;"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Settings --service-credential ('msk-reader') and --kafka.sasl.jaas.config"
            + " exclude each other: with a service credential Databricks signs in to Kafka itself;"
            + " give one way to sign in.");
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--service-credential-scope", "s"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Setting --service-credential-scope ('s') needs --service-credential: it is"
            + " the scope that credential's token is for.");
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--service-credential", " "))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --service-credential: ' '. Allowed: the name of a Unity"
            + " Catalog service credential.");
  }

  @Test
  void badSourceOptionValuesAreNamed() {
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--min-partitions", "0"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --min-partitions: '0'. Allowed: a positive number of Spark"
            + " tasks per batch.");
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--min-offsets-per-trigger", "-5"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --min-offsets-per-trigger: '-5'. Allowed: a positive number"
            + " of records.");
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--min-offsets-per-trigger", "100", "--max-trigger-delay", "soon"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --max-trigger-delay: 'soon'. Allowed: a duration such as"
            + " 30s, 5m or 1h.");
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--group-id-prefix", ""))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --group-id-prefix: ''. Allowed: a non-empty consumer group"
            + " id prefix.");
  }

  @Test
  void sourceOptionsThatContradictEachOtherAreNamed() {
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--max-trigger-delay", "5m"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Setting --max-trigger-delay ('5m') needs --min-offsets-per-trigger: Spark"
            + " only delays a batch that has fewer new records than that minimum.");
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--min-offsets-per-trigger", "1000", "--max-offsets-per-trigger", "10"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Settings --min-offsets-per-trigger (1000) and --max-offsets-per-trigger (10)"
            + " contradict each other: the minimum must not exceed the maximum.");
    assertThatThrownBy(() -> parse("--lake", dir.toString(), "--bootstrap-servers", "h:1",
            "--group-id-prefix", "sl", "--kafka.group.id=fixed"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Settings --group-id-prefix ('sl') and --kafka.group.id ('fixed') exclude each"
            + " other: Spark ignores the prefix when a group id is set.");
  }
}
