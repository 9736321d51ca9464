package dev.streamlake.launcher;

import static dev.streamlake.launcher.EvolvingPipeline.NEW_FIELD;
import static dev.streamlake.launcher.EvolvingPipeline.V3;
import static dev.streamlake.launcher.EvolvingPipeline.reading;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.deserialize.DeserializeQuery;
import dev.streamlake.merge.MergeConfig;
import dev.streamlake.merge.MergeQuery;
import dev.streamlake.testing.TestSpark;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A producer schema v3 adds an optional field (light_lux) to a pipeline whose tables hold v1 and
 * v2 rows, and stages 2 and 3 get the new pipeline config one after the other, in either order,
 * with stage 3 running (as its main runs it) while stage 2 changes bronze under it: Delta stops
 * stage 3's query on bronze's new column and stage 3 starts it again. Gold ends up with the
 * column: NULL for the rows from before, the sent values for v3 rows.
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
    Running oldStage3 = runStage3InBackground(2);
    pipeline.produce(spark,
        pipeline.v3(reading("c", "2024-05-01T11:00:00Z", 22.0), 120.5),
        EvolvingPipeline.shipped(2, reading("d", "2024-05-01T11:00:00Z", 23.0)));

    runStage2(V3);

    assertThat(bronzeColumns()).contains(NEW_FIELD);
    // Stage 3 with the old config runs on: restarted on bronze's new column, it merges the new
    // rows with the columns it knows.
    awaitGold(g -> g.keySet().containsAll(List.of("c", "d")));
    oldStage3.stopAfterOneRestartOnSchemaChange();
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

    Running newStage3 = runStage3InBackground(V3);
    pipeline.produce(spark,
        pipeline.v3(reading("c", "2024-05-01T11:00:00Z", 22.0), 120.5),
        EvolvingPipeline.shipped(2, reading("d", "2024-05-01T11:00:00Z", 23.0)));
    runStage2(V3);
    // The running stage 3 restarts on bronze's new column and reads the real values.
    awaitGold(g -> g.containsKey("d") && g.containsKey("c") && lux(g, "c") != null);
    newStage3.stopAfterOneRestartOnSchemaChange();

    Map<String, Row> gold = gold();
    assertThat(gold).containsOnlyKeys("a", "b", "x", "c", "d");
    assertThat(lux(gold, "a")).isNull();
    assertThat(lux(gold, "b")).isNull();
    assertThat(lux(gold, "x")).isNull();
    assertThat(lux(gold, "d")).isNull();
    assertThat(lux(gold, "c")).isEqualTo(120.5);
  }

  /** Stage 3 as its main runs it ({@link MergeQuery#run}), on a thread of its own. */
  private Running runStage3InBackground(int readerId) throws Exception {
    Running r = new Running(pipeline.stage3(readerId, "processingTime:200ms"));
    spark.streams().addListener(r);
    r.done = CompletableFuture.runAsync(() -> {
      try {
        MergeQuery.run(spark, r.config);
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    });
    // Started (bronze read, gold prepared) before the test changes anything.
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (active(r.queryName()) == null) {
      assertThat(System.nanoTime()).as("stage 3 started").isLessThan(deadline);
      assertThat(r.done).isNotDone();
      Thread.sleep(100);
    }
    return r;
  }

  /** A stage 3 run and the errors its queries ended with. */
  private final class Running extends StreamingQueryListener {
    final MergeConfig config;
    final List<String> errors = new CopyOnWriteArrayList<>();
    volatile CompletableFuture<Void> done;

    Running(MergeConfig config) {
      this.config = config;
    }

    String queryName() {
      return config.settings().queryName("bronze-to-gold");
    }

    /** Stops the run; its query must have ended once, on Delta's schema change, and restarted. */
    void stopAfterOneRestartOnSchemaChange() throws Exception {
      StreamingQuery q = active(queryName());
      assertThat(q).as("stage 3's query is running again").isNotNull();
      q.stop();
      done.get(2, TimeUnit.MINUTES);
      spark.streams().removeListener(this);
      assertThat(errors).hasSize(1);
      assertThat(errors.get(0)).contains("DELTA_SCHEMA_CHANGED_WITH_VERSION")
          .contains("Please try restarting the query");
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {}

    @Override
    public void onQueryProgress(QueryProgressEvent event) {}

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
      if (event.exception().isDefined()) {
        errors.add(event.exception().get());
      }
    }
  }

  private StreamingQuery active(String name) {
    for (StreamingQuery q : spark.streams().active()) {
      if (name.equals(q.name())) {
        return q;
      }
    }
    return null;
  }

  private void awaitGold(Predicate<Map<String, Row>> condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!condition.test(gold())) {
      assertThat(System.nanoTime()).as("gold reached the expected state: %s", gold())
          .isLessThan(deadline);
      Thread.sleep(500);
    }
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
