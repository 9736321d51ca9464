package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.testing.TestSpark;
import dev.streamlake.common.PipelineConfig.PayloadFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executor's per-record conversion: the last line of defence, and what it lets through. */
class ClassifyPartitionTest {
  static final long BATCH_MICROS = 1_709_251_200_000_000L;
  final PipelineConfig sensor = PipelineConfig.sensorReadings();
  final ClassifiedRowLayout layout = new ClassifiedRowLayout(sensor.readerSchema());
  final Rules rules = Rules.bind(TestSpark.session(), sensor.rules(), layout.bronzeSchema());
  final PayloadDecoder real = PayloadDecoder.create(Payloads.avro());

  /** Decodes like the real decoder, except for payloads starting with '!' or 'R'. */
  final PayloadDecoder hostile = new PayloadDecoder(1 << 20) {
    @Override
    DecodeResult decodeBody(byte[] value) {
      if (value[0] == '!') {
        throw new IllegalStateException("a bug nobody foresaw");
      }
      if (value[0] == 'R') {
        throw new SchemaRegistryUnavailableException("registry down");
      }
      return real.decode(value);
    }
  };

  final ClassifyPartition.Converter converter =
      new ClassifyPartition.Converter(layout, hostile, rules, BATCH_MICROS);

  @Test
  void anUnexpectedExceptionIsADeadLetterWithItsClassAndTheRawRow() {
    byte[] value = "!boom".getBytes(StandardCharsets.UTF_8);
    InternalRow out = converter.convert(input(7, value));
    assertThat(out.getUTF8String(layout.out(ClassifiedRowLayout.ERROR_CODE)).toString())
        .isEqualTo("UNEXPECTED_ERROR");
    assertThat(out.getUTF8String(layout.out(ClassifiedRowLayout.ERROR_MESSAGE)).toString())
        .contains("java.lang.IllegalStateException: a bug nobody foresaw")
        .contains("partition 0, offset 7");
    assertThat(out.getBinary(layout.outRaw(TableSchemas.VALUE))).isEqualTo(value);
    assertThat(out.getBinary(layout.outRaw(TableSchemas.KEY))).isEqualTo(key(7));
    assertThat(out.isNullAt(layout.out("sensor_id"))).isTrue();

    // The next record of the same partition is unaffected.
    InternalRow good = converter.convert(input(8, Payloads.v2(Payloads.full())));
    assertThat(good.isNullAt(layout.out(ClassifiedRowLayout.ERROR_CODE))).isTrue();
    assertThat(good.getUTF8String(layout.out("sensor_id")).toString()).isEqualTo("sensor-1");
    assertThat(good.getLong(layout.out(TableSchemas.DESERIALIZED_AT))).isEqualTo(BATCH_MICROS);
    assertThat(good.isNullAt(layout.outRaw(TableSchemas.VALUE))).as("no raw copy for bronze")
        .isTrue();
  }

  @Test
  void anUnreachableRegistryStillFailsTheBatch() {
    byte[] value = "R".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> converter.convert(input(1, value)))
        .isInstanceOf(SchemaRegistryUnavailableException.class);
  }

  @Test
  void anUnreadableSchemaFileStillFailsTheBatch(@TempDir Path folder) throws IOException {
    Files.writeString(folder.resolve("2.avsc"), "{ this is not an Avro schema");
    PayloadDecoder decoder = PayloadDecoder.create(new DecoderSettings(PayloadFormat.AVRO,
        folder.toString(), null, sensor.readerSchema().toString(), 1 << 20));
    ClassifyPartition.Converter c =
        new ClassifyPartition.Converter(layout, decoder, rules, BATCH_MICROS);
    assertThatThrownBy(() -> c.convert(input(1, Payloads.v2(Payloads.full()))))
        .isInstanceOf(SchemaFolderUnreadableException.class)
        .hasMessageContaining("schema id 2");
  }

  @Test
  void aGoodRowKeepsItsKafkaKeyAndIsNoTombstone() {
    InternalRow good = converter.convert(input(8, Payloads.v2(Payloads.full())));
    assertThat(good.getBinary(layout.out(TableSchemas.KAFKA_KEY))).isEqualTo(key(8));
    assertThat(good.getBoolean(layout.out(TableSchemas.TOMBSTONE))).isFalse();
  }

  @Test
  void aTombstoneIsABronzeDeleteOnlyWhenThePipelineSaysSoAndHasAKey() {
    // Without a delete condition a tombstone stays the dead letter it always was.
    InternalRow plain = converter.convert(input(3, null));
    assertThat(plain.getUTF8String(layout.out(ClassifiedRowLayout.ERROR_CODE)).toString())
        .isEqualTo("EMPTY_PAYLOAD");

    Rules deletes = Rules.bind(TestSpark.session(), sensor.rules(), "tombstone",
        layout.bronzeSchema());
    ClassifyPartition.Converter c =
        new ClassifyPartition.Converter(layout, real, deletes, BATCH_MICROS);
    InternalRow delete = c.convert(input(4, null));
    assertThat(delete.isNullAt(layout.out(ClassifiedRowLayout.ERROR_CODE)))
        .as("the rules, which a tombstone has no fields for, are not applied").isTrue();
    assertThat(delete.getBoolean(layout.out(TableSchemas.TOMBSTONE))).isTrue();
    assertThat(delete.getBinary(layout.out(TableSchemas.KAFKA_KEY))).isEqualTo(key(4));
    assertThat(delete.isNullAt(layout.out("sensor_id"))).isTrue();
    assertThat(delete.isNullAt(layout.out(TableSchemas.SCHEMA_ID))).isTrue();

    // A tombstone without a key deletes nothing: a dead letter still.
    InternalRow keyless = input(5, null);
    keyless.setNullAt(layout.in(TableSchemas.KEY));
    assertThat(c.convert(keyless).getUTF8String(layout.out(ClassifiedRowLayout.ERROR_CODE))
        .toString()).isEqualTo("EMPTY_PAYLOAD");

    // A condition that does not hold for a tombstone (deletes come as op fields) keeps the
    // tombstone a dead letter.
    Rules byField = Rules.bind(TestSpark.session(), sensor.rules(), "status = 'DELETED'",
        layout.bronzeSchema());
    InternalRow notADelete =
        new ClassifyPartition.Converter(layout, real, byField, BATCH_MICROS).convert(input(6, null));
    assertThat(notADelete.getUTF8String(layout.out(ClassifiedRowLayout.ERROR_CODE)).toString())
        .isEqualTo("EMPTY_PAYLOAD");
  }

  @Test
  void aBadDeleteConditionIsAConfigErrorNamingTheSetting() {
    assertThatThrownBy(() -> Rules.bind(TestSpark.session(), sensor.rules(), "no_such_column",
        layout.bronzeSchema()))
        .isInstanceOf(dev.streamlake.common.ConfigException.class)
        .hasMessageContaining("pipeline setting gold.deleteWhen (no_such_column)");
  }

  private InternalRow input(long offset, byte[] value) {
    Object[] in = new Object[layout.inputSchema().size()];
    in[layout.in(TableSchemas.KEY)] = key(offset);
    in[layout.in(TableSchemas.VALUE)] = value;
    in[layout.in(TableSchemas.TOPIC)] = UTF8String.fromString("t");
    in[layout.in(TableSchemas.PARTITION)] = 0;
    in[layout.in(TableSchemas.OFFSET)] = offset;
    in[layout.in(TableSchemas.TIMESTAMP)] = 1_000_000L;
    in[layout.in(TableSchemas.TIMESTAMP_TYPE)] = 0;
    in[layout.in(TableSchemas.HEADERS)] = new GenericArrayData(List.of().toArray());
    in[layout.in(TableSchemas.INGESTED_AT)] = 2_000_000L;
    in[layout.in(TableSchemas.INGEST_DATE)] = 19_000;
    return new GenericInternalRow(in);
  }

  private static byte[] key(long offset) {
    return ("k" + offset).getBytes(StandardCharsets.UTF_8);
  }
}
