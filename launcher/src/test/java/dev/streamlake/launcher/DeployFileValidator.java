package dev.streamlake.launcher;

import com.databricks.sdk.core.utils.SerDeUtils;
import com.databricks.sdk.service.compute.ClusterSpec;
import com.databricks.sdk.service.compute.Library;
import com.databricks.sdk.service.jobs.CreateJob;
import com.databricks.sdk.service.jobs.JobCluster;
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
 * Checks one Databricks job file of {@code deploy/}: first that it is a Jobs API 2.2 create
 * request as the Databricks Java SDK models it ({@link CreateJob}, unknown properties and enum
 * values rejected), then what the SDK cannot know: every task loads the Databricks jar of the
 * module whose main class it runs, that class is in that jar with a {@code main}, the parameters
 * parse with that job's own config parser, keys resolve, the restart policy fits a streaming job,
 * and every stage runs exactly once, all stages agreeing on the lake and the tables.
 *
 * <p>Each problem is one line naming the file, the task or cluster, and what is wrong.
 */
final class DeployFileValidator {

  /** Databricks Runtime 17.3 LTS: Spark 4.0.0, Scala 2.13, the versions the jars are built for. */
  static final String RUNTIME = "17.3.x-scala2.13";

  /** The shape-3 file (one cluster per task); shapes 1 and 2 are its siblings. */
  static final String SHAPE_3_FILE = "databricks-jobs.json";

  /** What a Databricks jar must not bundle: the runtime provides them. */
  private static final List<String> PROVIDED_BY_RUNTIME =
      List.of("org/apache/spark/", "io/delta/", "org/apache/kafka/", "scala/");

  private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{env:([^}]+)}");
  private static final Pattern MAIN_METHOD =
      Pattern.compile("public static void main\\(java\\.lang\\.String(\\[]|\\.\\.\\.)\\)");

  /** The product's jobs: main class, the module whose jar holds it, its parser, its stages. */
  enum Job {
    RAW_INGEST("dev.streamlake.ingest.RawIngestJob", "raw-ingest", "RawIngestConfig.fromArgs",
        Set.of(Stage.RAW_INGEST),
        args -> single(Stage.RAW_INGEST, RawIngestConfig.fromArgs(args), RawIngestConfig::settings)),
    DESERIALIZE("dev.streamlake.deserialize.DeserializeJob", "deserialize",
        "DeserializeConfig.fromArgs", Set.of(Stage.DESERIALIZE),
        args -> single(Stage.DESERIALIZE, DeserializeConfig.fromArgs(args),
            DeserializeConfig::settings)),
    MERGE("dev.streamlake.merge.MergeJob", "merge", "MergeConfig.fromArgs", Set.of(Stage.MERGE),
        args -> single(Stage.MERGE, MergeConfig.fromArgs(args), MergeConfig::settings)),
    ALL_IN_ONE("dev.streamlake.launcher.AllInOneJob", "launcher", "AllInOneConfig.fromArgs",
        Set.of(Stage.values()),
        args -> {
          AllInOneConfig c = AllInOneConfig.fromArgs(args);
          if (c == null) {
            return null;
          }
          Map<Stage, StageSettings> m = new EnumMap<>(Stage.class);
          m.put(Stage.RAW_INGEST, c.rawIngest().settings());
          m.put(Stage.DESERIALIZE, c.deserialize().settings());
          m.put(Stage.MERGE, c.merge().settings());
          return m;
        });

    final String mainClass;
    final String module;
    final String parser;
    final Set<Stage> stages;
    /** The settings of each stage this job runs; null when the arguments only ask for --help. */
    final Function<String[], Map<Stage, StageSettings>> parse;

    Job(String mainClass, String module, String parser, Set<Stage> stages,
        Function<String[], Map<Stage, StageSettings>> parse) {
      this.mainClass = mainClass;
      this.module = module;
      this.parser = parser;
      this.stages = stages;
      this.parse = parse;
    }

    static Job byMainClass(String name) {
      return Arrays.stream(values()).filter(j -> j.mainClass.equals(name)).findFirst().orElse(null);
    }

    private static <C> Map<Stage, StageSettings> single(
        Stage stage, C config, Function<C, StageSettings> settings) {
      return config == null ? null : Map.of(stage, settings.apply(config));
    }
  }

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
  private final Map<Path, Set<String>> jarEntries = new HashMap<>();

  DeployFileValidator(Path repoRoot) {
    this.repoRoot = repoRoot;
    this.version = projectVersion(repoRoot.resolve("pom.xml"));
  }

  String version() {
    return version;
  }

  /** Every problem of {@code file}; empty when it is fine. */
  List<String> problems(Path file) {
    List<String> problems = new ArrayList<>();
    String f = file.getFileName().toString();
    CreateJob job;
    try {
      job = mapper.readValue(file.toFile(), CreateJob.class);
    } catch (JsonMappingException e) {
      problems.add(f + ": not a Jobs API 2.2 create request (" + CreateJob.class.getName() + "): "
          + e.getOriginalMessage() + " at " + path(e));
      return problems;
    } catch (JsonProcessingException e) {
      problems.add(f + ": not valid JSON: " + e.getOriginalMessage());
      return problems;
    } catch (IOException e) {
      problems.add(f + ": cannot be read: " + e);
      return problems;
    }
    if (job == null) {
      problems.add(f + ": is empty");
      return problems;
    }
    if (job.getName() == null || job.getName().isBlank()) {
      problems.add(f + ": the job has no name");
    }
    List<Task> tasks = list(job.getTasks());
    if (tasks.isEmpty()) {
      problems.add(f + ": the job has no tasks");
      return problems;
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

    Set<String> taskKeys = new TreeSet<>();
    for (Task t : tasks) {
      if (t.getTaskKey() == null || t.getTaskKey().isBlank()) {
        problems.add(f + ": a task has no task_key");
      } else if (!taskKeys.add(t.getTaskKey())) {
        problems.add(f + ", task '" + t.getTaskKey() + "': the task_key is used twice");
      }
    }

    checkRestartPolicy(f, job, tasks, taskKeys, problems);

    Map<Stage, List<String>> stageTasks = new EnumMap<>(Stage.class);
    Map<String, StageSettings> settingsByTask = new LinkedHashMap<>();
    Set<String> usedClusters = new TreeSet<>();
    Map<String, String> clusterOfTask = new LinkedHashMap<>();
    for (Task t : tasks) {
      String where = f + ", task '" + t.getTaskKey() + "'";
      ClusterSpec cluster = null;
      if (t.getJobClusterKey() == null) {
        problems.add(where + ": has no job_cluster_key (each task runs on one of the job's"
            + " job_clusters)");
      } else if (!clusters.containsKey(t.getJobClusterKey())) {
        problems.add(where + ": job_cluster_key '" + t.getJobClusterKey()
            + "' matches no job cluster; the job defines " + clusters.keySet());
      } else {
        usedClusters.add(t.getJobClusterKey());
        clusterOfTask.put(t.getTaskKey(), t.getJobClusterKey());
        cluster = clusters.get(t.getJobClusterKey());
      }
      if (t.getExistingClusterId() != null || t.getNewCluster() != null) {
        problems.add(where + ": uses existing_cluster_id or new_cluster; the deploy files run"
            + " every task on a job cluster of their own job_clusters");
      }
      Job product = checkJarTask(where, t, problems);
      if (product == null) {
        continue;
      }
      // Counted by main class, so a task with bad parameters still counts as running its stage.
      for (Stage stage : product.stages) {
        stageTasks.computeIfAbsent(stage, s -> new ArrayList<>()).add(t.getTaskKey());
      }
      Map<Stage, StageSettings> stages = checkParameters(where, product, t, cluster, problems);
      if (stages != null) {
        stages.forEach((stage, settings) ->
            settingsByTask.put(t.getTaskKey() + " (" + stage.id() + ")", settings));
      }
    }
    for (String key : clusters.keySet()) {
      if (!usedClusters.contains(key)) {
        problems.add(f + ", job cluster '" + key + "': no task runs on it");
      }
    }

    for (Stage stage : Stage.values()) {
      List<String> runs = stageTasks.getOrDefault(stage, List.of());
      if (runs.size() != 1) {
        problems.add(f + ": stage " + stage.id() + " runs " + runs.size() + " times (tasks "
            + runs + "); every stage of the pipeline must run exactly once");
      }
    }
    checkSameLakeAndTables(f, settingsByTask, problems);

    if (f.equals(SHAPE_3_FILE)) {
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
    return problems;
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
  }

  /**
   * Continuous jobs allow no task dependencies and no retry policies (Databricks restarts them
   * itself, with exponential backoff); any other job runs streaming tasks, which must be retried
   * without limit or the stage stays down after its first failure.
   */
  private static void checkRestartPolicy(
      String f, CreateJob job, List<Task> tasks, Set<String> taskKeys, List<String> problems) {
    boolean continuous = job.getContinuous() != null;
    if (continuous && (job.getSchedule() != null || job.getTrigger() != null)) {
      problems.add(f + ": a continuous job cannot also have a schedule or trigger");
    }
    for (Task t : tasks) {
      String where = f + ", task '" + t.getTaskKey() + "'";
      List<TaskDependency> deps = list(t.getDependsOn());
      if (continuous) {
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
      } else {
        if (t.getMaxRetries() == null || t.getMaxRetries() != -1L) {
          problems.add(where + ": max_retries is " + t.getMaxRetries() + "; a streaming task in a"
              + " job that is not continuous must retry indefinitely (max_retries -1)");
        }
        for (TaskDependency d : deps) {
          if (!taskKeys.contains(d.getTaskKey())) {
            problems.add(where + ": depends_on '" + d.getTaskKey() + "', which is no task of"
                + " this job");
          }
        }
        if (!deps.isEmpty()) {
          problems.add(where + ": has depends_on; the stages are independent streams that run"
              + " side by side, and a task waiting on a stream that never ends never starts");
        }
      }
    }
  }

  /** Checks the task runs one of the product's main classes from that job's Databricks jar. */
  private Job checkJarTask(String where, Task t, List<String> problems) {
    SparkJarTask jarTask = t.getSparkJarTask();
    if (jarTask == null) {
      problems.add(where + ": has no spark_jar_task (StreamLake ships JAR tasks only)");
      return null;
    }
    if (jarTask.getJarUri() != null) {
      problems.add(where + ": sets the deprecated spark_jar_task.jar_uri; name the jar under"
          + " libraries");
    }
    String mainClass = jarTask.getMainClassName();
    if (mainClass == null || mainClass.isBlank()) {
      problems.add(where + ": spark_jar_task has no main_class_name");
      return null;
    }
    List<String> jars = list(t.getLibraries()).stream()
        .map(Library::getJar).filter(Objects::nonNull).toList();
    if (jars.isEmpty()) {
      problems.add(where + ": no jar under libraries; the task needs the jar of its stage");
      return null;
    }
    Job product = Job.byMainClass(mainClass);
    String expected = product == null ? null : product.module + "-" + version + "-databricks.jar";
    for (String jar : jars) {
      String name = jar.substring(jar.lastIndexOf('/') + 1);
      if (name.endsWith("-spark.jar")) {
        problems.add(where + ": library " + jar + " is the plain-Spark jar; on Databricks use the"
            + " -databricks jar (the runtime provides Spark, Delta, the Kafka connector and"
            + " spark-avro, and a second copy on the classpath breaks them)");
        continue;
      }
      Matcher m = Pattern.compile("(.+)-" + Pattern.quote(version) + "-databricks\\.jar")
          .matcher(name);
      if (!m.matches()) {
        problems.add(where + ": library " + jar + " is not a jar this build makes (expected"
            + " <module>-" + version + "-databricks.jar)");
        continue;
      }
      Path local = repoRoot.resolve(m.group(1)).resolve("target").resolve(name);
      if (!Files.isRegularFile(local)) {
        problems.add(where + ": library " + jar + " maps to " + local + ", which does not exist;"
            + " package the modules first (mvn package) or fix the module name");
        continue;
      }
      if (expected != null && !name.equals(expected)) {
        problems.add(where + ": library " + jar + " is the jar of module " + m.group(1) + ", but "
            + mainClass + " is the job of module " + product.module + ": load " + expected);
        continue;
      }
      Set<String> entries = entries(local);
      List<String> bundled = PROVIDED_BY_RUNTIME.stream()
          .filter(p -> entries.stream().anyMatch(e -> e.startsWith(p))).toList();
      if (!bundled.isEmpty()) {
        problems.add(where + ": library " + jar + " bundles " + bundled + ", which the"
            + " Databricks runtime provides");
      }
      if (!entries.contains(mainClass.replace('.', '/') + ".class")) {
        problems.add(where + ": main class " + mainClass + " is not in " + local);
        continue;
      }
      if (!hasMainMethod(local, mainClass)) {
        problems.add(where + ": " + mainClass + " in " + local + " has no public static void"
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

  /** Parses the parameters as the job will; returns the settings of each stage it runs. */
  private static Map<Stage, StageSettings> checkParameters(
      String where, Job job, Task t, ClusterSpec cluster, List<String> problems) {
    List<String> params = list(t.getSparkJarTask().getParameters());
    for (String p : params) {
      if (p.contains("{{secrets/")) {
        problems.add(where + ": parameter '" + p + "' references a secret, but Databricks does"
            + " not resolve secret references in task parameters (it passes them literally): set"
            + " the secret in the cluster's spark_env_vars and read it with ${env:NAME}");
      }
      Matcher env = ENV_REFERENCE.matcher(p);
      while (env.find()) {
        Map<String, String> vars = cluster == null || cluster.getSparkEnvVars() == null
            ? Map.of() : cluster.getSparkEnvVars();
        if (cluster != null && !vars.containsKey(env.group(1))) {
          problems.add(where + ": parameter '" + p + "' reads environment variable "
              + env.group(1) + ", which the task's job cluster '" + t.getJobClusterKey()
              + "' does not set in spark_env_vars");
        }
      }
    }
    try {
      Map<Stage, StageSettings> stages = job.parse.apply(params.toArray(String[]::new));
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

  private Set<String> entries(Path jar) {
    return jarEntries.computeIfAbsent(jar, j -> {
      try (JarFile file = new JarFile(j.toFile())) {
        return file.stream().map(e -> e.getName()).collect(Collectors.toSet());
      } catch (IOException e) {
        throw new IllegalStateException("Cannot read jar " + j, e);
      }
    });
  }

  /** javap reads the class from the jar without loading it (its Spark types are not there). */
  private static boolean hasMainMethod(Path jar, String className) {
    ToolProvider javap = ToolProvider.findFirst("javap").orElseThrow(() ->
        new IllegalStateException("No javap in this JVM: run the tests on a JDK"));
    StringWriter out = new StringWriter();
    int rc = javap.run(new PrintWriter(out), new PrintWriter(out),
        "-public", "-cp", jar.toString(), className);
    return rc == 0 && MAIN_METHOD.matcher(out.toString()).find();
  }

  private static String projectVersion(Path pom) {
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

  private static String path(JsonMappingException e) {
    StringBuilder b = new StringBuilder("$");
    for (JsonMappingException.Reference r : e.getPath()) {
      b.append(r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]");
    }
    return b.toString();
  }

  private static <T> List<T> list(Collection<T> c) {
    return c == null ? List.of() : new ArrayList<>(c);
  }
}
