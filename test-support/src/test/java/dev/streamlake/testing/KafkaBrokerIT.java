package dev.streamlake.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.streamlake.local.ForkedKafkaBroker;
import dev.streamlake.local.KafkaBroker;
import dev.streamlake.local.LocalKafka;
import dev.streamlake.local.SyncProducer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class KafkaBrokerIT {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerIT.class);

  @Test
  void recordsWithHeadersRoundTripByteIdenticalOnEveryPartition() {
    KafkaBroker broker = TestKafka.broker();
    String topic = TestKafka.uniqueTopic("kafka-broker-it");
    TestKafka.createTopic(topic, 3);

    byte[] everyByte = new byte[256];
    for (int i = 0; i < everyByte.length; i++) {
      everyByte[i] = (byte) i;
    }
    List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>();
    for (int partition = 0; partition < 3; partition++) {
      for (int n = 0; n < 2; n++) {
        byte[] key = n == 0 ? null : ("key-" + partition).getBytes(StandardCharsets.UTF_8);
        byte[] value = Arrays.copyOfRange(everyByte, partition * 10 + n, 256);
        List<Header> headers =
            List.of(
                new RecordHeader("trace", ("t-" + partition + "-" + n).getBytes(StandardCharsets.UTF_8)),
                new RecordHeader("raw", new byte[] {0, (byte) 0xff, (byte) partition}),
                new RecordHeader("trace", (byte[]) null));
        sent.add(new ProducerRecord<>(topic, partition, key, value, headers));
      }
    }

    List<RecordMetadata> metadata = TestKafka.produce(sent);
    assertThat(metadata).extracting(RecordMetadata::partition).containsExactly(0, 0, 1, 1, 2, 2);
    assertThat(metadata).extracting(RecordMetadata::offset).containsExactly(0L, 1L, 0L, 1L, 0L, 1L);

    List<ConsumerRecord<byte[], byte[]>> received = consumeAll(broker, topic, 3, sent.size());
    assertThat(received).hasSize(sent.size());
    for (int i = 0; i < sent.size(); i++) {
      ProducerRecord<byte[], byte[]> expected = sent.get(i);
      RecordMetadata coordinates = metadata.get(i);
      ConsumerRecord<byte[], byte[]> actual =
          received.stream()
              .filter(r -> r.partition() == coordinates.partition() && r.offset() == coordinates.offset())
              .findFirst()
              .orElseThrow();
      assertThat(actual.partition()).isEqualTo(expected.partition());
      assertThat(actual.key()).isEqualTo(expected.key());
      assertThat(actual.value()).isEqualTo(expected.value());
      assertThat(headerList(actual.headers())).isEqualTo(headerList(expected.headers()));
    }
  }

  @Test
  void closingForkedBrokerEndsItsProcessAndFreesItsPort() throws IOException {
    ForkedKafkaBroker broker = ForkedKafkaBroker.start();
    ProcessHandle process = broker.process();
    Path folder = broker.logFile().getParent();
    try {
      LOG.info("Forked broker pid {} RSS after start: {}", process.pid(), rss(process));
      String topic = TestKafka.uniqueTopic("close-it");
      try (SyncProducer producer = SyncProducer.create(broker.bootstrapServers())) {
        // auto.create.topics.enable: the first send creates the topic with one partition
        RecordMetadata sent = producer.send(topic, null, null, new byte[] {1}, null);
        assertThat(sent.partition()).isZero();
        assertThat(sent.offset()).isZero();
      }
      LOG.info("Forked broker pid {} RSS after a produce: {}", process.pid(), rss(process));
      assertThat(process.isAlive()).isTrue();
    } finally {
      broker.close();
    }

    assertThat(process.isAlive()).isFalse();
    try (ServerSocket socket = new ServerSocket(broker.port(), 1, InetAddress.getByName("127.0.0.1"))) {
      assertThat(socket.getLocalPort()).isEqualTo(broker.port());
    }
    assertThat(folder).doesNotExist();
    broker.close(); // a second close is harmless
  }

  @Test
  void aBrokerThatCannotStartFailsWithTheErrorsFromItsLog(@TempDir Path dir) throws IOException {
    // A log dir formatted for another node: the broker exits during startup.
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(
        data.resolve("meta.properties"),
        "version=1\ncluster.id=" + org.apache.kafka.common.Uuid.randomUuid() + "\nnode.id=7\n"
            + "directory.id=" + org.apache.kafka.common.Uuid.randomUuid() + "\n");

    assertThatThrownBy(() -> ForkedKafkaBroker.start(0, dir))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("exited with code")
        .hasMessageContaining(dir.resolve("broker.log").toString())
        .hasMessageContaining("First errors in the broker log")
        .hasMessageContaining("Stored node id 7");
  }

  @Test
  void brokerExitsWhenTheJvmThatStartedItIsKilled(@TempDir Path dir) throws Exception {
    List<String> command =
        List.of(
            Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-D" + ForkedKafkaBroker.LIB_PROPERTY + "=" + ForkedKafkaBroker.brokerLib(),
            "-cp", System.getProperty("java.class.path"),
            LocalKafka.class.getName(),
            "--dir", dir.resolve("kafka").toString());
    Path parentLog = dir.resolve("local-kafka.log");
    Process parent =
        new ProcessBuilder(command)
            .redirectError(parentLog.toFile())
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start();
    List<ProcessHandle> children = List.of();
    try {
      BufferedReader stdout =
          new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8));
      String line =
          CompletableFuture.supplyAsync(() -> firstLineStartingWith(stdout, "KAFKA_BOOTSTRAP="))
              .get(90, TimeUnit.SECONDS);
      assertThat(line).as("LocalKafka output; its log: %s", parentLog).matches("KAFKA_BOOTSTRAP=127\\.0\\.0\\.1:[0-9]+");
      int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));

      children = parent.toHandle().descendants().collect(Collectors.toList());
      assertThat(children).as("the broker process under LocalKafka").isNotEmpty();
      LOG.info("LocalKafka pid {} started broker process(es) {}; killing it with SIGKILL",
          parent.pid(), children.stream().map(ProcessHandle::pid).collect(Collectors.toList()));

      parent.destroyForcibly();
      assertThat(parent.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(parent.exitValue()).isEqualTo(137);

      List<ProcessHandle> orphans = children;
      long killed = System.nanoTime();
      await("broker processes exit after their parent was killed")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> orphans.stream().noneMatch(ProcessHandle::isAlive));
      LOG.info("Broker exited {} ms after its parent was killed",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
      try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
        assertThat(socket.getLocalPort()).isEqualTo(port);
      }
      assertThat(Files.readString(dir.resolve("kafka/broker.log"))).contains("parent process is gone");

      // The kept folder starts again (no second format) with its data.
      try (ForkedKafkaBroker again = ForkedKafkaBroker.start(0, dir.resolve("kafka"));
          SyncProducer producer = SyncProducer.create(again.bootstrapServers())) {
        assertThat(producer.send(TestKafka.uniqueTopic("restart-it"), null, null, new byte[] {2}, null).offset())
            .isZero();
      }
      assertThat(dir.resolve("kafka/data/meta.properties")).exists();
    } finally {
      parent.destroyForcibly();
      children.forEach(ProcessHandle::destroyForcibly);
    }
  }

  private static String firstLineStartingWith(BufferedReader reader, String prefix) {
    try {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (line.startsWith(prefix)) {
          return line;
        }
      }
      return "(end of output without " + prefix + ")";
    } catch (IOException e) {
      return "(cannot read output: " + e + ")";
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> consumeAll(
      KafkaBroker broker, String topic, int partitions, int expected) {
    Map<String, Object> config =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<byte[], byte[]>> received = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(
          IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList());
      await("records consumed from " + topic)
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
                return received.size() >= expected;
              });
    }
    return received;
  }

  private static List<String> headerList(Iterable<Header> headers) {
    List<String> list = new ArrayList<>();
    for (Header header : headers) {
      list.add(header.key() + "=" + (header.value() == null ? "null" : Arrays.toString(header.value())));
    }
    return list;
  }

  private static String rss(ProcessHandle process) {
    try {
      return Files.readAllLines(Paths.get("/proc", Long.toString(process.pid()), "status")).stream()
          .filter(l -> l.startsWith("VmRSS:"))
          .map(l -> l.substring("VmRSS:".length()).trim())
          .findFirst()
          .orElse("unknown");
    } catch (IOException e) {
      return "unknown (" + e + ")";
    }
  }
}
