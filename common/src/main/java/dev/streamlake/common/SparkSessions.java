package dev.streamlake.common;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a job gets its SparkSession. On Databricks the session exists and is shared: it is
 * taken as it is, never stopped. With a Spark Connect remote ({@code SPARK_REMOTE} or
 * {@code spark.remote}) the job is a Connect client and the server owns every setting. Locally
 * (spark-submit, tests), Delta's SQL extension and catalog are added only where the launch did
 * not set them already.
 *
 * <p>Nothing here touches {@code SparkContext}, so a Spark Connect session (Databricks serverless,
 * standard access mode) passes through unharmed.
 */
public final class SparkSessions {
  private static final Logger LOG = LoggerFactory.getLogger(SparkSessions.class);

  static final String EXTENSIONS = "spark.sql.extensions";
  static final String CATALOG = "spark.sql.catalog.spark_catalog";
  static final String DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension";
  static final String DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog";

  static final String REMOTE_PROPERTY = "spark.remote";
  static final String REMOTE_ENV = "SPARK_REMOTE";
  /** Spark classic's session; a Spark Connect client (Databricks Connect) does not have it. */
  static final String CLASSIC_SESSION = "org.apache.spark.sql.classic.SparkSession";
  /** Set on Databricks compute. */
  static final String DATABRICKS_RUNTIME_ENV = "DATABRICKS_RUNTIME_VERSION";

  private SparkSessions() {}

  public static SparkSession getOrCreate(String appName) {
    if (SparkSession.getActiveSession().isDefined()) {
      return SparkSession.getActiveSession().get();
    }
    if (SparkSession.getDefaultSession().isDefined()) {
      return SparkSession.getDefaultSession().get();
    }
    String remote = System.getProperty(REMOTE_PROPERTY, System.getenv(REMOTE_ENV));
    if (remote != null && !remote.isBlank()) {
      // Spark 4's builder ignores a remote unless the Connect API is asked for.
      return logged(SparkSession.builder().config("spark.api.mode", "connect").remote(remote)
          .getOrCreate());
    }
    if (!classicOnClasspath() || System.getenv(DATABRICKS_RUNTIME_ENV) != null) {
      // A Connect-only client (Databricks serverless ships Databricks Connect, which has no
      // classic Spark) or Databricks compute, which configures its sessions (Delta included):
      // the plain builder call Databricks documents for JAR tasks.
      return logged(SparkSession.builder().getOrCreate());
    }
    return logged(localSession(appName));
  }

  /** Spark classic in this JVM, with Delta added where the launch did not configure it. */
  private static SparkSession localSession(String appName) {
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
    return builder.getOrCreate();
  }

  static boolean classicOnClasspath() {
    try {
      Class.forName(CLASSIC_SESSION, false, SparkSessions.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  private static SparkSession logged(SparkSession spark) {
    LOG.info("Spark {} session, {} API", spark.version(), SparkApi.of(spark));
    return spark;
  }
}
