package dev.streamlake.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForkedKafkaBrokerTest {

  @Test
  void missingBrokerJarsSayHowToBuildThem(@TempDir Path dir) {
    assertThatThrownBy(() -> ForkedKafkaBroker.brokerLib(dir.resolve("nope").toString(), dir))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(ForkedKafkaBroker.LIB_PROPERTY)
        .hasMessageContaining("mvn -pl kafka-broker package");
  }

  @Test
  void brokerJarsAreFoundAboveTheWorkingDirectory(@TempDir Path dir) throws IOException {
    Path lib = Files.createDirectories(dir.resolve("kafka-broker/target/lib"));
    Files.createFile(lib.resolve("kafka_2.13-3.9.0.jar"));
    Path module = Files.createDirectories(dir.resolve("raw-ingest/src"));

    assertThat(ForkedKafkaBroker.brokerLib(null, module)).isEqualTo(lib);
    assertThat(ForkedKafkaBroker.brokerLib(lib.toString(), dir.getRoot())).isEqualTo(lib);
  }

  @Test
  void logExcerptShowsTheFirstErrorsAndTheLastLines(@TempDir Path dir) throws IOException {
    List<String> log = new ArrayList<>();
    log.add("[2026-01-01 00:00:00,000] INFO starting (kafka.Kafka)");
    log.add("[2026-01-01 00:00:01,000] ERROR Unable to start acceptor (kafka.network.DataPlaneAcceptor)");
    log.add("org.apache.kafka.common.KafkaException: Socket server failed to bind");
    for (int i = 0; i < 100; i++) {
      log.add("[2026-01-01 00:00:02,000] INFO shutdown step " + i + " (kafka.server.BrokerServer)");
    }
    Path file = Files.write(dir.resolve("broker.log"), log);

    String excerpt = ForkedKafkaBroker.logExcerpt(file);

    assertThat(excerpt)
        .contains("ERROR Unable to start acceptor")
        .contains("Socket server failed to bind")
        .contains("shutdown step 99")
        .doesNotContain("shutdown step 50")
        .doesNotContain("INFO starting");
  }

  @Test
  void aBusyFixedPortFailsBeforeAnythingStarts(@TempDir Path dir) throws IOException {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      assertThatThrownBy(() -> ForkedKafkaBroker.start(busy.getLocalPort(), dir))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("Port " + busy.getLocalPort());
    }
    assertThat(dir.resolve("broker.log")).doesNotExist();
  }
}
