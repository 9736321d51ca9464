package dev.streamlake.deserialize;

/**
 * Why a raw record went to dead_letter: the machine-readable {@code error_code} column. Every code
 * here is a property of the record itself; a failure of our infrastructure (an unreachable schema
 * registry) is never a code, it fails the batch instead (see
 * {@link SchemaRegistryUnavailableException}).
 */
public enum ErrorCode {
  /** The Kafka value is null or has zero bytes. */
  EMPTY_PAYLOAD,
  /** The value is larger than the pipeline's {@code maxPayloadBytes}. */
  PAYLOAD_TOO_LARGE,
  /** The first byte is not the Confluent wire format's magic byte 0. */
  BAD_MAGIC_BYTE,
  /**
   * Neither the schema folder nor the registry knows the schema id, or the registry was not asked
   * (an id below 1, or the task had used up its lookups of unknown ids); the message says which.
   */
  UNKNOWN_SCHEMA_ID,
  /** The writer schema exists but cannot be read as the pipeline's reader schema. */
  INCOMPATIBLE_SCHEMA,
  /** The Avro body is truncated, has trailing bytes, or does not match its writer schema. */
  MALFORMED_AVRO,
  /** The value is not a JSON object with the reader schema's fields and types. */
  MALFORMED_JSON,
  /**
   * A decoded value that a Spark column cannot hold: a timestamp or date outside 0001-01-01 ..
   * 9999-12-31, a time of day outside one day, a decimal with more digits than its precision.
   */
  VALUE_OUT_OF_RANGE,
  /**
   * The record decoded but broke one or more validation rules, or a rule raised an error on it
   * (a failed cast, a division by zero, an overflow: the message names the rule and the error).
   */
  RULE_VIOLATION,
  /**
   * Converting the record raised an error nobody foresaw (a bug of ours, or of a library); the
   * message carries the exception's class and message. The batch goes on.
   */
  UNEXPECTED_ERROR,
  /**
   * The record classified as good when the batch's dead letters were derived, but the batch's
   * bronze rows had been committed without it: schema files, rules or the registry changed in
   * between (a replay after a redeploy, or blocks recomputed after a lost executor). It is kept
   * here so that it is in exactly one table; re-drive it to bring it to bronze.
   */
  RECLASSIFIED
}
