package dev.streamlake.deserialize;

import java.util.Arrays;

/** What the decoder made of one payload: the fields, or why not. */
public sealed interface DecodeResult permits DecodeResult.Decoded, DecodeFailure {

  /**
   * A decoded record: {@code values} are Spark internal values (see {@link CatalystValues}) in
   * reader-schema field order; {@code schemaId} is the writer schema id (null for JSON).
   */
  record Decoded(Object[] values, Integer schemaId) implements DecodeResult {
    @Override
    public String toString() {
      return "Decoded[schemaId=" + schemaId + ", values=" + Arrays.toString(values) + "]";
    }
  }
}
