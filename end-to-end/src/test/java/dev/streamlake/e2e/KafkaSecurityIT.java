package dev.streamlake.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.streamlake.local.ForkedKafkaBroker;
import dev.streamlake.local.Repository;
import dev.streamlake.local.StageModule;
import dev.streamlake.local.StageProcess;
import dev.streamlake.local.SyncProducer;
import dev.streamlake.testing.KeyTool;
import dev.streamlake.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stage 1 against a broker that wants credentials: a forked Apache Kafka with a SASL_PLAINTEXT
 * listener that accepts one user by SCRAM-SHA-512 and by PLAIN, an SSL listener whose certificate
 * keytool made here, and a mutual-TLS listener that also wants the client's certificate. Each case runs the stage's -spark jar as its own driver, as a user runs it, over a topic
 * of sample readings, with Spark and the Kafka clients logging at INFO, and then searches the
 * driver's whole output for every secret of the test: the SCRAM password (given three ways: a
 * command-line option, Spark's configuration, an environment variable read by Kafka's own config
 * provider), the trust stores' and the key stores' passwords.
 *
 * <p>Right credentials ingest every record; a wrong password or a trust store without the
 * broker's certificate stop the stage within seconds, before any Spark work, with a message that
 * says what the brokers refused and which settings to check (not a hang, not a stack trace).
 */
class KafkaSecurityIT {
  static final String USER = "streamlake-ingest";
  static final String PASSWORD = "S3cr3t-scram-" + UUID.randomUUID();
  static final String BROKER_STORE_PASSWORD = "S3cr3t-broker-store-" + UUID.randomUUID();
  static final String TRUST_PASSWORD = "S3cr3t-trust-" + UUID.randomUUID();
  static final String OTHER_STORE_PASSWORD = "S3cr3t-other-store-" + UUID.randomUUID();
  static final String CLIENT_STORE_PASSWORD = "S3cr3t-client-store-" + UUID.randomUUID();
  static final String CLIENT_TRUST_PASSWORD = "S3cr3t-client-trust-" + UUID.randomUUID();
  static final String TOPIC = "secured-readings";
  static final Duration RUN_TIMEOUT = Duration.ofMinutes(5);
  /** A refusal is found by the topic check, before the Spark session exists. */
  static final Duration REFUSAL_WITHIN = Duration.ofSeconds(90);

  @TempDir static Path certs;
  static Path trustStore;
  static Path wrongTrustStore;
  static Path clientStore;
  static ForkedKafkaBroker broker;
  static SampleReadings samples;

  @TempDir Path dir;

  @BeforeAll
  static void startSecuredBroker() throws Exception {
    Path brokerStore = certs.resolve("broker.p12");
    trustStore = certs.resolve("trust.p12");
    KeyTool.selfSigned(brokerStore, "broker", "CN=localhost", BROKER_STORE_PASSWORD,
        "SAN=dns:localhost,ip:127.0.0.1");
    KeyTool.trust(brokerStore, "broker", BROKER_STORE_PASSWORD, trustStore, TRUST_PASSWORD);
    // A trust store of the same kind, holding another certificate for the same host.
    Path otherStore = certs.resolve("other.p12");
    wrongTrustStore = certs.resolve("wrong-trust.p12");
    KeyTool.selfSigned(otherStore, "other", "CN=localhost", OTHER_STORE_PASSWORD,
        "SAN=dns:localhost,ip:127.0.0.1");
    KeyTool.trust(otherStore, "other", OTHER_STORE_PASSWORD, wrongTrustStore, TRUST_PASSWORD);

    // The client's own key for mutual TLS, and the broker's trust store that accepts it.
    clientStore = certs.resolve("client.p12");
    Path brokerClientTrust = certs.resolve("broker-client-trust.p12");
    KeyTool.selfSigned(clientStore, "client", "CN=" + USER, CLIENT_STORE_PASSWORD, null);
    KeyTool.trust(clientStore, "client", CLIENT_STORE_PASSWORD, brokerClientTrust, CLIENT_TRUST_PASSWORD);

    broker = ForkedKafkaBroker.startSecured(new ForkedKafkaBroker.Security(USER, PASSWORD,
        brokerStore, BROKER_STORE_PASSWORD, brokerClientTrust, CLIENT_TRUST_PASSWORD));
    Demo.createTopic(broker.bootstrapServers(), TOPIC, 2);
    samples = SampleReadings.generate(40, SampleReadings.DEFAULT_SEED);
    try (SyncProducer producer = SyncProducer.create(broker.bootstrapServers())) {
      producer.sendAll(samples.records(TOPIC));
    }
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  static String jaas(String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + USER
        + "\" password=\"" + password + "\";";
  }

  static List<String> scram(String bootstrap) {
    return List.of("--bootstrap-servers", bootstrap, "--kafka.security.protocol=SASL_PLAINTEXT",
        "--kafka.sasl.mechanism=SCRAM-SHA-512");
  }

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void scramCredentialsAsAnOptionIngest() throws Exception {
    List<String> args = new ArrayList<>(scram(broker.saslBootstrapServers()));
    args.add("--kafka.sasl.jaas.config=" + jaas(PASSWORD));
    Run run = ingest(args, List.of(), Map.of());
    run.assertIngestedEverything();
    run.assertShows("kafka.sasl.jaas.config=******");
  }

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void scramCredentialsFromSparkConfigurationIngest() throws Exception {
    // spark-submit --conf hands a client-mode driver its settings as spark.* system properties.
    Run run = ingest(scram(broker.saslBootstrapServers()),
        List.of("-Dspark.streamlake.kafka.sasl.jaas.config=" + jaas(PASSWORD)), Map.of());
    run.assertIngestedEverything();
    run.assertShows("kafka.sasl.jaas.config=******");
  }

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void scramCredentialsFromTheEnvironmentIngest() throws Exception {
    List<String> args = new ArrayList<>(scram(broker.saslBootstrapServers()));
    args.addAll(List.of("--kafka.config.providers=env",
        "--kafka.config.providers.env.class="
            + "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
        "--kafka.sasl.jaas.config=${env:STREAMLAKE_KAFKA_JAAS_CONFIG}"));
    Run run = ingest(args, List.of(), Map.of("STREAMLAKE_KAFKA_JAAS_CONFIG", jaas(PASSWORD)));
    run.assertIngestedEverything();
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aWrongScramPasswordStopsTheStageAtOnceSayingWhatWasRefused() throws Exception {
    String wrong = "S3cr3t-wrong-" + UUID.randomUUID();
    List<String> args = new ArrayList<>(scram(broker.saslBootstrapServers()));
    args.add("--kafka.sasl.jaas.config=" + jaas(wrong));
    Run run = ingest(args, List.of(), Map.of(), wrong);
    run.assertRefused("refused this client's credentials (--kafka.security.protocol"
        + " SASL_PLAINTEXT, --kafka.sasl.mechanism SCRAM-SHA-512)", "SCRAM-SHA-512",
        "Check the user and password in --kafka.sasl.jaas.config");
  }

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void tlsWithATrustStoreHoldingTheBrokersCertificateIngests() throws Exception {
    Run run = ingest(tls(trustStore), List.of(), Map.of());
    run.assertIngestedEverything();
    run.assertShows("kafka.ssl.truststore.password=******");
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void tlsWithAWrongTrustStoreStopsTheStageAtOnceSayingTheHandshakeFailed() throws Exception {
    Run run = ingest(tls(wrongTrustStore), List.of(), Map.of());
    run.assertRefused("The TLS handshake with Kafka at " + broker.sslBootstrapServers()
        + " failed (--kafka.security.protocol SSL)", "--kafka.ssl.truststore.location");
  }

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void plainCredentialsIngest() throws Exception {
    Run run = ingest(List.of("--bootstrap-servers", broker.saslBootstrapServers(),
        "--kafka.security.protocol=SASL_PLAINTEXT", "--kafka.sasl.mechanism=PLAIN",
        "--kafka.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"" + USER + "\" password=\"" + PASSWORD + "\";"), List.of(), Map.of());
    run.assertIngestedEverything();
    run.assertShows("kafka.sasl.jaas.config=******");
  }

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void mutualTlsWithTheClientsKeyIngests() throws Exception {
    List<String> args = new ArrayList<>(tls(broker.mtlsBootstrapServers(), trustStore));
    args.addAll(List.of("--kafka.ssl.keystore.location=" + clientStore,
        "--kafka.ssl.keystore.type=PKCS12", "--kafka.ssl.keystore.password=" + CLIENT_STORE_PASSWORD,
        "--kafka.ssl.key.password=" + CLIENT_STORE_PASSWORD));
    Run run = ingest(args, List.of(), Map.of());
    run.assertIngestedEverything();
    run.assertShows("kafka.ssl.keystore.password=******", "kafka.ssl.key.password=******");
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void mutualTlsWithoutAClientKeyStopsTheStageAtOnce() throws Exception {
    Run run = ingest(tls(broker.mtlsBootstrapServers(), trustStore), List.of(), Map.of());
    run.assertRefused("The TLS handshake with Kafka at " + broker.mtlsBootstrapServers()
        + " failed (--kafka.security.protocol SSL)", "--kafka.ssl.keystore.location");
  }

  static List<String> tls(Path trust) {
    return tls(broker.sslBootstrapServers(), trust);
  }

  static List<String> tls(String bootstrap, Path trust) {
    return List.of("--bootstrap-servers", bootstrap,
        "--kafka.security.protocol=SSL", "--kafka.ssl.truststore.location=" + trust,
        "--kafka.ssl.truststore.type=PKCS12", "--kafka.ssl.truststore.password=" + TRUST_PASSWORD);
  }

  /** Stage 1 for one availableNow run over the topic, and its whole output. */
  Run ingest(List<String> securityArgs, List<String> jvmOptions, Map<String, String> environment,
      String... moreSecrets) throws Exception {
    Path lake = dir.resolve("lake");
    Path runDir = Files.createDirectories(dir.resolve("run"));
    List<String> args = new ArrayList<>(List.of("--lake", lake.toString(), "--trigger",
        "availableNow", "--topic", TOPIC, "--wait-for-topic", "2m"));
    args.addAll(securityArgs);
    List<String> jvm = new ArrayList<>(List.of("-Dlog4j2.configurationFile="
        + SecretMaskingIT.sparkDefaultLogConfig(runDir).toUri()));
    jvm.addAll(jvmOptions);
    Instant start = Instant.now();
    StageProcess driver = StageProcess.start(Repository.find(), StageModule.RAW_INGEST, args,
        runDir, jvm, environment);
    try {
      await("raw-ingest ends").atMost(RUN_TIMEOUT).pollInterval(Duration.ofMillis(500))
          .until(() -> !driver.isAlive());
    } finally {
      driver.stop();
    }
    Duration took = Duration.between(start, Instant.now());
    String log = Files.readString(driver.logFile(), StandardCharsets.UTF_8);
    List<String> secrets = new ArrayList<>(List.of(PASSWORD, BROKER_STORE_PASSWORD, TRUST_PASSWORD,
        OTHER_STORE_PASSWORD, CLIENT_STORE_PASSWORD, CLIENT_TRUST_PASSWORD));
    secrets.addAll(List.of(moreSecrets));
    for (String secret : secrets) {
      assertThat(log.lines().filter(l -> l.contains(secret)).toList())
          .as("lines of the driver's output (%s) that show a secret", driver.logFile()).isEmpty();
    }
    assertThat(log).as("our start-up line in %s", driver.logFile()).contains(" starting with ");
    return new Run(driver, log, lake, took);
  }

  record Run(StageProcess driver, String log, Path lake, Duration took) {
    void assertIngestedEverything() {
      assertThat(driver.exitCode()).as("exit code; log %s:\n%s", driver.logFile(),
          driver.logTail(60)).isZero();
      assertThat(log).as("Spark logging at INFO").contains("INFO MicroBatchExecution");
      assertThat(new PipelineReport(TestSpark.session(), lake).counts().raw())
          .as("raw rows").isEqualTo(samples.expectedRaw());
    }

    void assertShows(String... texts) {
      assertThat(log).as("output of %s", driver.logFile()).contains(texts);
    }

    void assertRefused(String... parts) {
      assertThat(driver.exitCode()).as("exit code; log %s", driver.logFile()).isNotZero();
      assertThat(took).as("time to stop").isLessThan(REFUSAL_WITHIN);
      String refusal = log.lines().filter(l -> l.contains("KafkaRefusedException")).findFirst()
          .orElseThrow(() -> new AssertionError("no KafkaRefusedException line in "
              + driver.logFile() + ":\n" + driver.logTail(40)));
      assertThat(refusal).contains(parts);
      assertThat(log).as("no Spark session was started").doesNotContain("INFO SparkContext: Running Spark");
      assertThat(Files.exists(lake.resolve("raw"))).as("no raw table").isFalse();
    }
  }
}
