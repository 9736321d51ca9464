package dev.streamlake.ladder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One micro-batch as the query progress reports it: which query, how many input rows, when it
 * started and how long each phase took ({@code durationMs}: triggerExecution, addBatch,
 * latestOffset, queryPlanning, walCommit, commitOffsets, getBatch), and the JVM's CPU time when
 * its progress was reported ({@code cpuNs}, -1 when unknown).
 */
record BatchProgress(String queryId, String queryName, long batchId, long rows, long startMs,
    Map<String, Long> durationsMs, long cpuNs) {

  private static final ObjectMapper JSON = new ObjectMapper();

  long triggerMs() {
    return durationsMs.getOrDefault("triggerExecution", 0L);
  }

  long endMs() {
    return startMs + triggerMs();
  }

  double seconds() {
    return triggerMs() / 1000.0;
  }

  /** The progress events of a file {@code ProgressFileListener} wrote; empty when there is none. */
  static List<BatchProgress> read(Path file) {
    List<BatchProgress> out = new ArrayList<>();
    if (!Files.isRegularFile(file)) {
      return out;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return out;
    }
    for (String line : lines) {
      try {
        JsonNode n = JSON.readTree(line);
        if (n == null || !"progress".equals(n.path("event").asText())) {
          continue;
        }
        JsonNode p = n.path("progress");
        Map<String, Long> durations = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = p.path("durationMs").fields();
            it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          durations.put(e.getKey(), e.getValue().asLong());
        }
        out.add(new BatchProgress(p.path("id").asText(), p.path("name").asText(""),
            p.path("batchId").asLong(), p.path("numInputRows").asLong(),
            Instant.parse(p.path("timestamp").asText()).toEpochMilli(), durations,
            n.path("cpu_ns").asLong(-1)));
      } catch (IOException | RuntimeException e) {
        // A line cut by a killed process: the others still count.
      }
    }
    return out;
  }

  /** The JVM's CPU time when the first query started, from the same file; -1 when unknown. */
  static long firstStartCpuNs(Path file) {
    if (!Files.isRegularFile(file)) {
      return -1;
    }
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        JsonNode n = JSON.readTree(line);
        if (n != null && "started".equals(n.path("event").asText())) {
          return n.path("cpu_ns").asLong(-1);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** The batches that read rows, without each query's first batch (it carries the start-up). */
  static List<BatchProgress> steadyBatches(List<BatchProgress> batches) {
    List<BatchProgress> out = new ArrayList<>();
    Map<String, Long> firstBatch = new TreeMap<>();
    for (BatchProgress b : batches) {
      if (b.rows() > 0) {
        firstBatch.merge(b.queryId(), b.batchId(), Math::min);
      }
    }
    for (BatchProgress b : batches) {
      if (b.rows() > 0 && b.batchId() != firstBatch.get(b.queryId())) {
        out.add(b);
      }
    }
    return out;
  }
}
