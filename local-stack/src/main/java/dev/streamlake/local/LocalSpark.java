package dev.streamlake.local;

import dev.streamlake.common.SparkSessions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The local Spark settings, kept once in {@value #SETTINGS} (next to this class) for the Java
 * code and scripts/local-cluster.sh alike, and local sessions built from them.
 */
public final class LocalSpark {
  /** The settings file, a resource of this package and a file of local-stack's sources. */
  public static final String SETTINGS = "local-spark.properties";

  private LocalSpark() {}

  /** Every setting of {@value #SETTINGS}, in file order. */
  public static Map<String, String> settings() {
    Map<String, String> settings = new LinkedHashMap<>();
    for (String entry : SharedSettingsFile.entries(SETTINGS)) {
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new IllegalStateException(SETTINGS + ": not key=value: '" + entry + "'");
      }
      settings.put(entry.substring(0, eq), entry.substring(eq + 1));
    }
    return settings;
  }

  /**
   * A session in this JVM with the local settings, the given master and warehouse folder; built
   * the way the jobs build theirs ({@link SparkSessions}), so callers go through the production
   * session setup.
   */
  public static SparkSession session(String master, Path warehouse, String appName) {
    System.setProperty("spark.master", master);
    settings().forEach(System::setProperty);
    System.setProperty("spark.sql.warehouse.dir", warehouse.toAbsolutePath().toString());
    // Bounds how long stopping a query in this JVM can take; a stage driver's own default
    // applies to the drivers started elsewhere.
    System.setProperty("spark.sql.streaming.stopTimeout", "30s");
    return SparkSessions.getOrCreate(appName);
  }
}
