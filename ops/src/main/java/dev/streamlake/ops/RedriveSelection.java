package dev.streamlake.ops;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.Stage;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.deserialize.ErrorCode;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Which dead letters a re-drive looks at: stage 2's, narrowed by every criterion given (all must
 * hold). Whether a matching dead letter is still open is decided apart, so that the summary can
 * count the ones an earlier re-drive took.
 *
 * @param codes error codes, any of them; empty: every code
 * @param rules rule names a RULE_VIOLATION must name among its broken rules, any of them; empty:
 *     no such criterion
 * @param since failed_at at or after, or null
 * @param until failed_at before, or null
 * @param where a SQL condition on dead_letter's columns, or null
 */
record RedriveSelection(
    Set<String> codes, Set<String> rules, Instant since, Instant until, String where) {

  private static final String TIMES =
      "an instant such as 2024-03-01T10:00:00Z, a UTC date-time such as 2024-03-01T10:00:00, or a"
          + " UTC date such as 2024-03-01";

  /** Checks the command line's values; names the setting of a bad one. */
  static RedriveSelection of(List<String> codes, List<String> rules, String since, String until,
      String where) {
    Set<String> codeSet = new LinkedHashSet<>();
    String known = Arrays.stream(ErrorCode.values()).map(Enum::name)
        .collect(Collectors.joining(", "));
    for (String c : codes == null ? List.<String>of() : codes) {
      String code = c.trim().toUpperCase(Locale.ROOT);
      try {
        ErrorCode.valueOf(code);
      } catch (IllegalArgumentException e) {
        throw ConfigException.invalid("--code", c, "one or more of " + known);
      }
      codeSet.add(code);
    }
    Set<String> ruleSet = new LinkedHashSet<>();
    for (String r : rules == null ? List.<String>of() : rules) {
      if (r.isBlank()) {
        throw ConfigException.invalid("--rule", r, "the name of a rule of the pipeline");
      }
      ruleSet.add(r.trim());
    }
    Instant from = instant("--since", since);
    Instant to = instant("--until", until);
    if (from != null && to != null && !from.isBefore(to)) {
      throw new ConfigException("--since " + since + " is not before --until " + until
          + ": no dead letter failed in between. Give an earlier --since or a later --until.");
    }
    if (where != null && where.isBlank()) {
      throw ConfigException.invalid("--where", where,
          "a SQL condition on dead_letter's columns, such as \"topic = 'sensor-readings'\"");
    }
    return new RedriveSelection(codeSet, ruleSet, from, to, where == null ? null : where.trim());
  }

  private static Instant instant(String setting, String value) {
    if (value == null) {
      return null;
    }
    String v = value.trim();
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException notAnInstant) {
      try {
        return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException notADateTime) {
        try {
          return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException notADate) {
          throw ConfigException.invalid(setting, value, TIMES);
        }
      }
    }
  }

  /**
   * Stage 2's dead letters that match every criterion. A {@code --where} that does not parse,
   * names no column of dead_letter or is not a condition is a ConfigException saying so.
   */
  Dataset<Row> matching(Dataset<Row> deadLetters, String table) {
    Dataset<Row> m = deadLetters.where(
        col(TableSchemas.STAGE).equalTo(lit(Stage.DESERIALIZE.id())));
    if (!codes.isEmpty()) {
      m = m.where(col(TableSchemas.ERROR_CODE).isin(codes.toArray()));
    }
    if (!rules.isEmpty()) {
      m = m.where(brokeOneOf(rules));
    }
    if (since != null) {
      m = m.where(col(TableSchemas.FAILED_AT).geq(lit(Timestamp.from(since))));
    }
    if (until != null) {
      m = m.where(col(TableSchemas.FAILED_AT).lt(lit(Timestamp.from(until))));
    }
    if (where != null) {
      try {
        // Analysis is eager: a bad condition fails here, before anything is written.
        m = m.where(expr(where));
        m.schema();
      } catch (Exception e) { // Spark's AnalysisException is checked, though Scala does not say so
        throw new ConfigException("Invalid value for --where: '" + where + "'. Allowed: a SQL"
            + " condition on the columns of " + table + " (" + String.join(", ",
                deadLetters.columns()) + "). Spark says: " + firstLine(e.getMessage()));
      }
    }
    return m;
  }

  /**
   * A RULE_VIOLATION's message starts with {@code broken rules: a, b}, then, when a rule raised,
   * notes in parentheses (see stage 2's rules); the rule must be one of that list.
   */
  private static Column brokeOneOf(Set<String> rules) {
    String names = "split(regexp_extract(" + TableSchemas.ERROR_MESSAGE
        + ", '^broken rules: ([^(]*)', 1), ',')";
    List<String> quoted = new ArrayList<>();
    for (String r : rules) {
      quoted.add("'" + r.replace("\\", "\\\\").replace("'", "\\'") + "'");
    }
    return col(TableSchemas.ERROR_CODE).equalTo(lit(ErrorCode.RULE_VIOLATION.name()))
        .and(expr("exists(" + names + ", r -> trim(r) IN (" + String.join(", ", quoted) + "))"));
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }

  Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("code", codes.isEmpty() ? "any" : String.join(",", codes));
    m.put("rule", rules.isEmpty() ? "any" : String.join(",", rules));
    m.put("since", since == null ? "none" : since.toString());
    m.put("until", until == null ? "none" : until.toString());
    m.put("where", where == null ? "none" : where);
    return m;
  }
}
