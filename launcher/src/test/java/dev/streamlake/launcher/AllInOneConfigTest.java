package dev.streamlake.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.ConfigException;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's config carries stage 1's Kafka secrets: they are masked wherever it is printed. */
class AllInOneConfigTest {

  @TempDir Path lake;

  @Test
  void theLogLineAndTheRecordItselfMaskKafkaSecrets() {
    String keystoreKey = "S3cr3t-ssl.keystore.key-" + UUID.randomUUID();
    String chain = "S3cr3t-ssl.keystore.certificate.chain-" + UUID.randomUUID();
    AllInOneConfig config = AllInOneConfig.fromArgs(new String[] {"--lake", lake.toString(),
        "--bootstrap-servers", "h:1", "--kafka.ssl.keystore.key=" + keystoreKey,
        "--kafka.ssl.keystore.certificate.chain", chain, "--kafka.security.protocol=SSL"});

    assertThat(config.rawIngest().kafkaOptions()).containsEntry("kafka.ssl.keystore.key", keystoreKey);
    for (String printed : new String[] {CommandLines.effectiveConfig(config.describe()),
        config.toString()}) {
      assertThat(printed)
          .doesNotContain(keystoreKey)
          .doesNotContain(chain)
          .contains("raw-ingest.kafka.ssl.keystore.key=******")
          .contains("raw-ingest.kafka.ssl.keystore.certificate.chain=******")
          .contains("raw-ingest.kafka.security.protocol=SSL");
    }
  }

  @Test
  void aRefusedKafkaOptionIsNamedWithoutItsValue() {
    String value = "S3cr3t-" + UUID.randomUUID();
    assertThatThrownBy(() -> AllInOneConfig.fromArgs(new String[] {"--lake", lake.toString(),
            "--bootstrap-servers", "h:1", "--kafka.enable.auto.commit=" + value}))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--kafka.enable.auto.commit")
        .hasMessageNotContaining(value);
  }
}
