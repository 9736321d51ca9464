package dev.streamlake.deserialize;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

/**
 * Avro binary decoding over one byte array, reusable through {@link #reset}.
 *
 * <p>Why not Avro's own BinaryDecoder: it allocates whatever a length prefix claims before it reads
 * (a corrupt string length of 2 GB allocates 2 GB, a corrupt array count pre-sizes a list of that
 * many slots). Here every length and item count is checked against the bytes that are really left,
 * so a hostile or damaged payload costs at most its own size, and ends in an exception the decoder
 * turns into MALFORMED_AVRO.
 */
final class BoundedBinaryDecoder extends Decoder {
  private byte[] buf = new byte[0];
  private int pos;
  private int limit;

  void reset(byte[] bytes, int offset, int length) {
    this.buf = bytes;
    this.pos = offset;
    this.limit = offset + length;
  }

  int remaining() {
    return limit - pos;
  }

  @Override
  public void readNull() {}

  @Override
  public boolean readBoolean() throws IOException {
    int b = next();
    if (b > 1) {
      throw new AvroRuntimeException("invalid boolean byte " + b);
    }
    return b == 1;
  }

  @Override
  public int readInt() throws IOException {
    long raw = readVarint(5);
    int n = (int) ((raw >>> 1) ^ -(raw & 1));
    if ((raw >>> 32) != 0) {
      throw new AvroRuntimeException("invalid int encoding");
    }
    return n;
  }

  @Override
  public long readLong() throws IOException {
    long raw = readVarint(10);
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** An unsigned varint of at most {@code maxBytes} bytes (before zig-zag decoding). */
  private long readVarint(int maxBytes) throws IOException {
    long value = 0;
    for (int i = 0; i < maxBytes; i++) {
      int b = next();
      value |= (long) (b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new AvroRuntimeException("invalid varint encoding: more than " + maxBytes + " bytes");
  }

  @Override
  public float readFloat() throws IOException {
    require(4);
    int bits = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16
        | (buf[pos + 3] & 0xff) << 24;
    pos += 4;
    return Float.intBitsToFloat(bits);
  }

  @Override
  public double readDouble() throws IOException {
    require(8);
    long bits = 0;
    for (int i = 7; i >= 0; i--) {
      bits = (bits << 8) | (buf[pos + i] & 0xff);
    }
    pos += 8;
    return Double.longBitsToDouble(bits);
  }

  @Override
  public Utf8 readString(Utf8 old) throws IOException {
    int len = readLength("string");
    Utf8 result = old != null ? old : new Utf8();
    result.setByteLength(len);
    System.arraycopy(buf, pos, result.getBytes(), 0, len);
    pos += len;
    return result;
  }

  @Override
  public String readString() throws IOException {
    int len = readLength("string");
    String s = new String(buf, pos, len, StandardCharsets.UTF_8);
    pos += len;
    return s;
  }

  @Override
  public void skipString() throws IOException {
    // Not "pos += readLength(..)": that would add to pos as it was before the length was read.
    int len = readLength("string");
    pos += len;
  }

  @Override
  public ByteBuffer readBytes(ByteBuffer old) throws IOException {
    int len = readLength("bytes");
    ByteBuffer result;
    if (old != null && old.capacity() >= len) {
      result = old;
      result.clear();
      result.put(buf, pos, len);
      result.flip();
    } else {
      byte[] copy = new byte[len];
      System.arraycopy(buf, pos, copy, 0, len);
      result = ByteBuffer.wrap(copy);
    }
    pos += len;
    return result;
  }

  @Override
  public void skipBytes() throws IOException {
    int len = readLength("bytes");
    pos += len;
  }

  @Override
  public void readFixed(byte[] bytes, int start, int length) throws IOException {
    require(length);
    System.arraycopy(buf, pos, bytes, start, length);
    pos += length;
  }

  @Override
  public void skipFixed(int length) throws IOException {
    require(length);
    pos += length;
  }

  @Override
  public int readEnum() throws IOException {
    return readInt();
  }

  @Override
  public long readArrayStart() throws IOException {
    return readItemCount();
  }

  @Override
  public long arrayNext() throws IOException {
    return readItemCount();
  }

  @Override
  public long skipArray() throws IOException {
    return skipItems();
  }

  @Override
  public long readMapStart() throws IOException {
    return readItemCount();
  }

  @Override
  public long mapNext() throws IOException {
    return readItemCount();
  }

  @Override
  public long skipMap() throws IOException {
    return skipItems();
  }

  @Override
  public int readIndex() throws IOException {
    return readInt();
  }

  /**
   * A block's item count. A negative count is followed by the block's byte size (which we do not
   * need). Every item takes at least one byte except null and empty records, so a count above the
   * remaining bytes is what a corrupt length looks like; refusing it keeps the reader from
   * pre-sizing a collection of that many slots.
   */
  private long readItemCount() throws IOException {
    long count = readLong();
    if (count < 0) {
      readLong();
      count = -count;
    }
    if (count < 0 || count > remaining()) {
      throw new AvroRuntimeException(
          "block of " + count + " items but only " + remaining() + " bytes remain");
    }
    return count;
  }

  /** Skips blocks that carry their byte size; returns the item count of the next other block. */
  private long skipItems() throws IOException {
    long count = readLong();
    while (count < 0) {
      long size = readLong();
      if (size < 0 || size > remaining()) {
        throw new AvroRuntimeException("block of " + size + " bytes but only " + remaining()
            + " remain");
      }
      pos += (int) size;
      count = readLong();
    }
    if (count > remaining()) {
      throw new AvroRuntimeException(
          "block of " + count + " items but only " + remaining() + " bytes remain");
    }
    return count;
  }

  private int readLength(String what) throws IOException {
    long len = readLong();
    if (len < 0) {
      throw new AvroRuntimeException("negative " + what + " length " + len);
    }
    if (len > remaining()) {
      throw new EOFException(what + " of " + len + " bytes but only " + remaining() + " remain");
    }
    return (int) len;
  }

  private void require(int n) throws EOFException {
    if (n < 0 || n > remaining()) {
      throw new EOFException("needs " + n + " more bytes but only " + remaining() + " remain");
    }
  }

  private int next() throws EOFException {
    if (pos >= limit) {
      throw new EOFException("unexpected end of the Avro body");
    }
    return buf[pos++] & 0xff;
  }
}
