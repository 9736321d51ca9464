package dev.streamlake.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.testing.TestKafka;
import dev.streamlake.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which stages run on Spark Connect, the API of Databricks serverless compute and of clusters in
 * standard access mode, tried against a local Spark Connect server (Apache Spark 4.0.0) with the
 * jars a Databricks job would load, in client JVMs that have no classic Spark, Delta engine,
 * Hadoop or Avro (as Databricks Connect 17.3 has none).
 *
 * <p>What this cannot show: that Databricks' own Connect client and serverless environment behave
 * like Apache Spark's. The README says so.
 */
class SparkConnectIT {

  private static Path dir;
  private static LocalSparkConnect connect;

  private final SparkSession spark = TestSpark.session();

  @BeforeAll
  static void startServer() throws Exception {
    dir = Files.createTempDirectory("streamlake-connect");
    connect = LocalSparkConnect.start(dir);
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (connect != null) {
      connect.close();
    }
  }

  @Test
  void stageOneRunsOnSparkConnectFromItsConnectJarExactlyOnceAcrossRuns() throws Exception {
    String topic = TestKafka.uniqueTopic("connect-raw");
    TestKafka.createTopic(topic, 2);
    produce(topic, 0, 25);
    String[] args = {
        "--lake", dir.resolve("checkpoints").toString(),
        "--catalog", "spark_catalog", "--schema", "default",
        "--bootstrap-servers", TestKafka.bootstrapServers(),
        "--topic", topic,
        "--trigger", "availableNow",
        "--min-partitions", "4"};

    LocalSparkConnect.Run first = connect.runClient(stageJar("raw-ingest", "connect"), dir, args);

    assertThat(first.exitCode()).as(first.output() + "\nserver:\n" + connect.serverLog()).isZero();
    assertThat(first.output()).contains("session, CONNECT API");
    assertThat(rawRows()).hasSize(25);

    produce(topic, 25, 10);
    LocalSparkConnect.Run second =
        connect.runClient(stageJar("raw-ingest", "connect"), dir, args);

    assertThat(second.exitCode()).as(second.output()).isZero();
    List<Row> rows = rawRows();
    assertThat(rows).hasSize(35);
    assertThat(rows.stream().map(r -> r.getAs("partition") + "/" + r.getAs("offset"))
        .collect(Collectors.toSet())).as("(partition, offset) is unique").hasSize(35);
  }

  @Test
  void theDatabricksJarNeedsAvroFromTheRuntimeSoSparkConnectGetsItsOwnJar() throws Exception {
    LocalSparkConnect.Run run = connect.runClient(stageJar("raw-ingest", "databricks"), dir,
        "--lake", dir.resolve("checkpoints-db").toString(), "--catalog", "spark_catalog",
        "--schema", "default", "--bootstrap-servers", "127.0.0.1:9", "--trigger", "availableNow");
    assertThat(run.exitCode()).isNotZero();
    assertThat(run.output()).contains("org/apache/avro/");
  }

  @Test
  void aPathTableIsRefusedOnSparkConnectWithWhatToDoInstead() throws Exception {
    Path lake = dir.resolve("path-lake");
    LocalSparkConnect.Run run = connect.runClient(stageJar("raw-ingest", "connect"), dir,
        "--lake", lake.toString(), "--bootstrap-servers", "127.0.0.1:9",
        "--trigger", "availableNow");
    assertThat(run.exitCode()).isNotZero();
    assertThat(run.output()).contains("The raw table is the path " + lake + "/raw/sensor_readings,"
        + " but this session is Spark Connect (Databricks serverless or a cluster in standard"
        + " access mode), which reaches Delta tables by their Unity Catalog names: set --catalog"
        + " and --schema, or --raw-table <catalog>.<schema>.<table>.");
  }

  /**
   * Given Avro (a cluster in standard access mode has the runtime's), so that what stops them is
   * the stage's own check.
   */
  @Test
  void deserializeMergeAndTheOneDriverLauncherRefuseSparkConnectSayingWhy() throws Exception {
    String[] args = {"--lake", dir.resolve("checkpoints-refused").toString(),
        "--catalog", "spark_catalog", "--schema", "refused", "--trigger", "availableNow"};

    LocalSparkConnect.Run deserialize =
        connect.runClient(stageJar("deserialize", "databricks"), List.of("avro-1."), dir, args);
    assertThat(deserialize.exitCode()).isNotZero();
    assertThat(deserialize.output()).contains("Stage deserialize needs Spark classic, but this"
        + " session is Spark Connect (Databricks serverless or a cluster in standard access mode):"
        + " it classifies records over RDDs");

    LocalSparkConnect.Run merge =
        connect.runClient(stageJar("merge", "databricks"), List.of("avro-1."), dir, args);
    assertThat(merge.exitCode()).isNotZero();
    assertThat(merge.output()).contains("Stage merge needs Spark classic, but this session is"
        + " Spark Connect (Databricks serverless or a cluster in standard access mode): each"
        + " micro-batch caches its rows (persist)");

    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--bootstrap-servers", "127.0.0.1:9"));
    LocalSparkConnect.Run launcher = connect.runClient(stageJar("launcher", "databricks"),
        List.of("avro-1."), dir, all.toArray(String[]::new));
    assertThat(launcher.exitCode()).isNotZero();
    assertThat(launcher.output()).contains("Stage deserialize needs Spark classic");
    assertThat(connect.managedTable("refused")).doesNotExist();
  }

  private List<Row> rawRows() {
    return spark.read().format("delta")
        .load(connect.managedTable("raw_sensor_readings").toString()).collectAsList();
  }

  private static void produce(String topic, int first, int n) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = first; i < first + n; i++) {
      records.add(new ProducerRecord<>(topic, i % 2, bytes("sensor-" + i), bytes("reading " + i)));
    }
    TestKafka.produce(records);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** {@code ../<module>/target/<module>-<version>-<classifier>.jar}, as Maven built it. */
  private static Path stageJar(String module, String classifier) throws Exception {
    String version = new DeployFileValidator(DeployFilesIT.ROOT).version();
    Path jar = DeployFilesIT.ROOT.resolve(module).resolve("target")
        .resolve(module + "-" + version + "-" + classifier + ".jar");
    assertThat(jar).as("built by mvn package").exists();
    return jar;
  }
}
