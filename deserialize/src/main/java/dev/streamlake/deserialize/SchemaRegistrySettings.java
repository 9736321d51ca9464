package dev.streamlake.deserialize;

import dev.streamlake.common.Urls;
import java.io.Serializable;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How to reach the schema registry; shipped with the task like {@link DecoderSettings}. Secrets
 * are {@link SecretSource}s (names, not values), except a password in the URL's user info, which
 * the user chose to write into the URL. {@link #toString} never shows it.
 *
 * @param url as configured; may hold {@code user:password@}
 * @param basicAuthUser with {@code basicAuthPassword}: HTTP basic auth; both null otherwise
 * @param bearerToken an {@code Authorization: Bearer} token, or null
 * @param trustStore PKCS12 or JKS file of trusted certificates for https, or null for the JVM's
 * @param keyStore PKCS12 or JKS file with the client key for mutual TLS, or null
 * @param timeout for one request, connecting included
 * @param missTtl how long this JVM remembers that the registry does not know an id; zero: not at
 *     all
 * @param maxMissesPerTask "not found" answers one task may ask for; then new ids are not looked up
 */
record SchemaRegistrySettings(
    String url,
    String basicAuthUser,
    SecretSource basicAuthPassword,
    SecretSource bearerToken,
    String trustStore,
    SecretSource trustStorePassword,
    String keyStore,
    SecretSource keyStorePassword,
    Duration timeout,
    Duration missTtl,
    int maxMissesPerTask)
    implements Serializable {

  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  static final Duration DEFAULT_MISS_TTL = Duration.ofMinutes(5);
  static final int DEFAULT_MAX_MISSES_PER_TASK = 100;

  /** A registry with default timeouts and caching, and no credentials but the URL's own. */
  static SchemaRegistrySettings of(String url) {
    return new SchemaRegistrySettings(url, null, null, null, null, null, null, null,
        DEFAULT_TIMEOUT, DEFAULT_MISS_TTL, DEFAULT_MAX_MISSES_PER_TASK);
  }

  /** The URL requests go to: no user info, no trailing slash. Also the form shown anywhere. */
  String baseUrl() {
    String u = Urls.withoutUserInfo(url);
    return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
  }

  /** The URL's user info as {user, password}, percent-decoded; null when it has none. */
  String[] userInfo() {
    int scheme = url.indexOf("://");
    int at = url.lastIndexOf('@');
    if (scheme < 0 || at < scheme) {
      return null;
    }
    String raw = url.substring(scheme + 3, at);
    int colon = raw.indexOf(':');
    String user = colon < 0 ? raw : raw.substring(0, colon);
    String password = colon < 0 ? "" : raw.substring(colon + 1);
    return new String[] {decode(user), decode(password)};
  }

  boolean https() {
    return url.regionMatches(true, 0, "https://", 0, "https://".length());
  }

  /** How requests authenticate, for messages: names sources, never values. */
  String auth() {
    if (bearerToken != null) {
      return "bearer token from " + bearerToken;
    }
    if (basicAuthUser != null) {
      return "basic auth as '" + basicAuthUser + "' with the password from " + basicAuthPassword;
    }
    return userInfo() != null ? "basic auth from the URL's user info" : "none";
  }

  String tls() {
    if (!https()) {
      return "none (http)";
    }
    String trust = trustStore == null
        ? "the JVM's default trust store"
        : "trust store " + trustStore + password(trustStorePassword);
    return keyStore == null
        ? trust
        : trust + ", client key store " + keyStore + password(keyStorePassword);
  }

  /** The settings for the effective-config log line. */
  Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("schema-registry-url", baseUrl());
    m.put("schema-registry-auth", auth());
    m.put("schema-registry-tls", tls());
    m.put("schema-registry-timeout", format(timeout));
    m.put("schema-registry-miss-ttl", format(missTtl));
    m.put("schema-registry-max-misses-per-task", String.valueOf(maxMissesPerTask));
    return m;
  }

  @Override
  public String toString() {
    return "SchemaRegistrySettings" + describe();
  }

  static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) return ms / 3_600_000 + "h";
    if (ms % 60_000 == 0 && ms > 0) return ms / 60_000 + "m";
    if (ms % 1_000 == 0) return ms / 1_000 + "s";
    return ms + "ms";
  }

  private static String password(SecretSource s) {
    return s == null ? "" : " (password from " + s + ")";
  }

  private static String decode(String s) {
    try {
      // URLDecoder is for forms, where '+' is a space; in a URL it is a '+'.
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      // not e's message: it quotes the offending characters, part of a password
      throw new IllegalArgumentException("the URL's user info has a malformed %-escape");
    }
  }
}
