package dev.streamlake.merge;

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
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one batch's merge, retrying it when Delta's optimistic concurrency control rejected the
 * commit because another writer committed first. Bounded: exponential backoff with jitter, at most
 * {@code maxRetries} retries, then {@link MergeConflictException}. Anything that is not a
 * retryable conflict propagates at once and fails the query.
 *
 * <p>Retryable for a MERGE (each retry re-plans against the newest snapshot, so re-running is
 * correct; see Delta's concurrency-control docs and {@code ConflictChecker}):
 *
 * <ul>
 *   <li>{@link ConcurrentAppendException}: files were added where the MERGE read (an UPDATE or
 *       MERGE of the same partitions);
 *   <li>{@link ConcurrentDeleteReadException}: files the MERGE read were removed (OPTIMIZE,
 *       UPDATE, DELETE of those partitions);
 *   <li>{@link ConcurrentDeleteDeleteException}: both removed the same file;
 *   <li>{@link MetadataChangedException}: ALTER TABLE / schema change; the retry re-resolves the
 *       table and fails for good (not as a conflict) if the new schema no longer fits;
 *   <li>{@link ProtocolChangedException}: a protocol upgrade this client can read and write (an
 *       unsupported one fails with a non-conflict error first) or a concurrent CREATE;
 *   <li>{@link ConcurrentWriteException}: Delta could not resolve the conflict in detail.
 * </ul>
 *
 * <p>Not retryable: {@link ConcurrentTransactionException}. The winner committed under this
 * query's own app id, so two instances of this query (or two jobs sharing {@code --app-id}) write
 * gold. Retrying would hide that, and Delta's idempotency check could then skip batches silently.
 */
final class ConflictRetry {
  private static final Logger LOG = LoggerFactory.getLogger(ConflictRetry.class);

  static final Duration MAX_BACKOFF = Duration.ofMinutes(1);

  private static final List<Class<? extends RuntimeException>> RETRYABLE =
      List.of(
          ConcurrentAppendException.class,
          ConcurrentDeleteReadException.class,
          ConcurrentDeleteDeleteException.class,
          MetadataChangedException.class,
          ProtocolChangedException.class,
          ConcurrentWriteException.class);

  // Delta puts the winning commit's CommitInfo, as JSON, in the message. Used only to name the
  // other writer in logs and errors, never to decide what to do.
  private static final Pattern OPERATION = Pattern.compile("\"operation\"\\s*:\\s*\"([^\"]*)\"");
  private static final Pattern VERSION = Pattern.compile("\"version\"\\s*:\\s*(\\d+)");

  /** How to wait between attempts; tests pass one that does not sleep. */
  interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  /** One attempt; {@code attempt} counts from 1. */
  interface Attempt<T> {
    T run(int attempt);
  }

  /** A rejected commit, as far as the logs need it. */
  record Conflict(String type, String operation, Long version) {
    static Conflict of(Throwable t) {
      String message = String.valueOf(t.getMessage());
      Matcher op = OPERATION.matcher(message);
      Matcher v = VERSION.matcher(message);
      return new Conflict(
          t.getClass().getSimpleName(),
          op.find() ? op.group(1) : null,
          v.find() ? Long.valueOf(v.group(1)) : null);
    }

    @Override
    public String toString() {
      String who = operation == null ? "an unnamed concurrent commit" : operation;
      return who + (version == null ? "" : " (version " + version + ")") + " [" + type + "]";
    }
  }

  private final int maxRetries;
  private final Duration baseBackoff;
  private final Sleeper sleeper;

  ConflictRetry(int maxRetries, Duration baseBackoff, Sleeper sleeper) {
    if (maxRetries < 0 || baseBackoff.isNegative()) {
      throw new IllegalArgumentException("maxRetries and baseBackoff must not be negative");
    }
    this.maxRetries = maxRetries;
    this.baseBackoff = baseBackoff;
    this.sleeper = sleeper;
  }

  static ConflictRetry sleeping(int maxRetries, Duration baseBackoff) {
    return new ConflictRetry(maxRetries, baseBackoff, d -> Thread.sleep(d.toMillis()));
  }

  int maxRetries() {
    return maxRetries;
  }

  /** The retryable Delta conflict in {@code t}'s cause chain, or null. */
  static Throwable retryableConflict(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ConcurrentTransactionException) {
        return null;
      }
      for (Class<? extends RuntimeException> k : RETRYABLE) {
        if (k.isInstance(c)) {
          return c;
        }
      }
    }
    return null;
  }

  static ConcurrentTransactionException sameAppIdConflict(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ConcurrentTransactionException e) {
        return e;
      }
    }
    return null;
  }

  /** The wait before retry {@code retry} (1-based): base * 2^(retry-1), capped, jittered to 50-100%. */
  Duration backoff(int retry) {
    long cap = Math.max(MAX_BACKOFF.toMillis(), baseBackoff.toMillis());
    long exp = baseBackoff.toMillis() << Math.min(retry - 1, 30);
    long ceiling = exp < 0 || exp > cap ? cap : exp;
    long jittered = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    return Duration.ofMillis(jittered);
  }

  <T> T run(String table, String appId, long batchId, Attempt<T> body) {
    List<Conflict> conflicts = new ArrayList<>();
    for (int attempt = 1; ; attempt++) {
      try {
        return body.run(attempt);
      } catch (RuntimeException e) {
        ConcurrentTransactionException sameApp = sameAppIdConflict(e);
        if (sameApp != null) {
          throw new IllegalStateException(
              "Batch " + batchId + " of the merge into " + table + " lost its commit to another"
                  + " writer using the same app id '" + appId + "' (" + Conflict.of(sameApp)
                  + "): two instances of this merge query, or two jobs sharing --app-id, are"
                  + " writing gold. Stop the other one; each query needs its own app id.",
              e);
        }
        Throwable conflict = retryableConflict(e);
        if (conflict == null) {
          throw e;
        }
        Conflict c = Conflict.of(conflict);
        conflicts.add(c);
        if (attempt > maxRetries) {
          throw new MergeConflictException(table, batchId, attempt, conflicts, e);
        }
        Duration wait = backoff(attempt);
        LOG.warn(
            "Merge of batch {} into {}: attempt {} of {} conflicted with {}; retrying in {} ms",
            batchId, table, attempt, maxRetries + 1, c, wait.toMillis());
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(
              "Interrupted while waiting to retry batch " + batchId + " of the merge into "
                  + table, ie);
        }
      }
    }
  }
}
