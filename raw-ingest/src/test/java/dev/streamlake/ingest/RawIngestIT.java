package dev.streamlake.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.testing.ProcessStarts;
import dev.streamlake.testing.TestKafka;
import dev.streamlake.testing.TestSpark;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.hadoop.conf.Configuration;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stage 1 against a real broker: every record once, bytes untouched, across restarts. */
class RawIngestIT {

  @TempDir Path lake;

  private final SparkSession spark = TestSpark.session();
  private final Random random = new Random(42);

  @Test
  void ingestsEachRecordExactlyOnceWithBytesAndHeadersUntouched() throws Exception {
    String topic = TestKafka.uniqueTopic("raw-ingest");
    TestKafka.createTopic(topic, 3);
    RawIngestConfig config = availableNow(topic);

    Map<String, ProducerRecord<byte[], byte[]>> sent = new HashMap<>();
    produce(topic, 3, 0, 30, sent);
    run(config);

    List<Row> firstRun = config.settings().raw().read(spark).collectAsList();
    assertThat(firstRun).hasSize(30);
    assertMatchesWhatWasSent(firstRun, sent);

    produce(topic, 3, 30, 21, sent);
    run(config);

    List<Row> secondRun = config.settings().raw().read(spark).collectAsList();
    assertThat(secondRun).hasSize(51);
    assertMatchesWhatWasSent(secondRun, sent);
    assertThat(secondRun.stream().map(r -> r.<Integer>getAs("partition")).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder(0, 1, 2);
  }

  @Test
  void laterRunsCompileNoNewCodeAndStartNoProcess() throws Exception {
    String topic = TestKafka.uniqueTopic("raw-steady");
    TestKafka.createTopic(topic, 2);
    RawIngestConfig config = availableNow(topic);
    Map<String, ProducerRecord<byte[], byte[]>> sent = new HashMap<>();
    produce(topic, 2, 0, 20, sent);
    run(config);
    produce(topic, 2, 20, 20, sent);
    run(config);
    long compiledBefore = TestSpark.generatedClassesCompiled();

    List<String> started = ProcessStarts.during(() -> {
      for (int i = 2; i <= 4; i++) {
        produce(topic, 2, 20 * i, 20, sent);
        run(config);
      }
    });
    long compiled = TestSpark.generatedClassesCompiled() - compiledBefore;

    assertThat(config.settings().raw().read(spark).count()).isEqualTo(100);
    // ingested_at as current_timestamp() would put each batch's time into the generated code.
    assertThat(compiled).as("classes compiled by three more runs of stage 1").isZero();
    // Checkpoint files, Delta commits and Parquet files, each written through Hadoop's local file
    // system, which without its native library starts chmod and readlink for them.
    assertThat(started).as("processes started by three more runs of stage 1").isEmpty();
  }

  @Test
  void rawTableHasTheContractSchemaAndUtcIngestDatePartitions() throws Exception {
    String topic = TestKafka.uniqueTopic("raw-schema");
    TestKafka.createTopic(topic, 1);
    produce(topic, 1, 0, 3, new HashMap<>());
    RawIngestConfig config = availableNow(topic);
    run(config);

    var table = config.settings().raw().read(spark);
    assertThat(table.schema().fieldNames()).containsExactly(TableSchemas.raw().fieldNames());
    for (var field : TableSchemas.raw().fields()) {
      assertThat(table.schema().apply(field.name()).dataType()).isEqualTo(field.dataType());
    }
    Row detail = spark.sql("DESCRIBE DETAIL " + config.settings().raw().sqlName()).first();
    assertThat(detail.getList(detail.fieldIndex("partitionColumns")))
        .containsExactly(TableSchemas.INGEST_DATE);
    for (Row r : table.collectAsList()) {
      Instant ingestedAt = r.<java.sql.Timestamp>getAs(TableSchemas.INGESTED_AT).toInstant();
      LocalDate utcDate = ingestedAt.atZone(ZoneOffset.UTC).toLocalDate();
      assertThat(r.<java.sql.Date>getAs(TableSchemas.INGEST_DATE).toLocalDate()).isEqualTo(utcDate);
    }
  }

  @Test
  void rawFilesSpendNoDictionaryOrStatisticsOnPayloadBytes() throws Exception {
    String topic = TestKafka.uniqueTopic("raw-layout");
    TestKafka.createTopic(topic, 1);
    produce(topic, 1, 0, 200, new HashMap<>());
    RawIngestConfig config = availableNow(topic);
    StreamingQuery q = run(config);
    assertThat(q.sparkSession().conf().get("spark.sql.maxConcurrentOutputFileWriters"))
        .as("the query writes without sorting its rows by ingest date first").isEqualTo("4");

    List<Path> files;
    try (var walk = java.nio.file.Files.walk(Path.of(config.settings().raw().name()))) {
      files = walk.filter(f -> f.toString().endsWith(".parquet")).toList();
    }
    assertThat(files).isNotEmpty();
    for (Path file : files) {
      try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(
          new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
        Map<String, ColumnChunkMetaData> columns = new HashMap<>();
        for (BlockMetaData block : reader.getFooter().getBlocks()) {
          for (ColumnChunkMetaData c : block.getColumns()) {
            columns.put(c.getPath().toDotString(), c);
          }
        }
        for (String bytes : List.of("key", "value", "headers.list.element.value")) {
          assertThat(columns.get(bytes).getEncodings()).as(bytes)
              .doesNotContain(Encoding.PLAIN_DICTIONARY, Encoding.RLE_DICTIONARY);
          assertThat(columns.get(bytes).getStatistics().hasNonNullValue()).as(bytes).isFalse();
        }
        assertThat(columns.get("offset").getEncodings())
            .doesNotContain(Encoding.PLAIN_DICTIONARY, Encoding.RLE_DICTIONARY);
        // The settings name their columns: the topic keeps Parquet's dictionary and statistics.
        assertThat(columns.get("topic").getEncodings()).containsAnyOf(
            Encoding.PLAIN_DICTIONARY, Encoding.RLE_DICTIONARY);
        assertThat(columns.get("topic").getStatistics().hasNonNullValue()).isTrue();
      }
    }

    // Delta's file statistics cover the columns that locate a record, not the others.
    String[] commits;
    try (var log = java.nio.file.Files.list(lake.resolve("raw/sensor_readings/_delta_log"))) {
      commits = log.map(Path::toString).filter(f -> f.endsWith(".json")).toArray(String[]::new);
    }
    Row stats = spark.read().json(commits).where("add IS NOT NULL").select("add.stats").first();
    String json = stats.getString(0);
    assertThat(json).contains("\"offset\"").contains("\"partition\"").contains("\"topic\"")
        .doesNotContain("timestampType");
  }

  /**
   * Spark's Kafka source looks up the partition's earliest and latest offsets after every poll,
   * two requests to the broker each time: at Kafka's default of 500 records a poll, two round
   * trips for every 500 records. Stage 1's default lets one poll take a whole fetch. Counted by
   * the consumers' own metrics, in the executor's JVM (this one, on {@code local[2]}).
   */
  @Test
  void aTaskAsksKafkaForOffsetsPerFetchNotPer500Records() throws Exception {
    int records = 20_000;
    double atKafkasDefault = requestsToKafka("raw-poll-500", records,
        "--kafka.max.poll.records=500");
    double atStageDefault = requestsToKafka("raw-poll-default", records);

    assertThat(atKafkasDefault).as("requests to Kafka at 500 records a poll")
        .isGreaterThanOrEqualTo(2.0 * records / 500);
    assertThat(atStageDefault).as("requests to Kafka at stage 1's default")
        .isLessThan(records / 500.0 / 2);
  }

  /** Runs stage 1 over a fresh topic of small records; the requests its consumers sent. */
  private double requestsToKafka(String name, int records, String... extraArgs)
      throws Exception {
    String topic = TestKafka.uniqueTopic(name);
    TestKafka.createTopic(topic, 1);
    List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      byte[] value = new byte[60];
      random.nextBytes(value);
      sent.add(new ProducerRecord<>(topic, 0, ("sensor-" + i % 100).getBytes(
          StandardCharsets.UTF_8), value));
    }
    TestKafka.produce(sent);
    String group = topic + "-group";
    List<String> args = new ArrayList<>(List.of("--lake", lake.resolve(name).toString(),
        "--bootstrap-servers", TestKafka.bootstrapServers(), "--topic", topic,
        "--trigger", "availableNow", "--group-id-prefix", group));
    args.addAll(List.of(extraArgs));
    RawIngestConfig config = RawIngestConfig.fromArgs(args.toArray(String[]::new));
    run(config);
    assertThat(config.settings().raw().read(spark).count()).isEqualTo(records);

    // Spark keeps the executors' consumers open in its pool after the batch, metrics included.
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    double requests = 0;
    double consumed = 0;
    for (ObjectName consumer : server.queryNames(
        new ObjectName("kafka.consumer:type=consumer-metrics,client-id=*"), null)) {
      String client = consumer.getKeyProperty("client-id");
      if (client.contains(group)) {
        requests += (Double) server.getAttribute(consumer, "request-total");
        consumed += (Double) server.getAttribute(new ObjectName(
            "kafka.consumer:type=consumer-fetch-manager-metrics,client-id=" + client),
            "records-consumed-total");
      }
    }
    assertThat(consumed).as("records the consumers of group %s returned", group)
        .isGreaterThanOrEqualTo(records);
    return requests;
  }

  /**
   * Stages 1 and 2 both create raw when it is missing, at the same moment when a deployment
   * starts them together: every creator must go on, whichever of them Delta lets win.
   */
  @Test
  void creatorsRacingForTheRawTableAllGoOn() throws Exception {
    for (int round = 0; round < 3; round++) {
      TableRef raw = TableRef.path(lake.resolve("race-" + round).toString());
      int creators = 4;
      CyclicBarrier start = new CyclicBarrier(creators);
      ExecutorService pool = Executors.newFixedThreadPool(creators);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < creators; i++) {
          done.add(pool.submit(() -> {
            start.await();
            raw.ensureExists(spark, TableSchemas.raw(), List.of(TableSchemas.INGEST_DATE),
                TableSchemas.rawProperties());
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get(2, TimeUnit.MINUTES);
        }
      } finally {
        pool.shutdownNow();
      }
      Row detail = spark.sql("DESCRIBE DETAIL " + raw.sqlName()).first();
      assertThat(detail.<String, String>getJavaMap(detail.fieldIndex("properties")))
          .containsAllEntriesOf(TableSchemas.rawProperties());
    }
  }

  private RawIngestConfig availableNow(String topic) {
    return RawIngestConfig.fromArgs(new String[] {"--lake", lake.toString(),
        "--bootstrap-servers", TestKafka.bootstrapServers(), "--topic", topic,
        "--trigger", "availableNow"});
  }

  private StreamingQuery run(RawIngestConfig config) throws Exception {
    StreamingQuery q = RawIngestQuery.start(spark, config);
    q.awaitTermination();
    assertThat(q.exception().isEmpty()).as("query failed: %s", q.exception()).isTrue();
    assertThat(q.name()).isEqualTo("sensor_readings.raw-ingest.kafka-to-raw");
    return q;
  }

  /** Sends {@code n} records: mixed partitions, binary values, headers, a tombstone, a null key. */
  private void produce(String topic, int partitions, int first, int n,
      Map<String, ProducerRecord<byte[], byte[]>> sent) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = first; i < first + n; i++) {
      byte[] key = i % 10 == 7 ? null : ("sensor-" + i).getBytes(StandardCharsets.UTF_8);
      byte[] value = new byte[i % 10 == 3 ? 0 : 1 + random.nextInt(200)];
      random.nextBytes(value);
      if (i % 10 == 5) {
        value = null;
      }
      ProducerRecord<byte[], byte[]> record =
          new ProducerRecord<>(topic, i % partitions, key, value);
      record.headers().add(new RecordHeader("trace-id", ("t" + i).getBytes(StandardCharsets.UTF_8)));
      if (i % 4 == 0) {
        byte[] bin = new byte[8];
        random.nextBytes(bin);
        record.headers().add(new RecordHeader("binary", bin));
        record.headers().add(new RecordHeader("empty", (byte[]) null));
      }
      records.add(record);
    }
    List<RecordMetadata> meta = TestKafka.produce(records);
    for (int i = 0; i < records.size(); i++) {
      sent.put(meta.get(i).partition() + "/" + meta.get(i).offset(), records.get(i));
    }
  }

  private static void assertMatchesWhatWasSent(
      List<Row> rows, Map<String, ProducerRecord<byte[], byte[]>> sent) {
    Set<String> coordinates = rows.stream()
        .map(r -> r.getAs("topic") + "/" + r.getAs("partition") + "/" + r.getAs("offset"))
        .collect(Collectors.toSet());
    assertThat(coordinates).as("(topic, partition, offset) is unique").hasSize(rows.size());
    for (Row r : rows) {
      ProducerRecord<byte[], byte[]> p = sent.get(r.getAs("partition") + "/" + r.getAs("offset"));
      assertThat(p).as("row %s was produced", r).isNotNull();
      assertThat(r.<String>getAs("topic")).isEqualTo(p.topic());
      assertThat((byte[]) r.getAs("key")).isEqualTo(p.key());
      assertThat((byte[]) r.getAs("value")).isEqualTo(p.value());
      List<Row> headers = r.getList(r.fieldIndex("headers"));
      var expected = p.headers().toArray();
      assertThat(headers).hasSize(expected.length);
      for (int h = 0; h < expected.length; h++) {
        assertThat(headers.get(h).<String>getAs("key")).isEqualTo(expected[h].key());
        assertThat((byte[]) headers.get(h).getAs("value")).isEqualTo(expected[h].value());
      }
    }
  }
}
