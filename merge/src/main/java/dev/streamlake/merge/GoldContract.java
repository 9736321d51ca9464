package dev.streamlake.merge;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.PipelineConfig.History;
import dev.streamlake.common.TableRef;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What gold must hold, in stage 3's own terms, for code outside this module that checks gold
 * against bronze (the ops {@code audit} command): the key, the value columns, and the newest
 * bronze row per key by stage 3's total order, computed by the very code stage 3 merges with, so
 * a check and the stage can never disagree on what "newest" means.
 */
public final class GoldContract {

  /** In {@link #latestPerKey}'s rows when the pipeline has {@code gold.deleteWhen}. */
  public static final String DELETE_FLAG = GoldPlan.DELETE;

  private final GoldPlan plan;
  private final GoldMerger merger;
  private final boolean scd2;

  private GoldContract(PipelineConfig pipeline) {
    this.plan = GoldPlan.of(pipeline);
    // Only latestPerKey is used: it needs the plan alone, never the table or a retry.
    this.merger = new GoldMerger(plan, null, "audit", null, 1, null);
    this.scd2 = pipeline.gold().history() == History.SCD2;
  }

  public static GoldContract of(PipelineConfig pipeline) {
    return new GoldContract(pipeline);
  }

  /** Gold's key columns (derived ones included). */
  public List<String> key() {
    return plan.key();
  }

  /** The columns gold takes from a bronze row's values: decoded and derived, not the key. */
  public List<String> values() {
    return plan.values();
  }

  /** The total order of a key's records: the sequence (nulls oldest), offset, partition, topic. */
  public List<String> ordering() {
    return plan.ordering();
  }

  /** The alias {@link #newerCondition} gives the row it calls newer. */
  public static final String NEWER = GoldPlan.SOURCE;

  /**
   * A SQL condition: the row aliased {@link #NEWER} comes strictly after the row aliased
   * {@code older} in stage 3's total order (both carry the {@link #ordering} columns).
   */
  public String newerCondition(String older) {
    return plan.newerCondition(older);
  }

  /** True when {@code gold.deleteWhen} makes some bronze rows deletes of their key. */
  public boolean deletes() {
    return plan.deletes();
  }

  /**
   * Bronze rows with the derived columns, reduced to the newest row per key, in gold's
   * source-column order; with deletes, {@link #DELETE_FLAG} says whether that row deletes its key.
   */
  public Dataset<Row> latestPerKey(Dataset<Row> bronze) {
    return merger.latestPerKey(bronze);
  }

  /** Bronze rows with gold's derived columns added, so their keys can be read. */
  public Dataset<Row> withDerived(Dataset<Row> bronze) {
    Dataset<Row> derived = bronze;
    for (PipelineConfig.NamedExpression d : plan.derived()) {
      derived = derived.withColumn(d.name(), org.apache.spark.sql.functions.expr(d.expression()));
    }
    return derived;
  }

  /**
   * The table that holds one row per live key: gold itself, or {@code <gold>_current} when
   * {@code gold.history} is scd2 (gold then holds every version).
   */
  public TableRef latestStateTable(TableRef gold) {
    return scd2 ? HistoryPlan.current(gold) : gold;
  }
}
