package dev.streamlake.testing;

import dev.streamlake.local.LocalSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.metrics.source.CodegenMetrics;
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

  /**
   * How many classes Spark's code generator has compiled in this JVM so far: a cache miss each.
   * The difference across a stretch of micro-batches says whether they reused their code.
   */
  public static long generatedClassesCompiled() {
    return CodegenMetrics.METRIC_COMPILATION_TIME().getCount();
  }
}
