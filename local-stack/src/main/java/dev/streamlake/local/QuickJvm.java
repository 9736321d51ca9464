package dev.streamlake.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The JVM flags of the small local JVMs (stage drivers, probed jars, the local cluster), kept once
 * in {@value #FLAGS} next to this class for the Java code and scripts/lib.sh alike; the file says
 * why each flag is there.
 */
public final class QuickJvm {
  /** The flags file, a resource of this package and a file of local-stack's sources. */
  public static final String FLAGS = "quick-jvm.flags";

  private QuickJvm() {}

  /** The flags of {@value #FLAGS}, in file order. */
  public static List<String> flags() {
    try (InputStream in = QuickJvm.class.getResourceAsStream(FLAGS)) {
      if (in == null) {
        throw new IllegalStateException("Cannot find " + FLAGS + " (module local-stack) on the classpath");
      }
      List<String> flags = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
          .map(String::strip)
          .filter(line -> !line.isEmpty() && !line.startsWith("#"))
          .toList();
      for (String flag : flags) {
        if (!flag.startsWith("-") || flag.contains(" ")) {
          throw new IllegalStateException(FLAGS + ": not one JVM flag: '" + flag + "'");
        }
      }
      return flags;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + FLAGS, e);
    }
  }

  /** The flags as one space-separated string, the form command-line options take. */
  public static String joined() {
    return String.join(" ", flags());
  }
}
