package dev.streamlake.common;

/**
 * A setting that is missing, malformed or inconsistent. Thrown before any Spark work starts, with
 * one message that names the setting, the offending value and what is allowed.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * The one message of a bad value: {@code Invalid value for SETTING: 'VALUE'. Allowed: ALLOWED.}
   * Every settings class reports through it, so all bad values read alike.
   */
  public static ConfigException invalid(String setting, Object value, String allowed) {
    return new ConfigException(
        "Invalid value for " + setting + ": '" + value + "'. Allowed: " + allowed + ".");
  }
}
