package dev.streamlake.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this build, as {@code --version} prints it. Read from a resource Maven filters,
 * not from the jar manifest, so it is the same in every jar and in tests run from class folders.
 */
public final class ProjectVersion {
  private static final String RESOURCE = "version.properties";

  private ProjectVersion() {}

  /** The Maven project version, such as {@code 0.1.0-SNAPSHOT}. */
  public static String get() {
    try (InputStream in = ProjectVersion.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing next to "
            + ProjectVersion.class.getName() + ": the build did not package it");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
