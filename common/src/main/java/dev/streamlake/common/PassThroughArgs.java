package dev.streamlake.common;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits {@code --<prefix>KEY=VALUE} (or {@code --<prefix>KEY VALUE}) pass-through options, such
 * as Kafka client settings, from the rest of a command line before it is parsed. Their values may
 * be secrets: no message and no {@link #toString()} shows one (see {@link Secrets}).
 */
public record PassThroughArgs(String[] rest, Map<String, String> options) {

  public PassThroughArgs {
    options = Map.copyOf(options);
  }

  /** Keys keep the prefix without the dashes: {@code --kafka.x=1} gives {@code kafka.x -> 1}. */
  public static PassThroughArgs split(String[] args, String prefix) {
    List<String> rest = new ArrayList<>();
    Map<String, String> options = new LinkedHashMap<>();
    String flag = "--" + prefix;
    for (int i = 0; args != null && i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith(flag)) {
        rest.add(arg);
        continue;
      }
      int eq = arg.indexOf('=');
      String key;
      String value;
      if (eq > 0) {
        key = arg.substring(2, eq);
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        key = arg.substring(2);
        value = args[++i];
      } else {
        throw new ConfigException(
            "Missing value for option " + arg + ". Allowed: " + arg + "=<value>.");
      }
      if (key.length() == prefix.length()) {
        // The name only: what follows '=' is a value, perhaps a secret.
        throw new ConfigException("Invalid option '--" + key + "': no option name after --"
            + prefix + ". Allowed: --" + prefix + "<option>=<value>.");
      }
      options.put(key, value);
    }
    return new PassThroughArgs(rest.toArray(String[]::new), options);
  }

  /** A record prints its fields; these hold secrets, so only masked values and a count are shown. */
  @Override
  public String toString() {
    return "PassThroughArgs[rest=" + rest.length + " arguments, options={"
        + CommandLines.effectiveConfig(options) + "}]";
  }
}
