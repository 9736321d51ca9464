package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@link Secrets#KAFKA_PASSWORD_OPTIONS} equal to what kafka-clients itself types
 * {@code PASSWORD}, so upgrading kafka-clients cannot add a secret option that the logs show.
 */
class KafkaPasswordOptionsTest {

  /** The client config definitions a stage's options can reach: Spark's Kafka source and sink. */
  private static final Map<String, ConfigDef> CLIENT_CONFIGS = Map.of(
      "consumer", ConsumerConfig.configDef(),
      "producer", ProducerConfig.configDef(),
      "admin", AdminClientConfig.configDef());

  static Set<String> passwordTypedOptions() {
    return CLIENT_CONFIGS.values().stream()
        .flatMap(def -> def.configKeys().values().stream())
        .filter(key -> key.type == ConfigDef.Type.PASSWORD)
        .map(key -> key.name)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void everyPasswordTypedKafkaClientOptionIsListed() {
    Set<String> fromKafka = passwordTypedOptions();
    assertThat(fromKafka)
        .as("kafka-clients defines PASSWORD options (else this test reads the wrong thing)")
        .contains("sasl.jaas.config", "ssl.keystore.key");
    assertThat(Secrets.KAFKA_PASSWORD_OPTIONS)
        .as("Secrets.KAFKA_PASSWORD_OPTIONS must list every PASSWORD-typed option of the"
            + " consumer, producer and admin configs; add the missing ones")
        .containsAll(fromKafka);
  }

  @Test
  void everyPasswordTypedOptionIsMaskedHoweverItIsPrefixed() {
    for (String option : passwordTypedOptions()) {
      for (String key : Stream.of("", "kafka.", "--kafka.", "raw-ingest.kafka.", "KAFKA.")
          .map(prefix -> prefix + option).toList()) {
        assertThat(Secrets.isSecret(key)).as(key).isTrue();
        assertThat(Secrets.isSecret(key.toUpperCase(java.util.Locale.ROOT))).as(key).isTrue();
        assertThat(Secrets.mask(key, "S3cr3t")).as(key).isEqualTo(Secrets.MASK);
      }
    }
  }

  @Test
  void commonLoadsNoKafkaClass() throws IOException {
    // On Databricks kafka-clients is relocated to kafkashaded.org.apache.kafka: a reference to
    // org.apache.kafka in our classes would fail there with NoClassDefFoundError.
    Path classes = Paths.get("target", "classes");
    assertThat(classes).isDirectory();
    try (Stream<Path> files = Files.walk(classes)) {
      Set<String> referencing = files
          .filter(p -> p.toString().endsWith(".class"))
          .filter(KafkaPasswordOptionsTest::mentionsKafkaClasses)
          .map(p -> classes.relativize(p).toString())
          .collect(Collectors.toCollection(TreeSet::new));
      assertThat(referencing).as("classes of common that reference org.apache.kafka").isEmpty();
    }
  }

  private static boolean mentionsKafkaClasses(Path classFile) {
    try {
      // Class references sit in the constant pool as modified UTF-8, which for ASCII is UTF-8.
      return new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1)
          .contains("org/apache/kafka/");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
