package dev.streamlake.merge;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.TableEvolution;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import io.delta.tables.DeltaTableBuilder;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gold table as stage 3 creates it: the source columns, then the audit times, partitioned as
 * the pipeline says, with the change data feed on. An existing table's layout is checked once
 * and only warned about, since stage 3 merges into it correctly either way; its columns are
 * brought up to the plan's (see {@link #ensure}).
 *
 * <p>Public only for code that builds a gold table without merging it up (the benchmarks), so
 * that it lays gold out as stage 3 would.
 */
public final class GoldTable {
  private static final Logger LOG = LoggerFactory.getLogger(GoldTable.class);

  /** The table property stage 3 sets on the gold tables it creates. */
  public static final String CHANGE_DATA_FEED = "delta.enableChangeDataFeed";

  /**
   * Properties gold gets at creation besides the change data feed, honoured by OSS Delta 4.0 and
   * by Databricks: optimized writes, so a MERGE writes about one file per touched partition
   * rather than one per shuffle task, which keeps gold's file count down between OPTIMIZE runs.
   * Deletion vectors stay at the platform's default: with them a MERGE that replaces a few rows
   * marks them deleted instead of rewriting the file, cheaper per MERGE but every read then
   * filters them until OPTIMIZE, and gold is read far more often than it is merged into.
   * An existing gold keeps its properties: changing them is a metadata commit that every
   * concurrent write conflicts with, so it is an operator's step (README).
   */
  public static final Map<String, String> CREATION_PROPERTIES =
      Map.of("delta.autoOptimize.optimizeWrite", "true");

  /** When the remembered delete was last moved: lineage for operators. */
  static final String DELETED_AT = "deleted_at";

  private final GoldPlan plan;
  private final TableRef gold;
  private volatile boolean ready;

  GoldTable(GoldPlan plan, TableRef gold) {
    this.plan = plan;
    this.gold = gold;
  }

  /** Gold's columns that come from a bronze row (key, values, coordinates), in table order. */
  public static List<String> sourceColumns(PipelineConfig pipeline) {
    return GoldPlan.of(pipeline).sourceColumns();
  }

  /**
   * Creates gold on first use; checks the layout of an existing one once and adds the columns
   * this plan writes that it lacks (a new reader schema field, a new derived column). A gold
   * column the plan no longer writes, or one whose type changed, stops the stage
   * ({@link TableEvolution}). {@code readerSchema} names the plan's reader schema for messages.
   */
  void ensure(SparkSession spark, StructType sourceSchema, String readerSchema) {
    if (ready) {
      return;
    }
    if (!gold.exists(spark)) {
      create(spark, sourceSchema);
    } else {
      check(spark);
      TableEvolution.addMissingColumns(spark, gold, schema(sourceSchema),
          readerSchema + " and gold's derived columns");
    }
    if (plan.deletes()) {
      StructType remembered = new StructType();
      for (String c : plan.deleteColumns()) {
        remembered = remembered.add(c, sourceSchema.apply(c).dataType(), true);
      }
      remembered = remembered.add(DELETED_AT, DataTypes.TimestampType, true);
      deletes().ensureExists(spark, remembered, plan.partitionBy());
    }
    ready = true;
  }

  /** The companion table of remembered deletes, next to gold. */
  TableRef deletes() {
    return gold.companion(GoldPlan.DELETES_SUFFIX);
  }

  /** Gold's columns: the source row's, all nullable, then the audit times. */
  private static StructType schema(StructType sourceSchema) {
    StructType schema = new StructType();
    for (StructField f : sourceSchema.fields()) {
      schema = schema.add(f.name(), f.dataType(), true);
    }
    return schema
        .add(TableSchemas.FIRST_INSERTED_AT, DataTypes.TimestampType, true)
        .add(TableSchemas.LAST_CHANGED_AT, DataTypes.TimestampType, true);
  }

  private void create(SparkSession spark, StructType sourceSchema) {
    DeltaTableBuilder builder = gold.createIfNotExists(spark).addColumns(schema(sourceSchema))
        .property(CHANGE_DATA_FEED, "true");
    for (Map.Entry<String, String> p : CREATION_PROPERTIES.entrySet()) {
      builder = builder.property(p.getKey(), p.getValue());
    }
    if (!plan.partitionBy().isEmpty()) {
      builder = builder.partitionedBy(plan.partitionBy().toArray(String[]::new));
    }
    builder.execute();
    LOG.info("Created gold table {} partitioned by {} with the change data feed on", gold,
        plan.partitionBy());
  }

  private void check(SparkSession spark) {
    Row detail = gold.deltaTable(spark).detail().first();
    List<String> partitionColumns = detail.getList(detail.fieldIndex("partitionColumns"));
    Map<String, String> properties = detail.getJavaMap(detail.fieldIndex("properties"));
    if (!partitionColumns.equals(plan.partitionBy())) {
      LOG.warn(
          "Gold table {} is partitioned by {} but the pipeline says {}: each MERGE still"
              + " filters on {}, but can no longer prune whole partitions",
          gold, partitionColumns, plan.partitionBy(), plan.partitionBy());
    }
    if (!"true".equalsIgnoreCase(properties.get(CHANGE_DATA_FEED))) {
      LOG.warn("Gold table {} has {} off: downstream readers get no change feed", gold,
          CHANGE_DATA_FEED);
    }
  }
}
