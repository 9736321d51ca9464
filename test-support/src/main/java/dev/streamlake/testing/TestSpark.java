package dev.streamlake.testing;

import dev.streamlake.local.LocalSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * One local SparkSession per test JVM on local[2], with the local settings of {@link LocalSpark}
 * and a temporary warehouse.
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
      session = LocalSpark.session("local[2]", warehouse, "streamlake-tests");
    }
    return session;
  }
}
