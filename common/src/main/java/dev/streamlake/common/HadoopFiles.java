package dev.streamlake.common;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import scala.Tuple2;

/**
 * Files behind URIs, read through Hadoop with the Spark configuration's {@code spark.hadoop.*}
 * settings, so credentials configured for Spark's own reads apply here too. Apart from
 * {@link Resources} so that only a URI loads Hadoop's classes.
 */
final class HadoopFiles {
  private static final String SPARK_HADOOP_PREFIX = "spark.hadoop.";

  private HadoopFiles() {}

  static InputStream open(URI uri) throws IOException {
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
    FileSystem fs;
    try {
      fs = path.getFileSystem(hadoopConfiguration());
    } catch (IOException e) {
      throw new IOException("no file system for " + uri + " (" + e.getMessage() + ")", e);
    }
    // Hadoop throws FileNotFoundException for a missing file, which callers tell from other
    // failures; a folder is "not a file" in the same sense.
    if (fs.getFileStatus(path).isDirectory()) {
      throw new FileNotFoundException(uri + " is a folder, not a file");
    }
    return fs.open(path);
  }

  /**
   * Hadoop settings as Spark would give them: the {@code spark.hadoop.*} settings of the running
   * Spark (driver or executor) or, before Spark starts, of the submitted configuration.
   */
  static Configuration hadoopConfiguration() {
    SparkConf spark;
    try {
      SparkEnv env = SparkEnv.get();
      spark = env != null ? env.conf() : new SparkConf();
    } catch (LinkageError noSparkCore) {
      // Hadoop without Spark's core (some Spark Connect clients): Hadoop's defaults it is.
      return new Configuration();
    }
    Configuration conf = new Configuration();
    for (Tuple2<String, String> kv : spark.getAll()) {
      if (kv._1().startsWith(SPARK_HADOOP_PREFIX)) {
        conf.set(kv._1().substring(SPARK_HADOOP_PREFIX.length()), kv._2());
      }
    }
    return conf;
  }
}
