package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.TableEvolution.Difference;
import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class TableEvolutionTest {
  private static final TableRef TABLE = TableRef.path("/lake/bronze/x");
  private static final String SOURCE = "the pipeline's reader schema (id 3)";

  private static final StructType TABLE_SCHEMA = new StructType()
      .add("id", DataTypes.StringType, false)
      .add("count", DataTypes.IntegerType, true)
      .add("ratio", DataTypes.FloatType, true)
      .add("gone", DataTypes.StringType, true)
      .add("tags", DataTypes.createArrayType(DataTypes.StringType, false), true);

  @Test
  void findsMissingUnexpectedAndChangedColumnsIgnoringCaseAndNullability() {
    StructType expected = new StructType()
        .add("ID", DataTypes.StringType, true)
        .add("count", DataTypes.LongType, true)
        .add("ratio", DataTypes.DoubleType, true)
        .add("tags", DataTypes.createArrayType(DataTypes.StringType, true), true)
        .add("light_lux", DataTypes.DoubleType, true);

    Difference d = TableEvolution.compare(TABLE_SCHEMA, expected);

    assertThat(d.missing()).extracting(StructField::name).containsExactly("light_lux");
    assertThat(d.unexpected()).extracting(StructField::name).containsExactly("gone");
    assertThat(d.changedTypes()).containsExactly(
        new TableEvolution.TypeChange("count", DataTypes.IntegerType, DataTypes.LongType),
        new TableEvolution.TypeChange("ratio", DataTypes.FloatType, DataTypes.DoubleType));
    assertThat(TableEvolution.compare(TABLE_SCHEMA, TABLE_SCHEMA).isEmpty()).isTrue();
  }

  @Test
  void aPromotionIsRefusedWithTypeWideningExplained() {
    StructType expected = new StructType()
        .add("id", DataTypes.StringType).add("count", DataTypes.LongType)
        .add("ratio", DataTypes.DoubleType).add("gone", DataTypes.StringType)
        .add("tags", DataTypes.createArrayType(DataTypes.StringType));
    Difference d = TableEvolution.compare(TABLE_SCHEMA, expected);

    assertThatThrownBy(() -> TableEvolution.refuseTypeChanges(TABLE, d, SOURCE))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Table /lake/bronze/x column 'count' is INT but " + SOURCE
            + " makes it BIGINT (and 1 more column(s): 'ratio' FLOAT -> DOUBLE).")
        .hasMessageContaining("Delta 4.0 can (type widening)")
        .hasMessageContaining("new optional field");
  }

  @Test
  void anyOtherTypeChangeIsRefusedToo() {
    StructType expected = new StructType().add("count", DataTypes.StringType);
    Difference d = TableEvolution.compare(
        new StructType().add("count", DataTypes.IntegerType), expected);

    assertThatThrownBy(() -> TableEvolution.refuseTypeChanges(TABLE, d, SOURCE))
        .hasMessageContaining("column 'count' is INT but " + SOURCE + " makes it STRING.")
        .hasMessageContaining("never changes a column's type")
        .hasMessageNotContaining("type widening");
  }

  @Test
  void aRemovedColumnIsRefusedNamingIt() {
    StructType expected = new StructType().add("id", DataTypes.StringType)
        .add("count", DataTypes.IntegerType).add("ratio", DataTypes.FloatType)
        .add("tags", DataTypes.createArrayType(DataTypes.StringType));
    Difference d = TableEvolution.compare(TABLE_SCHEMA, expected);

    assertThatThrownBy(() -> TableEvolution.refuseRemovedColumns(TABLE, d, SOURCE))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Table /lake/bronze/x has column(s) 'gone' that " + SOURCE
            + " no longer has: a field was removed or renamed.")
        .hasMessageContaining("Put the field back into the reader schema");
  }

  @Test
  void addsColumnsToPathAndCatalogTablesInOneStatement() {
    List<StructField> missing = List.of(
        DataTypes.createStructField("light_lux", DataTypes.DoubleType, true),
        DataTypes.createStructField("kafka_key", DataTypes.BinaryType, true));
    assertThat(TableEvolution.addColumnsSql(TABLE, missing)).isEqualTo(
        "ALTER TABLE delta.`/lake/bronze/x` ADD COLUMNS (`light_lux` DOUBLE, `kafka_key` BINARY)");
    assertThat(TableEvolution.addColumnsSql(TableRef.catalog("main.s.bronze_x"), missing))
        .startsWith("ALTER TABLE main.s.bronze_x ADD COLUMNS (");
  }
}
