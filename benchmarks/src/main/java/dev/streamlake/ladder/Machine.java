package dev.streamlake.ladder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** What the numbers were measured on: cores, memory, load, JVM and OS. */
public final class Machine {
  private Machine() {}

  /** {@code /proc/loadavg}'s 1, 5 and 15 minute load averages, e.g. "3.80 4.95 6.58". */
  public static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "n/a";
    }
  }

  /** The 1-minute load average as a number; NaN when unknown. */
  static double load1(String loadAverage) {
    try {
      return Double.parseDouble(loadAverage.split(" ")[0]);
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  static int cores() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** The "Mem:" line of {@code free -g}: total, used, free, shared, buff/cache, available (GiB). */
  static String freeGiB() {
    return command("free", "-g").lines().filter(l -> l.startsWith("Mem:")).findFirst()
        .map(l -> l.replaceAll("\\s+", " ").trim()).orElse("n/a");
  }

  static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name")).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("n/a");
    } catch (IOException e) {
      return "n/a";
    }
  }

  static String os() {
    return System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
        + System.getProperty("os.arch");
  }

  static String java() {
    return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
  }

  private static String command(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor(10, TimeUnit.SECONDS);
      return out;
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
