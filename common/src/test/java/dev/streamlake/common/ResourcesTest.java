package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Config files behind URIs: anything a Hadoop file system serves, set up through Spark's
 * {@code spark.hadoop.*} settings as on a cluster. The test scheme {@code slt:} is the local disk
 * under another name, registered only through such a setting, so a pass proves the setting and
 * the URI both reached Hadoop.
 */
class ResourcesTest {

  static final String SCHEME_SETTING = "spark.hadoop.fs.slt.impl";

  /** The local file system answering to {@code slt:}. */
  public static final class SchemeFileSystem extends RawLocalFileSystem {
    @Override
    public URI getUri() {
      return URI.create("slt:///");
    }
  }

  @TempDir Path dir;

  @BeforeAll
  static void registerScheme() {
    // Spark copies system properties named spark.* into a new SparkConf, as spark-submit does.
    System.setProperty(SCHEME_SETTING, SchemeFileSystem.class.getName());
  }

  @AfterAll
  static void unregisterScheme() {
    System.clearProperty(SCHEME_SETTING);
  }

  @Test
  void readsFileUris() throws IOException {
    Path f = Files.writeString(dir.resolve("a.txt"), "hello");
    assertThat(read(f.toUri().toString())).isEqualTo("hello");
    assertThat(read(f.toString())).isEqualTo("hello");
  }

  @Test
  void readsAnySchemeAHadoopFileSystemServes() throws IOException {
    Path f = Files.writeString(dir.resolve("b.txt"), "from slt");
    assertThat(read("slt://" + f.toAbsolutePath())).isEqualTo("from slt");
  }

  @Test
  void aMissingFileBehindAUriIsFileNotFound() {
    assertThatThrownBy(() -> Resources.open("slt://" + dir.resolve("nope.avsc")))
        .isInstanceOf(FileNotFoundException.class);
    assertThatThrownBy(() -> Resources.open("slt://" + dir))
        .isInstanceOf(FileNotFoundException.class)
        .hasMessageContaining("is a folder, not a file");
  }

  @Test
  void aSchemeNoFileSystemServesIsNamed() {
    assertThatThrownBy(() -> Resources.open("nosuchfs://bucket/pipelines/p.json"))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(FileNotFoundException.class)
        .hasMessageStartingWith("no file system for nosuchfs://bucket/pipelines/p.json");
  }

  @Test
  void windowsDrivesAndVolumesStayLocalPaths() {
    assertThat(Resources.hadoopUri("C:\\lake\\p.json")).isNull();
    assertThat(Resources.hadoopUri("/Volumes/main/sensors/config/p.json")).isNull();
    assertThat(Resources.hadoopUri("dbfs:/Volumes/main/sensors/config/p.json")).isNotNull();
    assertThat(Resources.hadoopUri("abfss://c@a.dfs.core.windows.net/p.json")).isNotNull();
  }

  @Test
  void aPipelineAndItsSchemaFolderCanLiveBehindUris() throws IOException {
    Path schemas = Files.createDirectories(dir.resolve("schemas"));
    for (int id : new int[] {1, 2}) {
      try (InputStream in = Resources.open("classpath:schemas/sensor_readings/" + id + ".avsc")) {
        Files.copy(in, schemas.resolve(id + ".avsc"));
      }
    }
    String json;
    try (InputStream in = Resources.open(PipelineConfig.BUILT_IN)) {
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .replace("classpath:schemas/sensor_readings", "slt://" + schemas.toAbsolutePath());
    }
    Path pipeline = Files.writeString(dir.resolve("pipeline.json"), json);

    PipelineConfig p = PipelineConfig.load("slt://" + pipeline.toAbsolutePath());

    assertThat(p.schemas().directory()).isEqualTo("slt://" + schemas.toAbsolutePath());
    assertThat(p.readerSchema().getField("pressure_hpa")).isNotNull();
    assertThat(AvroSchemas.find(p.schemas().directory(), 1)).isNotNull();
    assertThat(AvroSchemas.find(p.schemas().directory(), 3)).isNull();
  }

  private static String read(String location) throws IOException {
    try (InputStream in = Resources.open(location)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
