package dev.streamlake.local;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Apache Kafka in KRaft mode (one node, broker and controller) as a separate {@code java} process
 * over the jars that module kafka-broker copies into {@code kafka-broker/target/lib}. A separate
 * process keeps the broker's Scala and Kafka server jars off the test classpath, where they would
 * clash with Spark's.
 *
 * <p>The broker dies with the JVM that started it, even on kill -9: see {@link BrokerProcess}.
 */
public final class ForkedKafkaBroker implements KafkaBroker {
  /** System property naming the folder of broker jars; the build sets it for tests. */
  public static final String LIB_PROPERTY = "streamlake.kafka.broker.lib";

  static final String KIND = "forked KRaft process";
  private static final Logger LOG = LoggerFactory.getLogger(ForkedKafkaBroker.class);
  private static final String LOCALHOST = "127.0.0.1";
  private static final long READY_TIMEOUT_MS = 60_000;
  private static final long FORMAT_TIMEOUT_MS = 60_000;
  private static final long STOP_TIMEOUT_MS = 15_000;
  private static final int LOG_TAIL_LINES = 25;
  private static final int LOG_ERROR_LINES = 8;

  private final Process process;
  // Holding the write end of the broker's stdin open is what keeps it alive; see BrokerProcess.
  private final OutputStream parentLifeline;
  private final int port;
  private final Listeners secured;
  private final Path dir;
  private final boolean deleteDirOnClose;
  private final Path logFile;
  private boolean closed;

  private ForkedKafkaBroker(Process process, int port, Listeners secured, Path dir,
      boolean deleteDirOnClose, Path logFile) {
    this.process = process;
    this.parentLifeline = process.getOutputStream();
    this.port = port;
    this.secured = secured;
    this.dir = dir;
    this.deleteDirOnClose = deleteDirOnClose;
    this.logFile = logFile;
  }

  /** Starts a broker on a free port with its data in a temporary folder deleted on close. */
  public static ForkedKafkaBroker start() {
    return start(0, null);
  }

  /**
   * What a broker with security needs beyond its PLAINTEXT listener: a SASL_PLAINTEXT listener
   * that accepts one user by SCRAM-SHA-512 and by PLAIN (same name and password), an SSL listener
   * that presents the key store's certificate and asks clients for none, and a mutual-TLS listener
   * that presents it too and accepts only clients whose certificate is in the client trust store.
   * The PLAINTEXT listener stays, for test set-up.
   */
  public record Security(String scramUser, String scramPassword, Path keyStore,
      String keyStorePassword, Path clientTrustStore, String clientTrustStorePassword) {
    @Override
    public String toString() {
      return "Security[scramUser=" + scramUser + ", keyStore=" + keyStore + ", clientTrustStore="
          + clientTrustStore + "]";
    }
  }

  /** The ports of a secured broker's extra listeners on 127.0.0.1. */
  record Listeners(int saslPort, int sslPort, int mtlsPort) {}

  /**
   * Starts a broker with a temporary folder that, besides PLAINTEXT, listens with SASL/SCRAM and
   * with TLS ({@link #saslBootstrapServers()}, {@link #sslBootstrapServers()}).
   */
  public static ForkedKafkaBroker startSecured(Security security) {
    return start(0, null, security);
  }

  /**
   * Starts a broker and waits until it answers.
   *
   * @param port the PLAINTEXT port on 127.0.0.1; 0 picks a free one
   * @param dir folder for config, data and the broker log, kept on close and reused when it already
   *     holds a formatted broker; null for a temporary folder deleted on close
   */
  public static ForkedKafkaBroker start(int port, Path dir) {
    return start(port, dir, null);
  }

  private static ForkedKafkaBroker start(int port, Path dir, Security security) {
    long startNanos = System.nanoTime();
    Path lib = brokerLib();
    boolean temporary = dir == null;
    Path home;
    try {
      home = temporary ? Files.createTempDirectory("streamlake-kafka-") : Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create the Kafka broker folder " + dir, e);
    }
    Path logFile = home.resolve("broker.log");
    Process process = null;
    try {
      int brokerPort = port == 0 ? freePort() : requireFree(port);
      int controllerPort = freePort();
      Listeners secured = security == null ? null : new Listeners(freePort(), freePort(), freePort());
      Path config = writeConfig(home, brokerPort, controllerPort, secured, security);
      Path log4j = writeLog4jConfig(home);
      Path bootstrapClasses = BrokerProcess.copyClassFiles(home);
      String classpath = bootstrapClasses + java.io.File.pathSeparator + lib.resolve("*");

      // A kept --dir that already holds a formatted log dir is reused as it is: formatting again
      // with a new cluster id fails even with --ignore-formatted.
      if (!Files.exists(home.resolve("data").resolve("meta.properties"))) {
        format(classpath, log4j, config, logFile, security);
      }
      long formattedNanos = System.nanoTime();

      process = launch(javaCommand(classpath, log4j, "kafka.Kafka", config.toString()), logFile);
      ForkedKafkaBroker broker =
          new ForkedKafkaBroker(process, brokerPort, secured, home, temporary, logFile);
      broker.awaitReady(startNanos + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS));
      LOG.info(
          "Kafka broker (forked KRaft process, pid {}) ready at {} in {} ms (storage format {} ms); log {}",
          process.pid(), broker.bootstrapServers(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
          TimeUnit.NANOSECONDS.toMillis(formattedNanos - startNanos), logFile);
      return broker;
    } catch (IOException e) {
      stopQuietly(process);
      throw new UncheckedIOException("Cannot start the Kafka broker; log " + logFile, e);
    } catch (InterruptedException e) {
      stopQuietly(process);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while starting the Kafka broker; log " + logFile, e);
    } catch (RuntimeException e) {
      stopQuietly(process);
      throw e;
    }
  }

  private static void format(String classpath, Path log4j, Path config, Path logFile,
      Security security) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("format",
        "-t", Uuid.randomUuid().toString(), "-c", config.toString()));
    if (security != null) {
      // KRaft keeps SCRAM credentials in its metadata log; formatting is where the first go in.
      args.addAll(List.of("--add-scram", "SCRAM-SHA-512=[name=" + security.scramUser()
          + ",password=" + security.scramPassword() + "]"));
    }
    List<String> command =
        javaCommand(classpath, log4j, "kafka.tools.StorageTool", args.toArray(String[]::new));
    Process formatter = launch(command, logFile);
    if (!formatter.waitFor(FORMAT_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
      formatter.destroyForcibly();
      throw failure("Formatting the Kafka storage timed out", logFile);
    }
    if (formatter.exitValue() != 0) {
      throw failure("Formatting the Kafka storage failed with exit code " + formatter.exitValue(), logFile);
    }
  }

  @Override
  public String bootstrapServers() {
    return LOCALHOST + ":" + port;
  }

  @Override
  public String kind() {
    return KIND;
  }

  /** The SASL_PLAINTEXT (SCRAM-SHA-512 and PLAIN) listener of a broker from {@link #startSecured}. */
  public String saslBootstrapServers() {
    return LOCALHOST + ":" + requireSecured().saslPort();
  }

  /** The SSL listener of a broker from {@link #startSecured}. */
  public String sslBootstrapServers() {
    return LOCALHOST + ":" + requireSecured().sslPort();
  }

  /** The SSL listener that requires a client certificate, of a broker from {@link #startSecured}. */
  public String mtlsBootstrapServers() {
    return LOCALHOST + ":" + requireSecured().mtlsPort();
  }

  private Listeners requireSecured() {
    if (secured == null) {
      throw new IllegalStateException("This broker was started without security listeners");
    }
    return secured;
  }

  /** The PLAINTEXT port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** The broker process (not the JVM that started it). */
  public ProcessHandle process() {
    return process.toHandle();
  }

  /** The broker's stdout and stderr. */
  public Path logFile() {
    return logFile;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long stopStart = System.nanoTime();
    boolean clean = stop(process);
    LOG.info(
        "Kafka broker (pid {}) at {} stopped {} in {} ms",
        process.pid(), bootstrapServers(), clean ? "cleanly" : "forcibly",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopStart));
    try {
      parentLifeline.close();
    } catch (IOException e) {
      // The process is gone; its pipe does not matter any more.
    }
    if (deleteDirOnClose) {
      deleteRecursively(dir);
    }
  }

  /** SIGTERM (Kafka's clean shutdown), then SIGKILL after {@link #STOP_TIMEOUT_MS}. */
  private static boolean stop(Process process) {
    process.destroy();
    try {
      if (process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        return true;
      }
      process.destroyForcibly().waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    return false;
  }

  private static void stopQuietly(Process process) {
    if (process != null) {
      stop(process);
    }
  }

  private void awaitReady(long deadlineNanos) throws InterruptedException {
    // Wait for the port first: an AdminClient pointed at a closed port logs a warning per retry.
    while (!portAccepts(port)) {
      checkAlive(deadlineNanos);
      Thread.sleep(100);
    }
    Map<String, Object> config =
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000,
            AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 100);
    try (Admin admin = Admin.create(config)) {
      while (true) {
        checkAlive(deadlineNanos);
        try {
          Collection<Node> nodes =
              admin.describeCluster(new DescribeClusterOptions().timeoutMs(5_000))
                  .nodes()
                  .get(5, TimeUnit.SECONDS);
          if (!nodes.isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException | KafkaException e) {
          // Not ready yet: retry until the deadline.
        }
        Thread.sleep(100);
      }
    }
  }

  private void checkAlive(long deadlineNanos) {
    if (!process.isAlive()) {
      throw failure(
          "The Kafka broker process exited with code " + process.exitValue() + " before it was ready",
          logFile);
    }
    if (System.nanoTime() - deadlineNanos > 0) {
      throw failure(
          "The Kafka broker at " + bootstrapServers() + " was not ready within "
              + TimeUnit.MILLISECONDS.toSeconds(READY_TIMEOUT_MS) + " s",
          logFile);
    }
  }

  private static boolean portAccepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(LOCALHOST, port), 1_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Process launch(List<String> command, Path logFile) throws IOException {
    // stdin stays a pipe: its write end in this JVM is the broker's lifeline (BrokerProcess).
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .start();
  }

  private static List<String> javaCommand(String classpath, Path log4j, String mainClass, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.add("-Dlog4j.configuration=" + log4j.toUri());
    command.add("-Djava.awt.headless=true");
    command.add("-cp");
    command.add(classpath);
    command.add(BrokerProcess.class.getName());
    command.add(mainClass);
    command.addAll(List.of(args));
    return command;
  }

  private static Path writeConfig(Path home, int brokerPort, int controllerPort,
      Listeners secured, Security security) throws IOException {
    Path data = Files.createDirectories(home.resolve("data"));
    String listeners = "PLAINTEXT://" + LOCALHOST + ":" + brokerPort;
    String advertised = listeners;
    String protocols = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT";
    List<String> securityLines = new ArrayList<>();
    if (secured != null) {
      String extra = ",SASL_PLAINTEXT://" + LOCALHOST + ":" + secured.saslPort()
          + ",SSL://" + LOCALHOST + ":" + secured.sslPort()
          + ",MTLS://" + LOCALHOST + ":" + secured.mtlsPort();
      listeners += extra;
      advertised += extra;
      protocols += ",SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,MTLS:SSL";
      securityLines.addAll(List.of(
          "sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN",
          "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config="
              + "org.apache.kafka.common.security.scram.ScramLoginModule required;",
          "listener.name.sasl_plaintext.plain.sasl.jaas.config="
              + "org.apache.kafka.common.security.plain.PlainLoginModule required user_"
              + security.scramUser() + "=\"" + security.scramPassword() + "\";"));
      for (String listener : List.of("ssl", "mtls")) {
        String prefix = "listener.name." + listener + ".ssl.";
        securityLines.addAll(List.of(
            prefix + "keystore.location=" + security.keyStore().toAbsolutePath(),
            prefix + "keystore.type=PKCS12",
            prefix + "keystore.password=" + security.keyStorePassword(),
            prefix + "key.password=" + security.keyStorePassword()));
      }
      securityLines.addAll(List.of(
          "listener.name.ssl.ssl.client.auth=none",
          "listener.name.mtls.ssl.client.auth=required",
          "listener.name.mtls.ssl.truststore.location=" + security.clientTrustStore().toAbsolutePath(),
          "listener.name.mtls.ssl.truststore.type=PKCS12",
          "listener.name.mtls.ssl.truststore.password=" + security.clientTrustStorePassword()));
    }
    List<String> lines = new ArrayList<>(List.of(
            "# Written by " + ForkedKafkaBroker.class.getName() + ": one node, broker and controller",
            "process.roles=broker,controller",
            "node.id=1",
            "controller.quorum.voters=1@" + LOCALHOST + ":" + controllerPort,
            "listeners=" + listeners + ",CONTROLLER://" + LOCALHOST + ":" + controllerPort,
            "advertised.listeners=" + advertised,
            "listener.security.protocol.map=" + protocols,
            "inter.broker.listener.name=PLAINTEXT",
            "controller.listener.names=CONTROLLER",
            "log.dirs=" + data.toAbsolutePath(),
            "num.partitions=1",
            "default.replication.factor=1",
            "min.insync.replicas=1",
            "auto.create.topics.enable=true",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "transaction.state.log.num.partitions=1",
            "group.initial.rebalance.delay.ms=0"));
    lines.addAll(securityLines);
    lines.add("");
    return Files.writeString(home.resolve("server.properties"), String.join("\n", lines),
        StandardCharsets.UTF_8);
  }

  private static Path writeLog4jConfig(Path home) throws IOException {
    String config =
        String.join(
            "\n",
            "log4j.rootLogger=INFO, stdout",
            "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
            "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
            "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
            "log4j.logger.org.apache.kafka.clients=WARN",
            "");
    return Files.writeString(home.resolve("log4j.properties"), config, StandardCharsets.UTF_8);
  }

  /** The folder of broker jars: the system property, else kafka-broker/target/lib above the working directory. */
  public static Path brokerLib() {
    return brokerLib(System.getProperty(LIB_PROPERTY), Paths.get("").toAbsolutePath());
  }

  static Path brokerLib(String property, Path workingDir) {
    if (property != null && !property.isBlank() && isBrokerLib(Paths.get(property))) {
      return Paths.get(property).toAbsolutePath();
    }
    for (Path dir = workingDir; dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("kafka-broker").resolve("target").resolve("lib");
      if (isBrokerLib(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "No Apache Kafka broker jars found: system property " + LIB_PROPERTY + " is "
            + (property == null ? "not set" : "'" + property + "' (no kafka_*.jar there)")
            + " and no kafka-broker/target/lib exists in " + workingDir + " or above it."
            + " Run `mvn -pl kafka-broker package` (or the full build) first.");
  }

  private static boolean isBrokerLib(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(f -> f.getFileName().toString().matches("kafka_[0-9.]+-.*\\.jar"));
    } catch (IOException e) {
      return false;
    }
  }

  private static int requireFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(LOCALHOST))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("Port " + port + " on " + LOCALHOST + " is not free for the Kafka broker: " + e, e);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOCALHOST))) {
      return socket.getLocalPort();
    }
  }

  private static IllegalStateException failure(String message, Path logFile) {
    return new IllegalStateException(message + ". Broker log " + logFile + "\n" + logExcerpt(logFile));
  }

  /**
   * The broker log's first ERROR/FATAL lines (each with the line after it: the exception) and its
   * last lines. Both, because a failed broker logs its cause once and then a long clean shutdown.
   */
  static String logExcerpt(Path file) {
    List<String> lines;
    try {
      // Lenient decoding: an error message must never fail on odd bytes.
      lines = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
    List<String> errors = new ArrayList<>();
    for (int i = 0; i < lines.size() && errors.size() < 2 * LOG_ERROR_LINES; i++) {
      String line = lines.get(i);
      if (line.contains("] ERROR ") || line.contains("] FATAL ") || line.startsWith("Exception in thread")) {
        errors.add(line);
        if (i + 1 < lines.size()) {
          errors.add(lines.get(i + 1));
        }
      }
    }
    StringBuilder excerpt = new StringBuilder();
    if (!errors.isEmpty()) {
      excerpt.append("First errors in the broker log:\n").append(String.join("\n", errors)).append('\n');
    }
    excerpt.append("Last lines of the broker log:\n")
        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size())));
    return excerpt.toString();
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("Kafka broker folder {} not deleted: {}", root, e.toString());
    }
  }
}
