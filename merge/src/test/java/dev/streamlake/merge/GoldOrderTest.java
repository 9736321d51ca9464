package dev.streamlake.merge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.common.TableSchemas;
import dev.streamlake.testing.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gold through the real stage-3 query is a function of the records alone: the same records in
 * different batchings give the same gold, and it is the one a plain model of the total order
 * (sequence, offset, partition, topic; a delete removes its key) computes from the full input.
 *
 * <p>The pipeline keys gold on the Kafka key (through a derived column, so tombstones, which have
 * no fields, still have a key), sequences on {@code kafka_timestamp}, which is not a value
 * column, and deletes on a tombstone or on {@code status = 'GONE'}.
 */
class GoldOrderTest {
  static final String PIPELINE = """
      {"name": "sensor_readings", "topic": "sensor-readings",
       "schemas": {"directory": "classpath:schemas/sensor_readings", "readerId": 2},
       "gold": {"key": ["sensor"], "sequence": ["kafka_timestamp"], "partitionBy": [],
                "derived": [{"name": "sensor",
                             "expression": "coalesce(sensor_id, CAST(kafka_key AS STRING))"}],
                "deleteWhen": "tombstone OR status = 'GONE'"}}
      """;

  static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void session() {
    spark = TestSpark.session();
  }

  /** One bronze record as the test sees it; {@code kts} null for a record without a timestamp. */
  record Rec(String sensor, Long kts, double temperature, String status, int partition,
      long offset, boolean tombstone) {

    Row toRow() {
      Object[] v = new Object[Bronze.SCHEMA.size()];
      Instant ts = kts == null ? null : Instant.ofEpochSecond(1_700_000_000L + kts);
      v[Bronze.SCHEMA.fieldIndex(TableSchemas.TOPIC)] = Bronze.TOPIC;
      v[Bronze.SCHEMA.fieldIndex(TableSchemas.PARTITION)] = partition;
      v[Bronze.SCHEMA.fieldIndex(TableSchemas.OFFSET)] = offset;
      v[Bronze.SCHEMA.fieldIndex(TableSchemas.KAFKA_TIMESTAMP)] = ts;
      v[Bronze.SCHEMA.fieldIndex(TableSchemas.INGEST_DATE)] = LocalDate.of(2024, 5, 1);
      v[Bronze.SCHEMA.fieldIndex(TableSchemas.DESERIALIZED_AT)] = Instant.now();
      v[Bronze.SCHEMA.fieldIndex(TableSchemas.KAFKA_KEY)] =
          sensor.getBytes(StandardCharsets.UTF_8);
      v[Bronze.SCHEMA.fieldIndex(TableSchemas.TOMBSTONE)] = tombstone;
      if (!tombstone) {
        v[Bronze.SCHEMA.fieldIndex("sensor_id")] = sensor;
        v[Bronze.SCHEMA.fieldIndex("reading_ts")] = Instant.parse("2024-05-01T10:00:00Z");
        v[Bronze.SCHEMA.fieldIndex("temperature_c")] = temperature;
        v[Bronze.SCHEMA.fieldIndex("status")] = status;
        v[Bronze.SCHEMA.fieldIndex("schema_id")] = 2;
      }
      return RowFactory.create(v);
    }

    boolean isDelete() {
      return tombstone || "GONE".equals(status);
    }
  }

  static Rec reading(String sensor, Long kts, double temperature, int partition, long offset) {
    return new Rec(sensor, kts, temperature, "OK", partition, offset, false);
  }

  static Rec tombstone(String sensor, long kts, long offset) {
    return new Rec(sensor, kts, 0, null, 0, offset, true);
  }

  /**
   * What each key tests, its records in the order they reach bronze. Bronze receives the keys
   * interleaved ({@link #RECORDS}), so that batches of a few records split each key's records
   * over several batches.
   */
  static final List<List<Rec>> BY_KEY = List.of(
      // a: a newer record with equal values, then a late one with other values. The late one
      // is older than the stored sequence, which only moved because equal values still count.
      List.of(reading("a", 1L, 20.0, 0, 10), reading("a", 3L, 20.0, 0, 12),
          reading("a", 2L, 25.0, 0, 11)),
      // b: tied on the sequence; the offset decides, then the partition (the key moved).
      List.of(reading("b", 5L, 1.0, 0, 20), reading("b", 5L, 3.0, 1, 21),
          reading("b", 5L, 2.0, 0, 21)),
      // c: a null sequence is older than any value.
      List.of(reading("c", 4L, 8.0, 0, 5), reading("c", null, 7.0, 0, 30)),
      // d: deleted; a late insert older than the delete does not bring it back.
      List.of(reading("d", 1L, 1.0, 0, 40), tombstone("d", 5, 41), reading("d", 3L, 2.0, 0, 42)),
      // e: a delete older than the stored row is ignored.
      List.of(reading("e", 10L, 1.0, 0, 50), tombstone("e", 6, 51)),
      // f: deleted by a field, then inserted again by a newer record.
      List.of(reading("f", 1L, 1.0, 0, 60), new Rec("f", 2L, 0, "GONE", 0, 61, false),
          reading("f", 3L, 9.0, 0, 62)),
      // g: the same record twice.
      List.of(reading("g", 1L, 4.0, 0, 70), reading("g", 1L, 4.0, 0, 70)));

  /** The first record of every key, then the second of every key, and so on. */
  static final List<Rec> RECORDS = interleave(BY_KEY);

  static List<Rec> interleave(List<List<Rec>> byKey) {
    List<Rec> out = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      for (List<Rec> key : byKey) {
        if (i < key.size()) {
          out.add(key.get(i));
        }
      }
    }
    return out;
  }

  @Test
  void goldIsTheSameWhateverTheBatchingAndMatchesTheOrderModel() throws Exception {
    Map<String, String> expected = model(RECORDS);
    assertThat(expected).containsOnlyKeys("a", "b", "c", "e", "f", "g");

    Map<String, List<List<Rec>>> batchings = new LinkedHashMap<>();
    batchings.put("one batch", List.of(RECORDS));
    batchings.put("four per batch", groups(RECORDS, 4));
    List<Rec> reversed = new ArrayList<>(RECORDS);
    Collections.reverse(reversed);
    batchings.put("reversed, four per batch", groups(reversed, 4));
    List<Rec> shuffled = new ArrayList<>(RECORDS);
    Collections.shuffle(shuffled, new Random(7));
    batchings.put("shuffled, five per batch", groups(shuffled, 5));

    for (var batching : batchings.entrySet()) {
      Path lake = dir.resolve(batching.getKey().replaceAll("[^a-z]+", "-"));
      Map<String, String> gold = run(lake, batching.getValue());
      assertThat(gold).as(batching.getKey()).isEqualTo(expected);
    }
    // The remembered deletes hold d only: e's delete lost, f's was superseded by a newer insert.
    for (String batching : batchings.keySet()) {
      Path lake = dir.resolve(batching.replaceAll("[^a-z]+", "-"));
      List<String> remembered = spark.read().format("delta")
          .load(lake.resolve("gold/sensor_readings_deletes").toString())
          .selectExpr("concat(sensor, ' o', `offset`)").as(org.apache.spark.sql.Encoders.STRING())
          .collectAsList();
      assertThat(remembered).as(batching).containsExactly("d o41");
    }
  }

  @Test
  void aDeleteConditionThatDoesNotFitBronzeStopsStageThreeAtStart() throws Exception {
    for (String[] bad : new String[][] {
        {"no_such_column", "does not fit bronze's columns"},
        {"sensor_id", "it is of type string, but it must be a condition (boolean)"}}) {
      Path lake = dir.resolve("bad-" + bad[0]);
      Files.createDirectories(lake);
      Path pipeline = lake.resolve("pipeline.json");
      Files.writeString(pipeline, PIPELINE.replace("tombstone OR status = 'GONE'", bad[0]));
      MergeConfig config = MergeConfig.fromArgs(new String[] {"--lake", lake.toString(),
          "--config", pipeline.toString(), "--trigger", "availableNow"});
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> MergeQuery.start(spark, config))
          .isInstanceOf(dev.streamlake.common.ConfigException.class)
          .hasMessageContaining(bad[1]);
      assertThat(Files.exists(lake.resolve("bronze"))).as("nothing created").isFalse();
    }
  }

  /** Each bronze commit one batch of the real stage-3 query; gold as key -> compared columns. */
  private Map<String, String> run(Path lake, List<List<Rec>> batches) throws Exception {
    Files.createDirectories(lake);
    Path pipeline = lake.resolve("pipeline.json");
    Files.writeString(pipeline, PIPELINE);
    String bronze = lake.resolve("bronze/sensor_readings").toString();
    for (List<Rec> batch : batches) {
      Bronze.append(spark, bronze, batch.stream().map(Rec::toRow).toArray(Row[]::new));
    }
    MergeConfig config = MergeConfig.fromArgs(new String[] {"--lake", lake.toString(),
        "--config", pipeline.toString(), "--trigger", "availableNow",
        "--merge-max-files-per-trigger", "1"});
    StreamingQuery q = MergeQuery.start(spark, config);
    q.awaitTermination();
    assertThat(q.exception().isDefined()).as("query failed: %s", q.exception()).isFalse();
    Map<String, String> gold = new TreeMap<>();
    for (Row r : config.settings().gold().read(spark)
        .selectExpr("sensor", "temperature_c", "unix_seconds(kafka_timestamp) - 1700000000",
            "`partition`", "`offset`").collectAsList()) {
      gold.put(r.getString(0), describe(r.getDouble(1), r.isNullAt(2) ? null : r.getLong(2),
          r.getInt(3), r.getLong(4)));
    }
    return gold;
  }

  /** The newest record per key by the total order; a key whose newest record deletes is gone. */
  static Map<String, String> model(List<Rec> records) {
    Comparator<Rec> order = Comparator
        .comparing(Rec::kts, Comparator.nullsFirst(Comparator.naturalOrder()))
        .thenComparingLong(Rec::offset)
        .thenComparingInt(Rec::partition);
    Map<String, Rec> newest = new TreeMap<>();
    for (Rec r : records) {
      newest.merge(r.sensor(), r, (x, y) -> order.compare(x, y) >= 0 ? x : y);
    }
    Map<String, String> gold = new TreeMap<>();
    newest.forEach((k, r) -> {
      if (!r.isDelete()) {
        gold.put(k, describe(r.temperature(), r.kts(), r.partition(), r.offset()));
      }
    });
    return gold;
  }

  static String describe(double temperature, Long kts, int partition, long offset) {
    return temperature + " @" + kts + " p" + partition + " o" + offset;
  }

  static <T> List<List<T>> groups(List<T> list, int size) {
    List<List<T>> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i += size) {
      out.add(List.copyOf(list.subList(i, Math.min(list.size(), i + size))));
    }
    return out;
  }
}
