package dev.streamlake.common;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/** Parses a job's command line into its annotated options object, with our error messages. */
public final class CommandLines {
  private CommandLines() {}

  /**
   * Fills {@code command} from {@code args}. Returns false when only usage help or the version was
   * asked for (it is then printed to stdout). A bad command line is a {@link ConfigException}.
   */
  public static boolean parse(Object command, String[] args) {
    CommandLine cl = new CommandLine(command);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    // Numbers were read as text and trimmed before options were typed; " 5" still means 5.
    cl.registerConverter(Integer.class, v -> Integer.valueOf(v.trim()));
    cl.registerConverter(Long.class, v -> Long.valueOf(v.trim()));
    String[] argv = args == null ? new String[0] : args;
    try {
      CommandLine.ParseResult result = cl.parseArgs(argv);
      if (result.isUsageHelpRequested()) {
        StringWriter out = new StringWriter();
        cl.usage(new PrintWriter(out));
        System.out.print(out);
        return false;
      }
      if (result.isVersionHelpRequested()) {
        System.out.println("streamlake " + cl.getCommandName() + " " + ProjectVersion.get());
        return false;
      }
      return true;
    } catch (ParameterException e) {
      if (e.getArgSpec() instanceof OptionSpec option
          && (e.getCause() instanceof TypeConversionException
              || e.getCause() instanceof NumberFormatException)) {
        // A value of the wrong type: the same message as any other bad value.
        throw ConfigException.invalid(option.longestName(),
            Secrets.redact(e.getValue(), Secrets.secretValues(Arrays.asList(argv))),
            allowed(option.type()));
      }
      throw new ConfigException(
          "Invalid command line: " + describe(e, Arrays.asList(argv))
              + ". Run with --help to list the settings.");
    }
  }

  private static String allowed(Class<?> type) {
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "a whole number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    return "a " + type.getSimpleName();
  }

  /**
   * Picocli's message without any value that could be a secret. Picocli echoes unknown arguments
   * whole: {@code --kafka-ssl.key.password=x} (a typo) or the pieces of an unquoted JAAS config
   * ({@code required username="u" password="p";}) would reach the log. Unknown options are named
   * without their value and stray values are only counted; any other message has the values of
   * secret settings masked.
   */
  static String describe(ParameterException e, List<String> args) {
    if (!(e instanceof UnmatchedArgumentException unmatched)) {
      return Secrets.redact(e.getMessage(), Secrets.secretValues(args));
    }
    List<String> options = new ArrayList<>();
    int strayValues = 0;
    boolean afterUnknownOption = false;
    for (String arg : unmatched.getUnmatched()) {
      if (arg.startsWith("-")) {
        int eq = arg.indexOf('=');
        options.add("'" + (eq > 0 ? arg.substring(0, eq) : arg) + "'");
        afterUnknownOption = eq < 0;
      } else if (afterUnknownOption) {
        afterUnknownOption = false; // the unknown option's own value
      } else {
        strayValues++;
      }
    }
    List<String> parts = new ArrayList<>();
    if (!options.isEmpty()) {
      parts.add((options.size() == 1 ? "Unknown option: " : "Unknown options: ")
          + String.join(", ", options));
    }
    if (strayValues > 0) {
      parts.add(strayValues + (strayValues == 1 ? " value that belongs" : " values that belong")
          + " to no option (not shown, as they may hold secrets; a value with spaces needs quotes)");
    }
    return String.join("; ", parts);
  }

  /** Logs the effective settings once, sorted, one line, secrets masked. */
  public static void logEffectiveConfig(Logger log, String job, Map<String, String> settings) {
    log.info("{} starting with {}", job, effectiveConfig(settings));
  }

  /** The settings as one sorted line, secrets masked. */
  public static String effectiveConfig(Map<String, String> settings) {
    return new java.util.TreeMap<>(settings)
        .entrySet().stream()
            .map(e -> e.getKey() + "=" + Secrets.mask(e.getKey(), e.getValue()))
            .collect(Collectors.joining(", "));
  }
}
