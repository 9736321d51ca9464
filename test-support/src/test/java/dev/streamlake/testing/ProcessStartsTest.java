package dev.streamlake.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.common.SparkSessions;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ProcessStarts} sees the processes Hadoop's local file system starts for a checkpoint-like
 * write, and the local file system our sessions use starts none for the same writes.
 */
class ProcessStartsTest {
  @TempDir Path dir;

  @Test
  void seesHadoopsChmodAndReadlinkAndNoneFromTheLocalFileSystemOfOurSessions() throws Exception {
    Configuration ours = new Configuration();
    SparkSessions.LOCAL_FILE_SYSTEM.forEach(
        (k, v) -> ours.set(k.substring("spark.hadoop.".length()), v));

    // Hadoop's shell helper starts `setsid` once per JVM when first loaded, whoever loads it.
    assertThat(org.apache.hadoop.util.Shell.WINDOWS).isFalse();

    List<String> fromOurs = ProcessStarts.during(() -> writeLikeACheckpointAndAParquetFile(ours, "nio"));
    List<String> fromHadoops =
        ProcessStarts.during(() -> writeLikeACheckpointAndAParquetFile(new Configuration(), "stock"));

    assertThat(fromOurs).isEmpty();
    // Without Hadoop's native library, which Spark does not ship.
    assertThat(fromHadoops)
        .anyMatch(c -> c.startsWith("chmod"))
        .anyMatch(c -> c.startsWith("readlink"));
  }

  /** A streaming checkpoint's write (a temporary file, renamed) and a data file's. */
  private void writeLikeACheckpointAndAParquetFile(Configuration conf, String name)
      throws IOException {
    FileContext fc = FileContext.getFileContext(dir.toUri(), conf);
    org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path(dir.resolve("." + name + ".tmp").toUri());
    try (OutputStream out = fc.create(tmp, EnumSet.of(CreateFlag.CREATE, CreateFlag.OVERWRITE),
        Options.CreateOpts.createParent())) {
      out.write("{}".getBytes(StandardCharsets.UTF_8));
    }
    fc.rename(tmp, new org.apache.hadoop.fs.Path(dir.resolve(name + ".json").toUri()),
        Options.Rename.NONE);
    try (FileSystem fs = FileSystem.newInstance(dir.toUri(), conf);
        OutputStream out = fs.create(
            new org.apache.hadoop.fs.Path(dir.resolve(name + ".parquet").toUri()), false)) {
      out.write(1);
    }
  }
}
