package dev.streamlake.common;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hadoop's checksummed local file system ({@code fs.file.impl}) over {@link NioRawLocalFileSystem}:
 * what Parquet and Spark's file writers use for {@code file:} paths.
 */
public class NioLocalFileSystem extends LocalFileSystem {
  private static final Logger LOG = LoggerFactory.getLogger(NioLocalFileSystem.class);

  static final String KEY = "fs.file.impl";

  public NioLocalFileSystem() {
    super(new NioRawLocalFileSystem());
  }

  /**
   * Hadoop caches one file system instance per scheme and user, whatever settings later callers
   * pass, and spark-submit creates the local one before the session exists (it resolves the jars'
   * paths): it would stay Hadoop's own. Closing that instance only drops it from the cache, as a
   * local file system holds nothing open, and the next caller gets the configured one.
   */
  static void replaceCachedInstance(Configuration hadoopConf) {
    String configured = hadoopConf.get(KEY);
    if (configured == null) {
      return;
    }
    try {
      FileSystem cached = FileSystem.getLocal(hadoopConf);
      if (!cached.getClass().getName().equals(configured)) {
        cached.close();
        LOG.info("Local file system: {} (was {})",
            FileSystem.getLocal(hadoopConf).getClass().getName(), cached.getClass().getName());
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("Cannot switch the local file system to {} ({}); Hadoop's own stays in use",
          configured, e.toString());
    }
  }
}
