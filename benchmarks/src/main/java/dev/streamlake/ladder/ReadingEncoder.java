package dev.streamlake.ladder;

import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * Sensor readings in the Confluent wire format with schema id 2, byte for byte what
 * {@link SensorReadingPayloads#v2} writes, but with the schema, writer and encoder reused: the
 * ladder encodes millions of them. Not thread-safe.
 */
final class ReadingEncoder {
  private final Schema schema = SensorReadingPayloads.schema(SensorReadingPayloads.V2);
  private final GenericDatumWriter<GenericRecord> writer = new GenericDatumWriter<>(schema);
  private final GenericRecord record = new GenericData.Record(schema);
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(128);
  private BinaryEncoder encoder;

  byte[] v2(Reading r) {
    record.put("sensor_id", r.sensorId());
    record.put("reading_ts", r.readingTs().toEpochMilli());
    record.put("temperature_c", r.temperatureC());
    record.put("humidity_pct", r.humidityPct());
    record.put("battery_pct", r.batteryPct());
    record.put("status", r.status());
    record.put("firmware", r.firmware());
    record.put("pressure_hpa", r.pressureHpa());
    out.reset();
    out.write(0);
    out.write(0);
    out.write(0);
    out.write(0);
    out.write(SensorReadingPayloads.V2);
    encoder = EncoderFactory.get().binaryEncoder(out, encoder);
    try {
      writer.write(record, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
