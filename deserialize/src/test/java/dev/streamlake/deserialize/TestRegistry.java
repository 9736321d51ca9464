package dev.streamlake.deserialize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.apache.avro.Schema;

/**
 * A Confluent-compatible registry for tests, over HTTP or HTTPS, answering
 * {@code GET <base>/schemas/ids/{id}} and recording every request. Each instance serves under its
 * own random base path, so the JVM-wide schema caches of one test never answer for another even
 * when a port is reused; anything outside the base path gets a plain 404, as a web server would.
 */
final class TestRegistry implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  final String basePath = "/registry-" + UUID.randomUUID();
  /** Request paths below the base path, such as {@code /schemas/ids/7}, in arrival order. */
  final List<String> requests = new CopyOnWriteArrayList<>();
  final Map<Integer, String> replies = new ConcurrentHashMap<>();

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "test-registry");
    t.setDaemon(true);
    return t;
  });
  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile int status;
  private volatile String body;
  private volatile String requiredAuthorization;
  private volatile boolean echoAuthorization;
  private volatile Duration delay = Duration.ZERO;

  private TestRegistry(HttpServer server) {
    this.server = server;
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  static TestRegistry http() {
    try {
      return new TestRegistry(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static TestRegistry https(SSLContext tls, boolean needClientCertificate) {
    try {
      HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.setHttpsConfigurator(new HttpsConfigurator(tls) {
        @Override
        public void configure(HttpsParameters params) {
          SSLParameters p = tls.getDefaultSSLParameters();
          p.setNeedClientAuth(needClientCertificate);
          params.setSSLParameters(p);
        }
      });
      return new TestRegistry(server);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The registry's URL, its base path included. */
  String url() {
    return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:"
        + server.getAddress().getPort() + basePath;
  }

  /** The URL with {@code userInfo@} before the host. */
  String url(String userInfo) {
    return url().replaceFirst("://", "://" + userInfo + "@");
  }

  String hostAndPort() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  TestRegistry schema(int id, Schema schema) {
    return reply(id, Map.of("schema", schema.toString()));
  }

  TestRegistry reply(int id, Map<String, String> reply) {
    try {
      replies.put(id, JSON.writeValueAsString(reply));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** Every request gets this answer instead. */
  TestRegistry respond(int status, String body) {
    this.status = status;
    this.body = body;
    return this;
  }

  /** Requests without exactly this Authorization header get 401. */
  TestRegistry requireAuthorization(String header) {
    this.requiredAuthorization = header;
    return this;
  }

  /** Error replies quote the request's Authorization header, as a careless proxy might. */
  TestRegistry echoAuthorization() {
    this.echoAuthorization = true;
    return this;
  }

  /** Answers only after this long (or when closed). */
  TestRegistry delay(Duration d) {
    this.delay = d;
    return this;
  }

  long requestsFor(int id) {
    return requests.stream().filter(p -> p.equals("/schemas/ids/" + id)).count();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String auth = exchange.getRequestHeaders().getFirst("Authorization");
    int code;
    String reply;
    String type = "application/vnd.schemaregistry.v1+json";
    if (!path.startsWith(basePath + "/")) {
      code = 404;
      reply = "<html><body>Not Found</body></html>";
      type = "text/html";
    } else {
      String below = path.substring(basePath.length());
      requests.add(below);
      awaitDelay();
      String echo = echoAuthorization ? " (you sent Authorization: " + auth + ", "
          + decoded(auth) + ")" : "";
      if (requiredAuthorization != null && !requiredAuthorization.equals(auth)) {
        code = 401;
        reply = "{\"error_code\":40101,\"message\":\"Unauthorized" + echo + "\"}";
      } else if (status != 0) {
        code = status;
        reply = body + echo;
      } else {
        Integer id = id(below);
        if (id != null && replies.containsKey(id)) {
          code = 200;
          reply = replies.get(id);
        } else {
          code = 404;
          reply = "{\"error_code\":40403,\"message\":\"Schema " + id + " not found\"}";
        }
      }
    }
    byte[] bytes = reply.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", type);
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private void awaitDelay() {
    if (delay.isZero()) {
      return;
    }
    try {
      closed.await(delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String decoded(String auth) {
    if (auth == null || !auth.startsWith("Basic ")) {
      return "";
    }
    return new String(java.util.Base64.getDecoder().decode(auth.substring(6)),
        StandardCharsets.UTF_8);
  }

  private static Integer id(String below) {
    String prefix = "/schemas/ids/";
    if (!below.startsWith(prefix)) {
      return null;
    }
    try {
      return Integer.parseInt(below.substring(prefix.length()));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  @Override
  public void close() {
    closed.countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
