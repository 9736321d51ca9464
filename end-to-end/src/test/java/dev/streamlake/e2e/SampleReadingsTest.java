package dev.streamlake.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.e2e.SampleReadings.GoldKey;
import dev.streamlake.e2e.SampleReadings.GoldRow;
import dev.streamlake.e2e.SampleReadings.Kind;
import dev.streamlake.e2e.SampleReadings.Sample;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SampleReadingsTest {
  private static final Instant NOW = Instant.parse("2025-03-10T08:30:00Z");

  @Test
  void sameSeedSameRecords() {
    SampleReadings a = SampleReadings.generate(200, 7, NOW);
    SampleReadings b = SampleReadings.generate(200, 7, NOW);
    assertThat(a.size()).isEqualTo(200);
    for (int i = 0; i < a.size(); i++) {
      assertThat(a.samples().get(i).value()).isEqualTo(b.samples().get(i).value());
      assertThat(a.samples().get(i).key()).isEqualTo(b.samples().get(i).key());
    }
    assertThat(SampleReadings.generate(200, 8, NOW).samples().get(10).value())
        .isNotEqualTo(a.samples().get(10).value());
  }

  @Test
  void everyKindOccursEvenInTheSmallestSet() {
    SampleReadings s = SampleReadings.generate(40, 1, NOW);
    assertThat(s.countsByKind()).allSatisfy((kind, n) -> assertThat(n).as(kind.name()).isPositive());
    assertThat(s.expectedDeadLetters()).containsOnlyKeys(
        "RULE_VIOLATION", "BAD_MAGIC_BYTE", "UNKNOWN_SCHEMA_ID", "MALFORMED_AVRO", "EMPTY_PAYLOAD");
    assertThat(s.expectedDeadLetters().get("RULE_VIOLATION")).isGreaterThanOrEqualTo(7);
    assertThatThrownBy(() -> SampleReadings.generate(39, 1, NOW))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void countsAddUp() {
    SampleReadings s = SampleReadings.generate(400, SampleReadings.DEFAULT_SEED, NOW);
    assertThat(s.expectedRaw()).isEqualTo(400);
    assertThat(s.expectedBronze() + s.expectedDeadLetterCount()).isEqualTo(400);
    assertThat(s.expectedDeadLetters().values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(s.expectedDeadLetterCount());
    assertThat(s.countsByKind().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(400);
  }

  @Test
  void validReadingsLieOnTheTwoUtcDaysBeforeTodaySoTheyPassTheTimestampRule() {
    SampleReadings s = SampleReadings.generate(300, 3, NOW);
    LocalDate today = LocalDate.ofInstant(NOW, ZoneOffset.UTC);
    assertThat(s.days()).containsExactly(today.minusDays(2), today.minusDays(1));
    for (Sample sample : s.samples()) {
      if (sample.valid()) {
        assertThat(LocalDate.ofInstant(sample.reading().readingTs(), ZoneOffset.UTC)).isIn(s.days());
        assertThat(sample.reading().readingTs()).isBefore(NOW.plus(1, ChronoUnit.DAYS));
        assertThat(sample.reading().temperatureC()).isBetween(-90.0, 70.0);
      }
    }
    assertThat(s.expectedGold().keySet()).extracting(GoldKey::readingDate).containsOnly(
        today.minusDays(2), today.minusDays(1));
  }

  @Test
  void goldIsTheLatestValidReadingPerSensorAndDayWithLaterRecordsWinningTies() {
    SampleReadings s = SampleReadings.generate(300, 5, NOW);
    Map<GoldKey, Instant> maxTs = new HashMap<>();
    for (Sample sample : s.samples()) {
      if (sample.valid()) {
        maxTs.merge(sample.goldRow().key(), sample.reading().readingTs(),
            (a, b) -> a.isAfter(b) ? a : b);
      }
    }
    assertThat(s.expectedGold().keySet()).isEqualTo(maxTs.keySet());
    s.expectedGold().forEach((key, row) -> assertThat(row.readingTs()).isEqualTo(maxTs.get(key)));

    // The last valid record at a key's highest timestamp is the one gold shows.
    for (GoldKey key : s.expectedGold().keySet()) {
      GoldRow last = null;
      for (Sample sample : s.samples()) {
        if (sample.valid() && sample.goldRow().key().equals(key)
            && sample.reading().readingTs().equals(maxTs.get(key))) {
          last = sample.goldRow();
        }
      }
      assertThat(s.expectedGold().get(key)).isEqualTo(last);
    }
  }

  @Test
  void duplicatesRepeatEarlierBytesAndLateReadingsAreOlderThanTheLatestSoFar() {
    SampleReadings s = SampleReadings.generate(400, 11, NOW);
    for (int i = 0; i < s.size(); i++) {
      Sample sample = s.samples().get(i);
      if (sample.kind() == Kind.DUPLICATE) {
        boolean seen = false;
        for (int j = 0; j < i; j++) {
          seen |= Arrays.equals(s.samples().get(j).value(), sample.value())
              && Arrays.equals(s.samples().get(j).key(), sample.key());
        }
        assertThat(seen).as("duplicate at %d repeats an earlier record", i).isTrue();
      }
      if (sample.kind() == Kind.LATE) {
        Instant latestBefore = null;
        for (int j = 0; j < i; j++) {
          Sample e = s.samples().get(j);
          if (e.valid() && e.goldRow().key().equals(sample.goldRow().key())) {
            latestBefore = latestBefore == null || e.reading().readingTs().isAfter(latestBefore)
                ? e.reading().readingTs() : latestBefore;
          }
        }
        assertThat(latestBefore).isNotNull();
        assertThat(sample.reading().readingTs()).isBefore(latestBefore);
      }
    }
  }

  @Test
  void v1RecordsHaveNoPressureInGold() {
    SampleReadings s = SampleReadings.generate(200, 2, NOW);
    assertThat(s.samples()).anySatisfy(x -> assertThat(x.schemaId()).isEqualTo(1));
    for (Sample sample : s.samples()) {
      if (sample.valid() && sample.schemaId() == 1) {
        assertThat(sample.goldRow().pressureHpa()).isNull();
      }
    }
  }

  @Test
  void aLongRunKeepsItsValidReadingsInsideTheTemperatureRule() {
    // The chaos run's size: equal-timestamp records change the same latest reading many times.
    SampleReadings s = SampleReadings.generate(60_000, 11, NOW);
    assertThat(s.samples().stream().filter(Sample::valid))
        .allSatisfy(v -> assertThat(v.reading().temperatureC()).isBetween(-90.0, 70.0));
  }

  @Test
  void aPrefixExpectsWhatItsOwnRecordsMakeOf() {
    SampleReadings all = SampleReadings.generate(400, 5, NOW);
    SampleReadings first = all.prefix(150);
    assertThat(first.size()).isEqualTo(150);
    assertThat(first.samples()).isEqualTo(all.samples().subList(0, 150));
    // Gold of the prefix is made of the prefix's own readings only.
    assertThat(all.samples().subList(0, 150).stream().filter(Sample::valid).map(Sample::goldRow).toList())
        .containsAll(first.expectedGold().values());
    assertThat(first.expectedGold()).isNotEqualTo(all.expectedGold());
    assertThat(first.expectedRaw()).isEqualTo(150);
    assertThat(first.expectedBronze() + first.expectedDeadLetterCount()).isEqualTo(150);
    assertThat(all.prefix(400).expectedGold()).isEqualTo(all.expectedGold());
    assertThatThrownBy(() -> all.prefix(401)).isInstanceOf(IllegalArgumentException.class);
  }
}
