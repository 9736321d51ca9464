package dev.streamlake.merge;

import dev.streamlake.common.PipelineConfig;
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
 * the pipeline says, with the change data feed on. A table that already exists is checked once
 * and only warned about, since stage 3 merges into it correctly either way.
 *
 * <p>Public only for code that builds a gold table without merging it up (the benchmarks), so
 * that it lays gold out as stage 3 would.
 */
public final class GoldTable {
  private static final Logger LOG = LoggerFactory.getLogger(GoldTable.class);

  /** The table property stage 3 sets on the gold tables it creates. */
  public static final String CHANGE_DATA_FEED = "delta.enableChangeDataFeed";

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

  /** Creates gold on first use; checks the layout of an existing one once. */
  void ensure(SparkSession spark, StructType sourceSchema) {
    if (ready) {
      return;
    }
    if (!gold.exists(spark)) {
      create(spark, sourceSchema);
    } else {
      check(spark);
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

  private void create(SparkSession spark, StructType sourceSchema) {
    StructType schema = new StructType();
    for (StructField f : sourceSchema.fields()) {
      schema = schema.add(f.name(), f.dataType(), true);
    }
    schema = schema
        .add(TableSchemas.FIRST_INSERTED_AT, DataTypes.TimestampType, true)
        .add(TableSchemas.LAST_CHANGED_AT, DataTypes.TimestampType, true);
    DeltaTableBuilder builder =
        gold.createIfNotExists(spark).addColumns(schema).property(CHANGE_DATA_FEED, "true");
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
