package dev.streamlake.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageJarsTest {

  @Test
  void findsTheModulesJarOfTheClassifierOnly(@TempDir Path dir) throws IOException {
    Path target = Files.createDirectories(dir.resolve("merge").resolve("target"));
    Files.createFile(target.resolve("merge-0.1.0-SNAPSHOT.jar"));
    Files.createFile(target.resolve("merge-0.1.0-SNAPSHOT-databricks.jar"));
    Files.createFile(target.resolve("other-0.1.0-SNAPSHOT-spark.jar"));
    Path spark = Files.createFile(target.resolve("merge-0.1.0-SNAPSHOT-spark.jar"));

    assertThat(StageJars.find(dir.resolve("merge"), "merge", "spark")).contains(spark);
    assertThat(StageJars.find(dir.resolve("merge"), "merge", "sources")).isEmpty();
    assertThat(StageJars.find(dir.resolve("deserialize"), "deserialize", "spark")).isEmpty();
  }
}
