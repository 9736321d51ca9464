package dev.streamlake.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The files of this package that Java and scripts/lib.sh both read: one entry per line, blank
 * lines and {@code #} comments skipped, so the shell can read them with grep.
 */
final class SharedSettingsFile {
  private SharedSettingsFile() {}

  /** The entries of the resource {@code name} of this package, stripped, in file order. */
  static List<String> entries(String name) {
    try (InputStream in = SharedSettingsFile.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("Cannot find " + name + " (module local-stack) on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
          .map(String::strip)
          .filter(line -> !line.isEmpty() && !line.startsWith("#"))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + name, e);
    }
  }
}
