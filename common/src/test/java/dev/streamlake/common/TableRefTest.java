package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class TableRefTest {

  @Test
  void tellsCatalogNamesFromPaths() {
    assertThat(TableRef.parse("--gold-table", "main.gold.sensor_readings").isPath()).isFalse();
    assertThat(TableRef.parse("--gold-table", "gold_readings").isPath()).isFalse();
    assertThat(TableRef.parse("--gold-table", "/lake/gold/x").isPath()).isTrue();
    assertThat(TableRef.parse("--gold-table", "s3://bucket/gold/x").isPath()).isTrue();
    assertThat(TableRef.parse("--gold-table", "dbfs:/lake/gold").isPath()).isTrue();
  }

  @Test
  void sqlNameQuotesPaths() {
    assertThat(TableRef.path("/tmp/a`b").sqlName()).isEqualTo("delta.`/tmp/a``b`");
    assertThat(TableRef.catalog("main.gold.t").sqlName()).isEqualTo("main.gold.t");
  }

  @Test
  void createTableSqlQuotesNamesAndValuesAndLeavesColumnsNullable() {
    StructType schema = new StructType()
        .add("partition", DataTypes.IntegerType, false)
        .add("headers", DataTypes.createArrayType(new StructType()
            .add("key", DataTypes.StringType, true)), true)
        .add("ingest_date", DataTypes.DateType, false);
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("parquet.enable.dictionary#value", "false");
    properties.put("comment", "it's a \\ test");
    assertThat(TableRef.path("/tmp/a`b").createTableSql(schema, List.of("ingest_date"), properties))
        .isEqualTo("CREATE TABLE IF NOT EXISTS delta.`/tmp/a``b` (`partition` INT,"
            + " `headers` ARRAY<STRUCT<key: STRING>>, `ingest_date` DATE) USING delta"
            + " PARTITIONED BY (`ingest_date`) TBLPROPERTIES"
            + " ('parquet.enable.dictionary#value' = 'false', 'comment' = 'it\\'s a \\\\ test')");
  }

  @Test
  void rejectsMalformedCatalogNames() {
    assertThatThrownBy(() -> TableRef.parse("--bronze-table", "a.b.c.d"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--bronze-table")
        .hasMessageContaining("'a.b.c.d'");
    assertThatThrownBy(() -> TableRef.parse("--bronze-table", "bad name"))
        .isInstanceOf(ConfigException.class);
  }
}
