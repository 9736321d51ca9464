package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.streamlake.local.SensorReadingPayloads.Reading;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated payloads through the decoders: bit flips, truncation, extension, random
 * schema ids and pure noise. No exception may escape; every payload yields a record shaped like
 * the reader schema or a dead-letter reason.
 */
class PayloadDecoderFuzzTest {
  static final int AVRO_CASES = 120_000;
  static final int JSON_CASES = 30_000;

  @Test
  void avroDecoderSurvivesRandomAndMutatedPayloads() {
    long seed = System.nanoTime();
    Random rnd = new Random(seed);
    List<byte[]> seeds = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      Reading r = randomReading(rnd);
      seeds.add(Payloads.v1(r));
      seeds.add(Payloads.v2(r));
    }
    Map<String, Integer> outcomes = run(PayloadDecoder.create(Payloads.avro()), seeds, rnd, seed,
        AVRO_CASES, true);
    // The mutations must really reach the Avro reader, not stop at the header.
    assertThat(outcomes).containsKeys("DECODED", ErrorCode.MALFORMED_AVRO.name(),
        ErrorCode.UNKNOWN_SCHEMA_ID.name(), ErrorCode.BAD_MAGIC_BYTE.name(),
        ErrorCode.EMPTY_PAYLOAD.name());
    assertThat(outcomes.get(ErrorCode.MALFORMED_AVRO.name())).isGreaterThan(AVRO_CASES / 10);
  }

  @Test
  void jsonDecoderSurvivesRandomAndMutatedPayloads() {
    long seed = System.nanoTime();
    Random rnd = new Random(seed);
    List<byte[]> seeds = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      seeds.add(Payloads.json(randomReading(rnd)));
    }
    Map<String, Integer> outcomes = run(PayloadDecoder.create(Payloads.json()), seeds, rnd, seed,
        JSON_CASES, false);
    assertThat(outcomes).containsKeys("DECODED", ErrorCode.MALFORMED_JSON.name());
  }

  private static Map<String, Integer> run(PayloadDecoder decoder, List<byte[]> seeds, Random rnd,
      long seed, int cases, boolean avro) {
    Schema reader = Payloads.avro().readerSchema();
    Map<String, Integer> outcomes = new java.util.TreeMap<>();
    for (int i = 0; i < cases; i++) {
      byte[] payload = mutate(seeds.get(rnd.nextInt(seeds.size())), rnd, avro);
      DecodeResult result;
      try {
        result = decoder.decode(payload);
      } catch (Throwable t) {
        throw new AssertionError("seed " + seed + ", case " + i + ": exception escaped for "
            + java.util.HexFormat.of().formatHex(payload == null ? new byte[0] : payload), t);
      }
      if (result instanceof DecodeResult.Decoded d) {
        if (d.values().length != reader.getFields().size()) {
          fail("seed %d case %d: %d values", seed, i, d.values().length);
        }
        outcomes.merge("DECODED", 1, Integer::sum);
      } else if (result instanceof DecodeFailure f) {
        if (f.code() == null || f.message() == null || f.message().isBlank()
            || f.code() == ErrorCode.RULE_VIOLATION) {
          fail("seed %d case %d: bad failure %s", seed, i, f);
        }
        outcomes.merge(f.code().name(), 1, Integer::sum);
      } else {
        fail("seed %d case %d: no result", seed, i);
      }
    }
    return outcomes;
  }

  static byte[] mutate(byte[] original, Random rnd, boolean avro) {
    if (original == null || original.length == 0) {
      return original;
    }
    byte[] p = original.clone();
    switch (rnd.nextInt(10)) {
      case 0, 1, 2 -> { // flip 1-4 random bits
        int flips = 1 + rnd.nextInt(4);
        for (int k = 0; k < flips; k++) {
          int at = rnd.nextInt(p.length);
          p[at] ^= (byte) (1 << rnd.nextInt(8));
        }
      }
      case 3 -> p = java.util.Arrays.copyOf(p, rnd.nextInt(p.length + 1)); // truncate
      case 4 -> { // random schema id, sometimes a real one
        if (p.length >= 5) {
          int id = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(2) : rnd.nextInt();
          ByteBuffer.wrap(p).putInt(1, id);
        }
      }
      case 5 -> { // random bytes appended
        byte[] tail = new byte[1 + rnd.nextInt(8)];
        rnd.nextBytes(tail);
        byte[] longer = java.util.Arrays.copyOf(p, p.length + tail.length);
        System.arraycopy(tail, 0, longer, p.length, tail.length);
        p = longer;
      }
      case 6 -> { // overwrite a byte in the body with an extreme value (lengths, indexes)
        int at = avro ? Math.min(p.length - 1, 5 + rnd.nextInt(Math.max(1, p.length - 5)))
            : rnd.nextInt(p.length);
        p[at] = (byte) (rnd.nextBoolean() ? 0xff : 0x7f);
      }
      case 7 -> { // pure noise, sometimes behind a valid header
        byte[] noise = new byte[rnd.nextInt(64)];
        rnd.nextBytes(noise);
        if (avro && noise.length >= 5 && rnd.nextBoolean()) {
          noise[0] = 0;
          ByteBuffer.wrap(noise).putInt(1, 1 + rnd.nextInt(2));
        }
        p = noise;
      }
      case 8 -> p = rnd.nextInt(20) == 0 ? null : p; // untouched, or null
      default -> { // several mutations at once
        p = mutate(mutate(p, rnd, avro), rnd, avro);
      }
    }
    return p;
  }

  static Reading randomReading(Random rnd) {
    String[] ids = {"s-" + rnd.nextInt(1000), "é温🌡-" + rnd.nextInt(10), "x".repeat(65), ""};
    String[] statuses = {"OK", "WARN", "FAULT", "??"};
    return new Reading(
        ids[rnd.nextInt(ids.length)],
        Instant.ofEpochMilli(946684800000L + (long) (rnd.nextDouble() * 8e11)),
        rnd.nextGaussian() * 40,
        rnd.nextBoolean() ? null : rnd.nextDouble() * 100,
        rnd.nextBoolean() ? null : rnd.nextInt(101),
        statuses[rnd.nextInt(statuses.length)],
        rnd.nextBoolean() ? null : "fw-" + rnd.nextInt(9),
        rnd.nextBoolean() ? null : 950 + rnd.nextDouble() * 100);
  }

}
