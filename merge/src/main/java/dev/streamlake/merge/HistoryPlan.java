package dev.streamlake.merge;

import static dev.streamlake.merge.GoldPlan.quote;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.PipelineConfig.GoldSettings;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TableSchemas;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The shape of gold with {@code gold.history: scd2}: which columns are tracked, how records are
 * ordered, and the three tables involved. Derived from the pipeline config alone, on top of the
 * latest-state {@link GoldPlan} (same key, values, coordinates, derived columns).
 *
 * <p>A <em>version</em> of a key is a maximal run of its non-delete records, consecutive in the
 * total order, whose tracked columns are equal (null-safely). Its row holds:
 *
 * <ul>
 *   <li>the key; the tracked values (equal across the run); the untracked values of the run's
 *       latest record;
 *   <li>the coordinates (topic, partition, offset, schema_id, kafka_timestamp, and sequence columns
 *       that are neither key nor value) of the record that opened the run: they name the version,
 *       so a later duplicate of the same state changes nothing;
 *   <li>{@code valid_from}: the first sequence column's value of the opening record;
 *       {@code valid_to}: the first sequence column's value of the record that opened the next
 *       version or deleted the key, null while nothing followed; {@code is_current}: no record
 *       follows the run;
 *   <li>the audit times of the row.
 * </ul>
 *
 * <p>The points table keeps every record gold has seen (its identity is the Kafka coordinates), so
 * a late record can be put in its place exactly, even between records a version collapsed.
 */
record HistoryPlan(GoldPlan gold, List<String> tracked) implements Serializable {

  static final String VALID_FROM = TableSchemas.VALID_FROM;
  static final String VALID_TO = TableSchemas.VALID_TO;
  static final String IS_CURRENT = TableSchemas.IS_CURRENT;
  /** In the points table: the record deletes its key ({@code gold.deleteWhen} held). */
  static final String IS_DELETE = TableSchemas.IS_DELETE;

  /** Suffixes of the tables next to gold: its current state, and the records it was built from. */
  static final String CURRENT_SUFFIX = "current";
  static final String POINTS_SUFFIX = "points";

  HistoryPlan {
    tracked = List.copyOf(tracked);
  }

  static HistoryPlan of(PipelineConfig pipeline) {
    GoldSettings settings = pipeline.gold();
    GoldPlan plan = GoldPlan.of(pipeline);
    List<String> tracked =
        settings.trackedColumns().isEmpty() ? plan.values() : settings.trackedColumns();
    return new HistoryPlan(plan, tracked);
  }

  /** A condition on the bronze row (after the derived columns) that deletes its key, or null. */
  String deleteWhen() {
    return gold.deleteWhen();
  }

  List<String> key() {
    return gold.key();
  }

  List<String> partitionBy() {
    return gold.partitionBy();
  }

  /**
   * The one total order of a key's records, the latest-state merge's: the sequence (nulls
   * oldest), then offset, partition, topic.
   */
  List<String> ordering() {
    return gold.ordering();
  }

  /** The column whose values {@code valid_from} and {@code valid_to} hold. */
  String validityColumn() {
    return gold.sequence().get(0);
  }

  /** Value columns that do not open a version: a version shows its latest record's. */
  List<String> untracked() {
    List<String> u = new ArrayList<>(gold.values());
    u.removeAll(tracked);
    return List.copyOf(u);
  }

  /** A stored record: gold's source columns and whether it deletes its key. */
  List<String> pointColumns() {
    List<String> c = new ArrayList<>(gold.sourceColumns());
    c.add(IS_DELETE);
    return List.copyOf(c);
  }

  /** What identifies a record: its Kafka coordinates (with the key, for pruned joins). */
  List<String> pointIdentity() {
    List<String> c = new ArrayList<>(gold.key());
    c.addAll(List.of(TableSchemas.TOPIC, TableSchemas.PARTITION, TableSchemas.OFFSET));
    return List.copyOf(c);
  }

  /** What identifies a version: its key and the coordinates of the record that opened it. */
  List<String> versionIdentity() {
    return pointIdentity();
  }

  /** A history row's columns before the audit times, in table order. */
  List<String> historyColumns() {
    List<String> c = new ArrayList<>(gold.sourceColumns());
    c.addAll(List.of(VALID_FROM, VALID_TO, IS_CURRENT));
    return List.copyOf(c);
  }

  /** A current-state row's columns before the audit times: a version without its end. */
  List<String> currentColumns() {
    List<String> c = new ArrayList<>(gold.sourceColumns());
    c.add(VALID_FROM);
    return List.copyOf(c);
  }

  static TableRef current(TableRef gold) {
    return gold.companion(CURRENT_SUFFIX);
  }

  static TableRef points(TableRef gold) {
    return gold.companion(POINTS_SUFFIX);
  }

  /** For the start-up log. */
  String describe(TableRef goldTable) {
    return "SCD2 history in " + goldTable + " (versions by " + tracked + ", ordered by "
        + ordering().stream().map(GoldPlan::quote).collect(Collectors.joining(", "))
        + ", valid_from/valid_to from " + quote(validityColumn())
        + (deleteWhen() == null ? "" : ", deletes where " + deleteWhen())
        + "), current state in " + current(goldTable) + ", records in " + points(goldTable);
  }
}
