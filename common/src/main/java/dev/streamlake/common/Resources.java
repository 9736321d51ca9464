package dev.streamlake.common;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import scala.Tuple2;

/**
 * Opens the files config names: a {@code classpath:} resource, a local path (which includes
 * {@code /Volumes/...} on Databricks, where volumes are mounted on every node), or any URI a
 * Hadoop file system serves ({@code dbfs:/}, {@code s3a://}, {@code abfss://}, {@code gs://},
 * {@code file:}).
 *
 * <p>The pipeline file is read on the driver before Spark starts, and schema files are also read
 * on executors; both read a URI through Hadoop with the Spark configuration's
 * {@code spark.hadoop.*} settings, so credentials configured for Spark's own reads apply here too.
 */
public final class Resources {
  public static final String CLASSPATH = "classpath:";

  private static final String SPARK_HADOOP_PREFIX = "spark.hadoop.";

  private Resources() {}

  /** A missing file is a {@link FileNotFoundException}; any other failure an IOException. */
  public static InputStream open(String location) throws IOException {
    if (location.startsWith(CLASSPATH)) {
      String name = location.substring(CLASSPATH.length()).replaceFirst("^/", "");
      InputStream in = Resources.class.getClassLoader().getResourceAsStream(name);
      if (in == null) {
        throw new FileNotFoundException("no resource " + name + " on the classpath");
      }
      return in;
    }
    URI uri = hadoopUri(location);
    if (uri != null) {
      return openWithHadoop(uri);
    }
    Path p = Path.of(location);
    if (!Files.isRegularFile(p)) {
      throw new FileNotFoundException("no such file " + p.toAbsolutePath());
    }
    return Files.newInputStream(p);
  }

  /** The location of {@code child} inside folder {@code dir}, keeping a classpath: prefix. */
  public static String child(String dir, String child) {
    return dir.endsWith("/") ? dir + child : dir + "/" + child;
  }

  /**
   * The URI of a location with a scheme of two or more letters; null for a plain path, so a
   * Windows drive letter ({@code C:\...}) stays a path.
   */
  static URI hadoopUri(String location) {
    try {
      URI uri = new URI(location);
      String scheme = uri.getScheme();
      return scheme != null && scheme.length() > 1 ? uri : null;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static InputStream openWithHadoop(URI uri) throws IOException {
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
      // A Spark Connect client has no SparkEnv: the plain Hadoop defaults are all there is.
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
