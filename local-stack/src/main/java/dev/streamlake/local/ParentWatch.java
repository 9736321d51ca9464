package dev.streamlake.local;

import java.io.IOException;
import java.io.InputStream;

/**
 * Ties a child JVM's life to its parent's. The parent keeps the write end of the child's stdin
 * open and never writes to it; the kernel closes it when the parent exits for any reason, kill -9
 * included, and the child then reads EOF. On EOF the child exits through its shutdown hooks and
 * halts anyway if they take too long.
 *
 * <p>Copied as a class file onto children's classpaths next to jars that are not ours ({@link
 * ClassFiles}), so it uses only the JDK: no other project class, no nested or anonymous class
 * (lambdas are fine, they are generated at run time).
 */
public final class ParentWatch {
  private ParentWatch() {}

  /**
   * Starts a daemon thread that waits for EOF on stdin, then calls {@code System.exit(status)} and
   * halts with status 1 after {@code haltAfterMs} if the shutdown hooks have not finished by then.
   *
   * @param who names the process in the lines it prints to stderr
   */
  public static void start(String who, long haltAfterMs, int status) {
    Thread watcher = new Thread(() -> await(System.in, who, haltAfterMs, status), "parent-watcher");
    watcher.setDaemon(true);
    watcher.start();
  }

  private static void await(InputStream stdin, String who, long haltAfterMs, int status) {
    byte[] buffer = new byte[256];
    try {
      while (stdin.read(buffer) != -1) {
        // The parent never writes; anything read is ignored.
      }
    } catch (IOException e) {
      // A broken stdin means the parent is gone just as EOF does.
    }
    System.err.println(who + ": parent process is gone (stdin closed); stopping");
    Thread halter = new Thread(() -> {
      try {
        Thread.sleep(haltAfterMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      System.err.println(who + ": clean shutdown took too long; halting");
      Runtime.getRuntime().halt(1);
    }, "parent-gone-halter");
    halter.setDaemon(true);
    halter.start();
    System.exit(status);
  }
}
