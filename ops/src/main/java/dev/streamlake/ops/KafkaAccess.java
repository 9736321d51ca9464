package dev.streamlake.ops;

import dev.streamlake.common.ConfigException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How a command reaches Kafka, when it is told to: {@code --bootstrap-servers} and stage 1's own
 * {@code --kafka.<option>=<value>} client options (security, SASL, TLS), so it connects as the
 * stage does. Secret values stay in {@code options} and are masked where the command prints them.
 */
record KafkaAccess(String bootstrapServers, Map<String, String> options) {

  static final String KAFKA_PREFIX = "kafka.";
  private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9_.\\-\\[\\]:]+:(\\d{1,5})");

  /** Null when no broker is given; a bad address or stray Kafka options are bad settings. */
  static KafkaAccess of(String servers, Map<String, String> options) {
    if (servers == null) {
      if (!options.isEmpty()) {
        throw new ConfigException("Kafka options (--kafka.*) are given but --bootstrap-servers is"
            + " not: give --bootstrap-servers to ask Kafka, or drop the --kafka.* options.");
      }
      return null;
    }
    for (String s : servers.split(",")) {
      var m = HOST_PORT.matcher(s.trim());
      if (!m.matches() || Integer.parseInt(m.group(1)) < 1
          || Integer.parseInt(m.group(1)) > 65535) {
        throw ConfigException.invalid("--bootstrap-servers", servers, "a comma-separated list of"
            + " host:port with a port from 1 to 65535; '" + s.trim() + "' is not one");
      }
    }
    for (String key : options.keySet()) {
      if (key.equalsIgnoreCase("kafka.bootstrap.servers")) {
        throw new ConfigException("Kafka option --" + key + " cannot be passed through: use"
            + " --bootstrap-servers.");
      }
    }
    return new KafkaAccess(servers.trim(), Map.copyOf(options));
  }
}
