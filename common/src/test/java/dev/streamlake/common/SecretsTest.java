package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;

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
  }
}
