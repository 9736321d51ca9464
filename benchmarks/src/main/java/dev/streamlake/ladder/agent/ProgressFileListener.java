package dev.streamlake.ladder.agent;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.spark.sql.streaming.StreamingQueryListener;

/**
 * Writes every streaming query event of the driver as one JSON line to the file named by system
 * property {@value #FILE_PROPERTY}: {@code started} and {@code terminated} with the wall clock,
 * and {@code progress} with Spark's own progress JSON (batch id, input rows, durations).
 *
 * <p>Each line also carries the JVM's CPU time at the event ({@code cpu_ns}): the CPU from the
 * first query's start to its last batch's progress is the queries' own, start-up excluded.
 *
 * <p>Registered from the command line, so the stages run unchanged:
 * {@code --conf spark.sql.streaming.streamingQueryListeners=dev.streamlake.ladder.agent.ProgressFileListener}.
 * Copied as a class file next to Spark's jars; uses only the JDK and Spark's API.
 */
public final class ProgressFileListener extends StreamingQueryListener {
  /** System property: the JSON-lines file events are appended to. */
  public static final String FILE_PROPERTY = "streamlake.ladder.progress";

  private final Path file;

  public ProgressFileListener() {
    String name = System.getProperty(FILE_PROPERTY);
    if (name == null || name.isBlank()) {
      throw new IllegalStateException("ProgressFileListener needs system property " + FILE_PROPERTY);
    }
    this.file = Path.of(name);
  }

  @Override
  public void onQueryStarted(QueryStartedEvent event) {
    write("{\"event\":\"started\",\"at\":" + System.currentTimeMillis() + ",\"cpu_ns\":"
        + cpuNanos() + ",\"id\":\""
        + event.id() + "\",\"name\":" + quote(event.name()) + "}");
  }

  @Override
  public void onQueryProgress(QueryProgressEvent event) {
    write("{\"event\":\"progress\",\"at\":" + System.currentTimeMillis() + ",\"cpu_ns\":"
        + cpuNanos() + ",\"progress\":"
        + event.progress().json() + "}");
  }

  @Override
  public void onQueryIdle(QueryIdleEvent event) {
    write("{\"event\":\"idle\",\"at\":" + System.currentTimeMillis() + ",\"id\":\"" + event.id()
        + "\"}");
  }

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {
    String error = event.exception().isDefined() ? event.exception().get() : null;
    write("{\"event\":\"terminated\",\"at\":" + System.currentTimeMillis() + ",\"id\":\""
        + event.id() + "\",\"exception\":" + quote(error) + "}");
  }

  /** The JVM's CPU time so far (all threads), so CPU can be split into start-up and queries. */
  private static long cpuNanos() {
    Object os = ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun
        ? sun.getProcessCpuTime() : -1;
  }

  private synchronized void write(String line) {
    try {
      Files.writeString(file, line.replace('\n', ' ') + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      System.err.println("ProgressFileListener: cannot write " + file + ": " + e);
    }
  }

  private static String quote(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
