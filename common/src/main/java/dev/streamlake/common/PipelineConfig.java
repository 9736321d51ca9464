package dev.streamlake.common;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.avro.Schema;

/**
 * What one pipeline is: its topic, payload format, schemas, validation rules and gold layout. Read
 * from a JSON file ({@code --config}); without one, the built-in sensor-readings pipeline
 * ({@code pipelines/sensor_readings.json} in this module's resources), which doubles as the
 * documented example.
 *
 * <p>Every cross-field check runs here, once, so a stage never starts on a pipeline it cannot run.
 */
public record PipelineConfig(
    String name,
    String topic,
    PayloadFormat format,
    SchemaSettings schemas,
    Long maxPayloadBytes,
    List<NamedExpression> rules,
    Double deadLetterLimit,
    GoldSettings gold,
    MaintenanceSettings maintenance)
    implements Serializable {

  public static final String BUILT_IN = "classpath:pipelines/sensor_readings.json";
  public static final long DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,62}");
  private static final Pattern COLUMN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /** The payload encoding of the Kafka value. */
  public enum PayloadFormat {
    /** Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro binary. */
    AVRO,
    /** A JSON object with the reader schema's fields by name; timestamps as epoch millis. */
    JSON;

    static PayloadFormat parse(String setting, String value) {
      try {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
      } catch (RuntimeException e) {
        throw ConfigException.invalid(setting, value, "avro or json");
      }
    }
  }

  /**
   * Where Avro schemas come from. {@code directory} holds {@code <id>.avsc} files
   * ({@code classpath:} or a file system folder readable by driver and executors);
   * {@code registryUrl}, when set, is a Confluent-compatible schema registry asked for ids the
   * directory lacks. {@code readerId} picks the schema bronze is read with.
   */
  public record SchemaSettings(String directory, String registryUrl, Integer readerId)
      implements Serializable {}

  /** A named Spark SQL expression: a validation rule or a derived column. */
  public record NamedExpression(String name, String expression) implements Serializable {}

  /**
   * Gold's shape. {@code key}: one row per distinct key. {@code sequence}: what "newer" means,
   * compared left to right (then the Kafka offset, partition and topic, so the order is total).
   * {@code partitionBy}: the layout, which each MERGE prunes on. {@code derived}: columns computed
   * from bronze before the merge. {@code deleteWhen}: a condition on the bronze row (after
   * {@code derived}) that makes the row a delete of its key, or null. {@code history}: what gold
   * keeps per key. {@code trackedColumns}: for {@link History#SCD2}, the value columns whose
   * change opens a new version (empty: all of them).
   */
  public record GoldSettings(
      List<String> key,
      List<String> sequence,
      List<String> partitionBy,
      List<NamedExpression> derived,
      String deleteWhen,
      History history,
      List<String> trackedColumns)
      implements Serializable {

    public GoldSettings {
      key = key == null ? null : List.copyOf(key);
      sequence = sequence == null ? null : List.copyOf(sequence);
      partitionBy = partitionBy == null ? List.of() : List.copyOf(partitionBy);
      derived = derived == null ? List.of() : List.copyOf(derived);
      history = history == null ? History.LATEST : history;
      trackedColumns = trackedColumns == null ? List.of() : List.copyOf(trackedColumns);
    }

    /** Gold as it was before deletes and history: latest state per key, nothing deleted. */
    public GoldSettings(
        List<String> key, List<String> sequence, List<String> partitionBy,
        List<NamedExpression> derived) {
      this(key, sequence, partitionBy, derived, null, History.LATEST, List.of());
    }

    public boolean deletes() {
      return deleteWhen != null;
    }
  }

  /** What gold keeps per key: the latest state (SCD type 1), or every version (SCD type 2). */
  public enum History {
    LATEST,
    SCD2;

    @com.fasterxml.jackson.annotation.JsonCreator
    static History parse(String value) {
      return switch (value == null ? "" : value.trim().toLowerCase(Locale.ROOT)) {
        case "latest", "scd1" -> LATEST;
        case "scd2" -> SCD2;
        default -> throw ConfigException.invalid("gold.history", value, "latest (or scd1), scd2");
      };
    }
  }

  public PipelineConfig {
    rules = rules == null ? List.of() : List.copyOf(rules);
    maxPayloadBytes = maxPayloadBytes == null ? DEFAULT_MAX_PAYLOAD_BYTES : maxPayloadBytes;
    maintenance = maintenance == null ? MaintenanceSettings.DEFAULTS : maintenance;
  }

  /** A pipeline with the default maintenance settings. */
  public PipelineConfig(String name, String topic, PayloadFormat format, SchemaSettings schemas,
      Long maxPayloadBytes, List<NamedExpression> rules, Double deadLetterLimit,
      GoldSettings gold) {
    this(name, topic, format, schemas, maxPayloadBytes, rules, deadLetterLimit, gold, null);
  }

  /**
   * How the {@code maintain} command keeps the tables: how many days of raw and bronze it keeps
   * (by {@code ingest_date}; null keeps everything), how long VACUUM keeps files a commit removed,
   * and whether gold is Z-ordered on its key. A VACUUM retention below Delta's own safety floor
   * of 7 days can delete files a lagging stream or a long query still reads, so it needs
   * {@code allowShortVacuumRetention}.
   */
  public record MaintenanceSettings(
      Integer rawRetentionDays,
      Integer bronzeRetentionDays,
      Duration vacuumRetention,
      boolean zorder,
      boolean allowShortVacuumRetention)
      implements Serializable {

    public static final Duration SAFE_VACUUM_RETENTION = Duration.ofDays(7);
    public static final MaintenanceSettings DEFAULTS =
        new MaintenanceSettings(30, 365, SAFE_VACUUM_RETENTION, true, false);
  }

  /** The built-in sensor-readings pipeline. */
  public static PipelineConfig sensorReadings() {
    return load(BUILT_IN);
  }

  /** Loads and validates a pipeline file ({@code classpath:} or a path). */
  public static PipelineConfig load(String location) {
    ObjectMapper mapper =
        JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();
    Raw raw;
    try (InputStream in = Resources.open(location)) {
      raw = mapper.readValue(in, Raw.class);
    } catch (JsonMappingException e) {
      throw new ConfigException(
          "Invalid pipeline config " + location + " at " + jsonPath(e) + ": "
              + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new ConfigException(
          "Pipeline config " + location + " is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigException(
          "Cannot read pipeline config --config '" + location + "': " + e.getMessage());
    }
    return raw.toConfig(location);
  }

  /** The same pipeline with another payload format (the {@code --format} override). */
  public PipelineConfig withFormat(PayloadFormat newFormat) {
    return new PipelineConfig(
        name, topic, newFormat, schemas, maxPayloadBytes, rules, deadLetterLimit, gold,
        maintenance);
  }

  /** The Avro schema bronze rows are read with (the newest the pipeline knows). */
  public Schema readerSchema() {
    return AvroSchemas.load(schemas.directory(), schemas.readerId());
  }

  private static String jsonPath(JsonMappingException e) {
    String path =
        e.getPath().stream()
            .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
            .collect(Collectors.joining("."))
            .replace(".[", "[");
    return path.isEmpty() ? "the top level" : "'" + path + "'";
  }

  /** {@code maintenance} as written: durations as text, checked by {@link #toSettings}. */
  private record MaintenanceJson(
      String rawRetention,
      String bronzeRetention,
      String vacuumRetention,
      Boolean zorder,
      Boolean allowShortVacuumRetention) {

    MaintenanceSettings toSettings(String prefix) {
      MaintenanceSettings d = MaintenanceSettings.DEFAULTS;
      Integer raw = retentionDays(prefix, "maintenance.rawRetention", rawRetention,
          d.rawRetentionDays());
      Integer bronze = retentionDays(prefix, "maintenance.bronzeRetention", bronzeRetention,
          d.bronzeRetentionDays());
      Duration vacuum = vacuumRetention == null ? d.vacuumRetention()
          : Durations.parse(vacuumRetention);
      Raw.require(vacuum != null && !vacuum.isNegative(), prefix, "maintenance.vacuumRetention",
          vacuumRetention, "a duration such as 7d or 168h");
      boolean allowShort = Boolean.TRUE.equals(allowShortVacuumRetention);
      if (vacuum.compareTo(MaintenanceSettings.SAFE_VACUUM_RETENTION) < 0 && !allowShort) {
        throw new ConfigException("Invalid " + prefix + "maintenance.vacuumRetention = '"
            + vacuumRetention + "': below Delta's safety floor of 7d, VACUUM can delete files"
            + " that a stage lagging behind or a long-running query still reads. Use 7d or more,"
            + " or set maintenance.allowShortVacuumRetention to true if nothing reads the tables"
            + " for that long.");
      }
      return new MaintenanceSettings(raw, bronze, vacuum, zorder == null ? d.zorder() : zorder,
          allowShort);
    }

    /** Whole days, since the tables are trimmed a date partition at a time; "off" keeps all. */
    private static Integer retentionDays(String prefix, String setting, String value,
        Integer fallback) {
      if (value == null) {
        return fallback;
      }
      if (value.trim().equalsIgnoreCase("off")) {
        return null;
      }
      Duration d = Durations.parse(value);
      boolean wholeDays = d != null && d.compareTo(Duration.ofDays(1)) >= 0
          && d.equals(Duration.ofDays(d.toDays()));
      Raw.require(wholeDays, prefix, setting, value,
          "a whole number of days of at least 1 (30d, 365d), or off to keep everything");
      return Math.toIntExact(d.toDays());
    }
  }

  /** The file's shape as written; {@link #toConfig} checks it. */
  private record Raw(
      String name,
      String topic,
      String format,
      SchemaSettings schemas,
      Long maxPayloadBytes,
      List<NamedExpression> rules,
      Double deadLetterLimit,
      GoldSettings gold,
      MaintenanceJson maintenance) {

    PipelineConfig toConfig(String where) {
      String prefix = "pipeline config " + where + ": ";
      require(name != null && NAME.matcher(name).matches(), prefix, "name", name,
          "lower-case letters, digits and _, starting with a letter (it names tables and paths)");
      require(topic != null && !topic.isBlank(), prefix, "topic", topic, "a Kafka topic name");
      PayloadFormat fmt =
          format == null ? PayloadFormat.AVRO : PayloadFormat.parse(prefix + "format", format);
      require(schemas != null && schemas.directory() != null && !schemas.directory().isBlank(),
          prefix, "schemas.directory", schemas == null ? null : schemas.directory(),
          "a folder of <id>.avsc files (classpath:... or a path)");
      require(schemas.readerId() != null, prefix, "schemas.readerId", null,
          "the id of the schema bronze is read with, present in schemas.directory");
      if (schemas.registryUrl() != null) {
        String url = schemas.registryUrl();
        require(url.startsWith("http://") || url.startsWith("https://"), prefix,
            "schemas.registryUrl", Urls.withoutUserInfo(url), "an http:// or https:// URL");
      }
      require(maxPayloadBytes == null || maxPayloadBytes > 0, prefix, "maxPayloadBytes",
          maxPayloadBytes, "a positive number of bytes");
      require(deadLetterLimit == null || (deadLetterLimit > 0 && deadLetterLimit <= 1), prefix,
          "deadLetterLimit", deadLetterLimit,
          "a fraction in (0, 1]: the share of dead letters in one batch that stops the stage");

      Schema reader;
      try {
        reader = AvroSchemas.load(schemas.directory(), schemas.readerId());
        // Bronze's columns are the reader's fields: a type Spark cannot hold stops every stage
        // here, not stage 2 or 3 once its session is up.
        TableSchemas.dataStruct(reader);
      } catch (ConfigException e) {
        throw new ConfigException(prefix + e.getMessage());
      }
      Set<String> bronzeColumns = new LinkedHashSet<>(TableSchemas.dataColumns(reader));
      bronzeColumns.addAll(TableSchemas.BRONZE_METADATA_COLUMNS);

      List<NamedExpression> ruleList = rules == null ? List.of() : rules;
      checkNamed(prefix, "rules", ruleList);

      require(gold != null, prefix, "gold", null, "an object with key, sequence, partitionBy");
      List<NamedExpression> derived = gold.derived() == null ? List.of() : gold.derived();
      checkNamed(prefix, "gold.derived", derived);
      Set<String> goldSource = new LinkedHashSet<>(bronzeColumns);
      for (NamedExpression d : derived) {
        require(COLUMN.matcher(d.name()).matches(), prefix, "gold.derived name", d.name(),
            "a column name");
        goldSource.add(d.name());
      }
      // Gold adds these two itself; the key and sequence come from goldSource, so this covers
      // every column gold takes from the source.
      for (String audit : List.of(TableSchemas.FIRST_INSERTED_AT, TableSchemas.LAST_CHANGED_AT)) {
        if (goldSource.contains(audit)) {
          throw new ConfigException(
              "Invalid pipeline config: column '" + audit + "' is reserved in gold for the time a"
                  + " row was first inserted / last changed; rename the field or derived column.");
        }
      }
      if (gold.history() == History.SCD2) {
        for (String reserved : List.of(TableSchemas.VALID_FROM, TableSchemas.VALID_TO,
            TableSchemas.IS_CURRENT, TableSchemas.IS_DELETE)) {
          if (goldSource.contains(reserved)) {
            throw new ConfigException(
                "Invalid pipeline config: column '" + reserved + "' is reserved in gold with"
                    + " gold.history scd2 (each version's validity and the delete flag of a"
                    + " stored record); rename the field or derived column.");
          }
        }
      }
      List<String> key = columns(prefix, "gold.key", gold.key(), goldSource, true);
      List<String> sequence = columns(prefix, "gold.sequence", gold.sequence(), goldSource, true);
      List<String> partitionBy =
          columns(prefix, "gold.partitionBy", gold.partitionBy(), goldSource, false);
      for (String p : partitionBy) {
        require(key.contains(p), prefix, "gold.partitionBy", p,
            "columns of gold.key " + key + " (a key never moves between partitions)");
      }
      for (String s : sequence) {
        require(!key.contains(s), prefix, "gold.sequence", s,
            "columns that are not part of gold.key " + key);
      }
      String deleteWhen = gold.deleteWhen();
      require(deleteWhen == null || !deleteWhen.isBlank(), prefix, "gold.deleteWhen", deleteWhen,
          "a Spark SQL boolean expression on the bronze row, or no setting");
      Set<String> valueColumns = new LinkedHashSet<>(goldSource);
      valueColumns.removeAll(key);
      valueColumns.removeAll(TableSchemas.BRONZE_METADATA_COLUMNS);
      List<String> tracked =
          columns(prefix, "gold.trackedColumns", gold.trackedColumns(), valueColumns, false);
      require(tracked.isEmpty() || gold.history() == History.SCD2, prefix,
          "gold.trackedColumns", tracked, "no setting unless gold.history is scd2");
      return new PipelineConfig(
          name, topic, fmt, schemas, maxPayloadBytes, ruleList, deadLetterLimit,
          new GoldSettings(key, sequence, partitionBy, derived, deleteWhen, gold.history(),
              tracked),
          maintenance == null ? null : maintenance.toSettings(prefix));
    }

    private static void checkNamed(String prefix, String setting, List<NamedExpression> list) {
      Set<String> seen = new HashSet<>();
      for (NamedExpression e : list) {
        require(e != null && e.name() != null && !e.name().isBlank(), prefix, setting + " name",
            e == null ? null : e.name(), "a non-empty name");
        require(e.expression() != null && !e.expression().isBlank(), prefix,
            setting + " '" + e.name() + "' expression", e.expression(),
            "a Spark SQL boolean expression");
        require(seen.add(e.name()), prefix, setting, e.name(), "unique names");
      }
    }

    private static List<String> columns(
        String prefix, String setting, List<String> cols, Set<String> known, boolean nonEmpty) {
      List<String> list = cols == null ? List.of() : new ArrayList<>(cols);
      require(!nonEmpty || !list.isEmpty(), prefix, setting, list, "one or more column names");
      for (String c : list) {
        require(known.contains(c), prefix, setting, c, "columns of bronze or gold.derived "
            + known);
      }
      return List.copyOf(list);
    }

    private static void require(
        boolean ok, String prefix, String setting, Object value, String allowed) {
      if (!ok) {
        throw new ConfigException(
            "Invalid " + prefix + setting + " = '" + value + "'. Allowed: " + allowed + ".");
      }
    }
  }
}
