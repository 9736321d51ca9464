package dev.streamlake.e2e;

import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A deterministic (seeded) set of Kafka records for the sensor-readings pipeline, and what the
 * pipeline must make of them. It holds valid v1 and v2 readings of several sensors over two UTC
 * days, late (older) readings, exact duplicates, readings with the same timestamp as the current
 * latest, rule violations and undecodable payloads.
 *
 * <p>The expected outcome is computed from the records by the design's rules, independently of the
 * stages' code: every record lands in raw; an undecodable or invalid one goes to dead_letter with
 * its code, the rest to bronze; gold holds per (sensor_id, UTC date of reading_ts) the valid reading
 * with the highest (reading_ts, offset). Records of one sensor share a key, so a partition, and
 * are produced in list order: list order is offset order within a key.
 *
 * <p>The two days are the two UTC days before today, so every reading passes the rule "not more
 * than 1 day after now, not before 2000" whenever the samples are built.
 */
public final class SampleReadings {

  /** What a record is for; the report and the tests count by it. */
  public enum Kind {
    VALID, LATE, DUPLICATE, EQUAL_TIMESTAMP, RULE_VIOLATION, BAD_MAGIC_BYTE, UNKNOWN_SCHEMA_ID,
    TRUNCATED_AVRO, EMPTY_PAYLOAD
  }

  /** One record to produce and, when it is valid, the reading bronze must hold for it. */
  public record Sample(Kind kind, byte[] key, byte[] value, Reading reading, int schemaId,
      String expectedErrorCode) {

    public boolean valid() {
      return expectedErrorCode == null;
    }

    public ProducerRecord<byte[], byte[]> toRecord(String topic) {
      return new ProducerRecord<>(topic, key, value);
    }

    /** The gold row this reading would be, if it wins its key. */
    public GoldRow goldRow() {
      return GoldRow.of(reading, schemaId == SensorReadingPayloads.V1);
    }
  }

  /**
   * A gold row's key and value columns. Offsets are left out on purpose: an exact duplicate at a
   * later offset leaves the stored row as it is ("a record whose values equal the stored row
   * changes nothing"), so which of the two offsets gold shows depends on how batches fell.
   */
  public record GoldRow(String sensorId, LocalDate readingDate, Instant readingTs, double temperatureC,
      Double humidityPct, Integer batteryPct, String status, String firmware, Double pressureHpa) {

    static GoldRow of(Reading r, boolean v1) {
      return new GoldRow(r.sensorId(), LocalDate.ofInstant(r.readingTs(), ZoneOffset.UTC), r.readingTs(),
          r.temperatureC(), r.humidityPct(), r.batteryPct(), r.status(), r.firmware(),
          v1 ? null : r.pressureHpa());
    }

    public GoldKey key() {
      return new GoldKey(sensorId, readingDate);
    }
  }

  /** Gold's business key. */
  public record GoldKey(String sensorId, LocalDate readingDate) implements Comparable<GoldKey> {
    @Override
    public int compareTo(GoldKey o) {
      int c = sensorId.compareTo(o.sensorId);
      return c != 0 ? c : readingDate.compareTo(o.readingDate);
    }
  }

  public static final long DEFAULT_SEED = 20_240_601L;
  static final int SENSORS = 8;
  private static final String[] STATUSES = {"OK", "OK", "OK", "WARN", "FAULT"};
  private static final String[] FIRMWARE = {"1.4.2", "1.5.0", "2.0.1"};

  private final List<Sample> samples;
  private final List<LocalDate> days;

  private SampleReadings(List<Sample> samples, List<LocalDate> days) {
    this.samples = List.copyOf(samples);
    this.days = List.copyOf(days);
  }

  /** About {@code count} records (at least 40, so that every kind occurs), seeded. */
  public static SampleReadings generate(int count, long seed) {
    return generate(count, seed, Instant.now());
  }

  static SampleReadings generate(int count, long seed, Instant now) {
    if (count < 40) {
      throw new IllegalArgumentException("need at least 40 records so every kind occurs, not " + count);
    }
    Random random = new Random(seed);
    Instant today = now.truncatedTo(ChronoUnit.DAYS);
    List<Instant> dayStarts = List.of(today.minus(2, ChronoUnit.DAYS), today.minus(1, ChronoUnit.DAYS));
    List<String> sensors = new ArrayList<>();
    for (int i = 1; i <= SENSORS; i++) {
      sensors.add(String.format("sensor-%02d", i));
    }

    // A fixed share of each kind, shuffled; the kinds that refer back to earlier readings fall back
    // to a fresh valid reading when nothing earlier fits.
    int ruleViolations = Math.max(7, count * 6 / 100);
    int undecodable = Math.max(5, count * 6 / 100);
    int late = Math.max(2, count * 8 / 100);
    int duplicates = Math.max(2, count * 5 / 100);
    int equalTs = Math.max(2, count * 4 / 100);
    List<Kind> kinds = new ArrayList<>();
    add(kinds, Kind.RULE_VIOLATION, ruleViolations);
    Kind[] broken = {Kind.BAD_MAGIC_BYTE, Kind.UNKNOWN_SCHEMA_ID, Kind.TRUNCATED_AVRO, Kind.EMPTY_PAYLOAD};
    for (int i = 0; i < undecodable; i++) {
      kinds.add(broken[i % broken.length]);
    }
    add(kinds, Kind.LATE, late);
    add(kinds, Kind.DUPLICATE, duplicates);
    add(kinds, Kind.EQUAL_TIMESTAMP, equalTs);
    add(kinds, Kind.VALID, count - kinds.size());
    Collections.shuffle(kinds, random);
    // Start with valid readings so the first late/duplicate/equal-timestamp records have something
    // to refer to.
    for (int i = 0; i < Math.min(SENSORS, kinds.size()); i++) {
      int j = kinds.subList(i, kinds.size()).indexOf(Kind.VALID);
      if (j > 0) {
        Collections.swap(kinds, i, i + j);
      }
    }

    List<Sample> out = new ArrayList<>(count);
    List<Sample> validSoFar = new ArrayList<>();
    Map<GoldKey, Sample> latest = new HashMap<>();
    int violationKind = 0;
    for (Kind kind : kinds) {
      Sample s = switch (kind) {
        case VALID -> fresh(random, sensors, dayStarts);
        case LATE -> late(random, latest);
        case DUPLICATE -> validSoFar.isEmpty() ? null : duplicate(random, validSoFar);
        case EQUAL_TIMESTAMP -> equalTimestamp(random, latest);
        case RULE_VIOLATION -> violation(random, sensors, dayStarts, violationKind++);
        case BAD_MAGIC_BYTE, UNKNOWN_SCHEMA_ID, TRUNCATED_AVRO, EMPTY_PAYLOAD ->
            undecodable(kind, random, sensors, dayStarts);
      };
      if (s == null) {
        s = fresh(random, sensors, dayStarts);
      }
      out.add(s);
      if (s.valid()) {
        validSoFar.add(s);
        GoldKey key = s.goldRow().key();
        Sample current = latest.get(key);
        if (current == null || !s.reading().readingTs().isBefore(current.reading().readingTs())) {
          latest.put(key, s);
        }
      }
    }
    List<LocalDate> days = dayStarts.stream().map(d -> LocalDate.ofInstant(d, ZoneOffset.UTC)).toList();
    return new SampleReadings(out, days);
  }

  private static void add(List<Kind> kinds, Kind kind, int n) {
    for (int i = 0; i < n; i++) {
      kinds.add(kind);
    }
  }

  private static Reading randomReading(Random random, String sensor, Instant dayStart) {
    // Whole seconds inside the UTC day, away from midnight so "late" readings stay on that day.
    Instant ts = dayStart.plusSeconds(3_600 + random.nextInt(80_000));
    double temperature = Math.round((-15 + random.nextDouble() * 55) * 10) / 10.0;
    Double humidity = random.nextInt(5) == 0 ? null : Math.round(random.nextDouble() * 1000) / 10.0;
    Integer battery = random.nextInt(4) == 0 ? null : random.nextInt(101);
    String status = STATUSES[random.nextInt(STATUSES.length)];
    String firmware = random.nextInt(3) == 0 ? null : FIRMWARE[random.nextInt(FIRMWARE.length)];
    Double pressure = random.nextInt(5) == 0 ? null : Math.round((950 + random.nextDouble() * 100) * 10) / 10.0;
    return new Reading(sensor, ts, temperature, humidity, battery, status, firmware, pressure);
  }

  private static Sample encode(Kind kind, Random random, Reading r) {
    int schemaId = random.nextInt(3) == 0 ? SensorReadingPayloads.V1 : SensorReadingPayloads.V2;
    return encode(kind, r, schemaId);
  }

  private static Sample encode(Kind kind, Reading r, int schemaId) {
    byte[] value = schemaId == SensorReadingPayloads.V1 ? SensorReadingPayloads.v1(r) : SensorReadingPayloads.v2(r);
    return new Sample(kind, utf8(r.sensorId()), value, r, schemaId, null);
  }

  private static Sample fresh(Random random, List<String> sensors, List<Instant> dayStarts) {
    String sensor = sensors.get(random.nextInt(sensors.size()));
    Instant day = dayStarts.get(random.nextInt(dayStarts.size()));
    return encode(Kind.VALID, random, randomReading(random, sensor, day));
  }

  /** A valid reading older than the latest one of its sensor and day: it must not win. */
  private static Sample late(Random random, Map<GoldKey, Sample> latest) {
    Sample current = pick(random, latest);
    if (current == null) {
      return null;
    }
    Instant ts = current.reading().readingTs();
    Instant dayStart = ts.truncatedTo(ChronoUnit.DAYS);
    long secondsIntoDay = ts.getEpochSecond() - dayStart.getEpochSecond();
    if (secondsIntoDay < 2) {
      return null;
    }
    Instant older = dayStart.plusSeconds(random.nextLong(secondsIntoDay - 1) + 1);
    Reading r = randomReading(random, current.reading().sensorId(), dayStart);
    r = new Reading(r.sensorId(), older, r.temperatureC(), r.humidityPct(), r.batteryPct(), r.status(),
        r.firmware(), r.pressureHpa());
    return encode(Kind.LATE, random, r);
  }

  /** The very same key and value bytes as an earlier valid record. */
  private static Sample duplicate(Random random, List<Sample> validSoFar) {
    Sample earlier = validSoFar.get(random.nextInt(validSoFar.size()));
    return new Sample(Kind.DUPLICATE, earlier.key().clone(), earlier.value().clone(), earlier.reading(),
        earlier.schemaId(), null);
  }

  /** Same sensor and reading_ts as the current latest, other values: the later offset wins. */
  private static Sample equalTimestamp(Random random, Map<GoldKey, Sample> latest) {
    Sample current = pick(random, latest);
    if (current == null) {
      return null;
    }
    Reading r = current.reading();
    // Another temperature, kept inside the rule temperature_range (-90 to 70): a long run picks the
    // same latest reading again and again, and raising it every time would drift out of range.
    double step = 0.5 + random.nextInt(5);
    double temperature = r.temperatureC() + step > 60 ? r.temperatureC() - step : r.temperatureC() + step;
    Reading changed = r.withTemperature(Math.round(temperature * 10) / 10.0).withStatus("WARN");
    return encode(Kind.EQUAL_TIMESTAMP, random, changed);
  }

  private static Sample pick(Random random, Map<GoldKey, Sample> latest) {
    if (latest.isEmpty()) {
      return null;
    }
    List<GoldKey> keys = new ArrayList<>(new TreeMap<>(latest).keySet());
    return latest.get(keys.get(random.nextInt(keys.size())));
  }

  private static Sample violation(Random random, List<String> sensors, List<Instant> dayStarts, int n) {
    String sensor = sensors.get(random.nextInt(sensors.size()));
    Reading r = randomReading(random, sensor, dayStarts.get(random.nextInt(dayStarts.size())));
    r = switch (n % 7) {
      case 0 -> r.withTemperature(150.0);
      case 1 -> r.withHumidity(120.0);
      case 2 -> r.withBattery(-5);
      case 3 -> r.withStatus("BROKEN");
      case 4 -> r.withSensorId("");
      case 5 -> r.withSensorId("x".repeat(65));
      default -> new Reading(r.sensorId(), Instant.parse("1999-06-01T12:00:00Z"), r.temperatureC(),
          r.humidityPct(), r.batteryPct(), r.status(), r.firmware(), r.pressureHpa());
    };
    byte[] value = SensorReadingPayloads.v2(r);
    return new Sample(Kind.RULE_VIOLATION, utf8(r.sensorId()), value, r, SensorReadingPayloads.V2,
        "RULE_VIOLATION");
  }

  private static Sample undecodable(Kind kind, Random random, List<String> sensors, List<Instant> dayStarts) {
    String sensor = sensors.get(random.nextInt(sensors.size()));
    Reading r = randomReading(random, sensor, dayStarts.get(random.nextInt(dayStarts.size())));
    byte[] good = SensorReadingPayloads.v2(r);
    byte[] value;
    String code;
    switch (kind) {
      case BAD_MAGIC_BYTE -> {
        value = good.clone();
        value[0] = 7;
        code = "BAD_MAGIC_BYTE";
      }
      case UNKNOWN_SCHEMA_ID -> {
        value = SensorReadingPayloads.wire(99, SensorReadingPayloads.avroBody(SensorReadingPayloads.V2, r));
        code = "UNKNOWN_SCHEMA_ID";
      }
      case TRUNCATED_AVRO -> {
        // Header and the first few bytes of the body: the sensor_id string ends past the end.
        value = Arrays.copyOf(good, 5 + 3);
        code = "MALFORMED_AVRO";
      }
      case EMPTY_PAYLOAD -> {
        value = new byte[0];
        code = "EMPTY_PAYLOAD";
      }
      default -> throw new IllegalArgumentException(kind.toString());
    }
    return new Sample(kind, utf8(sensor), value, null, 0, code);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public List<Sample> samples() {
    return samples;
  }

  public int size() {
    return samples.size();
  }

  /**
   * The first {@code n} records and what the pipeline must make of them, for a run that stops
   * producing part way. Late, duplicate and equal-timestamp records refer only to earlier ones, so
   * a prefix is a sample set of its own.
   */
  public SampleReadings prefix(int n) {
    if (n < 0 || n > samples.size()) {
      throw new IllegalArgumentException("a prefix of 0 to " + samples.size() + " records, not " + n);
    }
    return new SampleReadings(samples.subList(0, n), days);
  }

  /** The two UTC days the readings fall on. */
  public List<LocalDate> days() {
    return days;
  }

  public List<ProducerRecord<byte[], byte[]>> records(String topic) {
    return records(topic, 0, samples.size());
  }

  /** Records {@code from} (inclusive) to {@code to} (exclusive), to produce in parts. */
  public List<ProducerRecord<byte[], byte[]>> records(String topic, int from, int to) {
    return samples.subList(from, to).stream().map(s -> s.toRecord(topic)).toList();
  }

  /** Every record lands in raw once. */
  public long expectedRaw() {
    return samples.size();
  }

  public long expectedBronze() {
    return samples.stream().filter(Sample::valid).count();
  }

  /** Dead letters by error code, sorted by code. */
  public Map<String, Long> expectedDeadLetters() {
    Map<String, Long> byCode = new TreeMap<>();
    for (Sample s : samples) {
      if (!s.valid()) {
        byCode.merge(s.expectedErrorCode(), 1L, Long::sum);
      }
    }
    return byCode;
  }

  public long expectedDeadLetterCount() {
    return samples.size() - expectedBronze();
  }

  /** Records per kind, in the enum's order. */
  public Map<Kind, Long> countsByKind() {
    Map<Kind, Long> counts = new LinkedHashMap<>();
    for (Kind k : Kind.values()) {
      counts.put(k, 0L);
    }
    samples.forEach(s -> counts.merge(s.kind(), 1L, Long::sum));
    return counts;
  }

  /**
   * Gold: per (sensor_id, UTC reading date) the valid reading with the highest reading_ts, equal
   * timestamps broken by the later record (the higher offset in the sensor's partition).
   */
  public Map<GoldKey, GoldRow> expectedGold() {
    Map<GoldKey, GoldRow> gold = new TreeMap<>();
    Map<GoldKey, Instant> best = new HashMap<>();
    for (Sample s : samples) {
      if (!s.valid()) {
        continue;
      }
      GoldRow row = s.goldRow();
      Instant current = best.get(row.key());
      if (current == null || !row.readingTs().isBefore(current)) {
        best.put(row.key(), row.readingTs());
        gold.put(row.key(), row);
      }
    }
    return gold;
  }
}
