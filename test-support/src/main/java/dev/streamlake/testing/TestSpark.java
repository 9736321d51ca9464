package dev.streamlake.testing;

import dev.streamlake.common.SparkSessions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * One local SparkSession per test JVM, tuned for 2 cores: local[2], two shuffle partitions, no UI,
 * loopback only. Built the same way the jobs build theirs ({@link SparkSessions}), so tests go
 * through the production session setup.
 */
public final class TestSpark {
  private static SparkSession session;

  private TestSpark() {}

  public static synchronized SparkSession session() {
    if (session == null) {
      Path warehouse;
      try {
        warehouse = Files.createTempDirectory("streamlake-warehouse");
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      session = localSession("local[2]", warehouse, "streamlake-tests");
    }
    return session;
  }

  /**
   * A local session with the small-machine settings: few partitions, no UI, loopback only, the
   * given warehouse folder. Also used by the demo to read tables next to running drivers.
   */
  public static SparkSession localSession(String master, Path warehouse, String appName) {
    System.setProperty("spark.master", master);
    System.setProperty("spark.sql.shuffle.partitions", "2");
    System.setProperty("spark.default.parallelism", "2");
    System.setProperty("spark.databricks.delta.snapshotPartitions", "2");
    System.setProperty("spark.ui.enabled", "false");
    System.setProperty("spark.ui.showConsoleProgress", "false");
    System.setProperty("spark.driver.host", "127.0.0.1");
    System.setProperty("spark.driver.bindAddress", "127.0.0.1");
    System.setProperty("spark.sql.warehouse.dir", warehouse.toAbsolutePath().toString());
    System.setProperty("spark.sql.streaming.stopTimeout", "30s");
    return SparkSessions.getOrCreate(appName);
  }
}
