package dev.streamlake.common;

import static org.apache.spark.sql.functions.current_timestamp;

import java.time.Instant;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF0;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * The times the stages write into their tables ({@code ingested_at}, gold's audit times), as
 * expressions that keep a query's generated code the same from one micro-batch to the next.
 *
 * <p>Spark turns {@code current_timestamp()} into a timestamp literal per batch and writes that
 * literal into the Java source it generates, so with it every micro-batch compiles its
 * projections again, and the JIT compiles the new classes again, on the driver's few cores. A
 * function of no arguments is never folded into a literal, and its generated code only refers to
 * the function object, which carries the time.
 *
 * <p>Spark Connect sessions get {@code current_timestamp()}: there a Java function would have to
 * reach the server as an uploaded class, which stage 1's Connect jar does not do.
 */
public final class WriteTimes {
  private WriteTimes() {}

  /** The wall clock when each row is written. */
  public static Column now(SparkSession spark) {
    if (SparkApi.of(spark) == SparkApi.CONNECT) {
      return current_timestamp();
    }
    return functions.udf((UDF0<Instant>) Instant::now, DataTypes.TimestampType)
        .asNondeterministic()
        .apply();
  }

  /**
   * Registers {@code name()} on {@code spark} as the function returning {@code at}, for SQL text
   * that needs one time for a whole batch (a MERGE's SET and VALUES). Registering again replaces
   * the time; the session should be the batch's own.
   */
  public static void register(SparkSession spark, String name, Instant at) {
    spark.udf().register(name, (UDF0<Instant>) () -> at, DataTypes.TimestampType);
  }
}
