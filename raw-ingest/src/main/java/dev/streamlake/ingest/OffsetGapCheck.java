package dev.streamlake.ingest;

import dev.streamlake.common.CheckpointLog;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 1's start-up check of what Kafka still holds against what its checkpoint says it has
 * read. Spark's Kafka source notices the same only inside a batch, with a message in its own
 * terms; a stage that was stopped for longer than the topic's retention, or whose topic was
 * deleted and created again meanwhile, is told here, before any Spark work, which partitions and
 * offsets are gone and what to do.
 *
 * <p>With {@code --fail-on-data-loss true} (the default) the stage stops
 * ({@link KafkaDataLossException}). With {@code false} it logs the same ranges as a warning and
 * goes on; the ranges stay findable afterwards as gaps in raw's offsets, which the {@code audit}
 * command reports as aged out of Kafka before ingest.
 */
final class OffsetGapCheck {
  private static final Logger LOG = LoggerFactory.getLogger(OffsetGapCheck.class);
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private OffsetGapCheck() {}

  /** One partition whose offsets do not continue where stage 1 stopped reading. */
  record Gap(String topic, int partition, long readUpTo, long earliest, long latest) {
    boolean agedOut() {
      return earliest > readUpTo;
    }

    String describe() {
      String where = "topic '" + topic + "' partition " + partition;
      if (agedOut()) {
        long lost = earliest - readUpTo;
        return where + ": offsets " + readUpTo + " to " + (earliest - 1) + " (" + lost
            + (lost == 1 ? " record" : " records") + ") were deleted before stage 1 read them";
      }
      return where + ": stage 1 has read up to offset " + readUpTo + " but Kafka's newest offset"
          + " is " + latest + ", so the partition was re-created or truncated";
    }
  }

  /** Checks the stage's checkpoint against Kafka; returns the gaps found (after acting on them). */
  static List<Gap> check(RawIngestConfig config, TopicLister lister)
      throws InterruptedException {
    String checkpoint = config.settings().checkpoint(RawIngestQuery.QUERY);
    Map<String, Map<Integer, Long>> read;
    try {
      Optional<CheckpointLog.Committed> committed = CheckpointLog.newestCommitted(checkpoint);
      if (committed.isEmpty() || committed.get().sourceOffsets().isEmpty()) {
        return List.of();
      }
      read = CheckpointLog.kafkaOffsets(committed.get().sourceOffsets().get(0));
    } catch (IOException | RuntimeException e) {
      LOG.warn("Cannot read the Kafka offsets in stage 1's checkpoint {} ({}): not checking them"
          + " against Kafka before starting", checkpoint, e.toString());
      return List.of();
    }
    Map<String, Set<Integer>> partitions = new TreeMap<>();
    read.forEach((topic, offsets) -> partitions.put(topic, new TreeSet<>(offsets.keySet())));
    List<TopicLister.PartitionOffsets> held;
    try {
      held = lister.offsets(partitions, TIMEOUT);
    } catch (TopicLister.NotAnswering | TopicLister.ListingFailed e) {
      LOG.warn("Cannot read the offsets Kafka at {} holds ({}): not checking stage 1's checkpoint"
          + " against them before starting", config.bootstrapServers(), e.getMessage());
      return List.of();
    }
    List<Gap> gaps = gaps(read, held);
    if (gaps.isEmpty()) {
      return gaps;
    }
    String message = message(gaps, config.failOnDataLoss());
    if (config.failOnDataLoss()) {
      throw new KafkaDataLossException(message);
    }
    LOG.warn(message);
    return gaps;
  }

  /** The partitions whose held offsets do not continue from the offsets read. */
  static List<Gap> gaps(Map<String, Map<Integer, Long>> read,
      List<TopicLister.PartitionOffsets> held) {
    List<Gap> gaps = new ArrayList<>();
    for (TopicLister.PartitionOffsets p : held) {
      Long upTo = read.getOrDefault(p.topic(), Map.of()).get(p.partition());
      if (upTo != null && (p.earliest() > upTo || p.latest() < upTo)) {
        gaps.add(new Gap(p.topic(), p.partition(), upTo, p.earliest(), p.latest()));
      }
    }
    return gaps;
  }

  static String message(List<Gap> gaps, boolean failOnDataLoss) {
    StringBuilder m = new StringBuilder("Kafka no longer holds what stage 1 would read next: ");
    for (int i = 0; i < gaps.size(); i++) {
      m.append(i == 0 ? "" : "; ").append(gaps.get(i).describe());
    }
    m.append(". Those records cannot be read any more.");
    boolean recreated = gaps.stream().anyMatch(g -> !g.agedOut());
    if (failOnDataLoss) {
      m.append(" Stage 1 stops because --fail-on-data-loss is true.");
      m.append(" To ingest what Kafka still holds and accept the loss, start it once with"
          + " --fail-on-data-loss false; the lost offsets stay visible as gaps in raw, which the"
          + " audit command reports.");
      if (recreated) {
        m.append(" A re-created topic starts its offsets again at 0, so its records would repeat"
            + " the (topic, partition, offset) of records raw already has: give the new topic"
            + " another name, or start stage 1 with a new checkpoint and a new raw table.");
      }
    } else {
      m.append(" Going on because --fail-on-data-loss is false: Spark's Kafka source reads each"
          + " partition from the earliest offset Kafka holds.");
    }
    return m.toString();
  }
}
