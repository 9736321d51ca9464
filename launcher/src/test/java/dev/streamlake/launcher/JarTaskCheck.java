package dev.streamlake.launcher;

import com.databricks.sdk.service.jobs.SparkJarTask;
import com.databricks.sdk.service.jobs.Task;
import dev.streamlake.local.StageJars;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;

/**
 * The jar check of a deploy file's task: it loads the jar of the module whose main class it runs,
 * in the flavour its compute needs, named as this build names it; the jar bundles nothing the
 * runtime provides; the class is in the jar with a {@code main}. The jars are found and read
 * with {@link StageJars}.
 */
final class JarTaskCheck {

  /** What a Databricks jar must not bundle: the runtime provides them. */
  private static final List<String> PROVIDED_BY_RUNTIME =
      List.of("org/apache/spark/", "io/delta/", "org/apache/kafka/", "scala/");

  private static final Pattern MAIN_METHOD =
      Pattern.compile("public static void main\\(java\\.lang\\.String(\\[]|\\.\\.\\.)\\)");

  /** Jars do not change while the tests run; reading each once keeps the many checks fast. */
  private static final Map<Path, Set<String>> JAR_ENTRIES = new ConcurrentHashMap<>();
  private static final Map<String, Boolean> MAIN_METHODS = new ConcurrentHashMap<>();

  /**
   * How jar file names look: {@code <module>-<version>[-<commit>]-<flavour>.jar}. The Jobs API
   * files name the jars as Maven builds them; the bundle's names carry the git commit
   * ({@code deploy/bundle/build-jars.sh}) and live in the bundle's artifact folder.
   */
  record JarNames(String commit, String folder) {
    static final JarNames MAVEN = new JarNames(null, null);
  }

  private final Path repoRoot;
  private final String version;

  JarTaskCheck(Path repoRoot, String version) {
    this.repoRoot = repoRoot;
    this.version = version;
  }

  /**
   * Checks the task runs one of the product's main classes from that job's jar; returns the job
   * it runs, or null when there is none to check further.
   */
  ProductJob check(String where, Task t, DeployFileValidator.Compute compute, JarNames names,
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
    ProductJob product = ProductJob.byMainClass(repoRoot, mainClass);
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
          + ProductJob.mainClasses(repoRoot));
      return null;
    }
    if (jars.size() != 1) {
      problems.add(where + ": loads " + jars.size() + " jars " + jars + "; a task loads exactly"
          + " the jar of its job, " + expected);
    }
    // The parameters are checked even when the jar is wrong: one run reports every problem.
    return product;
  }

  private static Set<String> entries(Path jar) {
    return JAR_ENTRIES.computeIfAbsent(jar, j -> {
      try {
        return StageJars.entries(j);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read jar " + j, e);
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
}
