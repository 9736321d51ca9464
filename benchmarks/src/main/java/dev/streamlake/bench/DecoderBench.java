package dev.streamlake.bench;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.deserialize.DecodeResult;
import dev.streamlake.deserialize.ErrorCode;
import dev.streamlake.deserialize.PipelineDecoder;
import dev.streamlake.local.SensorReadingPayloads;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Single-threaded throughput of stage 2's decoder ({@link PipelineDecoder#decode}), the CPU-bound
 * core of stage 2 (one decoder per Spark partition, so one thread is the unit that scales with
 * cores). Each benchmark cycles through {@value #DISTINCT} distinct payloads so no single value
 * stays hot. Run with {@code -prof gc} for bytes allocated per decode ({@code gc.alloc.rate.norm}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DecoderBench {
  static final int DISTINCT = 1024;

  PipelineDecoder avro;
  PipelineDecoder json;
  byte[][] v2;
  byte[][] v1;
  byte[][] jsonValues;
  /** The Avro broken kinds, each {@value #DISTINCT}/kinds times. */
  byte[][] avroGarbage;
  byte[][] jsonGarbage;
  /** What each garbage payload must decode to (read by DecoderBenchTest). */
  ErrorCode[] avroGarbageExpected;
  ErrorCode[] jsonGarbageExpected;
  /**
   * Each v2 payload's reading_ts in epoch millis, boxed up front as the Avro datum decoding sees,
   * and the reader field's schema.
   */
  Long[] readingMillis;
  Schema readingTsSchema;
  int i;

  @Setup
  public void setUp() {
    PipelineConfig pipeline = PipelineConfig.sensorReadings();
    avro = PipelineDecoder.of(pipeline);
    json = PipelineDecoder.of(pipeline.withFormat(PipelineConfig.PayloadFormat.JSON));
    Random random = new Random(42);
    v2 = new byte[DISTINCT][];
    v1 = new byte[DISTINCT][];
    jsonValues = new byte[DISTINCT][];
    avroGarbage = new byte[DISTINCT][];
    jsonGarbage = new byte[DISTINCT][];
    avroGarbageExpected = new ErrorCode[DISTINCT];
    jsonGarbageExpected = new ErrorCode[DISTINCT];
    readingMillis = new Long[DISTINCT];
    readingTsSchema = pipeline.readerSchema().getField("reading_ts").schema();
    List<BenchPayloads.Broken> badJson = BenchPayloads.brokenJson(random);
    for (int k = 0; k < DISTINCT; k++) {
      SensorReadingPayloads.Reading r = BenchPayloads.reading(random, k, 100, 10);
      v2[k] = SensorReadingPayloads.v2(r);
      readingMillis[k] = r.readingTs().toEpochMilli();
      v1[k] = SensorReadingPayloads.v1(r);
      jsonValues[k] = SensorReadingPayloads.json(r);
      BenchPayloads.Broken a = avroBroken(random, k);
      avroGarbage[k] = a.payload();
      avroGarbageExpected[k] = a.expected();
      BenchPayloads.Broken j = badJson.get(k % badJson.size());
      jsonGarbage[k] = j.payload();
      jsonGarbageExpected[k] = j.expected();
    }
  }

  /**
   * Broken kind number {@code k}, skipping the last kind, the rule breaker: it decodes, and only
   * Spark's rule check rejects it.
   */
  static BenchPayloads.Broken avroBroken(Random random, int k) {
    return BenchPayloads.broken(random, k % (BenchPayloads.BROKEN_KINDS - 1));
  }

  private int next() {
    int k = i;
    i = (k + 1) & (DISTINCT - 1);
    return k;
  }

  @Benchmark
  public DecodeResult avroV2() {
    return avro.decode(v2[next()]);
  }

  /**
   * The range checks one sensor record costs on top of decoding (its one timestamp; strings were
   * checked for UTF-8 before the checks existed): compare with {@link #avroV2}.
   */
  @Benchmark
  public Object rangeChecksOfOneRecord() {
    return avro.checkedValue(readingTsSchema, readingMillis[next()], "reading_ts");
  }

  /** v1 writer schema resolved to the v2 reader schema (pressure_hpa filled by its default). */
  @Benchmark
  public DecodeResult avroV1ResolvedToV2() {
    return avro.decode(v1[next()]);
  }

  @Benchmark
  public DecodeResult json() {
    return json.decode(jsonValues[next()]);
  }

  /** Bad magic byte, short header, unknown id, truncated, trailing bytes, noise, empty. */
  @Benchmark
  public DecodeResult avroGarbageMix() {
    return avro.decode(avroGarbage[next()]);
  }

  /** Not JSON, a JSON array, a missing field, a wrong type. */
  @Benchmark
  public DecodeResult jsonGarbageMix() {
    return json.decode(jsonGarbage[next()]);
  }
}
