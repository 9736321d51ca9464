package dev.streamlake.common;

/** The three stages. The id names checkpoints, app ids and queries. */
public enum Stage {
  RAW_INGEST("raw-ingest", "kafka-to-raw"),
  DESERIALIZE("deserialize", "raw-to-bronze"),
  MERGE("merge", "bronze-to-gold");

  private final String id;
  private final String query;

  Stage(String id, String query) {
    this.id = id;
    this.query = query;
  }

  public String id() {
    return id;
  }

  /** The name of the stage's one streaming query, which names its checkpoint folder. */
  public String query() {
    return query;
  }
}
