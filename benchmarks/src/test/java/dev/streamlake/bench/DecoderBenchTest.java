package dev.streamlake.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.deserialize.DecodeFailure;
import dev.streamlake.deserialize.DecodeResult;
import dev.streamlake.deserialize.ErrorCode;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The small, in-process version of {@link DecoderBench} (no JMH fork): each benchmark method runs
 * a few hundred times and must measure what it claims to, valid payloads decoding to records of
 * the expected writer schema, garbage to the expected dead-letter codes.
 */
class DecoderBenchTest {
  static final int CALLS = 2 * DecoderBench.DISTINCT;

  DecoderBench bench;

  @BeforeEach
  void setUp() {
    bench = new DecoderBench();
    bench.setUp();
  }

  @Test
  void avroV2DecodesEveryPayloadWithSchema2() {
    assertAllDecoded(bench::avroV2, 2);
  }

  @Test
  void avroV1IsResolvedToTheV2ReaderSchema() {
    for (int k = 0; k < CALLS; k++) {
      DecodeResult r = bench.avroV1ResolvedToV2();
      assertThat(r).isInstanceOf(DecodeResult.Decoded.class);
      DecodeResult.Decoded d = (DecodeResult.Decoded) r;
      assertThat(d.schemaId()).isEqualTo(1);
      // the reader (v2) schema's 8 fields; pressure_hpa, absent from v1, comes as its default null
      assertThat(d.values()).hasSize(8);
      assertThat(d.values()[7]).isNull();
    }
  }

  @Test
  void rangeChecksGiveTheDecodersMicrosForEachReading() {
    for (int k = 0; k < CALLS; k++) {
      long millis = bench.readingMillis[bench.i];
      int payload = bench.i;
      assertThat(bench.rangeChecksOfOneRecord()).isEqualTo(millis * 1000);
      DecodeResult.Decoded d = (DecodeResult.Decoded) bench.avro.decode(bench.v2[payload]);
      assertThat(d.values()[1]).isEqualTo(millis * 1000);
    }
  }

  @Test
  void jsonDecodesEveryPayload() {
    assertAllDecoded(bench::json, null);
  }

  @Test
  void avroGarbageMixGivesEachPayloadItsExpectedCode() {
    Map<ErrorCode, Integer> seen = new EnumMap<>(ErrorCode.class);
    for (int k = 0; k < CALLS; k++) {
      ErrorCode expected = bench.avroGarbageExpected[bench.i];
      DecodeResult r = bench.avroGarbageMix();
      assertThat(r).as("garbage payload %d", k).isInstanceOf(DecodeFailure.class);
      assertThat(((DecodeFailure) r).code()).as("garbage payload %d", k).isEqualTo(expected);
      seen.merge(expected, 1, Integer::sum);
    }
    assertThat(seen).containsOnlyKeys(ErrorCode.BAD_MAGIC_BYTE, ErrorCode.MALFORMED_AVRO,
        ErrorCode.UNKNOWN_SCHEMA_ID, ErrorCode.EMPTY_PAYLOAD);
  }

  @Test
  void jsonGarbageMixIsAllMalformedJson() {
    for (int k = 0; k < CALLS; k++) {
      DecodeResult r = bench.jsonGarbageMix();
      assertThat(r).isInstanceOf(DecodeFailure.class);
      assertThat(((DecodeFailure) r).code()).isEqualTo(ErrorCode.MALFORMED_JSON);
    }
  }

  @Test
  void benchmarksCycleThroughDistinctPayloads() {
    assertThat(Integer.bitCount(DecoderBench.DISTINCT)).as("a power of two").isEqualTo(1);
    assertThat(java.util.Arrays.stream(bench.v2).map(java.util.Arrays::toString).distinct()
        .count()).isGreaterThan(DecoderBench.DISTINCT * 9 / 10);
  }

  private static void assertAllDecoded(Supplier<DecodeResult> benchmark, Integer schemaId) {
    for (int k = 0; k < CALLS; k++) {
      DecodeResult r = benchmark.get();
      assertThat(r).as("payload %d", k).isInstanceOf(DecodeResult.Decoded.class);
      DecodeResult.Decoded d = (DecodeResult.Decoded) r;
      assertThat(d.schemaId()).isEqualTo(schemaId);
      assertThat(d.values()).hasSize(8);
      assertThat(d.values()[0].toString()).startsWith("sensor-");
    }
  }
}
