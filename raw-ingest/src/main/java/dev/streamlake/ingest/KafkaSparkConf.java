package dev.streamlake.ingest;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * Kafka client options from Spark's configuration, {@code spark.streamlake.kafka.<option>}: the
 * place where a cluster keeps credentials out of the job's parameters (on Databricks, a cluster's
 * Spark config resolves {@code {{secrets/<scope>/<key>}}}, task parameters do not). A
 * {@code --kafka.<option>} on the command line wins over the same option here.
 *
 * <p>Spark shows its configuration (the UI's Environment tab, event logs) with every entry whose
 * key or value matches {@code spark.redaction.regex} hidden; its default matches
 * {@code password}, so a JAAS line ({@code password="..."}) and the key and trust store password
 * options are hidden there too.
 */
final class KafkaSparkConf {
  static final String PREFIX = "spark.streamlake.kafka.";

  private KafkaSparkConf() {}

  /** The command line's {@code --kafka.*} options over those of {@code sparkConf}. */
  static Map<String, String> merge(Map<String, String> commandLine, Map<String, String> sparkConf) {
    Map<String, String> merged = new LinkedHashMap<>();
    sparkConf.forEach((key, value) -> {
      if (key.startsWith(PREFIX) && key.length() > PREFIX.length()) {
        merged.put(RawIngestConfig.KAFKA_PREFIX + key.substring(PREFIX.length()), value);
      }
    });
    merged.putAll(commandLine);
    return merged;
  }

  /**
   * The driver's Spark configuration before the stage creates its session: what
   * {@code spark-submit} hands a client-mode driver as {@code spark.*} system properties, and over
   * it the running session's (Databricks starts one before the job's main).
   */
  static Map<String, String> current() {
    Map<String, String> entries = new LinkedHashMap<>();
    try {
      for (Tuple2<String, String> entry : new SparkConf(true).getAllWithPrefix(PREFIX)) {
        entries.put(PREFIX + entry._1(), entry._2());
      }
      scala.Option<SparkSession> running = SparkSession.getDefaultSession();
      if (running.isDefined()) {
        for (Tuple2<String, String> entry
            : running.get().sparkContext().getConf().getAllWithPrefix(PREFIX)) {
          entries.put(PREFIX + entry._1(), entry._2());
        }
      }
    } catch (LinkageError | UnsupportedOperationException sparkConnectClient) {
      // A Spark Connect client (Databricks serverless) has no SparkConf or SparkContext of its
      // own: its configuration is the server's, which the job reaches only as SQL settings.
    }
    return entries;
  }
}
