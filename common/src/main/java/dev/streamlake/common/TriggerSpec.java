package dev.streamlake.common;

import java.time.Duration;
import java.util.Locale;
import org.apache.spark.sql.streaming.Trigger;

/**
 * When a streaming query runs its micro-batches: {@code availableNow} (process what is there, then
 * stop: backfills, scheduled runs, tests) or {@code processingTime:<duration>} (always on).
 */
public record TriggerSpec(Kind kind, Duration interval) {

  public enum Kind {
    AVAILABLE_NOW,
    PROCESSING_TIME
  }

  static final String ALLOWED =
      "availableNow, processingTime:<duration> with a duration such as 500ms, 30s, 15m or 1h, or"
          + " default (the stage's own)";

  /** Names the stage's default trigger, so one job parameter can hold "each stage's own". */
  static final String DEFAULT = "default";

  public TriggerSpec {
    if (kind == Kind.PROCESSING_TIME && (interval == null || interval.isNegative())) {
      throw new IllegalArgumentException("processingTime needs a non-negative interval");
    }
  }

  public static TriggerSpec availableNow() {
    return new TriggerSpec(Kind.AVAILABLE_NOW, null);
  }

  public static TriggerSpec processingTime(Duration interval) {
    return new TriggerSpec(Kind.PROCESSING_TIME, interval);
  }

  /** Parses the {@code --trigger} value; {@code setting} names it in the error. */
  public static TriggerSpec parse(String setting, String value) {
    return parse(setting, value, null);
  }

  /**
   * Parses the {@code --trigger} value, where {@code default} means {@code stageDefault} (when
   * there is one).
   */
  static TriggerSpec parse(String setting, String value, TriggerSpec stageDefault) {
    if (value == null || value.isBlank()) {
      throw ConfigException.invalid(setting, value, ALLOWED);
    }
    String text = value.trim();
    if (stageDefault != null && text.equalsIgnoreCase(DEFAULT)) {
      return stageDefault;
    }
    if (text.equalsIgnoreCase("availableNow")) {
      return availableNow();
    }
    String prefix = "processingtime:";
    if (text.toLowerCase(Locale.ROOT).startsWith(prefix)) {
      Duration d = Durations.parse(text.substring(prefix.length()));
      if (d != null) {
        return processingTime(d);
      }
    }
    throw ConfigException.invalid(setting, value, ALLOWED);
  }

  public Trigger toTrigger() {
    return kind == Kind.AVAILABLE_NOW
        ? Trigger.AvailableNow()
        : Trigger.ProcessingTime(interval.toMillis());
  }

  public boolean isAvailableNow() {
    return kind == Kind.AVAILABLE_NOW;
  }

  @Override
  public String toString() {
    return kind == Kind.AVAILABLE_NOW ? "availableNow" : "processingTime:" + Durations.format(interval);
  }
}
