package dev.streamlake.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

/**
 * Finds a module's built jars and reads them. The one Java lookup of
 * {@code <module>/target/<module>-<version>-<classifier>.jar}; the scripts' twin is
 * {@code module_jar} in scripts/lib.sh.
 */
public final class StageJars {

  private StageJars() {}

  /** {@code <moduleDir>/target/<module>-*-<classifier>.jar}, if built. */
  public static Optional<Path> find(Path moduleDir, String module, String classifier) {
    Path target = moduleDir.resolve("target");
    if (!Files.isDirectory(target)) {
      return Optional.empty();
    }
    String suffix = "-" + classifier + ".jar";
    try (Stream<Path> files = Files.list(target)) {
      return files
          .filter(p -> {
            String n = p.getFileName().toString();
            return n.startsWith(module + "-") && n.endsWith(suffix);
          })
          .findFirst();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + target + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@code target/<module>-<version>-<classifier>.jar} of the module a test runs in (Maven runs
   * tests in the module's folder, which is named after the module).
   */
  public static Path jar(String classifier) {
    Path moduleDir = Path.of("").toAbsolutePath();
    String module = moduleDir.getFileName().toString();
    return find(moduleDir, module, classifier)
        .orElseThrow(() -> new IllegalStateException("no " + module + "-*-" + classifier + ".jar in "
            + moduleDir.resolve("target") + ": run mvn verify (the jars are built in package)"));
  }

  public static String mainClass(Path jar) throws IOException {
    try (JarFile f = new JarFile(jar.toFile())) {
      return f.getManifest().getMainAttributes().getValue("Main-Class");
    }
  }

  /** The names of every entry of the jar. */
  public static Set<String> entries(Path jar) throws IOException {
    try (JarFile f = new JarFile(jar.toFile())) {
      return f.stream().map(ZipEntry::getName).collect(Collectors.toSet());
    }
  }

  public static boolean contains(Path jar, String entryPrefix) throws IOException {
    try (JarFile f = new JarFile(jar.toFile())) {
      return f.stream().anyMatch(e -> e.getName().startsWith(entryPrefix));
    }
  }

  /** The bytes of one entry of the jar. */
  public static byte[] entry(Path jar, String name) throws IOException {
    try (JarFile f = new JarFile(jar.toFile())) {
      var entry = f.getJarEntry(name);
      if (entry == null) {
        throw new IllegalStateException("no " + name + " in " + jar);
      }
      try (InputStream in = f.getInputStream(entry)) {
        return in.readAllBytes();
      }
    }
  }

  /** Lines of {@code META-INF/services/<service>} in the jar. */
  public static List<String> services(Path jar, String service) throws IOException {
    try (JarFile f = new JarFile(jar.toFile())) {
      var entry = f.getJarEntry("META-INF/services/" + service);
      if (entry == null) {
        return List.of();
      }
      try (InputStream in = f.getInputStream(entry)) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
            .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
      }
    }
  }
}
