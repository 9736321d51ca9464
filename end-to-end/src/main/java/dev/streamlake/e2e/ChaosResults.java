package dev.streamlake.e2e;

import dev.streamlake.e2e.ChaosRun.Check;
import dev.streamlake.e2e.ChaosRun.Kill;
import dev.streamlake.e2e.ChaosRun.Result;
import dev.streamlake.local.StageModule;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/** The chaos run's results file: the command, the machine, the figures, the checks, the verdict. */
public final class ChaosResults {
  private static final DateTimeFormatter UTC =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  private ChaosResults() {}

  public static void write(Result r, String command, String sparkVersion, Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, markdown(r, command, sparkVersion), StandardCharsets.UTF_8);
  }

  static String markdown(Result r, String command, String sparkVersion) {
    StringBuilder b = new StringBuilder();
    ChaosRun.Settings s = r.settings();
    b.append("# Chaos run (").append(s.name()).append("): ").append(r.passed() ? "PASS" : "FAIL").append("\n\n");
    b.append("Command: `").append(command).append("`\n\n");
    b.append("Run ").append(UTC.format(r.start())).append(", ").append(seconds(r.total()))
        .append(" in all. Machine: ").append(machine()).append("; Java ")
        .append(System.getProperty("java.version")).append(", Spark ").append(sparkVersion).append(".\n\n");
    b.append("Settings: seed ").append(s.seed()).append(", ").append(s.kills()).append(" kills ")
        .append(seconds(s.minGap())).append("-").append(seconds(s.maxGap())).append(" apart, outage ")
        .append(seconds(s.minOutage())).append("-").append(seconds(s.maxOutage())).append(", OPTIMIZE every ")
        .append(s.optimizeEvery()).append(" kills, ").append(s.recordsPerSecond()).append(" records/s into ")
        .append(s.partitions()).append(" partitions, trigger ").append(s.trigger()).append(".\n\n");

    b.append("## Figures\n\n| figure | value |\n|---|---|\n");
    row(b, "records produced (acknowledged by Kafka)", Long.toString(r.produced()));
    row(b, "of which", kinds(r.producedByKind()));
    Map<StageModule, Long> perStage = r.killsPerStage();
    row(b, "kills", r.kills().size() + " (" + perStage.entrySet().stream()
        .map(e -> e.getKey().module() + " " + e.getValue()).reduce((x, y) -> x + ", " + y).orElse("") + ")");
    row(b, "kills inside a commit (Delta commit written, checkpoint commit not)",
        Long.toString(r.insideCommitKills()));
    row(b, "driver starts per stage", r.starts().entrySet().stream()
        .map(e -> e.getKey().module() + " " + e.getValue()).reduce((x, y) -> x + ", " + y).orElse(""));
    if (r.outage() != null) {
      row(b, "broker outage", seconds(r.outage().length()));
      row(b, "stage 1 wrote raw again after the broker returned",
          r.outage().stageOneResumedAfter() == null ? "not within 3 min"
              : seconds(r.outage().stageOneResumedAfter()));
      row(b, "stage 1 warnings about Kafka during the outage", Integer.toString(r.outage().stageOneWarnings()));
    }
    row(b, "producer stalled (waits over 2 s for acknowledgements)", seconds(r.producerStalled()));
    row(b, "OPTIMIZE compactions run / lost to a conflict",
        r.optimizeRuns() + " / " + r.optimizeFailures().size());
    row(b, "stage 3 MERGE retries after a conflict", Integer.toString(r.mergeConflictRetries()));
    row(b, "stage exits other than planned kills", Integer.toString(r.unplannedExits().size()));
    row(b, "time to catch up after the last fault (gold exact)",
        r.catchUp() == null ? "did not catch up" : seconds(r.catchUp()));

    b.append("\n## Checks\n\n| check | result | detail |\n|---|---|---|\n");
    for (Check c : r.checks()) {
      b.append("| ").append(c.name()).append(" | ").append(c.passed() ? "pass" : "**FAIL**").append(" | ")
          .append(c.detail().replace("|", "\\|")).append(" |\n");
    }

    b.append("\n## Kills\n\n| # | time (UTC) | stage | how | Delta commit before the halt | checkpoint |\n")
        .append("|---|---|---|---|---|---|\n");
    for (Kill k : r.kills()) {
      b.append("| ").append(k.number()).append(" | ").append(UTC.format(k.at()).substring(11, 19))
          .append(" | ").append(k.stage().module()).append(" | ")
          .append(k.insideCommit() ? "halt inside a commit" : k.note()).append(" | ")
          .append(k.committed() == null ? "" : k.committed()).append(" | ")
          .append(k.checkpoint() == null ? "" : k.checkpoint()).append(" |\n");
    }
    if (r.outage() != null && !r.outage().stageOneSample().isEmpty()) {
      b.append("\n## What stage 1 logged while the broker was down\n\n```\n");
      r.outage().stageOneSample().forEach(l -> b.append(l).append('\n'));
      b.append("```\n");
    }
    if (!r.optimizeFailures().isEmpty()) {
      b.append("\n## OPTIMIZE runs that lost to a stage's commit\n\n");
      r.optimizeFailures().forEach(f -> b.append("- ").append(f).append('\n'));
    }
    if (!r.unplannedExits().isEmpty()) {
      b.append("\n## Unplanned exits\n\n");
      r.unplannedExits().forEach(f -> b.append("- ").append(f).append('\n'));
    }
    b.append("\n## Audit\n\n```\n").append(r.auditReport().strip()).append("\n```\n");
    return b.toString();
  }

  private static void row(StringBuilder b, String name, String value) {
    b.append("| ").append(name).append(" | ").append(value).append(" |\n");
  }

  private static String kinds(Map<String, Long> byKind) {
    return byKind.entrySet().stream().filter(e -> e.getValue() > 0)
        .map(e -> e.getValue() + " " + e.getKey().toLowerCase().replace('_', ' '))
        .reduce((x, y) -> x + ", " + y).orElse("");
  }

  static String seconds(Duration d) {
    return d.toMillis() < 10_000 ? String.format("%.1f s", d.toMillis() / 1000.0) : d.toSeconds() + " s";
  }

  private static String machine() {
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    String load;
    try {
      load = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+", 4)[0] + " load (1 min) at the end";
    } catch (IOException | RuntimeException e) {
      load = String.format("%.1f load", os.getSystemLoadAverage());
    }
    return os.getAvailableProcessors() + " cores, "
        + Math.round(os.getTotalMemorySize() / (1024.0 * 1024 * 1024)) + " GiB, " + load;
  }
}
