package dev.streamlake.launcher;

import com.databricks.sdk.service.jobs.CreateJob;
import com.databricks.sdk.service.jobs.JobPermissionLevel;
import com.databricks.sdk.service.jobs.JobSettings;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamlake.common.Stage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Checks the bundle for one target: the bundle's own rules (those of the Databricks CLI that
 * would stop a deploy, and StreamLake's: jars named so a deploy never replaces one in use, prod
 * running as a service principal, at most one shape running), then every job resource as the
 * Databricks Java SDK's {@link JobSettings} with unknown properties rejected, then each job with
 * {@link DeployFileValidator}, then across jobs: every job runs each stage with the same
 * settings, so the shapes cannot drift apart.
 *
 * <p>Also turns a job of the prod target into the Jobs API create request {@code deploy/*.json}
 * must equal.
 */
final class BundleValidator {

  /** Which bundle job each Jobs API file of {@code deploy/} is. */
  static final Map<String, String> JOB_FILES = new TreeMap<>(Map.of(
      "one_driver", "databricks-job-one-driver.json",
      "shared_cluster", "databricks-job-shared-cluster.json",
      "cluster_per_stage", DeployFileValidator.SHAPE_3_FILE,
      "scheduled", "databricks-job-scheduled.json",
      "maintenance", "databricks-job-maintenance.json"));

  /** Jobs that run next to a shape instead of being one: they run no stage. */
  static final Set<String> BESIDE_SHAPES = Set.of("maintenance");

  /** The target the Jobs API files are the jobs of. */
  static final String JSON_TARGET = "prod";

  /** The artifact build the bundle must run: it names the jars by commit. */
  static final String BUILD_SCRIPT = "deploy/bundle/build-jars.sh";

  /** How raw-ingest signs in to Kafka differs by compute (env vars vs service credential). */
  private static final List<String> SIGN_IN_KEYS = List.of("kafka.security.protocol",
      "kafka.sasl.", "kafka.config.providers", "databricks.serviceCredential");

  private final DeployFileValidator jobs;
  private final ObjectMapper mapper = SdkSchemaCheck.strictMapper();

  BundleValidator(DeployFileValidator jobs) {
    this.jobs = jobs;
  }

  /** Every problem of {@code bundle} in {@code target}; empty when it is fine. */
  List<String> problems(Bundle bundle, String target) {
    Bundle.Resolved r = bundle.resolve(target);
    List<String> problems = new ArrayList<>(r.problems());
    String w = r.where();

    if (!"development".equals(r.mode()) && !"production".equals(r.mode())) {
      problems.add(w + ": mode is " + r.mode() + "; each target is development or production");
    }
    Object version = r.variables().get("version");
    if (!jobs.version().equals(version)) {
      problems.add(w + ": variable version is '" + version + "' but pom.xml builds "
          + jobs.version() + "; the jar names would not match the build");
    }
    String artifactPath = String.valueOf(r.workspace().get("artifact_path"));
    if (!artifactPath.matches("/Volumes/[^/]+/[^/]+/[^/]+(/.*)?")) {
      problems.add(w + ": workspace.artifact_path is '" + artifactPath + "'; the jars go to a"
          + " Unity Catalog volume, /Volumes/<catalog>/<schema>/<volume>/...");
    }
    if ("development".equals(r.mode()) && !artifactPath.contains(Bundle.SHORT_NAME)) {
      // The CLI refuses to deploy otherwise: two developers would overwrite each other's jars.
      problems.add(w + ": workspace.artifact_path '" + artifactPath + "' must contain"
          + " ${workspace.current_user.short_name} in development mode");
    }
    Map<String, Object> rawTarget =
        Bundle.map(Bundle.map(bundle.raw().get("targets")).get(target));
    if ("production".equals(r.mode())) {
      if (!Bundle.map(rawTarget.get("workspace")).containsKey("root_path")) {
        problems.add(w + ": a production target sets workspace.root_path, so there is only one"
            + " deployment of it (the CLI requires it)");
      }
      if (r.runAs() == null || r.runAs().get("service_principal_name") == null) {
        problems.add(w + ": prod jobs run as a service principal: set run_as."
            + "service_principal_name, not a user (" + r.runAs() + ")");
      }
    }
    if (!Boolean.TRUE.equals(r.experimental().get("skip_artifact_cleanup"))) {
      problems.add(w + ": experimental.skip_artifact_cleanup must be true; otherwise every"
          + " deploy deletes the uploaded jars, including those running jobs loaded");
    }
    checkArtifacts(bundle, r, problems);

    String folder = artifactPath + "/.internal";
    Map<String, CreateJob> created = new LinkedHashMap<>();
    Map<String, Map<String, Map<Stage, ProductJob.Parsed>>> stagesByJob =
        new LinkedHashMap<>();
    r.jobs().forEach((key, value) -> {
      String where = w + ", job '" + key + "'";
      CreateJob job = createRequest(where, Bundle.map(value), r.runAs(), problems);
      if (job == null) {
        return;
      }
      created.put(key, job);
      DeployFileValidator.Report report =
          jobs.check(where, job, new JarTaskCheck.JarNames(Bundle.GIT_COMMIT, folder));
      problems.addAll(report.problems());
      stagesByJob.put(key, report.stagesByTask());
    });

    List<String> running = created.entrySet().stream()
        .filter(e -> DeployFileValidator.runsBySelf(e.getValue())).map(Map.Entry::getKey).toList();
    List<String> runningShapes = running.stream().filter(j -> !BESIDE_SHAPES.contains(j))
        .toList();
    if ("development".equals(r.mode()) && !running.isEmpty()) {
      // The CLI's development mode pauses only schedules without a pause_status of their own.
      problems.add(w + ": jobs " + running + " would start by themselves in a development"
          + " target; set their *_pause_status to PAUSED there and start them with bundle run");
    }
    if (runningShapes.size() > 1) {
      problems.add(w + ": jobs " + runningShapes + " would all run (schedule or continuous job"
          + " unpaused), but the shapes share the pipeline's tables and checkpoints: pause all"
          + " but one (the *_pause_status variables)");
    }
    checkSameStageSettings(w, stagesByJob, problems);
    return problems;
  }

  /** The Jobs API create request of job {@code key} in the prod target, as deploy/ holds it. */
  ObjectNode jobsApiRequest(Bundle bundle, String key) {
    Bundle.Resolved r = bundle.resolve(JSON_TARGET);
    Map<String, Object> job = new LinkedHashMap<>(Bundle.map(r.jobs().get(key)));
    job.remove("permissions");
    if (r.runAs() != null && !job.containsKey("run_as")) {
      job.put("run_as", r.runAs());
    }
    String folder = r.workspace().get("artifact_path") + "/.internal/";
    String uploaded = "/Volumes/" + r.variables().get("catalog") + "/" + r.variables().get("schema")
        + "/" + r.variables().get("jar_volume") + "/";
    ObjectNode tree = mapper.valueToTree(job);
    for (JsonNode task : tree.path("tasks")) {
      for (JsonNode lib : task.path("libraries")) {
        if (lib.has("jar")) {
          ((ObjectNode) lib).put("jar", manualUpload(lib.get("jar").asText(), folder, uploaded));
        }
      }
    }
    for (JsonNode env : tree.path("environments")) {
      JsonNode deps = env.path("spec").path("java_dependencies");
      for (int i = 0; i < deps.size(); i++) {
        ((com.fasterxml.jackson.databind.node.ArrayNode) deps)
            .set(i, manualUpload(deps.get(i).asText(), folder, uploaded));
      }
    }
    return tree;
  }

  /**
   * A jar of the bundle ({@code <artifact_path>/.internal/<m>-<v>-<commit>-<f>.jar}) as the Jobs
   * API files name it: uploaded by hand, as Maven built it, into the jar volume.
   */
  private static String manualUpload(String jar, String folder, String uploaded) {
    if (!jar.startsWith(folder)) {
      return jar;
    }
    return uploaded + jar.substring(folder.length()).replace("-" + Bundle.GIT_COMMIT + "-", "-");
  }

  private CreateJob createRequest(String where, Map<String, Object> job,
      Map<String, Object> runAs, List<String> problems) {
    Map<String, Object> settings = new LinkedHashMap<>(job);
    checkPermissions(where, settings.remove("permissions"), problems);
    if (runAs != null && !settings.containsKey("run_as")) {
      settings.put("run_as", runAs);
    }
    try {
      JobSettings parsed = mapper.treeToValue(mapper.valueToTree(settings), JobSettings.class);
      return mapper.convertValue(parsed, CreateJob.class);
    } catch (JsonMappingException e) {
      problems.add(where + ": not Jobs API job settings (" + JobSettings.class.getName() + "): "
          + e.getOriginalMessage() + " at " + SdkSchemaCheck.path(e));
    } catch (JsonProcessingException | IllegalArgumentException e) {
      problems.add(where + ": not Jobs API job settings: " + e.getMessage());
    }
    return null;
  }

  private static void checkPermissions(String where, Object permissions, List<String> problems) {
    Set<String> levels = Arrays.stream(JobPermissionLevel.values()).map(Enum::name)
        .collect(Collectors.toCollection(TreeSet::new));
    for (Object p : Bundle.list(permissions)) {
      Map<String, Object> m = Bundle.map(p);
      Bundle.keys(where + ", permissions", m, Bundle.PERMISSION_KEYS, problems);
      if (!levels.contains(String.valueOf(m.get("level")))) {
        problems.add(where + ", permissions: level '" + m.get("level") + "' is none of "
            + levels);
      }
      long principals = Bundle.PERMISSION_KEYS.stream()
          .filter(k -> !k.equals("level") && m.containsKey(k)).count();
      if (principals != 1) {
        problems.add(where + ", permissions: " + m + " names " + principals + " principals;"
            + " each entry names one user_name, group_name or service_principal_name");
      }
    }
  }

  private static void checkArtifacts(Bundle bundle, Bundle.Resolved r, List<String> problems) {
    Map<String, Object> jars = Bundle.map(r.artifacts().get("jars"));
    String w = r.where();
    if (jars.isEmpty()) {
      problems.add(w + ": artifacts.jars is missing; it builds and names the jars the jobs load");
      return;
    }
    if (!"jar".equals(jars.get("type"))) {
      problems.add(w + ": artifacts.jars.type is '" + jars.get("type") + "', expected jar");
    }
    if (!BUILD_SCRIPT.equals(jars.get("build"))) {
      problems.add(w + ": artifacts.jars.build is '" + jars.get("build") + "'; it must run "
          + BUILD_SCRIPT + ", which names the jars by git commit as the jobs expect");
    }
    Path script = bundle.root().resolve(BUILD_SCRIPT);
    if (!Files.isRegularFile(script)) {
      problems.add(w + ": " + BUILD_SCRIPT + " does not exist");
    }
    List<Object> files = Bundle.list(jars.get("files"));
    if (files.size() != 1
        || !"target/bundle/*.jar".equals(Bundle.map(files.get(0)).get("source"))) {
      problems.add(w + ": artifacts.jars.files must upload target/bundle/*.jar (what "
          + BUILD_SCRIPT + " writes), not " + files);
    }
  }

  /**
   * Every job runs each stage with the same settings. Only the trigger and, for stage 1, how it
   * signs in to Kafka may differ: they depend on the compute (serverless needs availableNow and
   * has no cluster environment variables).
   */
  private static void checkSameStageSettings(String w,
      Map<String, Map<String, Map<Stage, ProductJob.Parsed>>> stagesByJob,
      List<String> problems) {
    for (Stage stage : Stage.values()) {
      Map<String, Map<String, String>> byTask = new LinkedHashMap<>();
      stagesByJob.forEach((job, tasks) -> tasks.forEach((task, stages) -> {
        ProductJob.Parsed p = stages.get(stage);
        if (p != null) {
          byTask.put(job + "/" + task, comparable(p.describe()));
        }
      }));
      if (byTask.values().stream().distinct().count() <= 1) {
        continue;
      }
      Set<String> keys = new TreeSet<>();
      byTask.values().forEach(m -> keys.addAll(m.keySet()));
      List<String> differing = keys.stream()
          .filter(k -> byTask.values().stream().map(m -> m.get(k)).distinct().count() > 1)
          .map(k -> k + " " + byTask.entrySet().stream()
              .map(e -> e.getKey() + "=" + e.getValue().get(k))
              .collect(Collectors.joining(", ", "{", "}")))
          .toList();
      problems.add(w + ": stage " + stage.id() + " runs with different settings in different"
          + " jobs, so the shapes have drifted apart: " + String.join("; ", differing));
    }
  }

  private static Map<String, String> comparable(Map<String, String> describe) {
    Map<String, String> m = new TreeMap<>(describe);
    m.remove("trigger");
    m.keySet().removeIf(k -> SIGN_IN_KEYS.stream().anyMatch(k::startsWith));
    return m;
  }
}
