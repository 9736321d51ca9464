package dev.streamlake.local;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

/**
 * Entry point of the forked broker JVM: {@code BrokerProcess <main class> <args...>}.
 *
 * <p>It ties the broker's life to its parent's. The parent keeps the write end of this process's
 * stdin open and never writes to it; the kernel closes it when the parent exits for any reason,
 * kill -9 included, and this process then reads EOF. On EOF it exits through the normal shutdown
 * hooks (Kafka's clean shutdown) and halts anyway if that takes longer than {@link #HALT_AFTER_MS}.
 *
 * <p>This class is copied as a single class file onto the broker's classpath next to Kafka's jars,
 * so it must use only the JDK: no other project class, no nested or anonymous class (lambdas are
 * fine, they are generated at run time).
 */
public final class BrokerProcess {
  static final long HALT_AFTER_MS = 10_000;

  private BrokerProcess() {}

  public static void main(String[] args) throws Throwable {
    if (args.length < 1) {
      System.err.println("usage: BrokerProcess <main class> [args...]");
      System.exit(2);
    }
    Thread watcher = new Thread(() -> watchParent(System.in), "parent-watcher");
    watcher.setDaemon(true);
    watcher.start();

    Method main = Class.forName(args[0]).getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /**
   * Copies this class file into {@code dir/bootstrap-classes} and returns that folder: a child's
   * classpath then holds its own jars and this one class, never this module's other classes or
   * dependencies.
   */
  static Path copyClassFile(Path dir) throws IOException {
    String resource = BrokerProcess.class.getName().replace('.', '/') + ".class";
    Path root = dir.resolve("bootstrap-classes");
    Path target = root.resolve(resource);
    Files.createDirectories(target.getParent());
    try (InputStream in = BrokerProcess.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("Cannot find class file " + resource + " on the classpath");
      }
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
    return root;
  }

  private static void watchParent(InputStream stdin) {
    byte[] buffer = new byte[256];
    try {
      while (stdin.read(buffer) != -1) {
        // The parent never writes; anything read is ignored.
      }
    } catch (IOException e) {
      // A broken stdin means the parent is gone just as EOF does.
    }
    System.err.println("BrokerProcess: parent process is gone (stdin closed); stopping");
    Thread halter =
        new Thread(
            () -> {
              try {
                Thread.sleep(HALT_AFTER_MS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              System.err.println("BrokerProcess: clean shutdown took too long; halting");
              Runtime.getRuntime().halt(1);
            },
            "parent-gone-halter");
    halter.setDaemon(true);
    halter.start();
    System.exit(0);
  }
}
