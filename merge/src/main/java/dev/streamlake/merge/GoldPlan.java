package dev.streamlake.merge;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.PipelineConfig.GoldSettings;
import dev.streamlake.common.PipelineConfig.NamedExpression;
import dev.streamlake.common.TableSchemas;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Gold's columns and the SQL of its MERGE, derived from the pipeline config alone: nothing here
 * knows about sensors. Source rows are aliased {@code s}, gold rows {@code t}.
 *
 * <p>Gold columns, in order: the key, the values (bronze's decoded fields and the derived columns
 * that are not key columns), the source coordinates (for ordering and lineage), then
 * {@link TableSchemas#FIRST_INSERTED_AT} and {@link TableSchemas#LAST_CHANGED_AT}.
 *
 * <p>"Newer" is one total order, the same inside a batch and against stored rows: the sequence
 * columns left to right, a null being older than any value, then the Kafka offset (a key's records
 * share a partition, so the offset orders them), then partition and topic, so that two records
 * are never tied even when a key moved between partitions. Gold always holds a key's newest
 * record by that order, whatever the batching. "Changed" compares only the value columns,
 * null-safely: it decides {@link TableSchemas#LAST_CHANGED_AT}, never which record is stored, so
 * a newer record with equal values still advances the stored sequence and coordinates.
 *
 * <p>{@code deleteWhen} (null for none) makes a source row a delete of its key. Deletes are
 * remembered in the companion table {@link #DELETES_SUFFIX} (key and order of the newest delete
 * of each deleted key), so that a late record older than a delete cannot bring the key back.
 */
record GoldPlan(
    List<String> key,
    List<String> sequence,
    List<String> partitionBy,
    List<NamedExpression> derived,
    List<String> values,
    List<String> coordinates,
    String deleteWhen)
    implements Serializable {

  /**
   * Gold's audit times in a batch's MERGE: a function the merger registers per batch
   * ({@link dev.streamlake.common.WriteTimes}) rather than {@code current_timestamp()}, whose
   * per-batch literal would make every MERGE compile its generated code again.
   */
  static final String MERGE_TIME = "streamlake_merge_time";

  static final String SOURCE = "s";
  static final String TARGET = "t";

  /** Where each record came from; kafka_timestamp is lineage only. */
  static final List<String> COORDINATE_COLUMNS =
      List.of(
          TableSchemas.TOPIC,
          TableSchemas.PARTITION,
          TableSchemas.OFFSET,
          TableSchemas.SCHEMA_ID,
          TableSchemas.KAFKA_TIMESTAMP);

  /** Orders rows whose sequence is equal, so the order is total: offset, partition, topic. */
  static final List<String> TIE_BREAKERS =
      List.of(TableSchemas.OFFSET, TableSchemas.PARTITION, TableSchemas.TOPIC);

  /** The column a batch row carries when deletes are on: true for a delete of its key. */
  static final String DELETE = "__streamlake_delete";

  /** Gold's companion table of remembered deletes: {@code <gold>_deletes}. */
  static final String DELETES_SUFFIX = "deletes";

  GoldPlan {
    key = List.copyOf(key);
    sequence = List.copyOf(sequence);
    partitionBy = List.copyOf(partitionBy);
    derived = List.copyOf(derived);
    values = List.copyOf(values);
    coordinates = List.copyOf(coordinates);
  }

  static GoldPlan of(PipelineConfig pipeline) {
    GoldSettings gold = pipeline.gold();
    Set<String> keySet = new LinkedHashSet<>(gold.key());
    Set<String> values = new LinkedHashSet<>(TableSchemas.dataColumns(pipeline.readerSchema()));
    gold.derived().forEach(d -> values.add(d.name()));
    values.removeAll(keySet);
    Set<String> coordinates = new LinkedHashSet<>(COORDINATE_COLUMNS);
    // A sequence column that is neither key nor value (say ingest_date) must still be stored,
    // or a later batch could not be compared with the stored row.
    coordinates.addAll(gold.sequence());
    coordinates.removeAll(keySet);
    coordinates.removeAll(values);
    return new GoldPlan(
        gold.key(),
        gold.sequence(),
        gold.partitionBy(),
        gold.derived(),
        List.copyOf(values),
        List.copyOf(coordinates),
        gold.deleteWhen());
  }

  boolean deletes() {
    return deleteWhen != null;
  }

  /** Every gold column that comes from the source row, in table order. */
  List<String> sourceColumns() {
    List<String> all = new ArrayList<>(key);
    all.addAll(values);
    all.addAll(coordinates);
    return all;
  }

  /** The columns read from gold to decide whether a source row changes it. */
  List<String> comparedColumns() {
    Set<String> c = new LinkedHashSet<>(key);
    c.addAll(ordering());
    c.addAll(values);
    return List.copyOf(c);
  }

  /** The remembered-deletes table's columns: the key, then the delete's place in the order. */
  List<String> deleteColumns() {
    Set<String> c = new LinkedHashSet<>(key);
    c.addAll(ordering());
    return List.copyOf(c);
  }

  /** The total order of two versions of one key: the sequence, then offset, partition, topic. */
  List<String> ordering() {
    Set<String> o = new LinkedHashSet<>(sequence);
    o.addAll(TIE_BREAKERS);
    return List.copyOf(o);
  }

  /** {@code t.k1 <=> s.k1 AND ...}: null-safe, as the in-batch grouping treats null as a key. */
  String keyCondition() {
    return keyCondition(TARGET);
  }

  String keyCondition(String target) {
    return key.stream()
        .map(k -> col(target, k) + " <=> " + col(SOURCE, k))
        .collect(Collectors.joining(" AND "));
  }

  /** The source row is strictly newer than the target row by the total order (nulls oldest). */
  String newerCondition() {
    return newerCondition(TARGET);
  }

  /** As {@link #newerCondition()}, against the row aliased {@code target}. */
  static String newerCondition(List<String> ordering, String target) {
    String result = null;
    for (int i = ordering.size() - 1; i >= 0; i--) {
      String c = ordering.get(i);
      String s = col(SOURCE, c);
      String t = col(target, c);
      String greater = "coalesce(" + s + " > " + t + ", " + s + " IS NOT NULL AND " + t
          + " IS NULL)";
      result = result == null ? greater : greater + " OR (" + s + " <=> " + t + " AND (" + result
          + "))";
    }
    return "(" + result + ")";
  }

  String newerCondition(String target) {
    return newerCondition(ordering(), target);
  }

  /** Some value column differs between source and gold (null-safe). */
  String valuesDiffer() {
    if (values.isEmpty()) {
      return "false";
    }
    return "NOT ("
        + values.stream()
            .map(v -> col(TARGET, v) + " <=> " + col(SOURCE, v))
            .collect(Collectors.joining(" AND "))
        + ")";
  }

  /** The WHEN MATCHED condition for an update: newer; anything else leaves the row alone. */
  String updateCondition() {
    return newerCondition();
  }

  /**
   * SET for an update (target column -> source expression): all but key and first_inserted_at;
   * last_changed_at only moves when a value changed.
   */
  Map<String, String> updateSet() {
    Map<String, String> set = new LinkedHashMap<>();
    for (String c : values) {
      set.put(quote(c), col(SOURCE, c));
    }
    for (String c : coordinates) {
      set.put(quote(c), col(SOURCE, c));
    }
    set.put(quote(TableSchemas.LAST_CHANGED_AT), "CASE WHEN " + valuesDiffer() + " THEN "
        + MERGE_TIME + "() ELSE " + col(TARGET, TableSchemas.LAST_CHANGED_AT) + " END");
    return set;
  }

  /** VALUES for an insert: the whole source row, both audit times now. */
  Map<String, String> insertValues() {
    Map<String, String> insert = new LinkedHashMap<>();
    for (String c : sourceColumns()) {
      insert.put(quote(c), col(SOURCE, c));
    }
    insert.put(quote(TableSchemas.FIRST_INSERTED_AT), MERGE_TIME + "()");
    insert.put(quote(TableSchemas.LAST_CHANGED_AT), MERGE_TIME + "()");
    return insert;
  }

  /** The MERGE as SQL, for the start-up log; the partition literals are filled per batch. */
  String describeMerge(String target) {
    String literals = partitionBy.stream()
        .map(p -> col(TARGET, p) + " IN (<the batch's values>)")
        .collect(Collectors.joining(" AND "));
    String deleteClause = deletes()
        ? " WHEN MATCHED AND s." + DELETE + " AND " + newerCondition() + " THEN DELETE" : "";
    String upsert = deletes() ? " AND NOT s." + DELETE : "";
    return "MERGE INTO " + target + " t USING <batch: derived, newest per key, newer only> s"
        + " ON " + keyCondition() + (literals.isEmpty() ? "" : " AND " + literals)
        + deleteClause
        + " WHEN MATCHED" + upsert + " AND " + updateCondition() + " THEN UPDATE SET "
        + updateSet().entrySet().stream().map(e -> e.getKey() + " = " + e.getValue())
            .collect(Collectors.joining(", "))
        + " WHEN NOT MATCHED" + upsert + " THEN INSERT ("
        + String.join(", ", insertValues().keySet())
        + ") VALUES (" + String.join(", ", insertValues().values()) + ")";
  }

  static String quote(String column) {
    return "`" + column.replace("`", "``") + "`";
  }

  static String col(String alias, String column) {
    return alias + "." + quote(column);
  }
}
