package dev.streamlake.common;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a job gets its SparkSession. On Databricks the session exists and is shared: it is
 * taken as it is, never stopped. Locally (spark-submit, tests), Delta's SQL extension and catalog
 * are added only where the launch did not set them already, and the driver's queries stop cleanly
 * when it is asked to end ({@link GracefulShutdown}).
 */
public final class SparkSessions {
  private static final Logger LOG = LoggerFactory.getLogger(SparkSessions.class);

  static final String EXTENSIONS = "spark.sql.extensions";
  static final String CATALOG = "spark.sql.catalog.spark_catalog";
  static final String DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension";
  static final String DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog";

  private SparkSessions() {}

  public static SparkSession getOrCreate(String appName) {
    if (SparkSession.getActiveSession().isDefined()) {
      return SparkSession.getActiveSession().get();
    }
    if (SparkSession.getDefaultSession().isDefined()) {
      return SparkSession.getDefaultSession().get();
    }
    SparkConf conf = new SparkConf();
    SparkSession.Builder builder = SparkSession.builder();
    if (!conf.contains("spark.app.name")) {
      builder.appName(appName);
    }
    String extensions = conf.get(EXTENSIONS, "");
    if (!extensions.contains(DELTA_EXTENSION)) {
      builder.config(
          EXTENSIONS, extensions.isBlank() ? DELTA_EXTENSION : extensions + "," + DELTA_EXTENSION);
    }
    if (!conf.contains(CATALOG)) {
      builder.config(CATALOG, DELTA_CATALOG);
    }
    SparkSession spark = builder.getOrCreate();
    // Only for a session of our own: on Databricks the platform ends queries and session.
    GracefulShutdown.install(spark);
    LOG.info("Spark {} session '{}' on {}", spark.version(), spark.sparkContext().appName(),
        spark.sparkContext().master());
    return spark;
  }
}
