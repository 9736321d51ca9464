package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.PipelineConfig.PayloadFormat;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.DecimalType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every logical type the decoders emit, at and beyond the edges of what Spark and Delta hold:
 * in range it decodes to the exact internal value, out of range it is VALUE_OUT_OF_RANGE naming
 * the field and the value, in Avro and in JSON.
 */
class ValueRangeTest {
  static final long MIN_MILLIS = -62_135_596_800_000L; // 0001-01-01T00:00:00Z
  static final long MAX_MILLIS = 253_402_300_799_999L; // 9999-12-31T23:59:59.999Z

  static final String TYPES = """
      {"type": "record", "name": "Types", "fields": [
        {"name": "ts_millis", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}], "default": null},
        {"name": "ts_micros", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}], "default": null},
        {"name": "local_millis", "type": ["null", {"type": "long", "logicalType": "local-timestamp-millis"}], "default": null},
        {"name": "local_micros", "type": ["null", {"type": "long", "logicalType": "local-timestamp-micros"}], "default": null},
        {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}], "default": null},
        {"name": "t_millis", "type": ["null", {"type": "int", "logicalType": "time-millis"}], "default": null},
        {"name": "t_micros", "type": ["null", {"type": "long", "logicalType": "time-micros"}], "default": null},
        {"name": "amount", "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2}], "default": null},
        {"name": "fixed_amount", "type": ["null", {"type": "fixed", "name": "F", "size": 4, "logicalType": "decimal", "precision": 7, "scale": 3}], "default": null}
      ]}""";

  final Schema types = new Schema.Parser().parse(TYPES);
  final PayloadDecoder sensorAvro = PayloadDecoder.create(Payloads.avro());
  final PayloadDecoder sensorJson = PayloadDecoder.create(Payloads.json());

  @TempDir Path schemas;

  @Test
  void sensorTimestampsOutsideSparksRangeAreDeadLetters() {
    long[] outside = {Long.MAX_VALUE, Long.MIN_VALUE, 1_700_000_000_000_000_000L,
        MIN_MILLIS - 1, MAX_MILLIS + 1};
    for (long ms : outside) {
      Reading r = Reading.of("s", Instant.ofEpochMilli(ms), 20);
      for (DecodeResult result : new DecodeResult[] {
          sensorAvro.decode(Payloads.v2(r)), sensorAvro.decode(Payloads.v1(r)),
          sensorJson.decode(Payloads.json(r))}) {
        DecodeFailure f = PayloadDecoderTest.failed(result, ErrorCode.VALUE_OUT_OF_RANGE);
        assertThat(f.message()).contains("field reading_ts").contains(ms + " ms")
            .contains("0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z");
      }
    }
  }

  @Test
  void sensorTimestampsAtTheEdgesAndBefore1582KeepTheirInstant() {
    Instant[] inside = {Instant.ofEpochMilli(MIN_MILLIS), Instant.ofEpochMilli(MAX_MILLIS),
        Instant.parse("1000-02-28T12:00:00Z"), Instant.parse("1582-10-10T00:00:00Z"),
        Instant.parse("1969-12-31T23:59:59.999Z")};
    for (Instant t : inside) {
      Reading r = Reading.of("s", t, 20);
      for (DecodeResult result : new DecodeResult[] {
          sensorAvro.decode(Payloads.v2(r)), sensorJson.decode(Payloads.json(r))}) {
        long micros = (Long) PayloadDecoderTest.decoded(result).values()[1];
        assertThat(Instant.EPOCH.plus(micros, ChronoUnit.MICROS)).as(t.toString()).isEqualTo(t);
      }
    }
  }

  @Test
  void everyLogicalTypeInRangeDecodesToItsExactInternalValue() throws IOException {
    GenericRecord rec = new GenericData.Record(types);
    rec.put("ts_millis", MIN_MILLIS);
    rec.put("ts_micros", MAX_MILLIS * 1000 + 999);
    rec.put("local_millis", LocalDateTime.of(1500, 1, 1, 0, 0).toInstant(ZoneOffset.UTC)
        .toEpochMilli());
    rec.put("local_micros", 0L);
    rec.put("day", (int) LocalDate.of(9999, 12, 31).toEpochDay());
    rec.put("t_millis", 86_399_999);
    rec.put("t_micros", 86_399_999_999L);
    rec.put("amount", ByteBuffer.wrap(BigInteger.valueOf(-99999).toByteArray()));
    rec.put("fixed_amount", new GenericData.Fixed(types.getField("fixed_amount").schema()
        .getTypes().get(1), fixed4(1234567)));
    Object[] v = PayloadDecoderTest.decoded(avroTypes().decode(wire(rec))).values();
    assertThat(v).containsExactly(MIN_MILLIS * 1000, MAX_MILLIS * 1000 + 999,
        -14831769600000L * 1000, 0L, 2932896, 86_399_999, 86_399_999_999L,
        Decimal.apply(new BigDecimal("-999.99")), Decimal.apply(new BigDecimal("1234.567")));

    String json = "{\"ts_millis\": " + MIN_MILLIS + ", \"day\": 2932896, \"t_millis\": 0,"
        + " \"amount\": 999.9, \"fixed_amount\": -1.5}";
    Object[] j = PayloadDecoderTest.decoded(jsonTypes().decode(bytes(json))).values();
    assertThat(j[0]).isEqualTo(MIN_MILLIS * 1000);
    assertThat(j[4]).isEqualTo(2932896);
    assertThat(j[7]).isEqualTo(Decimal.apply(new BigDecimal("999.90")));
    assertThat(j[8]).isEqualTo(Decimal.apply(new BigDecimal("-1.500")));
  }

  @Test
  void everyLogicalTypeOutOfRangeIsNamedWithItsValue() throws IOException {
    Object[][] cases = {
      {"ts_micros", MAX_MILLIS * 1000 + 1000, "253402300800000000 µs"},
      {"ts_micros", Long.MIN_VALUE, Long.MIN_VALUE + " µs"},
      {"local_millis", Long.MAX_VALUE, Long.MAX_VALUE + " ms"},
      {"local_micros", MIN_MILLIS * 1000 - 1, (MIN_MILLIS * 1000 - 1) + " µs"},
      {"day", (int) LocalDate.of(10000, 1, 1).toEpochDay(), "2932897 days"},
      {"day", Integer.MIN_VALUE, Integer.MIN_VALUE + " days"},
      {"t_millis", 86_400_000, "86400000"},
      {"t_millis", -1, "-1"},
      {"t_micros", Long.MAX_VALUE, String.valueOf(Long.MAX_VALUE)},
      {"amount", ByteBuffer.wrap(BigInteger.valueOf(100000).toByteArray()), "1000.00"},
      {"fixed_amount", null, "-2147483.648"},
    };
    for (Object[] c : cases) {
      GenericRecord rec = new GenericData.Record(types);
      Object value = c[1];
      if (c[0].equals("fixed_amount")) {
        value = new GenericData.Fixed(types.getField("fixed_amount").schema().getTypes().get(1),
            fixed4(Integer.MIN_VALUE));
      }
      rec.put((String) c[0], value);
      DecodeFailure f =
          PayloadDecoderTest.failed(avroTypes().decode(wire(rec)), ErrorCode.VALUE_OUT_OF_RANGE);
      assertThat(f.message()).as(f.message()).contains("field " + c[0])
          .contains((String) c[2]).contains("writer schema id 1");
    }
    String[][] json = {
      {"ts_millis", String.valueOf(Long.MAX_VALUE)},
      {"day", "-800000"},
      {"t_micros", "-5"},
      {"amount", "1000"},
      {"amount", "1.234"},
    };
    for (String[] c : json) {
      DecodeFailure f = PayloadDecoderTest.failed(
          jsonTypes().decode(bytes("{\"" + c[0] + "\": " + c[1] + "}")),
          ErrorCode.VALUE_OUT_OF_RANGE);
      assertThat(f.message()).contains("field " + c[0]);
    }
  }

  @Test
  void logicalTypesMapToSparkTypesAndNanosecondsAreRefusedAtStart() {
    var struct = TableSchemas.dataStruct(types);
    assertThat(struct.apply("local_millis").dataType().typeName()).isEqualTo("timestamp_ntz");
    assertThat(struct.apply("amount").dataType()).isEqualTo(new DecimalType(5, 2));
    assertThat(struct.apply("day").dataType().typeName()).isEqualTo("date");
    Schema nanos = new Schema.Parser().parse("""
        {"type": "record", "name": "N", "fields": [
          {"name": "t", "type": {"type": "long", "logicalType": "timestamp-nanos"}}]}""");
    assertThatThrownBy(() -> TableSchemas.dataStruct(nanos)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("timestamp-nanos is not supported");
  }

  private PayloadDecoder avroTypes() throws IOException {
    Files.writeString(schemas.resolve("1.avsc"), TYPES);
    return PayloadDecoder.create(new DecoderSettings(PayloadFormat.AVRO, schemas.toString(), null,
        types.toString(), 1 << 20));
  }

  private PayloadDecoder jsonTypes() {
    return PayloadDecoder.create(new DecoderSettings(PayloadFormat.JSON, schemas.toString(), null,
        types.toString(), 1 << 20));
  }

  private byte[] wire(GenericRecord rec) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(body, null);
    new GenericDatumWriter<GenericRecord>(types).write(rec, enc);
    enc.flush();
    return SensorReadingPayloads.wire(1, body.toByteArray());
  }

  private static byte[] fixed4(int unscaled) {
    return ByteBuffer.allocate(4).putInt(unscaled).array();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
