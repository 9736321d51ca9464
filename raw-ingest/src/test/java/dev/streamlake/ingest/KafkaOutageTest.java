package dev.streamlake.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class KafkaOutageTest {
  @Test
  void kafkasTimeoutsAndRetriableErrorsDeepInTheCausesCount() {
    Throwable sourceFailure = new RuntimeException("Query raw failed",
        new IllegalStateException("offsets", new TimeoutException("Timed out waiting for a node assignment")));
    assertThat(KafkaOutage.brokersDidNotAnswer(sourceFailure)).isTrue();
    assertThat(KafkaOutage.brokersDidNotAnswer(new RuntimeException(new NotLeaderOrFollowerException("x"))))
        .isTrue();
  }

  @Test
  void otherFailuresDoNot() {
    assertThat(KafkaOutage.brokersDidNotAnswer(new RuntimeException(new SaslAuthenticationException("no"))))
        .isFalse();
    assertThat(KafkaOutage.brokersDidNotAnswer(new IllegalStateException("a bug"))).isFalse();
    assertThat(KafkaOutage.brokersDidNotAnswer(new java.util.concurrent.TimeoutException("not Kafka's")))
        .isFalse();
  }
}
