package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
  void rejectsMalformedCatalogNames() {
    assertThatThrownBy(() -> TableRef.parse("--bronze-table", "a.b.c.d"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--bronze-table")
        .hasMessageContaining("'a.b.c.d'");
    assertThatThrownBy(() -> TableRef.parse("--bronze-table", "bad name"))
        .isInstanceOf(ConfigException.class);
  }
}
