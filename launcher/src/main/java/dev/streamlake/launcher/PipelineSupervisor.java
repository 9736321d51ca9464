package dev.streamlake.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs several streaming queries in one driver so that none is ever left running beside a dead
 * one: the first query to end, with or without an error, stops all the others, and the driver
 * fails naming it.
 *
 * <p>It listens for the termination of its own queries only (a listener filtered by query id)
 * instead of {@code StreamingQueryManager.awaitAnyTermination}, which on a shared cluster would also
 * wake for other jobs' queries in the same session.
 */
final class PipelineSupervisor {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineSupervisor.class);

  /** Starts one query. */
  @FunctionalInterface
  interface QueryStarter {
    StreamingQuery start() throws TimeoutException;
  }

  private final SparkSession spark;

  PipelineSupervisor(SparkSession spark) {
    this.spark = spark;
  }

  /**
   * Starts every query and returns only by throwing: always-on queries never end normally, so
   * whichever ends first is a failure of the whole pipeline.
   */
  void runConcurrently(List<QueryStarter> starters) throws TimeoutException {
    CompletableFuture<UUID> firstEnded = new CompletableFuture<>();
    List<StreamingQuery> queries = new ArrayList<>();
    StreamingQueryListener listener = new TerminationListener(firstEnded);
    spark.streams().addListener(listener);
    try {
      for (QueryStarter starter : starters) {
        try {
          queries.add(starter.start());
        } catch (TimeoutException | RuntimeException e) {
          stopAll(queries);
          throw e;
        }
      }
      ((TerminationListener) listener).watch(queries);
      LOG.info("One-driver pipeline running {} queries: {}", queries.size(),
          queries.stream().map(StreamingQuery::name).toList());
      StreamingQuery ended = awaitFirstEnd(firstEnded, queries);
      stopAll(queries);
      throw failure(ended);
    } finally {
      spark.streams().removeListener(listener);
    }
  }

  /** Runs each query to its end, in order; the first failure stops the rest. */
  void runInOrder(List<QueryStarter> starters) throws TimeoutException {
    for (QueryStarter starter : starters) {
      StreamingQuery q = starter.start();
      try {
        q.awaitTermination();
      } catch (StreamingQueryException e) {
        throw failure(q);
      }
      LOG.info("Query {} processed everything available", q.name());
    }
  }

  private static StreamingQuery awaitFirstEnd(
      CompletableFuture<UUID> firstEnded, List<StreamingQuery> queries) {
    while (true) {
      // A query may have ended before the listener knew its id: look, then wait a little.
      Optional<StreamingQuery> inactive = queries.stream().filter(q -> !q.isActive()).findFirst();
      if (inactive.isPresent()) {
        return inactive.get();
      }
      try {
        UUID id = firstEnded.get(1, TimeUnit.SECONDS);
        return queries.stream().filter(q -> q.id().equals(id)).findFirst().orElseThrow();
      } catch (TimeoutException e) {
        // keep waiting
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stopAll(queries);
        throw new IllegalStateException("Interrupted while running the one-driver pipeline", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
    }
  }

  private static PipelineFailedException failure(StreamingQuery ended) {
    Optional<StreamingQueryException> error =
        Optional.ofNullable(ended.exception().isDefined() ? ended.exception().get() : null);
    String message =
        error
            .map(e -> "Query " + ended.name() + " failed, so the one-driver pipeline stopped all"
                + " its queries: " + rootMessage(e))
            .orElse("Query " + ended.name() + " stopped without an error, so the one-driver"
                + " pipeline stopped all its queries (fail fast: no driver keeps running with a"
                + " stage missing)");
    LOG.error(message);
    return new PipelineFailedException(ended.name(), message, error.orElse(null));
  }

  private static String rootMessage(StreamingQueryException e) {
    Throwable t = e.cause() != null ? e.cause() : e;
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  static void stopAll(List<StreamingQuery> queries) {
    for (StreamingQuery q : queries) {
      if (q.isActive()) {
        try {
          q.stop();
          LOG.info("Stopped query {}", q.name());
        } catch (TimeoutException | RuntimeException e) {
          LOG.warn("Query {} did not stop cleanly: {}", q.name(), e.toString());
        }
      }
    }
  }

  /** Completes the future with the id of the first of our queries to end. */
  private static final class TerminationListener extends StreamingQueryListener {
    private final CompletableFuture<UUID> firstEnded;
    private volatile List<UUID> ids = List.of();

    TerminationListener(CompletableFuture<UUID> firstEnded) {
      this.firstEnded = firstEnded;
    }

    void watch(List<StreamingQuery> queries) {
      ids = queries.stream().map(StreamingQuery::id).toList();
    }

    @Override
    public void onQueryStarted(QueryStartedEvent event) {}

    @Override
    public void onQueryProgress(QueryProgressEvent event) {}

    @Override
    public void onQueryTerminated(QueryTerminatedEvent event) {
      if (ids.contains(event.id())) {
        firstEnded.complete(event.id());
      }
    }
  }
}
