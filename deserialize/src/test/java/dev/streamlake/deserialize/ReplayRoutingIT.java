package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.PipelineConfig.NamedExpression;
import dev.streamlake.common.PipelineConfig.SchemaSettings;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.deserialize.BatchWriter.DeadLetterPath;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import dev.streamlake.testing.TestSpark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Exactly once when a batch classifies differently the second time: bronze is committed, then
 * what decides the routing changes (a schema file appears, a rule is added), then dead_letter is
 * derived. Every raw row of the batch must be in exactly one of bronze and dead_letter.
 */
class ReplayRoutingIT {
  static final String V3 = """
      {"type": "record", "name": "SensorReading", "namespace": "dev.streamlake.sensors",
       "fields": [
        {"name": "sensor_id", "type": "string"},
        {"name": "reading_ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "temperature_c", "type": "double"},
        {"name": "humidity_pct", "type": ["null", "double"], "default": null},
        {"name": "battery_pct", "type": ["null", "int"], "default": null},
        {"name": "status", "type": "string"},
        {"name": "firmware", "type": ["null", "string"], "default": null},
        {"name": "pressure_hpa", "type": ["null", "double"], "default": null},
        {"name": "site", "type": ["null", "string"], "default": null}
       ]}""";

  final SparkSession spark = TestSpark.session();

  @TempDir Path lake;
  @TempDir Path schemas;

  List<Row> raw;

  @BeforeEach
  void schemaFolder() throws IOException {
    for (int id : new int[] {1, 2}) {
      Files.writeString(schemas.resolve(id + ".avsc"),
          SensorReadingPayloads.schema(id).toString(true));
    }
  }

  void mixedBatch() throws IOException {
    raw = List.of(
        RawRows.row(0, Payloads.v2(Reading.of("good", Payloads.MIDNIGHT, 20))),
        RawRows.row(1, v3("unknown-then-known")),                              // id 3 appears
        RawRows.row(2, Payloads.v2(Reading.of("warm", Payloads.MIDNIGHT, 50))), // new rule breaks
        RawRows.row(3, null),
        RawRows.row(4, Payloads.v1(Reading.of("good-v1", Payloads.MIDNIGHT, 10))));
    RawRows.append(spark, StageRuns.rawPath(lake), raw);
  }

  @Test
  void aReplayWithANewSchemaFileAndANewRuleRoutesEveryRowOnce() throws Exception {
    mixedBatch();
    DeserializeConfig first = config(sensorWith(List.of()));
    StreamingQuery failed = stopBetweenTheCommits(first);
    assertThat(failed.exception().isDefined()).as("the first attempt stopped").isTrue();
    assertThat(coordinates("bronze")).containsOnlyKeys("0", "2", "4");
    assertThat(coordinates("dead_letter")).isEmpty();

    // The redeploy: schema id 3 now exists and a new rule breaks offset 2.
    Files.writeString(schemas.resolve("3.avsc"), V3);
    DeserializeConfig second =
        config(sensorWith(List.of(new NamedExpression("cool", "temperature_c < 30"))));
    StageRuns.runToEnd(spark, second);

    Map<String, Row> bronze = coordinates("bronze");
    Map<String, Row> dead = coordinates("dead_letter");
    assertThat(bronze).containsOnlyKeys("0", "2", "4");
    assertThat(dead).containsOnlyKeys("1", "3");
    assertThat(code(dead, "1")).isEqualTo("RECLASSIFIED");
    assertThat(message(dead, "1")).contains("batch 0").contains("re-drive")
        .contains("offset 1");
    assertThat(code(dead, "3")).isEqualTo("EMPTY_PAYLOAD");
    assertEveryRawRowOnce(bronze, dead);
    assertDeadLettersKeepTheRawRow();
  }

  @Test
  void blocksRecomputedBetweenTheTwoWritesRouteEveryRowOnce() throws Exception {
    mixedBatch();
    // A lost executor loses the cached classification after bronze's commit; meanwhile the
    // schema folder gained id 3, so classifying again would route offset 1 differently.
    Map<Long, DeadLetterPath> paths =
        runToEnd(w -> w.afterBronzeCommit(batch -> loseTheCacheOnceSchemaThreeExists()));

    Map<String, Row> bronze = coordinates("bronze");
    Map<String, Row> dead = coordinates("dead_letter");
    assertThat(bronze).containsOnlyKeys("0", "2", "4");
    assertThat(dead).containsOnlyKeys("1", "3");
    assertThat(code(dead, "1")).isEqualTo("RECLASSIFIED");
    assertThat(paths).containsExactly(Map.entry(0L, DeadLetterPath.DERIVED_FROM_BRONZE));
    assertEveryRawRowOnce(bronze, dead);
    assertDeadLettersKeepTheRawRow();
  }

  @Test
  void blocksLostBeforeBronzesCommitAreClassifiedAgainForBoth() throws Exception {
    mixedBatch();
    // The cache is lost after the counts and before bronze's write: bronze gets the new
    // classification, and the dead letters are what it lacks.
    Map<Long, DeadLetterPath> paths =
        runToEnd(w -> w.beforeBronzeWrite(batch -> loseTheCacheOnceSchemaThreeExists()));

    Map<String, Row> bronze = coordinates("bronze");
    Map<String, Row> dead = coordinates("dead_letter");
    assertThat(bronze).containsOnlyKeys("0", "1", "2", "4");
    assertThat(dead).containsOnlyKeys("3");
    assertThat(paths).containsExactly(Map.entry(0L, DeadLetterPath.DERIVED_FROM_BRONZE));
    assertEveryRawRowOnce(bronze, dead);
    assertDeadLettersKeepTheRawRow();
  }

  @Test
  void anUndisturbedBatchTakesItsDeadLettersFromItsOwnClassification() throws Exception {
    mixedBatch();
    Map<Long, DeadLetterPath> paths = runToEnd(UnaryOperator.identity());

    Map<String, Row> bronze = coordinates("bronze");
    Map<String, Row> dead = coordinates("dead_letter");
    assertThat(bronze).containsOnlyKeys("0", "2", "4");
    assertThat(dead).containsOnlyKeys("1", "3");
    assertThat(code(dead, "1")).isEqualTo("UNKNOWN_SCHEMA_ID");
    assertThat(paths).containsExactly(Map.entry(0L, DeadLetterPath.CLASSIFICATION));
    assertEveryRawRowOnce(bronze, dead);
    assertDeadLettersKeepTheRawRow();
  }

  /**
   * Runs stage 2 over the mixed batch with the built-in rules and {@code hook} on its writer;
   * which way each batch's dead letters were found.
   */
  private Map<Long, DeadLetterPath> runToEnd(UnaryOperator<BatchWriter> hook) throws Exception {
    Map<Long, DeadLetterPath> paths = new ConcurrentHashMap<>();
    StreamingQuery q = DeserializeQuery.start(spark, config(sensorWith(List.of())),
        w -> hook.apply(w).onDeadLetterPath(paths::put));
    awaitEnd(q);
    assertThat(q.exception().isDefined()).as("query failed: %s", q.exception()).isFalse();
    return paths;
  }

  /** What a lost executor does to the batch's cache, once the schema folder has id 3. */
  private void loseTheCacheOnceSchemaThreeExists() {
    try {
      Files.writeString(schemas.resolve("3.avsc"), V3);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    CollectionConverters.asJava(spark.sparkContext().getPersistentRDDs()).values()
        .forEach(rdd -> rdd.unpersist(true));
  }

  @Test
  void aReplayWhereRowsInBronzeNowFailKeepsThemOnlyInBronze() throws Exception {
    mixedBatch();
    // The mirror case: rows the first attempt committed to bronze fail on the replay. They stay
    // in bronze only; the rows bronze lacks get today's reason.
    DeserializeConfig first = config(sensorWith(List.of()));
    StreamingQuery failed = stopBetweenTheCommits(first);
    // The replay runs with the payload limit lowered below every record's size: all rows fail
    // to decode now, yet those already in bronze stay there and are not dead letters too.
    DeserializeConfig second = RawRows.withPipeline(config(sensorWith(List.of())),
        p -> RawRows.withMaxPayload(p, 4));
    StageRuns.runToEnd(spark, second);

    Map<String, Row> bronze = coordinates("bronze");
    Map<String, Row> dead = coordinates("dead_letter");
    assertThat(bronze).containsOnlyKeys("0", "2", "4");
    assertThat(dead).containsOnlyKeys("1", "3");
    assertThat(code(dead, "1")).isEqualTo("PAYLOAD_TOO_LARGE");
    assertEveryRawRowOnce(bronze, dead);
  }

  @Test
  void aBatchWithoutGoodRowsStillFixesBronzeSoAReplayCannotAddToIt() throws Exception {
    raw = List.of(RawRows.row(0, v3("a")), RawRows.row(1, null), RawRows.row(2, v3("b")));
    RawRows.append(spark, StageRuns.rawPath(lake), raw);
    StreamingQuery failed = stopBetweenTheCommits(config(sensorWith(List.of())));
    assertThat(failed.exception().isDefined()).isTrue();

    Files.writeString(schemas.resolve("3.avsc"), V3);
    StageRuns.runToEnd(spark, config(sensorWith(List.of())));

    Map<String, Row> bronze = coordinates("bronze");
    Map<String, Row> dead = coordinates("dead_letter");
    assertThat(bronze).isEmpty();
    assertThat(dead).containsOnlyKeys("0", "1", "2");
    assertThat(code(dead, "0")).isEqualTo("RECLASSIFIED");
    assertThat(code(dead, "2")).isEqualTo("RECLASSIFIED");
    assertThat(code(dead, "1")).isEqualTo("EMPTY_PAYLOAD");
    assertEveryRawRowOnce(bronze, dead);
    assertDeadLettersKeepTheRawRow();
  }

  /** Runs stage 2 until its first batch has committed bronze, then stops it there. */
  private StreamingQuery stopBetweenTheCommits(DeserializeConfig config) throws Exception {
    StreamingQuery q = DeserializeQuery.start(spark, config, w -> w.afterBronzeCommit(batch -> {
      throw new IllegalStateException("stopped between the bronze and dead_letter commits");
    }));
    awaitEnd(q);
    return q;
  }

  private PipelineConfig sensorWith(List<NamedExpression> extraRules) {
    PipelineConfig p = PipelineConfig.sensorReadings();
    List<NamedExpression> rules = new ArrayList<>(p.rules());
    rules.addAll(extraRules);
    PipelineConfig withRules = RawRows.withRules(p, rules);
    return new PipelineConfig(withRules.name(), withRules.topic(), withRules.format(),
        new SchemaSettings(schemas.toString(), null, 2), withRules.maxPayloadBytes(),
        withRules.rules(), withRules.deadLetterLimit(), withRules.gold());
  }

  private DeserializeConfig config(PipelineConfig pipeline) {
    return RawRows.withPipeline(StageRuns.config(lake), p -> pipeline);
  }

  private static void awaitEnd(StreamingQuery q) throws Exception {
    try {
      q.awaitTermination(TimeUnit.MINUTES.toMillis(3));
    } catch (Exception expected) {
      // A failed query rethrows its error here; the test reads it from exception().
    } finally {
      q.stop();
    }
  }

  private void assertEveryRawRowOnce(Map<String, Row> bronze, Map<String, Row> dead) {
    List<String> all = new ArrayList<>(bronze.keySet());
    all.addAll(dead.keySet());
    int offset = TableSchemas.raw().fieldIndex(TableSchemas.OFFSET);
    List<String> expected = raw.stream().map(r -> String.valueOf(r.getLong(offset))).toList();
    assertThat(all).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
  }

  private void assertDeadLettersKeepTheRawRow() {
    String[] columns = TableSchemas.raw().fieldNames();
    Dataset<Row> dead = table("dead_letter").selectExpr(columns);
    assertThat(dead.exceptAll(table("raw").selectExpr(columns)).count()).isZero();
  }

  private Dataset<Row> table(String name) {
    return spark.read().format("delta").load(lake.resolve(name).resolve("sensor_readings")
        .toString());
  }

  /** Rows by offset (one partition); fails on a duplicate. */
  private Map<String, Row> coordinates(String name) {
    Map<String, Row> m = new HashMap<>();
    for (Row r : table(name).collectAsList()) {
      String k = String.valueOf(r.<Long>getAs(TableSchemas.OFFSET));
      assertThat(m.put(k, r)).as("duplicate " + k + " in " + name).isNull();
    }
    return m;
  }

  private static String code(Map<String, Row> rows, String k) {
    return rows.get(k).getAs(TableSchemas.ERROR_CODE);
  }

  private static String message(Map<String, Row> rows, String k) {
    return rows.get(k).getAs(TableSchemas.ERROR_MESSAGE);
  }

  private static byte[] v3(String sensorId) throws IOException {
    Schema schema = new Schema.Parser().parse(V3);
    GenericRecord rec = new GenericData.Record(schema);
    rec.put("sensor_id", sensorId);
    rec.put("reading_ts", Payloads.MIDNIGHT.toEpochMilli());
    rec.put("temperature_c", 21.0);
    rec.put("status", "OK");
    rec.put("site", "north");
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(body, null);
    new GenericDatumWriter<GenericRecord>(schema).write(rec, enc);
    enc.flush();
    return SensorReadingPayloads.wire(3, body.toByteArray());
  }
}
