package dev.streamlake.deserialize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads schemas by id from a Confluent-compatible schema registry: {@code GET /schemas/ids/{id}}
 * answers {@code {"schema": "<avsc>"}} (and, for non-Avro schemas, a {@code schemaType}).
 *
 * <p>Only the registry's own "schema not found" (HTTP 404 with {@code error_code} 40403) means the
 * id does not exist. Everything else that is not a schema (another status, a 404 from something
 * that is not the registry, a timeout, a TLS or connection failure, an unreadable reply) is
 * {@link SchemaRegistryUnavailableException}: a wrong base path or an expired password must stop
 * the batch, not turn every record into a dead letter.
 *
 * <p>Secrets are read from their {@link SecretSource} for every request, so a rotated token file
 * is picked up; messages name the registry, the auth scheme and where the secret comes from, and
 * a reply body quoted in a message has any credential of ours masked.
 */
final class SchemaRegistryClient {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** Confluent's {@code error_code} for "Schema not found". */
  static final int SCHEMA_NOT_FOUND = 40403;

  /** One client per registry setup and JVM: its HttpClient keeps connections and TLS sessions. */
  private static final Map<SchemaRegistrySettings, SchemaRegistryClient> SHARED =
      new ConcurrentHashMap<>();

  /** The registry's answer for one id. */
  sealed interface Answer permits Found, NotFound, NotAvro {}

  record Found(String schema) implements Answer {}

  record NotFound() implements Answer {}

  record NotAvro(String schemaType) implements Answer {}

  /** What a request carries: the header value and the secret in it, both masked in messages. */
  private record Credentials(String header, String secret) {}

  private final SchemaRegistrySettings settings;
  private final Function<String, String> env;
  private final String baseUrl;
  private final HttpClient http;

  /**
   * Throws {@link SchemaRegistryUnavailableException} when a trust or key store cannot be loaded.
   *
   * @param env environment variables by name ({@code System::getenv} but in tests)
   */
  SchemaRegistryClient(SchemaRegistrySettings settings, Function<String, String> env) {
    this.settings = settings;
    this.env = env;
    this.baseUrl = settings.baseUrl();
    Duration timeout = settings.timeout();
    HttpClient.Builder http = HttpClient.newBuilder()
        .connectTimeout(timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT);
    if (settings.trustStore() != null || settings.keyStore() != null) {
      http.sslContext(sslContext());
    }
    this.http = http.build();
  }

  /** The JVM's client for these settings, with secrets from the process environment. */
  static SchemaRegistryClient shared(SchemaRegistrySettings settings) {
    return SHARED.computeIfAbsent(settings, s -> new SchemaRegistryClient(s, System::getenv));
  }

  SchemaRegistrySettings settings() {
    return settings;
  }

  Answer schemaById(int id) {
    String url = baseUrl + "/schemas/ids/" + id;
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(settings.timeout())
            .header("Accept", "application/vnd.schemaregistry.v1+json, application/json")
            .GET();
    Credentials credentials = authorize(request);
    HttpResponse<String> response;
    try {
      response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw failed(url, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaRegistryUnavailableException("interrupted during GET " + url, e);
    }
    int status = response.statusCode();
    String body = response.body();
    LOG.debug("Schema registry GET {}: HTTP {}", url, status);
    if (status == 404 && errorCode(body) == SCHEMA_NOT_FOUND) {
      return new NotFound();
    }
    if (status != 200) {
      throw new SchemaRegistryUnavailableException(refused(url, status, body, credentials));
    }
    JsonNode reply;
    try {
      reply = JSON.readTree(body);
    } catch (IOException e) {
      throw new SchemaRegistryUnavailableException("schema registry sent an unreadable reply to"
          + " GET " + url + ": " + quote(body, credentials), e);
    }
    JsonNode type = reply == null ? null : reply.get("schemaType");
    if (type != null && type.isTextual() && !type.asText().equalsIgnoreCase("AVRO")) {
      return new NotAvro(type.asText());
    }
    JsonNode schema = reply == null ? null : reply.get("schema");
    if (schema == null || !schema.isTextual()) {
      throw new SchemaRegistryUnavailableException("schema registry reply to GET " + url
          + " has no \"schema\" string: " + quote(body, credentials));
    }
    return new Found(schema.asText());
  }

  private Credentials authorize(HttpRequest.Builder request) {
    Credentials c;
    if (settings.bearerToken() != null) {
      String token = secret(settings.bearerToken());
      c = new Credentials("Bearer " + token, token);
    } else if (settings.basicAuthUser() != null) {
      String password = secret(settings.basicAuthPassword());
      c = basic(settings.basicAuthUser(), password);
    } else {
      String[] userInfo = settings.userInfo();
      if (userInfo == null) {
        return null;
      }
      c = basic(userInfo[0], userInfo[1]);
    }
    try {
      request.header("Authorization", c.header());
    } catch (IllegalArgumentException e) {
      // Not chained: the JDK's message may quote the header value.
      throw new SchemaRegistryUnavailableException("the schema registry credentials ("
          + settings.auth() + ") contain characters an HTTP header cannot carry, such as a line"
          + " break");
    }
    return c;
  }

  private static Credentials basic(String user, String password) {
    String pair = user + ":" + password;
    return new Credentials(
        "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)),
        password);
  }

  private String secret(SecretSource source) {
    try {
      return source.read(env);
    } catch (SecretSource.UnreadableSecretException e) {
      throw new SchemaRegistryUnavailableException(
          "no credentials for the schema registry " + baseUrl + ": " + e.getMessage());
    }
  }

  private String refused(String url, int status, String body, Credentials credentials) {
    if (status == 401 || status == 403) {
      // The body is left out: an auth failure page has nothing to add and may echo the request.
      return "schema registry " + baseUrl + (status == 401
          ? " refused the credentials (HTTP 401)"
          : " denied access (HTTP 403)") + " to GET " + url + "; auth: " + settings.auth()
          + ". Check the schema registry credentials and that they may read schemas.";
    }
    if (status == 404) {
      return "schema registry answered HTTP 404 without Confluent error_code " + SCHEMA_NOT_FOUND
          + " (schema not found) to GET " + url + ", so this is not the registry saying the id"
          + " is unknown: is the URL right, including its base path? Reply: "
          + quote(body, credentials);
    }
    return "schema registry answered HTTP " + status + " to GET " + url + ": "
        + quote(body, credentials);
  }

  /** Sorted by the failure's type: the JDK puts what went wrong in the type, not the message. */
  private SchemaRegistryUnavailableException failed(String url, IOException e) {
    String message;
    if (e instanceof HttpConnectTimeoutException) {
      message = "schema registry unreachable: no connection to " + baseUrl + " within "
          + SchemaRegistrySettings.format(MAX_CONNECT_TIMEOUT.compareTo(settings.timeout()) < 0
              ? MAX_CONNECT_TIMEOUT : settings.timeout())
          + " for GET " + url;
    } else if (e instanceof HttpTimeoutException) {
      message = "schema registry timed out: no answer to GET " + url + " within "
          + SchemaRegistrySettings.format(settings.timeout()) + " (--schema-registry-timeout)";
    } else if (cause(e, SSLException.class) != null) {
      message = "schema registry unreachable: TLS with " + baseUrl + " failed for GET " + url
          + " (" + DecodeFailure.describe(cause(e, SSLException.class)) + "). TLS: "
          + settings.tls() + ". Check that the trust store (--schema-registry-trust-store) holds"
          + " the registry's certificate or its CA, and the client key store"
          + " (--schema-registry-key-store) if the registry asks for one.";
    } else {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      message = "schema registry unreachable: GET " + url + " failed: "
          + DecodeFailure.describe(e)
          + (root == e ? "" : " (" + DecodeFailure.describe(root) + ")");
    }
    return new SchemaRegistryUnavailableException(message, e);
  }

  private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  private static int errorCode(String body) {
    try {
      JsonNode code = JSON.readTree(body).get("error_code");
      return code != null && code.canConvertToInt() ? code.asInt() : -1;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The start of a reply body, with our credentials masked should anything echo them. */
  private static String quote(String body, Credentials credentials) {
    if (body == null) {
      return "";
    }
    String s = body.length() <= 300 ? body : body.substring(0, 300) + "...";
    if (credentials != null) {
      s = s.replace(credentials.header(), "******");
      if (!credentials.secret().isEmpty()) {
        s = s.replace(credentials.secret(), "******");
      }
    }
    return s;
  }

  private SSLContext sslContext() {
    try {
      TrustManager[] trust = null;
      if (settings.trustStore() != null) {
        TrustManagerFactory f =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(load(settings.trustStore(), settings.trustStorePassword(),
            "--schema-registry-trust-store"));
        trust = f.getTrustManagers();
      }
      KeyManager[] keys = null;
      if (settings.keyStore() != null) {
        char[] password = secret(settings.keyStorePassword()).toCharArray();
        KeyManagerFactory f =
            KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        f.init(load(settings.keyStore(), settings.keyStorePassword(),
            "--schema-registry-key-store"), password);
        keys = f.getKeyManagers();
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys, trust, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new SchemaRegistryUnavailableException("cannot set up TLS for the schema registry "
          + baseUrl + " (" + settings.tls() + "): " + DecodeFailure.describe(e), e);
    }
  }

  /** A PKCS12 or JKS store; the JDK tells them apart by content. */
  private KeyStore load(String path, SecretSource password, String setting) {
    char[] pw = password == null ? null : secret(password).toCharArray();
    try {
      return KeyStore.getInstance(new File(path), pw);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new SchemaRegistryUnavailableException("cannot load " + setting + " " + path
          + (password == null ? "" : " with the password from " + password) + ": "
          + DecodeFailure.describe(e), e);
    }
  }
}
