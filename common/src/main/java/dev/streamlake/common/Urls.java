package dev.streamlake.common;

/** URLs as they may be shown: in logs, exception messages and dead-letter rows. */
public final class Urls {
  private Urls() {}

  /**
   * {@code url} without its user info ({@code https://user:pass@host/x} → {@code https://host/x}).
   * Cuts up to the last {@code @} after the scheme, not just the parsed authority: a password with
   * an unescaped {@code /} or {@code ?} would otherwise end the authority early and stay visible.
   * A path holding {@code @} is shown shortened; never a secret.
   */
  public static String withoutUserInfo(String url) {
    if (url == null) {
      return null;
    }
    int scheme = url.indexOf("://");
    int at = url.lastIndexOf('@');
    if (scheme < 0 || at < scheme) {
      return url;
    }
    return url.substring(0, scheme + 3) + url.substring(at + 1);
  }
}
