package dev.streamlake.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TestKafkaTest {

  @Test
  void uniqueTopicsAreDistinctLegalNames() {
    Set<String> topics = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      topics.add(TestKafka.uniqueTopic("sensor.readings_x"));
    }
    assertThat(topics).hasSize(100);
    assertThat(topics).allMatch(t -> t.matches("sensor\\.readings_x-[0-9]+-[0-9a-f]{8}"));
  }

  @Test
  void uniqueTopicRejectsIllegalPrefix() {
    assertThatThrownBy(() -> TestKafka.uniqueTopic("has space"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("has space");
  }
}
