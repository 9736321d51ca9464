package dev.streamlake.ladder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One run of one step: how long it took from process start to exit (start-up included), the CPU
 * its JVM used, its heap, and, for streaming queries, the micro-batches from the query progress.
 * In-process steps (the plain Kafka drain and Avro decode) have no process, heap or batches.
 *
 * @param label what distinguishes this run within its step (round, batch size, gold size, rate)
 * @param records the records the step moved (the topic's records for every throughput step)
 * @param threadCpuSeconds CPU of the threads alive at exit, by name (JIT and GC threads too)
 * @param queryStartCpuNs the JVM's CPU time when its first streaming query started; -1 if none
 * @param failure null when the run succeeded, else why not
 */
record RunRecord(
    String step,
    String label,
    int round,
    long records,
    int exitCode,
    boolean outOfMemory,
    double wallSeconds,
    double cpuSeconds,
    GcLog gc,
    long heapPoolPeaksBytes,
    long rssPeakBytes,
    Map<String, Double> threadCpuSeconds,
    List<BatchProgress> batches,
    long queryStartCpuNs,
    String loadStart,
    String loadEnd,
    Path dir,
    String failure) {

  RunRecord {
    threadCpuSeconds = Map.copyOf(threadCpuSeconds);
    batches = List.copyOf(batches);
  }

  static RunRecord inProcess(String step, int round, long records, double wallSeconds,
      double cpuSeconds, String loadStart, String loadEnd, String failure) {
    return new RunRecord(step, "round " + round, round, records, failure == null ? 0 : 1, false,
        wallSeconds, cpuSeconds, GcLog.NONE, -1, -1, Map.of(), List.of(), -1, loadStart, loadEnd, null,
        failure);
  }

  boolean ok() {
    return failure == null;
  }

  double recordsPerSecond() {
    return ok() && wallSeconds > 0 ? records / wallSeconds : Double.NaN;
  }

  /** CPU seconds per million records. */
  double cpuSecondsPerMillion() {
    return ok() && records > 0 && cpuSeconds >= 0 ? cpuSeconds * 1e6 / records : Double.NaN;
  }

  /**
   * CPU from the first query's start to the progress of its last batch that read rows: the
   * queries' own work, without JVM and Spark start-up or shut-down. NaN without progress.
   */
  double queryCpuSeconds() {
    List<BatchProgress> data = dataBatches();
    if (!ok() || data.isEmpty() || queryStartCpuNs < 0) {
      return Double.NaN;
    }
    long last = data.stream().mapToLong(BatchProgress::cpuNs).max().orElse(-1);
    return last < queryStartCpuNs ? Double.NaN : (last - queryStartCpuNs) / 1e9;
  }

  /** {@link #queryCpuSeconds} per million records. */
  double queryCpuSecondsPerMillion() {
    double q = queryCpuSeconds();
    return records > 0 ? q * 1e6 / records : Double.NaN;
  }

  /** Micro-batches that read rows. */
  List<BatchProgress> dataBatches() {
    return batches.stream().filter(b -> b.rows() > 0).toList();
  }

  /** The micro-batches' own time (triggerExecution), summed over the batches that read rows. */
  double batchSeconds() {
    List<BatchProgress> data = dataBatches();
    return data.isEmpty() ? Double.NaN : data.stream().mapToDouble(BatchProgress::seconds).sum();
  }

  /** Rows the queries read, by the progress. */
  long progressRows() {
    return dataBatches().stream().mapToLong(BatchProgress::rows).sum();
  }

  /** Wall time outside the micro-batches: JVM and Spark start-up, query start, shut-down. */
  double outsideBatchesSeconds() {
    double all = batches.stream().mapToDouble(BatchProgress::seconds).sum();
    return ok() && !batches.isEmpty() ? wallSeconds - all : Double.NaN;
  }

  Path jfr() {
    return dir == null ? null : dir.resolve("profile.jfr");
  }

  boolean hasJfr() {
    return jfr() != null && Files.isRegularFile(jfr());
  }

  Path log() {
    return dir == null ? null : dir.resolve("out.log");
  }
}
