package dev.streamlake.ladder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ladder's arithmetic and parsing, without Kafka or Spark. */
class LadderMathTest {
  @TempDir Path dir;

  @Test
  void figureIsMedianMinMaxOverTheNumbers() {
    Figure f = Figure.of(List.of(3.0, 1.0, Double.NaN, 2.0, 10.0));
    assertThat(f.median()).isEqualTo(2.5);
    assertThat(f.min()).isEqualTo(1.0);
    assertThat(f.max()).isEqualTo(10.0);
    assertThat(f.runs()).isEqualTo(4);
    assertThat(f.format("%.1f")).isEqualTo("2.5 (1.0–10.0)");
    assertThat(Figure.of(List.of(Double.NaN)).format("%.1f")).isEqualTo("n/a");
  }

  @Test
  void fitRecoversFixedAndPerRecordCost() {
    // 2 s per batch plus 10 µs per record
    LinearFit fit = LinearFit.of(List.of(new double[] {1000, 2.01}, new double[] {10_000, 2.1},
        new double[] {100_000, 3.0}));
    assertThat(fit.a()).isCloseTo(2.0, within(1e-9));
    assertThat(fit.b()).isCloseTo(10e-6, within(1e-12));
    assertThat(fit.r2()).isCloseTo(1.0, within(1e-9));
    assertThat(fit.breakEvenRecords()).isCloseTo(200_000, within(1e-3));
    assertThat(LinearFit.of(List.of(new double[] {5, 1}, new double[] {5, 2})).a()).isNaN();
  }

  @Test
  void gcLogGivesPeakOccupancyAndPeakAfterCollection() throws Exception {
    Path log = Files.writeString(dir.resolve("gc.log"), String.join("\n",
        "[0.010s][info][gc] Using G1",
        "[1.234s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 24M->5M(256M) 3.456ms",
        "[9.000s][info][gc] GC(1) Pause Young (Normal) (G1 Evacuation Pause) 700M->310M(1024M) 9.1ms",
        "[9.500s][info][gc] GC(2) Pause Full (G1 Compaction Pause) 1G->400M(1024M) 120.0ms",
        ""));
    GcLog gc = GcLog.read(log);
    assertThat(gc.peakBeforeGcBytes()).isEqualTo(1L << 30);
    assertThat(gc.peakAfterGcBytes()).isEqualTo(400L << 20);
    assertThat(gc.collections()).isEqualTo(3);
    assertThat(gc.fullGc()).isTrue();
    assertThat(GcLog.read(dir.resolve("missing")).peakBeforeGcBytes()).isEqualTo(-1);
  }

  @Test
  void progressLinesBecomeBatchesAndTheFirstBatchOfEachQueryIsNotSteady() throws Exception {
    Path file = Files.writeString(dir.resolve("progress.jsonl"), String.join("\n",
        "{\"event\":\"started\",\"at\":1,\"id\":\"q\",\"name\":\"a.b.kafka-to-raw\"}",
        progress(0, 1000, 4000),
        progress(1, 500, 1500),
        "{\"event\":\"progress\",\"at\":5,\"progress\":{\"id\":\"q\",\"na", // cut by a kill
        progress(2, 0, 10),
        ""));
    List<BatchProgress> batches = BatchProgress.read(file);
    assertThat(batches).hasSize(3);
    assertThat(batches.get(0).durationsMs()).containsEntry("addBatch", 3000L);
    assertThat(BatchProgress.steadyBatches(batches)).extracting(BatchProgress::batchId)
        .containsExactly(1L);
  }

  @Test
  void queryCpuRunsFromTheFirstQueryStartToTheLastBatchWithRows() {
    List<BatchProgress> batches = List.of(
        new BatchProgress("q", "n", 0, 100, 0, java.util.Map.of(), 5_000_000_000L),
        new BatchProgress("q", "n", 1, 300, 0, java.util.Map.of(), 9_000_000_000L),
        new BatchProgress("q", "n", 2, 0, 0, java.util.Map.of(), 9_500_000_000L));
    RunRecord run = new RunRecord("s", "round 1", 1, 1_000_000, 0, false, 20, 12, GcLog.NONE, -1,
        -1, java.util.Map.of(), batches, 1_000_000_000L, "1 1 1", "1 1 1", null, null);
    assertThat(run.queryCpuSeconds()).isCloseTo(8.0, within(1e-9));
    assertThat(run.queryCpuSecondsPerMillion()).isCloseTo(8.0, within(1e-9));
    assertThat(run.cpuSecondsPerMillion()).isCloseTo(12.0, within(1e-9));
    assertThat(run.progressRows()).isEqualTo(400);
  }

  @Test
  void everySectionIsWrittenWhenNothingRan() throws Exception {
    Ladder ladder = new Ladder();
    new picocli.CommandLine(ladder).parseArgs("--records", "1000", "--runs", "1",
        "--repo", Path.of("..").toAbsolutePath().normalize().toString(),
        "--out", dir.resolve("r.md").toString(), "--work", dir.resolve("w").toString());
    String text = ResultsWriter.render(new Results(ladder.toConfig()));
    assertThat(text).contains(ResultsWriter.SECTIONS);
    assertThat(text).contains("not measured");
  }

  private static String progress(long batch, long rows, long triggerMs) {
    return "{\"event\":\"progress\",\"at\":2,\"progress\":{\"id\":\"q\",\"runId\":\"r\","
        + "\"name\":\"a.b.kafka-to-raw\",\"timestamp\":\"2026-11-30T00:00:0" + batch + ".000Z\","
        + "\"batchId\":" + batch + ",\"numInputRows\":" + rows + ",\"durationMs\":{"
        + "\"addBatch\":" + (triggerMs - 1000) + ",\"triggerExecution\":" + triggerMs + "}}}";
  }
}
