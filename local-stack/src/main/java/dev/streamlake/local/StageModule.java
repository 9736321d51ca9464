package dev.streamlake.local;

/**
 * The modules whose jar runs as a Spark driver: the three stages, the one-driver launcher and the
 * operator commands. Their
 * main classes are not repeated here: each module's pom names it ({@code main.class}), the build
 * writes it into the jar's manifest, and {@link StageJars#mainClass} reads it from there.
 */
public enum StageModule {
  RAW_INGEST("raw-ingest"),
  DESERIALIZE("deserialize"),
  MERGE("merge"),
  ALL_IN_ONE("launcher"),
  OPS("ops");

  private final String module;

  StageModule(String module) {
    this.module = module;
  }

  /** The module's folder and artifact id. */
  public String module() {
    return module;
  }
}
