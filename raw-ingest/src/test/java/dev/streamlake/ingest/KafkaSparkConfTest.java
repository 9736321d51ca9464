package dev.streamlake.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.common.CommandLines;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaSparkConfTest {

  @Test
  void sparkConfigurationEntriesBecomeKafkaOptionsAndTheCommandLineWins() {
    Map<String, String> merged = KafkaSparkConf.merge(
        Map.of("kafka.security.protocol", "SASL_SSL"),
        Map.of("spark.streamlake.kafka.sasl.jaas.config", "jaas-from-conf",
            "spark.streamlake.kafka.security.protocol", "SASL_PLAINTEXT",
            "spark.streamlake.kafka.", "no option name",
            "spark.sql.shuffle.partitions", "2"));

    assertThat(merged).containsOnly(
        Map.entry("kafka.sasl.jaas.config", "jaas-from-conf"),
        Map.entry("kafka.security.protocol", "SASL_SSL"));
  }

  @Test
  void aSecretFromSparkConfigurationIsMaskedInTheStartUpLine() {
    RawIngestConfig config = RawIngestConfig.fromArgs(new String[] {"--lake", "/tmp/lake",
        "--bootstrap-servers", "broker:9092"}, Map.of("spark.streamlake.kafka.sasl.jaas.config",
        "org.example.Login required password=\"from-conf-secret\";"));
    assertThat(config.kafkaOptions()).containsKey("kafka.sasl.jaas.config");
    assertThat(CommandLines.effectiveConfig(config.describe()))
        .contains("kafka.sasl.jaas.config=******").doesNotContain("from-conf-secret");
    assertThat(config.toString()).doesNotContain("from-conf-secret");
  }

  @Test
  void beforeAnySessionSparkConfigurationComesFromSparkSubmitsSystemProperties() {
    String key = "spark.streamlake.kafka.client.id";
    System.setProperty(key, "from-system-property");
    try {
      assertThat(KafkaSparkConf.current()).containsEntry(key, "from-system-property");
    } finally {
      System.clearProperty(key);
    }
  }
}
