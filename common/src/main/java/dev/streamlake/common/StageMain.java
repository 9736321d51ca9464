package dev.streamlake.common;

import java.io.PrintStream;
import java.util.function.IntConsumer;

/**
 * How every job's {@code main} ends on a bad setting. Run by {@code java} or {@code spark-submit},
 * it prints the {@link ConfigException}'s one-line message to stderr and exits with
 * {@value #BAD_SETTING}: the message is the whole story, a stack trace under it only hides it. On
 * Databricks a JAR task must not call {@code System.exit}, so there the exception is thrown on
 * and the task fails with the same message.
 */
public final class StageMain {

  /** The exit status of a bad setting; any other failure ends the JVM as it did before. */
  public static final int BAD_SETTING = 2;

  /** A job's work, given its command line. */
  @FunctionalInterface
  public interface Body {
    void run(String[] args) throws Exception;
  }

  private StageMain() {}

  public static void run(String[] args, Body body) throws Exception {
    run(args, body, SparkSessions.onDatabricks(), System.err,
        System::exit);
  }

  static void run(String[] args, Body body, boolean onDatabricks, PrintStream err,
      IntConsumer exit) throws Exception {
    try {
      body.run(args);
    } catch (ConfigException e) {
      if (onDatabricks) {
        throw e;
      }
      err.println(e.getMessage());
      err.flush();
      exit.accept(BAD_SETTING);
    }
  }
}
