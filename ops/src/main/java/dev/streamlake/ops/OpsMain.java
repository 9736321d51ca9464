package dev.streamlake.ops;

import dev.streamlake.common.ConfigException;
import dev.streamlake.common.StageMain;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ops jar's manifest main: {@code spark-submit ops.jar <command> ARGS}. Each command also has
 * a main of its own, which a Databricks JAR task names as its main class.
 */
public final class OpsMain {

  /** Command name to its main class, in the order {@code --help} lists them. */
  static final Map<String, String> COMMANDS = new LinkedHashMap<>();

  static {
    COMMANDS.put("audit", "dev.streamlake.ops.AuditCommand");
    COMMANDS.put("status", "dev.streamlake.ops.StatusCommand");
    COMMANDS.put("redrive", "dev.streamlake.ops.RedriveCommand");
    COMMANDS.put("maintain", "dev.streamlake.ops.MaintainCommand");
  }

  private OpsMain() {}

  public static void main(String[] args) throws Throwable {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      System.out.println("Usage: <ops jar> " + String.join("|", COMMANDS.keySet())
          + " [OPTIONS]; <command> --help lists a command's settings.");
      return;
    }
    String mainClass = COMMANDS.get(args[0]);
    if (mainClass == null) {
      StageMain.run(args, a -> {
        throw ConfigException.invalid("command", a[0], String.join(", ", COMMANDS.keySet()));
      });
      return;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    try {
      Class.forName(mainClass).getMethod("main", String[].class).invoke(null, (Object) rest);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
