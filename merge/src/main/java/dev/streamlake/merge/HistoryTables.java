package dev.streamlake.merge;

import dev.streamlake.common.TableEvolution;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import io.delta.tables.DeltaTableBuilder;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three tables of an SCD2 gold, created on first use: the history (gold itself), its current
 * state ({@code <gold>_current}) and the records it was computed from ({@code <gold>_points}),
 * all partitioned like gold. History and current state have the change data feed on.
 *
 * <p>Existing tables get the columns a newer reader schema adds. They are checked, and a
 * mismatch stops the stage instead of being warned about:
 * merging history into a latest-state gold, or recomputing versions from an empty points table
 * next to a full history, would silently destroy versions.
 */
final class HistoryTables {
  private static final Logger LOG = LoggerFactory.getLogger(HistoryTables.class);

  private final HistoryPlan plan;
  final TableRef history;
  final TableRef current;
  final TableRef points;
  private volatile boolean ready;

  HistoryTables(HistoryPlan plan, TableRef gold) {
    this.plan = plan;
    this.history = gold;
    this.current = HistoryPlan.current(gold);
    this.points = HistoryPlan.points(gold);
  }

  /** {@code pointSchema}: a stored record's columns with their types. */
  void ensure(SparkSession spark, StructType pointSchema) {
    if (ready) {
      return;
    }
    boolean historyExists = history.exists(spark);
    boolean pointsExist = points.exists(spark);
    if (historyExists) {
      // Only the history's own columns: a reader schema's new field is added further down.
      requireColumns(spark, history,
          List.of(HistoryPlan.VALID_FROM, HistoryPlan.VALID_TO, HistoryPlan.IS_CURRENT),
          "it was not created for gold.history scd2 (a latest-state gold cannot be turned into a"
              + " history in place; give scd2 a new --gold-table)");
      if (!pointsExist && !history.read(spark).isEmpty()) {
        throw new IllegalStateException("SCD2 gold " + history + " holds versions but its records"
            + " table " + points + " is missing: versions are recomputed from those records, so"
            + " merging on would drop history. Restore " + points + ", or rebuild both from"
            + " bronze with a new --gold-table and a new checkpoint.");
      }
    }
    StructField validity = pointSchema.apply(plan.validityColumn());
    StructType sources = nullable(pointSchema, plan.gold().sourceColumns());
    StructType historySchema = audited(sources
        .add(HistoryPlan.VALID_FROM, validity.dataType(), true)
        .add(HistoryPlan.VALID_TO, validity.dataType(), true)
        .add(HistoryPlan.IS_CURRENT, DataTypes.BooleanType, true));
    StructType currentSchema =
        audited(sources.add(HistoryPlan.VALID_FROM, validity.dataType(), true));
    StructType pointsSchema = nullable(pointSchema, plan.pointColumns());
    createOrEvolve(spark, points, pointsSchema, false);
    createOrEvolve(spark, history, historySchema, true);
    createOrEvolve(spark, current, currentSchema, true);
    requireColumns(spark, points, plan.pointColumns(), "it is not an SCD2 records table");
    requireColumns(spark, current, plan.currentColumns(), "it is not an SCD2 current-state table");
    ready = true;
  }

  /**
   * Creates the table, or brings an existing one up to {@code schema} the way gold and bronze
   * are: a reader schema's new field is added as a column (older rows read NULL), a removed
   * field or a changed type stops the stage naming the column ({@link TableEvolution}).
   */
  private void createOrEvolve(
      SparkSession spark, TableRef table, StructType schema, boolean changeFeed) {
    if (table.exists(spark)) {
      TableEvolution.addMissingColumns(spark, table, schema,
          "the pipeline's reader schema and gold settings (history scd2)");
    } else {
      create(spark, table, schema, changeFeed);
    }
  }

  private void create(SparkSession spark, TableRef table, StructType schema, boolean changeFeed) {
    if (table.exists(spark)) {
      return;
    }
    DeltaTableBuilder builder = table.createIfNotExists(spark).addColumns(schema);
    if (changeFeed) {
      builder = builder.property(GoldTable.CHANGE_DATA_FEED, "true");
    }
    if (!plan.partitionBy().isEmpty()) {
      builder = builder.partitionedBy(plan.partitionBy().toArray(String[]::new));
    }
    builder.execute();
    LOG.info("Created {} partitioned by {}", table, plan.partitionBy());
  }

  private static void requireColumns(
      SparkSession spark, TableRef table, List<String> columns, String why) {
    List<String> present = Arrays.asList(table.read(spark).schema().fieldNames());
    for (String c : columns) {
      if (!present.contains(c)) {
        throw new IllegalStateException(
            "Table " + table + " has no column '" + c + "': " + why + ". Its columns: " + present);
      }
    }
  }

  private static StructType nullable(StructType schema, List<String> columns) {
    StructType s = new StructType();
    for (String c : columns) {
      s = s.add(c, schema.apply(c).dataType(), true);
    }
    return s;
  }

  private static StructType audited(StructType schema) {
    return schema
        .add(TableSchemas.FIRST_INSERTED_AT, DataTypes.TimestampType, true)
        .add(TableSchemas.LAST_CHANGED_AT, DataTypes.TimestampType, true);
  }
}
