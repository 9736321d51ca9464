package dev.streamlake.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Copies single class files into a folder that becomes part of a child JVM's classpath: the child
 * then holds its own jars and these classes, never this JVM's other classes or dependencies.
 */
public final class ClassFiles {
  private ClassFiles() {}

  /** Copies each class's own class file (not its nested classes) below {@code root}; returns it. */
  public static Path copy(Path root, Class<?>... classes) {
    for (Class<?> c : classes) {
      String resource = c.getName().replace('.', '/') + ".class";
      Path target = root.resolve(resource);
      try (InputStream in = c.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("Cannot find class file " + resource + " on the classpath");
        }
        Files.createDirectories(target.getParent());
        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot copy class file " + resource + " to " + root, e);
      }
    }
    return root;
  }
}
