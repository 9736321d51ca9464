package dev.streamlake.launcher;

import static dev.streamlake.launcher.EvolvingPipeline.BATTERY_LONG;
import static dev.streamlake.launcher.EvolvingPipeline.FIRMWARE_RENAMED;
import static dev.streamlake.launcher.EvolvingPipeline.NO_FIRMWARE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.ConfigException;
import dev.streamlake.deserialize.DeserializeQuery;
import dev.streamlake.merge.MergeQuery;
import dev.streamlake.testing.TestSpark;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reader schema that promotes a field's type, removes a field or renames one stops stages 2
 * and 3 at start, naming the column and what to do, and leaves bronze and gold as they were.
 */
class SchemaChangeRefusedTest {
  private static final SparkSession spark = TestSpark.session();

  // Shared by the tests: each checks that a refusal leaves the tables as they were.
  @TempDir static Path dir;
  static EvolvingPipeline pipeline;
  static StructType bronzeBefore;
  static StructType goldBefore;

  @BeforeAll
  static void bronzeAndGoldOfV2() throws Exception {
    pipeline = new EvolvingPipeline(dir);
    // Stage 3's start creates bronze and gold with reader schema v2; there is nothing to merge.
    StreamingQuery q = MergeQuery.start(spark, pipeline.stage3(2, "availableNow"));
    q.awaitTermination(Duration.ofMinutes(2).toMillis());
    q.stop();
    assertThat(q.exception().isDefined()).isFalse();
    bronzeBefore = schema("bronze");
    goldBefore = schema("gold");
    assertThat(bronzeBefore.apply("battery_pct").dataType()).isEqualTo(DataTypes.IntegerType);
  }

  @Test
  void aPromotedTypeStopsBothStages() {
    assertThatThrownBy(() -> DeserializeQuery.start(spark, pipeline.stage2(BATTERY_LONG)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("column 'battery_pct' is INT but the pipeline's reader schema (id "
            + BATTERY_LONG + ") makes it BIGINT")
        .hasMessageContaining("type widening")
        .hasMessageContaining("schemaTrackingLocation")
        .hasMessageContaining("new optional field");
    assertThatThrownBy(() -> MergeQuery.start(spark, pipeline.stage3(BATTERY_LONG, "availableNow")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("column 'battery_pct' is INT but stage 3's reader schema (id "
            + BATTERY_LONG + ") makes it BIGINT");
    assertUnchanged();
  }

  @Test
  void aRemovedFieldStopsBothStages() {
    assertThatThrownBy(() -> DeserializeQuery.start(spark, pipeline.stage2(NO_FIRMWARE)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("has column(s) 'firmware' that the pipeline's reader schema (id "
            + NO_FIRMWARE + ") no longer has: a field was removed or renamed")
        .hasMessageContaining("Put the field back");
    // Stage 3 ignores bronze's extra column, but gold's would stay NULL: it stops on gold.
    assertThatThrownBy(() -> MergeQuery.start(spark, pipeline.stage3(NO_FIRMWARE, "availableNow")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(pipeline.table("gold") + " has column(s) 'firmware' that stage 3's"
            + " reader schema (id " + NO_FIRMWARE + ")");
    assertUnchanged();
  }

  @Test
  void aRenamedFieldStopsBothStages() {
    assertThatThrownBy(() -> DeserializeQuery.start(spark, pipeline.stage2(FIRMWARE_RENAMED)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("has column(s) 'firmware' that the pipeline's reader schema (id "
            + FIRMWARE_RENAMED + ") no longer has: a field was removed or renamed");
    assertThatThrownBy(
        () -> MergeQuery.start(spark, pipeline.stage3(FIRMWARE_RENAMED, "availableNow")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("has column(s) 'firmware'");
    assertUnchanged();
  }

  /**
   * Why a promotion is refused rather than applied with Delta 4.0's type widening, which does
   * widen INT to BIGINT and FLOAT to DOUBLE: a Delta stream of the widened table, as stage 3
   * reads bronze, cannot go on without a schema tracking location. Should a Delta upgrade change
   * that, this test fails and the refusal can be reconsidered.
   */
  @Test
  void deltaWidensIntAndFloatButAStreamOfTheTableThenStops() throws Exception {
    String table = dir.resolve("widened").toString();
    String checkpoint = dir.resolve("widened-stream").toString();
    spark.sql("CREATE TABLE delta.`" + table + "` (n INT, f FLOAT) USING delta"
        + " TBLPROPERTIES ('delta.enableTypeWidening' = 'true')");
    spark.sql("INSERT INTO delta.`" + table + "` VALUES (1, 1.5)");
    runStreamOf(table, checkpoint);
    spark.sql("ALTER TABLE delta.`" + table + "` ALTER COLUMN n TYPE BIGINT");
    spark.sql("ALTER TABLE delta.`" + table + "` ALTER COLUMN f TYPE DOUBLE");
    spark.sql("INSERT INTO delta.`" + table + "` VALUES (5000000000, 2.25)");
    StructType widened = spark.read().format("delta").load(table).schema();
    assertThat(widened.apply("n").dataType()).isEqualTo(DataTypes.LongType);
    assertThat(widened.apply("f").dataType()).isEqualTo(DataTypes.DoubleType);
    assertThat(spark.read().format("delta").load(table).where("n = 5000000000").count())
        .isEqualTo(1);

    assertThatThrownBy(() -> runStreamOf(table, checkpoint))
        .satisfies(e -> {
          Throwable c = e;
          while (c != null && !(c instanceof SparkThrowable t && String.valueOf(t.getCondition())
              .equals("DELTA_STREAMING_INCOMPATIBLE_SCHEMA_CHANGE_USE_SCHEMA_LOG"))) {
            c = c.getCause();
          }
          assertThat(c).as("the schema log error in %s", e).isNotNull();
        });
  }

  private static void runStreamOf(String table, String checkpoint) throws Exception {
    StreamingQuery q = spark.readStream().format("delta").load(table).writeStream()
        .format("noop").option("checkpointLocation", checkpoint)
        .trigger(org.apache.spark.sql.streaming.Trigger.AvailableNow()).start();
    try {
      q.awaitTermination(Duration.ofMinutes(2).toMillis());
    } finally {
      q.stop();
    }
    if (q.exception().isDefined()) {
      throw q.exception().get();
    }
  }

  private static void assertUnchanged() {
    assertThat(schema("bronze")).isEqualTo(bronzeBefore);
    assertThat(schema("gold")).isEqualTo(goldBefore);
  }

  private static StructType schema(String kind) {
    return spark.read().format("delta").load(pipeline.table(kind)).schema();
  }
}
