package dev.streamlake.common;

import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a job gets its SparkSession. On Databricks the session exists and is shared: it is
 * taken as it is, never stopped. With a Spark Connect remote ({@code SPARK_REMOTE} or
 * {@code spark.remote}) the job is a Connect client and the server owns every setting. Locally
 * (spark-submit, tests), Delta's SQL extension and catalog are added only where the launch did
 * not set them already, and the driver's queries stop cleanly when it is asked to end
 * ({@link GracefulShutdown}).
 *
 * <p>Nothing here touches {@code SparkContext} outside a local session, so a Spark Connect session
 * (Databricks serverless, standard access mode) passes through unharmed.
 *
 * <p>In every case Spark's option redaction ({@value #OPTIONS_REDACTION}) is extended to the
 * settings {@link Secrets} calls secret. Spark prints source options in plan output (explain, the
 * SQL tab of the UI) and redacts only the options whose name or value matches that regex or
 * {@code spark.redaction.regex}; by default neither matches {@code kafka.ssl.keystore.key} or a
 * JAAS config without "password" in it.
 */
public final class SparkSessions {
  private static final Logger LOG = LoggerFactory.getLogger(SparkSessions.class);

  static final String EXTENSIONS = "spark.sql.extensions";
  static final String CATALOG = "spark.sql.catalog.spark_catalog";
  static final String DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension";
  static final String DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog";
  static final String OPTIONS_REDACTION = "spark.sql.redaction.options.regex";
  /** Spark's own default for {@value #OPTIONS_REDACTION}, kept when the user set none. */
  static final String SPARK_DEFAULT_OPTIONS_REDACTION = "(?i)url";

  /**
   * Spark settings a local session of ours gets unless the launch set them, read when the session
   * is created. With Spark 4's defaults a long-running streaming driver compiles the same generated
   * code over and over: every session (each query's clone among them) gets a class loader of its
   * own on the executors, and generated classes are cached per class loader, in a cache of only
   * 100 entries that the three queries of one driver outgrow. In the freshness run this was about
   * 680 of 830 Janino compiles and a fifth of the driver's CPU (benchmarks/README.md, "Generated
   * code"). Artifact isolation only matters to Spark Connect servers, which never run our mains.
   */
  public static final Map<String, String> LOCAL_DEFAULTS = Map.of(
      "spark.sql.artifact.isolation.enabled", "false",
      "spark.sql.codegen.cache.maxEntries", "1000");

  /**
   * Hadoop's local file system through {@code java.nio} ({@link NioRawLocalFileSystem}) for
   * {@code file:} paths, unless the launch chose one. Set on the session's own Hadoop settings,
   * not passed to spark-submit: spark-submit reads {@code spark.hadoop.*} before the job's jar is
   * on its class path. Named as text: a Spark Connect client (stage 1 on serverless) has no
   * Hadoop, and this class must load there.
   */
  public static final Map<String, String> LOCAL_FILE_SYSTEM = Map.of(
      "spark.hadoop.fs.file.impl", "dev.streamlake.common.NioLocalFileSystem",
      "spark.hadoop.fs.AbstractFileSystem.file.impl", "dev.streamlake.common.NioLocalFs");

  static final String REMOTE_PROPERTY = "spark.remote";
  static final String REMOTE_ENV = "SPARK_REMOTE";
  /** Spark classic's session; a Spark Connect client (Databricks Connect) does not have it. */
  static final String CLASSIC_SESSION = "org.apache.spark.sql.classic.SparkSession";
  /** Set on Databricks compute. */
  static final String DATABRICKS_RUNTIME_ENV = "DATABRICKS_RUNTIME_VERSION";

  /** True in a Databricks runtime, where a JAR task must not call {@code System.exit}. */
  public static boolean onDatabricks() {
    return System.getenv(DATABRICKS_RUNTIME_ENV) != null;
  }

  private SparkSessions() {}

  public static SparkSession getOrCreate(String appName) {
    if (SparkSession.getActiveSession().isDefined()) {
      return withSecretsRedacted(SparkSession.getActiveSession().get());
    }
    if (SparkSession.getDefaultSession().isDefined()) {
      return withSecretsRedacted(SparkSession.getDefaultSession().get());
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
    return localSession(appName);
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
    for (Map<String, String> defaults : List.of(LOCAL_DEFAULTS, LOCAL_FILE_SYSTEM)) {
      defaults.forEach((key, value) -> {
        if (!conf.contains(key)) {
          builder.config(key, value);
        }
      });
    }
    builder.config(OPTIONS_REDACTION,
        optionsRedaction(conf.get(OPTIONS_REDACTION, SPARK_DEFAULT_OPTIONS_REDACTION)));
    SparkSession spark = withSecretsRedacted(builder.getOrCreate());
    NioLocalFileSystem.replaceCachedInstance(spark.sparkContext().hadoopConfiguration());
    // Only for a session of our own: on Databricks the platform ends queries and session.
    GracefulShutdown.install(spark);
    LOG.info("Spark {} session '{}' on {}; {}={}", spark.version(),
        spark.sparkContext().appName(), spark.sparkContext().master(), OPTIONS_REDACTION,
        spark.conf().get(OPTIONS_REDACTION));
    return spark;
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
    withSecretsRedacted(spark);
    LOG.info("Spark {} session, {} API", spark.version(), SparkApi.of(spark));
    return spark;
  }

  /**
   * Makes sure the session's {@value #OPTIONS_REDACTION} covers our secrets. A session conf, so it
   * can be set on a session that exists already (Databricks); the queries started afterwards get
   * it, as each streaming query clones the session's conf when it starts.
   */
  static SparkSession withSecretsRedacted(SparkSession spark) {
    String current = spark.conf().get(OPTIONS_REDACTION, SPARK_DEFAULT_OPTIONS_REDACTION);
    String wanted = optionsRedaction(current);
    if (wanted.equals(current)) {
      return spark;
    }
    try {
      spark.conf().set(OPTIONS_REDACTION, wanted);
      LOG.info("Spark redacts options matching {}={}", OPTIONS_REDACTION, wanted);
    } catch (RuntimeException e) {
      // A cluster may forbid setting confs from a job. The job still runs: only Spark's plan
      // output is at stake, and the cluster's own config can carry the regex.
      LOG.warn("Cannot set {} on this Spark session ({}): Spark's plan output may show Kafka"
          + " secrets. Set it in the cluster's Spark config to {}", OPTIONS_REDACTION,
          e.toString(), wanted);
    }
    return spark;
  }

  /**
   * {@code current} with our secrets' regex appended as one more alternative, so the redactions it
   * already had (Spark's default {@code (?i)url}, or the user's own) stay. Unchanged when it has
   * ours already.
   */
  static String optionsRedaction(String current) {
    String ours = Secrets.sparkRedactionRegex();
    if (current == null) {
      return ours;
    }
    if (current.contains(ours)) {
      return current;
    }
    return "(?:" + current + ")|(?:" + ours + ")";
  }
}
