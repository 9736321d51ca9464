package dev.streamlake.deserialize;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.PipelineConfig.PayloadFormat;
import java.io.Serializable;
import org.apache.avro.Schema;

/**
 * Everything an executor needs to decode payloads; small and serializable, shipped with the task.
 * The reader schema travels as JSON text; writer schemas are looked up on the executor by id.
 * Registry credentials travel as the names of their sources and are read on the executor.
 */
record DecoderSettings(
    PayloadFormat format,
    String schemaDirectory,
    SchemaRegistrySettings registry,
    String readerSchemaJson,
    long maxPayloadBytes)
    implements Serializable {

  /** With a registry at {@code registryUrl} (null: none) and its default settings. */
  static DecoderSettings of(PipelineConfig pipeline, String registryUrl) {
    return withRegistry(
        pipeline, registryUrl == null ? null : SchemaRegistrySettings.of(registryUrl));
  }

  static DecoderSettings withRegistry(PipelineConfig pipeline, SchemaRegistrySettings registry) {
    return new DecoderSettings(
        pipeline.format(),
        pipeline.schemas().directory(),
        registry,
        pipeline.readerSchema().toString(),
        pipeline.maxPayloadBytes());
  }

  Schema readerSchema() {
    return new Schema.Parser().parse(readerSchemaJson);
  }
}
