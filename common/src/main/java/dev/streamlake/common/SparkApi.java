package dev.streamlake.common;

import org.apache.spark.sql.SparkSession;

/**
 * Which of Spark's two APIs a session offers. Databricks serverless compute and clusters in
 * standard access mode run JAR code against Spark Connect: the DataFrame, SQL and streaming API,
 * but no {@code SparkContext}, no RDDs and no session internals. Dedicated clusters, spark-submit
 * and the tests run Spark classic, which has all of them.
 */
public enum SparkApi {
  /** SparkContext, RDDs and internals: dedicated clusters, spark-submit, local sessions. */
  CLASSIC,
  /** The DataFrame API only: Databricks serverless, standard access mode, Spark Connect. */
  CONNECT;

  /**
   * Asks the session itself instead of matching class names, which differ between Apache Spark
   * and Databricks: a Spark Connect session refuses {@code sparkContext()}.
   */
  public static SparkApi of(SparkSession spark) {
    try {
      spark.sparkContext();
      return CLASSIC;
    } catch (UnsupportedOperationException | LinkageError noSparkContext) {
      return CONNECT;
    }
  }

  /**
   * Stops a stage that needs Spark classic before it starts its query, with what to do instead,
   * rather than letting it fail later inside a micro-batch.
   */
  public static void requireClassic(SparkSession spark, String stage, String why) {
    if (of(spark) == CONNECT) {
      throw new ConfigException("Stage " + stage + " needs Spark classic, but this session is"
          + " Spark Connect (Databricks serverless or a cluster in standard access mode): " + why
          + ". Run it on a cluster in dedicated access mode (DATA_SECURITY_MODE_DEDICATED).");
    }
  }
}
