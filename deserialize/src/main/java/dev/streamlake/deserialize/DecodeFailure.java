package dev.streamlake.deserialize;

/** A payload that cannot become a bronze row: its dead-letter code and what was wrong with it. */
public record DecodeFailure(ErrorCode code, String message) implements DecodeResult {

  public DecodeFailure {
    if (code == null || message == null || message.isBlank()) {
      throw new IllegalArgumentException("a decode failure needs a code and a message");
    }
  }

  static DecodeFailure nullPayload() {
    return new DecodeFailure(ErrorCode.EMPTY_PAYLOAD, "the Kafka value is null");
  }

  static DecodeFailure emptyPayload() {
    return new DecodeFailure(ErrorCode.EMPTY_PAYLOAD, "the Kafka value is empty (0 bytes)");
  }

  static DecodeFailure tooLarge(int length, long max) {
    return new DecodeFailure(ErrorCode.PAYLOAD_TOO_LARGE,
        "the value has " + length + " bytes, over the limit of " + max + " (maxPayloadBytes)");
  }

  static DecodeFailure badMagicByte(byte first) {
    return new DecodeFailure(ErrorCode.BAD_MAGIC_BYTE, String.format(
        "first byte is 0x%02x, but the Confluent wire format starts with the magic byte 0x00",
        first & 0xff));
  }

  static DecodeFailure shortHeader(int length) {
    return new DecodeFailure(ErrorCode.MALFORMED_AVRO, "only " + length + " bytes: the wire"
        + " format needs 5 (magic byte and 4-byte schema id) before the Avro body");
  }

  static DecodeFailure unknownSchemaId(int id, String where) {
    return new DecodeFailure(ErrorCode.UNKNOWN_SCHEMA_ID,
        "schema id " + id + " is unknown: not found in " + where);
  }

  /** The folder lacks the id and the registry was not asked, for the reason {@code because}. */
  static DecodeFailure unknownSchemaIdNotAsked(
      int id, String directory, String registry, String because) {
    return new DecodeFailure(ErrorCode.UNKNOWN_SCHEMA_ID, "schema id " + id + " is unknown: not"
        + " found in " + directory + "; not looked up in the schema registry " + registry
        + " because " + because);
  }

  static DecodeFailure incompatibleSchema(int id, String why) {
    return new DecodeFailure(ErrorCode.INCOMPATIBLE_SCHEMA,
        "schema id " + id + " cannot be read with the reader schema: " + why);
  }

  static DecodeFailure malformedAvro(int id, Throwable error) {
    return new DecodeFailure(ErrorCode.MALFORMED_AVRO,
        "Avro body does not match writer schema id " + id + ": " + describe(error));
  }

  static DecodeFailure trailingBytes(int id, int trailing) {
    return new DecodeFailure(ErrorCode.MALFORMED_AVRO, trailing + " trailing byte(s) after a"
        + " complete record of writer schema id " + id + " (wrong schema id or garbage)");
  }

  static DecodeFailure invalidValue(Integer id, CatalystValues.InvalidValueException e) {
    return new DecodeFailure(e.code(),
        e.getMessage() + (id == null ? "" : " (writer schema id " + id + ")"));
  }

  /** The last line of defence: an exception no decoder path expected, kept with its class. */
  static DecodeFailure unexpected(Throwable e) {
    return new DecodeFailure(ErrorCode.UNEXPECTED_ERROR,
        "decoding raised an unexpected " + e.getClass().getName()
            + (e.getMessage() == null ? "" : ": " + abbreviate(e.getMessage())));
  }

  static DecodeFailure malformedJson(String why) {
    return new DecodeFailure(ErrorCode.MALFORMED_JSON, why);
  }

  /** This failure with the record's Kafka coordinates appended, for the error_message column. */
  DecodeFailure at(String topic, Object partition, Object offset) {
    return new DecodeFailure(code,
        message + " [topic " + topic + ", partition " + partition + ", offset " + offset + "]");
  }

  static String abbreviate(String s) {
    return s.length() <= 500 ? s : s.substring(0, 500) + "...";
  }

  static String describe(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
  }
}
