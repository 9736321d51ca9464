package dev.streamlake.deserialize;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * A micro-batch's timestamp as Spark recorded it in the query's offset log before the batch ran
 * ({@code <checkpoint>/offsets/<batch id>}, {@code batchTimestampMs} in the JSON on its second
 * line): the value {@code current_timestamp()} takes in that batch, and again in a replay of it.
 *
 * <p>Read on the driver, once per batch, so that the time reaches the executors as a field of the
 * classification task. {@code current_timestamp()} in the query would put it into the generated
 * code of the raw scan as a literal, and every batch would compile that code anew.
 */
final class OffsetLogClock implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Pattern BATCH_TIMESTAMP =
      Pattern.compile("\"batchTimestampMs\"\\s*:\\s*(-?\\d+)");

  private final String checkpoint;

  OffsetLogClock(String checkpoint) {
    this.checkpoint = checkpoint;
  }

  /** The batch's timestamp in microseconds since the epoch, Spark's internal timestamp. */
  long batchMicros(SparkSession spark, long batchId) {
    Path file = new Path(new Path(checkpoint, "offsets"), Long.toString(batchId));
    String text;
    try {
      var session = (org.apache.spark.sql.classic.SparkSession) spark;
      try (InputStream in = file.getFileSystem(session.sessionState().newHadoopConf()).open(file)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read batch " + batchId + "'s timestamp from the"
          + " offset log " + file + ": " + e.getMessage(), e);
    }
    return parse(text, file);
  }

  static long parse(String offsetLogFile, Object where) {
    Matcher m = BATCH_TIMESTAMP.matcher(offsetLogFile);
    if (!m.find()) {
      throw new IllegalStateException("No batchTimestampMs in the offset log file " + where
          + ": this Spark writes its offset log in a format stage 2 does not know");
    }
    return Math.multiplyExact(Long.parseLong(m.group(1)), 1000L);
  }
}
