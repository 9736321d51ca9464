package dev.streamlake.deserialize;

import static org.apache.spark.sql.functions.array_contains;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * One micro-batch's counts: rows, good rows, dead letters by code and rule failures by rule, as
 * classified; computed in one pass over the classified batch. They feed the circuit breaker, the
 * batch's log line and the bronze commit's metadata.
 */
record BatchCounts(
    long rows,
    long good,
    long deadLetters,
    Map<String, Long> deadLettersByCode,
    Map<String, Long> ruleFailures) {

  private static final ObjectMapper JSON = new ObjectMapper();

  static final String ROWS = "rows";
  static final String GOOD = "good";
  static final String DEAD_LETTERS = "dead_letters";
  static final String CODE_PREFIX = "dead_letters_";
  static final String RULE_PREFIX = "rule_";

  /** Counts the classified rows of one batch in one pass; {@code rules} are the rules' names. */
  static BatchCounts of(Dataset<Row> classified, List<String> rules) {
    List<Column> metrics = metrics(rules);
    Row row = classified.agg(metrics.get(0), metrics.subList(1, metrics.size())
        .toArray(Column[]::new)).first();
    return from(row, rules);
  }

  /** Aggregates over the classified rows, one pass, named as in the observed metrics. */
  private static List<Column> metrics(List<String> rules) {
    List<Column> m = new ArrayList<>();
    m.add(count(lit(1)).as(ROWS));
    m.add(count_if(ClassifiedRowLayout.isGood()).as(GOOD));
    m.add(count_if(not(ClassifiedRowLayout.isGood())).as(DEAD_LETTERS));
    for (ErrorCode code : ErrorCode.values()) {
      m.add(count_if(col(ClassifiedRowLayout.ERROR_CODE).equalTo(code.name()))
          .as(CODE_PREFIX + code.name()));
    }
    for (String rule : rules) {
      m.add(count_if(array_contains(col(ClassifiedRowLayout.BROKEN_RULES), rule))
          .as(RULE_PREFIX + rule));
    }
    return m;
  }

  private static BatchCounts from(Row row, List<String> rules) {
    Map<String, Long> byCode = new LinkedHashMap<>();
    for (ErrorCode code : ErrorCode.values()) {
      long n = row.getLong(row.fieldIndex(CODE_PREFIX + code.name()));
      if (n > 0) {
        byCode.put(code.name(), n);
      }
    }
    Map<String, Long> byRule = new LinkedHashMap<>();
    for (String rule : rules) {
      long n = row.getLong(row.fieldIndex(RULE_PREFIX + rule));
      if (n > 0) {
        byRule.put(rule, n);
      }
    }
    return new BatchCounts(row.getLong(row.fieldIndex(ROWS)), row.getLong(row.fieldIndex(GOOD)),
        row.getLong(row.fieldIndex(DEAD_LETTERS)), Collections.unmodifiableMap(byCode),
        Collections.unmodifiableMap(byRule));
  }

  double deadLetterShare() {
    return rows == 0 ? 0.0 : (double) deadLetters / rows;
  }

  /**
   * The counts as one JSON object, kept as the {@code userMetadata} of the batch's bronze commit so
   * that {@code DESCRIBE HISTORY} shows each batch's outcome.
   */
  String toJson(long batchId) {
    ObjectNode o = JSON.createObjectNode();
    o.put("batch", batchId);
    o.put(ROWS, rows);
    o.put(GOOD, good);
    o.put(DEAD_LETTERS, deadLetters);
    ObjectNode codes = o.putObject("dead_letters_by_code");
    deadLettersByCode.forEach(codes::put);
    ObjectNode byRule = o.putObject("rule_failures");
    ruleFailures.forEach(byRule::put);
    return o.toString();
  }

  /** For the log line: {@code 1000 rows -> bronze 990, dead_letter 10 {...}; rule failures {...}}. */
  String describe() {
    return rows + " rows -> bronze " + good + ", dead_letter " + deadLetters
        + " " + format(deadLettersByCode) + "; rule failures " + format(ruleFailures);
  }

  private static String format(Map<String, Long> m) {
    return m.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(", ", "{", "}"));
  }
}
