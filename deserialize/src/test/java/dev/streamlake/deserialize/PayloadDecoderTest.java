package dev.streamlake.deserialize;

import static dev.streamlake.deserialize.Payloads.MIDNIGHT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.apache.spark.unsafe.types.UTF8String;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PayloadDecoderTest {
  // Reader schema (v2) field order.
  static final int SENSOR_ID = 0;
  static final int READING_TS = 1;
  static final int TEMPERATURE = 2;
  static final int HUMIDITY = 3;
  static final int BATTERY = 4;
  static final int STATUS = 5;
  static final int FIRMWARE = 6;
  static final int PRESSURE = 7;

  final PayloadDecoder avro = PayloadDecoder.create(Payloads.avro());
  final PayloadDecoder json = PayloadDecoder.create(Payloads.json());

  static DecodeResult.Decoded decoded(DecodeResult r) {
    assertThat(r).isInstanceOf(DecodeResult.Decoded.class);
    return (DecodeResult.Decoded) r;
  }

  static DecodeFailure failed(DecodeResult r, ErrorCode code) {
    assertThat(r).isInstanceOf(DecodeFailure.class);
    DecodeFailure f = (DecodeFailure) r;
    assertThat(f.code()).as(f.message()).isEqualTo(code);
    assertThat(f.message()).isNotBlank();
    return f;
  }

  @Test
  void v2RecordWithEveryField() {
    DecodeResult.Decoded d = decoded(avro.decode(Payloads.v2(Payloads.full())));
    assertThat(d.schemaId()).isEqualTo(2);
    assertThat(d.values()).containsExactly(u("sensor-1"), micros(MIDNIGHT),
        21.5, 40.25, 87, u("WARN"), u("fw-1.2.3"), 1013.5);
  }

  @Test
  void v1RecordGetsTheV2DefaultForPressure() {
    DecodeResult.Decoded d = decoded(avro.decode(Payloads.v1(Payloads.full())));
    assertThat(d.schemaId()).isEqualTo(1);
    assertThat(d.values()).containsExactly(u("sensor-1"), micros(MIDNIGHT),
        21.5, 40.25, 87, u("WARN"), u("fw-1.2.3"), null);
  }

  @Test
  void v1AndV2MixInOneDecoder() {
    for (int i = 0; i < 3; i++) {
      assertThat(decoded(avro.decode(Payloads.v1(Payloads.full()))).schemaId()).isEqualTo(1);
      assertThat(decoded(avro.decode(Payloads.v2(Payloads.minimal()))).values()[PRESSURE])
          .isNull();
    }
  }

  @Test
  void nullsInOptionalFields() {
    for (PayloadDecoder decoder : new PayloadDecoder[] {avro, json}) {
      byte[][] payloads = decoder == avro
          ? new byte[][] {Payloads.v1(Payloads.minimal()), Payloads.v2(Payloads.minimal())}
          : new byte[][] {Payloads.json(Payloads.minimal())};
      for (byte[] p : payloads) {
        Object[] v = decoded(decoder.decode(p)).values();
        assertThat(v[SENSOR_ID]).isEqualTo(u("sensor-2"));
        assertThat(v[TEMPERATURE]).isEqualTo(-3.0);
        assertThat(new Object[] {v[HUMIDITY], v[BATTERY], v[FIRMWARE], v[PRESSURE]})
            .containsOnlyNulls();
        assertThat(v[STATUS]).isEqualTo(u("OK"));
      }
    }
  }

  @Test
  void timestampExactlyAtUtcMidnightIsTheSameInstantInEveryFormat() {
    for (byte[] p : new byte[][] {Payloads.v1(Payloads.minimal()),
        Payloads.v2(Payloads.minimal()), Payloads.json(Payloads.minimal())}) {
      PayloadDecoder decoder = p[0] == '{' ? json : avro;
      long micros = (Long) decoded(decoder.decode(p)).values()[READING_TS];
      assertThat(micros).isEqualTo(1709251200000_000L);
      assertThat(Instant.EPOCH.plus(micros, ChronoUnit.MICROS)).hasToString("2024-03-01T00:00:00Z");
    }
  }

  @Test
  void unicodeIdsSurviveIntact() {
    String id = "capteur-é-温度-🌡️-Ωmega";
    Reading r = Payloads.minimal().withSensorId(id);
    assertThat(decoded(avro.decode(Payloads.v1(r))).values()[SENSOR_ID]).isEqualTo(u(id));
    assertThat(decoded(avro.decode(Payloads.v2(r))).values()[SENSOR_ID]).isEqualTo(u(id));
    assertThat(decoded(json.decode(Payloads.json(r))).values()[SENSOR_ID]).isEqualTo(u(id));
  }

  @Test
  void idsOf64And65CharactersDecodeUnchanged() {
    // Length is a validation rule (Spark SQL), not a decode error: both decode.
    String id64 = "s".repeat(64);
    String id65 = "s".repeat(65);
    String emoji64 = "🌡".repeat(64);
    for (String id : new String[] {id64, id65, emoji64}) {
      Reading r = Payloads.minimal().withSensorId(id);
      assertThat(decoded(avro.decode(Payloads.v2(r))).values()[SENSOR_ID]).isEqualTo(u(id));
      assertThat(decoded(avro.decode(Payloads.v1(r))).values()[SENSOR_ID]).isEqualTo(u(id));
      assertThat(decoded(json.decode(Payloads.json(r))).values()[SENSOR_ID]).isEqualTo(u(id));
    }
  }

  @Test
  void emptyPayload() {
    assertThat(failed(avro.decode(null), ErrorCode.EMPTY_PAYLOAD).message()).contains("null");
    assertThat(failed(avro.decode(new byte[0]), ErrorCode.EMPTY_PAYLOAD).message())
        .contains("0 bytes");
    failed(json.decode(null), ErrorCode.EMPTY_PAYLOAD);
    failed(json.decode(new byte[0]), ErrorCode.EMPTY_PAYLOAD);
  }

  @Test
  void payloadTooLarge() {
    byte[] p = Payloads.v2(Payloads.full());
    PayloadDecoder capped = PayloadDecoder.create(Payloads.withMaxPayload(Payloads.avro(),
        p.length - 1));
    assertThat(failed(capped.decode(p), ErrorCode.PAYLOAD_TOO_LARGE).message())
        .contains(p.length + " bytes").contains(String.valueOf(p.length - 1));
    PayloadDecoder exact = PayloadDecoder.create(Payloads.withMaxPayload(Payloads.avro(),
        p.length));
    decoded(exact.decode(p));

    byte[] j = Payloads.json(Payloads.full());
    PayloadDecoder cappedJson = PayloadDecoder.create(Payloads.withMaxPayload(Payloads.json(),
        j.length - 1));
    failed(cappedJson.decode(j), ErrorCode.PAYLOAD_TOO_LARGE);
  }

  @Test
  void badMagicByte() {
    byte[] p = Payloads.v2(Payloads.full());
    p[0] = 1;
    assertThat(failed(avro.decode(p), ErrorCode.BAD_MAGIC_BYTE).message()).contains("0x01");
    // A JSON payload on an Avro pipeline.
    assertThat(failed(avro.decode(Payloads.json(Payloads.full())), ErrorCode.BAD_MAGIC_BYTE)
        .message()).contains("0x7b");
  }

  @Test
  void unknownSchemaId() {
    byte[] p = SensorReadingPayloads.wire(42, SensorReadingPayloads.avroBody(2, Payloads.full()));
    DecodeFailure f = failed(avro.decode(p), ErrorCode.UNKNOWN_SCHEMA_ID);
    assertThat(f.message()).contains("schema id 42").contains("classpath:schemas/sensor_readings");
    // Cached per decoder: asked again, same answer.
    failed(avro.decode(p), ErrorCode.UNKNOWN_SCHEMA_ID);
    failed(avro.decode(SensorReadingPayloads.wire(-1, new byte[] {0})),
        ErrorCode.UNKNOWN_SCHEMA_ID);
  }

  @Test
  void truncatedAvro() {
    byte[] p = Payloads.v2(Payloads.full());
    for (int len = 5; len < p.length; len++) {
      DecodeFailure f = failed(avro.decode(Arrays.copyOf(p, len)), ErrorCode.MALFORMED_AVRO);
      assertThat(f.message()).contains("schema id 2");
    }
    // Shorter than the header.
    assertThat(failed(avro.decode(new byte[] {0, 0, 0}), ErrorCode.MALFORMED_AVRO).message())
        .contains("only 3 bytes");
  }

  @Test
  void trailingGarbageIsMalformed() {
    byte[] p = Payloads.v2(Payloads.full());
    byte[] longer = Arrays.copyOf(p, p.length + 3);
    assertThat(failed(avro.decode(longer), ErrorCode.MALFORMED_AVRO).message())
        .contains("3 trailing byte(s)").contains("schema id 2");
  }

  @Test
  void bodyWrittenWithAnotherSchemaThanItsIdIsMalformed() {
    // v2 body labelled as v1: v1 reads fewer fields, the pressure union is left over.
    byte[] v2AsV1 = SensorReadingPayloads.wire(1, SensorReadingPayloads.avroBody(2,
        Payloads.full()));
    failed(avro.decode(v2AsV1), ErrorCode.MALFORMED_AVRO);
    // v1 body labelled as v2: the reader runs out of bytes for pressure_hpa.
    byte[] v1AsV2 = SensorReadingPayloads.wire(2, SensorReadingPayloads.avroBody(1,
        Payloads.full()));
    failed(avro.decode(v1AsV2), ErrorCode.MALFORMED_AVRO);
  }

  @Test
  void hugeLengthPrefixIsMalformedWithoutAllocatingIt() {
    // sensor_id claims 1 GiB (zig-zag varint of 2^30).
    byte[] p = SensorReadingPayloads.wire(2, new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80,
        (byte) 0x80, 0x08, 'a'});
    assertThat(failed(avro.decode(p), ErrorCode.MALFORMED_AVRO).message()).contains("remain");
  }

  @Test
  void invalidUtf8InAStringIsMalformed() {
    byte[] p = Payloads.v2(Payloads.minimal().withSensorId("ab"));
    // Body: sensor_id length byte (4 = zigzag 2), then 'a' 'b'.
    int at = 6;
    assertThat(p[at]).isEqualTo((byte) 'a');
    p[at] = (byte) 0xC3;
    p[at + 1] = (byte) 0x28;
    assertThat(failed(avro.decode(p), ErrorCode.MALFORMED_AVRO).message())
        .contains("sensor_id").contains("UTF-8");
  }

  @Test
  void badUnionIndexIsMalformed() {
    byte[] p = Payloads.v2(Payloads.minimal().withSensorId("x"));
    // header(5) + len(1) + 'x' + reading_ts varint (6 bytes) + double (8) -> humidity union index
    int unionAt = 5 + 2 + 6 + 8;
    assertThat(p[unionAt]).isEqualTo((byte) 0);
    p[unionAt] = 10;
    failed(avro.decode(p), ErrorCode.MALFORMED_AVRO);
  }

  @Test
  void jsonRecord() {
    DecodeResult.Decoded d = decoded(json.decode(Payloads.json(Payloads.full())));
    assertThat(d.schemaId()).isNull();
    assertThat(d.values()).containsExactly(u("sensor-1"), micros(MIDNIGHT),
        21.5, 40.25, 87, u("WARN"), u("fw-1.2.3"), 1013.5);
  }

  @Test
  void jsonWithoutOptionalFieldsAndWithUnknownOnes() {
    String text = "{\"sensor_id\":\"s\",\"reading_ts\":1709251200000,\"temperature_c\":20,"
        + "\"status\":\"OK\",\"added_later\":{\"x\":1}}";
    Object[] v = decoded(json.decode(text.getBytes(StandardCharsets.UTF_8))).values();
    assertThat(v).containsExactly(u("s"), 1709251200000_000L, 20.0, null, null, u("OK"),
        null, null);
  }

  @Test
  void malformedJson() {
    String[] bad = {
      "not json",
      "{\"sensor_id\":\"s\"",
      "[1,2]",
      "\"a string\"",
      "{\"sensor_id\":\"s\"} trailing",
      "{\"sensor_id\":\"a\",\"sensor_id\":\"b\"}",
    };
    for (String b : bad) {
      failed(json.decode(b.getBytes(StandardCharsets.UTF_8)), ErrorCode.MALFORMED_JSON);
    }
    // Invalid UTF-8 inside a string.
    byte[] p = "{\"sensor_id\":\"xx\"}".getBytes(StandardCharsets.UTF_8);
    p[14] = (byte) 0xC3;
    p[15] = (byte) 0x28;
    failed(json.decode(p), ErrorCode.MALFORMED_JSON);
  }

  @Test
  void jsonFieldsOfTheWrongTypeOrMissingAreMalformed() {
    ObjectNode missing = SensorReadingPayloads.jsonNode(Payloads.full());
    missing.remove("temperature_c");
    assertThat(failed(json.decode(bytes(missing)), ErrorCode.MALFORMED_JSON).message())
        .contains("missing required field 'temperature_c'");

    ObjectNode nullRequired = SensorReadingPayloads.jsonNode(Payloads.full());
    nullRequired.putNull("sensor_id");
    assertThat(failed(json.decode(bytes(nullRequired)), ErrorCode.MALFORMED_JSON).message())
        .contains("'sensor_id' is null");

    ObjectNode textTemp = SensorReadingPayloads.jsonNode(Payloads.full());
    textTemp.put("temperature_c", "hot");
    assertThat(failed(json.decode(bytes(textTemp)), ErrorCode.MALFORMED_JSON).message())
        .contains("'temperature_c' must be a number");

    ObjectNode fractionalBattery = SensorReadingPayloads.jsonNode(Payloads.full());
    fractionalBattery.put("battery_pct", 1.5);
    failed(json.decode(bytes(fractionalBattery)), ErrorCode.MALFORMED_JSON);

    ObjectNode isoTs = SensorReadingPayloads.jsonNode(Payloads.full());
    isoTs.put("reading_ts", "2024-03-01T00:00:00Z");
    assertThat(failed(json.decode(bytes(isoTs)), ErrorCode.MALFORMED_JSON).message())
        .contains("epoch milliseconds");
  }

  @Test
  void failureMessageNamesTheKafkaCoordinates() {
    DecodeFailure f = DecodeFailure.emptyPayload().at("sensor-readings", 3, 42L);
    assertThat(f.message()).endsWith("[topic sensor-readings, partition 3, offset 42]");
  }

  static UTF8String u(String s) {
    return UTF8String.fromString(s);
  }

  static long micros(Instant t) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, t);
  }

  private static byte[] bytes(ObjectNode n) {
    return n.toString().getBytes(StandardCharsets.UTF_8);
  }
}
