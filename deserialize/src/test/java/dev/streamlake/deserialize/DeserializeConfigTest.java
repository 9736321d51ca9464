package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.CommandLines;
import dev.streamlake.common.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeserializeConfigTest {

  @Test
  void defaults() {
    DeserializeConfig c = DeserializeConfig.fromArgs(new String[] {"--lake", "/tmp/lake"});
    assertThat(c.settings().trigger().toString()).isEqualTo("processingTime:1m");
    assertThat(c.settings().appId()).isEqualTo("sensor_readings-deserialize");
    assertThat(c.deadLetterLimit()).isNull();
    assertThat(c.schemaRegistry()).isNull();
    // A large backlog is read in bounded batches; the file limit stays Delta's.
    assertThat(c.sourceOptions()).containsOnlyKeys("ignoreDeletes", "maxBytesPerTrigger")
        .containsEntry("maxBytesPerTrigger", "1g");
    assertThat(c.describe()).containsEntry("dead-letter-limit", "off")
        .containsEntry("rules", "sensor_id_length,temperature_range,humidity_range,"
            + "battery_range,status_known,reading_ts_plausible");
  }

  @Test
  void stageOptions() {
    DeserializeConfig c = DeserializeConfig.fromArgs(new String[] {"--lake", "/tmp/lake",
        "--raw-max-files-per-trigger", "5", "--raw-max-bytes-per-trigger", "512m",
        "--dead-letter-limit", "0.25", "--schema-registry-url", "http://registry:8081",
        "--format", "json", "--trigger", "availableNow"});
    assertThat(c.sourceOptions()).containsEntry("maxFilesPerTrigger", "5")
        .containsEntry("maxBytesPerTrigger", "512m");
    assertThat(c.deadLetterLimit()).isEqualTo(0.25);
    assertThat(c.decoderSettings().registry().baseUrl()).isEqualTo("http://registry:8081");
    assertThat(c.decoderSettings().format().name()).isEqualTo("JSON");
    assertThat(DeserializeConfig.fromArgs(new String[] {"--lake", "/l", "--dead-letter-limit",
        "off"}).deadLetterLimit()).isNull();
  }

  @Test
  void sizesAndDurationsReadTheOneGrammar() {
    DeserializeConfig c = DeserializeConfig.fromArgs(new String[] {"--lake", "/l",
        "--raw-max-bytes-per-trigger", "2 G", "--schema-registry-url", "http://registry:8081",
        "--schema-registry-timeout", "2min", "--schema-registry-miss-ttl", "1d"});
    assertThat(c.sourceOptions()).containsEntry("maxBytesPerTrigger", "2g");
    assertThat(c.schemaRegistry().timeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.schemaRegistry().missTtl()).isEqualTo(Duration.ofDays(1));
    assertThatThrownBy(() -> DeserializeConfig.fromArgs(new String[] {"--lake", "/l",
        "--schema-registry-url", "http://registry:8081", "--schema-registry-timeout", "30"}))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value for --schema-registry-timeout: '30'. Allowed: a duration such"
            + " as 500ms, 30s, 5m or 1h.");
  }

  @Test
  void badValuesNameTheSetting() {
    String[][] bad = {
      {"--dead-letter-limit", "0"},
      {"--dead-letter-limit", "1.5"},
      {"--dead-letter-limit", "lots"},
      {"--raw-max-files-per-trigger", "0"},
      {"--raw-max-bytes-per-trigger", "many"},
      {"--schema-registry-url", "registry:8081"},
    };
    for (String[] b : bad) {
      assertThatThrownBy(() -> DeserializeConfig.fromArgs(new String[] {"--lake", "/l", b[0],
          b[1]}))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(b[0])
          .hasMessageContaining(b[1]);
    }
  }

  @Test
  void schemaRegistryDefaults() {
    DeserializeConfig c = DeserializeConfig.fromArgs(new String[] {"--lake", "/tmp/lake",
        "--schema-registry-url", "https://registry:8081/sr/"});
    SchemaRegistrySettings r = c.schemaRegistry();
    assertThat(r.baseUrl()).isEqualTo("https://registry:8081/sr");
    assertThat(r.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(r.missTtl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(r.maxMissesPerTask()).isEqualTo(100);
    assertThat(c.describe())
        .containsEntry("schema-registry-url", "https://registry:8081/sr")
        .containsEntry("schema-registry-auth", "none")
        .containsEntry("schema-registry-tls", "the JVM's default trust store")
        .containsEntry("schema-registry-timeout", "30s")
        .containsEntry("schema-registry-miss-ttl", "5m")
        .containsEntry("schema-registry-max-misses-per-task", "100");
  }

  @Test
  void schemaRegistryOptions(@TempDir Path dir) throws IOException {
    Path store = Files.writeString(dir.resolve("trust.p12"), "not read here");
    Map<String, String> env = Map.of("SR_PASSWORD", "x", "SR_TRUST", "y");
    DeserializeConfig c = DeserializeConfig.fromArgs(new String[] {"--lake", "/tmp/lake",
        "--schema-registry-url", "https://registry:8081",
        "--schema-registry-basic-auth-user", "svc-stage2",
        "--schema-registry-basic-auth-password-env", "SR_PASSWORD",
        "--schema-registry-trust-store", store.toString(),
        "--schema-registry-trust-store-password-env", "SR_TRUST",
        "--schema-registry-timeout", "2s", "--schema-registry-miss-ttl", "0s",
        "--schema-registry-max-misses-per-task", "7"}, env::get);
    SchemaRegistrySettings r = c.schemaRegistry();
    assertThat(r.basicAuthUser()).isEqualTo("svc-stage2");
    assertThat(r.basicAuthPassword()).isEqualTo(
        SecretSource.env("SR_PASSWORD", "--schema-registry-basic-auth-password-env"));
    assertThat(r.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(r.missTtl()).isZero();
    assertThat(r.maxMissesPerTask()).isEqualTo(7);
    assertThat(c.describe())
        .containsEntry("schema-registry-auth",
            "basic auth as 'svc-stage2' with the password from env SR_PASSWORD")
        .containsEntry("schema-registry-tls",
            "trust store " + store + " (password from env SR_TRUST)");
    // The effective-config line masks nothing here because nothing here is a secret.
    assertThat(CommandLines.effectiveConfig(c.describe()))
        .contains("schema-registry-auth=basic auth as 'svc-stage2'");
  }

  @Test
  void badSchemaRegistrySettingsNameTheSetting() {
    Map<String, String> env = Map.of("A", "1", "B", "2");
    String[][] bad = {
      {"--schema-registry-url", "https://"},
      {"--schema-registry-url", "https://registry:8081?x=1"},
      {"--schema-registry-url", "https://registry:8081", "--schema-registry-timeout", "0s"},
      {"--schema-registry-url", "https://registry:8081", "--schema-registry-timeout", "soon"},
      {"--schema-registry-url", "https://registry:8081", "--schema-registry-miss-ttl", "-1m"},
      {"--schema-registry-url", "https://registry:8081",
          "--schema-registry-max-misses-per-task", "0"},
      {"--schema-registry-url", "https://registry:8081",
          "--schema-registry-basic-auth-user", "u"},
      {"--schema-registry-url", "https://registry:8081",
          "--schema-registry-basic-auth-password-env", "A"},
      {"--schema-registry-url", "https://registry:8081", "--schema-registry-basic-auth-user", "u",
          "--schema-registry-basic-auth-password-env", "A",
          "--schema-registry-basic-auth-password-file", "/etc/hostname"},
      {"--schema-registry-url", "https://registry:8081", "--schema-registry-basic-auth-user", "u",
          "--schema-registry-basic-auth-password-env", "A",
          "--schema-registry-bearer-token-env", "B"},
      {"--schema-registry-url", "https://u:p@registry:8081",
          "--schema-registry-bearer-token-env", "B"},
      {"--schema-registry-url", "https://registry:8081",
          "--schema-registry-trust-store-password-env", "A"},
      {"--schema-registry-url", "https://registry:8081", "--schema-registry-key-store",
          "/etc/hostname"},
      {"--schema-registry-url", "http://registry:8081", "--schema-registry-trust-store",
          "/etc/hostname"},
      {"--schema-registry-bearer-token-env", "B"},
    };
    for (String[] b : bad) {
      String[] args = new String[b.length + 2];
      args[0] = "--lake";
      args[1] = "/l";
      System.arraycopy(b, 0, args, 2, b.length);
      String last = b[b.length - 2];
      assertThatThrownBy(() -> DeserializeConfig.fromArgs(args, env::get))
          .as(String.join(" ", b))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(last.startsWith("--schema-registry-url") ? "registry" : last
              .replaceAll("-(env|file)$", ""));
    }
  }

  @Test
  void userInfoIsNeverInAMessage() {
    String[] bad = {"htps://alice:s3cr3t@registry", "https://alice:s3cr3t@", "https://alice@registry",
      "https://alice:s3cr3t%zz@registry", "https://alice:s3/cr3t@registry:x"};
    for (String url : bad) {
      assertThatThrownBy(() -> DeserializeConfig.fromArgs(new String[] {"--lake", "/l",
          "--schema-registry-url", url}))
          .as(url)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("--schema-registry-url")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cr3t")
              .doesNotContain("alice").doesNotContain("s3/cr3t"));
    }
  }

  @Test
  void helpOnly() {
    assertThat(DeserializeConfig.fromArgs(new String[] {"--help"})).isNull();
  }
}
