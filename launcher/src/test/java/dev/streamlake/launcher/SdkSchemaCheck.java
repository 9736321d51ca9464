package dev.streamlake.launcher;

import com.databricks.sdk.core.utils.SerDeUtils;
import com.databricks.sdk.service.jobs.CreateJob;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The first check of a deploy file: that it is what the Databricks Java SDK models
 * ({@link CreateJob}), with unknown properties and enum values rejected.
 */
final class SdkSchemaCheck {

  private static final ObjectMapper MAPPER = strictMapper();

  private SdkSchemaCheck() {}

  /** The SDK's own mapper, made strict: a typo in a property or an enum value is an error. */
  static ObjectMapper strictMapper() {
    ObjectMapper mapper = SerDeUtils.createMapper();
    mapper.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
    mapper.configure(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_AS_NULL, false);
    mapper.configure(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY, false);
    mapper.configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true);
    mapper.configure(JsonParser.Feature.STRICT_DUPLICATE_DETECTION, true);
    return mapper;
  }

  /**
   * Reads a Jobs API file as a create request; null after adding the one problem, named by
   * {@code f}, that makes it none.
   */
  static CreateJob read(Path file, String f, List<String> problems) {
    CreateJob job;
    try {
      job = MAPPER.readValue(file.toFile(), CreateJob.class);
    } catch (JsonMappingException e) {
      problems.add(f + ": not a Jobs API 2.2 create request (" + CreateJob.class.getName()
          + "): " + e.getOriginalMessage() + " at " + path(e));
      return null;
    } catch (JsonProcessingException e) {
      problems.add(f + ": not valid JSON: " + e.getOriginalMessage());
      return null;
    } catch (IOException e) {
      problems.add(f + ": cannot be read: " + e);
      return null;
    }
    if (job == null) {
      problems.add(f + ": is empty");
    }
    return job;
  }

  /** Where in the document the mapper failed, as {@code $.tasks[0].spark_jar_task}. */
  static String path(JsonMappingException e) {
    StringBuilder b = new StringBuilder("$");
    for (JsonMappingException.Reference r : e.getPath()) {
      b.append(r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]");
    }
    return b.toString();
  }
}
