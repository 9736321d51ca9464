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
      System.setProperty("spark.master", "local[2]");
      System.setProperty("spark.sql.shuffle.partitions", "2");
      System.setProperty("spark.default.parallelism", "2");
      System.setProperty("spark.databricks.delta.snapshotPartitions", "2");
      System.setProperty("spark.ui.enabled", "false");
      System.setProperty("spark.ui.showConsoleProgress", "false");
      System.setProperty("spark.driver.host", "127.0.0.1");
      System.setProperty("spark.driver.bindAddress", "127.0.0.1");
      System.setProperty("spark.sql.warehouse.dir", warehouse.toString());
      System.setProperty("spark.sql.streaming.stopTimeout", "30s");
      session = SparkSessions.getOrCreate("streamlake-tests");
    }
    return session;
  }
}
