package dev.streamlake.common;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Decides which settings are secret, so their values never reach a log, an error message or
 * Spark's plan output.
 *
 * <p>A setting is secret when its name, after any prefix ({@code kafka.}, {@code raw-ingest.kafka.}),
 * is one of the Kafka client options typed {@code PASSWORD} ({@link #KAFKA_PASSWORD_OPTIONS}), or
 * when its name contains password, secret, jaas, token, credential, api key or private key (a
 * safety net for options the list does not know). Besides, the password of a URL's user info
 * ({@code https://user:password@host}) is masked in any value.
 */
public final class Secrets {
  private Secrets() {}

  static final String MASK = "******";

  /**
   * Every Kafka client option of type {@code ConfigDef.Type.PASSWORD} in kafka-clients 3.9.0's
   * consumer, producer and admin config definitions. Written out because the jobs must not load
   * {@code org.apache.kafka} classes: on Databricks kafka-clients is relocated to
   * {@code kafkashaded.org.apache.kafka} and the -databricks jar does not bundle it.
   * {@code KafkaPasswordOptionsTest} reads kafka-clients' own definitions and fails when one is
   * missing here, so an upgrade cannot silently add an unmasked one. An option that a newer
   * kafka-clients drops stays listed: the runtime's kafka-clients may be older than ours.
   */
  static final Set<String> KAFKA_PASSWORD_OPTIONS =
      Set.of(
          "sasl.jaas.config",
          "ssl.key.password",
          "ssl.keystore.certificate.chain",
          "ssl.keystore.key",
          "ssl.keystore.password",
          "ssl.truststore.certificates",
          "ssl.truststore.password");

  private static final String SECRET_WORDS =
      "password|secret|jaas|token|credential|api[._-]?key|private[._-]?key";

  private static final Pattern SECRET_NAME = Pattern.compile(".*(" + SECRET_WORDS + ").*");

  /** {@code scheme://user:password@}: the password group is masked in any value. */
  private static final Pattern URL_USER_INFO =
      Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://[^/?#@:\\s]*:)([^/?#@\\s]*)(@)");

  /** True when the value of setting {@code key} must not be shown. */
  public static boolean isSecret(String key) {
    if (key == null) {
      return false;
    }
    String name = stripDashes(key).toLowerCase(Locale.ROOT);
    if (SECRET_NAME.matcher(name).matches()) {
      return true;
    }
    for (String option : KAFKA_PASSWORD_OPTIONS) {
      // A prefix ends at a non-alphanumeric character: kafka.ssl.keystore.key is the Kafka
      // option, kafka.xssl.keystore.key is not.
      if (name.endsWith(option)
          && (name.length() == option.length()
              || !Character.isLetterOrDigit(name.charAt(name.length() - option.length() - 1)))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The value as it may be printed: the mask for a secret setting, else the value with the
   * password of any URL in it masked.
   */
  public static String mask(String key, String value) {
    if (value == null) {
      return "null";
    }
    return isSecret(key) ? MASK : maskUrlPasswords(value);
  }

  /** {@code text} with the password of every {@code scheme://user:password@} masked. */
  static String maskUrlPasswords(String text) {
    Matcher m = URL_USER_INFO.matcher(text);
    return m.find()
        ? m.replaceAll(r -> Matcher.quoteReplacement(r.group(1) + MASK + r.group(3)))
        : text;
  }

  /**
   * The values of secret settings on a command line: {@code --name=value}, and {@code --name value}
   * when the next argument is not itself an option.
   */
  static Set<String> secretValues(List<String> args) {
    Set<String> values = new LinkedHashSet<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg == null || !arg.startsWith("-")) {
        continue;
      }
      int eq = arg.indexOf('=');
      if (eq > 0) {
        if (isSecret(arg.substring(0, eq))) {
          values.add(arg.substring(eq + 1));
        }
      } else if (isSecret(arg) && i + 1 < args.size() && args.get(i + 1) != null
          && !args.get(i + 1).startsWith("--")) {
        values.add(args.get(i + 1));
      }
    }
    values.remove("");
    return values;
  }

  /** {@code text} with every occurrence of each value replaced by the mask, longest value first. */
  static String redact(String text, Collection<String> values) {
    if (text == null) {
      return null;
    }
    String out = text;
    List<String> longestFirst = new ArrayList<>(values);
    longestFirst.sort(Comparator.comparingInt(String::length).reversed());
    for (String value : longestFirst) {
      if (value != null && !value.isEmpty()) {
        out = out.replace(value, MASK);
      }
    }
    return maskUrlPasswords(out);
  }

  /** A command line as it may be printed: the value of every secret setting masked. */
  public static List<String> maskCommandLine(List<String> args) {
    Set<String> values = secretValues(args);
    return args.stream().map(a -> redact(a, values)).toList();
  }

  /**
   * A regular expression for Spark's {@code spark.sql.redaction.options.regex} that matches the
   * names of the settings {@link #isSecret} calls secret. Spark redacts an option in plan output
   * (explain, the UI) when the regex is found in its name or its value.
   */
  static String sparkRedactionRegex() {
    String kafka =
        KAFKA_PASSWORD_OPTIONS.stream()
            .sorted()
            .map(o -> o.replace(".", "[.]"))
            .collect(Collectors.joining("|"));
    return "(?i)(?:^|[^a-z0-9])(?:" + kafka + ")$|" + SECRET_WORDS;
  }

  private static String stripDashes(String key) {
    int i = 0;
    while (i < key.length() && key.charAt(i) == '-') {
      i++;
    }
    return key.substring(i);
  }
}
