package dev.streamlake.merge;

import dev.streamlake.common.PipelineConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * SCD2 test support: a pipeline with {@code gold.history: scd2}, bronze records, gold read back,
 * and the history computed independently, in plain Java, from the full input.
 *
 * <p>The pipeline keys on (sensor_id, reading_date), orders by reading_ts alone (so ties fall to
 * offset, partition, topic), tracks only {@code status} (temperature is untracked) and deletes a
 * key on {@code status = 'GONE'}.
 */
final class History {
  static final StructType SCHEMA = Bronze.SCHEMA;
  static final String DELETE_STATUS = "GONE";

  private History() {}

  /** Writes the test pipeline next to the tests' lake and returns its path. */
  static Path pipelineFile(Path dir) {
    return pipelineFile(dir, 2);
  }

  /** The test pipeline with the reader schema {@code readerId} (1 lacks pressure_hpa). */
  static Path pipelineFile(Path dir, int readerId) {
    String json = """
        {
          "name": "sensor_readings",
          "topic": "sensor-readings",
          "schemas": {"directory": "classpath:schemas/sensor_readings", "readerId": %d},
          "gold": {
            "key": ["sensor_id", "reading_date"],
            "sequence": ["reading_ts"],
            "partitionBy": ["reading_date"],
            "derived": [
              {"name": "reading_date", "expression":
                "date_from_unix_date(CAST(floor(unix_millis(reading_ts) / 86400000) AS INT))"}
            ],
            "history": "scd2",
            "trackedColumns": ["status"],
            "deleteWhen": "status = 'GONE'"
          }
        }
        """.formatted(readerId);
    try {
      Path file = dir.resolve("scd2-v" + readerId + ".json");
      Files.writeString(file, json);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static PipelineConfig pipeline(Path dir) {
    return PipelineConfig.load(pipelineFile(dir).toString());
  }

  /** One bronze record; {@code iso} null for a reading without a timestamp. */
  record Rec(String sensor, String iso, String status, double temperature, long offset,
      int partition, String topic) {
    Rec(String sensor, String iso, String status, double temperature, long offset) {
      this(sensor, iso, status, temperature, offset, 0, Bronze.TOPIC);
    }

    Long millis() {
      return iso == null ? null : Instant.parse(iso).toEpochMilli();
    }

    /** reading_date as the pipeline derives it: the UTC day, whatever the session's zone. */
    String date() {
      return iso == null ? null : LocalDate.ofInstant(Instant.parse(iso), ZoneOffset.UTC).toString();
    }

    String key() {
      return sensor + "/" + date();
    }

    boolean delete() {
      return DELETE_STATUS.equals(status);
    }

    String coordinates() {
      return topic + "/" + partition + "/" + offset;
    }

    Row row() {
      Object[] v = new Object[SCHEMA.size()];
      Instant ts = iso == null ? null : Instant.parse(iso);
      v[SCHEMA.fieldIndex("sensor_id")] = sensor;
      v[SCHEMA.fieldIndex("reading_ts")] = ts;
      v[SCHEMA.fieldIndex("temperature_c")] = temperature;
      v[SCHEMA.fieldIndex("status")] = status;
      v[SCHEMA.fieldIndex("schema_id")] = 2;
      v[SCHEMA.fieldIndex("topic")] = topic;
      v[SCHEMA.fieldIndex("partition")] = partition;
      v[SCHEMA.fieldIndex("offset")] = offset;
      v[SCHEMA.fieldIndex("kafka_timestamp")] = ts;
      v[SCHEMA.fieldIndex("ingest_date")] = LocalDate.of(2024, 5, 3);
      v[SCHEMA.fieldIndex("deserialized_at")] = Instant.now();
      return RowFactory.create(v);
    }
  }

  static org.apache.spark.sql.Dataset<Row> batch(SparkSession spark, List<Rec> records) {
    return spark.createDataFrame(records.stream().map(Rec::row).toList(), SCHEMA);
  }

  /** A version as the tests compare it: millis for times, the opening record's coordinates. */
  record Version(String key, String status, double temperature, String openedBy, Long validFrom,
      Long validTo, boolean current) {}

  static final Comparator<Rec> ORDER =
      Comparator.comparing(Rec::millis, Comparator.nullsFirst(Comparator.naturalOrder()))
          .thenComparingLong(Rec::offset)
          .thenComparingInt(Rec::partition)
          .thenComparing(Rec::topic);

  /** The history the pipeline defines, from every record ever sent (duplicates included). */
  static Set<Version> expected(List<Rec> input) {
    Map<String, List<Rec>> byKey = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    for (Rec r : input) {
      if (seen.add(r.coordinates())) {
        byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
      }
    }
    Set<Version> versions = new TreeSet<>(Comparator.comparing(Version::toString));
    for (List<Rec> records : byKey.values()) {
      records.sort(ORDER);
      Rec opener = null;
      Rec latest = null;
      for (Rec r : records) {
        boolean sameState = opener != null && !r.delete() && Objects.equals(opener.status(),
            r.status());
        if (sameState) {
          latest = r;
          continue;
        }
        if (opener != null) {
          versions.add(version(opener, latest, r.millis(), false));
        }
        opener = r.delete() ? null : r;
        latest = opener;
      }
      if (opener != null) {
        versions.add(version(opener, latest, null, true));
      }
    }
    return versions;
  }

  private static Version version(Rec opener, Rec latest, Long validTo, boolean current) {
    return new Version(opener.key(), opener.status(), latest.temperature(),
        opener.coordinates(), opener.millis(), validTo, current);
  }

  /** The current state the pipeline defines: the current versions. */
  static Set<Version> expectedCurrent(List<Rec> input) {
    Set<Version> current = new TreeSet<>(Comparator.comparing(Version::toString));
    for (Version v : expected(input)) {
      if (v.current()) {
        current.add(v);
      }
    }
    return current;
  }

  /** Gold's history rows; fails on a row without audit times. */
  static Set<Version> gold(SparkSession spark, String table) {
    return read(spark, table, true);
  }

  /** {@code <gold>_current}'s rows, as current versions. */
  static Set<Version> current(SparkSession spark, String table) {
    return read(spark, table, false);
  }

  private static Set<Version> read(SparkSession spark, String table, boolean history) {
    List<Row> rows = spark.read().format("delta").load(table)
        .selectExpr(
            "concat(sensor_id, '/', coalesce(CAST(reading_date AS STRING), 'null'))",
            "status", "temperature_c",
            "concat(topic, '/', `partition`, '/', `offset`)",
            "unix_millis(valid_from)",
            history ? "unix_millis(valid_to)" : "CAST(NULL AS BIGINT)",
            history ? "is_current" : "true",
            "first_inserted_at IS NOT NULL AND last_changed_at >= first_inserted_at")
        .collectAsList();
    Set<Version> versions = new TreeSet<>(Comparator.comparing(Version::toString));
    for (Row r : rows) {
      if (!r.getBoolean(7)) {
        throw new AssertionError("row without audit times in " + table + ": " + r);
      }
      Version v = new Version(r.getString(0), r.getString(1), r.getDouble(2), r.getString(3),
          r.isNullAt(4) ? null : r.getLong(4), r.isNullAt(5) ? null : r.getLong(5),
          r.getBoolean(6));
      if (!versions.add(v)) {
        throw new AssertionError("the same version twice in " + table + ": " + v);
      }
    }
    return versions;
  }
}
