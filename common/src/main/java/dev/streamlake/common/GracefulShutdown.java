package dev.streamlake.common;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops a driver's streaming queries when its JVM is asked to end (SIGTERM from
 * {@code scripts/local-cluster.sh stop}, Ctrl-C), before Spark stops its context. Without it the
 * context goes first: a running micro-batch fails with "Job cancelled because SparkContext was shut
 * down" and the driver dies with a StreamingQueryException and its stack trace, although nothing
 * went wrong. A query stopped this way ends without an error; an unfinished batch is redone from
 * the checkpoint at the next start, which the stages' idempotent writes make safe.
 */
final class GracefulShutdown {
  private static final Logger LOG = LoggerFactory.getLogger(GracefulShutdown.class);

  // Spark does all of its own shutdown work, stopping the SparkContext first, in one Hadoop
  // shutdown hook of priority 40 (SparkShutdownHookManager.install); Hadoop runs higher
  // priorities first, so this runs while the context still works.
  static final int PRIORITY = 50;
  // Below the 60 s that local-cluster.sh gives a driver before SIGKILL.
  static final long TIMEOUT_SECONDS = 45;

  private GracefulShutdown() {}

  static void install(SparkSession spark) {
    ShutdownHookManager.get()
        .addShutdownHook(() -> stopQueries(spark), PRIORITY, TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  static void stopQueries(SparkSession spark) {
    for (StreamingQuery query : spark.streams().active()) {
      LOG.info("Query {} stopping: the driver is shutting down", query.name());
      try {
        query.stop();
        LOG.info("Query {} stopped; it resumes from its checkpoint at the next start", query.name());
      } catch (TimeoutException e) {
        LOG.warn("Query {} did not stop in time ({}); it resumes from its checkpoint at the next start",
            query.name(), e.getMessage());
      }
    }
  }
}
