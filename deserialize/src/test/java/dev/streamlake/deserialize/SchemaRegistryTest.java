package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.streamlake.local.SensorReadingPayloads;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The decoder against a real HTTP server that serves the registry's ids endpoint. */
class SchemaRegistryTest {
  /** v3: v2 plus a location field, known only to the registry (id 7). */
  static final Schema V3 =
      SchemaBuilder.record("SensorReading").namespace("dev.streamlake.sensors").fields()
          .requiredString("sensor_id")
          .name("reading_ts").type(timestampMillis()).noDefault()
          .requiredDouble("temperature_c")
          .optionalDouble("humidity_pct")
          .optionalInt("battery_pct")
          .requiredString("status")
          .optionalString("firmware")
          .optionalDouble("pressure_hpa")
          .requiredString("location")
          .endRecord();

  /** Not a sensor reading at all (id 8). */
  static final Schema OTHER =
      SchemaBuilder.record("Invoice").fields().requiredLong("amount").endRecord();

  HttpServer server;
  String url;
  final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  volatile int failWith = 0;

  @BeforeEach
  void startRegistry() throws IOException {
    ObjectMapper json = new ObjectMapper();
    Map<Integer, String> bodies = Map.of(
        7, json.writeValueAsString(Map.of("schema", V3.toString())),
        8, json.writeValueAsString(Map.of("schema", OTHER.toString())),
        9, json.writeValueAsString(Map.of("schema", "syntax = \"proto3\";",
            "schemaType", "PROTOBUF")));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/schemas/ids/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
      int status;
      String body;
      Integer id = parseId(path.substring("/schemas/ids/".length()));
      if (failWith != 0) {
        status = failWith;
        body = "{\"error_code\":50001,\"message\":\"store unavailable\"}";
      } else if (id != null && bodies.containsKey(id)) {
        status = 200;
        body = bodies.get(id);
      } else {
        status = 404;
        body = "{\"error_code\":40403,\"message\":\"Schema " + id + " not found\"}";
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    });
    server.start();
    // A fresh port per test, so the JVM-wide cache of one test never answers for another.
    url = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stopRegistry() {
    server.stop(0);
  }

  @Test
  void schemaOnlyInTheRegistryIsFetchedResolvedAndCached() {
    GenericRecord r = new GenericData.Record(V3);
    r.put("sensor_id", "reg-1");
    r.put("reading_ts", Payloads.MIDNIGHT.toEpochMilli());
    r.put("temperature_c", 12.5);
    r.put("status", "OK");
    r.put("pressure_hpa", 1000.0);
    r.put("location", "roof");
    byte[] payload = SensorReadingPayloads.wire(7, SensorReadingPayloads.avroBody(V3, r));

    DecodeResult first = PayloadDecoder.create(Payloads.avro(url)).decode(payload);
    assertThat(first).isInstanceOf(DecodeResult.Decoded.class);
    DecodeResult.Decoded d = (DecodeResult.Decoded) first;
    assertThat(d.schemaId()).isEqualTo(7);
    // Read as the v2 reader schema: location is dropped, the rest kept.
    assertThat(d.values()).containsExactly(PayloadDecoderTest.u("reg-1"),
        PayloadDecoderTest.micros(Payloads.MIDNIGHT), 12.5, null, null,
        PayloadDecoderTest.u("OK"), null, 1000.0);

    // Another decoder (another partition) in this JVM uses the cache.
    PayloadDecoder.create(Payloads.avro(url)).decode(payload);
    assertThat(requests.get("/schemas/ids/7").get()).isEqualTo(1);
  }

  @Test
  void localSchemasWinAndNeverAskTheRegistry() {
    DecodeResult r = PayloadDecoder.create(Payloads.avro(url)).decode(Payloads.v1(Payloads.full()));
    assertThat(r).isInstanceOf(DecodeResult.Decoded.class);
    assertThat(requests).isEmpty();
  }

  @Test
  void idUnknownToTheRegistryIsADeadLetter() {
    byte[] payload = SensorReadingPayloads.wire(404, new byte[] {2, 'x'});
    DecodeResult r = PayloadDecoder.create(Payloads.avro(url)).decode(payload);
    DecodeFailure f = PayloadDecoderTest.failed(r, ErrorCode.UNKNOWN_SCHEMA_ID);
    assertThat(f.message()).contains("schema id 404").contains(url);
  }

  @Test
  void schemaThatCannotBeReadAsTheReaderSchemaIsIncompatible() {
    GenericRecord r = new GenericData.Record(OTHER);
    r.put("amount", 5L);
    byte[] payload = SensorReadingPayloads.wire(8, SensorReadingPayloads.avroBody(OTHER, r));
    PayloadDecoderTest.failed(PayloadDecoder.create(Payloads.avro(url)).decode(payload),
        ErrorCode.INCOMPATIBLE_SCHEMA);
    DecodeFailure f = PayloadDecoderTest.failed(
        PayloadDecoder.create(Payloads.avro(url)).decode(
            SensorReadingPayloads.wire(9, new byte[] {1})),
        ErrorCode.INCOMPATIBLE_SCHEMA);
    assertThat(f.message()).contains("PROTOBUF");
  }

  @Test
  void registryErrorsFailTheBatchInsteadOfMakingDeadLetters() {
    failWith = 503;
    byte[] payload = SensorReadingPayloads.wire(77, new byte[] {2, 'x'});
    assertThatThrownBy(() -> PayloadDecoder.create(Payloads.avro(url)).decode(payload))
        .isInstanceOf(SchemaRegistryUnavailableException.class)
        .hasMessageContaining("HTTP 503")
        .hasMessageContaining("/schemas/ids/77");
  }

  @Test
  void unreachableRegistryFailsTheBatch() {
    server.stop(0);
    byte[] payload = SensorReadingPayloads.wire(78, new byte[] {2, 'x'});
    assertThatThrownBy(() -> PayloadDecoder.create(Payloads.avro(url)).decode(payload))
        .isInstanceOf(SchemaRegistryUnavailableException.class)
        .hasMessageContaining("unreachable");
  }

  private static Schema timestampMillis() {
    return org.apache.avro.LogicalTypes.timestampMillis()
        .addToSchema(Schema.create(Schema.Type.LONG));
  }

  private static Integer parseId(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
