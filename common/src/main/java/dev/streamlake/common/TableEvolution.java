package dev.streamlake.common;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How an existing table's columns compare with the columns this code writes, and the one change a
 * stage makes on its own at start: adding the nullable columns the table lacks. Old rows read
 * them as NULL. Every other difference stops the stage before it writes anything, naming the
 * column and what to do: a column this code no longer writes (a field removed or renamed in the
 * reader schema) would silently stay NULL from now on, and a changed type cannot be applied
 * without breaking stage 3's Delta stream of bronze (see {@link #typeChangeAdvice}).
 *
 * <p>Names are compared case-insensitively, as Spark and Delta resolve them; types without
 * nullability, since every column a stage adds is nullable.
 */
public final class TableEvolution {
  private static final Logger LOG = LoggerFactory.getLogger(TableEvolution.class);

  /** One column whose type in the table differs from the type this code writes. */
  public record TypeChange(String column, DataType inTable, DataType expected) {}

  /** The differences between a table's schema and the expected one. */
  public record Difference(
      List<StructField> missing, List<StructField> unexpected, List<TypeChange> changedTypes) {

    public boolean isEmpty() {
      return missing.isEmpty() && unexpected.isEmpty() && changedTypes.isEmpty();
    }
  }

  private TableEvolution() {}

  /** Compares the table's columns ({@code actual}) with {@code expected}, in expected order. */
  public static Difference compare(StructType actual, StructType expected) {
    Map<String, StructField> actualByName = byName(actual);
    Map<String, StructField> expectedByName = byName(expected);
    List<StructField> missing = new ArrayList<>();
    List<TypeChange> changed = new ArrayList<>();
    for (StructField e : expected.fields()) {
      StructField a = actualByName.get(key(e.name()));
      if (a == null) {
        missing.add(e);
      } else if (!sameType(a.dataType(), e.dataType())) {
        changed.add(new TypeChange(a.name(), a.dataType(), e.dataType()));
      }
    }
    List<StructField> unexpected = new ArrayList<>();
    for (StructField a : actual.fields()) {
      if (!expectedByName.containsKey(key(a.name()))) {
        unexpected.add(a);
      }
    }
    return new Difference(missing, unexpected, changed);
  }

  /**
   * Brings {@code table} up to {@code expected} at a stage's start: stops with a
   * {@link ConfigException} on a column the table has and {@code expected} lacks, or on a changed
   * type, and otherwise adds the missing columns, all in one commit. {@code source} says where
   * the expected columns come from (which reader schema), for the messages.
   */
  public static void addMissingColumns(SparkSession spark, TableRef table, StructType expected,
      String source) {
    Difference d = compare(table.read(spark).schema(), expected);
    refuseRemovedColumns(table, d, source);
    refuseTypeChanges(table, d, source);
    if (d.missing().isEmpty()) {
      return;
    }
    try {
      spark.sql(addColumnsSql(table, d.missing()));
    } catch (RuntimeException e) {
      // A second instance of the stage may have added them this very moment.
      if (!compare(table.read(spark).schema(), expected).missing().isEmpty()) {
        throw e;
      }
    }
    LOG.info("Added column(s) {} to {} ({}); rows written before read them as NULL",
        describe(d.missing()), table, source);
  }

  /** Stops when the table has columns {@code expected} lacks; names them and what to do. */
  public static void refuseRemovedColumns(TableRef table, Difference d, String source) {
    if (d.unexpected().isEmpty()) {
      return;
    }
    String columns = d.unexpected().stream().map(f -> "'" + f.name() + "'")
        .collect(Collectors.joining(", "));
    throw new ConfigException("Table " + table + " has column(s) " + columns + " that " + source
        + " no longer has: a field was removed or renamed. The stage never drops or renames a"
        + " column, and writing on would leave " + columns + " NULL in every new row without a"
        + " word. Put the field back into the reader schema (a field that is going away stays"
        + " as an optional field with default null; a rename is a new field, with the old one"
        + " kept), or, to drop it for good, write to new tables (--bronze-table, --gold-table)"
        + " with new checkpoints, which stages 2 and 3 fill again from raw.");
  }

  /** Stops on a changed column type; names the column, both types and what to do. */
  public static void refuseTypeChanges(TableRef table, Difference d, String source) {
    if (d.changedTypes().isEmpty()) {
      return;
    }
    TypeChange c = d.changedTypes().get(0);
    throw new ConfigException("Table " + table + " column '" + c.column() + "' is "
        + c.inTable().sql() + " but " + source + " makes it " + c.expected().sql()
        + (d.changedTypes().size() > 1 ? " (and " + (d.changedTypes().size() - 1)
            + " more column(s): " + d.changedTypes().stream().skip(1)
                .map(t -> "'" + t.column() + "' " + t.inTable().sql() + " -> "
                    + t.expected().sql()).collect(Collectors.joining(", ")) + ")" : "")
        + ". " + typeChangeAdvice(c));
  }

  /**
   * Why a type is not changed in place, and what to do instead. Delta 4.0's type widening
   * ({@code delta.enableTypeWidening}) does widen INT to BIGINT and FLOAT to DOUBLE, but a Delta
   * stream of the widened table (stage 3 reads bronze so) then stops on every start with
   * DELTA_STREAMING_INCOMPATIBLE_SCHEMA_CHANGE_USE_SCHEMA_LOG unless it tracks the source's
   * schema ({@code schemaTrackingLocation}), which stage 3 does not.
   */
  static String typeChangeAdvice(TypeChange c) {
    String why = isWidening(c.inTable(), c.expected())
        ? "The stage does not widen column types: Delta 4.0 can (type widening), but stage 3's"
            + " Delta stream of a widened bronze then stops on every start until it tracks the"
            + " source schema (schemaTrackingLocation), which it does not."
        : "The stage never changes a column's type.";
    return why + " Keep the field's old type in the reader schema and send the new values in a"
        + " new optional field, or write to new tables (--bronze-table, --gold-table) with new"
        + " checkpoints, which stages 2 and 3 fill again from raw.";
  }

  /** The type promotions Avro schema resolution allows between numeric fields. */
  static boolean isWidening(DataType from, DataType to) {
    return (from.equals(DataTypes.IntegerType) && (to.equals(DataTypes.LongType)
            || to.equals(DataTypes.FloatType) || to.equals(DataTypes.DoubleType)))
        || (from.equals(DataTypes.LongType)
            && (to.equals(DataTypes.FloatType) || to.equals(DataTypes.DoubleType)))
        || (from.equals(DataTypes.FloatType) && to.equals(DataTypes.DoubleType));
  }

  /** {@code ALTER TABLE ... ADD COLUMNS}: for path tables ({@code delta.`path`}) and names. */
  static String addColumnsSql(TableRef table, List<StructField> columns) {
    return "ALTER TABLE " + table.sqlName() + " ADD COLUMNS ("
        + columns.stream().map(f -> quoted(f.name()) + " " + f.dataType().sql())
            .collect(Collectors.joining(", "))
        + ")";
  }

  public static String describe(List<StructField> columns) {
    return columns.stream().map(f -> f.name() + " " + f.dataType().sql())
        .collect(Collectors.joining(", ", "[", "]"));
  }

  /** Types equal but for nullability (catalogString leaves nullability and metadata out). */
  static boolean sameType(DataType a, DataType b) {
    return a.catalogString().equals(b.catalogString());
  }

  private static Map<String, StructField> byName(StructType t) {
    Map<String, StructField> m = new LinkedHashMap<>();
    for (StructField f : t.fields()) {
      m.put(key(f.name()), f);
    }
    return m;
  }

  private static String key(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  private static String quoted(String identifier) {
    return "`" + identifier.replace("`", "``") + "`";
  }
}
