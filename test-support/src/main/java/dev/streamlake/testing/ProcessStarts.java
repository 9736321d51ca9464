package dev.streamlake.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordingFile;

/** The processes this JVM starts while an action runs, from the JDK's own flight recorder. */
public final class ProcessStarts {
  private ProcessStarts() {}

  public interface Action {
    void run() throws Exception;
  }

  /** The command lines of the processes started while {@code action} ran. */
  public static List<String> during(Action action) throws Exception {
    Path file = Files.createTempFile("process-starts", ".jfr");
    try {
      try (Recording r = new Recording()) {
        r.enable("jdk.ProcessStart");
        r.start();
        action.run();
        r.stop();
        r.dump(file);
      }
      return RecordingFile.readAllEvents(file).stream()
          .filter(e -> e.getEventType().getName().equals("jdk.ProcessStart"))
          .map(e -> e.getString("command"))
          .toList();
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
