package dev.streamlake.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The wait policy on a fake clock: backoff, how often it speaks, when it gives up, what it says. */
class TopicWaiterTest {
  private static final String SERVERS = "broker1:9092,broker2:9092";

  /** Time that only moves when the waiter sleeps or a check takes time. */
  private static final class FakeTime implements TopicWaiter.Ticker, TopicWaiter.Sleeper {
    long nanos = 1_000_000_000L;
    final List<Duration> sleeps = new ArrayList<>();

    @Override
    public long nanoTime() {
      return nanos;
    }

    @Override
    public void sleep(Duration d) {
      sleeps.add(d);
      nanos += d.toNanos();
    }

    Duration elapsed() {
      return Duration.ofNanos(nanos - 1_000_000_000L);
    }
  }

  /** Lists no topics until {@code appearsAt}, then {@code topics}; records when it was asked. */
  private static final class FakeKafka implements TopicLister {
    final FakeTime time;
    final Duration appearsAt;
    final Set<String> topics;
    final Duration checkTakes;
    final List<Duration> checkedAt = new ArrayList<>();

    FakeKafka(FakeTime time, Duration appearsAt, Set<String> topics, Duration checkTakes) {
      this.time = time;
      this.appearsAt = appearsAt;
      this.topics = topics;
      this.checkTakes = checkTakes;
    }

    @Override
    public Set<String> topicNames(Duration timeout) {
      checkedAt.add(time.elapsed());
      time.nanos += checkTakes.toNanos();
      return appearsAt != null && time.elapsed().compareTo(appearsAt) >= 0
          ? topics : Set.of("other-topic");
    }

    @Override
    public void close() {}
  }

  private static final class Recorded implements TopicWaiter.Notices {
    final FakeTime time;
    final List<Duration> waitingAt = new ArrayList<>();
    final List<String> waiting = new ArrayList<>();
    final List<String> ready = new ArrayList<>();

    Recorded(FakeTime time) {
      this.time = time;
    }

    @Override
    public void waiting(String line) {
      waitingAt.add(time.elapsed());
      waiting.add(line);
    }

    @Override
    public void ready(String line) {
      ready.add(line);
    }
  }

  private final FakeTime time = new FakeTime();
  private final Recorded notices = new Recorded(time);

  private TopicWaiter waiter(RawIngestOptions.Subscription subscription, TopicWait wait) {
    return new TopicWaiter(SERVERS, subscription, wait, time, time, notices);
  }

  private static RawIngestOptions.Subscription topic(String value) {
    return new RawIngestOptions.Subscription("subscribe", value);
  }

  private static RawIngestOptions.Subscription pattern(String value) {
    return new RawIngestOptions.Subscription("subscribePattern", value);
  }

  @Test
  void anExistingTopicStartsAtOnceWithoutAWord() throws Exception {
    FakeKafka kafka = new FakeKafka(time, Duration.ZERO, Set.of("readings"), Duration.ZERO);
    waiter(topic("readings"), new TopicWait(Duration.ofMinutes(5))).await(kafka);
    assertThat(kafka.checkedAt).hasSize(1);
    assertThat(time.sleeps).isEmpty();
    assertThat(notices.waiting).isEmpty();
    assertThat(notices.ready).isEmpty();
  }

  @Test
  void aTopicCreatedLaterIsFoundWithBackoffAndOneLineNamingTopicAndServers() throws Exception {
    FakeKafka kafka = new FakeKafka(time, Duration.ofSeconds(20), Set.of("readings"), Duration.ZERO);
    waiter(topic("readings"), new TopicWait(Duration.ofMinutes(5))).await(kafka);

    assertThat(time.sleeps).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2),
        Duration.ofSeconds(4), Duration.ofSeconds(8), Duration.ofSeconds(16));
    assertThat(notices.waiting).containsExactly("Topic 'readings' does not exist on Kafka at "
        + SERVERS + " (or is not visible to this client); waiting for it: 0s of 5m"
        + " (--wait-for-topic), next check in 1s");
    assertThat(notices.ready).containsExactly("Found topic 'readings' on Kafka at " + SERVERS
        + " after waiting 31s: starting the query");
  }

  @Test
  void backoffIsCappedAndTheWaitSpeaksAtMostOnceAMinuteUntilItGivesUpWithTheSameLine() {
    FakeKafka kafka = new FakeKafka(time, null, Set.of(), Duration.ZERO);
    TopicWaiter w = waiter(topic("readings"), new TopicWait(Duration.ofMinutes(5)));

    assertThatThrownBy(() -> w.await(kafka))
        .isInstanceOf(TopicUnavailableException.class)
        .hasMessage("Topic 'readings' does not exist on Kafka at " + SERVERS
            + " (or is not visible to this client); gave up after 5m (--wait-for-topic 5m)."
            + " Create it (or let this client describe it), or give --wait-for-topic a longer"
            + " duration or forever.")
        .satisfies(e -> assertThat(e.getStackTrace()).as("one line, no stack trace").isEmpty())
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));

    assertThat(time.sleeps).allMatch(d -> d.compareTo(TopicWaiter.MAX_BACKOFF) <= 0);
    assertThat(time.sleeps.subList(0, 6)).containsExactly(Duration.ofSeconds(1),
        Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8),
        Duration.ofSeconds(16), Duration.ofSeconds(30));
    // The last pause is cut to the deadline, where one last check is made.
    assertThat(time.elapsed()).isEqualTo(Duration.ofMinutes(5));
    assertThat(kafka.checkedAt.get(kafka.checkedAt.size() - 1)).isEqualTo(Duration.ofMinutes(5));
    // 5 minutes of waiting: at 0s, then about once a minute.
    assertThat(notices.waitingAt).hasSizeBetween(5, 6);
    for (int i = 1; i < notices.waitingAt.size(); i++) {
      assertThat(notices.waitingAt.get(i).minus(notices.waitingAt.get(i - 1)))
          .isGreaterThanOrEqualTo(TopicWaiter.NOTICE_INTERVAL);
    }
    assertThat(notices.waiting).allMatch(l -> l.startsWith("Topic 'readings' does not exist on Kafka at "
        + SERVERS + " (or is not visible to this client); waiting for it: "));
    assertThat(notices.waiting.get(1)).contains("waiting for it: 1m 1s of 5m (--wait-for-topic), next check in 30s");
  }

  @Test
  void waitingForeverStillSpeaksOnlyOnceAMinute() throws Exception {
    FakeKafka kafka = new FakeKafka(time, Duration.ofHours(2), Set.of("readings"), Duration.ZERO);
    waiter(topic("readings"), TopicWait.FOREVER).await(kafka);

    assertThat(time.elapsed()).isBetween(Duration.ofHours(2), Duration.ofHours(2).plusSeconds(30));
    assertThat(notices.waitingAt).hasSizeBetween(110, 121);
    assertThat(notices.waiting.get(5)).contains("so far (--wait-for-topic forever), next check in 30s");
    assertThat(notices.ready).hasSize(1);
  }

  @Test
  void zeroChecksOnceAndStopsAtOnce() {
    FakeKafka kafka = new FakeKafka(time, null, Set.of(), Duration.ZERO);
    assertThatThrownBy(() -> waiter(topic("readings"), new TopicWait(Duration.ZERO)).await(kafka))
        .isInstanceOf(TopicUnavailableException.class)
        .hasMessageContaining("gave up after 0s (--wait-for-topic 0s)");
    assertThat(kafka.checkedAt).hasSize(1);
    assertThat(time.sleeps).isEmpty();
    assertThat(notices.waiting).isEmpty();
  }

  @Test
  void slowChecksCountTowardsTheWait() {
    FakeKafka kafka = new FakeKafka(time, null, Set.of(), Duration.ofSeconds(10));
    assertThatThrownBy(() -> waiter(topic("readings"), new TopicWait(Duration.ofSeconds(30))).await(kafka))
        .isInstanceOf(TopicUnavailableException.class)
        .hasMessageContaining("gave up after 3");
    assertThat(time.elapsed()).isLessThan(Duration.ofSeconds(45));
  }

  @Test
  void everyTopicOfAListMustExistAndTheMissingOnesAreNamed() {
    FakeKafka kafka = new FakeKafka(time, Duration.ZERO, Set.of("a"), Duration.ZERO);
    assertThatThrownBy(() -> waiter(topic("a, b,c"), new TopicWait(Duration.ZERO)).await(kafka))
        .isInstanceOf(TopicUnavailableException.class)
        .hasMessageStartingWith("Topics 'b', 'c' do not exist on Kafka at " + SERVERS
            + " (or are not visible to this client); gave up")
        .hasMessageContaining("Create them");
  }

  @Test
  void aPatternNeedsOneWholeNameMatch() throws Exception {
    FakeKafka partial = new FakeKafka(time, Duration.ZERO, Set.of("xsensor-1"), Duration.ZERO);
    assertThatThrownBy(() -> waiter(pattern("sensor-.*"), new TopicWait(Duration.ZERO)).await(partial))
        .isInstanceOf(TopicUnavailableException.class)
        .hasMessageStartingWith("No topic matching --topic-pattern 'sensor-.*' exists on Kafka at "
            + SERVERS + " (or none is visible to this client); gave up after 0s");

    FakeKafka matching = new FakeKafka(time, Duration.ZERO, Set.of("sensor-7"), Duration.ZERO);
    waiter(pattern("sensor-.*"), new TopicWait(Duration.ZERO)).await(matching);
    assertThat(matching.checkedAt).hasSize(1);
  }

  @Test
  void brokersThatDoNotAnswerAreWaitedForAndNamedWhenGivingUp() {
    TopicLister silent = new TopicLister() {
      @Override
      public Set<String> topicNames(Duration timeout) throws NotAnswering {
        time.nanos += timeout.toNanos();
        throw new NotAnswering("TimeoutException: Timed out waiting for a node assignment.");
      }

      @Override
      public void close() {}
    };
    assertThatThrownBy(() -> waiter(topic("readings"), new TopicWait(Duration.ofMinutes(1))).await(silent))
        .isInstanceOf(TopicUnavailableException.class)
        .hasMessageStartingWith("Kafka at " + SERVERS + " did not answer a topic listing within ")
        .hasMessageContaining("(TimeoutException: Timed out waiting for a node assignment.); gave up after 1m")
        .hasMessageEndingWith("Check --bootstrap-servers and that the brokers are up and reachable from here.");
    assertThat(notices.waiting.get(0)).contains("within 15s");
  }

  @Test
  void aListingFailureWaitingCannotFixEndsTheCheckAtOnce() {
    TopicLister refused = new TopicLister() {
      @Override
      public Set<String> topicNames(Duration timeout) {
        throw new ListingFailed("SaslAuthenticationException: Authentication failed", null);
      }

      @Override
      public void close() {}
    };
    assertThatThrownBy(() -> waiter(topic("readings"), TopicWait.FOREVER).await(refused))
        .isInstanceOf(TopicLister.ListingFailed.class);
    assertThat(time.sleeps).isEmpty();
  }

  @Test
  void humanDurationsAreWholeSeconds() {
    assertThat(TopicWaiter.human(Duration.ZERO)).isEqualTo("0s");
    assertThat(TopicWaiter.human(Duration.ofMillis(1499))).isEqualTo("1s");
    assertThat(TopicWaiter.human(Duration.ofSeconds(90))).isEqualTo("1m 30s");
    assertThat(TopicWaiter.human(Duration.ofMinutes(5))).isEqualTo("5m");
    assertThat(TopicWaiter.human(Duration.ofSeconds(7265))).isEqualTo("2h 1m 5s");
  }

  @Test
  void theAdminListerIsLoadedByTheNameTopicListerUses() {
    assertThat(TopicLister.KAFKA_ADMIN_LISTER).isEqualTo(KafkaAdminTopicLister.class.getName());
  }

  @Test
  void theAdminClientGetsTheSecurityOptionsButNotConsumerOnlyOnes() {
    var p = KafkaAdminTopicLister.adminProperties("h:1", java.util.Map.of(
        "kafka.security.protocol", "SASL_SSL", "kafka.max.poll.records", "10"));
    assertThat(p).containsEntry("bootstrap.servers", "h:1")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("client.id", KafkaAdminTopicLister.CLIENT_ID)
        .doesNotContainKey("max.poll.records");
  }
}
