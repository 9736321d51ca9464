package dev.streamlake.common;

import java.net.URI;

/**
 * The one owner of where tables and checkpoints live under a lake root:
 *
 * <pre>
 * &lt;lake&gt;/raw/&lt;pipeline&gt;           &lt;lake&gt;/bronze/&lt;pipeline&gt;
 * &lt;lake&gt;/dead_letter/&lt;pipeline&gt;   &lt;lake&gt;/gold/&lt;pipeline&gt;
 * &lt;lake&gt;/_checkpoints/&lt;pipeline&gt;/&lt;stage&gt;/&lt;query&gt;
 * </pre>
 *
 * A table given explicitly in config (a path or a catalog name) overrides its place here; the
 * checkpoints always follow this layout, so they must live on a file system even when the tables
 * live in a catalog.
 */
public record LakeLayout(String root, String pipeline) {

  public LakeLayout {
    if (root == null || root.isBlank()) {
      throw new IllegalArgumentException("lake root is empty");
    }
    root = stripTrailingSlash(root.trim());
  }

  public TableRef raw() {
    return TableRef.path(join("raw", pipeline));
  }

  public TableRef bronze() {
    return TableRef.path(join("bronze", pipeline));
  }

  public TableRef deadLetter() {
    return TableRef.path(join("dead_letter", pipeline));
  }

  public TableRef gold() {
    return TableRef.path(join("gold", pipeline));
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
