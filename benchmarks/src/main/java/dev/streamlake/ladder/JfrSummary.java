package dev.streamlake.ladder;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * What a flight recording says dominates a run: JDK Flight Recorder's execution samples (Java
 * threads on CPU, every 20 ms with the "default" settings) by top frame, by component anywhere on
 * the stack (inclusive), and by thread; and the garbage collector's pauses.
 */
record JfrSummary(long samples, Map<String, Long> topMethods, Map<String, Long> components,
    Map<String, Long> threads, int gcCount, Duration gcPauses) {

  /** Library areas worth telling apart, by class-name prefix; a sample counts once per area. */
  static final Map<String, List<String>> COMPONENTS = componentPrefixes();

  private static Map<String, List<String>> componentPrefixes() {
    Map<String, List<String>> m = new LinkedHashMap<>();
    m.put("StreamLake code (dev.streamlake)", List.of("dev.streamlake."));
    m.put("Spark codegen compile (janino)", List.of("org.codehaus.janino.", "org.codehaus.commons."));
    m.put("Spark query planning (analyzer, optimizer)",
        List.of("org.apache.spark.sql.catalyst.analysis.", "org.apache.spark.sql.catalyst.optimizer.",
            "org.apache.spark.sql.execution.SparkStrategies", "org.apache.spark.sql.execution.QueryExecution"));
    m.put("Delta (org.apache.spark.sql.delta, io.delta)",
        List.of("org.apache.spark.sql.delta.", "io.delta."));
    m.put("Parquet read/write (org.apache.parquet)", List.of("org.apache.parquet."));
    m.put("compression (snappy, zstd, lz4, zip)",
        List.of("org.xerial.snappy.", "com.github.luben.zstd.", "net.jpountz.", "java.util.zip."));
    m.put("Kafka client (org.apache.kafka)", List.of("org.apache.kafka."));
    m.put("Avro (org.apache.avro, spark-avro)", List.of("org.apache.avro.", "org.apache.spark.sql.avro."));
    m.put("Hadoop file system (org.apache.hadoop)", List.of("org.apache.hadoop."));
    m.put("JSON (jackson, json4s)", List.of("com.fasterxml.jackson.", "org.json4s."));
    m.put("class loading and reflection",
        List.of("java.lang.ClassLoader.", "jdk.internal.loader.", "java.net.URLClassLoader",
            "jdk.internal.reflect."));
    return m;
  }

  static JfrSummary read(Path file, int top) throws IOException {
    Map<String, Long> methods = new HashMap<>();
    Map<String, Long> comps = new LinkedHashMap<>();
    Map<String, Long> threads = new HashMap<>();
    long samples = 0;
    int gcs = 0;
    Duration pauses = Duration.ZERO;
    try (RecordingFile recording = new RecordingFile(file)) {
      while (recording.hasMoreEvents()) {
        RecordedEvent e = recording.readEvent();
        String type = e.getEventType().getName();
        if (type.equals("jdk.GarbageCollection")) {
          gcs++;
          pauses = pauses.plus(e.getDuration("sumOfPauses"));
        } else if (type.equals("jdk.ExecutionSample")) {
          RecordedStackTrace st = e.getStackTrace();
          if (st == null || st.getFrames().isEmpty()) {
            continue;
          }
          samples++;
          List<RecordedFrame> frames = st.getFrames();
          methods.merge(name(frames.get(0)), 1L, Long::sum);
          Set<String> seen = new HashSet<>();
          for (RecordedFrame f : frames) {
            String n = name(f);
            for (Map.Entry<String, List<String>> c : COMPONENTS.entrySet()) {
              if (!seen.contains(c.getKey()) && c.getValue().stream().anyMatch(n::startsWith)) {
                seen.add(c.getKey());
              }
            }
          }
          for (String c : seen) {
            comps.merge(c, 1L, Long::sum);
          }
          var thread = e.getThread("sampledThread");
          String t = thread == null ? "?" : thread.getJavaName();
          threads.merge(t == null ? "?" : t.replaceAll("[0-9]+", "N"), 1L, Long::sum);
        }
      }
    }
    return new JfrSummary(samples, topN(methods, top), sorted(comps), topN(threads, 8), gcs, pauses);
  }

  private static String name(RecordedFrame f) {
    if (f.getMethod() == null) {
      return "?";
    }
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static Map<String, Long> topN(Map<String, Long> m, int n) {
    Map<String, Long> out = new LinkedHashMap<>();
    m.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  private static Map<String, Long> sorted(Map<String, Long> m) {
    return topN(m, m.size());
  }
}
