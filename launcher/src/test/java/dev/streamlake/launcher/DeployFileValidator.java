package dev.streamlake.launcher;

import com.databricks.sdk.core.utils.SerDeUtils;
import com.databricks.sdk.service.compute.ClusterSpec;
import com.databricks.sdk.service.compute.DataSecurityMode;
import com.databricks.sdk.service.compute.Library;
import com.databricks.sdk.service.jobs.CreateJob;
import com.databricks.sdk.service.jobs.JobCluster;
import com.databricks.sdk.service.jobs.JobEnvironment;
import com.databricks.sdk.service.jobs.JobParameterDefinition;
import com.databricks.sdk.service.jobs.PauseStatus;
import com.databricks.sdk.service.jobs.SparkJarTask;
import com.databricks.sdk.service.jobs.Task;
import com.databricks.sdk.service.jobs.TaskDependency;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamlake.common.ConfigException;
import dev.streamlake.common.Stage;
import dev.streamlake.common.StageSettings;
import dev.streamlake.deserialize.DeserializeConfig;
import dev.streamlake.ingest.RawIngestConfig;
import dev.streamlake.merge.MergeConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Checks one Databricks job: a file of {@code deploy/} (a Jobs API 2.2 create request) or a job
 * of the bundle resolved for a target. First that it is what the Databricks Java SDK models
 * ({@link CreateJob}, unknown properties and enum values rejected), then what the SDK cannot
 * know: every task loads the jar of the module whose main class it runs, that class is in that
 * jar with a {@code main}, the parameters parse with that job's own config parser once the job
 * parameters they reference are filled in, the compute suits the stage (serverless and standard
 * access mode only for stage 1), the restart policy fits the triggers, and every stage runs
 * exactly once, all stages agreeing on the lake and the tables.
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

  /** What a Databricks jar must not bundle: the runtime provides them. */
  private static final List<String> PROVIDED_BY_RUNTIME =
      List.of("org/apache/spark/", "io/delta/", "org/apache/kafka/", "scala/");

  private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{env:([^}]+)}");
  private static final Pattern DYNAMIC_REFERENCE = Pattern.compile("\\{\\{\\s*([^}]*?)\\s*}}");
  private static final Pattern JOB_PARAMETER = Pattern.compile("job\\.parameters\\.([A-Za-z0-9_.-]+)");
  private static final Pattern MAIN_METHOD =
      Pattern.compile("public static void main\\(java\\.lang\\.String(\\[]|\\.\\.\\.)\\)");

  /** What each stage's settings parse into, and the effective-config map its job logs. */
  record Parsed(StageSettings settings, Map<String, String> describe) {}

  /** The product's jobs: main class, the module whose jar holds it, its parser, its stages. */
  enum Job {
    RAW_INGEST("dev.streamlake.ingest.RawIngestJob", "raw-ingest", "RawIngestConfig.fromArgs",
        Set.of(Stage.RAW_INGEST), null,
        args -> {
          RawIngestConfig c = RawIngestConfig.fromArgs(args);
          return c == null ? null : Map.of(Stage.RAW_INGEST, new Parsed(c.settings(), c.describe()));
        }),
    DESERIALIZE("dev.streamlake.deserialize.DeserializeJob", "deserialize",
        "DeserializeConfig.fromArgs", Set.of(Stage.DESERIALIZE),
        "it classifies records over RDDs and Spark's internal rows",
        args -> {
          DeserializeConfig c = DeserializeConfig.fromArgs(args);
          return c == null ? null
              : Map.of(Stage.DESERIALIZE, new Parsed(c.settings(), c.describe()));
        }),
    MERGE("dev.streamlake.merge.MergeJob", "merge", "MergeConfig.fromArgs", Set.of(Stage.MERGE),
        "it caches micro-batches, sets session confs for idempotent MERGEs and reads the query id"
            + " from the SparkContext",
        args -> {
          MergeConfig c = MergeConfig.fromArgs(args);
          return c == null ? null : Map.of(Stage.MERGE, new Parsed(c.settings(), c.describe()));
        }),
    ALL_IN_ONE("dev.streamlake.launcher.AllInOneJob", "launcher", "AllInOneConfig.fromArgs",
        Set.of(Stage.values()), "it runs stage 2 (RDDs) and stage 3",
        args -> {
          AllInOneConfig c = AllInOneConfig.fromArgs(args);
          if (c == null) {
            return null;
          }
          Map<Stage, Parsed> m = new EnumMap<>(Stage.class);
          m.put(Stage.RAW_INGEST, new Parsed(c.rawIngest().settings(), c.rawIngest().describe()));
          m.put(Stage.DESERIALIZE,
              new Parsed(c.deserialize().settings(), c.deserialize().describe()));
          m.put(Stage.MERGE, new Parsed(c.merge().settings(), c.merge().describe()));
          return m;
        });

    final String mainClass;
    final String module;
    final String parser;
    final Set<Stage> stages;
    /** Why this job cannot run on Spark Connect (serverless, standard access); null: it can. */
    final String needsClassic;
    /** The settings of each stage this job runs; null when the arguments only ask for --help. */
    final Function<String[], Map<Stage, Parsed>> parse;

    Job(String mainClass, String module, String parser, Set<Stage> stages, String needsClassic,
        Function<String[], Map<Stage, Parsed>> parse) {
      this.mainClass = mainClass;
      this.module = module;
      this.parser = parser;
      this.stages = stages;
      this.needsClassic = needsClassic;
      this.parse = parse;
    }

    static Job byMainClass(String name) {
      return Arrays.stream(values()).filter(j -> j.mainClass.equals(name)).findFirst().orElse(null);
    }
  }

  /**
   * How jar file names look: {@code <module>-<version>[-<commit>]-<flavour>.jar}. The Jobs API
   * files name the jars as Maven builds them; the bundle's names carry the git commit
   * ({@code deploy/bundle/build-jars.sh}) and live in the bundle's artifact folder.
   */
  record JarNames(String commit, String folder) {
    static final JarNames MAVEN = new JarNames(null, null);
  }

  /** What one job's check found: the problems, and the stages each task runs with what. */
  record Report(List<String> problems, Map<String, Map<Stage, Parsed>> stagesByTask) {}

  /** The SDK's own mapper, made strict: a typo in a property or an enum value is an error. */
  static ObjectMapper strictMapper() {
    ObjectMapper mapper = SerDeUtils.createMapper();
    mapper.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
    mapper.configure(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_AS_NULL, false);
    mapper.configure(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY, false);
    mapper.configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true);
    mapper.configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, true);
    return mapper;
  }

  private final Path repoRoot;
  private final String version;
  private final ObjectMapper mapper = strictMapper();
  /** Jars do not change while the tests run; reading each once keeps the many checks fast. */
  private static final Map<Path, Set<String>> JAR_ENTRIES = new ConcurrentHashMap<>();
  private static final Map<String, Boolean> MAIN_METHODS = new ConcurrentHashMap<>();

  DeployFileValidator(Path repoRoot) {
    this.repoRoot = repoRoot;
    this.version = projectVersion(repoRoot.resolve("pom.xml"));
  }

  String version() {
    return version;
  }

  /** Every problem of the Jobs API file {@code file}; empty when it is fine. */
  List<String> problems(Path file) {
    String f = file.getFileName().toString();
    CreateJob job;
    try {
      job = mapper.readValue(file.toFile(), CreateJob.class);
    } catch (JsonMappingException e) {
      return List.of(f + ": not a Jobs API 2.2 create request (" + CreateJob.class.getName()
          + "): " + e.getOriginalMessage() + " at " + path(e));
    } catch (JsonProcessingException e) {
      return List.of(f + ": not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      return List.of(f + ": cannot be read: " + e);
    }
    if (job == null) {
      return List.of(f + ": is empty");
    }
    return check(f, job, JarNames.MAVEN).problems();
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
      Job product = checkJarTask(at, t, compute, jarNames, problems);
      if (product == null) {
        continue;
      }
      // Counted by main class, so a task with bad parameters still counts as running its stage.
      for (Stage stage : product.stages) {
        stageTasks.computeIfAbsent(stage, s -> new ArrayList<>()).add(t.getTaskKey());
      }
      if (product.needsClassic != null && compute.connect()) {
        problems.add(at + ": runs " + product.mainClass + " on " + compute.describe()
            + ", which runs JAR code on Spark Connect, but " + product.module + " needs classic"
            + " Spark: " + product.needsClassic + ". Run it on a job cluster in"
            + " DATA_SECURITY_MODE_DEDICATED");
      }
      Map<Stage, Parsed> stages =
          checkParameters(at, product, t, compute, jobParameters, problems);
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

    for (Stage stage : Stage.values()) {
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

  /** Checks the task runs one of the product's main classes from that job's jar. */
  private Job checkJarTask(String where, Task t, Compute compute, JarNames names,
      List<String> problems) {
    SparkJarTask jarTask = t.getSparkJarTask();
    if (jarTask == null) {
      problems.add(where + ": has no spark_jar_task (StreamLake ships JAR tasks only)");
      return null;
    }
    if (jarTask.getJarUri() != null) {
      problems.add(where + ": sets the deprecated spark_jar_task.jar_uri; name the jar under"
          + " libraries (or the environment's java_dependencies on serverless)");
    }
    String mainClass = jarTask.getMainClassName();
    if (mainClass == null || mainClass.isBlank()) {
      problems.add(where + ": spark_jar_task has no main_class_name");
      return null;
    }
    if (compute.environment() != null && t.getLibraries() != null) {
      problems.add(where + ": sets libraries, but on serverless compute the jar belongs in the"
          + " environment's java_dependencies");
    }
    List<String> jars = compute.jars();
    if (jars.isEmpty()) {
      problems.add(where + (compute.environment() != null
          ? ": environment '" + compute.environment() + "' has no java_dependencies; the task"
              + " needs the jar of its stage"
          : ": no jar under libraries; the task needs the jar of its stage"));
      return null;
    }
    Job product = Job.byMainClass(mainClass);
    // A stage that needs classic Spark has no -connect jar; that it cannot run here is reported
    // once, by the caller, instead of asking for a jar that does not exist.
    String flavour = compute.connect() && (product == null || product.needsClassic == null)
        ? "connect" : "databricks";
    String expected = product == null ? null
        : product.module + "-" + version + (names.commit() == null ? "" : "-" + names.commit())
            + "-" + flavour + ".jar";
    Pattern jarName = Pattern.compile("(.+)-" + Pattern.quote(version)
        + (names.commit() == null ? "" : "-" + Pattern.quote(names.commit()))
        + "-(databricks|connect)\\.jar");
    for (String jar : jars) {
      String name = jar.substring(jar.lastIndexOf('/') + 1);
      if (name.endsWith("-spark.jar")) {
        problems.add(where + ": library " + jar + " is the plain-Spark jar; on Databricks use the"
            + " -databricks jar (the runtime provides Spark, Delta, the Kafka connector and"
            + " spark-avro, and a second copy on the classpath breaks them)");
        continue;
      }
      if (names.folder() != null && !jar.startsWith(names.folder() + "/")) {
        problems.add(where + ": library " + jar + " is not in the bundle's artifact folder "
            + names.folder() + ", where the CLI uploads the jars");
        continue;
      }
      Matcher m = jarName.matcher(name);
      if (!m.matches()) {
        problems.add(where + ": library " + jar + " is not a jar this build makes (expected"
            + " <module>-" + version + (names.commit() == null ? "" : "-<git commit>")
            + "-databricks.jar, or -connect.jar for Spark Connect compute)");
        continue;
      }
      String local = m.group(1) + "-" + version + "-" + m.group(2) + ".jar";
      Path file = repoRoot.resolve(m.group(1)).resolve("target").resolve(local);
      if (!Files.isRegularFile(file)) {
        problems.add(where + ": library " + jar + " maps to " + file + ", which does not exist;"
            + " package the modules first (mvn package) or fix the module name");
        continue;
      }
      if (expected != null && !name.equals(expected)) {
        problems.add(where + ": library " + jar + (m.group(1).equals(product.module)
            ? " is the -" + m.group(2) + " jar, but " + (compute.connect()
                ? compute.describe() + " runs Spark Connect, whose client has no Avro"
                : "a dedicated cluster has the runtime's Avro")
            : " is the jar of module " + m.group(1) + ", but " + mainClass + " is the job of"
                + " module " + product.module)
            + ": load " + expected);
        continue;
      }
      Set<String> entries = entries(file);
      List<String> bundled = PROVIDED_BY_RUNTIME.stream()
          .filter(p -> entries.stream().anyMatch(e -> e.startsWith(p))).toList();
      if (!bundled.isEmpty()) {
        problems.add(where + ": library " + jar + " bundles " + bundled + ", which the"
            + " Databricks runtime provides");
      }
      if (!entries.contains(mainClass.replace('.', '/') + ".class")) {
        problems.add(where + ": main class " + mainClass + " is not in " + file);
        continue;
      }
      if (!hasMainMethod(file, mainClass)) {
        problems.add(where + ": " + mainClass + " in " + file + " has no public static void"
            + " main(String[])");
      }
    }
    if (product == null) {
      problems.add(where + ": main class " + mainClass + " is not one of StreamLake's jobs "
          + Arrays.stream(Job.values()).map(j -> j.mainClass).toList());
      return null;
    }
    if (jars.size() != 1) {
      problems.add(where + ": loads " + jars.size() + " jars " + jars + "; a task loads exactly"
          + " the jar of its job, " + expected);
    }
    // The parameters are checked even when the jar is wrong: one run reports every problem.
    return product;
  }

  /**
   * Parses the parameters as the job will, after Databricks fills in the job parameters they
   * reference ({@code {{job.parameters.x}}}, with their defaults); returns each stage's settings.
   */
  private static Map<Stage, Parsed> checkParameters(String where, Job job, Task t,
      Compute compute, Map<String, String> jobParameters, List<String> problems) {
    List<String> params = new ArrayList<>();
    for (String p : list(t.getSparkJarTask().getParameters())) {
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

  private Set<String> entries(Path jar) {
    return JAR_ENTRIES.computeIfAbsent(jar, j -> {
      try (JarFile file = new JarFile(j.toFile())) {
        return file.stream().map(e -> e.getName()).collect(Collectors.toSet());
      } catch (IOException e) {
        throw new IllegalStateException("Cannot read jar " + j, e);
      }
    });
  }

  /** javap reads the class from the jar without loading it (its Spark types are not there). */
  private static boolean hasMainMethod(Path jar, String className) {
    return MAIN_METHODS.computeIfAbsent(jar + "!" + className, k -> javapFindsMain(jar, className));
  }

  private static boolean javapFindsMain(Path jar, String className) {
    ToolProvider javap = ToolProvider.findFirst("javap").orElseThrow(() ->
        new IllegalStateException("No javap in this JVM: run the tests on a JDK"));
    StringWriter out = new StringWriter();
    int rc = javap.run(new PrintWriter(out), new PrintWriter(out),
        "-public", "-cp", jar.toString(), className);
    return rc == 0 && MAIN_METHOD.matcher(out.toString()).find();
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

  static String path(JsonMappingException e) {
    StringBuilder b = new StringBuilder("$");
    for (JsonMappingException.Reference r : e.getPath()) {
      b.append(r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]");
    }
    return b.toString();
  }

  static <T> List<T> list(Collection<T> c) {
    return c == null ? List.of() : new ArrayList<>(c);
  }
}
