package dev.streamlake.ladder;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The rungs of the ladder, by the name {@code --steps} takes. */
enum Step {
  DRAIN("drain", "limit.kafka-drain", "plain KafkaConsumer drain of the topic (in-process)"),
  DECODE("decode", "limit.avro-decode", "plain Avro decode loop over the topic's payloads, one thread (in-process)"),
  BATCH_WRITE("batch-write", "limit.batch-write", "Spark batch job: Kafka read, Delta write of the same rows"),
  COPY("copy", "limit.raw-copy", "raw -> Delta copy without decoding, streaming availableNow (stage 2's I/O floor)"),
  TEXTBOOK("textbook", "anchor.textbook", "textbook Kafka -> Delta stream, checkpoint, availableNow"),
  TEXTBOOK_POLLS("textbook-polls", "control.textbook-polls", "the textbook job with stage 1's Kafka poll size (what the setting alone buys)"),
  MONOLITH("monolith", "anchor.monolith", "the seed's monolith: from_avro, rules filter, MERGE per 200,000 offsets"),
  STAGE1("stage1", "stage1.raw-ingest", "stage 1 jar, availableNow"),
  STAGE2("stage2", "stage2.deserialize", "stage 2 jar, availableNow, on stage 1's raw"),
  STAGE3("stage3", "stage3.merge", "stage 3 jar, availableNow, on stage 2's bronze"),
  FIXED_COST("fixed-cost", "fixed-cost", "each stage at four batch sizes; time = a + b * records"),
  GOLD_SCALE("gold-scale", "gold-scale", "stage 3: one batch into gold of two sizes"),
  MEMORY("memory", "memory", "each stage with a 1 GiB driver heap on a large backlog"),
  FRESHNESS("freshness", "freshness", "shape 1 (one driver), 1 s triggers, producer at fixed rates");

  final String cliName;
  final String figureName;
  final String description;

  Step(String cliName, String figureName, String description) {
    this.cliName = cliName;
    this.figureName = figureName;
    this.description = description;
  }

  /** The steps of a comma-separated list, or all for "all". */
  static Set<Step> parse(String list) {
    if (list == null || list.isBlank() || list.trim().equalsIgnoreCase("all")) {
      return EnumSet.allOf(Step.class);
    }
    Set<Step> out = EnumSet.noneOf(Step.class);
    for (String part : list.split(",")) {
      String name = part.trim().toLowerCase(Locale.ROOT);
      Step found = null;
      for (Step s : values()) {
        if (s.cliName.equals(name)) {
          found = s;
        }
      }
      if (found == null) {
        throw new IllegalArgumentException("Invalid value for --steps: '" + part.trim()
            + "'. Allowed: all, or a comma-separated list of " + names());
      }
      out.add(found);
    }
    return out;
  }

  static String names() {
    StringBuilder b = new StringBuilder();
    for (Step s : values()) {
      b.append(b.length() == 0 ? "" : ", ").append(s.cliName);
    }
    return b.toString();
  }
}
