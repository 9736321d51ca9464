package dev.streamlake.common;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/** Loads {@code <id>.avsc} files from a schema folder. */
public final class AvroSchemas {
  private AvroSchemas() {}

  /** The schema with this id in {@code directory}; a ConfigException when absent or invalid. */
  public static Schema load(String directory, int id) {
    String location = Resources.child(directory, id + ".avsc");
    try (InputStream in = Resources.open(location)) {
      return new Schema.Parser().parse(in);
    } catch (FileNotFoundException e) {
      throw new ConfigException("schema id " + id + " not found: " + e.getMessage());
    } catch (IOException | SchemaParseException e) {
      throw new ConfigException("schema " + location + " is not a valid Avro schema: "
          + e.getMessage());
    }
  }

  /** The schema with this id, or null when the folder has none. */
  public static Schema find(String directory, int id) {
    String location = Resources.child(directory, id + ".avsc");
    try (InputStream in = Resources.open(location)) {
      return new Schema.Parser().parse(in);
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException | SchemaParseException e) {
      throw new IllegalStateException("schema " + location + " is not a valid Avro schema", e);
    }
  }
}
