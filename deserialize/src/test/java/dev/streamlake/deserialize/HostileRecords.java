package dev.streamlake.deserialize;

import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * The records {@link HostileRecordsIT} pushes through stage 2: valid sensor readings mixed with
 * extremes of every field of the reader schema (sensor-readings v2) and every way a payload can
 * fail to decode, each tagged with what it is and with the outcome stage 2 must produce, written
 * down here by hand (never computed by the product's code): bronze with exactly the values sent,
 * dead_letter with a given code, or, for random bytes, either of the two.
 *
 * <p>Two outcomes per record: with the built-in pipeline's rules, and with no rules at all. The
 * second shows what the stage can represent: every value the decoder accepts must arrive in bronze
 * exactly, whatever a pipeline's rules would say about it.
 *
 * <p>Not here, because the built-in pipeline cannot produce them: {@code INCOMPATIBLE_SCHEMA} (its
 * schema folder holds only ids 1 and 2, both readable as 2, and it has no registry) and
 * {@code MALFORMED_JSON} (it reads Avro); SchemaRegistryTest and PayloadDecoderTest cover them.
 */
final class HostileRecords {
  static final String VALUE_OUT_OF_RANGE = "VALUE_OUT_OF_RANGE";
  static final String RULE_VIOLATION = ErrorCode.RULE_VIOLATION.name();
  static final String MALFORMED_AVRO = ErrorCode.MALFORMED_AVRO.name();

  static final int MAX_PAYLOAD = 1024 * 1024;
  static final long Y2000 = Instant.parse("2000-01-01T00:00:00Z").toEpochMilli();
  static final long Y2025 = Instant.parse("2025-01-01T00:00:00Z").toEpochMilli();
  /** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the first and last millisecond. */
  static final long FIRST_MILLI = -62135596800000L;
  static final long LAST_MILLI = 253402300799999L;

  private static final Schema V1 = SensorReadingPayloads.schema(SensorReadingPayloads.V1);
  private static final Schema V2 = SensorReadingPayloads.schema(SensorReadingPayloads.V2);

  private HostileRecords() {}

  /** The decoded values as bronze must show them (pressure is null for v1). */
  record Sent(String sensorId, long readingTs, double temperatureC, Double humidityPct,
      Integer batteryPct, String status, String firmware, Double pressureHpa, int schemaId) {

    Sent withSensorId(String v) {
      return new Sent(v, readingTs, temperatureC, humidityPct, batteryPct, status, firmware,
          pressureHpa, schemaId);
    }

    Sent withReadingTs(long v) {
      return new Sent(sensorId, v, temperatureC, humidityPct, batteryPct, status, firmware,
          pressureHpa, schemaId);
    }

    Sent withTemperature(double v) {
      return new Sent(sensorId, readingTs, v, humidityPct, batteryPct, status, firmware,
          pressureHpa, schemaId);
    }

    Sent withHumidity(Double v) {
      return new Sent(sensorId, readingTs, temperatureC, v, batteryPct, status, firmware,
          pressureHpa, schemaId);
    }

    Sent withBattery(Integer v) {
      return new Sent(sensorId, readingTs, temperatureC, humidityPct, v, status, firmware,
          pressureHpa, schemaId);
    }

    Sent withStatus(String v) {
      return new Sent(sensorId, readingTs, temperatureC, humidityPct, batteryPct, v, firmware,
          pressureHpa, schemaId);
    }

    Sent withFirmware(String v) {
      return new Sent(sensorId, readingTs, temperatureC, humidityPct, batteryPct, status, v,
          pressureHpa, schemaId);
    }

    Sent withPressure(Double v) {
      return new Sent(sensorId, readingTs, temperatureC, humidityPct, batteryPct, status,
          firmware, v, schemaId);
    }
  }

  /** Where a record must end up. */
  sealed interface Expect permits InBronze, InDeadLetter, EitherTable {}

  /** In bronze, with exactly these values. */
  record InBronze(Sent values) implements Expect {}

  /**
   * In dead_letter with {@code code}; the message equals {@code exactMessage} when that is set,
   * and contains every one of {@code messageParts}.
   */
  record InDeadLetter(String code, String exactMessage, List<String> messageParts)
      implements Expect {}

  /** Random bytes: in bronze or in dead_letter (with some code), which one is not certain. */
  record EitherTable() implements Expect {}

  /** Which pipeline the stage runs with. */
  enum RuleSet { BUILT_IN, NONE }

  /** One raw record: what it is, the Kafka value, and the outcome for each pipeline. */
  record Case(String tag, byte[] value, Expect builtInRules, Expect noRules) {
    Expect expect(RuleSet rules) {
      return rules == RuleSet.BUILT_IN ? builtInRules : noRules;
    }
  }

  /** A kind of record; {@code bulky} kinds (a megabyte or more) are made once per run only. */
  private record Kind(String tag, boolean bulky, Function<Random, Case> make) {}

  /**
   * {@code records} cases (at least one of every kind) in a random order: every kind once, then
   * half valid readings and half hostile ones picked at random.
   */
  static List<Case> generate(int records, long seed) {
    Random rnd = new Random(seed);
    List<Kind> kinds = kinds();
    List<Case> out = new ArrayList<>();
    for (Kind k : kinds) {
      out.add(k.make().apply(rnd));
    }
    List<Kind> light = kinds.stream().filter(k -> !k.bulky()).toList();
    while (out.size() < records) {
      out.add(rnd.nextBoolean()
          ? valid(rnd, rnd.nextInt(4) == 0 ? 1 : 2)
          : light.get(rnd.nextInt(light.size())).make().apply(rnd));
    }
    Collections.shuffle(out, rnd);
    return out;
  }

  /** The tags of all kinds, to check that a run covered each. */
  static List<String> tags() {
    return kinds().stream().map(Kind::tag).toList();
  }

  // ---------------------------------------------------------------------------------------------
  // The table: every kind of record and where it must go.

  private static final String TEMPERATURE = "temperature_range";
  private static final String HUMIDITY = "humidity_range";
  private static final String BATTERY = "battery_range";
  private static final String SENSOR_ID = "sensor_id_length";
  private static final String STATUS = "status_known";
  private static final String PLAUSIBLE = "reading_ts_plausible";

  private static List<Kind> kinds() {
    List<Kind> k = new ArrayList<>();
    k.add(new Kind("valid v1", false, rnd -> valid(rnd, 1)));
    k.add(new Kind("valid v2", false, rnd -> valid(rnd, 2)));

    // reading_ts (timestamp-millis). Outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999Z a
    // value is no Spark timestamp: a dead letter naming the field and the value, with or without
    // rules. Inside, bronze holds it exactly; the built-in rule wants 2000-01-01..now + 1 day.
    outOfRange(k, "Long.MIN_VALUE", Long.MIN_VALUE);
    outOfRange(k, "Long.MAX_VALUE", Long.MAX_VALUE);
    outOfRange(k, "epoch nanoseconds", 1_700_000_000_000_000_000L);
    outOfRange(k, "epoch microseconds", 1_700_000_000_000_000L);
    outOfRange(k, "-62135596800001 (1 ms before 0001-01-01)", FIRST_MILLI - 1);
    outOfRange(k, "253402300800000 (10000-01-01, 1 ms after 9999)", LAST_MILLI + 1);
    inRange(k, "-62135596800000 (0001-01-01T00:00:00Z)", FIRST_MILLI, PLAUSIBLE);
    inRange(k, "253402300799999 (9999-12-31T23:59:59.999Z)", LAST_MILLI, PLAUSIBLE);
    inRange(k, "-15000000000000 (1494, before 1582)", -15_000_000_000_000L, PLAUSIBLE);
    inRange(k, "1582-10-04 (last Julian day)", millis("1582-10-04T12:00:00Z"), PLAUSIBLE);
    inRange(k, "1582-10-10 (absent from the hybrid calendar)", millis("1582-10-10T12:00:00Z"),
        PLAUSIBLE);
    inRange(k, "1582-10-15 (first Gregorian day)", millis("1582-10-15T00:00:00Z"), PLAUSIBLE);
    inRange(k, "0 (1970-01-01)", 0L, PLAUSIBLE);
    inRange(k, "-1 (1969-12-31T23:59:59.999Z)", -1L, PLAUSIBLE);
    inRange(k, "1999-12-31T23:59:59.999Z", Y2000 - 1, PLAUSIBLE);
    inRange(k, "2000-01-01T00:00:00Z", Y2000);

    // temperature_c (double, required): the built-in rule is BETWEEN -90 AND 70 (NaN fails it).
    field(k, "temperature_c=NaN", s -> s.withTemperature(Double.NaN), TEMPERATURE);
    field(k, "temperature_c=+Infinity", s -> s.withTemperature(Double.POSITIVE_INFINITY),
        TEMPERATURE);
    field(k, "temperature_c=-Infinity", s -> s.withTemperature(Double.NEGATIVE_INFINITY),
        TEMPERATURE);
    field(k, "temperature_c=Double.MAX_VALUE", s -> s.withTemperature(Double.MAX_VALUE),
        TEMPERATURE);
    field(k, "temperature_c=-Double.MAX_VALUE", s -> s.withTemperature(-Double.MAX_VALUE),
        TEMPERATURE);
    field(k, "temperature_c=next double above 70", s -> s.withTemperature(Math.nextUp(70.0)),
        TEMPERATURE);
    field(k, "temperature_c=-0.0", s -> s.withTemperature(-0.0));
    field(k, "temperature_c=Double.MIN_VALUE", s -> s.withTemperature(Double.MIN_VALUE));
    field(k, "temperature_c=-Double.MIN_VALUE", s -> s.withTemperature(-Double.MIN_VALUE));
    field(k, "temperature_c=-90.0", s -> s.withTemperature(-90.0));
    field(k, "temperature_c=70.0", s -> s.withTemperature(70.0));

    // humidity_pct (nullable double): NULL or BETWEEN 0 AND 100.
    field(k, "humidity_pct=NaN", s -> s.withHumidity(Double.NaN), HUMIDITY);
    field(k, "humidity_pct=+Infinity", s -> s.withHumidity(Double.POSITIVE_INFINITY), HUMIDITY);
    field(k, "humidity_pct=-Infinity", s -> s.withHumidity(Double.NEGATIVE_INFINITY), HUMIDITY);
    field(k, "humidity_pct=Double.MAX_VALUE", s -> s.withHumidity(Double.MAX_VALUE), HUMIDITY);
    field(k, "humidity_pct=-Double.MIN_VALUE", s -> s.withHumidity(-Double.MIN_VALUE), HUMIDITY);
    field(k, "humidity_pct=-0.0", s -> s.withHumidity(-0.0));
    field(k, "humidity_pct=Double.MIN_VALUE", s -> s.withHumidity(Double.MIN_VALUE));
    field(k, "humidity_pct=100.0", s -> s.withHumidity(100.0));
    field(k, "humidity_pct=null", s -> s.withHumidity(null));

    // battery_pct (nullable int): NULL or BETWEEN 0 AND 100.
    field(k, "battery_pct=Integer.MIN_VALUE", s -> s.withBattery(Integer.MIN_VALUE), BATTERY);
    field(k, "battery_pct=Integer.MAX_VALUE", s -> s.withBattery(Integer.MAX_VALUE), BATTERY);
    field(k, "battery_pct=-1", s -> s.withBattery(-1), BATTERY);
    field(k, "battery_pct=101", s -> s.withBattery(101), BATTERY);
    field(k, "battery_pct=0", s -> s.withBattery(0));
    field(k, "battery_pct=100", s -> s.withBattery(100));
    field(k, "battery_pct=null", s -> s.withBattery(null));

    // sensor_id (string): char_length (code points) BETWEEN 1 AND 64.
    field(k, "sensor_id=5,000 ASCII characters", s -> s.withSensorId("s".repeat(5000)),
        SENSOR_ID);
    field(k, "sensor_id=5,000 mixed-script characters",
        s -> s.withSensorId("ä💧к".repeat(1667).substring(0, 5000)), SENSOR_ID);
    field(k, "sensor_id=empty", s -> s.withSensorId(""), SENSOR_ID);
    field(k, "sensor_id=NUL inside", s -> s.withSensorId("sensor\u0000-1"));
    field(k, "sensor_id=NUL only", s -> s.withSensorId("\u0000"));
    field(k, "sensor_id=surrogate pairs", s -> s.withSensorId("💧-𝄞-\uD83D\uDE00"));
    field(k, "sensor_id=64 surrogate pairs (64 code points)",
        s -> s.withSensorId("💧".repeat(64)));
    field(k, "sensor_id=65 surrogate pairs", s -> s.withSensorId("💧".repeat(65)), SENSOR_ID);

    // firmware (nullable string): no rule.
    field(k, "firmware=5,000 characters", s -> s.withFirmware("f".repeat(5000)));
    field(k, "firmware=5,000 surrogate pairs", s -> s.withFirmware("𝄞".repeat(5000)));
    field(k, "firmware=empty", s -> s.withFirmware(""));
    field(k, "firmware=NUL inside", s -> s.withFirmware("fw\u0000\u0000-1"));
    field(k, "firmware=surrogate pairs", s -> s.withFirmware("fw-💧𝄞"));
    field(k, "firmware=BOM, RTL override, U+FFFF", s -> s.withFirmware("\uFEFF\u202Efw\uFFFF"));
    field(k, "firmware=null", s -> s.withFirmware(null));

    // status (string, "one of OK, WARN, FAULT"): status_known.
    field(k, "status=ok (lower case)", s -> s.withStatus("ok"), STATUS);
    field(k, "status=empty", s -> s.withStatus(""), STATUS);
    field(k, "status='OK ' (trailing space)", s -> s.withStatus("OK "), STATUS);
    field(k, "status=FAULT + NUL", s -> s.withStatus("FAULT\u0000"), STATUS);
    field(k, "status=UNKNOWN", s -> s.withStatus("UNKNOWN"), STATUS);
    field(k, "status=emoji", s -> s.withStatus("💧"), STATUS);
    field(k, "status=5,000 characters", s -> s.withStatus("W".repeat(5000)), STATUS);

    // pressure_hpa (nullable double, v2 only): no rule.
    field(k, "pressure_hpa=NaN", s -> s.withPressure(Double.NaN));
    field(k, "pressure_hpa=+Infinity", s -> s.withPressure(Double.POSITIVE_INFINITY));
    field(k, "pressure_hpa=-Infinity", s -> s.withPressure(Double.NEGATIVE_INFINITY));
    field(k, "pressure_hpa=Double.MAX_VALUE", s -> s.withPressure(Double.MAX_VALUE));
    field(k, "pressure_hpa=-Double.MAX_VALUE", s -> s.withPressure(-Double.MAX_VALUE));
    field(k, "pressure_hpa=Double.MIN_VALUE", s -> s.withPressure(Double.MIN_VALUE));
    field(k, "pressure_hpa=-0.0", s -> s.withPressure(-0.0));
    field(k, "pressure_hpa=null", s -> s.withPressure(null));

    // Several rules at once: every broken rule is named, in the pipeline's order.
    field(k, "temperature_c=NaN, battery_pct=-1, status=BROKEN",
        s -> s.withTemperature(Double.NaN).withBattery(-1).withStatus("BROKEN"),
        TEMPERATURE, BATTERY, STATUS);

    // Strings that are not UTF-8: the Avro length prefix and the raw bytes, written by hand.
    byte[][] notUtf8 = {
        {(byte) 0x80}, // a lone continuation byte
        {(byte) 0xC0, (byte) 0x80}, // overlong NUL
        {'f', 'w', (byte) 0xE2, (byte) 0x82}, // truncated 3-byte sequence
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // an encoded surrogate (CESU-8)
        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
        {'o', 'k', (byte) 0xFF}, // a byte UTF-8 never uses
    };
    String[] notUtf8Names = {"lone continuation byte", "overlong NUL", "truncated sequence",
        "encoded surrogate", "above U+10FFFF", "0xFF"};
    for (int i = 0; i < notUtf8.length; i++) {
      byte[] bad = notUtf8[i];
      String name = notUtf8Names[i];
      for (String f : List.of("sensor_id", "status", "firmware")) {
        bothDead(k, f + "=not UTF-8 (" + name + ")", rnd -> {
          byte[] ok = utf8("OK");
          byte[] id = f.equals("sensor_id") ? bad : utf8("sensor-" + rnd.nextInt(100));
          byte[] status = f.equals("status") ? bad : ok;
          byte[] firmware = f.equals("firmware") ? bad : utf8("fw-1");
          return new Body().string(id).longValue(randomTs(rnd)).doubleValue(20.5).index(0)
              .index(0).string(status).index(1).string(firmware).index(0).wire(2);
        }, MALFORMED_AVRO, "field " + f + " is not valid UTF-8");
      }
    }

    // Payloads: size, header, body.
    bothDead(k, "value=null", rnd -> null, ErrorCode.EMPTY_PAYLOAD.name(), "null");
    bothDead(k, "value=empty", rnd -> new byte[0], ErrorCode.EMPTY_PAYLOAD.name(), "empty");
    String exactly = "value=exactly 1 MiB (valid Avro, big firmware)";
    k.add(new Kind(exactly, true, rnd -> bigFirmware(rnd, exactly, MAX_PAYLOAD)));
    String over = "value=1 MiB + 1 byte (valid Avro, big firmware)";
    k.add(new Kind(over, true, rnd -> bigFirmware(rnd, over, MAX_PAYLOAD + 1)));
    k.add(new Kind("value=3 MiB of random bytes", true, rnd -> {
      byte[] v = new byte[3 * MAX_PAYLOAD];
      rnd.nextBytes(v);
      return deadInBoth("value=3 MiB of random bytes", v,
          ErrorCode.PAYLOAD_TOO_LARGE.name(), "has " + v.length + " bytes");
    }));
    for (int id : new int[] {1, 2}) {
      k.add(new Kind("random bytes after a header with schema id " + id, false, rnd -> {
        byte[] body = new byte[rnd.nextInt(80)];
        rnd.nextBytes(body);
        return either("random bytes after a header with schema id " + id,
            SensorReadingPayloads.wire(id, body));
      }));
    }
    k.add(new Kind("random bytes, no header", false, rnd -> {
      byte[] v = new byte[1 + rnd.nextInt(80)];
      rnd.nextBytes(v);
      return either("random bytes, no header", v);
    }));
    k.add(new Kind("valid v2 with one bit flipped", false, rnd -> {
      byte[] v = encode(baseline(rnd));
      int bit = rnd.nextInt(v.length * 8);
      v[bit / 8] ^= (byte) (1 << (bit % 8));
      return either("valid v2 with one bit flipped", v);
    }));
    for (int id : new int[] {77, 0, -1, 3, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
      bothDead(k, "schema id " + id + " (unknown)",
          rnd -> SensorReadingPayloads.wire(id, avroBody(V2, baseline(rnd))),
          ErrorCode.UNKNOWN_SCHEMA_ID.name(), "schema id " + id + " is unknown");
    }
    for (int magic : new int[] {1, 0xFF, 'C'}) {
      bothDead(k, String.format("magic byte 0x%02x", magic), rnd -> {
        byte[] v = encode(baseline(rnd));
        v[0] = (byte) magic;
        return v;
      }, ErrorCode.BAD_MAGIC_BYTE.name(), String.format("first byte is 0x%02x", magic));
    }
    bothDead(k, "JSON text", rnd -> json(baseline(rnd)), ErrorCode.BAD_MAGIC_BYTE.name(),
        "first byte is 0x7b");
    bothDead(k, "Avro object container file", rnd -> utf8("Obj\u0001avro.schema..."),
        ErrorCode.BAD_MAGIC_BYTE.name(), "first byte is 0x4f");
    for (int n = 1; n <= 4; n++) {
      int length = n;
      bothDead(k, "header of " + n + " byte(s)", rnd -> {
        byte[] v = new byte[length];
        if (length == 4) {
          v[3] = 2;
        }
        return v;
      }, MALFORMED_AVRO, "only " + n + " bytes");
    }
    bothDead(k, "header with schema id 2, no body", rnd -> SensorReadingPayloads.wire(2,
        new byte[0]), MALFORMED_AVRO, "writer schema id 2");
    for (int id : new int[] {1, 2}) {
      bothDead(k, "valid v" + id + " truncated", rnd -> {
        byte[] v = wire(id, baseline(rnd));
        return Arrays.copyOf(v, 5 + rnd.nextInt(v.length - 5));
      }, MALFORMED_AVRO, "writer schema id " + id);
      k.add(new Kind("valid v" + id + " + trailing bytes", false, rnd -> {
        byte[] v = wire(id, baseline(rnd));
        int extra = 1 + rnd.nextInt(16);
        byte[] longer = Arrays.copyOf(v, v.length + extra);
        for (int i = v.length; i < longer.length; i++) {
          longer[i] = (byte) rnd.nextInt(256);
        }
        return deadInBoth("valid v" + id + " + trailing bytes", longer, MALFORMED_AVRO,
            extra + " trailing byte(s)");
      }));
    }
    bothDead(k, "v1 body under schema id 2", rnd -> SensorReadingPayloads.wire(2,
        avroBody(V1, baseline(rnd))), MALFORMED_AVRO, "writer schema id 2");
    bothDead(k, "v2 body under schema id 1", rnd -> SensorReadingPayloads.wire(1,
        avroBody(V2, baseline(rnd))), MALFORMED_AVRO, "trailing byte(s)");

    // Corrupt length prefixes, union indexes and varints.
    for (long claimed : new long[] {1L << 31, (1L << 31) - 1, 1L << 62, Long.MAX_VALUE}) {
      bothDead(k, "sensor_id length prefix " + claimed,
          rnd -> new Body().length(claimed).raw(utf8("sensor-1")).wire(2), MALFORMED_AVRO,
          "string of " + claimed + " bytes");
      bothDead(k, "firmware length prefix " + claimed,
          rnd -> new Body().string(utf8("sensor-1")).longValue(randomTs(rnd)).doubleValue(1.5)
              .index(0).index(0).string(utf8("OK")).index(1).length(claimed).raw(utf8("fw"))
              .wire(2),
          MALFORMED_AVRO, "string of " + claimed + " bytes");
    }
    bothDead(k, "sensor_id length prefix -1",
        rnd -> new Body().length(-1).raw(utf8("sensor-1")).wire(2), MALFORMED_AVRO,
        "negative string length");
    for (int index : new int[] {2, 7, -1}) {
      bothDead(k, "humidity_pct union index " + index,
          rnd -> new Body().string(utf8("sensor-1")).longValue(randomTs(rnd)).doubleValue(1.5)
              .index(index).doubleValue(50.0).index(0).string(utf8("OK")).index(0).index(0)
              .wire(2),
          MALFORMED_AVRO, "writer schema id 2");
    }
    bothDead(k, "reading_ts varint of 11 bytes",
        rnd -> {
          byte[] varint = new byte[11];
          Arrays.fill(varint, (byte) 0xFF);
          varint[10] = 1;
          return new Body().string(utf8("sensor-1")).raw(varint).doubleValue(1.5).index(0)
              .index(0).string(utf8("OK")).index(0).index(0).wire(2);
        },
        MALFORMED_AVRO, "invalid varint");
    return k;
  }

  // ---------------------------------------------------------------------------------------------
  // Building cases.

  /** A plausible reading that breaks no built-in rule, written with schema id 1 or 2. */
  static Case valid(Random rnd, int schemaId) {
    Sent s = baseline(rnd);
    if (schemaId == 1) {
      s = new Sent(s.sensorId(), s.readingTs(), s.temperatureC(), s.humidityPct(),
          s.batteryPct(), s.status(), s.firmware(), null, 1);
    }
    return new Case("valid v" + schemaId, encode(s), new InBronze(s), new InBronze(s));
  }

  /** A random v2 reading inside every built-in rule. */
  static Sent baseline(Random rnd) {
    return new Sent(
        randomString(rnd, 1 + rnd.nextInt(64)),
        randomTs(rnd),
        rnd.nextInt(10) == 0 ? (rnd.nextBoolean() ? -90.0 : 70.0) : -90 + rnd.nextDouble() * 160,
        rnd.nextInt(5) == 0 ? null : rnd.nextDouble() * 100,
        rnd.nextInt(5) == 0 ? null : rnd.nextInt(101),
        List.of("OK", "WARN", "FAULT").get(rnd.nextInt(3)),
        rnd.nextInt(3) == 0 ? null : "fw-" + randomString(rnd, rnd.nextInt(20)),
        rnd.nextInt(3) == 0 ? null : 870 + rnd.nextDouble() * 215,
        2);
  }

  private static final int[] ALPHABET = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_.:/ éßкы水💧𝄞"
      .codePoints().toArray();

  static String randomString(Random rnd, int codePoints) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < codePoints; i++) {
      b.appendCodePoint(ALPHABET[rnd.nextInt(ALPHABET.length)]);
    }
    return b.toString();
  }

  /** A millisecond in 2000-01-01..2024-12-31, inside reading_ts_plausible. */
  static long randomTs(Random rnd) {
    return Y2000 + (long) (rnd.nextDouble() * (Y2025 - Y2000));
  }

  private static long millis(String instant) {
    return Instant.parse(instant).toEpochMilli();
  }

  private static void outOfRange(List<Kind> k, String name, long ts) {
    String tag = "reading_ts=" + name;
    k.add(new Kind(tag, false, rnd -> {
      Sent s = baseline(rnd).withReadingTs(ts);
      Expect dead = new InDeadLetter(VALUE_OUT_OF_RANGE, null,
          List.of("reading_ts", Long.toString(ts)));
      return new Case(tag, encode(s), dead, dead);
    }));
  }

  private static void inRange(List<Kind> k, String name, long ts, String... brokenRules) {
    field(k, "reading_ts=" + name, s -> s.withReadingTs(ts), brokenRules);
  }

  /**
   * A v2 baseline with {@code change} applied: with the built-in rules a RULE_VIOLATION naming
   * {@code brokenRules} (in config order), or bronze when there are none; without rules, bronze.
   */
  private static void field(List<Kind> k, String tag, UnaryOperator<Sent> change,
      String... brokenRules) {
    k.add(new Kind(tag, false, rnd -> {
      Sent s = change.apply(baseline(rnd));
      Expect builtIn = brokenRules.length == 0
          ? new InBronze(s)
          : new InDeadLetter(RULE_VIOLATION, "broken rules: " + String.join(", ", brokenRules),
              List.of());
      return new Case(tag, encode(s), builtIn, new InBronze(s));
    }));
  }

  private static void bothDead(List<Kind> k, String tag, Function<Random, byte[]> value,
      String code, String messagePart) {
    k.add(new Kind(tag, false, rnd -> deadInBoth(tag, value.apply(rnd), code, messagePart)));
  }

  private static Case deadInBoth(String tag, byte[] value, String code, String messagePart) {
    Expect dead = new InDeadLetter(code, null, List.of(messagePart));
    return new Case(tag, value, dead, dead);
  }

  private static Case either(String tag, byte[] value) {
    return new Case(tag, value, new EitherTable(), new EitherTable());
  }

  /** A valid v2 record whose firmware makes the whole value exactly {@code size} bytes. */
  private static Case bigFirmware(Random rnd, String tag, int size) {
    Sent base = baseline(rnd);
    Sent s = base.withFirmware("");
    int firmware = 0;
    for (int i = 0; i < 5 && encode(s).length != size; i++) {
      firmware += size - encode(s).length;
      s = base.withFirmware("F".repeat(firmware));
    }
    byte[] value = encode(s);
    if (value.length != size) {
      throw new IllegalStateException("cannot size a payload to " + size + " bytes");
    }
    if (size <= MAX_PAYLOAD) {
      return new Case(tag, value, new InBronze(s), new InBronze(s));
    }
    return deadInBoth(tag, value, ErrorCode.PAYLOAD_TOO_LARGE.name(),
        "has " + size + " bytes, over the limit of " + MAX_PAYLOAD);
  }

  // ---------------------------------------------------------------------------------------------
  // Encoding.

  /** The wire-format value of {@code s} in its own schema id. */
  static byte[] encode(Sent s) {
    return wire(s.schemaId(), s);
  }

  /** {@code s} written with schema {@code id}, in the wire format with that id. */
  private static byte[] wire(int id, Sent s) {
    return SensorReadingPayloads.wire(id, avroBody(id == 1 ? V1 : V2, s));
  }

  /** Avro binary of {@code s} written with {@code schema} by GenericDatumWriter (no header). */
  static byte[] avroBody(Schema schema, Sent s) {
    GenericRecord r = new GenericData.Record(schema);
    r.put("sensor_id", s.sensorId());
    r.put("reading_ts", s.readingTs());
    r.put("temperature_c", s.temperatureC());
    r.put("humidity_pct", s.humidityPct());
    r.put("battery_pct", s.batteryPct());
    r.put("status", s.status());
    r.put("firmware", s.firmware());
    if (schema.getField("pressure_hpa") != null) {
      r.put("pressure_hpa", s.pressureHpa());
    }
    return SensorReadingPayloads.avroBody(schema, r);
  }

  private static byte[] json(Sent s) {
    return SensorReadingPayloads.json(new Reading(s.sensorId(), Instant.ofEpochMilli(s.readingTs()),
        s.temperatureC(), s.humidityPct(), s.batteryPct(), s.status(), s.firmware(),
        s.pressureHpa()));
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Avro binary written value by value, for bodies GenericDatumWriter cannot produce. */
  static final class Body {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);

    /** A string as Avro writes one: the length, then the bytes as given (UTF-8 or not). */
    Body string(byte[] bytes) {
      return length(bytes.length).raw(bytes);
    }

    /** A length prefix alone (zig-zag varint), claiming whatever it is told. */
    Body length(long claimed) {
      return longValue(claimed);
    }

    Body longValue(long v) {
      try {
        enc.writeLong(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    Body doubleValue(double v) {
      try {
        enc.writeDouble(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    /** A union branch index (an Avro int), valid or not. */
    Body index(int i) {
      try {
        enc.writeInt(i);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    Body raw(byte[] bytes) {
      out.writeBytes(bytes);
      return this;
    }

    byte[] wire(int schemaId) {
      return SensorReadingPayloads.wire(schemaId, out.toByteArray());
    }
  }
}
