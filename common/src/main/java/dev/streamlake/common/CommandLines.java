package dev.streamlake.common;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** Parses a job's command line into its annotated options object, with our error messages. */
public final class CommandLines {
  private CommandLines() {}

  /**
   * Fills {@code command} from {@code args}. Returns false when only usage help was asked for
   * (it is then printed to stdout). A bad command line is a {@link ConfigException}.
   */
  public static boolean parse(Object command, String[] args) {
    CommandLine cl = new CommandLine(command);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    try {
      CommandLine.ParseResult result = cl.parseArgs(args == null ? new String[0] : args);
      if (result.isUsageHelpRequested()) {
        StringWriter out = new StringWriter();
        cl.usage(new PrintWriter(out));
        System.out.print(out);
        return false;
      }
      return true;
    } catch (ParameterException e) {
      throw new ConfigException(
          "Invalid command line: " + e.getMessage() + ". Run with --help to list the settings.");
    }
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
