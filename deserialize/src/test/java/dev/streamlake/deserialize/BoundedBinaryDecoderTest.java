package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/** Our bounded decoder reads and skips exactly what Avro's own BinaryDecoder does. */
class BoundedBinaryDecoderTest {
  static final Schema INNER = SchemaBuilder.record("Inner").fields()
      .requiredString("s").requiredLong("n").endRecord();
  static final Schema WRITER = SchemaBuilder.record("All").fields()
      .requiredInt("i").requiredLong("l").requiredFloat("f").requiredDouble("d")
      .requiredBoolean("b").requiredString("s").requiredBytes("by")
      .name("fx").type().fixed("Fx").size(3).noDefault()
      .name("e").type().enumeration("E").symbols("A", "B", "C").noDefault()
      .name("arr").type().array().items().stringType().noDefault()
      .name("map").type().map().values().longType().noDefault()
      .name("rec").type(INNER).noDefault()
      .optionalString("opt")
      .requiredString("id")
      .endRecord();
  /** Reads only the last field: every other field must be skipped exactly. */
  static final Schema ONLY_ID = SchemaBuilder.record("All").fields()
      .requiredString("id").endRecord();

  @Test
  void readsAndSkipsLikeAvrosBinaryDecoder() throws IOException {
    Random rnd = new Random(7);
    BoundedBinaryDecoder bounded = new BoundedBinaryDecoder();
    for (int i = 0; i < 500; i++) {
      GenericRecord rec = randomRecord(rnd);
      for (boolean blocking : new boolean[] {false, true}) {
        byte[] bytes = encode(rec, blocking);
        for (Schema reader : new Schema[] {WRITER, ONLY_ID}) {
          GenericDatumReader<GenericRecord> dr = new GenericDatumReader<>(WRITER, reader);
          GenericRecord expected = dr.read(null, DecoderFactory.get().binaryDecoder(bytes, null));
          bounded.reset(bytes, 0, bytes.length);
          GenericRecord actual = dr.read(null, bounded);
          assertThat(actual).isEqualTo(expected);
          assertThat(bounded.remaining()).isZero();
        }
      }
    }
  }

  @Test
  void lengthsBeyondThePayloadFailWithoutAllocating() {
    BoundedBinaryDecoder d = new BoundedBinaryDecoder();
    byte[] hugeString = {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 'a'};
    d.reset(hugeString, 0, hugeString.length);
    assertThatThrownBy(() -> d.readString(null)).isInstanceOf(EOFException.class);
    byte[] hugeArray = {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f};
    d.reset(hugeArray, 0, hugeArray.length);
    assertThatThrownBy(d::readArrayStart).isInstanceOf(AvroRuntimeException.class);
    byte[] negative = {0x01};
    d.reset(negative, 0, 1);
    assertThatThrownBy(() -> d.readBytes(null)).isInstanceOf(AvroRuntimeException.class);
    byte[] longVarint = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01};
    d.reset(longVarint, 0, longVarint.length);
    assertThatThrownBy(d::readInt).isInstanceOf(AvroRuntimeException.class);
  }

  static byte[] encode(GenericRecord rec, boolean blocking) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    // The blocking encoder writes negative item counts with byte sizes: the skip fast path.
    Encoder enc = blocking
        ? EncoderFactory.get().blockingBinaryEncoder(out, null)
        : EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(WRITER).write(rec, enc);
    enc.flush();
    return out.toByteArray();
  }

  static GenericRecord randomRecord(Random rnd) {
    GenericRecord r = new GenericData.Record(WRITER);
    r.put("i", rnd.nextInt());
    r.put("l", rnd.nextLong());
    r.put("f", rnd.nextFloat());
    r.put("d", rnd.nextDouble());
    r.put("b", rnd.nextBoolean());
    r.put("s", randomString(rnd));
    byte[] by = new byte[rnd.nextInt(20)];
    rnd.nextBytes(by);
    r.put("by", ByteBuffer.wrap(by));
    byte[] fx = new byte[3];
    rnd.nextBytes(fx);
    r.put("fx", new GenericData.Fixed(WRITER.getField("fx").schema(), fx));
    r.put("e", new GenericData.EnumSymbol(WRITER.getField("e").schema(),
        List.of("A", "B", "C").get(rnd.nextInt(3))));
    List<String> arr = new ArrayList<>();
    for (int k = rnd.nextInt(5); k > 0; k--) {
      arr.add(randomString(rnd));
    }
    r.put("arr", arr);
    Map<String, Long> map = new LinkedHashMap<>();
    for (int k = rnd.nextInt(5); k > 0; k--) {
      map.put(randomString(rnd) + k, rnd.nextLong());
    }
    r.put("map", map);
    GenericRecord inner = new GenericData.Record(INNER);
    inner.put("s", randomString(rnd));
    inner.put("n", rnd.nextLong());
    r.put("rec", inner);
    r.put("opt", rnd.nextBoolean() ? null : randomString(rnd));
    r.put("id", "id-" + rnd.nextInt());
    return r;
  }

  static String randomString(Random rnd) {
    StringBuilder b = new StringBuilder();
    for (int k = rnd.nextInt(12); k > 0; k--) {
      b.append("aé温🌡".charAt(rnd.nextInt(3)));
    }
    return b.toString();
  }
}
