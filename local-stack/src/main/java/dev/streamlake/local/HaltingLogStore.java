package dev.streamlake.local;

import io.delta.storage.HDFSLogStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Iterator;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Delta's log store for local paths with a fault hook for the chaos run: when armed, it halts the
 * JVM right after a Delta commit file is written, that is after the table moved on and before
 * Spark writes the streaming checkpoint's commit file for the batch. That is the one moment a
 * kill -9 from outside hits only by luck, and where a stage's exactly-once writes can break.
 *
 * <p>A driver uses it with {@code -Dspark.delta.logStore.file.impl=} this class and
 * {@code -D}{@value #ARM_FILE_PROPERTY}{@code =<file>}. It does nothing while that file is absent.
 * Created holding a number N (or nothing for 0), it lets N more commits pass, then writes the
 * committed file's path to {@code <file>.halted}, deletes {@code <file>} and halts with
 * {@value #EXIT_CODE} (as SIGKILL does: no shutdown hook runs). Other writes (checkpoint
 * pointers, overwrites) pass through.
 *
 * <p>Copied as a class file onto a stage driver's classpath ({@link StageProcess}), so it uses only
 * the JDK, Hadoop and Delta's storage jar, and has no nested class.
 */
public final class HaltingLogStore extends HDFSLogStore {
  public static final String ARM_FILE_PROPERTY = "streamlake.fault.halt-after-commit";
  /** 128 + SIGKILL, what a shell reports for kill -9. */
  public static final int EXIT_CODE = 137;
  private static final Pattern COMMIT_FILE = Pattern.compile("\\d{20}\\.json");

  public HaltingLogStore(Configuration conf) {
    super(conf);
  }

  @Override
  public void write(Path path, Iterator<String> actions, Boolean overwrite, Configuration conf)
      throws IOException {
    super.write(path, actions, overwrite, conf);
    if (!overwrite && COMMIT_FILE.matcher(path.getName()).matches()) {
      haltIfArmed(path);
    }
  }

  private static synchronized void haltIfArmed(Path committed) {
    String armFile = System.getProperty(ARM_FILE_PROPERTY);
    if (armFile == null) {
      return;
    }
    java.nio.file.Path arm = Paths.get(armFile);
    try {
      if (!Files.exists(arm)) {
        return;
      }
      String content = Files.readString(arm, StandardCharsets.UTF_8).trim();
      int pass = content.isEmpty() ? 0 : Integer.parseInt(content);
      if (pass > 0) {
        Files.writeString(arm, Integer.toString(pass - 1), StandardCharsets.UTF_8);
        return;
      }
      Files.writeString(arm.resolveSibling(arm.getFileName() + ".halted"), committed.toString(),
          StandardCharsets.UTF_8);
      Files.delete(arm);
    } catch (IOException | NumberFormatException e) {
      // Disarmed while being read (the run gave up waiting): the commit stands, the stage goes on.
      return;
    }
    Runtime.getRuntime().halt(EXIT_CODE);
  }
}
