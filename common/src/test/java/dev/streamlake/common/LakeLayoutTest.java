package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LakeLayoutTest {

  @Test
  void placesTablesAndCheckpointsUnderTheLakeRoot() {
    LakeLayout l = new LakeLayout("/lake/", "sensor_readings");
    assertThat(l.raw().name()).isEqualTo("/lake/raw/sensor_readings");
    assertThat(l.bronze().name()).isEqualTo("/lake/bronze/sensor_readings");
    assertThat(l.deadLetter().name()).isEqualTo("/lake/dead_letter/sensor_readings");
    assertThat(l.gold().name()).isEqualTo("/lake/gold/sensor_readings");
    assertThat(l.checkpoint(Stage.MERGE, "bronze-to-gold"))
        .isEqualTo("/lake/_checkpoints/sensor_readings/merge/bronze-to-gold");
  }

  @Test
  void keepsSchemesOfObjectStores() {
    LakeLayout l = new LakeLayout("s3://bucket/lake", "p");
    assertThat(l.raw().name()).isEqualTo("s3://bucket/lake/raw/p");
  }

  @Test
  void withACatalogTheTablesAreCatalogNamesAndTheCheckpointsStayUnderTheRoot() {
    LakeLayout l = new LakeLayout("/Volumes/main/sensors/checkpoints", "sensor_readings",
        new CatalogSchema("main", "sensors"));
    assertThat(l.raw()).isEqualTo(TableRef.catalog("main.sensors.raw_sensor_readings"));
    assertThat(l.deadLetter())
        .isEqualTo(TableRef.catalog("main.sensors.dead_letter_sensor_readings"));
    assertThat(l.checkpoint(Stage.RAW_INGEST, "kafka-to-raw")).isEqualTo(
        "/Volumes/main/sensors/checkpoints/_checkpoints/sensor_readings/raw-ingest/kafka-to-raw");
  }
}
