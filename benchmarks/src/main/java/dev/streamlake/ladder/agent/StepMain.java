package dev.streamlake.ladder.agent;

import dev.streamlake.local.ParentWatch;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.TreeMap;

/**
 * Entry point of every child JVM the ladder starts: {@code StepMain <main class> <args...>}.
 *
 * <p>It does two things around the real main (Spark's {@code SparkSubmit}, or a plain job):
 * <ul>
 *   <li>At exit, from a shutdown hook, it writes what the JVM used to the file named by system
 *       property {@value #METRICS_PROPERTY}: process CPU time (all threads, JIT and GC included),
 *       the sum of the heap pools' peaks, the peak resident set ({@code VmHWM}), GC counts and
 *       time, and the CPU of each live thread by name. The parent cannot read {@code /proc/<pid>/stat} of a child that has already exited,
 *       so the child reports itself.
 *   <li>It dies with the ladder: the parent holds the write end of this process's stdin and
 *       never writes; EOF means the parent is gone (kill -9 included), and the JVM exits.
 * </ul>
 *
 * <p>Copied as a class file onto the child's classpath next to Spark's jars, with {@link
 * ParentWatch} and {@link ProgressFileListener}, so it uses only the JDK and those: no nested or
 * anonymous class (lambdas are fine).
 */
public final class StepMain {
  /** System property: the file the metrics are written to at exit. */
  public static final String METRICS_PROPERTY = "streamlake.ladder.metrics";

  /** How long the shutdown hooks may take once the ladder is gone. */
  private static final long HALT_AFTER_MS = 20_000;

  private StepMain() {}

  public static void main(String[] args) throws Throwable {
    if (args.length < 1) {
      System.err.println("usage: StepMain <main class> [args...]");
      System.exit(2);
    }
    String metrics = System.getProperty(METRICS_PROPERTY);
    if (metrics != null && !metrics.isBlank()) {
      Path file = Path.of(metrics);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> writeMetrics(file), "ladder-metrics"));
    }
    ParentWatch.start("StepMain", HALT_AFTER_MS, 1);

    Method main = Class.forName(args[0]).getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      e.getCause().printStackTrace();
      System.exit(1);
    }
    // The job is done; Spark's own shutdown hooks stop what is left.
    System.exit(0);
  }

  private static void writeMetrics(Path file) {
    StringBuilder b = new StringBuilder();
    Object os = ManagementFactory.getOperatingSystemMXBean();
    long cpu = os instanceof com.sun.management.OperatingSystemMXBean sun
        ? sun.getProcessCpuTime() : -1;
    b.append("cpu_ns=").append(cpu).append('\n');
    b.append("uptime_ms=").append(ManagementFactory.getRuntimeMXBean().getUptime()).append('\n');
    long pools = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        pools += pool.getPeakUsage().getUsed();
      }
    }
    b.append("heap_pool_peaks_bytes=").append(pools).append('\n');
    b.append("heap_max_bytes=").append(Runtime.getRuntime().maxMemory()).append('\n');
    long gcCount = 0;
    long gcMs = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      gcCount += Math.max(0, gc.getCollectionCount());
      gcMs += Math.max(0, gc.getCollectionTime());
    }
    b.append("gc_count=").append(gcCount).append('\n');
    b.append("gc_ms=").append(gcMs).append('\n');
    b.append("rss_peak_bytes=").append(peakRss()).append('\n');
    appendThreadCpu(b);
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, b.toString(), StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      System.err.println("StepMain: cannot write metrics to " + file + ": " + e);
    }
  }

  /**
   * CPU of each native thread still alive, JIT compiler and GC threads included (which no Java
   * profile shows), summed by name with digits as N: {@code thread_cpu_ns.<name>=<ns>}. From
   * {@code /proc/self/task/<tid>/stat} (utime + stime, in clock ticks of 10 ms).
   */
  private static void appendThreadCpu(StringBuilder b) {
    TreeMap<String, Long> byName = new TreeMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path task : tasks) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException gone) {
          continue;
        }
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open) {
          continue;
        }
        String name = stat.substring(open + 1, close).replaceAll("[0-9]+", "N")
            .replaceAll("[^A-Za-z0-9#.-]+", "_");
        String[] f = stat.substring(close + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        byName.merge(name, ticks * 10_000_000L, Long::sum);
      }
    } catch (IOException | RuntimeException e) {
      return;
    }
    for (String name : byName.keySet()) {
      b.append("thread_cpu_ns.").append(name).append('=').append(byName.get(name)).append('\n');
    }
  }

  /** VmHWM of /proc/self/status in bytes; -1 where there is none. */
  public static long peakRss() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
