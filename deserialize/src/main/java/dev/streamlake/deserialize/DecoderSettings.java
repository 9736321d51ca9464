package dev.streamlake.deserialize;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.PipelineConfig.PayloadFormat;
import java.io.Serializable;
import org.apache.avro.Schema;

/**
 * Everything an executor needs to decode payloads; small and serializable, shipped with the task.
 * The reader schema travels as JSON text; writer schemas are looked up on the executor by id.
 */
record DecoderSettings(
    PayloadFormat format,
    String schemaDirectory,
    String registryUrl,
    String readerSchemaJson,
    long maxPayloadBytes)
    implements Serializable {

  static DecoderSettings of(PipelineConfig pipeline, String registryUrl) {
    return new DecoderSettings(
        pipeline.format(),
        pipeline.schemas().directory(),
        registryUrl,
        pipeline.readerSchema().toString(),
        pipeline.maxPayloadBytes());
  }

  Schema readerSchema() {
    return new Schema.Parser().parse(readerSchemaJson);
  }

  /** Where writer schemas are looked up, for messages. */
  String schemaSources() {
    return registryUrl == null
        ? schemaDirectory
        : schemaDirectory + " nor in the schema registry " + registryUrl;
  }
}
