package dev.streamlake.deserialize;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.unsafe.Platform;

/**
 * {@code UnsafeRow}s packed back to back into large byte arrays, the form stage 2's cache keeps
 * them in.
 *
 * <p>One array per row cost a header, an allocation and a Kryo call with its reference-map reset
 * per row, in memory and on every spill; one array per thousand rows makes those costs vanish.
 * Each row is preceded by its length in a long, so every row starts on an 8-byte boundary as
 * {@code UnsafeRow} words expect; a negative length, or too little room for a length, ends a chunk.
 */
final class RowChunks {
  /** About a thousand sensor rows: per-chunk costs vanish, and the cache's unrolling still checks
   * its memory often. A larger row gets a chunk of its own. */
  static final int CHUNK_BYTES = 256 * 1024;

  private static final int LENGTH_BYTES = Long.BYTES;
  private static final long END = -1L;

  private RowChunks() {}

  /**
   * Copies the rows into chunks. Each row is copied before the next is asked for, so the input may
   * reuse one row and its buffer, as Spark's projections do.
   */
  static Iterator<byte[]> pack(Iterator<UnsafeRow> rows, int chunkBytes) {
    return new Iterator<>() {
      /** A row taken from the input that did not fit the previous chunk. */
      private UnsafeRow pending;

      @Override
      public boolean hasNext() {
        return pending != null || rows.hasNext();
      }

      @Override
      public byte[] next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        UnsafeRow first = pending != null ? pending : rows.next();
        pending = null;
        byte[] chunk = new byte[Math.max(chunkBytes, LENGTH_BYTES + first.getSizeInBytes())];
        int used = put(chunk, 0, first);
        while (rows.hasNext()) {
          UnsafeRow row = rows.next();
          if (used + LENGTH_BYTES + row.getSizeInBytes() > chunk.length) {
            pending = row;
            if (used + LENGTH_BYTES <= chunk.length) {
              Platform.putLong(chunk, Platform.BYTE_ARRAY_OFFSET + used, END);
            }
            return chunk;
          }
          used = put(chunk, used, row);
        }
        // The partition's last chunk: no room kept that nothing will fill.
        return used == chunk.length ? chunk : Arrays.copyOf(chunk, used);
      }
    };
  }

  private static int put(byte[] chunk, int at, UnsafeRow row) {
    int size = row.getSizeInBytes();
    Platform.putLong(chunk, Platform.BYTE_ARRAY_OFFSET + at, size);
    row.writeToMemory(chunk, Platform.BYTE_ARRAY_OFFSET + at + LENGTH_BYTES);
    return at + LENGTH_BYTES + size;
  }

  /** The rows of the chunks, in order: each a new {@code UnsafeRow} over its chunk, no copy. */
  static Iterator<InternalRow> unpack(Iterator<byte[]> chunks, int fields) {
    return new Iterator<>() {
      private byte[] chunk;
      private int at;

      @Override
      public boolean hasNext() {
        while (chunk == null || !rowAt()) {
          if (!chunks.hasNext()) {
            return false;
          }
          chunk = chunks.next();
          at = 0;
        }
        return true;
      }

      private boolean rowAt() {
        return at + LENGTH_BYTES <= chunk.length
            && Platform.getLong(chunk, Platform.BYTE_ARRAY_OFFSET + at) >= 0;
      }

      @Override
      public InternalRow next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int size = (int) Platform.getLong(chunk, Platform.BYTE_ARRAY_OFFSET + at);
        UnsafeRow row = new UnsafeRow(fields);
        row.pointTo(chunk, Platform.BYTE_ARRAY_OFFSET + at + LENGTH_BYTES, size);
        at += LENGTH_BYTES + size;
        return row;
      }
    };
  }
}
