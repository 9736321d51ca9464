package dev.streamlake.launcher;

import com.databricks.sdk.service.compute.ClusterSpec;
import com.databricks.sdk.service.compute.DataSecurityMode;
import com.databricks.sdk.service.compute.Library;
import com.databricks.sdk.service.jobs.CreateJob;
import com.databricks.sdk.service.jobs.JobCluster;
import com.databricks.sdk.service.jobs.JobEnvironment;
import com.databricks.sdk.service.jobs.JobParameterDefinition;
import com.databricks.sdk.service.jobs.PauseStatus;
import com.databricks.sdk.service.jobs.Task;
import com.databricks.sdk.service.jobs.TaskDependency;
import dev.streamlake.common.Stage;
import dev.streamlake.common.StageSettings;
import dev.streamlake.launcher.JarTaskCheck.JarNames;
import dev.streamlake.launcher.ProductJob.Parsed;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Checks one Databricks job: a file of {@code deploy/} (a Jobs API 2.2 create request) or a job
 * of the bundle resolved for a target. Three checks of its own classes run per file or task:
 * {@link SdkSchemaCheck} (what the Databricks Java SDK models), {@link JarTaskCheck} (each task
 * loads the right jar and its main class is in it) and {@link ParameterCheck} (the parameters
 * parse with the job's own config parser). This class checks the job as a whole: the compute
 * suits the stage (serverless and standard access mode only for stage 1), the restart policy
 * fits the triggers, and every stage runs exactly once, all stages agreeing on the lake and the
 * tables.
 *
 * <p>Each problem is one line naming the file or job, the task or cluster, and what is wrong.
 */
final class DeployFileValidator {

  /** Databricks Runtime 17.3 LTS: Spark 4.0.0, Scala 2.13, the versions the jars are built for. */
  static final String RUNTIME = "17.3.x-scala2.13";

  /** The shape-3 file (one cluster per task); shapes 1 and 2 are its siblings. */
  static final String SHAPE_3_FILE = "databricks-jobs.json";

  /** The tag naming a job's deployment shape; shape 3 keeps every stage on its own cluster. */
  static final String SHAPE_TAG = "deployment-shape";

  /** What one job's check found: the problems, and the stages each task runs with what. */
  record Report(List<String> problems, Map<String, Map<Stage, Parsed>> stagesByTask) {}

  private final String version;
  private final JarTaskCheck jars;

  DeployFileValidator(Path repoRoot) {
    this.version = projectVersion(repoRoot.resolve("pom.xml"));
    this.jars = new JarTaskCheck(repoRoot, version);
  }

  String version() {
    return version;
  }

  /** Every problem of the Jobs API file {@code file}; empty when it is fine. */
  List<String> problems(Path file) {
    String f = file.getFileName().toString();
    List<String> problems = new ArrayList<>();
    CreateJob job = SdkSchemaCheck.read(file, f, problems);
    return job == null ? problems : check(f, job, JarNames.MAVEN).problems();
  }

  /** Checks one job; {@code where} starts every problem. */
  Report check(String where, CreateJob job, JarNames jarNames) {
    String f = where;
    List<String> problems = new ArrayList<>();
    Map<String, Map<Stage, Parsed>> stagesByTask = new LinkedHashMap<>();
    if (job.getName() == null || job.getName().isBlank()) {
      problems.add(f + ": the job has no name");
    }
    List<Task> tasks = list(job.getTasks());
    if (tasks.isEmpty()) {
      problems.add(f + ": the job has no tasks");
      return new Report(problems, stagesByTask);
    }

    Map<String, ClusterSpec> clusters = new LinkedHashMap<>();
    for (JobCluster c : list(job.getJobClusters())) {
      String key = c.getJobClusterKey();
      if (key == null || key.isBlank()) {
        problems.add(f + ": a job cluster has no job_cluster_key");
        continue;
      }
      if (clusters.put(key, c.getNewCluster()) != null) {
        problems.add(f + ", job cluster '" + key + "': the key is used twice");
      }
      checkCluster(f, key, c.getNewCluster(), problems);
    }
    Map<String, List<String>> environments = new LinkedHashMap<>();
    for (JobEnvironment e : list(job.getEnvironments())) {
      List<String> jars = e.getSpec() == null ? List.of() : list(e.getSpec().getJavaDependencies());
      if (environments.put(e.getEnvironmentKey(), jars) != null) {
        problems.add(f + ", environment '" + e.getEnvironmentKey() + "': the key is used twice");
      }
    }
    Map<String, String> jobParameters = new LinkedHashMap<>();
    for (JobParameterDefinition p : list(job.getParameters())) {
      if (jobParameters.put(p.getName(), p.getDefault()) != null) {
        problems.add(f + ": job parameter '" + p.getName() + "' is defined twice");
      }
    }

    Set<String> taskKeys = new TreeSet<>();
    for (Task t : tasks) {
      if (t.getTaskKey() == null || t.getTaskKey().isBlank()) {
        problems.add(f + ": a task has no task_key");
      } else if (!taskKeys.add(t.getTaskKey())) {
        problems.add(f + ", task '" + t.getTaskKey() + "': the task_key is used twice");
      }
    }

    Map<Stage, List<String>> stageTasks = new EnumMap<>(Stage.class);
    Map<String, StageSettings> settingsByTask = new LinkedHashMap<>();
    Set<String> usedClusters = new TreeSet<>();
    Set<String> usedEnvironments = new TreeSet<>();
    Map<String, String> clusterOfTask = new LinkedHashMap<>();
    Map<String, Boolean> availableNowByTask = new LinkedHashMap<>();
    Set<ProductJob> products = EnumSet.noneOf(ProductJob.class);
    for (Task t : tasks) {
      String at = f + ", task '" + t.getTaskKey() + "'";
      Compute compute = compute(at, t, clusters, environments, problems);
      if (compute.cluster() != null) {
        usedClusters.add(t.getJobClusterKey());
        clusterOfTask.put(t.getTaskKey(), t.getJobClusterKey());
      }
      if (compute.environment() != null) {
        usedEnvironments.add(t.getEnvironmentKey());
      }
      ProductJob product = jars.check(at, t, compute, jarNames, problems);
      if (product == null) {
        continue;
      }
      products.add(product);
      // Counted by main class, so a task with bad parameters still counts as running its stage.
      for (Stage stage : product.stages) {
        stageTasks.computeIfAbsent(stage, s -> new ArrayList<>()).add(t.getTaskKey());
      }
      if (product.needsClassic != null && compute.connect()) {
        problems.add(at + ": runs " + t.getSparkJarTask().getMainClassName() + " on " + compute.describe()
            + ", which runs JAR code on Spark Connect, but " + product.module + " needs classic"
            + " Spark: " + product.needsClassic + ". Run it on a job cluster in"
            + " DATA_SECURITY_MODE_DEDICATED");
      }
      Map<Stage, Parsed> stages =
          ParameterCheck.check(at, product, t, compute, jobParameters, problems);
      if (stages != null) {
        stagesByTask.put(t.getTaskKey(), stages);
        stages.forEach((stage, parsed) ->
            settingsByTask.put(t.getTaskKey() + " (" + stage.id() + ")", parsed.settings()));
        boolean once = stages.values().stream()
            .allMatch(p -> p.settings().trigger().isAvailableNow());
        availableNowByTask.put(t.getTaskKey(), once);
        if (compute.environment() != null && !once) {
          problems.add(at + ": runs on serverless compute with --trigger "
              + stages.values().iterator().next().settings().trigger() + ", but serverless JAR"
              + " tasks allow only availableNow");
        }
        if (compute.connect()) {
          stages.values().stream().map(p -> p.settings().raw()).filter(r -> r.isPath())
              .forEach(r -> problems.add(at + ": the raw table is the path " + r + ", but on "
                  + compute.describe() + " (Spark Connect) tables are Unity Catalog names:"
                  + " set --catalog and --schema"));
        }
      }
    }
    for (String key : clusters.keySet()) {
      if (!usedClusters.contains(key)) {
        problems.add(f + ", job cluster '" + key + "': no task runs on it");
      }
    }
    for (String key : environments.keySet()) {
      if (!usedEnvironments.contains(key)) {
        problems.add(f + ", environment '" + key + "': no task runs in it");
      }
    }

    checkRestartPolicy(f, job, tasks, taskKeys, availableNowByTask, stageTasks, problems);

    // A job of operator commands alone (the maintenance job) runs next to a shape, not as one.
    boolean commandsOnly = !products.isEmpty()
        && products.stream().allMatch(p -> p.stages.isEmpty());
    for (Stage stage : commandsOnly ? new Stage[0] : Stage.values()) {
      List<String> runs = stageTasks.getOrDefault(stage, List.of());
      if (runs.size() != 1) {
        problems.add(f + ": stage " + stage.id() + " runs " + runs.size() + " times (tasks "
            + runs + "); every stage of the pipeline must run exactly once");
      }
    }
    checkSameLakeAndTables(f, settingsByTask, problems);

    String shape = job.getTags() == null ? null : job.getTags().get(SHAPE_TAG);
    if (shape != null && shape.startsWith("3-")) {
      Map<String, List<String>> tasksByCluster = clusterOfTask.entrySet().stream()
          .collect(Collectors.groupingBy(Map.Entry::getValue, LinkedHashMap::new,
              Collectors.mapping(Map.Entry::getKey, Collectors.toList())));
      tasksByCluster.forEach((cluster, keys) -> {
        if (keys.size() > 1) {
          problems.add(f + ", job cluster '" + cluster + "': tasks " + keys + " share it, but"
              + " shape 3 runs every stage on its own job cluster");
        }
      });
    }
    return new Report(problems, stagesByTask);
  }

  /** Where a task runs: a job cluster, or a serverless environment. */
  record Compute(String clusterKey, ClusterSpec cluster, String environment, List<String> jars) {
    /** Serverless and standard access mode both run JAR code as a Spark Connect client. */
    boolean connect() {
      return environment != null || (cluster != null
          && cluster.getDataSecurityMode() == DataSecurityMode.DATA_SECURITY_MODE_STANDARD);
    }

    String describe() {
      return environment != null ? "serverless compute (environment '" + environment + "')"
          : "job cluster '" + clusterKey + "' in standard access mode";
    }
  }

  private static Compute compute(String at, Task t, Map<String, ClusterSpec> clusters,
      Map<String, List<String>> environments, List<String> problems) {
    if (t.getExistingClusterId() != null || t.getNewCluster() != null) {
      problems.add(at + ": uses existing_cluster_id or new_cluster; the deploy files run"
          + " every task on a job cluster of their own job_clusters or in a serverless"
          + " environment");
    }
    if (t.getEnvironmentKey() != null) {
      if (t.getJobClusterKey() != null) {
        problems.add(at + ": has both job_cluster_key and environment_key; a task runs on a"
            + " cluster or on serverless compute");
      }
      if (!environments.containsKey(t.getEnvironmentKey())) {
        problems.add(at + ": environment_key '" + t.getEnvironmentKey() + "' matches no"
            + " environment; the job defines " + environments.keySet());
        return new Compute(null, null, null, List.of());
      }
      return new Compute(null, null, t.getEnvironmentKey(), environments.get(t.getEnvironmentKey()));
    }
    if (t.getJobClusterKey() == null) {
      problems.add(at + ": has no job_cluster_key (each task runs on one of the job's"
          + " job_clusters, or in one of its serverless environments)");
    } else if (!clusters.containsKey(t.getJobClusterKey())) {
      problems.add(at + ": job_cluster_key '" + t.getJobClusterKey()
          + "' matches no job cluster; the job defines " + clusters.keySet());
    } else {
      return new Compute(t.getJobClusterKey(), clusters.get(t.getJobClusterKey()), null,
          list(t.getLibraries()).stream().map(Library::getJar).filter(Objects::nonNull).toList());
    }
    return new Compute(null, null, null, List.of());
  }

  private static void checkCluster(String f, String key, ClusterSpec c, List<String> problems) {
    String where = f + ", job cluster '" + key + "'";
    if (c == null) {
      problems.add(where + ": has no new_cluster");
      return;
    }
    if (!RUNTIME.equals(c.getSparkVersion())) {
      problems.add(where + ": spark_version is '" + c.getSparkVersion() + "', expected '"
          + RUNTIME + "' (Databricks Runtime 17.3 LTS, Spark 4.0, Scala 2.13: what the jars are"
          + " built for)");
    }
    if (c.getNodeTypeId() == null && c.getInstancePoolId() == null && c.getPolicyId() == null) {
      problems.add(where + ": names no node_type_id, instance pool or policy");
    }
    if (c.getNumWorkers() == null && c.getAutoscale() == null) {
      problems.add(where + ": sets neither num_workers nor autoscale");
    }
    DataSecurityMode mode = c.getDataSecurityMode();
    if (mode == DataSecurityMode.SINGLE_USER) {
      problems.add(where + ": data_security_mode SINGLE_USER is the old name; write"
          + " DATA_SECURITY_MODE_DEDICATED");
    } else if (mode != DataSecurityMode.DATA_SECURITY_MODE_DEDICATED
        && mode != DataSecurityMode.DATA_SECURITY_MODE_STANDARD) {
      problems.add(where + ": data_security_mode is " + mode + "; Unity Catalog JAR jobs run in"
          + " DATA_SECURITY_MODE_DEDICATED (any stage) or DATA_SECURITY_MODE_STANDARD (stage 1"
          + " alone)");
    }
  }

  /**
   * Continuous jobs allow no task dependencies and no retry policies (Databricks restarts them
   * itself, with exponential backoff), and never run availableNow tasks (they would restart the
   * moment they finish). Other jobs either run streams (every task retried without limit, no
   * dependencies: a task waiting on a stream never starts) or, when every task is availableNow,
   * are scheduled runs of the stages in order (each stage depends on the one before).
   */
  private static void checkRestartPolicy(String f, CreateJob job, List<Task> tasks,
      Set<String> taskKeys, Map<String, Boolean> availableNowByTask,
      Map<Stage, List<String>> stageTasks, List<String> problems) {
    boolean continuous = job.getContinuous() != null;
    if (continuous && (job.getSchedule() != null || job.getTrigger() != null)) {
      problems.add(f + ": a continuous job cannot also have a schedule or trigger");
    }
    boolean scheduledBatches = !continuous && !availableNowByTask.isEmpty()
        && availableNowByTask.values().stream().allMatch(b -> b);
    boolean mixed = availableNowByTask.values().stream().distinct().count() > 1;
    if (mixed) {
      problems.add(f + ": some tasks run availableNow and others always on " + availableNowByTask
          + "; a run of this job would never end, so no later run starts the availableNow tasks");
    }
    for (Task t : tasks) {
      String where = f + ", task '" + t.getTaskKey() + "'";
      List<TaskDependency> deps = list(t.getDependsOn());
      for (TaskDependency d : deps) {
        if (!taskKeys.contains(d.getTaskKey())) {
          problems.add(where + ": depends_on '" + d.getTaskKey() + "', which is no task of"
              + " this job");
        }
      }
      if (continuous) {
        if (Boolean.TRUE.equals(availableNowByTask.get(t.getTaskKey()))) {
          problems.add(where + ": runs availableNow in a continuous job, which would start it"
              + " again the moment it ends; schedule the job instead");
        }
        if (!deps.isEmpty()) {
          problems.add(where + ": has depends_on "
              + deps.stream().map(TaskDependency::getTaskKey).toList()
              + ", but a continuous job allows no task dependencies");
        }
        if (t.getMaxRetries() != null || t.getMinRetryIntervalMillis() != null
            || t.getRetryOnTimeout() != null) {
          problems.add(where + ": sets a retry policy (max_retries, min_retry_interval_millis or"
              + " retry_on_timeout), which a continuous job does not allow: Databricks restarts"
              + " it itself (continuous.task_retry_mode)");
        }
      } else if (!scheduledBatches) {
        if (t.getMaxRetries() == null || t.getMaxRetries() != -1L) {
          problems.add(where + ": max_retries is " + t.getMaxRetries() + "; a streaming task in a"
              + " job that is not continuous must retry indefinitely (max_retries -1)");
        }
        if (!deps.isEmpty()) {
          problems.add(where + ": has depends_on; the stages are independent streams that run"
              + " side by side, and a task waiting on a stream that never ends never starts");
        }
      }
    }
    if (scheduledBatches) {
      if (job.getSchedule() == null && job.getTrigger() == null) {
        problems.add(f + ": every task runs availableNow but the job has no schedule or trigger;"
            + " nothing would run it again");
      }
      // Stage order: deserialize after raw-ingest, merge after deserialize.
      Map<String, Set<String>> dependsOn = new HashMap<>();
      for (Task t : tasks) {
        dependsOn.put(t.getTaskKey(), list(t.getDependsOn()).stream()
            .map(TaskDependency::getTaskKey).collect(Collectors.toSet()));
      }
      Stage[] order = Stage.values();
      for (int i = 1; i < order.length; i++) {
        List<String> later = stageTasks.getOrDefault(order[i], List.of());
        List<String> earlier = stageTasks.getOrDefault(order[i - 1], List.of());
        if (later.size() == 1 && earlier.size() == 1 && !later.equals(earlier)
            && !dependsOn.getOrDefault(later.get(0), Set.of()).contains(earlier.get(0))) {
          problems.add(f + ", task '" + later.get(0) + "': runs " + order[i].id() + " availableNow"
              + " but does not depend on task '" + earlier.get(0) + "' (" + order[i - 1].id()
              + "); scheduled runs process the stages in order");
        }
      }
    }
  }

  /** A mismatch here is silent in production: one stage writing a table the next never reads. */
  private static void checkSameLakeAndTables(
      String f, Map<String, StageSettings> settingsByTask, List<String> problems) {
    Map<String, Function<StageSettings, String>> shared = new LinkedHashMap<>();
    shared.put("--lake", s -> s.layout().root());
    shared.put("pipeline", s -> s.pipeline().name());
    shared.put("--raw-table", s -> s.raw().name());
    shared.put("--bronze-table", s -> s.bronze().name());
    shared.put("--dead-letter-table", s -> s.deadLetter().name());
    shared.put("--gold-table", s -> s.gold().name());
    shared.forEach((setting, value) -> {
      Map<String, String> byTask = new LinkedHashMap<>();
      settingsByTask.forEach((task, s) -> byTask.put(task, value.apply(s)));
      if (byTask.values().stream().distinct().count() > 1) {
        problems.add(f + ": the stages disagree on " + setting + ": " + byTask);
      }
    });
  }

  /** True when the job would start by itself (an unpaused schedule or continuous job). */
  static boolean runsBySelf(CreateJob job) {
    if (job.getContinuous() != null) {
      return job.getContinuous().getPauseStatus() != PauseStatus.PAUSED;
    }
    if (job.getSchedule() != null) {
      return job.getSchedule().getPauseStatus() != PauseStatus.PAUSED;
    }
    return false;
  }

  static String projectVersion(Path pom) {
    try {
      var factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(false);
      Element project = factory.newDocumentBuilder().parse(pom.toFile()).getDocumentElement();
      for (Node n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
        if (n instanceof Element e && e.getTagName().equals("version")) {
          return e.getTextContent().trim();
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException("Cannot read the project version from " + pom, e);
    }
    throw new IllegalStateException("No <version> in " + pom);
  }

  static <T> List<T> list(Collection<T> c) {
    return c == null ? List.of() : new ArrayList<>(c);
  }
}
