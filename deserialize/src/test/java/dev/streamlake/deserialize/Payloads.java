package dev.streamlake.deserialize;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.PipelineConfig.PayloadFormat;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import java.time.Instant;

/** Decoder settings and readings shared by the decoder tests. */
final class Payloads {
  static final Instant MIDNIGHT = Instant.parse("2024-03-01T00:00:00Z");

  private Payloads() {}

  static DecoderSettings avro() {
    return DecoderSettings.of(PipelineConfig.sensorReadings(), null);
  }

  static DecoderSettings avro(String registryUrl) {
    return DecoderSettings.of(PipelineConfig.sensorReadings(), registryUrl);
  }

  static DecoderSettings json() {
    return DecoderSettings.of(
        PipelineConfig.sensorReadings().withFormat(PayloadFormat.JSON), null);
  }

  static DecoderSettings withMaxPayload(DecoderSettings s, long max) {
    return new DecoderSettings(
        s.format(), s.schemaDirectory(), s.registry(), s.readerSchemaJson(), max);
  }

  static Reading full() {
    return new Reading("sensor-1", MIDNIGHT, 21.5, 40.25, 87, "WARN", "fw-1.2.3", 1013.5);
  }

  static Reading minimal() {
    return Reading.of("sensor-2", MIDNIGHT, -3.0);
  }

  static byte[] v1(Reading r) {
    return SensorReadingPayloads.v1(r);
  }

  static byte[] v2(Reading r) {
    return SensorReadingPayloads.v2(r);
  }

  static byte[] json(Reading r) {
    return SensorReadingPayloads.json(r);
  }
}
