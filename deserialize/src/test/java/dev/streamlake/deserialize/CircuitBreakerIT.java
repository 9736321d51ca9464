package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.streamlake.testing.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A batch over the dead-letter limit commits nothing and stops the query; after the fix it resumes. */
class CircuitBreakerIT {
  final SparkSession spark = TestSpark.session();

  @TempDir Path lake;

  @Test
  void batchOverTheLimitCommitsNothingAndStopsTheQuery() throws Exception {
    List<Row> rows = new ArrayList<>();
    rows.add(RawRows.row(0, Payloads.v2(Payloads.full())));
    rows.add(RawRows.row(1, Payloads.v1(Payloads.full())));
    for (long o = 2; o < 10; o++) {
      rows.add(RawRows.row(o, new byte[] {7, 7, 7}));
    }
    RawRows.append(spark, StageRuns.rawPath(lake), rows);

    StreamingQuery q = DeserializeQuery.start(spark,
        StageRuns.config(lake, "--dead-letter-limit", "0.5"));
    Throwable thrown = catchThrowable(() -> q.awaitTermination(TimeUnit.MINUTES.toMillis(3)));
    q.stop();

    assertThat(thrown).isInstanceOf(StreamingQueryException.class);
    assertThat(q.isActive()).isFalse();
    DeadLetterLimitExceededException breaker = causeOfType(thrown);
    assertThat(breaker.batchId()).isZero();
    assertThat(breaker.getMessage())
        .contains("batch 0 has 8 dead letters in 10 rows (80.0%)")
        .contains("over the dead-letter limit of 50.0%")
        .contains("Nothing of this batch was written")
        .contains("resumes from its checkpoint at batch 0")
        .contains("BAD_MAGIC_BYTE=8");

    // Nothing committed: both tables empty, the checkpoint has no commit for batch 0.
    assertThat(count("bronze")).isZero();
    assertThat(count("dead_letter")).isZero();
    assertThat(Files.exists(lake.resolve(
        "_checkpoints/sensor_readings/deserialize/raw-to-bronze/commits/0"))).isFalse();

    // "The fix": here, lifting the limit. The job resumes batch 0 from its checkpoint.
    StageRuns.runToEnd(spark, StageRuns.config(lake, "--dead-letter-limit", "off"));
    assertThat(count("bronze")).isEqualTo(2);
    assertThat(count("dead_letter")).isEqualTo(8);
  }

  private static DeadLetterLimitExceededException causeOfType(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof DeadLetterLimitExceededException d) {
        return d;
      }
    }
    throw new AssertionError("no DeadLetterLimitExceededException in the causes of " + t, t);
  }

  private long count(String table) {
    return spark.read().format("delta")
        .load(lake.resolve(table).resolve("sensor_readings").toString()).count();
  }
}
