package dev.streamlake.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.streamlake.local.StageJars;
import dev.streamlake.testing.JarProbe;
import dev.streamlake.testing.TestKafka;
import dev.streamlake.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stage 1 started before its topic, against a real broker: it waits and then ingests when the topic
 * is created, and when the topic never comes it stops with one line and a non-zero exit.
 */
class TopicWaitIT {

  @TempDir Path lake;

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void waitsForATopicCreatedLaterThenIngestsIt() throws Exception {
    String topic = TestKafka.uniqueTopic("wait-for-topic");
    RawIngestConfig config = RawIngestConfig.fromArgs(new String[] {
        "--lake", lake.toString(), "--bootstrap-servers", TestKafka.bootstrapServers(),
        "--topic", topic, "--trigger", "processingTime:1s", "--wait-for-topic", "2m"});
    List<String> waiting = new CopyOnWriteArrayList<>();
    List<String> ready = new CopyOnWriteArrayList<>();
    TopicWaiter waiter = new TopicWaiter(config.bootstrapServers(), config.subscription(),
        config.waitForTopic(), System::nanoTime, d -> Thread.sleep(d.toMillis()),
        new TopicWaiter.Notices() {
          @Override
          public void waiting(String line) {
            waiting.add(line);
          }

          @Override
          public void ready(String line) {
            ready.add(line);
          }
        });

    CompletableFuture<Void> started = CompletableFuture.runAsync(() -> {
      try (TopicLister kafka = TopicLister.open(config.bootstrapServers(), config.kafkaOptions())) {
        waiter.await(kafka);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    });

    await("stage 1 says it waits for " + topic).atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(200)).until(() -> !waiting.isEmpty());
    assertThat(waiting.get(0)).startsWith("Topic '" + topic + "' does not exist on Kafka at "
        + TestKafka.bootstrapServers() + " (or is not visible to this client); waiting for it: ");
    assertThat(started).isNotDone();

    TestKafka.createTopic(topic, 2);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      records.add(new ProducerRecord<>(topic, i % 2, null, ("r" + i).getBytes(StandardCharsets.UTF_8)));
    }
    TestKafka.produce(records);
    started.get(1, TimeUnit.MINUTES);
    assertThat(ready).singleElement().asString().startsWith("Found topic '" + topic + "' on Kafka at ");

    StreamingQuery query = RawIngestQuery.start(TestSpark.session(), config);
    try {
      await("stage 1 ingests the new topic").atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> {
            assertThat(query.exception().isEmpty()).as("query failed: %s", query.exception()).isTrue();
            return config.settings().raw().read(TestSpark.session()).count() == records.size();
          });
    } finally {
      query.stop();
    }
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void givesUpWithOneLineAndANonZeroExitWhenTheTopicNeverComes() throws Exception {
    String topic = TestKafka.uniqueTopic("never-created");
    String servers = TestKafka.bootstrapServers();
    long t0 = System.nanoTime();
    JarProbe.Run run = JarProbe.sparkSubmit(StageJars.jar("spark"),
        "--lake", lake.toString(), "--bootstrap-servers", servers, "--topic", topic,
        "--wait-for-topic", "8s");
    System.out.printf("TopicWaitIT: spark-submit gave up in %d s%n",
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0));

    String giveUp = "Topic '" + topic + "' does not exist on Kafka at " + servers
        + " (or is not visible to this client); gave up after ";
    assertThat(run.exitCode()).as(run.output()).isNotZero();
    List<String> lines = run.output().lines().toList();
    assertThat(lines.stream().filter(l -> l.contains(giveUp))).as(run.output()).hasSize(1);
    assertThat(lines.stream().filter(l -> l.contains(giveUp)).findFirst().orElseThrow())
        .contains("(--wait-for-topic 8s). Create it");
    assertThat(lines).as("no stack trace:\n%s", run.output())
        .noneMatch(l -> l.startsWith("\tat ") || l.startsWith("Caused by"));
    // It said it was waiting, naming topic and brokers, before it gave up.
    assertThat(run.output()).containsPattern(java.util.regex.Pattern.quote("Topic '" + topic
        + "' does not exist on Kafka at " + servers + " (or is not visible to this client); waiting"
        + " for it: ") + "\\d+s of 8s \\(--wait-for-topic\\), next check in \\d+s");
    // It gave up before it asked Spark for anything.
    assertThat(run.output()).doesNotContain("SparkContext: Running Spark version");
  }
}
