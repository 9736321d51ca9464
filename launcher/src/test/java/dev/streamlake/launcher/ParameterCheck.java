package dev.streamlake.launcher;

import com.databricks.sdk.service.compute.ClusterSpec;
import com.databricks.sdk.service.jobs.Task;
import dev.streamlake.common.ConfigException;
import dev.streamlake.common.Stage;
import dev.streamlake.launcher.ProductJob.Parsed;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parameter check of a deploy file's task: secrets, environment variables and job parameter
 * references are ones Databricks resolves, and the filled-in parameters parse with the job's own
 * config parser.
 */
final class ParameterCheck {

  private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{env:([^}]+)}");
  private static final Pattern DYNAMIC_REFERENCE = Pattern.compile("\\{\\{\\s*([^}]*?)\\s*}}");
  private static final Pattern JOB_PARAMETER = Pattern.compile("job\\.parameters\\.([A-Za-z0-9_.-]+)");

  private ParameterCheck() {}

  /**
   * Parses the parameters as the job will, after Databricks fills in the job parameters they
   * reference ({@code {{job.parameters.x}}}, with their defaults); returns each stage's settings.
   */
  static Map<Stage, Parsed> check(String where, ProductJob job, Task t,
      DeployFileValidator.Compute compute, Map<String, String> jobParameters,
      List<String> problems) {
    List<String> params = new ArrayList<>();
    for (String p : DeployFileValidator.list(t.getSparkJarTask().getParameters())) {
      if (p.contains("{{secrets/")) {
        problems.add(where + ": parameter '" + p + "' references a secret, but Databricks does"
            + " not resolve secret references in task parameters (it passes them literally): set"
            + " the secret in the cluster's spark_env_vars and read it with ${env:NAME}");
        params.add(p);
        continue;
      }
      Matcher env = ENV_REFERENCE.matcher(p);
      while (env.find()) {
        if (compute.environment() != null) {
          problems.add(where + ": parameter '" + p + "' reads environment variable "
              + env.group(1) + ", but serverless compute has no cluster environment variables;"
              + " sign in to Kafka with --service-credential");
          continue;
        }
        ClusterSpec cluster = compute.cluster();
        Map<String, String> vars = cluster == null || cluster.getSparkEnvVars() == null
            ? Map.of() : cluster.getSparkEnvVars();
        if (cluster != null && !vars.containsKey(env.group(1))) {
          problems.add(where + ": parameter '" + p + "' reads environment variable "
              + env.group(1) + ", which the task's job cluster '" + compute.clusterKey()
              + "' does not set in spark_env_vars");
        }
      }
      Matcher dynamic = DYNAMIC_REFERENCE.matcher(p);
      StringBuilder filled = new StringBuilder();
      while (dynamic.find()) {
        Matcher name = JOB_PARAMETER.matcher(dynamic.group(1));
        String value;
        if (!name.matches()) {
          problems.add(where + ": parameter '" + p + "' uses {{" + dynamic.group(1) + "}};"
              + " StreamLake's tasks take only job parameters ({{job.parameters.<name>}})");
          value = dynamic.group();
        } else if (!jobParameters.containsKey(name.group(1))) {
          problems.add(where + ": parameter '" + p + "' references job parameter '"
              + name.group(1) + "', which the job does not define; it defines "
              + jobParameters.keySet());
          value = dynamic.group();
        } else {
          value = jobParameters.get(name.group(1));
        }
        dynamic.appendReplacement(filled, Matcher.quoteReplacement(value));
      }
      dynamic.appendTail(filled);
      params.add(filled.toString());
    }
    try {
      Map<Stage, Parsed> stages = job.parse.apply(params.toArray(String[]::new));
      if (stages == null) {
        problems.add(where + ": the parameters only ask for --help; the job would exit at once");
      }
      return stages;
    } catch (ConfigException e) {
      problems.add(where + ": the parameters do not parse with " + job.parser + ": "
          + e.getMessage());
    } catch (RuntimeException e) {
      problems.add(where + ": " + job.parser + " failed on the parameters: " + e);
    }
    return null;
  }
}
