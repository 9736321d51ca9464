package dev.streamlake.common;

import java.util.Locale;
import java.util.regex.Pattern;

/** Decides which settings are secret, so their values never reach a log. */
public final class Secrets {
  private Secrets() {}

  static final String MASK = "******";

  private static final Pattern SECRET_KEY =
      Pattern.compile(".*(password|secret|jaas|token|credential|api[._-]?key|private[._-]?key).*");

  public static boolean isSecret(String key) {
    return key != null && SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT)).matches();
  }

  public static String mask(String key, String value) {
    return value == null ? "null" : isSecret(key) ? MASK : value;
  }
}
