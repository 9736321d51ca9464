package dev.streamlake.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.testing.TestSpark;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The small version of {@link StageBench}, so the benchmark cannot rot. */
class StageBenchIT {
  @TempDir Path dir;

  @Test
  void tinyRunAccountsForEveryRowAndMergesTheSecondBatchIntoOnePartition() throws Exception {
    StageBench bench = new StageBench();
    new CommandLine(bench).parseArgs("--rows", "2000", "--second-rows", "100", "--sensors", "100",
        "--days", "5", "--lake", dir.resolve("lake").toString());

    StageBench.Results r = bench.run(TestSpark.session());
    System.out.println(StageBench.table(bench, r));

    assertThat(r.rawRows()).isEqualTo(2100);
    assertThat(r.rawRows()).isEqualTo(r.bronzeRows() + r.deadLetterRows());
    // every 50th of the first batch is broken (2%); the second batch is all valid
    assertThat(r.deadLetterRows()).isEqualTo(40).isEqualTo(r.expectedDeadLetter());
    assertThat(r.bronzeRows()).isEqualTo(r.expectedBronze());
    // 100 sensors x 5 days; rows 49, 99, 149... are the broken ones, so sensors 49 and 99 only
    // reach gold through the second batch (day 0): 500 - 2 x 5 + 2
    assertThat(r.goldRows()).isEqualTo(492).isEqualTo(r.expectedGold());
    assertThat(r.phases()).extracting(StageBench.Phase::name).hasSize(6);
    assertThat(r.phases()).allSatisfy(p -> assertThat(p.seconds()).isPositive());
    // the second batch updates the 100 keys of one date and leaves the other dates' files alone
    assertThat(r.secondMergeMetrics()).containsEntry("numSourceRows", "100")
        .containsEntry("numTargetRowsUpdated", "98").containsEntry("numTargetRowsInserted", "2");
    assertThat(Long.parseLong(r.secondMergeMetrics().get("numTargetFilesRemoved")))
        .isLessThan(Long.parseLong(r.firstMergeMetrics().get("numTargetFilesAdded")));
    assertThat(Long.parseLong(r.secondMergeMetrics().get("numTargetRowsCopied")))
        .isLessThan(r.goldRows());
    assertThat(r.peakHeapBytes()).isPositive();
  }
}
