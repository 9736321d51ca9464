package dev.streamlake.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.testing.StageJars;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RawIngestJarIT {

  private static final String DATA_SOURCE_REGISTER =
      "org.apache.spark.sql.sources.DataSourceRegister";

  @Test
  void sparkJarResolvesDeltaAndKafkaFromItsMergedServiceFiles() throws Exception {
    Path jar = StageJars.jar("spark");
    assertThat(StageJars.mainClass(jar)).isEqualTo(RawIngestJob.class.getName());
    assertThat(StageJars.services(jar, DATA_SOURCE_REGISTER))
        .contains("org.apache.spark.sql.delta.sources.DeltaDataSource",
            "org.apache.spark.sql.kafka010.KafkaSourceProvider");

    StageJars.Run withJar = StageJars.lookupDataSources(jar, "delta", "kafka");
    assertThat(withJar.output())
        .contains("delta -> org.apache.spark.sql.delta.sources.DeltaDataSource")
        .contains("kafka -> org.apache.spark.sql.kafka010.KafkaSourceProvider");
    assertThat(withJar.exitCode()).isZero();
  }

  @Test
  void probeFailsWithoutTheJarSoItsPassIsMeaningful() throws Exception {
    StageJars.Run sparkAlone = StageJars.lookupDataSources(null, "delta", "kafka");
    assertThat(sparkAlone.exitCode()).as(sparkAlone.output()).isEqualTo(3);
    assertThat(sparkAlone.output()).contains("delta -> NOT FOUND").contains("kafka -> NOT FOUND");
  }

  @Test
  void sparkJarRunsItsManifestMainClass() throws Exception {
    StageJars.Run help = StageJars.runMain(StageJars.jar("spark"), "--help");
    assertThat(help.exitCode()).as(help.output()).isZero();
    assertThat(help.output()).contains("--bootstrap-servers").contains("--lake");
  }

  @Test
  void databricksJarLeavesOutWhatTheRuntimeProvides() throws Exception {
    Path jar = StageJars.jar("databricks");
    assertThat(StageJars.mainClass(jar)).isEqualTo(RawIngestJob.class.getName());
    assertThat(StageJars.contains(jar, "dev/streamlake/ingest/RawIngestJob")).isTrue();
    assertThat(StageJars.contains(jar, "dev/streamlake/common/")).isTrue();
    assertThat(StageJars.contains(jar, "dev/streamlake/shaded/picocli/")).isTrue();
    assertThat(StageJars.contains(jar, "org/apache/spark/")).isFalse();
    assertThat(StageJars.contains(jar, "io/delta/")).isFalse();
    assertThat(StageJars.contains(jar, "org/apache/kafka/")).isFalse();
    assertThat(StageJars.contains(jar, "scala/")).isFalse();
  }
}
