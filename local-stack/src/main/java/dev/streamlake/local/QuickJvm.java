package dev.streamlake.local;

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
    List<String> flags = SharedSettingsFile.entries(FLAGS);
    for (String flag : flags) {
      if (!flag.startsWith("-") || flag.contains(" ")) {
        throw new IllegalStateException(FLAGS + ": not one JVM flag: '" + flag + "'");
      }
    }
    return flags;
  }

  /** The flags as one space-separated string, the form command-line options take. */
  public static String joined() {
    return String.join(" ", flags());
  }
}
