package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.common.TableSchemas;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import dev.streamlake.testing.TestSpark;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A batch replayed after its commit was lost writes nothing twice (Delta txnAppId/txnVersion). */
class DeserializeReplayIT {
  final SparkSession spark = TestSpark.session();

  @TempDir Path lake;

  @Test
  void replayedBatchWritesNothingTwice() throws Exception {
    RawRows.append(spark, StageRuns.rawPath(lake), List.of(
        RawRows.row(0, Payloads.v1(Payloads.full())),
        RawRows.row(1, Payloads.v2(Payloads.minimal())),
        RawRows.row(2, Payloads.v2(Reading.of("hot", Payloads.MIDNIGHT, 500))),
        RawRows.row(3, null)));
    DeserializeConfig config = StageRuns.config(lake);
    StageRuns.runToEnd(spark, config);
    long bronzeVersion = version("bronze");
    long deadVersion = version("dead_letter");
    assertThat(count("bronze")).isEqualTo(2);
    assertThat(count("dead_letter")).isEqualTo(2);

    Path commits = lake.resolve("_checkpoints/sensor_readings/deserialize/raw-to-bronze/commits");
    Path newest = newestCommit(commits);
    Files.delete(newest);
    Files.deleteIfExists(commits.resolve("." + newest.getFileName() + ".crc"));

    StageRuns.runToEnd(spark, config);

    assertThat(Files.exists(newest)).as("the batch ran again and committed").isTrue();
    assertThat(count("bronze")).isEqualTo(2);
    assertThat(count("dead_letter")).isEqualTo(2);
    assertThat(distinctCoordinates("bronze")).isEqualTo(2);
    assertThat(distinctCoordinates("dead_letter")).isEqualTo(2);
    // Delta skipped both writes: no new table version at all.
    assertThat(version("bronze")).isEqualTo(bronzeVersion);
    assertThat(version("dead_letter")).isEqualTo(deadVersion);
  }

  @Test
  void deletedCheckpointReprocessesInsteadOfSkippingSilently() throws Exception {
    RawRows.append(spark, StageRuns.rawPath(lake), List.of(
        RawRows.row(0, Payloads.v1(Payloads.full())),
        RawRows.row(1, null)));
    DeserializeConfig config = StageRuns.config(lake);
    StageRuns.runToEnd(spark, config);
    assertThat(count("bronze")).isEqualTo(1);

    // A new checkpoint starts again at batch 0. With the same app id, Delta would skip every
    // write up to the old batch ids; the query id in the app id makes them new writes.
    deleteRecursively(lake.resolve("_checkpoints"));
    StageRuns.runToEnd(spark, config);

    assertThat(count("bronze")).isEqualTo(2);
    assertThat(count("dead_letter")).isEqualTo(2);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private Path newestCommit(Path commits) throws IOException {
    try (Stream<Path> files = Files.list(commits)) {
      return files.filter(p -> p.getFileName().toString().matches("\\d+"))
          .max(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString())))
          .orElseThrow();
    }
  }

  private String path(String table) {
    return lake.resolve(table).resolve("sensor_readings").toString();
  }

  private long count(String table) {
    return spark.read().format("delta").load(path(table)).count();
  }

  private long distinctCoordinates(String table) {
    return spark.read().format("delta").load(path(table))
        .select(TableSchemas.TOPIC, TableSchemas.PARTITION, TableSchemas.OFFSET).distinct().count();
  }

  private long version(String table) {
    return DeltaTable.forPath(spark, path(table)).history(1).first().getLong(0);
  }
}
