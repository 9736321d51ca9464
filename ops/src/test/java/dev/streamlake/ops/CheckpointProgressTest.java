package dev.streamlake.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointProgressTest {

  private static String offsetLog(long version, long index, boolean initialSnapshot) {
    return "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":1,\"conf\":{}}\n"
        + "{\"sourceVersion\":1,\"reservoirId\":\"id\",\"reservoirVersion\":" + version
        + ",\"index\":" + index + ",\"isStartingVersion\":" + initialSnapshot + "}\n";
  }

  @Test
  void theNewestCommittedBatchCountsNotTheNewestPlannedOne(@TempDir Path checkpoint)
      throws Exception {
    Files.createDirectories(checkpoint.resolve("offsets"));
    Files.createDirectories(checkpoint.resolve("commits"));
    Files.writeString(checkpoint.resolve("offsets/0"), offsetLog(3, -1, false));
    Files.writeString(checkpoint.resolve("offsets/1"), offsetLog(5, -1, false));
    Files.writeString(checkpoint.resolve("commits/0"), "v1\n{}\n");
    Files.writeString(checkpoint.resolve("commits/.0.crc"), "");
    CheckpointProgress p = CheckpointProgress.read(checkpoint.toString());
    assertThat(p.batch()).isZero();
    assertThat(p.completeThrough()).isEqualTo(2);
  }

  @Test
  void noCheckpointMeansNothingProcessed(@TempDir Path lake) throws Exception {
    CheckpointProgress p = CheckpointProgress.read(lake.resolve("none").toString());
    assertThat(p.processedAnything()).isFalse();
    assertThat(p.describe()).contains("the stage has processed nothing");
  }
}
