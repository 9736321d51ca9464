package dev.streamlake.common;

import java.net.URI;

/**
 * The one owner of where tables and checkpoints live. Without a catalog, everything is under the
 * lake root:
 *
 * <pre>
 * &lt;lake&gt;/raw/&lt;pipeline&gt;           &lt;lake&gt;/bronze/&lt;pipeline&gt;
 * &lt;lake&gt;/dead_letter/&lt;pipeline&gt;   &lt;lake&gt;/gold/&lt;pipeline&gt;
 * &lt;lake&gt;/_checkpoints/&lt;pipeline&gt;/&lt;stage&gt;/&lt;query&gt;
 * </pre>
 *
 * With a {@link CatalogSchema} the tables are {@code <catalog>.<schema>.raw_<pipeline>} and so on,
 * and the lake root holds only the checkpoints (on Databricks, a volume path
 * {@code /Volumes/<catalog>/<schema>/<volume>}). A table given explicitly in config (a path or a
 * catalog name) overrides its place here; the checkpoints always follow this layout, so they
 * live on a file system even when the tables live in a catalog.
 */
public record LakeLayout(String root, String pipeline, CatalogSchema catalogSchema) {

  public LakeLayout {
    if (root == null || root.isBlank()) {
      throw new IllegalArgumentException("lake root is empty");
    }
    root = stripTrailingSlash(root.trim());
  }

  /** Path tables under {@code root}. */
  public LakeLayout(String root, String pipeline) {
    this(root, pipeline, null);
  }

  public TableRef raw() {
    return table("raw");
  }

  public TableRef bronze() {
    return table("bronze");
  }

  public TableRef deadLetter() {
    return table("dead_letter");
  }

  public TableRef gold() {
    return table("gold");
  }

  private TableRef table(String kind) {
    return catalogSchema == null
        ? TableRef.path(join(kind, pipeline))
        : catalogSchema.table(kind + "_" + pipeline);
  }

  /** The checkpoint of one query of one stage. */
  public String checkpoint(Stage stage, String query) {
    return join("_checkpoints", pipeline, stage.id(), query);
  }

  private String join(String... parts) {
    StringBuilder b = new StringBuilder(root);
    for (String p : parts) {
      b.append('/').append(p);
    }
    return b.toString();
  }

  private static String stripTrailingSlash(String s) {
    String r = s;
    while (r.length() > 1 && r.endsWith("/") && !r.endsWith("://")) {
      r = r.substring(0, r.length() - 1);
    }
    return r;
  }

  /**
   * Checks a lake root given as {@code setting}. A Unity Catalog volume path
   * ({@code /Volumes/...} or {@code dbfs:/Volumes/...}) must name a catalog, a schema and a
   * volume: Databricks refuses to write anything directly under {@code /Volumes/<catalog>}, and
   * the mistake would otherwise surface only when the first checkpoint is written.
   */
  static String checkRoot(String setting, String root) {
    String r = root.trim();
    String volumePath = r.startsWith("dbfs:/Volumes/") ? r.substring("dbfs:".length()) : r;
    if (volumePath.equals("/Volumes") || volumePath.startsWith("/Volumes/")) {
      String[] parts = volumePath.substring(1).split("/+");
      if (parts.length < 4) {
        throw ConfigException.invalid(setting, root,
            "a Unity Catalog volume path /Volumes/<catalog>/<schema>/<volume>[/<folder>...], a"
                + " local folder, or a URI such as dbfs:/, s3://, abfss://");
      }
    }
    return r;
  }

  /** True for a root with a scheme (s3://, abfss://, dbfs:/): not resolved against the local disk. */
  static boolean hasScheme(String root) {
    try {
      URI u = new URI(root);
      return u.getScheme() != null && u.getScheme().length() > 1;
    } catch (Exception e) {
      return false;
    }
  }
}
