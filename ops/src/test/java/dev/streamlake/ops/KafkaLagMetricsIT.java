package dev.streamlake.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamlake.common.BatchMetricsListener;
import dev.streamlake.common.TableRef;
import dev.streamlake.ingest.RawIngestConfig;
import dev.streamlake.ingest.RawIngestQuery;
import dev.streamlake.testing.TestKafka;
import dev.streamlake.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stage 1's Kafka lag against a real broker: in its metrics lines and events rows, from the
 * source's progress, and in {@code status --bootstrap-servers}, from its checkpoint and Kafka.
 */
class KafkaLagMetricsIT {

  @TempDir Path lake;

  @Test
  void eachBatchLineHasRowsWrittenToRawAndTheOffsetsStillBehind() throws Exception {
    SparkSession spark = TestSpark.session();
    String topic = TestKafka.uniqueTopic("ops-lag");
    TestKafka.createTopic(topic, 1);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      records.add(new ProducerRecord<>(topic, 0, null,
          ("record-" + i).getBytes(StandardCharsets.UTF_8)));
    }
    TestKafka.produce(records);
    String events = lake.resolve("events").toString();
    RawIngestConfig config = RawIngestConfig.fromArgs(new String[] {"--lake", lake.toString(),
        "--bootstrap-servers", TestKafka.bootstrapServers(), "--topic", topic,
        "--trigger", "availableNow", "--max-offsets-per-trigger", "4",
        "--events-table", events});
    List<String> lines = new CopyOnWriteArrayList<>();
    Consumer<String> sink = lines::add;
    BatchMetricsListener.of(spark).addSink(sink);
    try {
      StreamingQuery q = RawIngestQuery.start(spark, config);
      q.awaitTermination();
      assertThat(q.exception().isEmpty()).as("query failed: %s", q.exception()).isTrue();
      // availableNow with at most 4 offsets per batch: batches of 4, 4 and 2 records.
      await().atMost(Duration.ofSeconds(30))
          .until(() -> PipelineRuns.metricsLines(lines, q).size() == 3);
      List<JsonNode> batches = PipelineRuns.metricsLines(lines, q);
      assertThat(batches).extracting(l -> l.path("stage").asText()).containsOnly("raw-ingest");
      assertThat(batches).extracting(l -> l.path("batch_id").asLong()).containsExactly(0L, 1L, 2L);
      assertThat(batches).extracting(l -> l.path("input_rows").asLong())
          .containsExactly(4L, 4L, 2L);
      assertThat(batches).extracting(l -> l.path("rows_written").path("raw").asLong())
          .containsExactly(4L, 4L, 2L);
      assertThat(batches)
          .extracting(l -> l.path("kafka_offsets_behind_latest").path("max").asLong())
          .containsExactly(6L, 2L, 0L);
      assertThat(batches)
          .extracting(l -> l.path("kafka_offsets_behind_latest").path("min").asLong())
          .containsExactly(6L, 2L, 0L);

      TableRef table = TableRef.path(events);
      await().atMost(Duration.ofSeconds(60))
          .until(() -> table.exists(spark) && table.read(spark).count() == 3);
      List<Row> rows = table.read(spark).orderBy("batch_id")
          .select("kafka_offsets_behind_latest").collectAsList();
      assertThat(rows).extracting(r -> r.getLong(0)).containsExactly(6L, 2L, 0L);

      // status asks the broker for stage 1's lag: the records sent after its last batch.
      TestKafka.produce(records.subList(0, 3));
      JsonNode status = new ObjectMapper().readTree(StatusCommand.run(new String[] {"--lake",
          lake.toString(), "--json", "--bootstrap-servers", TestKafka.bootstrapServers()},
          () -> spark, java.time.Instant.now()));
      JsonNode lag = status.path("stages").get(0).path("lag");
      assertThat(status.path("stages").get(0).path("stage").asText()).isEqualTo("raw-ingest");
      assertThat(lag.path("kafka_offsets_behind").asLong()).as("%s", lag).isEqualTo(3);
      assertThat(lag.path("kafka_partitions").path(topic + "-0").asLong()).isEqualTo(3);
      String text = StatusCommand.run(new String[] {"--lake", lake.toString(),
          "--bootstrap-servers", TestKafka.bootstrapServers()}, () -> spark,
          java.time.Instant.now());
      assertThat(text).contains("3 record(s) in Kafka behind (" + topic + "-0 3)");
    } finally {
      BatchMetricsListener.of(spark).removeSink(sink);
    }
  }

}
