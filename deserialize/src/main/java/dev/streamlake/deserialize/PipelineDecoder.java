package dev.streamlake.deserialize;

import dev.streamlake.common.PipelineConfig;
import org.apache.avro.Schema;

/**
 * Stage 2's decoder outside Spark, for benchmarks and tools: decodes payloads exactly as the
 * stage's executors do, to the reader schema's fields as bronze stores them or to the dead-letter
 * code and message. Writer schemas come from the pipeline's schema folder only; no schema registry
 * is asked.
 *
 * <p>Not thread safe (the decoder reuses its readers and buffers between payloads): one per
 * thread.
 */
public final class PipelineDecoder {
  private final PayloadDecoder decoder;
  private final CatalystValues values = new CatalystValues();

  private PipelineDecoder(PayloadDecoder decoder) {
    this.decoder = decoder;
  }

  /** A decoder for {@code pipeline}'s payload format, reader schema and payload size limit. */
  public static PipelineDecoder of(PipelineConfig pipeline) {
    return new PipelineDecoder(PayloadDecoder.create(DecoderSettings.of(pipeline, null)));
  }

  /** One Kafka value: the decoded record or why it would be a dead letter; never throws for it. */
  public DecodeResult decode(byte[] value) {
    return decoder.decode(value);
  }

  /**
   * One Avro datum of {@code schema} as bronze stores it, after the range checks decoding applies
   * to it, or the failure of those checks. Prices the checks apart from the rest of decoding.
   */
  public Object checkedValue(Schema schema, Object datum, String path) {
    try {
      return values.avro(schema, datum, path);
    } catch (CatalystValues.InvalidValueException e) {
      return DecodeFailure.invalidValue(null, e);
    }
  }
}
