package dev.streamlake.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LocalSparkTest {

  @Test
  void settingsAreTheSmallMachineOnesWithoutAMaster() {
    assertThat(LocalSpark.settings())
        .containsEntry("spark.sql.shuffle.partitions", "2")
        .containsEntry("spark.ui.enabled", "false")
        .containsEntry("spark.driver.host", "127.0.0.1")
        .doesNotContainKey("spark.master");
  }

  @Test
  void theScriptsReadTheSameSettingsAsJava() throws IOException, InterruptedException {
    Path lib = Path.of("..", "scripts", "lib.sh").toAbsolutePath().normalize();
    Process p = new ProcessBuilder("bash", "-c",
        "source \"$1\" && local_spark_confs && printf '%s\\n' \"${LOCAL_SPARK_CONFS[@]}\"", "bash",
        lib.toString())
        .redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.exitValue()).as(out).isZero();
    List<String> expected = new ArrayList<>();
    LocalSpark.settings().forEach((k, v) -> {
      expected.add("--conf");
      expected.add(k + "=" + v);
    });
    assertThat(out.lines().toList()).isEqualTo(expected);
    assertThat(Files.isRegularFile(lib)).isTrue();
  }
}
