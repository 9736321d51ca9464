package dev.streamlake.local;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A local Kafka broker outside tests:
 * {@code java -cp ... dev.streamlake.local.LocalKafka [--port N] [--dir DIR]}.
 *
 * <p>Starts a forked KRaft broker ({@link ForkedKafkaBroker}) on 127.0.0.1, prints one line
 * {@code KAFKA_BOOTSTRAP=127.0.0.1:PORT} on stdout once it is ready (logs go to stderr), and runs
 * until killed. SIGTERM or Ctrl-C stops the broker cleanly; kill -9 of this JVM stops it too.
 * Without --dir the data lives in a temporary folder deleted on exit; with --dir it is kept.
 */
public final class LocalKafka {
  private LocalKafka() {}

  public static void main(String[] args) {
    int port = 0;
    Path dir = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = parsePort(value(args, ++i, "--port"));
        case "--dir" -> dir = Paths.get(value(args, ++i, "--dir"));
        case "-h", "--help" -> {
          System.out.println(
              "Usage: LocalKafka [--port N] [--dir DIR]\n"
                  + "Runs a single-node Apache Kafka broker (KRaft) on 127.0.0.1 until killed.\n"
                  + "  --port N   PLAINTEXT port (default: a free port)\n"
                  + "  --dir DIR  config, data and broker.log here, kept on exit (default: a temporary folder)\n"
                  + "Prints KAFKA_BOOTSTRAP=127.0.0.1:PORT once the broker is ready.\n"
                  + "Broker jars: system property " + ForkedKafkaBroker.LIB_PROPERTY
                  + " or kafka-broker/target/lib above the working directory.");
          return;
        }
        default -> usageError("unknown argument '" + args[i] + "'");
      }
    }

    ForkedKafkaBroker broker = ForkedKafkaBroker.start(port, dir);
    AtomicBoolean stopping = new AtomicBoolean();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopping.set(true);
                  broker.close();
                },
                "local-kafka-stop"));
    System.out.println("KAFKA_BOOTSTRAP=" + broker.bootstrapServers());
    System.out.flush();

    broker.process().onExit().join();
    if (!stopping.get()) {
      System.err.println(
          "LocalKafka: the Kafka broker exited on its own; log " + broker.logFile() + "\n"
              + ForkedKafkaBroker.logExcerpt(broker.logFile()));
      System.exit(1);
    }
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      usageError(option + " needs a value");
    }
    return args[i];
  }

  private static int parsePort(String text) {
    try {
      int port = Integer.parseInt(text);
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // Reported below like any other bad port.
    }
    usageError("--port must be a number from 0 to 65535, not '" + text + "'");
    return -1;
  }

  private static void usageError(String message) {
    System.err.println("LocalKafka: " + message + " (see --help)");
    System.exit(2);
  }
}
