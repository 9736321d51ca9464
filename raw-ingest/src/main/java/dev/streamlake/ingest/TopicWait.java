package dev.streamlake.ingest;

import dev.streamlake.common.Durations;
import java.time.Duration;

/**
 * How long stage 1 waits at start for its topics to exist ({@code --wait-for-topic}): a limit, or
 * forever (limit null). Zero checks once and does not wait.
 */
record TopicWait(Duration limit) {

  static final TopicWait FOREVER = new TopicWait(null);

  TopicWait {
    if (limit != null && limit.isNegative()) {
      throw new IllegalArgumentException("a wait limit cannot be negative: " + limit);
    }
  }

  boolean forever() {
    return limit == null;
  }

  /** As the command line writes it: {@code forever}, {@code 5m}, {@code 30s}. */
  @Override
  public String toString() {
    return forever() ? "forever" : Durations.format(limit);
  }
}
