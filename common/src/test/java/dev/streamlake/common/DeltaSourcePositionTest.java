package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DeltaSourcePositionTest {

  static DeltaSourcePosition at(long version, long index, boolean initialSnapshot) {
    return DeltaSourcePosition.parse(3, "{\"sourceVersion\":1,\"reservoirId\":\"r-1\","
        + "\"reservoirVersion\":" + version + ",\"index\":" + index + ",\"isStartingVersion\":"
        + initialSnapshot + "}", "offsets/3");
  }

  @Test
  void beforeAVersionsFirstFileEveryEarlierVersionIsComplete() {
    DeltaSourcePosition p = at(5, -1, false);
    assertThat(p.completeThrough()).isEqualTo(4);
    assertThat(p.firstUnreadVersion()).isEqualTo(5);
    assertThat(p.reservoirId()).isEqualTo("r-1");
    assertThat(p.describe()).isEqualTo(
        "batch 3 ended at source version 5, index -1: complete through version 4");
  }

  @Test
  void partWayThroughAVersionThatVersionIsNotComplete() {
    assertThat(at(5, 2, false).completeThrough()).isEqualTo(4);
    assertThat(at(5, 2, false).describe()).endsWith("; version 5 is read through file 2");
  }

  @Test
  void aMetadataChangeIndexLeavesItsVersionIncomplete() {
    assertThat(at(2, -20, false).completeThrough()).isEqualTo(1);
  }

  @Test
  void atTheEndIndexTheVersionIsComplete() {
    assertThat(at(5, DeltaSourcePosition.END_INDEX, false).completeThrough()).isEqualTo(5);
    assertThat(at(5, DeltaSourcePosition.END_INDEX, false).firstUnreadVersion()).isEqualTo(6);
  }

  @Test
  void theFirstSnapshotCompletesEverythingThroughItsVersionOnlyAtItsEnd() {
    assertThat(at(7, 3, true).completeThrough()).isEqualTo(-1);
    assertThat(at(7, 3, true).firstUnreadVersion()).isZero();
    assertThat(at(7, 3, true).describe()).contains("no version is complete yet");
    assertThat(at(7, DeltaSourcePosition.END_INDEX, true).completeThrough()).isEqualTo(7);
  }

  @Test
  void anOffsetOfAnotherSourceIsRefusedNamingWhereItCameFrom() {
    assertThatThrownBy(() -> DeltaSourcePosition.parse(1, "{\"topic\":{\"0\":5}}", "offsets/1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("offsets/1").hasMessageContaining("not a Delta source offset");
    assertThat(BatchMetricsListener.completedVersion("{\"topic\":{\"0\":5}}")).isNull();
  }
}
