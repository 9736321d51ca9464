package dev.streamlake.launcher;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Spark Connect server in a JVM of its own, and job jars run as Connect clients in JVMs of their
 * own: the server's and the client's jars carry clashing copies of the same protobuf classes, and
 * a client JVM should look like Databricks serverless, where the JAR sees Databricks Connect and
 * no classic Spark.
 *
 * <p>The server runs Spark classic with Delta and the Kafka connector (this test JVM's classpath
 * plus Spark's Connect server jar), keeps its tables in an in-memory catalog under a warehouse
 * folder, and dies with this JVM ({@code dev.streamlake.local.BrokerProcess} watches its stdin).
 */
final class LocalSparkConnect implements AutoCloseable {

  /** Where the launcher's pom copies Spark's Connect jars before the ITs. */
  static final Path JARS = Path.of("target", "spark-connect");

  /**
   * What a Databricks serverless client lacks: classic Spark, Delta's engine, the Kafka connector,
   * Hadoop, Avro, Parquet; and this build's modules, which reach the client only inside the jar
   * under test. (Databricks Connect 17.3.8 has none of these; its jar has Delta's client API.)
   */
  private static final List<String> NOT_ON_A_CONNECT_CLIENT = List.of(
      "spark-core_", "spark-sql_", "spark-catalyst_", "spark-sql-api_", "spark-launcher_",
      "spark-kvstore_", "spark-network-common_", "spark-network-shuffle_", "spark-sketch_",
      "spark-avro_", "spark-sql-kafka-0-10_", "spark-token-provider-kafka-0-10_", "delta-",
      "kafka-clients-", "hadoop-", "avro-", "parquet-", "orc-", "arrow-", "databricks-sdk-java-",
      "common-", "test-support-", "raw-ingest-", "deserialize-", "merge-", "launcher-");

  private static final long START_TIMEOUT_MS = 240_000;
  private static final long CLIENT_TIMEOUT_MS = 300_000;

  private final Process server;
  private final int port;
  private final Path warehouse;
  private final Path log;

  private LocalSparkConnect(Process server, int port, Path warehouse, Path log) {
    this.server = server;
    this.port = port;
    this.warehouse = warehouse;
    this.log = log;
  }

  /** Starts a server with its warehouse and logs under {@code dir}; waits until it listens. */
  static LocalSparkConnect start(Path dir) throws IOException, InterruptedException {
    Path warehouse = Files.createDirectories(dir.resolve("warehouse"));
    Path log = dir.resolve("spark-connect-server.log");
    Path log4j = log4j(dir, "org.apache.spark.sql.connect");
    int port = freePort();
    List<String> cmd = java(List.of(
        "-Xmx1g",
        "-Dlog4j.configurationFile=" + log4j.toUri(),
        "-Dspark.master=local[2]",
        "-Dspark.app.name=streamlake-connect-test-server",
        "-Dspark.ui.enabled=false",
        "-Dspark.sql.shuffle.partitions=2",
        "-Dspark.default.parallelism=2",
        "-Dspark.databricks.delta.snapshotPartitions=2",
        "-Dspark.driver.host=127.0.0.1",
        "-Dspark.driver.bindAddress=127.0.0.1",
        "-Dspark.connect.grpc.binding.address=127.0.0.1",
        "-Dspark.connect.grpc.binding.port=" + port,
        "-Dspark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension",
        "-Dspark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "-Dspark.sql.warehouse.dir=" + warehouse.toAbsolutePath(),
        "-cp", classpath(concat(testClasspath(), List.of(jar("spark-connect_")))),
        "dev.streamlake.local.BrokerProcess",
        "org.apache.spark.sql.connect.service.SparkConnectServer"));
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    // stdin stays a pipe this JVM never writes to: BrokerProcess exits when it closes.
    Process p = pb.start();
    LocalSparkConnect connect = new LocalSparkConnect(p, port, warehouse, log);
    connect.awaitListening();
    return connect;
  }

  String remote() {
    return "sc://127.0.0.1:" + port;
  }

  /** Where the server keeps the managed table {@code spark_catalog.default.<name>}. */
  Path managedTable(String name) {
    return warehouse.resolve(name);
  }

  /** What a client JVM printed and how it ended. */
  record Run(int exitCode, String output) {}

  /**
   * Runs {@code jar}'s manifest main class as a Spark Connect client of this server, on a
   * classpath like Databricks serverless's: Spark's Connect client and its dependencies, the jar,
   * nothing of classic Spark.
   */
  Run runClient(Path jar, Path dir, String... args) throws IOException, InterruptedException {
    return runClient(jar, List.of(), dir, args);
  }

  /** The same with {@code extra} jars from this JVM's classpath (by file name prefix). */
  Run runClient(Path jar, List<String> extra, Path dir, String... args)
      throws IOException, InterruptedException {
    List<String> cp = new ArrayList<>(List.of(jar("spark-connect-client-jvm_"),
        jar("spark-connect-shims_")));
    for (String entry : testClasspath()) {
      String name = Path.of(entry).getFileName().toString();
      boolean ours = entry.contains(File.separator + "target" + File.separator);
      if (!ours && NOT_ON_A_CONNECT_CLIENT.stream().noneMatch(name::startsWith)) {
        cp.add(entry);
      }
    }
    cp.add(jar.toAbsolutePath().toString());
    for (String prefix : extra) {
      cp.add(testClasspath().stream()
          .filter(e -> Path.of(e).getFileName().toString().startsWith(prefix))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("no " + prefix + "* on the classpath")));
    }
    List<String> cmd = java(concat(List.of(
        "-Xmx512m",
        "-Dlog4j.configurationFile=" + log4j(dir, "dev.streamlake").toUri(),
        "-cp", classpath(cp),
        mainClass(jar)), List.of(args)));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("SPARK_REMOTE", remote());
    pb.environment().remove("DATABRICKS_RUNTIME_VERSION");
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(CLIENT_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("Connect client did not finish: " + cmd);
    }
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  String serverLog() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no server log: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    server.destroy();
    if (!server.waitFor(30, TimeUnit.SECONDS)) {
      server.destroyForcibly();
    }
  }

  /** Polls the port with a deadline; fails early, with the server's log, if the JVM died. */
  private void awaitListening() throws InterruptedException {
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
    while (System.currentTimeMillis() < deadline) {
      if (!server.isAlive()) {
        throw new IllegalStateException("Spark Connect server exited with " + server.exitValue()
            + ":\n" + serverLog());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException notYet) {
        Thread.sleep(500);
      }
    }
    server.destroyForcibly();
    throw new IllegalStateException("Spark Connect server did not listen on " + port + " within "
        + START_TIMEOUT_MS / 1000 + " s:\n" + serverLog());
  }

  private static List<String> java(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // Spark's --add-opens, as this JVM got them from the build.
    cmd.addAll(System.getProperty("streamlake.spark.java.opens", "").isBlank()
        ? List.of() : List.of(System.getProperty("streamlake.spark.java.opens").trim().split("\\s+")));
    cmd.addAll(args);
    return cmd;
  }

  private static Path log4j(Path dir, String infoLogger) throws IOException {
    Path f = dir.resolve("log4j2-" + infoLogger + ".properties");
    Files.writeString(f, String.join("\n",
        "rootLogger.level = warn",
        "rootLogger.appenderRef.out.ref = out",
        "appender.out.type = Console",
        "appender.out.name = out",
        "appender.out.layout.type = PatternLayout",
        "appender.out.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n",
        "logger.ours.name = " + infoLogger,
        "logger.ours.level = info",
        ""));
    return f;
  }

  private static List<String> testClasspath() {
    return List.of(System.getProperty("java.class.path").split(File.pathSeparator));
  }

  private static String jar(String prefix) {
    try (Stream<Path> files = Files.list(JARS)) {
      return files.filter(p -> p.getFileName().toString().startsWith(prefix))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("no " + prefix + "*.jar in "
              + JARS.toAbsolutePath() + ": the launcher's pom copies it before the ITs"))
          .toAbsolutePath().toString();
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + JARS.toAbsolutePath(), e);
    }
  }

  private static String mainClass(Path jar) throws IOException {
    try (var f = new java.util.jar.JarFile(jar.toFile())) {
      return f.getManifest().getMainAttributes().getValue("Main-Class");
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String classpath(List<String> entries) {
    return String.join(File.pathSeparator, entries);
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
