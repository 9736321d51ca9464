package dev.streamlake.ladder.jobs;

import dev.streamlake.common.PipelineConfig;
import dev.streamlake.merge.GoldTable;
import java.util.List;

/**
 * Gold's layout as stage 3 creates it ({@link GoldTable}), for the benchmarks that build a large
 * gold table directly instead of merging it up row by row.
 */
final class GoldLayout {
  static final String CHANGE_DATA_FEED = GoldTable.CHANGE_DATA_FEED;

  private GoldLayout() {}

  static List<String> sourceColumns(PipelineConfig pipeline) {
    return GoldTable.sourceColumns(pipeline);
  }
}
