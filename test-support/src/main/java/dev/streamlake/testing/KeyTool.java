package dev.streamlake.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Key and trust stores for TLS tests, made by the JDK's own {@code keytool}: what a user makes
 * for a broker or a registry, with no library in between. PKCS12, EC keys, valid for two days.
 */
public final class KeyTool {
  private KeyTool() {}

  /**
   * A key store holding a new key and its self-signed certificate under {@code alias}; the store
   * and the key share {@code password}.
   *
   * @param extension a keytool {@code -ext} value (for example {@code SAN=dns:localhost,ip:127.0.0.1}), or null
   */
  public static void selfSigned(Path store, String alias, String dname, String password,
      String extension) {
    List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", alias, "-keyalg", "EC",
        "-groupname", "secp256r1", "-dname", dname, "-validity", "2", "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", password, "-keypass", password));
    if (extension != null) {
      args.addAll(List.of("-ext", extension));
    }
    run(args);
  }

  /** A trust store ({@code store}, PKCS12) holding the certificate of {@code alias} in {@code from}. */
  public static void trust(Path from, String alias, String fromPassword, Path store,
      String password) {
    Path cert = store.resolveSibling(alias + "-" + store.getFileName() + ".crt");
    run(List.of("-exportcert", "-alias", alias, "-keystore", from.toString(), "-storepass",
        fromPassword, "-file", cert.toString()));
    run(List.of("-importcert", "-noprompt", "-alias", alias, "-file", cert.toString(),
        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", password));
  }

  private static void run(List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    // a short-lived JVM: skip the optimizing compiler and the parallel collector
    command.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
    command.addAll(args);
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("keytool " + args.get(0) + " failed: " + output);
      }
    } catch (IOException e) {
      throw new IllegalStateException("keytool " + args.get(0) + " could not run: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while keytool ran", e);
    }
  }
}
