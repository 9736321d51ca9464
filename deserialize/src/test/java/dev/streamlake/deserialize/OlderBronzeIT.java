package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import dev.streamlake.testing.TestSpark;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bronze table made by an older version of stage 2 lacks columns today's bronze contract has
 * (kafka_key and tombstone came later): stage 2 adds them at start, and the rows already there
 * read them as NULL.
 */
class OlderBronzeIT {
  private static final Set<String> ADDED_LATER =
      Set.of(TableSchemas.KAFKA_KEY, TableSchemas.TOMBSTONE);

  final SparkSession spark = TestSpark.session();

  @TempDir Path lake;

  @Test
  void stage2AddsTheColumnsAnOlderBronzeLacks() throws Exception {
    StructType current = TableSchemas.bronze(PipelineConfig.sensorReadings().readerSchema());
    StructType older = new StructType(Arrays.stream(current.fields())
        .filter(f -> !ADDED_LATER.contains(f.name())).toArray(StructField[]::new));
    assertThat(older.size()).isEqualTo(current.size() - ADDED_LATER.size());
    String bronze = lake.resolve("bronze").resolve("sensor_readings").toString();
    // One row stage 2 wrote long ago, at offset 100.
    DeserializeConfig config = StageRuns.config(lake);
    RawRows.append(spark, StageRuns.rawPath(lake),
        List.of(RawRows.row(100, Payloads.v2(Reading.of("old", Payloads.MIDNIGHT, 1.0)))));
    StageRuns.runToEnd(spark, config);
    spark.read().format("delta").load(bronze).drop(ADDED_LATER.toArray(String[]::new)).write().format("delta")
        .mode("overwrite").option("overwriteSchema", "true")
        .partitionBy(TableSchemas.INGEST_DATE).save(bronze);
    assertThat(spark.read().format("delta").load(bronze).columns())
        .doesNotContainAnyElementsOf(ADDED_LATER);

    RawRows.append(spark, StageRuns.rawPath(lake),
        List.of(RawRows.row(101, Payloads.v2(Reading.of("new", Payloads.MIDNIGHT, 2.0)))));
    StageRuns.runToEnd(spark, config);

    List<Row> rows = spark.read().format("delta").load(bronze).orderBy("offset").collectAsList();
    assertThat(spark.read().format("delta").load(bronze).columns())
        .containsAll(ADDED_LATER);
    assertThat(rows).extracting(r -> r.<String>getAs("sensor_id")).containsExactly("old", "new");
    Row old = rows.get(0);
    for (String c : ADDED_LATER) {
      assertThat((Object) old.getAs(c)).as(c).isNull();
    }
  }
}
