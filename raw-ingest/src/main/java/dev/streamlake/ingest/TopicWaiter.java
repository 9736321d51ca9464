package dev.streamlake.ingest;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 1's start-up check that its topics exist. A stage started before its topic (the usual
 * order when a pipeline is set up) waits for it instead of dying in the Kafka source with a stack
 * trace. It says what is missing in one line at once, checks again with a bounded backoff (1 s
 * doubling to 30 s), repeats the line at most once a minute, and when {@code --wait-for-topic} is
 * over stops with that same line ({@link TopicUnavailableException}).
 *
 * <p>Brokers that do not answer are waited for the same way (they may be starting). A listing that
 * fails for another reason (authentication, configuration) ends the check with a warning and the
 * query starts anyway: the Kafka source then reports the problem in its own terms, so the check can
 * never keep a stage from starting that would have run.
 */
public final class TopicWaiter {
  private static final Logger LOG = LoggerFactory.getLogger(TopicWaiter.class);

  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  static final Duration NOTICE_INTERVAL = Duration.ofMinutes(1);
  /**
   * How long one listing may take. Not cut to what is left of the wait: a first connection on a
   * busy machine takes seconds, and a check cut short would report brokers that are fine as not
   * answering. So the wait can overrun its limit by up to this much, and says so in its message.
   */
  static final Duration CHECK_TIMEOUT = Duration.ofSeconds(15);

  /** Monotonic time; tests pass a fake one that {@link Sleeper} advances. */
  interface Ticker {
    long nanoTime();
  }

  interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  /** What the wait tells the user; the job logs it, tests record it. */
  interface Notices {
    /** The topics are missing and the stage waits: at once, then at most once a minute. */
    void waiting(String line);

    /** The topics appeared after a wait. */
    void ready(String line);
  }

  /** What keeps the stage from starting, and what the user can do about it. */
  record Missing(String what, String remedy) {}

  private final String bootstrapServers;
  private final RawIngestOptions.Subscription subscription;
  private final TopicWait wait;
  private final Ticker ticker;
  private final Sleeper sleeper;
  private final Notices notices;

  TopicWaiter(String bootstrapServers, RawIngestOptions.Subscription subscription, TopicWait wait,
      Ticker ticker, Sleeper sleeper, Notices notices) {
    this.bootstrapServers = bootstrapServers;
    this.subscription = subscription;
    this.wait = wait;
    this.ticker = ticker;
    this.sleeper = sleeper;
    this.notices = notices;
  }

  /** The waiter of a job: real time, real sleeps, notices logged. */
  static TopicWaiter of(RawIngestConfig config) {
    return new TopicWaiter(config.bootstrapServers(), config.subscription(), config.waitForTopic(),
        System::nanoTime, d -> Thread.sleep(d.toMillis()),
        new Notices() {
          @Override
          public void waiting(String line) {
            LOG.warn(line);
          }

          @Override
          public void ready(String line) {
            LOG.info(line);
          }
        });
  }

  /**
   * Returns when the subscription's topics exist, or when they cannot be checked here (no Kafka
   * client classes on this runtime, or a listing failure waiting will not fix; logged).
   *
   * @throws TopicUnavailableException when {@code --wait-for-topic} is over
   */
  public static void awaitTopics(RawIngestConfig config) throws InterruptedException {
    String what = config.subscription().describe();
    try (TopicLister lister = TopicLister.open(config.bootstrapServers(), config.kafkaOptions())) {
      if (lister == null) {
        LOG.info("Not checking that {} exists before starting: this runtime has no Kafka client"
            + " classes where the jar expects them; the Kafka source reports a missing topic itself",
            what);
        return;
      }
      of(config).await(lister);
      OffsetGapCheck.check(config, lister);
    } catch (TopicLister.Refused e) {
      throw new KafkaRefusedException(refusal(config, e));
    } catch (TopicLister.ListingFailed e) {
      LOG.warn("Cannot list the topics on Kafka at {} ({}): starting without checking that {} exists",
          config.bootstrapServers(), e.getMessage(), what);
    }
  }

  /** What the brokers refused, and which settings to look at. */
  static String refusal(RawIngestConfig config, TopicLister.Refused e) {
    String protocol = config.kafkaOptions().getOrDefault("kafka.security.protocol", "PLAINTEXT");
    if (e.tls()) {
      return "The TLS handshake with Kafka at " + config.bootstrapServers() + " failed ("
          + "--kafka.security.protocol " + protocol + "): " + e.getMessage() + ". Check that"
          + " --kafka.ssl.truststore.location (and its type and password) holds the certificate"
          + " of the brokers' CA, that --bootstrap-servers names the host the certificate is for,"
          + " and for mutual TLS --kafka.ssl.keystore.location.";
    }
    String mechanism = config.kafkaOptions().getOrDefault("kafka.sasl.mechanism", "GSSAPI");
    return "Kafka at " + config.bootstrapServers() + " refused this client's credentials ("
        + "--kafka.security.protocol " + protocol + ", --kafka.sasl.mechanism " + mechanism + "): "
        + e.getMessage() + ". Check the user and password in --kafka.sasl.jaas.config (or where"
        + " it reads them from) and that the mechanism is one the brokers enable.";
  }

  /**
   * Checks until the topics exist or the wait is over.
   *
   * @throws TopicUnavailableException when the wait is over
   * @throws TopicLister.ListingFailed when listing failed for a reason waiting will not fix
   */
  void await(TopicLister lister) throws InterruptedException {
    long start = ticker.nanoTime();
    long lastNotice = 0;
    boolean noticed = false;
    Duration backoff = FIRST_BACKOFF;
    for (int check = 1; ; check++) {
      Missing missing = check(lister, CHECK_TIMEOUT);
      Duration waited = since(start);
      if (missing == null) {
        if (check > 1) {
          notices.ready("Found " + subscription.describe() + " on Kafka at " + bootstrapServers
              + " after waiting " + human(waited) + ": starting the query");
        }
        return;
      }
      Duration left = wait.forever() ? null : wait.limit().minus(waited);
      if (left != null && (left.isZero() || left.isNegative())) {
        throw new TopicUnavailableException(missing.what() + "; gave up after " + human(waited)
            + " (--wait-for-topic " + wait + "). " + missing.remedy());
      }
      Duration pause = left != null && left.compareTo(backoff) < 0 ? left : backoff;
      long now = ticker.nanoTime();
      if (!noticed || now - lastNotice >= NOTICE_INTERVAL.toNanos()) {
        notices.waiting(missing.what() + "; waiting for it: " + human(waited)
            + (wait.forever() ? " so far (--wait-for-topic forever)" : " of " + wait + " (--wait-for-topic)")
            + ", next check in " + human(pause));
        lastNotice = now;
        noticed = true;
      }
      sleeper.sleep(pause);
      backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
    }
  }

  /** What is missing, or null when the subscription can start. */
  private Missing check(TopicLister lister, Duration timeout) throws InterruptedException {
    Set<String> topics;
    try {
      topics = lister.topicNames(timeout);
    } catch (TopicLister.NotAnswering e) {
      return new Missing("Kafka at " + bootstrapServers + " did not answer a topic listing within "
          + human(timeout) + " (" + e.getMessage() + ")",
          "Check --bootstrap-servers and that the brokers are up and reachable from here.");
    }
    return absent(topics);
  }

  /** What the subscription lacks among {@code topics}, or null when it can start. */
  private Missing absent(Set<String> topics) {
    String at = " on Kafka at " + bootstrapServers;
    String longer = " or give --wait-for-topic a longer duration or forever.";
    if (subscription.isPattern()) {
      return subscription.matchesAny(topics) ? null : new Missing(
          "No topic matching --topic-pattern '" + subscription.value() + "' exists" + at
              + " (or none is visible to this client)",
          "Create one (or let this client describe it)," + longer);
    }
    List<String> missing = subscription.topics().stream().filter(t -> !topics.contains(t)).toList();
    if (missing.isEmpty()) {
      return null;
    }
    if (missing.size() == 1) {
      return new Missing("Topic '" + missing.get(0) + "' does not exist" + at
          + " (or is not visible to this client)",
          "Create it (or let this client describe it)," + longer);
    }
    return new Missing("Topics " + RawIngestOptions.Subscription.quoted(missing) + " do not exist" + at
        + " (or are not visible to this client)",
        "Create them (or let this client describe them)," + longer);
  }

  private Duration since(long start) {
    return Duration.ofNanos(ticker.nanoTime() - start);
  }

  /** {@code 0s}, {@code 45s}, {@code 1m 30s}, {@code 2h 5m}: whole seconds, for people. */
  static String human(Duration d) {
    long s = Math.max(0, (d.toMillis() + 500) / 1000);
    long h = s / 3600;
    long m = s % 3600 / 60;
    long sec = s % 60;
    StringBuilder b = new StringBuilder();
    if (h > 0) {
      b.append(h).append('h');
    }
    if (m > 0) {
      b.append(b.length() > 0 ? " " : "").append(m).append('m');
    }
    if (sec > 0 || b.length() == 0) {
      b.append(b.length() > 0 ? " " : "").append(sec).append('s');
    }
    return b.toString();
  }
}
