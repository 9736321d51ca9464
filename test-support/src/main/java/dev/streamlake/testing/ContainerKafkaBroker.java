package dev.streamlake.testing;

import dev.streamlake.local.KafkaBroker;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Apache Kafka in a Docker container through Testcontainers ({@code apache/kafka}, KRaft, one node).
 * Testcontainers' Ryuk container removes it if this JVM dies without closing it.
 */
public final class ContainerKafkaBroker implements KafkaBroker {
  /** Same Kafka version as the clients and the forked broker. */
  public static final String IMAGE = "apache/kafka:3.9.0";

  static final String KIND = "Testcontainers";

  private final KafkaContainer container;

  private ContainerKafkaBroker(KafkaContainer container) {
    this.container = container;
  }

  /** Starts the container and waits until Kafka runs; needs a Docker engine. */
  public static ContainerKafkaBroker start() {
    // Same broker defaults as ForkedKafkaBroker; the image's env vars map KAFKA_X_Y to x.y.
    KafkaContainer container =
        new KafkaContainer(DockerImageName.parse(IMAGE))
            .withEnv("KAFKA_NUM_PARTITIONS", "1")
            .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true")
            .withEnv("KAFKA_MIN_INSYNC_REPLICAS", "1");
    try {
      container.start();
    } catch (RuntimeException e) {
      container.close();
      throw e;
    }
    return new ContainerKafkaBroker(container);
  }

  @Override
  public String bootstrapServers() {
    return container.getBootstrapServers();
  }

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public void close() {
    container.close();
  }
}
