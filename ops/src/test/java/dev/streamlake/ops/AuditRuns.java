package dev.streamlake.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamlake.deserialize.DeserializeConfig;
import dev.streamlake.deserialize.DeserializeQuery;
import dev.streamlake.merge.MergeConfig;
import dev.streamlake.merge.MergeQuery;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/** Runs the real stages 2 and 3 to their end, and the audit with its printed output. */
final class AuditRuns {

  /** The report and exactly what the command printed. */
  record Result(AuditReport report, String output) {

    int exitStatus() {
      return AuditCommand.exitStatus(report);
    }

    JsonNode json() throws Exception {
      return new ObjectMapper().readTree(output);
    }

    AuditReport.Violation violation(String section, String kind) {
      return report.section(section).violation(kind);
    }

    long count(String section, String kind) {
      return violation(section, kind).count();
    }

    Object counted(String section, String name) {
      return report.section(section).counts.get(name);
    }
  }

  private AuditRuns() {}

  static Result audit(SparkSession spark, List<String> pipelineArgs, String... extra)
      throws Exception {
    List<String> args = new ArrayList<>(pipelineArgs);
    args.addAll(Arrays.asList(extra));
    AuditCommand.AuditSettings settings = AuditCommand.parse(args.toArray(String[]::new));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AuditReport report;
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      report = AuditCommand.run(spark, settings, out);
    }
    return new Result(report, bytes.toString(StandardCharsets.UTF_8));
  }

  /** Stage 2 with availableNow, until it has drained raw. */
  static void deserialize(SparkSession spark, List<String> pipelineArgs) throws Exception {
    PipelineRuns.awaitEnd(DeserializeQuery.start(spark,
        DeserializeConfig.fromArgs(withTrigger(pipelineArgs))));
  }

  /** Stage 3 with availableNow, until it has drained bronze. */
  static void merge(SparkSession spark, List<String> pipelineArgs) throws Exception {
    PipelineRuns.awaitEnd(MergeQuery.start(spark, MergeConfig.fromArgs(withTrigger(pipelineArgs))));
  }

  static String[] withTrigger(List<String> pipelineArgs) {
    List<String> args = new ArrayList<>(pipelineArgs);
    args.addAll(List.of("--trigger", "availableNow"));
    return args.toArray(String[]::new);
  }

}
