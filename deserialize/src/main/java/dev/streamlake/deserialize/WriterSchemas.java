package dev.streamlake.deserialize;

import dev.streamlake.common.AvroSchemas;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.AvroRuntimeException;

/**
 * Writer schemas by id: first the pipeline's schema folder, then the schema registry when one is
 * configured. Found schemas are cached for the life of the JVM (a schema id never changes its
 * schema); misses are not, because an id may be registered later; the decoder remembers misses for
 * one partition only.
 */
final class WriterSchemas {
  private static final Map<String, Schema> CACHE = new ConcurrentHashMap<>();

  /** The outcome of a lookup. */
  sealed interface Lookup permits Found, Missing, Unusable {}

  record Found(Schema schema) implements Lookup {}

  record Missing() implements Lookup {}

  record Unusable(String why) implements Lookup {}

  private final String directory;
  private final String registryUrl;
  private final SchemaRegistryClient registry;

  WriterSchemas(String directory, String registryUrl) {
    this.directory = directory;
    this.registryUrl = registryUrl;
    this.registry = registryUrl == null ? null : new SchemaRegistryClient(registryUrl);
  }

  /** Throws {@link SchemaRegistryUnavailableException} when the registry cannot answer. */
  Lookup find(int id) {
    String localKey = "dir:" + directory + "#" + id;
    Schema cached = CACHE.get(localKey);
    if (cached != null) {
      return new Found(cached);
    }
    Schema local = AvroSchemas.find(directory, id);
    if (local != null) {
      CACHE.put(localKey, local);
      return new Found(local);
    }
    if (registry == null) {
      return new Missing();
    }
    String registryKey = "registry:" + registryUrl + "#" + id;
    cached = CACHE.get(registryKey);
    if (cached != null) {
      return new Found(cached);
    }
    SchemaRegistryClient.Answer answer = registry.schemaById(id);
    if (answer instanceof SchemaRegistryClient.NotFound) {
      return new Missing();
    }
    if (answer instanceof SchemaRegistryClient.NotAvro notAvro) {
      return new Unusable("the registry holds a " + notAvro.schemaType() + " schema, not Avro");
    }
    String text = ((SchemaRegistryClient.Found) answer).schema();
    try {
      Schema schema = new Schema.Parser().parse(text);
      CACHE.put(registryKey, schema);
      return new Found(schema);
    } catch (AvroRuntimeException e) {
      return new Unusable("the registry's schema is not valid Avro: " + e.getMessage());
    }
  }
}
