package dev.streamlake.ladder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamlake.local.StageModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 3 against gold's size: gold of the two {@code --gold-rows} sizes built directly
 * ({@code GoldGenJob}: a fleet of {@code --gold-sensors} sensors, one row per sensor and day, so
 * the larger gold has more days, as history grows), then in each round one
 * {@code --gold-batch-rows} batch of later readings on gold's last day merged into each, smaller
 * first. Each round's batch is newer than the last round's, so every run updates real rows.
 */
final class GoldScaleStep {
  private static final Logger LOG = LoggerFactory.getLogger(GoldScaleStep.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String STEP = "gold-scale";

  private final StepRunner runner;
  private final Results results;

  GoldScaleStep(StepRunner runner, Results results) {
    this.runner = runner;
    this.results = results;
  }

  void run() {
    LadderConfig c = runner.config;
    String heap = c.driverMemory();
    for (long rows : c.goldRows()) {
      Path lake = runner.lake(STEP + ".generate", "gold " + rows);
      RunRecord gen = runner.run(STEP + ".generate", "gold " + rows, 0, rows, runner.ladderJar(),
          "dev.streamlake.ladder.jobs.GoldGenJob",
          List.of(lake.resolve("gold").toString(), Long.toString(rows),
              Integer.toString(c.goldSensors()), lake.resolve("bronze").toString(),
              Integer.toString(c.runs()), Integer.toString(c.goldBatchRows())),
          heap, Map.of(), true);
      results.goldGeneration.add(gen);
    }
    if (!results.goldGeneration.stream().allMatch(RunRecord::ok)) {
      results.notes.add("gold-scale: not measured: generating gold failed");
      return;
    }
    for (int round = 1; round <= c.runs(); round++) {
      for (long rows : c.goldRows()) {
        Path lake = runner.lake(STEP + ".generate", "gold " + rows);
        Path gold = lake.resolve("gold");
        RunRecord r = runner.stage(StageModule.MERGE, STEP, "gold " + rows + " round " + round,
            round, c.goldBatchRows(),
            List.of("--bronze-table", lake.resolve("bronze").toString() + "-" + (round - 1),
                "--gold-table", gold.toString()), heap, false);
        results.gold.add(new Results.GoldRun(rows, r, lastMergeMetrics(gold)));
      }
    }
    for (long rows : c.goldRows()) {
      Workspace.deleteRecursively(runner.lake(STEP + ".generate", "gold " + rows));
    }
    LOG.info("Gold scale: {} runs", results.gold.size());
  }

  /** operationMetrics of the newest commit of a Delta table, when it is a MERGE. */
  static Map<String, String> lastMergeMetrics(Path table) {
    Map<String, String> out = new TreeMap<>();
    Path log = table.resolve("_delta_log");
    try (Stream<Path> files = Files.list(log)) {
      Path last = files.filter(p -> p.getFileName().toString().matches("\\d{20}\\.json"))
          .max(Comparator.comparing(p -> p.getFileName().toString())).orElse(null);
      if (last == null) {
        return out;
      }
      for (String line : Files.readAllLines(last)) {
        JsonNode commit = JSON.readTree(line).path("commitInfo");
        if (!commit.isMissingNode() && "MERGE".equals(commit.path("operation").asText())) {
          for (Iterator<Map.Entry<String, JsonNode>> it = commit.path("operationMetrics").fields();
              it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asText());
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("Cannot read the last commit of {}: {}", table, e.toString());
    }
    return out;
  }
}
