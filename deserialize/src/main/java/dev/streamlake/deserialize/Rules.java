package dev.streamlake.deserialize;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.PipelineConfig.NamedExpression;
import java.util.List;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/** Checks the pipeline's validation rules before any data moves. */
final class Rules {
  private static final String PROBE = "_sl_rule";

  private Rules() {}

  /**
   * Parses and analyzes every rule against an empty bronze-shaped DataFrame: a rule that does not
   * parse, names an unknown column, aggregates, or is not boolean is a {@link ConfigException}
   * naming the rule.
   */
  static void validate(SparkSession spark, List<NamedExpression> rules, StructType bronze) {
    var empty = spark.createDataFrame(List.<Row>of(), bronze);
    for (NamedExpression rule : rules) {
      DataType type;
      try {
        // select(*, rule): an aggregate here fails analysis, as it would in the stream.
        StructType t = empty.select(col("*"), expr(rule.expression()).as(PROBE)).schema();
        type = t.apply(PROBE).dataType();
      } catch (Exception e) {
        if (e instanceof AnalysisException) {
          throw new ConfigException("Invalid validation rule '" + rule.name() + "' ("
              + rule.expression() + "): " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        throw e;
      }
      if (!(type instanceof BooleanType)) {
        throw new ConfigException("Invalid validation rule '" + rule.name() + "' ("
            + rule.expression() + "): it is of type " + type.simpleString()
            + ", but a rule must be a boolean condition on the bronze columns " + List.of(
                bronze.fieldNames()));
      }
    }
  }
}
