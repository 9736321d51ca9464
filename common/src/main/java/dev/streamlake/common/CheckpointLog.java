package dev.streamlake.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A streaming query's progress as Spark keeps it in the checkpoint: {@code offsets/<batch>}
 * (written when a batch is planned: a version line, the batch's metadata as JSON, then one line
 * per source with the offset the batch reads up to) and {@code commits/<batch>} (written when the
 * batch's sink commit is done). The newest batch with a commit file is what the query has
 * finished; read through Hadoop with Spark's {@code spark.hadoop.*} settings, so any checkpoint
 * location the stages write works here.
 */
public final class CheckpointLog {
  private CheckpointLog() {}

  /**
   * The newest finished batch.
   *
   * @param metadata the offset log's metadata line (JSON: {@code batchWatermarkMs},
   *     {@code batchTimestampMs}, {@code conf})
   * @param sourceOffsets one JSON line per source, in the query's source order
   * @param committedAt when the commit file was written
   */
  public record Committed(long batch, String metadata, List<String> sourceOffsets,
      Instant committedAt, String offsetFile) {}

  /** The newest finished batch of the query checkpointed at {@code checkpoint}; empty when none. */
  public static Optional<Committed> newestCommitted(String checkpoint) throws IOException {
    Path root = new Path(checkpoint);
    FileSystem fs = root.getFileSystem(HadoopFiles.hadoopConfiguration());
    Path commits = new Path(root, "commits");
    if (!fs.exists(commits)) {
      return Optional.empty();
    }
    long newest = -1;
    FileStatus newestStatus = null;
    for (FileStatus f : fs.listStatus(commits)) {
      String name = f.getPath().getName();
      if (f.isFile() && name.matches("\\d+")) {
        long batch = Long.parseLong(name);
        if (batch > newest) {
          newest = batch;
          newestStatus = f;
        }
      }
    }
    if (newestStatus == null) {
      return Optional.empty();
    }
    Path offsets = new Path(new Path(root, "offsets"), Long.toString(newest));
    String text;
    try (InputStream in = fs.open(offsets)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
    if (lines.size() < 3 || !lines.get(0).startsWith("v")) {
      throw new IOException("Offset log " + offsets + " is not one Spark wrote: " + lines.size()
          + " lines");
    }
    return Optional.of(new Committed(newest, lines.get(1), lines.subList(2, lines.size()),
        Instant.ofEpochMilli(newestStatus.getModificationTime()), offsets.toString()));
  }

  /** The Kafka source's offset JSON: {@code {"topic":{"0":123,"1":456}}}. */
  public static Map<String, Map<Integer, Long>> kafkaOffsets(String json) throws IOException {
    JsonNode root = JSON.readTree(json);
    Map<String, Map<Integer, Long>> offsets = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> topics = root.fields(); topics.hasNext(); ) {
      Map.Entry<String, JsonNode> topic = topics.next();
      Map<Integer, Long> partitions = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> ps = topic.getValue().fields(); ps.hasNext(); ) {
        Map.Entry<String, JsonNode> p = ps.next();
        partitions.put(Integer.parseInt(p.getKey()), p.getValue().asLong());
      }
      offsets.put(topic.getKey(), partitions);
    }
    return offsets;
  }

  private static final ObjectMapper JSON = new ObjectMapper();
}
