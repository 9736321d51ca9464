package dev.streamlake.deserialize;

import static dev.streamlake.common.ConfigException.invalid;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.Durations;
import dev.streamlake.common.Urls;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * Stage 2's schema registry settings (a picocli mixin inside {@link DeserializeOptions}, and of
 * the commands that classify as stage 2 does, such as re-drive), checked into a
 * {@link SchemaRegistrySettings}.
 *
 * <p>Credentials are named here (an environment variable or a file), never given: a value would
 * sit in the process list, the job definition and every log of the command line.
 */
public final class SchemaRegistryOptions {
  private static final String DURATIONS = "a duration such as 500ms, 30s, 5m or 1h";

  @Option(
      names = "--schema-registry-url",
      paramLabel = "URL",
      description = "Confluent-compatible schema registry asked for writer schema ids the schema"
          + " folder lacks. Overrides the pipeline's schemas.registryUrl.")
  String schemaRegistryUrl;

  @Option(
      names = "--schema-registry-basic-auth-user",
      paramLabel = "USER",
      description = "HTTP basic auth user for the schema registry; the password comes from"
          + " --schema-registry-basic-auth-password-env or -file.")
  String registryUser;

  @Option(
      names = "--schema-registry-basic-auth-password-env",
      paramLabel = "NAME",
      description = "Environment variable holding the basic auth password. It must be set for the"
          + " driver and every executor (spark.executorEnv.NAME; spark_env_vars on Databricks).")
  String registryPasswordEnv;

  @Option(
      names = "--schema-registry-basic-auth-password-file",
      paramLabel = "PATH",
      description = "File holding the basic auth password, readable by the driver and every"
          + " executor.")
  String registryPasswordFile;

  @Option(
      names = "--schema-registry-bearer-token-env",
      paramLabel = "NAME",
      description = "Environment variable holding a bearer token for the schema registry (driver"
          + " and every executor).")
  String registryTokenEnv;

  @Option(
      names = "--schema-registry-bearer-token-file",
      paramLabel = "PATH",
      description = "File holding a bearer token for the schema registry, read for every request"
          + " so a rotated token is picked up.")
  String registryTokenFile;

  @Option(
      names = "--schema-registry-trust-store",
      paramLabel = "PATH",
      description = "PKCS12 or JKS file of certificates trusted for an https:// registry, readable"
          + " by the driver and every executor. Default: the JVM's trust store.")
  String trustStore;

  @Option(
      names = "--schema-registry-trust-store-password-env",
      paramLabel = "NAME",
      description = "Environment variable holding the trust store password.")
  String trustStorePasswordEnv;

  @Option(
      names = "--schema-registry-trust-store-password-file",
      paramLabel = "PATH",
      description = "File holding the trust store password.")
  String trustStorePasswordFile;

  @Option(
      names = "--schema-registry-key-store",
      paramLabel = "PATH",
      description = "PKCS12 or JKS file with the client key and certificate, for a registry that"
          + " requires mutual TLS. Its password also unlocks the key.")
  String keyStore;

  @Option(
      names = "--schema-registry-key-store-password-env",
      paramLabel = "NAME",
      description = "Environment variable holding the key store password.")
  String keyStorePasswordEnv;

  @Option(
      names = "--schema-registry-key-store-password-file",
      paramLabel = "PATH",
      description = "File holding the key store password.")
  String keyStorePasswordFile;

  @Option(
      names = "--schema-registry-timeout",
      paramLabel = "DURATION",
      description = "Longest wait for one registry request, e.g. 500ms, 10s, 1m. A timeout fails"
          + " the batch. Default: 30s.")
  String registryTimeout;

  @Option(
      names = "--schema-registry-miss-ttl",
      paramLabel = "DURATION",
      description = "How long each JVM remembers that the registry does not know a schema id"
          + " before asking again, e.g. 30s, 5m; 0s: not at all. Default: 5m.")
  String registryMissTtl;

  @Option(
      names = "--schema-registry-max-misses-per-task",
      paramLabel = "N",
      description = "\"Not found\" answers one task may ask the registry for; after that, new"
          + " schema ids in that task become UNKNOWN_SCHEMA_ID dead letters without a lookup."
          + " Bounds the requests a flood of random ids costs. Default: 100.")
  Integer registryMaxMissesPerTask;

  /**
   * The registry settings, or null when neither option nor pipeline names a registry.
   *
   * @param pipelineUrl the pipeline's {@code schemas.registryUrl}, which the option overrides
   * @param env environment variables by name, for checking that named secrets are there
   */
  SchemaRegistrySettings toSettings(String pipelineUrl, Function<String, String> env) {
    String setting = "schemas.registryUrl";
    String url = pipelineUrl;
    if (schemaRegistryUrl != null) {
      setting = "--schema-registry-url";
      url = schemaRegistryUrl.trim();
    }
    if (url == null) {
      String stray = registryOptionInUse();
      if (stray != null) {
        throw new ConfigException(stray + " is set, but there is no schema registry: set"
            + " --schema-registry-url or the pipeline's schemas.registryUrl, or drop " + stray
            + ".");
      }
      return null;
    }
    checkUrl(setting, url);
    SchemaRegistrySettings urlOnly = SchemaRegistrySettings.of(url);
    boolean userInfo = urlOnly.userInfo() != null;

    SecretSource password = secret("--schema-registry-basic-auth-password",
        registryPasswordEnv, registryPasswordFile);
    SecretSource token =
        secret("--schema-registry-bearer-token", registryTokenEnv, registryTokenFile);
    SecretSource trustPassword = secret("--schema-registry-trust-store-password",
        trustStorePasswordEnv, trustStorePasswordFile);
    SecretSource keyPassword = secret("--schema-registry-key-store-password",
        keyStorePasswordEnv, keyStorePasswordFile);
    if (registryUser != null && registryUser.isBlank()) {
      throw invalid("--schema-registry-basic-auth-user", registryUser, "a user name");
    }
    if (registryUser != null && password == null) {
      throw new ConfigException("--schema-registry-basic-auth-user needs a password: set"
          + " --schema-registry-basic-auth-password-env NAME or"
          + " --schema-registry-basic-auth-password-file PATH.");
    }
    if (password != null && registryUser == null) {
      throw new ConfigException(password.setting() + " needs --schema-registry-basic-auth-user.");
    }
    if (password != null && token != null) {
      throw new ConfigException("Both basic auth (" + password.setting() + ") and a bearer token ("
          + token.setting() + ") are set for the schema registry. Allowed: one of them.");
    }
    if (userInfo && (password != null || token != null)) {
      throw new ConfigException("The schema registry URL (" + setting + ") has user info and "
          + (password != null ? password.setting() : token.setting()) + " is set. Allowed: one"
          + " of them; prefer the option, which keeps the secret out of the URL.");
    }
    if (trustStore == null && trustPassword != null) {
      throw new ConfigException(trustPassword.setting() + " needs --schema-registry-trust-store.");
    }
    if (keyStore == null && keyPassword != null) {
      throw new ConfigException(keyPassword.setting() + " needs --schema-registry-key-store.");
    }
    if (keyStore != null && keyPassword == null) {
      throw new ConfigException("--schema-registry-key-store needs a password: set"
          + " --schema-registry-key-store-password-env NAME or"
          + " --schema-registry-key-store-password-file PATH.");
    }
    if ((trustStore != null || keyStore != null) && !urlOnly.https()) {
      throw new ConfigException((trustStore != null ? "--schema-registry-trust-store"
          : "--schema-registry-key-store") + " needs an https:// schema registry URL, but "
          + setting + " is " + urlOnly.baseUrl() + ".");
    }
    Duration timeout = Durations.parse("--schema-registry-timeout", registryTimeout,
        SchemaRegistrySettings.DEFAULT_TIMEOUT, DURATIONS);
    if (timeout.isZero()) {
      throw invalid("--schema-registry-timeout", registryTimeout, DURATIONS + ", more than 0");
    }
    Duration missTtl = Durations.parse("--schema-registry-miss-ttl", registryMissTtl,
        SchemaRegistrySettings.DEFAULT_MISS_TTL, DURATIONS);
    int maxMisses = SchemaRegistrySettings.DEFAULT_MAX_MISSES_PER_TASK;
    if (registryMaxMissesPerTask != null) {
      if (registryMaxMissesPerTask < 1) {
        throw invalid("--schema-registry-max-misses-per-task", registryMaxMissesPerTask,
            "a positive number");
      }
      maxMisses = registryMaxMissesPerTask;
    }
    SchemaRegistrySettings registry = new SchemaRegistrySettings(url,
        registryUser == null ? null : registryUser.trim(), password, token,
        trustStore, trustPassword, keyStore, keyPassword, timeout, missTtl, maxMisses);
    checkReadable(registry, env);
    return registry;
  }

  private static void checkUrl(String setting, String url) {
    // Shown without user info; the rest of the URL says what is wrong with it.
    String shown = Urls.withoutUserInfo(url);
    String allowed = "an http:// or https:// URL with a host, such as https://registry:8081,"
        + " without ?query or #fragment";
    if (!(url.startsWith("http://") || url.startsWith("https://"))) {
      throw invalid(setting, shown, allowed);
    }
    URI uri;
    try {
      uri = new URI(shown);
    } catch (URISyntaxException e) {
      throw invalid(setting, shown, allowed);
    }
    if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw invalid(setting, shown, allowed);
    }
    int start = url.indexOf("://") + 3;
    int at = url.lastIndexOf('@');
    if (at < start) {
      return;
    }
    String allowedUserInfo = ". Allowed: user:password@ before the host, percent-encoded.";
    if (url.substring(start, at).indexOf(':') <= 0) {
      throw new ConfigException("Invalid user info in " + setting + " " + shown + allowedUserInfo);
    }
    try {
      SchemaRegistrySettings.of(url).userInfo();
    } catch (IllegalArgumentException e) {
      throw new ConfigException("Invalid user info in " + setting + " " + shown + ": "
          + e.getMessage() + allowedUserInfo);
    }
  }

  /** The secret named by the {@code -env} or the {@code -file} variant of {@code option}. */
  private static SecretSource secret(String option, String envName, String file) {
    if (envName != null && file != null) {
      throw new ConfigException("Both " + option + "-env and " + option + "-file are set."
          + " Allowed: one of them.");
    }
    if (envName != null) {
      if (envName.isBlank()) {
        throw invalid(option + "-env", envName, "the name of an environment variable");
      }
      return SecretSource.env(envName.trim(), option + "-env");
    }
    if (file != null) {
      if (file.isBlank()) {
        throw invalid(option + "-file", file, "the path of a file");
      }
      return SecretSource.file(file.trim(), option + "-file");
    }
    return null;
  }

  /**
   * Every named secret and store is there on the driver, or one message lists what is not.
   * Executors read them again; their environment is set apart (spark.executorEnv.*).
   */
  private static void checkReadable(SchemaRegistrySettings r, Function<String, String> env) {
    List<String> problems = new ArrayList<>();
    for (SecretSource s : new SecretSource[] {r.basicAuthPassword(), r.bearerToken(),
        r.trustStorePassword(), r.keyStorePassword()}) {
      if (s == null) {
        continue;
      }
      try {
        s.read(env);
      } catch (SecretSource.UnreadableSecretException e) {
        problems.add(e.getMessage());
      }
    }
    String[][] stores = {{"--schema-registry-trust-store", r.trustStore()},
        {"--schema-registry-key-store", r.keyStore()}};
    for (String[] store : stores) {
      if (store[1] != null && !Files.isReadable(Path.of(store[1]))) {
        problems.add(store[0] + " " + store[1] + " is not a readable file");
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException("Schema registry credentials are not available: "
          + String.join("; ", problems) + ".");
    }
  }

  private String registryOptionInUse() {
    Object[][] options = {
      {"--schema-registry-basic-auth-user", registryUser},
      {"--schema-registry-basic-auth-password-env", registryPasswordEnv},
      {"--schema-registry-basic-auth-password-file", registryPasswordFile},
      {"--schema-registry-bearer-token-env", registryTokenEnv},
      {"--schema-registry-bearer-token-file", registryTokenFile},
      {"--schema-registry-trust-store", trustStore},
      {"--schema-registry-trust-store-password-env", trustStorePasswordEnv},
      {"--schema-registry-trust-store-password-file", trustStorePasswordFile},
      {"--schema-registry-key-store", keyStore},
      {"--schema-registry-key-store-password-env", keyStorePasswordEnv},
      {"--schema-registry-key-store-password-file", keyStorePasswordFile},
      {"--schema-registry-timeout", registryTimeout},
      {"--schema-registry-miss-ttl", registryMissTtl},
      {"--schema-registry-max-misses-per-task", registryMaxMissesPerTask},
    };
    for (Object[] o : options) {
      if (o[1] != null) {
        return (String) o[0];
      }
    }
    return null;
  }
}
