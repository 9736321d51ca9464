package dev.streamlake.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.databricks.sdk.service.compute.DataSecurityMode;
import com.databricks.sdk.service.jobs.CreateJob;
import com.databricks.sdk.service.jobs.PauseStatus;
import com.databricks.sdk.service.jobs.Task;
import com.databricks.sdk.service.jobs.TaskDependency;
import com.databricks.sdk.service.jobs.TaskRetryMode;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Validates the bundle ({@code databricks.yml}, {@code deploy/bundle/}) for every target and every
 * Jobs API file in {@code deploy/} (see {@link BundleValidator}, {@link DeployFileValidator}),
 * checks the files are the bundle's prod jobs, and proves the checks bite: copies of the real
 * bundle and files with one mistake each must be rejected with a message naming the file or job,
 * the task and the mistake.
 *
 * <p>{@code -Dstreamlake.deploy.write=true} rewrites {@code deploy/*.json} from the bundle
 * instead of failing when they differ.
 *
 * <p>An integration test because it needs the packaged jars: the launcher module depends on the
 * three stage modules, so their jars (and the launcher's) exist before failsafe runs.
 */
class DeployFilesIT {

  /** Failsafe runs in the launcher module; the repository root is its parent. */
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path DEPLOY = ROOT.resolve("deploy");

  static final String SHAPE_1 = "databricks-job-one-driver.json";
  static final String SHAPE_2 = "databricks-job-shared-cluster.json";
  static final String SHAPE_3 = DeployFileValidator.SHAPE_3_FILE;
  static final String SCHEDULED = "databricks-job-scheduled.json";
  static final String MAINTENANCE = "databricks-job-maintenance.json";

  static final String WRITE = "streamlake.deploy.write";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final DeployFileValidator validator = new DeployFileValidator(ROOT);
  private final BundleValidator bundleValidator = new BundleValidator(validator);

  @TempDir Path temp;

  @TestFactory
  Stream<DynamicTest> theBundleIsValidForEveryTarget() {
    Bundle bundle = Bundle.load(ROOT);
    assertThat(bundle.loadProblems()).as("problems reading %s", Bundle.FILE).isEmpty();
    assertThat(bundle.targets()).containsExactly("dev", "prod");
    assertThat(bundle.resolve("prod").jobs()).containsOnlyKeys(BundleValidator.JOB_FILES.keySet());
    return bundle.targets().stream().map(target -> DynamicTest.dynamicTest(target, () ->
        assertThat(bundleValidator.problems(bundle, target))
            .as("problems of %s in target %s", Bundle.FILE, target).isEmpty()));
  }

  @TestFactory
  Stream<DynamicTest> everyFileInDeployIsAValidJobOfThisBuild() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(DEPLOY)) {
      files = s.sorted().toList();
    }
    assertThat(files.stream().map(p -> p.getFileName().toString()))
        .as("files in %s", DEPLOY)
        .containsExactlyInAnyOrderElementsOf(Stream.concat(
            BundleValidator.JOB_FILES.values().stream(), Stream.of("README.md", "bundle"))
            .toList());
    return files.stream()
        .filter(p -> p.getFileName().toString().endsWith(".json"))
        .map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () ->
            assertThat(validator.problems(p)).as("problems of %s", p).isEmpty()));
  }

  /**
   * The Jobs API files are the bundle's prod jobs, with the jars where a hand upload puts them;
   * compared as the SDK reads both, so formatting and key order do not matter.
   */
  @TestFactory
  Stream<DynamicTest> theJobsApiFilesAreTheBundlesProdJobs() {
    Bundle bundle = Bundle.load(ROOT);
    boolean write = Boolean.getBoolean(WRITE);
    return BundleValidator.JOB_FILES.entrySet().stream().map(e ->
        DynamicTest.dynamicTest(e.getValue(), () -> {
          ObjectNode expected = bundleValidator.jobsApiRequest(bundle, e.getKey());
          Path file = DEPLOY.resolve(e.getValue());
          if (write) {
            Files.writeString(file, pretty(expected), StandardCharsets.UTF_8);
          }
          JsonNode want = normalized(expected.toString());
          JsonNode have = normalized(Files.readString(file));
          assertThat(firstDifference(want, have, "$"))
              .as("%s differs from job '%s' of the bundle's %s target; fix the bundle, or run"
                  + " with -D%s=true to rewrite the file from it", e.getValue(), e.getKey(),
                  BundleValidator.JSON_TARGET, WRITE)
              .isNull();
        }));
  }

  @Test
  void eachShapeHasTheRestartPolicyTheReadmeExplains() throws IOException {
    CreateJob shape3 = read(SHAPE_3);
    assertThat(shape3.getContinuous()).as("shape 3 is not continuous: retries restart one task")
        .isNull();
    assertThat(shape3.getJobClusters()).hasSize(3);
    assertThat(shape3.getTasks()).extracting(Task::getMaxRetries).containsOnly(-1L);
    assertThat(shape3.getTasks()).extracting(Task::getJobClusterKey).doesNotHaveDuplicates();
    assertThat(shape3.getMaxConcurrentRuns()).isEqualTo(1L);
    assertThat(shape3.getQueue().getEnabled())
        .as("queueing off, so a watchdog tick during a run is skipped, not queued").isFalse();
    assertThat(shape3.getSchedule().getQuartzCronExpression()).isNotBlank();

    CreateJob shape2 = read(SHAPE_2);
    assertThat(shape2.getContinuous().getTaskRetryMode()).isEqualTo(TaskRetryMode.ON_FAILURE);
    assertThat(shape2.getJobClusters()).hasSize(1);
    assertThat(shape2.getTasks()).hasSize(3);

    CreateJob shape1 = read(SHAPE_1);
    assertThat(shape1.getContinuous().getTaskRetryMode()).isEqualTo(TaskRetryMode.NEVER);
    assertThat(shape1.getTasks()).singleElement()
        .extracting(t -> t.getSparkJarTask().getMainClassName())
        .isEqualTo(AllInOneJob.class.getName());

    // Only shape 3 starts by itself; the others are there to be unpaused instead of it.
    assertThat(shape3.getSchedule().getPauseStatus()).isEqualTo(PauseStatus.UNPAUSED);
    assertThat(shape2.getContinuous().getPauseStatus()).isEqualTo(PauseStatus.PAUSED);
    assertThat(shape1.getContinuous().getPauseStatus()).isEqualTo(PauseStatus.PAUSED);
    for (CreateJob job : List.of(shape1, shape2, shape3)) {
      assertThat(job.getJobClusters()).allSatisfy(c ->
          assertThat(c.getNewCluster().getDataSecurityMode())
              .isEqualTo(DataSecurityMode.DATA_SECURITY_MODE_DEDICATED));
      assertThat(job.getRunAs().getServicePrincipalName()).isNotBlank();
      assertThat(job.getParameters()).extracting(p -> p.getName())
          .containsExactly("catalog", "schema", "checkpoint_volume", "topic", "trigger");
    }
  }

  @Test
  void theScheduledJobRunsStageOneOnServerlessAndTheStagesInOrder() throws IOException {
    CreateJob job = read(SCHEDULED);
    assertThat(job.getContinuous()).isNull();
    assertThat(job.getSchedule().getPauseStatus()).isEqualTo(PauseStatus.PAUSED);
    assertThat(job.getParameters()).filteredOn(p -> p.getName().equals("trigger"))
        .singleElement().extracting(p -> p.getDefault()).isEqualTo("availableNow");
    Map<String, Task> tasks = new java.util.LinkedHashMap<>();
    job.getTasks().forEach(t -> tasks.put(t.getTaskKey(), t));
    assertThat(tasks.get("raw-ingest").getEnvironmentKey()).isNotNull();
    assertThat(tasks.get("raw-ingest").getJobClusterKey()).isNull();
    assertThat(job.getEnvironments()).singleElement()
        .satisfies(e -> assertThat(e.getSpec().getJavaDependencies()).singleElement()
            .asString().endsWith("-connect.jar"));
    assertThat(tasks.get("deserialize").getDependsOn()).extracting(TaskDependency::getTaskKey)
        .containsExactly("raw-ingest");
    assertThat(tasks.get("merge").getDependsOn()).extracting(TaskDependency::getTaskKey)
        .containsExactly("deserialize");
    assertThat(tasks.get("merge").getJobClusterKey())
        .isEqualTo(tasks.get("deserialize").getJobClusterKey());
  }

  static Stream<Arguments> brokenCopies() {
    String v = new DeployFileValidator(ROOT).version();
    return Stream.of(
        broken("a misspelled task property", SHAPE_3,
            j -> rename(jarTask(j, "raw-ingest"), "main_class_name", "main_class_nme"),
            "not a Jobs API 2.2 create request", "main_class_nme"),
        broken("a misspelled job property", SHAPE_3,
            j -> rename(j, "max_concurrent_runs", "max_concurent_runs"),
            "not a Jobs API 2.2 create request", "max_concurent_runs"),
        broken("an unknown enum value", SHAPE_2,
            j -> ((ObjectNode) j.get("continuous")).put("task_retry_mode", "ON_FAILURES"),
            "not a Jobs API 2.2 create request", "ON_FAILURES"),
        broken("a list of jobs instead of one create request", SHAPE_3, null,
            "not a Jobs API 2.2 create request"),
        broken("a main class that is not in the jar", SHAPE_3,
            j -> jarTask(j, "raw-ingest").put("main_class_name",
                "dev.streamlake.ingest.RawIngestJobb"),
            "task 'raw-ingest'", "dev.streamlake.ingest.RawIngestJobb is not in"),
        broken("another stage's main class", SHAPE_3,
            j -> jarTask(j, "deserialize").put("main_class_name", "dev.streamlake.merge.MergeJob"),
            "task 'deserialize'", "is the jar of module deserialize", "MergeJob"),
        broken("the -spark jar", SHAPE_3,
            j -> library(j, "merge", "/Volumes/main/streamlake/jars/merge-" + v + "-spark.jar"),
            "task 'merge'", "plain-Spark jar"),
        broken("the launcher's jar for a stage", SHAPE_3,
            j -> library(j, "raw-ingest",
                "/Volumes/main/streamlake/jars/launcher-" + v + "-databricks.jar"),
            "task 'raw-ingest'", "is the jar of module launcher"),
        broken("a jar of another version", SHAPE_3,
            j -> library(j, "raw-ingest",
                "/Volumes/main/streamlake/jars/raw-ingest-9.9.9-databricks.jar"),
            "task 'raw-ingest'", "is not a jar this build makes"),
        broken("a jar no module builds", SHAPE_3,
            j -> library(j, "raw-ingest",
                "/Volumes/main/streamlake/jars/raw-ingestion-" + v + "-databricks.jar"),
            "task 'raw-ingest'", "which does not exist"),
        broken("a bad trigger", SHAPE_3,
            j -> replaceParameter(j, "merge", "{{job.parameters.trigger}}", "processingTime:soon"),
            "task 'merge'", "do not parse with MergeConfig.fromArgs", "--trigger"),
        broken("a bad trigger in a job parameter", SHAPE_3,
            j -> jobParameter(j, "trigger", "every minute"),
            "task 'raw-ingest'", "do not parse with RawIngestConfig.fromArgs",
            "'every minute'"),
        broken("a job parameter the job does not define", SHAPE_2,
            j -> replaceParameter(j, "deserialize", "{{job.parameters.schema}}",
                "{{job.parameters.schemas}}"),
            "task 'deserialize'", "job parameter 'schemas', which the job does not define"),
        broken("an unknown option", SHAPE_3,
            j -> parameters(j, "deserialize").add("--no-such-option"),
            "task 'deserialize'", "do not parse with DeserializeConfig.fromArgs",
            "--no-such-option"),
        broken("bootstrap servers without a port", SHAPE_1,
            j -> replaceParameter(j, "all-stages",
                "broker-1.example.com:9093,broker-2.example.com:9093,broker-3.example.com:9093",
                "broker-1.example.com"),
            "task 'all-stages'", "do not parse with AllInOneConfig.fromArgs",
            "--bootstrap-servers"),
        broken("parameters that only ask for --help", SHAPE_2,
            j -> jarTask(j, "merge").putArray("parameters").add("--help"),
            "task 'merge'", "only ask for --help"),
        broken("a dangling job_cluster_key", SHAPE_3,
            j -> task(j, "merge").put("job_cluster_key", "merge-clutser"),
            "task 'merge'", "'merge-clutser' matches no job cluster"),
        broken("depends_on in a continuous job", SHAPE_2,
            j -> task(j, "deserialize").putArray("depends_on").addObject()
                .put("task_key", "raw-ingest"),
            "task 'deserialize'", "continuous job allows no task dependencies"),
        broken("a retry policy in a continuous job", SHAPE_2,
            j -> task(j, "merge").put("max_retries", -1),
            "task 'merge'", "which a continuous job does not allow"),
        broken("limited retries of a streaming task", SHAPE_3,
            j -> task(j, "raw-ingest").put("max_retries", 3),
            "task 'raw-ingest'", "max_retries -1"),
        broken("a stage left out", SHAPE_3,
            j -> removeTask(j, "merge"),
            "stage merge runs 0 times"),
        broken("a stage run twice", SHAPE_2,
            j -> ((ArrayNode) j.get("tasks")).add(task(j, "raw-ingest").deepCopy()
                .put("task_key", "raw-ingest-again")),
            "stage raw-ingest runs 2 times"),
        broken("stages on different lakes", SHAPE_3,
            j -> replaceParameter(j, "deserialize", "{{job.parameters.checkpoint_volume}}",
                "/Volumes/main/streamlake/other-checkpoints"),
            "the stages disagree on --lake"),
        broken("single-user, the old name of dedicated", SHAPE_2,
            j -> ((ObjectNode) cluster(j, "shared-cluster").get("new_cluster"))
                .put("data_security_mode", "SINGLE_USER"),
            "job cluster 'shared-cluster'", "write DATA_SECURITY_MODE_DEDICATED"),
        broken("stage 2 in standard access mode", SHAPE_3,
            j -> ((ObjectNode) cluster(j, "deserialize-cluster").get("new_cluster"))
                .put("data_security_mode", "DATA_SECURITY_MODE_STANDARD"),
            "task 'deserialize'", "runs JAR code on Spark Connect",
            "deserialize needs classic Spark: it classifies records over RDDs"),
        broken("stage 3 on serverless", SCHEDULED,
            j -> moveToServerless(j, "merge"),
            "task 'merge'", "merge needs classic Spark"),
        broken("a serverless task that never ends", SCHEDULED,
            j -> jobParameter(j, "trigger", "default"),
            "task 'raw-ingest'", "serverless JAR tasks allow only availableNow"),
        broken("the -databricks jar on serverless", SCHEDULED,
            j -> ((ArrayNode) j.get("environments").get(0).get("spec").get("java_dependencies"))
                .set(0, "/Volumes/main/streamlake/jars/raw-ingest-" + v + "-databricks.jar"),
            "task 'raw-ingest'", "whose client has no Avro", "-connect.jar"),
        broken("a Kafka login from an environment variable on serverless", SCHEDULED,
            j -> parameters(j, "raw-ingest")
                .add("--kafka.sasl.jaas.config=${env:STREAMLAKE_KAFKA_JAAS_CONFIG}"),
            "task 'raw-ingest'", "serverless compute has no cluster environment variables"),
        broken("scheduled stages out of order", SCHEDULED,
            j -> task(j, "merge").remove("depends_on"),
            "task 'merge'", "does not depend on task 'deserialize'"),
        broken("availableNow in a continuous job", SHAPE_2,
            j -> jobParameter(j, "trigger", "availableNow"),
            "task 'raw-ingest'", "runs availableNow in a continuous job"),
        broken("an older runtime", SHAPE_3,
            j -> ((ObjectNode) cluster(j, "merge-cluster").get("new_cluster"))
                .put("spark_version", "16.4.x-scala2.12"),
            "job cluster 'merge-cluster'", "16.4.x-scala2.12"),
        broken("two stages on one cluster in shape 3", SHAPE_3,
            j -> task(j, "merge").put("job_cluster_key", "deserialize-cluster"),
            "job cluster 'deserialize-cluster'", "share it"),
        broken("a secret reference in the parameters", SHAPE_3,
            j -> replaceParameter(j, "raw-ingest",
                "--kafka.sasl.jaas.config=${env:STREAMLAKE_KAFKA_JAAS_CONFIG}",
                "--kafka.sasl.jaas.config={{secrets/streamlake/kafka-jaas-config}}"),
            "task 'raw-ingest'", "does not resolve secret references in task parameters"),
        broken("an environment variable the cluster does not set", SHAPE_3,
            j -> ((ObjectNode) cluster(j, "raw-ingest-cluster").get("new_cluster"))
                .remove("spark_env_vars"),
            "task 'raw-ingest'", "STREAMLAKE_KAFKA_JAAS_CONFIG",
            "does not set in spark_env_vars"),
        broken("a maintenance command that is not in the ops jar", MAINTENANCE,
            j -> jarTask(j, "maintain").put("main_class_name",
                "dev.streamlake.ops.MaintenanceCommand"),
            "task 'maintain'", "dev.streamlake.ops.MaintenanceCommand is not in"),
        broken("a stage jar for the maintenance command", MAINTENANCE,
            j -> library(j, "maintain",
                "/Volumes/main/streamlake/jars/merge-" + v + "-databricks.jar"),
            "task 'maintain'", "is the jar of module merge", "ops-" + v + "-databricks.jar"),
        broken("maintenance parameters that do not parse", MAINTENANCE,
            j -> parameters(j, "maintain").add("--tables").add("silver"),
            "task 'maintain'", "do not parse with MaintainCommand.effectiveSettings",
            "--tables: 'silver'"),
        broken("a maintenance job nothing starts", MAINTENANCE,
            j -> j.remove("schedule"),
            MAINTENANCE, "has no schedule or trigger"));
  }

  /**
   * The maintenance job runs next to whichever shape runs, every day, and maintains the tables
   * the shapes write: the same lake and tables once its job parameters are filled in.
   */
  @Test
  void theMaintenanceJobMaintainsTheTablesTheShapesWrite() throws IOException {
    CreateJob maintenance = read(MAINTENANCE);
    assertThat(maintenance.getContinuous()).isNull();
    assertThat(maintenance.getSchedule().getPauseStatus()).isEqualTo(PauseStatus.UNPAUSED);
    assertThat(maintenance.getTasks()).singleElement()
        .extracting(t -> t.getSparkJarTask().getMainClassName())
        .isEqualTo(dev.streamlake.ops.MaintainCommand.class.getName());
    Map<String, String> maintain = dev.streamlake.ops.MaintainCommand.effectiveSettings(
        filled(maintenance, maintenance.getTasks().iterator().next()));

    CreateJob shape3 = read(SHAPE_3);
    Task merge = shape3.getTasks().stream().filter(t -> t.getTaskKey().equals("merge"))
        .findFirst().orElseThrow();
    Map<String, String> stage3 = dev.streamlake.merge.MergeConfig.fromArgs(filled(shape3, merge))
        .describe();
    for (String key : List.of("lake", "catalog", "schema", "raw-table", "bronze-table",
        "dead-letter-table", "gold-table", "pipeline")) {
      assertThat(maintain.get(key)).as(key).isNotNull().isEqualTo(stage3.get(key));
    }
  }

  /** A task's parameters with the job parameters' defaults filled in, as Databricks runs it. */
  private static String[] filled(CreateJob job, Task task) {
    Map<String, String> defaults = new java.util.HashMap<>();
    job.getParameters().forEach(p -> defaults.put(p.getName(), p.getDefault()));
    return task.getSparkJarTask().getParameters().stream()
        .map(p -> {
          String v = p;
          for (var d : defaults.entrySet()) {
            v = v.replace("{{job.parameters." + d.getKey() + "}}", d.getValue());
          }
          return v;
        })
        .toArray(String[]::new);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenCopies")
  void aCopyWithOneMistakeIsRejected(
      String mistake, String source, Consumer<ObjectNode> change, List<String> expected)
      throws IOException {
    JsonNode tree = JSON.readTree(DEPLOY.resolve(source).toFile());
    if (change == null) {
      tree = JSON.createArrayNode().add(tree);
    } else {
      change.accept((ObjectNode) tree);
    }
    Path copy = temp.resolve(source);
    JSON.writerWithDefaultPrettyPrinter().writeValue(copy.toFile(), tree);
    assertThat(validator.problems(DEPLOY.resolve(source))).as("the original is fine").isEmpty();

    List<String> problems = validator.problems(copy);

    assertThat(problems)
        .as("problems of %s with %s", source, mistake)
        .anySatisfy(p -> assertThat(p).startsWith(source).contains(expected));
  }

  /** Copies of the bundle with one mistake each: every target's check must name it. */
  static Stream<Arguments> brokenBundles() {
    String jobs = "deploy/bundle/jobs.yml";
    String stages = "deploy/bundle/stages.yml";
    return Stream.of(
        bundle("a misspelled job property", jobs,
            "      max_concurrent_runs: 1\n      continuous:\n        pause_status: ${var.shape_1",
            "      max_concurent_runs: 1\n      continuous:\n        pause_status: ${var.shape_1",
            "job 'one_driver'", "not Jobs API job settings", "max_concurent_runs"),
        bundle("a misspelled property inside a stage definition", stages,
            "      main_class_name: dev.streamlake.merge.MergeJob",
            "      main_class: dev.streamlake.merge.MergeJob",
            "job 'cluster_per_stage'", "not Jobs API job settings", "main_class"),
        bundle("an enum value the SDK does not know", stages,
            "      node_type_id: i4i.2xlarge\n      driver_node_type_id: r6i.xlarge\n"
                + "      num_workers: 3\n      data_security_mode: DATA_SECURITY_MODE_DEDICATED",
            "      node_type_id: i4i.2xlarge\n      driver_node_type_id: r6i.xlarge\n"
                + "      num_workers: 3\n      data_security_mode: DEDICATED",
            "job 'cluster_per_stage'", "not Jobs API job settings", "DEDICATED"),
        bundle("a key the bundle schema does not know", Bundle.FILE,
            "experimental:\n  skip_artifact_cleanup: true",
            "experimental:\n  skip_artifact_cleanup: true\n  skip_artifacts_cleanup: true",
            "experimental", "unknown key 'skip_artifacts_cleanup'"),
        bundle("a duplicate YAML key", jobs,
            "      max_concurrent_runs: 1\n      continuous:\n        pause_status: ${var.shape_1",
            "      max_concurrent_runs: 1\n      max_concurrent_runs: 2\n      continuous:\n"
                + "        pause_status: ${var.shape_1",
            "jobs.yml", "not valid YAML", "duplicate key max_concurrent_runs"),
        bundle("a reference to a variable nobody declared", stages,
            "        - ${var.kafka_service_credential}", "        - ${var.kafka_credential}",
            "${var.kafka_credential} names no variable"),
        bundle("a variable without a value", Bundle.FILE,
            "      bootstrap_servers: dev-broker-1.example.com:9093\n", "",
            "[dev]", "no value assigned to variable bootstrap_servers"),
        bundle("a job parameter the tasks reference but the job lacks", jobs,
            "        - name: trigger\n          default: availableNow\n", "",
            "job 'scheduled'", "job parameter 'trigger', which the job does not define"),
        bundle("prod running as whoever deploys it", Bundle.FILE,
            "    run_as:\n      service_principal_name: ${var.service_principal}\n", "",
            "[prod]", "prod jobs run as a service principal"),
        bundle("jars deleted on every deploy", Bundle.FILE,
            "  skip_artifact_cleanup: true", "  skip_artifact_cleanup: false",
            "experimental.skip_artifact_cleanup must be true"),
        bundle("a dev artifact folder shared by every developer", Bundle.FILE,
            "/${bundle.target}/${workspace.current_user.short_name}", "/${bundle.target}",
            "[dev]", "must contain ${workspace.current_user.short_name} in development mode"),
        bundle("jars that do not name the version pom.xml builds", Bundle.FILE,
            "    default: 0.1.0-SNAPSHOT", "    default: 0.2.0",
            "variable version is '0.2.0'"),
        bundle("two shapes running on the same tables", Bundle.FILE,
            "  shape_2_pause_status:\n    default: PAUSED",
            "  shape_2_pause_status:\n    default: UNPAUSED",
            "jobs [shared_cluster, cluster_per_stage] would all run"),
        bundle("shape 1 drifting from the stages' own settings", stages,
            "        - --dead-letter-limit\n        - \"0.5\"\n        - --merge-max-files",
            "        - --dead-letter-limit\n        - \"0.9\"\n        - --merge-max-files",
            "stage deserialize runs with different settings in different jobs",
            "dead-letter-limit"),
        bundle("a dev deployment that starts by itself", Bundle.FILE,
            "      shape_3_pause_status: PAUSED\n", "",
            "[dev]", "jobs [cluster_per_stage] would start by themselves in a development"
                + " target"),
        bundle("an include that matches nothing", Bundle.FILE,
            "  - deploy/bundle/*.yml", "  - deploy/bundles/*.yml",
            "include 'deploy/bundles/*.yml' matches no file"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenBundles")
  void aBundleWithOneMistakeIsRejected(
      String mistake, String file, String from, String to, List<String> expected)
      throws IOException {
    Path copy = temp.resolve("bundle-copy");
    for (String f : List.of(Bundle.FILE, "deploy/bundle/stages.yml", "deploy/bundle/jobs.yml",
        BundleValidator.BUILD_SCRIPT)) {
      Files.createDirectories(copy.resolve(f).getParent());
      Files.copy(ROOT.resolve(f), copy.resolve(f));
    }
    String text = Files.readString(copy.resolve(file));
    assertThat(text).as("%s contains the text to break", file).contains(from);
    Files.writeString(copy.resolve(file), text.replace(from, to));

    Bundle broken = Bundle.load(copy);
    List<String> problems = new ArrayList<>();
    for (String target : List.of("dev", "prod")) {
      problems.addAll(bundleValidator.problems(broken, target));
    }

    assertThat(problems).as("problems of the bundle with %s", mistake)
        .anySatisfy(p -> assertThat(p).contains(expected));
  }

  private static Arguments bundle(
      String mistake, String file, String from, String to, String... expected) {
    return Arguments.of(mistake, file, from, to, List.of(expected));
  }

  /** The Jobs API files, written as a person would read them: one array element per line. */
  private static String pretty(JsonNode tree) throws IOException {
    DefaultPrettyPrinter printer = new DefaultPrettyPrinter(
        Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
        .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE);
    return JSON.writer(printer).writeValueAsString(tree) + "\n";
  }

  /** A job as the SDK reads it: key order, formatting and defaults no longer matter. */
  private static JsonNode normalized(String json) throws IOException {
    ObjectMapper strict = SdkSchemaCheck.strictMapper();
    return strict.valueToTree(strict.readValue(json, CreateJob.class));
  }

  /** Where two trees first differ, with both values; null when they are equal. */
  static String firstDifference(JsonNode want, JsonNode have, String path) {
    if (want.equals(have)) {
      return null;
    }
    if (want.isObject() && have.isObject()) {
      for (Iterator<String> names = want.fieldNames(); names.hasNext(); ) {
        String n = names.next();
        if (!have.has(n)) {
          return path + "." + n + ": the bundle has " + want.get(n) + ", the file nothing";
        }
        String d = firstDifference(want.get(n), have.get(n), path + "." + n);
        if (d != null) {
          return d;
        }
      }
      for (Iterator<String> names = have.fieldNames(); names.hasNext(); ) {
        String n = names.next();
        if (!want.has(n)) {
          return path + "." + n + ": the file has " + have.get(n) + ", the bundle nothing";
        }
      }
    }
    if (want.isArray() && have.isArray() && want.size() == have.size()) {
      for (int i = 0; i < want.size(); i++) {
        String d = firstDifference(want.get(i), have.get(i), path + "[" + i + "]");
        if (d != null) {
          return d;
        }
      }
    }
    return path + ": the bundle has " + want + ", the file " + have;
  }

  private static Arguments broken(
      String mistake, String source, Consumer<ObjectNode> change, String... expected) {
    return Arguments.of(mistake, source, change, List.of(expected));
  }

  private static CreateJob read(String file) throws IOException {
    return SdkSchemaCheck.strictMapper().readValue(DEPLOY.resolve(file).toFile(),
        CreateJob.class);
  }

  private static ObjectNode task(ObjectNode job, String key) {
    for (JsonNode t : job.get("tasks")) {
      if (t.get("task_key").asText().equals(key)) {
        return (ObjectNode) t;
      }
    }
    throw new IllegalArgumentException("no task " + key);
  }

  private static ObjectNode cluster(ObjectNode job, String key) {
    for (JsonNode c : job.get("job_clusters")) {
      if (c.get("job_cluster_key").asText().equals(key)) {
        return (ObjectNode) c;
      }
    }
    throw new IllegalArgumentException("no job cluster " + key);
  }

  private static ObjectNode jarTask(ObjectNode job, String key) {
    return (ObjectNode) task(job, key).get("spark_jar_task");
  }

  private static void jobParameter(ObjectNode job, String name, String value) {
    for (JsonNode p : job.get("parameters")) {
      if (p.get("name").asText().equals(name)) {
        ((ObjectNode) p).put("default", value);
        return;
      }
    }
    throw new IllegalArgumentException("no job parameter " + name);
  }

  /** Runs task {@code key} in the job's serverless environment, with the -connect jar. */
  private static void moveToServerless(ObjectNode job, String key) {
    ObjectNode t = task(job, key);
    t.remove("job_cluster_key");
    t.remove("libraries");
    t.put("environment_key", job.get("environments").get(0).get("environment_key").asText());
  }

  private static ArrayNode parameters(ObjectNode job, String key) {
    return (ArrayNode) jarTask(job, key).get("parameters");
  }

  private static void replaceParameter(ObjectNode job, String key, String from, String to) {
    ArrayNode params = parameters(job, key);
    for (int i = 0; i < params.size(); i++) {
      if (params.get(i).asText().equals(from)) {
        params.set(i, to);
        return;
      }
    }
    throw new IllegalArgumentException("task " + key + " has no parameter " + from);
  }

  private static void library(ObjectNode job, String key, String jar) {
    task(job, key).putArray("libraries").addObject().put("jar", jar);
  }

  private static void rename(ObjectNode node, String from, String to) {
    JsonNode value = node.remove(from);
    if (value == null) {
      throw new IllegalArgumentException("no property " + from);
    }
    node.set(to, value);
  }

  private static void removeTask(ObjectNode job, String key) {
    ArrayNode tasks = (ArrayNode) job.get("tasks");
    for (int i = 0; i < tasks.size(); i++) {
      if (tasks.get(i).get("task_key").asText().equals(key)) {
        tasks.remove(i);
        return;
      }
    }
    throw new IllegalArgumentException("no task " + key);
  }
}
