package dev.streamlake.merge;

import static dev.streamlake.merge.GoldPlan.quote;
import static org.apache.spark.sql.functions.col;

import dev.streamlake.common.TableRef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per partition column, the values one batch touches; NONE = no literal predicate. Carried as
 * literals into the pre-filter's read of gold and into the MERGE condition, so that the target
 * scan and Delta's conflict check only cover the touched partitions.
 */
record PartitionLiterals(Map<String, Set<Object>> values) {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionLiterals.class);

  /** No literal predicate: gold is not partitioned, or the batch touches too many values. */
  static final PartitionLiterals NONE = new PartitionLiterals(Map.of());

  /** The batch's distinct values of each partition column; NONE past {@code maxLiterals}. */
  static PartitionLiterals of(
      Dataset<Row> latest, List<String> partitionBy, int maxLiterals, long batchId,
      TableRef gold) {
    if (partitionBy.isEmpty()) {
      return NONE;
    }
    List<Row> distinct =
        latest.select(partitionBy.stream().map(p -> column(null, p)).toArray(Column[]::new))
            .distinct().limit(maxLiterals + 1).collectAsList();
    if (distinct.size() > maxLiterals) {
      LOG.warn(
          "Merge batch {} into {}: more than {} distinct values of {}; merging without partition"
              + " literals, so this MERGE scans and conflict-checks all of gold",
          batchId, gold, maxLiterals, partitionBy);
      return NONE;
    }
    Map<String, Set<Object>> values = new LinkedHashMap<>();
    for (int i = 0; i < partitionBy.size(); i++) {
      Set<Object> set = new LinkedHashSet<>();
      for (Row r : distinct) {
        set.add(r.get(i));
      }
      values.put(partitionBy.get(i), set);
    }
    return new PartitionLiterals(values);
  }

  /** True when the batch had no rows at all (every column's value set is empty). */
  boolean isEmpty() {
    return !values.isEmpty() && values.values().iterator().next().isEmpty();
  }

  /** {@code alias.p IN (v1, v2, ...)} per column, ANDed; a null value adds {@code OR IS NULL}. */
  Optional<Column> predicate(String alias) {
    Column all = null;
    for (Map.Entry<String, Set<Object>> e : values.entrySet()) {
      Column c = column(alias, e.getKey());
      List<Object> nonNull = new ArrayList<>(e.getValue());
      boolean hasNull = nonNull.removeIf(v -> v == null);
      Column p = c.isin(nonNull.toArray());
      if (hasNull) {
        p = p.or(c.isNull());
      }
      all = all == null ? p : all.and(p);
    }
    return Optional.ofNullable(all);
  }

  private static Column column(String alias, String name) {
    return col(alias == null ? quote(name) : alias + "." + quote(name));
  }
}
