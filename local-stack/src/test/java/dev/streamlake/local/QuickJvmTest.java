package dev.streamlake.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class QuickJvmTest {
  private static final Pattern FLAG = Pattern.compile("^\\s*\\S+\\s+(\\w+)\\s+=\\s+(\\S+)");

  @Test
  void aJvmWithTheFlagsRunsTheClientCompilerWithTheFullSizeCodeCache() throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(QuickJvm.flags());
    command.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));

    Map<String, String> flags = run(command).lines()
        .map(FLAG::matcher).filter(Matcher::find)
        .collect(Collectors.toMap(m -> m.group(1), m -> m.group(2), (a, b) -> b));

    assertThat(flags).containsEntry("TieredStopAtLevel", "1").containsEntry("UseSerialGC", "true");
    // 48 MiB, the client compiler's own default, fills up in a driver running three queries.
    assertThat(Long.parseLong(flags.get("ReservedCodeCacheSize"))).isEqualTo(240L << 20);
  }

  @Test
  void theScriptsPassTheSameFlagsAsJava() throws Exception {
    Path lib = Path.of("..", "scripts", "lib.sh").toAbsolutePath().normalize();
    String out = run(List.of("bash", "-c", "source \"$1\" && printf '%s\\n' $QUICK_JVM_OPTS",
        "bash", lib.toString()));
    assertThat(out.lines().toList()).isEqualTo(QuickJvm.flags());
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
