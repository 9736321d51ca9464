package dev.streamlake.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamlake.common.AvroSchemas;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * Encodes sensor readings the way producers do: Confluent wire format (magic byte 0, 4-byte
 * big-endian schema id, Avro binary) with the v1 or v2 schema shipped in common, or JSON with the
 * same field names and {@code reading_ts} as epoch millis. For tests and demos of every stage.
 */
public final class SensorReadingPayloads {
  public static final String SCHEMA_DIRECTORY = "classpath:schemas/sensor_readings";
  public static final int V1 = 1;
  public static final int V2 = 2;

  private static final ObjectMapper JSON = new ObjectMapper();

  private SensorReadingPayloads() {}

  /** One reading. {@code pressureHpa} exists only in v2 and is dropped by {@link #v1}. */
  public record Reading(
      String sensorId,
      Instant readingTs,
      double temperatureC,
      Double humidityPct,
      Integer batteryPct,
      String status,
      String firmware,
      Double pressureHpa) {

    /** A plausible OK reading with every optional field null. */
    public static Reading of(String sensorId, Instant readingTs, double temperatureC) {
      return new Reading(sensorId, readingTs, temperatureC, null, null, "OK", null, null);
    }

    public Reading withSensorId(String v) {
      return new Reading(v, readingTs, temperatureC, humidityPct, batteryPct, status, firmware,
          pressureHpa);
    }

    public Reading withTemperature(double v) {
      return new Reading(sensorId, readingTs, v, humidityPct, batteryPct, status, firmware,
          pressureHpa);
    }

    public Reading withHumidity(Double v) {
      return new Reading(sensorId, readingTs, temperatureC, v, batteryPct, status, firmware,
          pressureHpa);
    }

    public Reading withBattery(Integer v) {
      return new Reading(sensorId, readingTs, temperatureC, humidityPct, v, status, firmware,
          pressureHpa);
    }

    public Reading withStatus(String v) {
      return new Reading(sensorId, readingTs, temperatureC, humidityPct, batteryPct, v, firmware,
          pressureHpa);
    }

    public Reading withFirmware(String v) {
      return new Reading(sensorId, readingTs, temperatureC, humidityPct, batteryPct, status, v,
          pressureHpa);
    }

    public Reading withPressure(Double v) {
      return new Reading(sensorId, readingTs, temperatureC, humidityPct, batteryPct, status,
          firmware, v);
    }
  }

  public static Schema schema(int id) {
    return AvroSchemas.load(SCHEMA_DIRECTORY, id);
  }

  /** Wire format, schema id 1 (no pressure_hpa). */
  public static byte[] v1(Reading r) {
    return wire(V1, avroBody(V1, r));
  }

  /** Wire format, schema id 2. */
  public static byte[] v2(Reading r) {
    return wire(V2, avroBody(V2, r));
  }

  /** The Avro binary body (no wire header) of {@code r} in schema {@code id}. */
  public static byte[] avroBody(int id, Reading r) {
    Schema schema = schema(id);
    GenericRecord rec = new GenericData.Record(schema);
    rec.put("sensor_id", r.sensorId());
    rec.put("reading_ts", r.readingTs().toEpochMilli());
    rec.put("temperature_c", r.temperatureC());
    rec.put("humidity_pct", r.humidityPct());
    rec.put("battery_pct", r.batteryPct());
    rec.put("status", r.status());
    rec.put("firmware", r.firmware());
    if (schema.getField("pressure_hpa") != null) {
      rec.put("pressure_hpa", r.pressureHpa());
    }
    return avroBody(schema, rec);
  }

  /** Avro binary of any record. */
  public static byte[] avroBody(Schema schema, GenericRecord record) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    try {
      new GenericDatumWriter<GenericRecord>(schema).write(record, enc);
      enc.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Magic byte 0, the big-endian schema id, then {@code body}. */
  public static byte[] wire(int schemaId, byte[] body) {
    return ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(schemaId).put(body).array();
  }

  /** The JSON encoding: the v2 fields by name, reading_ts as epoch millis, nulls written out. */
  public static byte[] json(Reading r) {
    return jsonNode(r).toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The JSON object, for tests that then change or drop a field. */
  public static ObjectNode jsonNode(Reading r) {
    ObjectNode n = JSON.createObjectNode();
    n.put("sensor_id", r.sensorId());
    n.put("reading_ts", r.readingTs().toEpochMilli());
    n.put("temperature_c", r.temperatureC());
    n.put("humidity_pct", r.humidityPct());
    n.put("battery_pct", r.batteryPct());
    n.put("status", r.status());
    n.put("firmware", r.firmware());
    n.put("pressure_hpa", r.pressureHpa());
    return n;
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
