package dev.streamlake.common;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a {@code classpath:} resource or a file, the two ways config names a file. */
public final class Resources {
  public static final String CLASSPATH = "classpath:";

  private Resources() {}

  public static InputStream open(String location) throws IOException {
    if (location.startsWith(CLASSPATH)) {
      String name = location.substring(CLASSPATH.length()).replaceFirst("^/", "");
      InputStream in = Resources.class.getClassLoader().getResourceAsStream(name);
      if (in == null) {
        throw new FileNotFoundException("no resource " + name + " on the classpath");
      }
      return in;
    }
    Path p = Path.of(location);
    if (!Files.isRegularFile(p)) {
      throw new FileNotFoundException("no such file " + p.toAbsolutePath());
    }
    return Files.newInputStream(p);
  }

  /** The location of {@code child} inside folder {@code dir}, keeping a classpath: prefix. */
  public static String child(String dir, String child) {
    return dir.endsWith("/") ? dir + child : dir + "/" + child;
  }
}
