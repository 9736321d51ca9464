package dev.streamlake.deserialize;

import dev.streamlake.common.PipelineConfig.PayloadFormat;

/**
 * Turns one Kafka value into the reader schema's fields or a {@link DecodeFailure}. Not thread
 * safe and stateful (it reuses readers and buffers, this being the CPU-bound stage): build one per
 * partition with {@link #create}.
 *
 * <p>The contract {@link #decode} keeps: every payload yields a result; no exception escapes for
 * anything a producer can put into a value. The only exception is
 * {@link SchemaRegistryUnavailableException}, an infrastructure failure that must fail the batch.
 */
abstract class PayloadDecoder {
  private final long maxPayloadBytes;

  PayloadDecoder(long maxPayloadBytes) {
    this.maxPayloadBytes = maxPayloadBytes;
  }

  static PayloadDecoder create(DecoderSettings settings) {
    return settings.format() == PayloadFormat.JSON
        ? new JsonPayloadDecoder(settings)
        : new AvroPayloadDecoder(settings);
  }

  final DecodeResult decode(byte[] value) {
    if (value == null) {
      return DecodeFailure.nullPayload();
    }
    if (value.length == 0) {
      return DecodeFailure.emptyPayload();
    }
    if (value.length > maxPayloadBytes) {
      return DecodeFailure.tooLarge(value.length, maxPayloadBytes);
    }
    return decodeBody(value);
  }

  /** {@code value} is non-empty and within the size limit. */
  abstract DecodeResult decodeBody(byte[] value);
}
