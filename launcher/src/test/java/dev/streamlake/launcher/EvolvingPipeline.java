package dev.streamlake.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamlake.common.Resources;
import dev.streamlake.common.TableSchemas;
import dev.streamlake.deserialize.DeserializeConfig;
import dev.streamlake.local.SensorReadingPayloads;
import dev.streamlake.local.SensorReadingPayloads.Reading;
import dev.streamlake.merge.MergeConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The sensor-readings pipeline with a schema folder of its own, so a test can give it a new reader
 * schema: v1 and v2 as shipped, v3 (v2 plus an optional {@code light_lux}), and schemas that
 * promote, remove or rename a field. Stage configs name the reader schema id; raw rows are
 * written straight into the lake's raw table.
 */
final class EvolvingPipeline {
  static final int V3 = 3;
  /** v2 with battery_pct an optional long instead of an optional int. */
  static final int BATTERY_LONG = 4;
  /** v2 without firmware. */
  static final int NO_FIRMWARE = 5;
  /** v2 with firmware renamed firmware_version (the old name an alias). */
  static final int FIRMWARE_RENAMED = 6;

  static final String NEW_FIELD = "light_lux";
  static final String TOPIC = "sensor-readings";
  static final LocalDate INGEST_DATE = LocalDate.of(2024, 5, 1);

  private static final ObjectMapper JSON = new ObjectMapper();

  final Path lake;
  final Path schemas;
  private long nextOffset;

  EvolvingPipeline(Path dir) {
    this.lake = dir.resolve("lake");
    this.schemas = dir.resolve("schemas");
    try {
      Files.createDirectories(schemas);
      String v2 = shipped(2);
      Files.writeString(schemas.resolve("1.avsc"), shipped(1));
      Files.writeString(schemas.resolve("2.avsc"), v2);
      Files.writeString(schemas.resolve(V3 + ".avsc"), v2.replace(
          "{\"name\": \"pressure_hpa\", \"type\": [\"null\", \"double\"], \"default\": null}",
          "{\"name\": \"pressure_hpa\", \"type\": [\"null\", \"double\"], \"default\": null},\n"
              + "    {\"name\": \"" + NEW_FIELD + "\", \"type\": [\"null\", \"double\"],"
              + " \"default\": null}"));
      Files.writeString(schemas.resolve(BATTERY_LONG + ".avsc"), v2.replace(
          "{\"name\": \"battery_pct\", \"type\": [\"null\", \"int\"]",
          "{\"name\": \"battery_pct\", \"type\": [\"null\", \"long\"]"));
      Files.writeString(schemas.resolve(NO_FIRMWARE + ".avsc"), v2.replace(
          "    {\"name\": \"firmware\", \"type\": [\"null\", \"string\"], \"default\": null},\n",
          ""));
      Files.writeString(schemas.resolve(FIRMWARE_RENAMED + ".avsc"), v2.replace(
          "{\"name\": \"firmware\",",
          "{\"name\": \"firmware_version\", \"aliases\": [\"firmware\"],"));
      for (int id = V3; id <= FIRMWARE_RENAMED; id++) {
        if (Files.readString(schemas.resolve(id + ".avsc")).equals(v2)) {
          throw new IllegalStateException("schema " + id + " did not change: 2.avsc was edited");
        }
        Files.writeString(dir.resolve("pipeline-" + id + ".json"), pipeline(id));
      }
      Files.writeString(dir.resolve("pipeline-2.json"), pipeline(2));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String shipped(int id) throws IOException {
    try (InputStream in = Resources.open("classpath:schemas/sensor_readings/" + id + ".avsc")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The built-in pipeline, reading this folder with reader schema {@code readerId}. */
  private String pipeline(int readerId) throws IOException {
    ObjectNode p;
    try (InputStream in = Resources.open("classpath:pipelines/sensor_readings.json")) {
      p = (ObjectNode) JSON.readTree(in);
    }
    ObjectNode s = (ObjectNode) p.get("schemas");
    s.put("directory", schemas.toString());
    s.put("readerId", readerId);
    return JSON.writeValueAsString(p);
  }

  private String[] args(int readerId, String trigger) {
    return new String[] {"--lake", lake.toString(), "--trigger", trigger, "--config",
        lake.getParent().resolve("pipeline-" + readerId + ".json").toString()};
  }

  DeserializeConfig stage2(int readerId) {
    return DeserializeConfig.fromArgs(args(readerId, "availableNow"));
  }

  MergeConfig stage3(int readerId, String trigger) {
    return MergeConfig.fromArgs(args(readerId, trigger));
  }

  String table(String kind) {
    return lake.resolve(kind).resolve("sensor_readings").toString();
  }

  /** A v1 or v2 record in Confluent wire format. */
  static byte[] shipped(int id, Reading r) {
    return SensorReadingPayloads.wire(id, SensorReadingPayloads.avroBody(id, r));
  }

  /** A v3 record: {@code r} plus light_lux. */
  byte[] v3(Reading r, Double lightLux) {
    Schema v3 = new Schema.Parser().parse(read(schemas.resolve(V3 + ".avsc")));
    GenericRecord rec = new GenericData.Record(v3);
    rec.put("sensor_id", r.sensorId());
    rec.put("reading_ts", r.readingTs().toEpochMilli());
    rec.put("temperature_c", r.temperatureC());
    rec.put("humidity_pct", r.humidityPct());
    rec.put("battery_pct", r.batteryPct());
    rec.put("status", r.status());
    rec.put("firmware", r.firmware());
    rec.put("pressure_hpa", r.pressureHpa());
    rec.put(NEW_FIELD, lightLux);
    return SensorReadingPayloads.wire(V3, SensorReadingPayloads.avroBody(v3, rec));
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Appends one raw commit holding these Kafka values, at the next offsets of partition 0. */
  void produce(SparkSession spark, byte[]... values) {
    List<Row> rows = new ArrayList<>();
    for (byte[] value : values) {
      long offset = nextOffset++;
      rows.add(RowFactory.create(
          ("key-" + offset).getBytes(StandardCharsets.UTF_8), value, TOPIC, 0, offset,
          Timestamp.from(Instant.parse("2024-05-01T00:00:00Z").plusSeconds(offset)), 0,
          CollectionConverters.asScala(List.<Row>of()).toSeq(),
          Timestamp.from(Instant.parse("2024-05-01T00:00:05Z")), Date.valueOf(INGEST_DATE)));
    }
    spark.createDataFrame(rows, TableSchemas.raw()).coalesce(1).write().format("delta")
        .mode(SaveMode.Append).partitionBy(TableSchemas.INGEST_DATE).save(table("raw"));
  }

  /** A reading of {@code sensor} at {@code isoInstant}, valid by the pipeline's rules. */
  static Reading reading(String sensor, String isoInstant, double temperature) {
    return Reading.of(sensor, Instant.parse(isoInstant), temperature);
  }
}
