package dev.streamlake.ladder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamlake.ingest.RawIngestQuery;
import org.junit.jupiter.api.Test;

class TextbookPollsControlTest {
  @Test
  void theControlGivesTheTextbookJobStageOnesPollSize() {
    assertThat(ThroughputSteps.STAGE1_MAX_POLL_RECORDS)
        .isEqualTo(RawIngestQuery.MAX_POLL_RECORDS_DEFAULT);
  }

  @Test
  void theControlRunsOnlyWhenAsked() {
    assertThat(Step.parse("textbook-polls")).containsExactly(Step.TEXTBOOK_POLLS);
    assertThat(Step.parse("textbook,stage1")).doesNotContain(Step.TEXTBOOK_POLLS);
  }
}
