package dev.streamlake.deserialize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Reads schemas by id from a Confluent-compatible schema registry: {@code GET /schemas/ids/{id}}
 * answers {@code {"schema": "<avsc>"}} (and, for non-Avro schemas, a {@code schemaType}). 404 means
 * the id does not exist; anything else that is not a usable answer is
 * {@link SchemaRegistryUnavailableException}.
 */
final class SchemaRegistryClient {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  /** The registry's answer for one id. */
  sealed interface Answer permits Found, NotFound, NotAvro {}

  record Found(String schema) implements Answer {}

  record NotFound() implements Answer {}

  record NotAvro(String schemaType) implements Answer {}

  private final String baseUrl;

  SchemaRegistryClient(String baseUrl) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
  }

  Answer schemaById(int id) {
    String url = baseUrl + "/schemas/ids/" + id;
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(REQUEST_TIMEOUT)
            .header("Accept", "application/vnd.schemaregistry.v1+json, application/json")
            .GET()
            .build();
    HttpResponse<String> response;
    try {
      response = HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new SchemaRegistryUnavailableException(
          "schema registry unreachable: GET " + url + " failed: " + DecodeFailure.describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaRegistryUnavailableException("interrupted during GET " + url, e);
    }
    int status = response.statusCode();
    if (status == 404) {
      return new NotFound();
    }
    if (status != 200) {
      throw new SchemaRegistryUnavailableException("schema registry answered HTTP " + status
          + " to GET " + url + ": " + abbreviate(response.body()));
    }
    JsonNode body;
    try {
      body = JSON.readTree(response.body());
    } catch (IOException e) {
      throw new SchemaRegistryUnavailableException(
          "schema registry sent an unreadable reply to GET " + url + ": "
              + abbreviate(response.body()), e);
    }
    JsonNode type = body == null ? null : body.get("schemaType");
    if (type != null && type.isTextual() && !type.asText().equalsIgnoreCase("AVRO")) {
      return new NotAvro(type.asText());
    }
    JsonNode schema = body == null ? null : body.get("schema");
    if (schema == null || !schema.isTextual()) {
      throw new SchemaRegistryUnavailableException("schema registry reply to GET " + url
          + " has no \"schema\" string: " + abbreviate(response.body()));
    }
    return new Found(schema.asText());
  }

  private static String abbreviate(String s) {
    if (s == null) {
      return "";
    }
    return s.length() <= 300 ? s : s.substring(0, 300) + "...";
  }
}
