package dev.streamlake.deserialize;

import static dev.streamlake.deserialize.SchemaRegistryAuthTest.catchConfig;
import static dev.streamlake.deserialize.SchemaRegistryAuthTest.catchUnavailable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.PipelineConfig;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.testing.KeyTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry over HTTPS with a self-signed certificate made by the JDK's keytool: the right
 * trust store works, a wrong one fails the batch (and the start check) saying TLS failed, and a
 * registry that wants a client certificate gets one from the key store.
 */
class SchemaRegistryTlsTest {
  static final String REGISTRY_STORE_PASSWORD = "registry-Ss11";
  static final String TRUST_PASSWORD = "trust-Tt22";
  static final String CLIENT_PASSWORD = "client-Cc33";
  static final String CLIENTS_TRUST_PASSWORD = "clients-Uu44";

  @TempDir static Path certs;
  /** The registry's key and self-signed certificate (CN=localhost, SAN 127.0.0.1). */
  static Path registryStore;
  /** Trusts the registry's certificate: what the stage should be given. */
  static Path trustStore;
  /** The stage's client key and certificate, for mutual TLS. */
  static Path clientStore;
  /** Trusts only the client's certificate: the registry's side of mutual TLS, and a wrong trust
   * store for the stage. */
  static Path clientsTrust;

  @TempDir Path dir;
  final SecretWatch watch = new SecretWatch();
  final List<TestRegistry> registries = new ArrayList<>();

  @BeforeAll
  static void makeCertificates() throws Exception {
    registryStore = certs.resolve("registry.p12");
    trustStore = certs.resolve("trust.p12");
    clientStore = certs.resolve("client.p12");
    clientsTrust = certs.resolve("clients-trust.p12");
    KeyTool.selfSigned(registryStore, "registry", "CN=localhost", REGISTRY_STORE_PASSWORD,
        "SAN=dns:localhost,ip:127.0.0.1");
    KeyTool.trust(registryStore, "registry", REGISTRY_STORE_PASSWORD, trustStore, TRUST_PASSWORD);
    KeyTool.selfSigned(clientStore, "client", "CN=streamlake-deserialize", CLIENT_PASSWORD, null);
    KeyTool.trust(clientStore, "client", CLIENT_PASSWORD, clientsTrust, CLIENTS_TRUST_PASSWORD);
  }

  @AfterEach
  void nothingSecretShowed() {
    watch.close();
    registries.forEach(TestRegistry::close);
    watch.assertNeverShows(REGISTRY_STORE_PASSWORD, TRUST_PASSWORD, CLIENT_PASSWORD,
        CLIENTS_TRUST_PASSWORD);
  }

  TestRegistry registry(boolean needClientCertificate) throws Exception {
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(load(registryStore, REGISTRY_STORE_PASSWORD),
        REGISTRY_STORE_PASSWORD.toCharArray());
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(load(clientsTrust, CLIENTS_TRUST_PASSWORD));
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
    TestRegistry r = TestRegistry.https(tls, needClientCertificate)
        .schema(7, SchemaRegistryTest.V3)
        .schema(2, PipelineConfig.sensorReadings().readerSchema());
    registries.add(r);
    return r;
  }

  SchemaRegistrySettings settings(TestRegistry registry, Map<String, String> env,
      String... options) {
    List<String> args = new ArrayList<>(List.of("--lake", dir.resolve("lake").toString(),
        "--schema-registry-url", registry.url(), "--schema-registry-timeout", "10s"));
    args.addAll(List.of(options));
    DeserializeConfig c = DeserializeConfig.fromArgs(args.toArray(String[]::new), env::get);
    watch.text(String.valueOf(c.describe()));
    return c.schemaRegistry();
  }

  static WriterSchemas task(SchemaRegistrySettings s, Map<String, String> env) {
    return new WriterSchemas(SensorReadingPayloads.SCHEMA_DIRECTORY, s,
        r -> new SchemaRegistryClient(r, env::get), System::nanoTime);
  }

  @Test
  void theRightTrustStoreWorks() throws Exception {
    TestRegistry registry = registry(false);
    Path password = Files.writeString(dir.resolve("trust-password"), TRUST_PASSWORD + "\n");
    SchemaRegistrySettings s = settings(registry, Map.of(),
        "--schema-registry-trust-store", trustStore.toString(),
        "--schema-registry-trust-store-password-file", password.toString());
    assertThat(task(s, Map.of()).find(7)).isInstanceOf(WriterSchemas.Found.class);
    SchemaRegistryCheck.verify(s, PipelineConfig.sensorReadings(),
        r -> new SchemaRegistryClient(r, name -> null));
    assertThat(s.tls()).isEqualTo("trust store " + trustStore + " (password from file "
        + password + ")");
  }

  @Test
  void aWrongTrustStoreFailsTheBatchAndTheStartSayingTlsFailed() throws Exception {
    TestRegistry registry = registry(false);
    Map<String, String> env = Map.of("TRUST_PASSWORD", CLIENTS_TRUST_PASSWORD);
    SchemaRegistrySettings s = settings(registry, env,
        "--schema-registry-trust-store", clientsTrust.toString(),
        "--schema-registry-trust-store-password-env", "TRUST_PASSWORD");
    assertThat(watch.exception(catchUnavailable(() -> task(s, env).find(7))).getMessage())
        .contains("TLS with " + registry.url() + " failed")
        .contains("SSLHandshakeException")
        .contains("--schema-registry-trust-store");
    ConfigException e = watch.exception(catchConfig(() -> SchemaRegistryCheck.verify(s,
        PipelineConfig.sensorReadings(), r -> new SchemaRegistryClient(r, env::get))));
    assertThat(e.getMessage()).startsWith("Cannot check the reader schema id 2")
        .contains("TLS with");
    assertThat(registry.requests).isEmpty();
  }

  @Test
  void withoutATrustStoreTheJvmsDefaultDoesNotTrustASelfSignedRegistry() throws Exception {
    TestRegistry registry = registry(false);
    SchemaRegistrySettings s = settings(registry, Map.of());
    assertThat(s.tls()).isEqualTo("the JVM's default trust store");
    assertThat(watch.exception(catchUnavailable(() -> task(s, Map.of()).find(7))))
        .hasMessageContaining("TLS with");
  }

  @Test
  void aWrongTrustStorePasswordSaysWhichStore() throws Exception {
    TestRegistry registry = registry(false);
    Map<String, String> env = Map.of("TRUST_PASSWORD", "not-" + TRUST_PASSWORD);
    SchemaRegistrySettings s = settings(registry, env,
        "--schema-registry-trust-store", trustStore.toString(),
        "--schema-registry-trust-store-password-env", "TRUST_PASSWORD");
    assertThat(watch.exception(catchUnavailable(() -> task(s, env).find(7))).getMessage())
        .startsWith("cannot load --schema-registry-trust-store " + trustStore
            + " with the password from env TRUST_PASSWORD");
    ConfigException e = watch.exception(catchConfig(() -> SchemaRegistryCheck.verify(s,
        PipelineConfig.sensorReadings(), r -> new SchemaRegistryClient(r, env::get))));
    assertThat(e).hasMessageContaining("cannot load --schema-registry-trust-store");
  }

  @Test
  void mutualTlsPresentsTheClientCertificate() throws Exception {
    TestRegistry registry = registry(true);
    Map<String, String> env =
        Map.of("TRUST_PASSWORD", TRUST_PASSWORD, "KEY_PASSWORD", CLIENT_PASSWORD);
    SchemaRegistrySettings withKey = settings(registry, env,
        "--schema-registry-trust-store", trustStore.toString(),
        "--schema-registry-trust-store-password-env", "TRUST_PASSWORD",
        "--schema-registry-key-store", clientStore.toString(),
        "--schema-registry-key-store-password-env", "KEY_PASSWORD");
    assertThat(task(withKey, env).find(7)).isInstanceOf(WriterSchemas.Found.class);

    SchemaRegistrySettings withoutKey = settings(registry, env,
        "--schema-registry-trust-store", trustStore.toString(),
        "--schema-registry-trust-store-password-env", "TRUST_PASSWORD");
    // Another id: 7 is cached JVM-wide now and would need no request.
    assertThat(watch.exception(catchUnavailable(() -> task(withoutKey, env).find(9))))
        .hasMessageContaining(registry.hostAndPort());
  }

  private static KeyStore load(Path store, String password) throws Exception {
    return KeyStore.getInstance(store.toFile(), password.toCharArray());
  }
}
