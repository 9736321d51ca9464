package dev.streamlake.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where the built pieces live in a checkout: the Spark home, the -spark jars of the stage modules,
 * the Kafka broker jars and the scripts. Found from the repository root (the folder above the
 * working directory that has a pom.xml and raw-ingest/), so the demo and the tests work from the
 * root and from a module folder alike.
 */
public record Repository(Path root) {

  /** What to run when a built piece is missing. */
  public static final String BUILD_HINT = "run 'mvn -B -DskipTests package' in the repository root first";

  /** System property naming the repository root (demo.sh sets it); else found from the working directory. */
  public static final String ROOT_PROPERTY = "streamlake.root";

  /** The repository named by {@value #ROOT_PROPERTY}, else the one above the working directory. */
  public static Repository find() {
    String property = System.getProperty(ROOT_PROPERTY);
    Path start = property == null || property.isBlank()
        ? Paths.get("").toAbsolutePath()
        : Paths.get(property).toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("raw-ingest"))) {
        return new Repository(dir);
      }
    }
    throw new IllegalStateException(
        "Cannot find the StreamLake repository (a folder with pom.xml and raw-ingest/) in " + start
            + " or above it: run this from inside the checkout.");
  }

  /** {@code spark-home/target/spark-home}: Spark's jars/ and conf/ from Maven Central. */
  public Path sparkHome() {
    Path home = root.resolve("spark-home").resolve("target").resolve("spark-home");
    if (!Files.isDirectory(home.resolve("jars"))) {
      throw new IllegalStateException("No Spark home at " + home + ": " + BUILD_HINT);
    }
    return home;
  }

  /** {@code <module>/target/<module>-<version>-spark.jar}. */
  public Path sparkJar(String module) {
    return StageJars.find(root.resolve(module), module, "spark")
        .orElseThrow(() -> new IllegalStateException(
            "No " + module + "/target/" + module + "-*-spark.jar in " + root + ": " + BUILD_HINT));
  }

  /** The -spark jar of a module that runs as a driver. */
  public Path sparkJar(StageModule module) {
    return sparkJar(module.module());
  }

  /** The main class of a driver module, as its pom names it: from its -spark jar's manifest. */
  public String mainClass(StageModule module) {
    Path jar = sparkJar(module);
    try {
      return StageJars.mainClass(jar);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the manifest of " + jar + ": " + e.getMessage(), e);
    }
  }

  /** {@code kafka-broker/target/lib}: Apache Kafka's broker jars for the forked broker. */
  public Path kafkaBrokerLib() {
    Path lib = root.resolve("kafka-broker").resolve("target").resolve("lib");
    if (!Files.isDirectory(lib)) {
      throw new IllegalStateException("No Kafka broker jars at " + lib + ": " + BUILD_HINT);
    }
    return lib;
  }

  public Path script(String name) {
    Path script = root.resolve("scripts").resolve(name);
    if (!Files.isRegularFile(script)) {
      throw new IllegalStateException("No script " + script);
    }
    return script;
  }
}
