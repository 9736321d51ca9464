package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SecretsTest {

  @Test
  void masksCredentialsAndKeepsTheRest() {
    assertThat(Secrets.mask("kafka.sasl.jaas.config", "org.apache...PlainLoginModule required"))
        .isEqualTo(Secrets.MASK);
    assertThat(Secrets.mask("kafka.ssl.truststore.password", "hunter2")).isEqualTo(Secrets.MASK);
    assertThat(Secrets.mask("kafka.ssl.key.password", "hunter2")).isEqualTo(Secrets.MASK);
    assertThat(Secrets.mask("kafka.security.protocol", "SASL_SSL")).isEqualTo("SASL_SSL");
    assertThat(Secrets.mask("topic", "sensor-readings")).isEqualTo("sensor-readings");
    assertThat(Secrets.mask("topic", null)).isEqualTo("null");
  }

  @Test
  void passwordTypedKafkaOptionsWhoseNamesLookHarmlessAreMasked() {
    // None of these names says password, secret or key-ish enough for the name heuristic.
    for (String key : List.of("kafka.ssl.keystore.key", "kafka.ssl.keystore.certificate.chain",
        "kafka.ssl.truststore.certificates", "raw-ingest.kafka.ssl.keystore.key")) {
      assertThat(Secrets.isSecret(key)).as(key).isTrue();
    }
  }

  @Test
  void theNameHeuristicCatchesWhatTheKafkaListDoesNotKnow() {
    for (String key : List.of("kafka.sasl.oauthbearer.client.secret", "schema-registry-password",
        "registry.basic.auth.credentials", "kafka.sasl.login.token", "api-key", "private_key",
        "kafka.custom.jaas.file")) {
      assertThat(Secrets.isSecret(key)).as(key).isTrue();
    }
  }

  @Test
  void aKafkaOptionNameMustStandAfterAPrefixBoundary() {
    assertThat(Secrets.isSecret("kafka.xssl.keystore.key")).isFalse();
    assertThat(Secrets.isSecret("kafka.ssl.keystore.keys")).isFalse();
    assertThat(Secrets.isSecret("kafka.ssl.keystore.type")).isFalse();
    assertThat(Secrets.isSecret("kafka.ssl.keystore.location")).isFalse();
    assertThat(Secrets.isSecret(null)).isFalse();
  }

  @Test
  void urlPasswordsAreMaskedInAnyValue() {
    assertThat(Secrets.mask("schema-registry-url", "https://svc:p4ss@registry:8081/x"))
        .isEqualTo("https://svc:******@registry:8081/x");
    assertThat(Secrets.mask("schema-registry-url", "https://registry:8081/x"))
        .isEqualTo("https://registry:8081/x");
    assertThat(Secrets.mask("lake", "s3://bucket/lake")).isEqualTo("s3://bucket/lake");
  }

  @Test
  void secretValuesOfACommandLineInBothForms() {
    List<String> args = List.of("--lake", "/l", "--kafka.ssl.keystore.key=K3y", "--kafka.sasl.jaas.config",
        "J44s", "--kafka.security.protocol=SSL", "--kafka.ssl.key.password=");
    assertThat(Secrets.secretValues(args)).isEqualTo(Set.of("K3y", "J44s"));
    assertThat(Secrets.maskCommandLine(args)).containsExactly("--lake", "/l",
        "--kafka.ssl.keystore.key=******", "--kafka.sasl.jaas.config", "******",
        "--kafka.security.protocol=SSL", "--kafka.ssl.key.password=");
  }

  @Test
  void redactReplacesTheLongestValueFirst() {
    assertThat(Secrets.redact("a=abc b=ab", List.of("ab", "abc"))).isEqualTo("a=****** b=******");
    assertThat(Secrets.redact(null, List.of("x"))).isNull();
  }
}
