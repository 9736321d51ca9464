package dev.streamlake.local;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Entry point of the forked broker JVM: {@code BrokerProcess <main class> <args...>}.
 *
 * <p>It ties the broker's life to its parent's ({@link ParentWatch}): when the parent is gone it
 * exits through the normal shutdown hooks (Kafka's clean shutdown) and halts anyway if that takes
 * longer than {@link #HALT_AFTER_MS}.
 *
 * <p>This class and {@link ParentWatch} are copied as class files onto the child's classpath next
 * to Kafka's or Spark's jars, so what runs in the child uses only the JDK and that class: no
 * nested or anonymous class (lambdas are fine, they are generated at run time).
 */
public final class BrokerProcess {
  static final long HALT_AFTER_MS = 10_000;

  private BrokerProcess() {}

  public static void main(String[] args) throws Throwable {
    if (args.length < 1) {
      System.err.println("usage: BrokerProcess <main class> [args...]");
      System.exit(2);
    }
    ParentWatch.start("BrokerProcess", HALT_AFTER_MS, 0);

    Method main = Class.forName(args[0]).getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /**
   * Copies this class's file and {@link ParentWatch}'s into {@code dir/bootstrap-classes} and
   * returns that folder, for the child's classpath.
   */
  static Path copyClassFiles(Path dir) {
    return ClassFiles.copy(dir.resolve("bootstrap-classes"), BrokerProcess.class, ParentWatch.class);
  }
}
