package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class CommonOptionsTest {

  @Command(name = "test")
  static final class Cli {
    @Mixin CommonOptions common;
  }

  private static StageSettings parse(String... args) {
    Cli cli = new Cli();
    assertThat(CommandLines.parse(cli, args)).isTrue();
    return cli.common.toSettings(Stage.MERGE, TriggerSpec.processingTime(Duration.ofMinutes(15)));
  }

  @Test
  void catalogAndSchemaNameAllFourTables() {
    StageSettings s = parse("--lake", "/Volumes/main/sensors/checkpoints",
        "--catalog", "main", "--schema", "sensors");
    assertThat(s.raw()).isEqualTo(TableRef.catalog("main.sensors.raw_sensor_readings"));
    assertThat(s.bronze()).isEqualTo(TableRef.catalog("main.sensors.bronze_sensor_readings"));
    assertThat(s.deadLetter())
        .isEqualTo(TableRef.catalog("main.sensors.dead_letter_sensor_readings"));
    assertThat(s.gold()).isEqualTo(TableRef.catalog("main.sensors.gold_sensor_readings"));
    assertThat(s.checkpoint("bronze-to-gold")).isEqualTo(
        "/Volumes/main/sensors/checkpoints/_checkpoints/sensor_readings/merge/bronze-to-gold");
    assertThat(s.describe())
        .containsEntry("catalog", "main")
        .containsEntry("schema", "sensors")
        .containsEntry("gold-table", "main.sensors.gold_sensor_readings");
  }

  @Test
  void aTableSettingOverridesItsCatalogName() {
    StageSettings s = parse("--lake", "/tmp/lake", "--catalog", "main", "--schema", "sensors",
        "--gold-table", "reporting.serving.readings", "--raw-table", "/tmp/lake/raw-elsewhere");
    assertThat(s.gold()).isEqualTo(TableRef.catalog("reporting.serving.readings"));
    assertThat(s.raw()).isEqualTo(TableRef.path("/tmp/lake/raw-elsewhere"));
    assertThat(s.bronze()).isEqualTo(TableRef.catalog("main.sensors.bronze_sensor_readings"));
  }

  @Test
  void withoutCatalogTheTablesArePathsUnderTheLake() {
    StageSettings s = parse("--lake", "/tmp/lake");
    assertThat(s.raw()).isEqualTo(TableRef.path("/tmp/lake/raw/sensor_readings"));
    assertThat(s.describe()).doesNotContainKeys("catalog", "schema");
  }

  @Test
  void catalogWithoutSchemaIsRefused() {
    assertThatThrownBy(() -> parse("--lake", "/tmp/lake", "--catalog", "main"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Settings --catalog and --schema go together (got --catalog 'main' alone):"
            + " give both to keep the tables in Unity Catalog, or neither for path tables under"
            + " --lake.");
    assertThatThrownBy(() -> parse("--lake", "/tmp/lake", "--schema", "sensors"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "Settings --catalog and --schema go together (got --schema 'sensors' alone)");
  }

  @Test
  void namesThatNeedQuotingAreRefused() {
    assertThatThrownBy(
            () -> parse("--lake", "/tmp/lake", "--catalog", "my-catalog", "--schema", "s"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --catalog: 'my-catalog'. Allowed: a Unity Catalog name of"
            + " letters, digits and _, not starting with a digit, at most 255 characters.");
    assertThatThrownBy(() -> parse("--lake", "/tmp/lake", "--catalog", "main", "--schema",
            "sensors.v2"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Invalid value for --schema: 'sensors.v2'. Allowed: a Unity"
            + " Catalog name");
    assertThatThrownBy(() -> parse("--lake", "/tmp/lake", "--catalog", "1st", "--schema", "s"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Invalid value for --catalog: '1st'.");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/Volumes", "/Volumes/main", "/Volumes/main/sensors",
      "/Volumes/main/sensors/", "dbfs:/Volumes/main/sensors"})
  void aVolumePathNamesCatalogSchemaAndVolume(String lake) {
    assertThatThrownBy(() -> parse("--lake", lake))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --lake: '" + lake + "'. Allowed: a Unity Catalog volume"
            + " path /Volumes/<catalog>/<schema>/<volume>[/<folder>...], a local folder, or a URI"
            + " such as dbfs:/, s3://, abfss://.");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/Volumes/main/sensors/checkpoints",
      "/Volumes/main/sensors/checkpoints/pipeline-a", "dbfs:/Volumes/main/sensors/checkpoints",
      "/tmp/Volumes", "s3://bucket/lake", "abfss://lake@account.dfs.core.windows.net/lake"})
  void otherRootsAreTakenAsTheyAre(String lake) {
    assertThat(parse("--lake", lake).layout().root()).isEqualTo(lake);
  }

  @Test
  void missingLakeSaysWhatItHolds() {
    assertThatThrownBy(() -> parse("--catalog", "main", "--schema", "sensors"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Missing required setting --lake: the root folder for checkpoints, and for the"
            + " tables unless --catalog and --schema name them (for example --lake /tmp/lake or"
            + " --lake /Volumes/main/sensors/checkpoints).");
  }

  @Test
  void triggerDefaultIsTheStagesOwnSoOneJobParameterServesEveryStage() {
    assertThat(parse("--lake", "/tmp/lake", "--trigger", "default").trigger())
        .isEqualTo(TriggerSpec.processingTime(Duration.ofMinutes(15)));
    assertThat(parse("--lake", "/tmp/lake", "--trigger", "availableNow").trigger())
        .isEqualTo(TriggerSpec.availableNow());
  }
}
