package dev.streamlake.common;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens the files config names: a {@code classpath:} resource, a local path (which includes
 * {@code /Volumes/...} on Databricks, where volumes are mounted on every node), or any URI a
 * Hadoop file system serves ({@code dbfs:/}, {@code s3a://}, {@code abfss://}, {@code gs://},
 * {@code file:}).
 *
 * <p>The pipeline file is read on the driver before Spark starts, and schema files are also read
 * on executors; both read a URI through Hadoop ({@link HadoopFiles}).
 *
 * <p>This class names no Hadoop or Spark type: a Spark Connect client (Databricks serverless) has
 * neither, and the JVM would refuse to load a class whose methods mention them, even for a
 * {@code classpath:} or local file.
 */
public final class Resources {
  public static final String CLASSPATH = "classpath:";

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
      try {
        return HadoopFiles.open(uri);
      } catch (LinkageError noHadoop) {
        throw new IOException("this JVM has no Hadoop file system to read " + location + " with"
            + " (a Spark Connect client, such as Databricks serverless, has none): use a"
            + " /Volumes/... path or classpath:", noHadoop);
      }
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
}
