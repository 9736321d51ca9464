package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.ConfigException;
import dev.streamlake.common.PipelineConfig;
import dev.streamlake.local.SensorReadingPayloads;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Basic auth and bearer tokens from environment variables, files and the URL's user info, checked
 * by the registry; and that no secret or user info ever shows: every test's log lines (all levels),
 * exceptions, dead-letter messages and effective-config lines are searched for them.
 */
class SchemaRegistryAuthTest {
  static final String PASSWORD = "pw-Zq81:basic";
  static final String TOKEN = "tok-Xy77.bearer";
  static final String WRONG = "wrong-Ww99";
  static final String URL_USER = "u-Qq55";
  static final String URL_PASSWORD = "url/pw Kk22";
  static final String URL_USER_INFO = URL_USER + ":url%2Fpw%20Kk22";

  final TestRegistry registry = TestRegistry.http().schema(7, SchemaRegistryTest.V3);
  final SecretWatch watch = new SecretWatch();
  @TempDir Path dir;

  @AfterEach
  void nothingSecretShowed() {
    watch.close();
    registry.close();
    watch.assertNeverShows(PASSWORD, TOKEN, WRONG, URL_USER, URL_PASSWORD, URL_USER_INFO,
        "url%2Fpw", basic(URL_USER, URL_PASSWORD), basic("alice", PASSWORD),
        basic("alice", WRONG));
  }

  static String basic(String user, String password) {
    return Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  DeserializeConfig config(String url, Map<String, String> env, String... options) {
    List<String> args = new ArrayList<>(List.of("--lake", dir.resolve("lake").toString(),
        "--schema-registry-url", url));
    args.addAll(List.of(options));
    DeserializeConfig c = DeserializeConfig.fromArgs(args.toArray(String[]::new), env::get);
    watch.text(CommandLines.effectiveConfig(c.describe()));
    watch.text(c.toString());
    return c;
  }

  SchemaRegistrySettings settings(Map<String, String> env, String... options) {
    return config(registry.url(), env, options).schemaRegistry();
  }

  static WriterSchemas task(SchemaRegistrySettings s, Map<String, String> env) {
    return new WriterSchemas(SensorReadingPayloads.SCHEMA_DIRECTORY, s,
        r -> new SchemaRegistryClient(r, env::get), System::nanoTime);
  }

  Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content);
  }

  @Test
  void basicAuthWithThePasswordFromAnEnvironmentVariable() {
    registry.requireAuthorization("Basic " + basic("alice", PASSWORD));
    Map<String, String> env = Map.of("REGISTRY_PASSWORD", PASSWORD);
    SchemaRegistrySettings s = settings(env, "--schema-registry-basic-auth-user", "alice",
        "--schema-registry-basic-auth-password-env", "REGISTRY_PASSWORD");
    assertThat(task(s, env).find(7)).isInstanceOf(WriterSchemas.Found.class);
    assertThat(s.auth()).isEqualTo(
        "basic auth as 'alice' with the password from env REGISTRY_PASSWORD");
  }

  @Test
  void basicAuthWithThePasswordFromAFile() throws IOException {
    registry.requireAuthorization("Basic " + basic("alice", PASSWORD));
    // As `echo "$PASSWORD" > file` writes it: the line break is not part of the password.
    Path password = file("registry-password", PASSWORD + "\n");
    SchemaRegistrySettings s = settings(Map.of(), "--schema-registry-basic-auth-user", "alice",
        "--schema-registry-basic-auth-password-file", password.toString());
    assertThat(task(s, Map.of()).find(7)).isInstanceOf(WriterSchemas.Found.class);
  }

  @Test
  void bearerTokenFromAnEnvironmentVariable() {
    registry.requireAuthorization("Bearer " + TOKEN);
    Map<String, String> env = Map.of("REGISTRY_TOKEN", TOKEN);
    SchemaRegistrySettings s =
        settings(env, "--schema-registry-bearer-token-env", "REGISTRY_TOKEN");
    assertThat(task(s, env).find(7)).isInstanceOf(WriterSchemas.Found.class);
  }

  @Test
  void bearerTokenFromAFileIsReadAgainForEveryRequest() throws IOException {
    registry.requireAuthorization("Bearer " + TOKEN);
    Path token = file("token", TOKEN);
    SchemaRegistrySettings s =
        settings(Map.of(), "--schema-registry-bearer-token-file", token.toString());
    SchemaRegistryClient client = new SchemaRegistryClient(s, name -> null);
    assertThat(client.schemaById(7)).isInstanceOf(SchemaRegistryClient.Found.class);
    // A rotated token (a Kubernetes projected token, a refreshed OAuth token) is picked up.
    registry.requireAuthorization("Bearer " + TOKEN + "-2");
    Files.writeString(token, TOKEN + "-2\n");
    assertThat(client.schemaById(7)).isInstanceOf(SchemaRegistryClient.Found.class);
  }

  @Test
  void urlUserInfoIsBasicAuthAndNeverShown() {
    registry.requireAuthorization("Basic " + basic(URL_USER, URL_PASSWORD));
    DeserializeConfig c = config(registry.url(URL_USER_INFO), Map.of());
    SchemaRegistrySettings s = c.schemaRegistry();
    assertThat(s.baseUrl()).isEqualTo(registry.url());
    assertThat(c.describe()).containsEntry("schema-registry-url", registry.url())
        .containsEntry("schema-registry-auth", "basic auth from the URL's user info");
    watch.text(c.decoderSettings().toString());
    assertThat(task(s, Map.of()).find(7)).isInstanceOf(WriterSchemas.Found.class);
    // The watch sees debug lines too, so finding no secret in them means something.
    assertThat(watch.all()).contains("Schema registry GET " + registry.url() + "/schemas/ids/7");

    // The dead letter of an unknown id names the registry without the user info.
    PayloadDecoder decoder = PayloadDecoder.create(c.decoderSettings());
    DecodeFailure f = PayloadDecoderTest.failed(
        decoder.decode(SensorReadingPayloads.wire(9000, new byte[] {2})),
        ErrorCode.UNKNOWN_SCHEMA_ID);
    assertThat(watch.text(f.message())).contains(registry.url());

    registry.respond(503, "{\"error_code\":50301,\"message\":\"down\"}");
    SchemaRegistryUnavailableException e = watch.exception(catchUnavailable(
        () -> task(s, Map.of()).find(9001)));
    assertThat(e).hasMessageContaining(registry.url() + "/schemas/ids/9001");
  }

  @Test
  void wrongCredentialsFailTheBatchNamingTheRegistryNotTheSecret() {
    registry.requireAuthorization("Basic " + basic("alice", PASSWORD));
    Map<String, String> env = Map.of("REGISTRY_PASSWORD", WRONG);
    SchemaRegistrySettings s = settings(env, "--schema-registry-basic-auth-user", "alice",
        "--schema-registry-basic-auth-password-env", "REGISTRY_PASSWORD");
    SchemaRegistryUnavailableException e =
        watch.exception(catchUnavailable(() -> task(s, env).find(7)));
    assertThat(e.getMessage())
        .contains(registry.hostAndPort())
        .contains("refused the credentials (HTTP 401)")
        .contains("basic auth as 'alice' with the password from env REGISTRY_PASSWORD");

    registry.requireAuthorization("Bearer " + TOKEN);
    Map<String, String> wrongToken = Map.of("REGISTRY_TOKEN", WRONG);
    SchemaRegistrySettings bearer =
        settings(wrongToken, "--schema-registry-bearer-token-env", "REGISTRY_TOKEN");
    assertThat(watch.exception(catchUnavailable(() -> task(bearer, wrongToken).find(7))))
        .hasMessageContaining(registry.hostAndPort())
        .hasMessageContaining("bearer token from env REGISTRY_TOKEN");
  }

  @Test
  void credentialsEchoedInAnErrorReplyAreMasked() {
    registry.echoAuthorization().respond(500, "internal error");
    Map<String, String> env = Map.of("REGISTRY_PASSWORD", PASSWORD);
    SchemaRegistrySettings s = settings(env, "--schema-registry-basic-auth-user", "alice",
        "--schema-registry-basic-auth-password-env", "REGISTRY_PASSWORD");
    assertThat(watch.exception(catchUnavailable(() -> task(s, env).find(7))))
        .hasMessageContaining("HTTP 500")
        .hasMessageContaining("internal error (you sent Authorization: ******, alice:******)");
  }

  @Test
  void aSecretMissingOnAnExecutorFailsTheBatchSayingWhereToSetIt() {
    Map<String, String> driver = Map.of("REGISTRY_TOKEN", TOKEN);
    SchemaRegistrySettings s =
        settings(driver, "--schema-registry-bearer-token-env", "REGISTRY_TOKEN");
    assertThat(watch.exception(catchUnavailable(() -> task(s, Map.of()).find(7))))
        .hasMessageContaining("environment variable REGISTRY_TOKEN")
        .hasMessageContaining("not set")
        .hasMessageContaining("spark.executorEnv.REGISTRY_TOKEN");
    assertThat(registry.requests).isEmpty();
  }

  @Test
  void namedSecretsMustExistWhenTheStageStarts() {
    ConfigException e = watch.exception(catchConfig(() -> settings(Map.of(),
        "--schema-registry-basic-auth-user", "alice",
        "--schema-registry-basic-auth-password-env", "REGISTRY_PASSWORD")));
    assertThat(e).hasMessageContaining("environment variable REGISTRY_PASSWORD"
        + " (--schema-registry-basic-auth-password-env) is not set");

    e = watch.exception(catchConfig(() -> config(registry.url().replace("http:", "https:"),
        Map.of("EMPTY", ""),
        "--schema-registry-bearer-token-file", dir.resolve("no-token").toString(),
        "--schema-registry-trust-store", dir.resolve("no-such-store.p12").toString(),
        "--schema-registry-trust-store-password-env", "EMPTY")));
    assertThat(e.getMessage())
        .startsWith("Schema registry credentials are not available: ")
        .contains("cannot read file " + dir.resolve("no-token")
            + " (--schema-registry-bearer-token-file)")
        .contains("environment variable EMPTY (--schema-registry-trust-store-password-env) is"
            + " empty")
        .contains("--schema-registry-trust-store " + dir.resolve("no-such-store.p12")
            + " is not a readable file");
  }

  @Test
  void secretsDoNotTravelWithTheTask() throws IOException {
    Map<String, String> env = Map.of("REGISTRY_PASSWORD", PASSWORD);
    DeserializeConfig c = config(registry.url(), env, "--schema-registry-basic-auth-user",
        "alice", "--schema-registry-basic-auth-password-env", "REGISTRY_PASSWORD");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(c.decoderSettings());
    }
    String serialized = bytes.toString(StandardCharsets.ISO_8859_1);
    assertThat(serialized).contains("REGISTRY_PASSWORD").doesNotContain(PASSWORD);
  }

  @Test
  void theStartCheckSaysTheCredentialsWereRefused() {
    registry.requireAuthorization("Bearer " + TOKEN);
    Map<String, String> env = Map.of("REGISTRY_TOKEN", WRONG);
    SchemaRegistrySettings s =
        settings(env, "--schema-registry-bearer-token-env", "REGISTRY_TOKEN");
    ConfigException e = watch.exception(catchConfig(() -> SchemaRegistryCheck.verify(s,
        PipelineConfig.sensorReadings(), r -> new SchemaRegistryClient(r, env::get))));
    assertThat(e.getMessage())
        .startsWith("Cannot check the reader schema id 2 (schemas.readerId) with the schema"
            + " registry " + registry.url())
        .contains("refused the credentials (HTTP 401)")
        .contains("Stage 2 does not start");
  }

  static SchemaRegistryUnavailableException catchUnavailable(Runnable r) {
    try {
      r.run();
    } catch (SchemaRegistryUnavailableException e) {
      return e;
    }
    throw new AssertionError("expected SchemaRegistryUnavailableException");
  }

  static ConfigException catchConfig(Runnable r) {
    try {
      r.run();
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("expected ConfigException");
  }
}
