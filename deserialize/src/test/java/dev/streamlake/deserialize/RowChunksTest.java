package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/** The packing of stage 2's cache: every row back, in order, whatever the input reuses. */
class RowChunksTest {
  static final StructType ID_AND_NAME = new StructType()
      .add("id", DataTypes.LongType)
      .add("name", DataTypes.StringType);
  static final StructType ID = new StructType().add("id", DataTypes.LongType);

  /** Rows as a projection hands them out: one row object and buffer, reused for each. */
  static Iterator<UnsafeRow> projected(StructType schema, List<InternalRow> rows) {
    UnsafeProjection projection = UnsafeProjection.create(schema);
    return rows.stream().map(projection::apply).iterator();
  }

  static List<InternalRow> named(int count) {
    return IntStream.range(0, count)
        .<InternalRow>mapToObj(i -> new GenericInternalRow(new Object[] {
            (long) i, i % 7 == 0 ? null : UTF8String.fromString("n".repeat(i % 40))}))
        .toList();
  }

  static List<byte[]> pack(Iterator<UnsafeRow> rows, int chunkBytes) {
    List<byte[]> chunks = new ArrayList<>();
    RowChunks.pack(rows, chunkBytes).forEachRemaining(chunks::add);
    return chunks;
  }

  static List<InternalRow> unpack(List<byte[]> chunks, int fields) {
    List<InternalRow> rows = new ArrayList<>();
    RowChunks.unpack(chunks.iterator(), fields).forEachRemaining(rows::add);
    return rows;
  }

  @Test
  void rowsComeBackInOrderAcrossChunksAlthoughTheInputReusedOneBuffer() {
    List<byte[]> chunks = pack(projected(ID_AND_NAME, named(500)), 256);

    assertThat(chunks).hasSizeGreaterThan(50).allSatisfy(c -> assertThat(c.length).isLessThanOrEqualTo(256));
    List<InternalRow> rows = unpack(chunks, 2);
    assertThat(rows).hasSize(500);
    for (int i = 0; i < 500; i++) {
      InternalRow row = rows.get(i);
      assertThat(row.getLong(0)).isEqualTo(i);
      if (i % 7 == 0) {
        assertThat(row.isNullAt(1)).isTrue();
      } else {
        assertThat(row.getUTF8String(1).toString()).isEqualTo("n".repeat(i % 40));
      }
    }
  }

  @Test
  void aRowThatFillsItsBufferExactlyIsCopiedBeforeTheNextOverwritesIt() {
    byte[] buffer = new byte[16];
    UnsafeRow reused = new UnsafeRow(1);
    reused.pointTo(buffer, buffer.length);
    // Spark's own getBytes() hands out the buffer itself here: keeping it would alias every row.
    assertThat(reused.getBytes()).isSameAs(buffer);
    Iterator<UnsafeRow> input = IntStream.range(0, 3).mapToObj(i -> {
      reused.setLong(0, 40L + i);
      return reused;
    }).iterator();

    assertThat(unpack(pack(input, 1024), 1)).extracting(r -> r.getLong(0))
        .containsExactly(40L, 41L, 42L);
  }

  @Test
  void aRowLargerThanAChunkGetsAChunkOfItsOwn() {
    List<InternalRow> input = List.of(
        new GenericInternalRow(new Object[] {1L, UTF8String.fromString("small")}),
        new GenericInternalRow(new Object[] {2L, UTF8String.fromString("x".repeat(5000))}),
        new GenericInternalRow(new Object[] {3L, UTF8String.fromString("small")}));

    List<byte[]> chunks = pack(projected(ID_AND_NAME, input), 256);

    assertThat(chunks).hasSize(3);
    assertThat(chunks.get(1).length).isGreaterThan(5000);
    assertThat(unpack(chunks, 2)).extracting(r -> r.getUTF8String(1).numChars())
        .containsExactly(5, 5000, 5);
  }

  @Test
  void aFullChunkNeedsNoEndMarkAndAShortOneEndsAtIt() {
    // A one-long row is 16 bytes, 24 with its length: two fill 48 bytes exactly, and 40 bytes
    // hold one with room for the end mark.
    List<InternalRow> five = IntStream.range(0, 5)
        .<InternalRow>mapToObj(i -> new GenericInternalRow(new Object[] {(long) i}))
        .toList();

    List<byte[]> exact = pack(projected(ID, five), 48);
    assertThat(exact).extracting(c -> c.length).containsExactly(48, 48, 24);
    assertThat(unpack(exact, 1)).extracting(r -> r.getLong(0)).containsExactly(0L, 1L, 2L, 3L, 4L);

    List<byte[]> marked = pack(projected(ID, five), 40);
    assertThat(marked).extracting(c -> c.length).containsExactly(40, 40, 40, 40, 24);
    assertThat(unpack(marked, 1)).extracting(r -> r.getLong(0)).containsExactly(0L, 1L, 2L, 3L, 4L);
  }

  @Test
  void everyRowStartsOnAnEightByteBoundary() {
    assertThat(unpack(pack(projected(ID_AND_NAME, named(200)), 512), 2))
        .allSatisfy(r -> assertThat(
            (((UnsafeRow) r).getBaseOffset() - Platform.BYTE_ARRAY_OFFSET) % 8).isZero());
  }

  @Test
  void noRowsNoChunks() {
    assertThat(pack(projected(ID, List.of()), 256)).isEmpty();
    assertThat(unpack(List.of(), 1)).isEmpty();
  }
}
