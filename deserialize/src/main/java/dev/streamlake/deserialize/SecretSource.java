package dev.streamlake.deserialize;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Where a secret is read from: an environment variable or a file. Only the name or path is kept
 * and serialized; the secret itself is read where it is used (driver or executor), so it never
 * travels with a task and never sits in a command line or pipeline file.
 *
 * @param setting the command-line option that named it, for messages
 */
record SecretSource(Kind kind, String name, String setting) implements Serializable {

  enum Kind {
    ENV,
    FILE
  }

  /** The secret cannot be read here. The message names the source, never a value. */
  static final class UnreadableSecretException extends Exception {
    private static final long serialVersionUID = 1L;

    UnreadableSecretException(String message) {
      super(message);
    }
  }

  static SecretSource env(String name, String setting) {
    return new SecretSource(Kind.ENV, name, setting);
  }

  static SecretSource file(String path, String setting) {
    return new SecretSource(Kind.FILE, path, setting);
  }

  /**
   * The secret. A file's trailing line breaks are dropped ({@code echo secret > file} writes one);
   * an unset or empty variable and a missing, unreadable or empty file are errors.
   */
  String read(Function<String, String> env) throws UnreadableSecretException {
    String value;
    if (kind == Kind.ENV) {
      value = env.apply(name);
      if (value == null || value.isEmpty()) {
        throw new UnreadableSecretException("environment variable " + name + " (" + setting
            + ") is " + (value == null ? "not set" : "empty") + " in this JVM; it must be set"
            + " for the driver and every executor (spark.executorEnv." + name
            + ", or the cluster's spark_env_vars on Databricks)");
      }
      return value;
    }
    try {
      value = Files.readString(Path.of(name), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      throw new UnreadableSecretException("cannot read file " + name + " (" + setting + "): "
          + e.getClass().getSimpleName() + "; it must be readable by the driver and every"
          + " executor");
    }
    value = value.replaceAll("[\r\n]+$", "");
    if (value.isEmpty()) {
      throw new UnreadableSecretException("file " + name + " (" + setting + ") is empty");
    }
    return value;
  }

  /** For messages and the effective-config line: where the secret comes from, not what it is. */
  @Override
  public String toString() {
    return (kind == Kind.ENV ? "env " : "file ") + name;
  }
}
