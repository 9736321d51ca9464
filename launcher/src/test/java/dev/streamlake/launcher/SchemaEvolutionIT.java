package dev.streamlake.launcher;

import static dev.streamlake.launcher.EvolvingPipeline.NEW_FIELD;
import static dev.streamlake.launcher.EvolvingPipeline.V3;
import static dev.streamlake.launcher.EvolvingPipeline.reading;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.deserialize.DeserializeQuery;
import dev.streamlake.merge.MergeQuery;
import dev.streamlake.testing.TestSpark;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A producer schema v3 adds an optional field (light_lux) to a pipeline whose tables hold v1 and
 * v2 rows, and stages 2 and 3 get the new pipeline config one after the other, in either order,
 * with stage 3 running while stage 2 changes bronze under it. Gold ends up with the column: NULL
 * for the rows from before, the sent values for v3 rows.
 */
class SchemaEvolutionIT {
  private final SparkSession spark = TestSpark.session();

  @TempDir Path dir;
  EvolvingPipeline pipeline;

  @BeforeEach
  void v1AndV2RowsInEveryTable() throws Exception {
    pipeline = new EvolvingPipeline(dir);
    pipeline.produce(spark,
        EvolvingPipeline.shipped(1, reading("a", "2024-05-01T10:00:00Z", 20.0)),
        EvolvingPipeline.shipped(2, reading("b", "2024-05-01T10:00:00Z", 21.0)
            .withPressure(1000.0)));
    runStage2(2);
    runStage3(2);
    assertThat(goldColumns()).doesNotContain(NEW_FIELD);
    assertThat(gold()).containsOnlyKeys("a", "b");
  }

  @Test
  void stage2ThenStage3() throws Exception {
    StreamingQuery oldStage3 =
        MergeQuery.start(spark, pipeline.stage3(2, "processingTime:200ms"));
    pipeline.produce(spark,
        pipeline.v3(reading("c", "2024-05-01T11:00:00Z", 22.0), 120.5),
        EvolvingPipeline.shipped(2, reading("d", "2024-05-01T11:00:00Z", 23.0)));

    runStage2(V3);

    assertThat(bronzeColumns()).contains(NEW_FIELD);
    stoppedOnBronzeSchemaChange(oldStage3);
    // Restarted with the old config, stage 3 runs on: it selects only the columns it knows.
    runStage3(2);
    assertThat(goldColumns()).doesNotContain(NEW_FIELD);
    assertThat(gold()).containsOnlyKeys("a", "b", "c", "d");

    pipeline.produce(spark,
        pipeline.v3(reading("c", "2024-05-01T12:00:00Z", 24.0), 130.0),
        pipeline.v3(reading("e", "2024-05-01T12:00:00Z", 25.0), 140.0));
    runStage2(V3);
    runStage3(V3);

    Map<String, Row> gold = gold();
    assertThat(goldColumns()).contains(NEW_FIELD);
    assertThat(gold).containsOnlyKeys("a", "b", "c", "d", "e");
    assertThat(lux(gold, "a")).isNull();
    assertThat(lux(gold, "b")).isNull();
    assertThat(lux(gold, "d")).isNull();
    assertThat(lux(gold, "c")).isEqualTo(130.0);
    assertThat(lux(gold, "e")).isEqualTo(140.0);
    assertThat(gold.get("b").<Double>getAs("pressure_hpa")).isEqualTo(1000.0);
  }

  @Test
  void stage3ThenStage2() throws Exception {
    // Stage 3 first: bronze lacks the column, which stage 3 reads as NULL and adds to gold.
    pipeline.produce(spark,
        EvolvingPipeline.shipped(2, reading("x", "2024-05-01T11:00:00Z", 22.0)));
    runStage2(2);
    runStage3(V3);
    assertThat(bronzeColumns()).doesNotContain(NEW_FIELD);
    assertThat(goldColumns()).contains(NEW_FIELD);
    assertThat(gold()).containsOnlyKeys("a", "b", "x");

    StreamingQuery newStage3 =
        MergeQuery.start(spark, pipeline.stage3(V3, "processingTime:200ms"));
    pipeline.produce(spark,
        pipeline.v3(reading("c", "2024-05-01T11:00:00Z", 22.0), 120.5),
        EvolvingPipeline.shipped(2, reading("d", "2024-05-01T11:00:00Z", 23.0)));
    runStage2(V3);
    stoppedOnBronzeSchemaChange(newStage3);
    runStage3(V3);

    Map<String, Row> gold = gold();
    assertThat(gold).containsOnlyKeys("a", "b", "x", "c", "d");
    assertThat(lux(gold, "a")).isNull();
    assertThat(lux(gold, "b")).isNull();
    assertThat(lux(gold, "x")).isNull();
    assertThat(lux(gold, "d")).isNull();
    assertThat(lux(gold, "c")).isEqualTo(120.5);
  }

  /**
   * A running stage 3 meets bronze's new column as Delta 4.0's streaming source reports it: the
   * query stops with the retryable DELTA_SCHEMA_CHANGED_WITH_VERSION ("please try restarting"),
   * before it reads a file written with the new schema, and the next start reads it.
   */
  private static void stoppedOnBronzeSchemaChange(StreamingQuery q) throws Exception {
    try {
      q.awaitTermination(120_000);
    } catch (StreamingQueryException expected) {
      // checked below, through the query
    } finally {
      q.stop();
    }
    assertThat(q.exception().isDefined()).as("stage 3 stopped on bronze's new column").isTrue();
    Throwable cause = q.exception().get();
    while (cause != null && !(cause instanceof SparkThrowable t
        && "DELTA_SCHEMA_CHANGED_WITH_VERSION".equals(t.getCondition()))) {
      cause = cause.getCause();
    }
    assertThat(cause).as("Delta's schema change error in %s", q.exception().get()).isNotNull();
    assertThat(cause.getMessage()).contains("Please try restarting the query");
  }

  private void runStage2(int readerId) throws Exception {
    StreamingQuery q = DeserializeQuery.start(spark, pipeline.stage2(readerId));
    awaitEnd(q);
    assertThat(spark.read().format("delta").load(pipeline.table("dead_letter")).count())
        .as("dead letters").isZero();
  }

  private void runStage3(int readerId) throws Exception {
    awaitEnd(MergeQuery.start(spark, pipeline.stage3(readerId, "availableNow")));
  }

  private static void awaitEnd(StreamingQuery q) throws Exception {
    try {
      assertThat(q.awaitTermination(180_000)).as("query finished").isTrue();
    } finally {
      q.stop();
    }
    assertThat(q.exception().isDefined()).as("query failed: %s", q.exception()).isFalse();
  }

  private List<String> bronzeColumns() {
    return Arrays.asList(spark.read().format("delta").load(pipeline.table("bronze")).columns());
  }

  private List<String> goldColumns() {
    return Arrays.asList(spark.read().format("delta").load(pipeline.table("gold")).columns());
  }

  /** Gold by sensor id (one day in these tests). */
  private Map<String, Row> gold() {
    Map<String, Row> m = new HashMap<>();
    for (Row r : spark.read().format("delta").load(pipeline.table("gold")).collectAsList()) {
      assertThat(m.put(r.getAs("sensor_id"), r)).as("one gold row per sensor").isNull();
    }
    return m;
  }

  private static Double lux(Map<String, Row> gold, String sensor) {
    return gold.get(sensor).getAs(NEW_FIELD);
  }
}
