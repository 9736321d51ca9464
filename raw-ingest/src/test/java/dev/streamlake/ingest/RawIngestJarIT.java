package dev.streamlake.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.local.StageJars;
import dev.streamlake.testing.JarProbe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

    JarProbe.Run withJar = JarProbe.lookupDataSources(jar, "delta", "kafka");
    assertThat(withJar.output())
        .contains("delta -> org.apache.spark.sql.delta.sources.DeltaDataSource")
        .contains("kafka -> org.apache.spark.sql.kafka010.KafkaSourceProvider");
    assertThat(withJar.exitCode()).isZero();
  }

  @Test
  void probeFailsWithoutTheJarSoItsPassIsMeaningful() throws Exception {
    JarProbe.Run sparkAlone = JarProbe.lookupDataSources(null, "delta", "kafka");
    assertThat(sparkAlone.exitCode()).as(sparkAlone.output()).isEqualTo(3);
    assertThat(sparkAlone.output()).contains("delta -> NOT FOUND").contains("kafka -> NOT FOUND");
  }

  @Test
  void sparkJarRunsItsManifestMainClass() throws Exception {
    JarProbe.Run help = JarProbe.runMain(StageJars.jar("spark"), "--help");
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
    assertThat(StageJars.contains(jar, "kafkashaded/")).isFalse();
  }

  @Test
  void databricksJarPointsTheTopicCheckAtTheRuntimesRelocatedKafkaClient() throws Exception {
    String lister = "dev/streamlake/ingest/KafkaAdminTopicLister.class";
    String classFile = new String(StageJars.entry(StageJars.jar("databricks"), lister),
        StandardCharsets.ISO_8859_1);
    assertThat(classFile).contains("kafkashaded/org/apache/kafka/clients/admin/Admin")
        .doesNotContain("Lorg/apache/kafka/");
    String inSparkJar = new String(StageJars.entry(StageJars.jar("spark"), lister),
        StandardCharsets.ISO_8859_1);
    assertThat(inSparkJar).contains("org/apache/kafka/clients/admin/Admin").doesNotContain("kafkashaded");
  }

  @Test
  void withoutKafkaClientClassesTheTopicCheckIsSkippedAndTheJobGoesOn() throws Exception {
    // Spark alone has no Kafka client, relocated or not: the check must step aside, not fail
    // with NoClassDefFoundError. The job then fails further on for want of Delta, which a
    // Databricks runtime has.
    JarProbe.Run run = JarProbe.sparkSubmit(StageJars.jar("databricks"),
        "--lake", Files.createTempDirectory("lake").toString(),
        "--bootstrap-servers", "127.0.0.1:9", "--topic", "never-checked", "--wait-for-topic", "0s");
    assertThat(run.output())
        .contains("Not checking that topic 'never-checked' exists before starting: this runtime has"
            + " no Kafka client classes")
        .doesNotContain("NoClassDefFoundError: kafkashaded")
        .doesNotContain("NoClassDefFoundError: org/apache/kafka")
        .doesNotContain("TopicUnavailableException")
        .contains("SparkContext: Running Spark version")
        .contains("NoClassDefFoundError: io/delta/");
  }
}
