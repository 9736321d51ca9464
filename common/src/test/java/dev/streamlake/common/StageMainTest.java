package dev.streamlake.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A bad setting ends a main with its message: exit 2 where that is allowed, thrown on Databricks. */
class StageMainTest {
  private static final ConfigException BAD =
      ConfigException.invalid("--trigger", "every 5 minutes", "availableNow");

  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final List<Integer> exits = new ArrayList<>();

  private void run(boolean onDatabricks, StageMain.Body body) throws Exception {
    StageMain.run(new String[] {"--x"}, body, onDatabricks,
        new PrintStream(err, true, StandardCharsets.UTF_8), exits::add);
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aBadSettingPrintsItsMessageAloneAndExitsWithTwo() throws Exception {
    run(false, args -> {
      throw BAD;
    });
    assertThat(stderr()).isEqualTo(BAD.getMessage() + System.lineSeparator());
    assertThat(exits).containsExactly(StageMain.BAD_SETTING);
    assertThat(StageMain.BAD_SETTING).isEqualTo(2);
  }

  @Test
  void onDatabricksTheSameExceptionIsThrownAndNothingExits() {
    Throwable thrown = catchThrowable(() -> run(true, args -> {
      throw BAD;
    }));
    assertThat(thrown).isSameAs(BAD);
    assertThat(exits).isEmpty();
    assertThat(stderr()).isEmpty();
  }

  @Test
  void anyOtherFailureIsLeftAsItWas() {
    IllegalStateException other = new IllegalStateException("query failed");
    for (boolean onDatabricks : new boolean[] {false, true}) {
      assertThat(catchThrowable(() -> run(onDatabricks, args -> {
        throw other;
      }))).isSameAs(other);
    }
    assertThat(exits).isEmpty();
  }

  @Test
  void aJobThatEndsWellGetsItsArgumentsAndNoExit() throws Exception {
    List<String> seen = new ArrayList<>();
    run(false, args -> seen.addAll(List.of(args)));
    assertThat(seen).containsExactly("--x");
    assertThat(exits).isEmpty();
  }
}
