package dev.streamlake.deserialize;

import static org.apache.spark.sql.functions.col;

import dev.streamlake.common.PipelineConfig;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Stage 2's classification of raw rows that are not a micro-batch of its stream: the dead letters
 * an operator re-drives (they hold the raw row unchanged). It is the stream's own code path (the
 * same row layout, decoder, schema folder and registry, rules and delete condition, and the same
 * start-up checks), so a record classifies exactly as stage 2 would classify it now.
 */
public final class Reclassifier {
  /** The error code column of {@link Reclassified#rows()}: null for a row that is good now. */
  public static final String ERROR_CODE = ClassifiedRowLayout.ERROR_CODE;
  /** The error message column of {@link Reclassified#rows()}. */
  public static final String ERROR_MESSAGE = ClassifiedRowLayout.ERROR_MESSAGE;

  private final ClassifiedRowLayout layout;
  private final DecoderSettings decoder;
  private final Rules rules;

  private Reclassifier(ClassifiedRowLayout layout, DecoderSettings decoder, Rules rules) {
    this.layout = layout;
    this.decoder = decoder;
    this.rules = rules;
  }

  /**
   * Checks what stage 2 checks at start, in its order: the registry settings and the registry
   * itself, a classic session, then the rules (a bad rule is a ConfigException naming it).
   */
  public static Reclassifier of(SparkSession spark, PipelineConfig pipeline,
      SchemaRegistryOptions registryOptions) {
    SchemaRegistrySettings registry =
        registryOptions.toSettings(pipeline.schemas().registryUrl(), System::getenv);
    if (registry != null) {
      SchemaRegistryCheck.verify(registry, pipeline, SchemaRegistryClient::shared);
    }
    DeserializeQuery.requireClassic(spark);
    ClassifiedRowLayout layout = new ClassifiedRowLayout(pipeline.readerSchema());
    Rules rules = Rules.bind(spark, pipeline.rules(), pipeline.gold().deleteWhen(),
        layout.bronzeSchema());
    return new Reclassifier(layout, DecoderSettings.withRegistry(pipeline, registry), rules);
  }

  /** Bronze's columns as this pipeline's reader schema makes them. */
  public StructType bronzeSchema() {
    return layout.bronzeSchema();
  }

  /**
   * Classifies {@code raw} (any frame with the raw table's columns, by name) as of {@code at},
   * which becomes the good rows' {@code deserialized_at} and the rules' clock. The rows are
   * computed once and kept until {@link Reclassified#close()}, so every read of the result sees
   * one classification.
   */
  public Reclassified classify(Dataset<Row> raw, Instant at) {
    long micros = ChronoUnit.MICROS.between(Instant.EPOCH, at);
    return new Reclassified(new Classification(raw, layout, decoder, rules, micros).cache(),
        layout);
  }

  /** One classification of a set of raw rows. */
  public static final class Reclassified implements AutoCloseable {
    private final Classification classification;
    private final ClassifiedRowLayout layout;

    private Reclassified(Classification classification, ClassifiedRowLayout layout) {
      this.classification = classification;
      this.layout = layout;
    }

    /**
     * Every row: bronze's columns (decoded for good rows), then {@link #ERROR_CODE} and
     * {@link #ERROR_MESSAGE}.
     */
    public Dataset<Row> rows() {
      List<Column> columns = new ArrayList<>();
      for (String c : layout.bronzeSchema().fieldNames()) {
        columns.add(col("`" + c + "`"));
      }
      columns.add(col(ERROR_CODE));
      columns.add(col(ERROR_MESSAGE));
      return classification.rows().select(columns.toArray(Column[]::new));
    }

    /** The rows that decode and pass the rules now, shaped exactly like bronze. */
    public Dataset<Row> good() {
      return layout.bronzeRows(classification.rows());
    }

    @Override
    public void close() {
      classification.uncache();
    }
  }
}
