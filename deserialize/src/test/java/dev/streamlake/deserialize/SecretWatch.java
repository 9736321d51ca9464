package dev.streamlake.deserialize;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * Collects what a run shows a human: every log line of our code at any level (with the stack
 * traces logged), plus every exception and message a test hands in. {@link #assertNeverShows}
 * then checks that no secret is among them.
 */
final class SecretWatch implements AutoCloseable {
  private static final String OUR_LOGGERS = "dev.streamlake";

  private final List<String> shown = new CopyOnWriteArrayList<>();
  private final LoggerContext context = (LoggerContext) LogManager.getContext(false);
  private final AbstractAppender appender;
  private final Level levelBefore;
  private final boolean ownConfig;

  SecretWatch() {
    appender = new AbstractAppender("secret-watch-" + UUID.randomUUID(), null, null, true,
        Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        shown.add(event.getMessage().getFormattedMessage());
        if (event.getThrown() != null) {
          shown.add(stackTrace(event.getThrown()));
        }
      }
    };
    appender.start();
    LoggerConfig existing = context.getConfiguration().getLoggerConfig(OUR_LOGGERS);
    ownConfig = !existing.getName().equals(OUR_LOGGERS);
    LoggerConfig config = existing;
    if (ownConfig) {
      config = new LoggerConfig(OUR_LOGGERS, Level.ALL, true);
      context.getConfiguration().addLogger(OUR_LOGGERS, config);
    }
    levelBefore = config.getLevel();
    config.setLevel(Level.ALL);
    config.addAppender(appender, Level.ALL, null);
    context.updateLoggers();
  }

  /** Records the exception as a user would see it: its and its causes' messages and traces. */
  <T extends Throwable> T exception(T e) {
    shown.add(stackTrace(e));
    shown.add(String.valueOf(e));
    return e;
  }

  String text(String s) {
    shown.add(s);
    return s;
  }

  /** All logged or recorded text so far. */
  String all() {
    return String.join("\n", shown);
  }

  void assertNeverShows(String... secrets) {
    String all = all();
    for (String secret : secrets) {
      assertThat(all).as("what a run showed, searched for a secret").doesNotContain(secret);
    }
  }

  @Override
  public void close() {
    LoggerConfig config = context.getConfiguration().getLoggerConfig(OUR_LOGGERS);
    config.removeAppender(appender.getName());
    if (ownConfig) {
      context.getConfiguration().removeLogger(OUR_LOGGERS);
    } else {
      config.setLevel(levelBefore);
    }
    context.updateLoggers();
    appender.stop();
  }

  private static String stackTrace(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    return out.toString();
  }
}
