package dev.streamlake.merge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.delta.exceptions.ConcurrentAppendException;
import io.delta.exceptions.ConcurrentDeleteDeleteException;
import io.delta.exceptions.ConcurrentDeleteReadException;
import io.delta.exceptions.ConcurrentTransactionException;
import io.delta.exceptions.ConcurrentWriteException;
import io.delta.exceptions.MetadataChangedException;
import io.delta.exceptions.ProtocolChangedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConflictRetryTest {
  static final String OPTIMIZE_MESSAGE = "Files were removed by a concurrent update.\n"
      + "Conflicting commit: {\"timestamp\":1,\"operation\":\"OPTIMIZE\",\"version\":12,"
      + "\"operationParameters\":{}}";

  final List<Duration> sleeps = new ArrayList<>();
  final ConflictRetry retry = new ConflictRetry(3, Duration.ofSeconds(1), sleeps::add);

  @Test
  void classifiesByDeltaExceptionType() {
    for (RuntimeException e : List.of(
        new ConcurrentAppendException("x"), new ConcurrentDeleteReadException("x"),
        new ConcurrentDeleteDeleteException("x"), new MetadataChangedException("x"),
        new ProtocolChangedException("x"), new ConcurrentWriteException("x"),
        new RuntimeException("wrapped", new ConcurrentAppendException("x")))) {
      assertThat(ConflictRetry.retryableConflict(e)).as(e.toString()).isNotNull();
    }
    assertThat(ConflictRetry.retryableConflict(new ConcurrentTransactionException("x"))).isNull();
    // Message text never counts: only the type does.
    assertThat(ConflictRetry.retryableConflict(
        new IllegalStateException("ConcurrentAppendException"))).isNull();
  }

  @Test
  void retriesConflictsWithGrowingJitteredBackoff() {
    AtomicInteger calls = new AtomicInteger();
    String result = retry.run("gold", "app", 4, attempt -> {
      if (calls.incrementAndGet() < 4) {
        throw new ConcurrentDeleteReadException(OPTIMIZE_MESSAGE);
      }
      return "done after " + attempt;
    });
    assertThat(result).isEqualTo("done after 4");
    assertThat(sleeps).hasSize(3);
    for (int i = 0; i < 3; i++) {
      long ceiling = 1000L << i;
      assertThat(sleeps.get(i).toMillis()).isBetween(ceiling / 2, ceiling);
    }
    assertThat(retry.backoff(40).toMillis()).isLessThanOrEqualTo(60_000).isGreaterThanOrEqualTo(30_000);
  }

  @Test
  void aConflictOutlastingTheRetriesNamesBatchAttemptsAndOperation() {
    assertThatThrownBy(() -> retry.run("gold", "app", 9, attempt -> {
          throw new ConcurrentDeleteReadException(OPTIMIZE_MESSAGE);
        }))
        .isInstanceOf(MergeConflictException.class)
        .hasMessageContaining("Batch 9 could not be merged into gold: all 4 attempts")
        .hasMessageContaining("OPTIMIZE (version 12) [ConcurrentDeleteReadException]")
        .hasCauseInstanceOf(ConcurrentDeleteReadException.class);
    assertThat(sleeps).hasSize(3);
  }

  @Test
  void anythingElseFailsAtOnce() {
    AtomicInteger calls = new AtomicInteger();
    IllegalArgumentException boom = new IllegalArgumentException("bad data");
    assertThatThrownBy(() -> retry.run("gold", "app", 1, attempt -> {
          calls.incrementAndGet();
          throw boom;
        }))
        .isSameAs(boom);
    assertThatThrownBy(() -> retry.run("gold", "app", 1, attempt -> {
          calls.incrementAndGet();
          throw new ConcurrentTransactionException("two writers");
        }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("same app id 'app'");
    assertThat(calls).hasValue(2);
    assertThat(sleeps).isEmpty();
  }

  @Test
  void noRetriesMeansOneAttempt() {
    ConflictRetry none = new ConflictRetry(0, Duration.ofMillis(5), sleeps::add);
    assertThatThrownBy(() -> none.run("gold", "app", 2, attempt -> {
          throw new ConcurrentAppendException("no commit info");
        }))
        .isInstanceOf(MergeConflictException.class)
        .hasMessageContaining("all 1 attempts")
        .hasMessageContaining("an unnamed concurrent commit");
  }
}
