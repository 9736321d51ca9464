package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;

/** Runs stage 2 the way the job does, with the availableNow trigger, for the ITs. */
final class StageRuns {
  private StageRuns() {}

  static DeserializeConfig config(Path lake, String... extra) {
    List<String> args = new ArrayList<>(List.of("--lake", lake.toString(),
        "--trigger", "availableNow"));
    args.addAll(Arrays.asList(extra));
    return DeserializeConfig.fromArgs(args.toArray(String[]::new));
  }

  static String rawPath(Path lake) {
    return lake.resolve("raw").resolve("sensor_readings").toString();
  }

  /** Starts the query and waits until availableNow has drained raw; the query must succeed. */
  static StreamingQuery runToEnd(SparkSession spark, DeserializeConfig config) throws Exception {
    return awaitEnd(DeserializeQuery.start(spark, config), Duration.ofMinutes(3));
  }

  /**
   * Waits at most {@code timeout} until the availableNow query {@code q} has drained raw, then
   * stops it; the query must succeed.
   */
  static StreamingQuery awaitEnd(StreamingQuery q, Duration timeout) throws Exception {
    try {
      assertThat(q.awaitTermination(timeout.toMillis())).as("query finished").isTrue();
    } finally {
      q.stop();
    }
    assertThat(q.exception().isDefined()).as("query failed: %s", q.exception()).isFalse();
    return q;
  }
}
