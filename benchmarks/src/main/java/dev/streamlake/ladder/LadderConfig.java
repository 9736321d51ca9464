package dev.streamlake.ladder;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What one ladder run does, checked before anything starts.
 *
 * @param records records in the main topic, used by every throughput step
 * @param quick the quick mode's smaller defaults were applied
 * @param runs runs of each throughput step (and each gold size, each freshness rate)
 * @param driverMemory the -Xmx of every Spark step but the memory step's
 * @param memoryRecords the memory step's backlog (its own topic when more than {@code records})
 * @param fixedCostRecords records the per-batch fixed cost runs move, per stage and batch size
 * @param goldRows the two gold sizes of the gold-scale step, small first
 * @param freshnessRates records per second the freshness producer sends, one run each
 * @param childJvmFlags extra JVM flags of every Spark step (none for real measurements)
 * @param stepTimeoutSeconds the longest one Spark step may take before it is stopped
 */
record LadderConfig(
    long records,
    boolean quick,
    int partitions,
    int runs,
    Path out,
    Path work,
    Path root,
    Set<Step> steps,
    int cores,
    String driverMemory,
    String memoryDriverMemory,
    long memoryRecords,
    int memoryRuns,
    long fixedCostRecords,
    List<Long> goldRows,
    int goldSensors,
    int goldBatchRows,
    List<Integer> freshnessRates,
    int freshnessSeconds,
    int freshnessWarmupSeconds,
    long seed,
    double brokenPct,
    int sensors,
    int days,
    boolean jfr,
    List<String> childJvmFlags,
    long stepTimeoutSeconds,
    List<String> commandLine) {

  LadderConfig {
    steps = Set.copyOf(steps);
    goldRows = List.copyOf(goldRows);
    freshnessRates = List.copyOf(freshnessRates);
    commandLine = List.copyOf(commandLine);
    childJvmFlags = List.copyOf(childJvmFlags);
    List<String> errors = new ArrayList<>();
    if (records < 1000) {
      errors.add("--records must be at least 1000, not " + records);
    }
    if (partitions < 1) {
      errors.add("--partitions must be at least 1, not " + partitions);
    }
    if (runs < 1) {
      errors.add("--runs must be at least 1, not " + runs);
    }
    if (goldRows.size() != 2 || goldRows.get(0) >= goldRows.get(1)) {
      errors.add("--gold-rows must be two sizes, small first, not " + goldRows);
    }
    for (long g : goldRows) {
      if (g % goldSensors != 0) {
        errors.add("--gold-rows " + g + " must be a multiple of --gold-sensors " + goldSensors);
      }
    }
    if (goldBatchRows > goldSensors) {
      errors.add("--gold-batch-rows " + goldBatchRows + " must be at most --gold-sensors "
          + goldSensors + " (one row per sensor on gold's last day)");
    }
    if (fixedCostRecords > records) {
      errors.add("--fixed-cost-records " + fixedCostRecords + " must be at most --records "
          + records);
    }
    if (fixedCostRecords < 16L * partitions) {
      errors.add("--fixed-cost-records must be at least 16 x --partitions");
    }
    if (freshnessRates.isEmpty() || freshnessRates.stream().anyMatch(r -> r < 1)) {
      errors.add("--freshness-rates must be positive, not " + freshnessRates);
    }
    if (freshnessWarmupSeconds < 0 || freshnessWarmupSeconds >= freshnessSeconds) {
      errors.add("--freshness-warmup-seconds must be at least 0 and below --freshness-seconds "
          + freshnessSeconds + ", not " + freshnessWarmupSeconds);
    }
    if (brokenPct < 0 || brokenPct > 50) {
      errors.add("--broken-pct must be within 0..50, not " + brokenPct);
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
  }

  boolean runs(Step step) {
    return steps.contains(step);
  }
}
