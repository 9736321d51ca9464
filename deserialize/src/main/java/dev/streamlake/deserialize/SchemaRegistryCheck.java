package dev.streamlake.deserialize;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.PipelineConfig.PayloadFormat;
import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 2's start-up check of the schema registry. Executors meet a broken registry setup only
 * when a record's id is missing from the schema folder, maybe hours later, and then fail batch
 * after batch. So the driver asks for the pipeline's reader schema id before any query starts: an
 * unreachable registry, refused credentials, a TLS failure, an unknown reader id or a registry
 * whose schema for that id is not the folder's (by Avro parsing canonical form) stop the stage at
 * once with a {@link ConfigException}.
 */
final class SchemaRegistryCheck {
  private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryCheck.class);

  private SchemaRegistryCheck() {}

  /** Does nothing without a registry or for JSON payloads, which never use it. */
  static void verify(DeserializeConfig config) {
    if (config.schemaRegistry() != null) {
      verify(config.schemaRegistry(), config.settings().pipeline(), SchemaRegistryClient::shared);
    }
  }

  static void verify(
      SchemaRegistrySettings registry,
      PipelineConfig pipeline,
      Function<SchemaRegistrySettings, SchemaRegistryClient> clients) {
    String url = registry.baseUrl();
    if (pipeline.format() != PayloadFormat.AVRO) {
      LOG.info("Schema registry {} not checked: payloads are {}, which never use it", url,
          pipeline.format());
      return;
    }
    if (!registry.https() && !registry.auth().equals("none")) {
      LOG.warn("Schema registry {} is plain http: its credentials ({}) travel unencrypted", url,
          registry.auth());
    }
    int readerId = pipeline.schemas().readerId();
    String directory = pipeline.schemas().directory();
    String readerSetting = "the reader schema id " + readerId + " (schemas.readerId)";
    SchemaRegistryClient.Answer answer;
    try {
      answer = clients.apply(registry).schemaById(readerId);
    } catch (SchemaRegistryUnavailableException e) {
      throw new ConfigException("Cannot check " + readerSetting + " with the schema registry "
          + url + ": " + e.getMessage() + ". Stage 2 does not start without a working registry:"
          + " fix the --schema-registry-* settings, or start it again once the registry is back.",
          e);
    }
    if (answer instanceof SchemaRegistryClient.NotFound) {
      throw new ConfigException("The schema registry " + url + " does not know " + readerSetting
          + ", which " + directory + " holds. Register that schema under id " + readerId
          + ", or point --schema-registry-url at the registry the producers use.");
    }
    if (answer instanceof SchemaRegistryClient.NotAvro notAvro) {
      throw new ConfigException("The schema registry " + url + " holds a "
          + notAvro.schemaType() + " schema under " + readerSetting + ", not Avro.");
    }
    Schema registered;
    try {
      registered = new Schema.Parser().parse(((SchemaRegistryClient.Found) answer).schema());
    } catch (SchemaParseException e) {
      throw new ConfigException("The schema registry " + url + " holds no valid Avro schema"
          + " under " + readerSetting + ": " + e.getMessage(), e);
    }
    Schema reader = pipeline.readerSchema();
    if (!SchemaNormalization.toParsingForm(registered)
        .equals(SchemaNormalization.toParsingForm(reader))) {
      throw new ConfigException("The schema registry " + url + " holds another schema under "
          + readerSetting + " than " + directory + ": Avro parsing canonical forms differ"
          + " (fingerprint " + Long.toHexString(SchemaNormalization.parsingFingerprint64(registered))
          + " in the registry, " + Long.toHexString(SchemaNormalization.parsingFingerprint64(reader))
          + " in the folder). Ids would mean different schemas in the folder and the registry;"
          + " make them agree, or point --schema-registry-url at the registry the producers use.");
    }
    LOG.info("Schema registry {} checked: it holds {} as {} does (auth: {}; TLS: {})", url,
        readerSetting, directory, registry.auth(), registry.tls());
  }
}
