package dev.streamlake.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.databricks.sdk.service.jobs.CreateJob;
import com.databricks.sdk.service.jobs.Task;
import com.databricks.sdk.service.jobs.TaskRetryMode;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
 * Validates every file in {@code deploy/} (see {@link DeployFileValidator}), and proves the checks
 * bite: copies of the real files with one mistake each must be rejected with a message naming the
 * file, the task and the mistake.
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

  private static final ObjectMapper JSON = new ObjectMapper();

  private final DeployFileValidator validator = new DeployFileValidator(ROOT);

  @TempDir Path temp;

  @TestFactory
  Stream<DynamicTest> everyFileInDeployIsAValidJobOfThisBuild() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(DEPLOY)) {
      files = s.sorted().toList();
    }
    assertThat(files.stream().map(p -> p.getFileName().toString()))
        .as("files in %s", DEPLOY)
        .contains(SHAPE_1, SHAPE_2, SHAPE_3, "README.md");
    return files.stream()
        .filter(p -> !p.getFileName().toString().equals("README.md"))
        .map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
          assertThat(p.getFileName().toString())
              .as("deploy/ holds the README and Databricks job files (*.json) only")
              .endsWith(".json");
          assertThat(validator.problems(p)).as("problems of %s", p).isEmpty();
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
            j -> replaceParameter(j, "merge", "processingTime:15m", "processingTime:soon"),
            "task 'merge'", "do not parse with MergeConfig.fromArgs", "--trigger"),
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
            j -> replaceParameter(j, "deserialize", "/Volumes/main/streamlake/lake",
                "/Volumes/main/streamlake/other-lake"),
            "the stages disagree on --lake"),
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
            "does not set in spark_env_vars"));
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

  private static Arguments broken(
      String mistake, String source, Consumer<ObjectNode> change, String... expected) {
    return Arguments.of(mistake, source, change, List.of(expected));
  }

  private static CreateJob read(String file) throws IOException {
    return DeployFileValidator.strictMapper().readValue(DEPLOY.resolve(file).toFile(),
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
