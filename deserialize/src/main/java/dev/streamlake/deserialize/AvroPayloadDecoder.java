package dev.streamlake.deserialize;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;

/**
 * Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then Avro binary written
 * with that schema. The body is read with Avro schema resolution from the writer schema to the
 * pipeline's reader schema, so v1 and v2 records come out with the same fields (v2's defaults
 * filling what v1 lacks). One datum reader per writer id and one binary decoder are reused.
 */
final class AvroPayloadDecoder extends PayloadDecoder {
  private static final int HEADER = 5;

  private final Schema reader;
  private final WriterSchemas schemas;
  private final BoundedBinaryDecoder in = new BoundedBinaryDecoder();
  private final CatalystValues values = new CatalystValues();
  /** Per writer id, for this decoder's life (one partition): a reader, or why there is none. */
  private final Map<Integer, Writer> writers = new HashMap<>();

  private sealed interface Writer permits Ready, Rejected {}

  private static final class Ready implements Writer {
    final GenericDatumReader<GenericRecord> datumReader;
    GenericRecord reuse;

    Ready(Schema writer, Schema reader) {
      this.datumReader = new GenericDatumReader<>(writer, reader, GenericData.get());
    }
  }

  private record Rejected(DecodeFailure failure) implements Writer {}

  AvroPayloadDecoder(DecoderSettings settings) {
    super(settings.maxPayloadBytes());
    this.reader = settings.readerSchema();
    this.schemas = new WriterSchemas(settings);
  }

  @Override
  DecodeResult decodeBody(byte[] value) {
    if (value[0] != 0) {
      return DecodeFailure.badMagicByte(value[0]);
    }
    if (value.length < HEADER) {
      return DecodeFailure.shortHeader(value.length);
    }
    int id = (value[1] & 0xff) << 24 | (value[2] & 0xff) << 16 | (value[3] & 0xff) << 8
        | (value[4] & 0xff);
    Writer writer = writers.get(id);
    if (writer == null) {
      writer = writerFor(id);
      writers.put(id, writer);
    }
    if (writer instanceof Rejected rejected) {
      return rejected.failure();
    }
    Ready ready = (Ready) writer;
    in.reset(value, HEADER, value.length - HEADER);
    GenericRecord record;
    try {
      record = ready.datumReader.read(ready.reuse, in);
    } catch (IOException | RuntimeException e) {
      // A failed read can leave the reused record half overwritten; start the next one afresh.
      ready.reuse = null;
      return DecodeFailure.malformedAvro(id, e);
    }
    ready.reuse = record;
    if (in.remaining() > 0) {
      return DecodeFailure.trailingBytes(id, in.remaining());
    }
    try {
      return new DecodeResult.Decoded(values.fields(record, reader, ""), id);
    } catch (CatalystValues.InvalidValueException e) {
      return DecodeFailure.invalidValue(id, e);
    }
  }

  private Writer writerFor(int id) {
    WriterSchemas.Lookup lookup = schemas.find(id);
    if (lookup instanceof WriterSchemas.Missing missing) {
      return new Rejected(missing.failure());
    }
    if (lookup instanceof WriterSchemas.Unusable unusable) {
      return new Rejected(DecodeFailure.incompatibleSchema(id, unusable.why()));
    }
    Schema writer = ((WriterSchemas.Found) lookup).schema();
    SchemaCompatibility.SchemaPairCompatibility compatibility =
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    if (compatibility.getType()
        != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      return new Rejected(DecodeFailure.incompatibleSchema(id, compatibility.getDescription()));
    }
    return new Ready(writer, reader);
  }
}
