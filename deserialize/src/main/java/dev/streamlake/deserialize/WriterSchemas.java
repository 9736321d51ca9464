package dev.streamlake.deserialize;

import dev.streamlake.common.AvroSchemas;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writer schemas by id: first the pipeline's schema folder, then the schema registry when one is
 * configured. One instance per decoder, so per task.
 *
 * <p>What the registry costs is bounded: found schemas are cached for the life of the JVM (a
 * schema id never changes its schema); "not found" answers are cached JVM-wide for
 * {@link SchemaRegistrySettings#missTtl} (an id may be registered later), and one request for an
 * id is shared by every task asking for it meanwhile. A flood of random ids is what a cache cannot
 * absorb, so each instance may collect {@link SchemaRegistrySettings#maxMissesPerTask} "not found"
 * answers; after that a new id is a dead letter without a request, saying so.
 */
final class WriterSchemas {
  private static final Logger LOG = LoggerFactory.getLogger(WriterSchemas.class);

  private static final Map<String, Schema> FOUND = new ConcurrentHashMap<>();
  /** Ids the registry did not know, by registry and id: when that answer expires (ticker nanos). */
  private static final Map<String, Long> MISSES = new ConcurrentHashMap<>();
  /** Requests under way, so that concurrent tasks asking for one id make one request. */
  private static final Map<String, CompletableFuture<SchemaRegistryClient.Answer>> IN_FLIGHT =
      new ConcurrentHashMap<>();
  /** Bounds the miss cache's memory under a flood of ids; beyond it misses are not cached. */
  static final int MAX_CACHED_MISSES = 100_000;

  /** The outcome of a lookup. */
  sealed interface Lookup permits Found, Missing, Unusable {}

  record Found(Schema schema) implements Lookup {}

  /** Nobody knows the id; {@code failure} is its dead letter, saying where it was looked for. */
  record Missing(DecodeFailure failure) implements Lookup {}

  record Unusable(String why) implements Lookup {}

  private final String directory;
  private final SchemaRegistrySettings registry;
  private final Function<SchemaRegistrySettings, SchemaRegistryClient> clients;
  private final LongSupplier ticker;
  /** Built on first need: a task whose ids are all in the folder never touches the registry. */
  private SchemaRegistryClient client;
  private int misses;

  WriterSchemas(DecoderSettings settings) {
    this(settings.schemaDirectory(), settings.registry(), SchemaRegistryClient::shared,
        System::nanoTime);
  }

  /**
   * @param registry null: the folder only
   * @param clients the client for the registry settings (the JVM's shared one but in tests)
   * @param ticker nanoseconds for the miss cache's time to live ({@code System::nanoTime})
   */
  WriterSchemas(
      String directory,
      SchemaRegistrySettings registry,
      Function<SchemaRegistrySettings, SchemaRegistryClient> clients,
      LongSupplier ticker) {
    this.directory = directory;
    this.registry = registry;
    this.clients = clients;
    this.ticker = ticker;
  }

  /** Throws {@link SchemaRegistryUnavailableException} when the registry cannot answer. */
  Lookup find(int id) {
    String localKey = "dir:" + directory + "#" + id;
    Schema cached = FOUND.get(localKey);
    if (cached != null) {
      return new Found(cached);
    }
    Schema local;
    try {
      local = AvroSchemas.find(directory, id);
    } catch (IllegalStateException e) {
      throw new SchemaFolderUnreadableException(
          "schema id " + id + " in " + directory + " cannot be read: " + e.getMessage(), e);
    }
    if (local != null) {
      FOUND.put(localKey, local);
      return new Found(local);
    }
    if (registry == null) {
      return new Missing(DecodeFailure.unknownSchemaId(id, directory));
    }
    String url = registry.baseUrl();
    if (id <= 0) {
      // Registries number schemas from 1: a request could only cost time.
      return new Missing(DecodeFailure.unknownSchemaIdNotAsked(id, directory, url,
          "registry schema ids start at 1"));
    }
    String key = "registry:" + url + "#" + id;
    cached = FOUND.get(key);
    if (cached != null) {
      return new Found(cached);
    }
    if (missCached(key)) {
      return new Missing(DecodeFailure.unknownSchemaId(id, directory + " nor in the schema"
          + " registry " + url + " (asked within the last "
          + SchemaRegistrySettings.format(registry.missTtl()) + ")"));
    }
    int budget = registry.maxMissesPerTask();
    if (misses >= budget) {
      return new Missing(DecodeFailure.unknownSchemaIdNotAsked(id, directory, url,
          "this task already had " + misses + " unknown schema ids"
              + " (--schema-registry-max-misses-per-task); re-drive the record if the id is"
              + " registered"));
    }
    SchemaRegistryClient.Answer answer = ask(key, id);
    if (answer instanceof SchemaRegistryClient.NotFound) {
      misses++;
      if (misses == budget) {
        LOG.warn("Schema registry {} did not know {} schema ids in this task"
            + " (--schema-registry-max-misses-per-task); further new ids in this task become"
            + " UNKNOWN_SCHEMA_ID dead letters without a lookup", url, misses);
      }
      return new Missing(DecodeFailure.unknownSchemaId(id, directory + " nor in the schema"
          + " registry " + url));
    }
    if (answer instanceof SchemaRegistryClient.NotAvro notAvro) {
      return new Unusable("the registry holds a " + notAvro.schemaType() + " schema, not Avro");
    }
    String text = ((SchemaRegistryClient.Found) answer).schema();
    try {
      Schema schema = new Schema.Parser().parse(text);
      FOUND.put(key, schema);
      return new Found(schema);
    } catch (AvroRuntimeException e) {
      return new Unusable("the registry's schema is not valid Avro: " + e.getMessage());
    }
  }

  /** The registry's answer, from this task's request or from one under way in another task. */
  private SchemaRegistryClient.Answer ask(String key, int id) {
    CompletableFuture<SchemaRegistryClient.Answer> mine = new CompletableFuture<>();
    CompletableFuture<SchemaRegistryClient.Answer> theirs = IN_FLIGHT.putIfAbsent(key, mine);
    if (theirs != null) {
      try {
        return theirs.join();
      } catch (CompletionException e) {
        Throwable cause = e.getCause();
        throw cause instanceof SchemaRegistryUnavailableException u
            ? new SchemaRegistryUnavailableException(u.getMessage(), u)
            : e;
      }
    }
    try {
      SchemaRegistryClient.Answer answer = client().schemaById(id);
      if (answer instanceof SchemaRegistryClient.NotFound) {
        rememberMiss(key);
      }
      mine.complete(answer);
      return answer;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      IN_FLIGHT.remove(key, mine);
    }
  }

  private SchemaRegistryClient client() {
    if (client == null) {
      client = clients.apply(registry);
    }
    return client;
  }

  private boolean missCached(String key) {
    Long expires = MISSES.get(key);
    if (expires == null) {
      return false;
    }
    if (expires - ticker.getAsLong() > 0) {
      return true;
    }
    MISSES.remove(key, expires);
    return false;
  }

  private void rememberMiss(String key) {
    long ttl = registry.missTtl().toNanos();
    if (ttl <= 0) {
      return;
    }
    long now = ticker.getAsLong();
    if (MISSES.size() >= MAX_CACHED_MISSES) {
      MISSES.values().removeIf(expires -> expires - now <= 0);
    }
    if (MISSES.size() < MAX_CACHED_MISSES) {
      MISSES.put(key, now + ttl);
    }
  }
}
