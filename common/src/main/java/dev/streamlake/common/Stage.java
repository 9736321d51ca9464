package dev.streamlake.common;

/** The three stages. The id names checkpoints, app ids and queries. */
public enum Stage {
  RAW_INGEST("raw-ingest"),
  DESERIALIZE("deserialize"),
  MERGE("merge");

  private final String id;

  Stage(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }
}
