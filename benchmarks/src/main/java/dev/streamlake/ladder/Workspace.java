package dev.streamlake.ladder;

import dev.streamlake.ladder.agent.ProgressFileListener;
import dev.streamlake.ladder.agent.StepMain;
import dev.streamlake.local.ClassFiles;
import dev.streamlake.local.ParentWatch;
import dev.streamlake.local.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the built pieces are (the Spark home, the stage jars, the ladder's own job jar, the
 * Kafka broker jars) and where a ladder run writes (one folder per step run under the work folder).
 */
record Workspace(Path root, Path work) {

  /** The checkout above {@code start}: the first folder with a pom.xml and raw-ingest/. */
  static Path findRoot(Path start) {
    for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("raw-ingest"))) {
        return dir;
      }
    }
    throw new IllegalStateException("Cannot find the StreamLake checkout (a folder with pom.xml and"
        + " raw-ingest/) in " + start.toAbsolutePath() + " or above; run from inside it or pass --repo");
  }

  /** The built pieces of the checkout: the Spark home, the -spark jars, the broker jars. */
  Repository repository() {
    return new Repository(root);
  }

  /** The folder of one run of one step: {@code work/<step>/<label>}. */
  Path runDir(String step, String label) {
    return work.resolve(step.replaceAll("[^A-Za-z0-9._-]", "_"))
        .resolve(label.replaceAll("[^A-Za-z0-9._-]", "_"));
  }

  /**
   * {@code work/agent}: the class files every child JVM runs with (StepMain, the progress
   * listener, the parent watch), copied out of this JVM's classpath so the children get nothing else of it.
   */
  Path agentClasses() {
    return ClassFiles.copy(
        work.resolve("agent"), StepMain.class, ProgressFileListener.class, ParentWatch.class);
  }

  /** Marks a work folder as the ladder's, so a reset never empties anything else. */
  static final String MARKER = ".streamlake-ladder";

  /** Empties the work folder of an earlier run; refuses a folder the ladder did not create. */
  void reset() {
    if (Files.isDirectory(work)) {
      try (Stream<Path> entries = Files.list(work)) {
        if (entries.findAny().isPresent() && !Files.exists(work.resolve(MARKER))) {
          throw new IllegalStateException("--work " + work + " is not empty and not a ladder work"
              + " folder (no " + MARKER + " file); choose an empty or new folder");
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      deleteRecursively(work);
    }
    try {
      Files.createDirectories(work);
      Files.writeString(work.resolve(MARKER), "work folder of dev.streamlake.ladder.Ladder\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + dir, e);
    }
  }

  /** Parquet files of a Delta table (no deletes happened, so all of them are live). */
  static long dataFiles(Path table) {
    if (!Files.isDirectory(table)) {
      return 0;
    }
    try (Stream<Path> paths = Files.walk(table)) {
      return paths.filter(p -> p.getFileName().toString().endsWith(".parquet"))
          .filter(p -> !p.toString().contains("_delta_log")).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
