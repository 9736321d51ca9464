package dev.streamlake.bench;

import dev.streamlake.deserialize.ErrorCode;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Deterministic payloads for the benchmarks: plausible readings that pass every rule of the
 * sensor-readings pipeline, and the broken kinds a producer can send, each with the error code
 * stage 2 must give it. Seeded, so two runs measure the same bytes.
 */
public final class BenchPayloads {
  /** The first reading day (UTC); readings spread over {@code days} days from here. */
  public static final LocalDate FIRST_DAY = LocalDate.of(2024, 5, 1);

  private static final String[] STATUS = {"OK", "OK", "OK", "WARN", "FAULT"};

  private BenchPayloads() {}

  /** A broken payload and the dead-letter code it must get. */
  public record Broken(byte[] payload, ErrorCode expected) {}

  /** Reading number {@code i}: sensor {@code i % sensors}, day {@code (i / sensors) % days}. */
  public static Reading reading(Random random, long i, int sensors, int days) {
    int sensor = (int) (i % sensors);
    int day = (int) ((i / sensors) % days);
    Instant ts = FIRST_DAY.plusDays(day).atStartOfDay(ZoneOffset.UTC).toInstant()
        .plusMillis(random.nextInt(86_400_000));
    return new Reading(
        "sensor-" + sensor,
        ts,
        Math.round((random.nextDouble() * 60 - 20) * 100) / 100.0,
        random.nextInt(10) == 0 ? null : Math.round(random.nextDouble() * 10000) / 100.0,
        random.nextInt(10) == 0 ? null : random.nextInt(101),
        STATUS[random.nextInt(STATUS.length)],
        random.nextInt(4) == 0 ? null : "fw-1." + random.nextInt(20),
        random.nextInt(5) == 0 ? null : 950 + Math.round(random.nextDouble() * 10000) / 100.0);
  }

  /** The reading date (gold's key part) of reading number {@code i}. */
  public static LocalDate readingDate(long i, int sensors, int days) {
    return FIRST_DAY.plusDays((i / sensors) % days);
  }

  /** The distinct broken kinds, cycled by {@link #broken}. */
  public static final int BROKEN_KINDS = 8;

  /**
   * Broken payload number {@code i}, cycling through: garbage text (bad magic byte), a short
   * header, an unknown schema id, a truncated v2 body, trailing bytes after a v1 body, random
   * bytes behind a v2 header, an empty value, and a decodable reading that breaks a rule.
   */
  public static Broken broken(Random random, long i) {
    Reading r = reading(random, i, 1000, 1);
    byte[] v2 = SensorReadingPayloads.v2(r);
    return switch ((int) (i % BROKEN_KINDS)) {
      case 0 -> new Broken("{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8),
          ErrorCode.BAD_MAGIC_BYTE);
      case 1 -> new Broken(new byte[] {0, 0, 2}, ErrorCode.MALFORMED_AVRO);
      case 2 -> new Broken(SensorReadingPayloads.wire(99, SensorReadingPayloads.avroBody(2, r)),
          ErrorCode.UNKNOWN_SCHEMA_ID);
      case 3 -> new Broken(Arrays.copyOf(v2, v2.length / 2), ErrorCode.MALFORMED_AVRO);
      case 4 -> {
        byte[] v1 = SensorReadingPayloads.v1(r);
        byte[] longer = Arrays.copyOf(v1, v1.length + 3);
        yield new Broken(longer, ErrorCode.MALFORMED_AVRO);
      }
      case 5 -> {
        byte[] noise = new byte[40];
        random.nextBytes(noise);
        // A huge negative string length up front, so the body can never parse.
        noise[0] = (byte) 0x7f;
        yield new Broken(SensorReadingPayloads.wire(2, noise), ErrorCode.MALFORMED_AVRO);
      }
      case 6 -> new Broken(new byte[0], ErrorCode.EMPTY_PAYLOAD);
      default -> new Broken(SensorReadingPayloads.v2(r.withTemperature(500.0)),
          ErrorCode.RULE_VIOLATION);
    };
  }

  /** The JSON broken kinds: not JSON, a JSON array, a missing field, a wrong type. */
  public static List<Broken> brokenJson(Random random) {
    Reading r = reading(random, 0, 1, 1);
    var missing = SensorReadingPayloads.jsonNode(r);
    missing.remove("sensor_id");
    var wrongType = SensorReadingPayloads.jsonNode(r);
    wrongType.put("temperature_c", "warm");
    return List.of(
        new Broken(SensorReadingPayloads.utf8("{\"sensor_id\": "), ErrorCode.MALFORMED_JSON),
        new Broken(SensorReadingPayloads.utf8("[1, 2, 3]"), ErrorCode.MALFORMED_JSON),
        new Broken(SensorReadingPayloads.utf8(missing.toString()), ErrorCode.MALFORMED_JSON),
        new Broken(SensorReadingPayloads.utf8(wrongType.toString()), ErrorCode.MALFORMED_JSON));
  }
}
