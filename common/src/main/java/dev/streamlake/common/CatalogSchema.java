package dev.streamlake.common;

import java.util.regex.Pattern;

/**
 * The Unity Catalog catalog and schema that hold a pipeline's four tables, so one pair of
 * settings ({@code --catalog main --schema sensors}) names them all:
 * {@code main.sensors.raw_<pipeline>}, {@code bronze_<pipeline>}, {@code dead_letter_<pipeline>}
 * and {@code gold_<pipeline>}. The pipeline's name is in every table name, so several pipelines
 * can share one schema.
 */
public record CatalogSchema(String catalog, String schema) {

  /**
   * Plain identifiers only: {@link TableRef} writes names unquoted, and a name that needs
   * backticks would be read as something else by SQL.
   */
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,254}");

  static final String ALLOWED =
      "a Unity Catalog name of letters, digits and _, not starting with a digit, at most 255"
          + " characters";

  public CatalogSchema {
    if (catalog == null || schema == null) {
      throw new IllegalArgumentException("catalog and schema are both required");
    }
  }

  /**
   * The pair from {@code --catalog} and {@code --schema}; null when neither is given (path tables
   * under {@code --lake}).
   */
  static CatalogSchema parse(String catalog, String schema) {
    if (catalog == null && schema == null) {
      return null;
    }
    if (catalog == null || schema == null) {
      throw new ConfigException(
          "Settings --catalog and --schema go together (got "
              + (catalog == null ? "--schema '" + schema + "'" : "--catalog '" + catalog + "'")
              + " alone): give both to keep the tables in Unity Catalog, or neither for path"
              + " tables under --lake.");
    }
    return new CatalogSchema(name("--catalog", catalog), name("--schema", schema));
  }

  private static String name(String setting, String value) {
    String v = value.trim();
    if (!NAME.matcher(v).matches()) {
      throw ConfigException.invalid(setting, value, ALLOWED);
    }
    return v;
  }

  /** The table {@code <catalog>.<schema>.<table>}. */
  public TableRef table(String table) {
    return TableRef.catalog(catalog + "." + schema + "." + table);
  }

  @Override
  public String toString() {
    return catalog + "." + schema;
  }
}
