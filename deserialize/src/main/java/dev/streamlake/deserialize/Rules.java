package dev.streamlake.deserialize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.PipelineConfig.NamedExpression;
import dev.streamlake.common.TableSchemas;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.CommonExpressionDef;
import org.apache.spark.sql.catalyst.expressions.CommonExpressionId;
import org.apache.spark.sql.catalyst.expressions.CommonExpressionRef;
import org.apache.spark.sql.catalyst.expressions.CurrentDate;
import org.apache.spark.sql.catalyst.expressions.CurrentTimestampLike;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.LocalTimestamp;
import org.apache.spark.sql.catalyst.expressions.RuntimeReplaceable;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.expressions.With;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The pipeline's validation rules, checked at start and evaluated record by record.
 *
 * <p>Rules are Spark SQL, but they are not run as columns of a query: with ANSI mode on, a rule
 * that raises on one record ({@code CAST('x' AS INT)}, a division by zero, an overflow) would
 * fail the whole task. Each rule is analyzed once on the driver, bound to the bronze row layout
 * and evaluated by the executor for one record at a time, so an error breaks that rule for that
 * record and nothing else. {@code current_timestamp()} and its relatives read the bronze row's
 * {@code deserialized_at}, the micro-batch timestamp from the offset log, so a replayed batch
 * classifies exactly as before.
 */
final class Rules implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final String PROBE = "_sl_rule";
  private static final String TODAY = "_sl_today";
  private static final String LOCAL_NOW = "_sl_local_now";
  static final String DELETE_WHEN = "gold.deleteWhen";

  /** A rule ready to run: its name and its expression bound to the bronze row's ordinals. */
  private record Bound(String name, Expression expression) implements Serializable {}

  /** One record's outcome: the broken rules' names, and a note per rule that raised. */
  record Outcome(List<String> broken, List<String> notes) {
    boolean passed() {
      return broken.isEmpty();
    }

    String message() {
      StringBuilder m = new StringBuilder("broken rules: ").append(String.join(", ", broken));
      if (!notes.isEmpty()) {
        m.append(" (").append(String.join("; ", notes)).append(")");
      }
      return m.toString();
    }
  }

  private static final Outcome PASSED = new Outcome(List.of(), List.of());

  private final List<Bound> rules;
  /**
   * {@code gold.deleteWhen}, bound like a rule, or null: decides whether a tombstone (a record
   * with a key and no value) is a delete that belongs in bronze, or a dead letter.
   */
  private final Bound deleteWhen;

  private Rules(List<Bound> rules, Bound deleteWhen) {
    this.rules = rules;
    this.deleteWhen = deleteWhen;
  }

  /** Binds the rules, and {@code deleteWhen} (null for none) the same way. */
  static Rules bind(
      SparkSession spark, List<NamedExpression> rules, String deleteWhen, StructType bronze) {
    Rules bound = bind(spark, rules, bronze);
    if (deleteWhen == null) {
      return bound;
    }
    Rules condition = bind(spark, List.of(new NamedExpression(DELETE_WHEN, deleteWhen)), bronze);
    return new Rules(bound.rules, condition.rules.get(0));
  }

  /** Whether tombstones may be deletes at all: only when the pipeline has a delete condition. */
  boolean hasDeleteCondition() {
    return deleteWhen != null;
  }

  /**
   * Whether {@code gold.deleteWhen} holds for this bronze row. False when it is false, NULL or
   * raises: a record is a delete only when the pipeline plainly says so.
   */
  boolean isDelete(InternalRow bronzeRow) {
    if (deleteWhen == null) {
      return false;
    }
    try {
      return Boolean.TRUE.equals(deleteWhen.expression().eval(bronzeRow));
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Parses, analyzes and binds every rule against bronze's columns. A rule that does not parse,
   * names an unknown column, aggregates, uses a subquery, is not boolean or is not deterministic
   * is a {@link ConfigException} naming the rule.
   */
  static Rules bind(SparkSession spark, List<NamedExpression> rules, StructType bronze) {
    Dataset<Row> empty = spark.createDataFrame(List.<Row>of(), bronze);
    Map<String, Expression> helpers = new HashMap<>();
    List<Column> probes = List.of(
        expr("CAST(" + TableSchemas.DESERIALIZED_AT + " AS DATE)").as(TODAY),
        expr("CAST(" + TableSchemas.DESERIALIZED_AT + " AS TIMESTAMP_NTZ)").as(LOCAL_NOW));
    Project helperPlan = project(empty.select(probes.toArray(Column[]::new)));
    List<Attribute> input = CollectionConverters.asJava(helperPlan.child().output());
    for (var e : CollectionConverters.asJava(helperPlan.projectList())) {
      Alias a = (Alias) e;
      helpers.put(a.name(), a.child());
    }

    List<Bound> bound = new ArrayList<>();
    for (NamedExpression rule : rules) {
      Expression analyzed = analyze(empty, rule, bronze);
      if (!analyzed.deterministic()) {
        throw invalid(rule, "it is not deterministic, but a replayed batch must classify every"
            + " record as the first attempt did");
      }
      if (contains(analyzed, SubqueryExpression.class)) {
        throw invalid(rule, "it uses a subquery; a rule sees one record at a time");
      }
      Expression ready = new Binder(input, helpers).rewrite(analyzed);
      probe(rule, ready, bronze.size());
      bound.add(new Bound(rule.name(), ready));
    }
    return new Rules(List.copyOf(bound), null);
  }

  /** The rule's names, in config order. */
  List<String> names() {
    return rules.stream().map(Bound::name).toList();
  }

  /**
   * Evaluates every rule on one bronze row; a rule breaks when it is false, NULL, or raises. Only
   * failures of the evaluation itself are caught: they are properties of this record's values.
   */
  Outcome evaluate(InternalRow bronzeRow) {
    List<String> broken = null;
    List<String> notes = null;
    for (Bound rule : rules) {
      String note = null;
      boolean passed;
      try {
        passed = Boolean.TRUE.equals(rule.expression().eval(bronzeRow));
      } catch (RuntimeException e) {
        passed = false;
        note = rule.name() + " raised " + errorClass(e) + ": " + firstLine(e.getMessage());
      }
      if (!passed) {
        if (broken == null) {
          broken = new ArrayList<>();
          notes = new ArrayList<>();
        }
        broken.add(rule.name());
        if (note != null) {
          notes.add(note);
        }
      }
    }
    return broken == null ? PASSED : new Outcome(broken, notes);
  }

  static String errorClass(Throwable e) {
    if (e instanceof SparkThrowable t && t.getCondition() != null) {
      return t.getCondition();
    }
    return e.getClass().getName();
  }

  private static Expression analyze(Dataset<Row> empty, NamedExpression rule, StructType bronze) {
    DataType type;
    Expression analyzed;
    try {
      // select(*, rule): an aggregate here fails analysis, as it would in a query.
      Project p = project(empty.select(col("*"), expr(rule.expression()).as(PROBE)));
      Alias alias = (Alias) p.projectList().last();
      analyzed = alias.child();
      type = analyzed.dataType();
    } catch (Exception e) {
      if (!(e instanceof AnalysisException)) {
        throw e;
      }
      throw new ConfigException("Invalid " + describe(rule) + " (" + rule.expression() + "): "
          + e.getMessage().lines().findFirst().orElse(""), e);
    }
    if (!(type instanceof BooleanType)) {
      throw invalid(rule, "it is of type " + type.simpleString() + ", but a rule must be a"
          + " boolean condition on the bronze columns " + List.of(bronze.fieldNames()));
    }
    return analyzed;
  }

  private static Project project(Dataset<Row> selected) {
    LogicalPlan plan =
        ((org.apache.spark.sql.classic.Dataset<Row>) selected).queryExecution().analyzed();
    return (Project) plan;
  }

  /** A rule Spark can analyze but not evaluate row by row is a config error, found at start. */
  private static void probe(NamedExpression rule, Expression bound, int width) {
    try {
      bound.eval(new GenericInternalRow(new Object[width]));
    } catch (UnsupportedOperationException e) {
      throw invalid(rule, "it cannot be evaluated one record at a time: " + firstLine(
          e.getMessage()));
    } catch (RuntimeException ignored) {
      // Raising on a row of NULLs is a property of the data, handled per record.
    }
  }

  private static boolean contains(Expression e, Class<?> type) {
    if (type.isInstance(e)) {
      return true;
    }
    for (Expression child : CollectionConverters.asJava(e.children())) {
      if (contains(child, type)) {
        return true;
      }
    }
    return false;
  }

  private static ConfigException invalid(NamedExpression rule, String why) {
    return new ConfigException("Invalid " + describe(rule) + " (" + rule.expression() + "): " + why);
  }

  private static String describe(NamedExpression rule) {
    return rule.name().equals(DELETE_WHEN)
        ? "pipeline setting " + DELETE_WHEN
        : "validation rule '" + rule.name() + "'";
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    String line = s.lines().findFirst().orElse("");
    return line.length() <= 300 ? line : line.substring(0, 300) + "...";
  }

  /**
   * Turns an analyzed expression into one that evaluates on its own: column references become
   * ordinals, the current time becomes the row's batch timestamp, and expressions the optimizer
   * would normally replace ({@code RuntimeReplaceable}, the common-subexpression {@code With})
   * are replaced here.
   */
  private static final class Binder {
    private final List<Attribute> input;
    private final Map<String, Expression> helpers;
    private final Map<CommonExpressionId, Expression> common = new HashMap<>();

    Binder(List<Attribute> input, Map<String, Expression> helpers) {
      this.input = input;
      this.helpers = helpers;
    }

    Expression rewrite(Expression e) {
      if (e instanceof AttributeReference a) {
        return bind(a);
      }
      if (e instanceof CurrentTimestampLike) {
        return bind(attribute(TableSchemas.DESERIALIZED_AT));
      }
      if (e instanceof CurrentDate) {
        return rewrite(helpers.get(TODAY));
      }
      if (e instanceof LocalTimestamp) {
        return rewrite(helpers.get(LOCAL_NOW));
      }
      if (e instanceof RuntimeReplaceable r) {
        return rewrite(r.replacement());
      }
      if (e instanceof With w) {
        for (CommonExpressionDef def : CollectionConverters.asJava(w.defs())) {
          common.put(def.id(), rewrite(def.child()));
        }
        return rewrite(w.child());
      }
      if (e instanceof CommonExpressionRef ref) {
        Expression def = common.get(ref.id());
        if (def == null) {
          throw new IllegalStateException("no definition for common expression " + ref);
        }
        return def;
      }
      List<Expression> children = CollectionConverters.asJava(e.children());
      if (children.isEmpty()) {
        return e;
      }
      List<Expression> rewritten = new ArrayList<>(children.size());
      for (Expression c : children) {
        rewritten.add(rewrite(c));
      }
      return e.withNewChildren(CollectionConverters.asScala(rewritten).toSeq());
    }

    private Attribute attribute(String name) {
      for (Attribute a : input) {
        if (a.name().equals(name)) {
          return a;
        }
      }
      throw new IllegalStateException("no bronze column " + name);
    }

    private Expression bind(Attribute a) {
      for (int i = 0; i < input.size(); i++) {
        if (input.get(i).exprId().equals(a.exprId())) {
          return new BoundReference(i, a.dataType(), a.nullable());
        }
      }
      throw new IllegalStateException("rule column " + a + " is not a bronze column");
    }
  }
}
