package dev.streamlake.common;

import java.util.regex.Pattern;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.delta.tables.DeltaTable;
import io.delta.tables.DeltaTableBuilder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * A Delta table named either by a path ({@code /lake/raw/sensor_readings}, {@code s3://...}) or
 * by a catalog identifier ({@code main.raw.sensor_readings}). Every read and write of a table goes
 * through here so both kinds work everywhere.
 */
public record TableRef(String name, boolean isPath) {
  private static final Logger LOG = LoggerFactory.getLogger(TableRef.class);

  private static final Pattern IDENTIFIER =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*){0,2}");

  public TableRef {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("table name is empty");
    }
  }

  /**
   * A table that belongs to this one, named after it: {@code <path>_<suffix>} next to a path
   * table, {@code <identifier>_<suffix>} in the same schema for a catalog table.
   */
  public TableRef companion(String suffix) {
    String base = isPath ? name.replaceAll("[/\\\\]+$", "") : name;
    return new TableRef(base + "_" + suffix, isPath);
  }

  public static TableRef path(String path) {
    return new TableRef(path, true);
  }

  public static TableRef catalog(String identifier) {
    return new TableRef(identifier, false);
  }

  /**
   * A value from config: a catalog identifier when it looks like {@code [catalog.]schema.table}
   * (no slash, no colon), otherwise a path.
   */
  public static TableRef parse(String setting, String value) {
    if (value == null || value.isBlank()) {
      throw ConfigException.invalid(
          setting, value, "a table path (/lake/raw/x, s3://...) or a catalog name (main.raw.x)");
    }
    String v = value.trim();
    if (!v.contains("/") && !v.contains(":") && !v.contains("\\")) {
      if (!IDENTIFIER.matcher(v).matches()) {
        throw ConfigException.invalid(
            setting, value, "a catalog name of one to three identifiers ([catalog.]schema.table)");
      }
      return catalog(v);
    }
    return path(v);
  }

  public Dataset<Row> read(SparkSession spark) {
    DataFrameReader r = spark.read().format("delta");
    return isPath ? r.load(name) : r.table(name);
  }

  /** A Delta stream of the table; {@code options} are Delta streaming source options. */
  public Dataset<Row> readStream(SparkSession spark, Map<String, String> options) {
    DataStreamReader r = spark.readStream().format("delta").options(options);
    return isPath ? r.load(name) : r.table(name);
  }

  public void write(DataFrameWriter<Row> writer) {
    if (isPath) {
      writer.save(name);
    } else {
      writer.saveAsTable(name);
    }
  }

  public StreamingQuery start(DataStreamWriter<Row> writer) throws TimeoutException {
    return isPath ? writer.start(name) : writer.toTable(name);
  }

  public boolean exists(SparkSession spark) {
    return isPath ? DeltaTable.isDeltaTable(spark, name) : spark.catalog().tableExists(name);
  }

  public DeltaTable deltaTable(SparkSession spark) {
    return isPath ? DeltaTable.forPath(spark, name) : DeltaTable.forName(spark, name);
  }

  /**
   * A builder that creates this table unless it exists: at the path, or under the catalog name.
   * The caller adds columns, layout and properties.
   */
  public DeltaTableBuilder createIfNotExists(SparkSession spark) {
    DeltaTableBuilder b = DeltaTable.createIfNotExists(spark);
    return isPath ? b.location(name) : b.tableName(name);
  }

  /**
   * Creates the table empty, with this schema and partitioning, unless it exists. Each stage
   * ensures the tables it reads and writes at start, so the stages can start in any order. Two
   * stages creating the same table at once is fine: the loser of Delta's race finds the table
   * there and goes on.
   */
  public void ensureExists(SparkSession spark, StructType schema, List<String> partitionColumns) {
    ensureExists(spark, schema, partitionColumns, Map.of());
  }

  /** As above, with table properties set when this call creates the table. */
  public void ensureExists(SparkSession spark, StructType schema, List<String> partitionColumns,
      Map<String, String> properties) {
    if (exists(spark)) {
      return;
    }
    // Another stage may be creating the table this very moment: its log folder can be there before
    // its first commit, and then a creation here fails on a table that is "not found". So a failed
    // creation waits for the other one to land, and tries again, before it gives up.
    for (int attempt = 1; ; attempt++) {
      try {
        create(spark, schema, partitionColumns, properties);
        LOG.info("Created empty Delta table {} partitioned by {}", name, partitionColumns);
        return;
      } catch (Exception e) { // Spark's AnalysisException is checked, though Scala does not say so
        for (int wait = 0; wait < CREATION_RACE_WAIT_SECONDS; wait++) {
          if (existsAfterRefresh(spark)) {
            LOG.info("Delta table {} was created by another stage meanwhile ({})", name,
                e.toString());
            return;
          }
          sleepOneSecond();
        }
        if (attempt == CREATION_ATTEMPTS) {
          throw e;
        }
        LOG.warn("Creating Delta table {} failed and nobody else created it in {} s; trying"
            + " again ({})", name, CREATION_RACE_WAIT_SECONDS, e.toString());
      }
    }
  }

  private static final int CREATION_ATTEMPTS = 3;
  private static final int CREATION_RACE_WAIT_SECONDS = 10;

  private void create(SparkSession spark, StructType schema, List<String> partitionColumns,
      Map<String, String> properties) {
    if (properties.isEmpty()) {
      write(spark.createDataFrame(List.<Row>of(), schema)
          .write()
          .format("delta")
          .mode(SaveMode.Append)
          .partitionBy(partitionColumns.toArray(String[]::new)));
    } else {
      // SQL rather than Delta's table builder: a Spark Connect client (stage 1 on serverless)
      // has no io.delta.tables classes, and only DDL sets properties that are not Delta's own.
      spark.sql(createTableSql(schema, partitionColumns, properties));
    }
  }

  private static void sleepOneSecond() {
    try {
      Thread.sleep(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a Delta table", e);
    }
  }

  /** {@code CREATE TABLE IF NOT EXISTS} for this table; every column nullable, as a write makes it. */
  String createTableSql(StructType schema, List<String> partitionColumns,
      Map<String, String> properties) {
    StringBuilder sql = new StringBuilder("CREATE TABLE IF NOT EXISTS ").append(sqlName())
        .append(" (");
    for (int i = 0; i < schema.fields().length; i++) {
      var f = schema.fields()[i];
      sql.append(i == 0 ? "" : ", ").append(quoted(f.name())).append(' ')
          .append(f.dataType().sql());
    }
    sql.append(") USING delta");
    if (!partitionColumns.isEmpty()) {
      sql.append(" PARTITIONED BY (").append(String.join(", ",
          partitionColumns.stream().map(TableRef::quoted).toList())).append(')');
    }
    sql.append(" TBLPROPERTIES (").append(String.join(", ", properties.entrySet().stream()
        .map(e -> literal(e.getKey()) + " = " + literal(e.getValue())).toList())).append(')');
    return sql.toString();
  }

  private static String quoted(String identifier) {
    return "`" + identifier.replace("`", "``") + "`";
  }

  private static String literal(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /**
   * The loser of a creation race (ProtocolChangedException) still holds a cached log at version
   * -1, so {@link #exists} would say no: reading the table updates that log first.
   */
  private boolean existsAfterRefresh(SparkSession spark) {
    try {
      read(spark).schema();
      return exists(spark);
    } catch (Exception notThere) { // Delta's "table not found" is a checked AnalysisException
      return false;
    }
  }

  /** The table as SQL can name it: {@code delta.`/path`} or the identifier. */
  public String sqlName() {
    return isPath ? "delta.`" + name.replace("`", "``") + "`" : name;
  }

  @Override
  public String toString() {
    return name;
  }
}
