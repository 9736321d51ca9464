package dev.streamlake.merge;

import dev.streamlake.common.PipelineConfig;
import java.util.List;

/**
 * Gold's layout as stage 3 creates it, for the benchmarks that build a large gold table directly
 * instead of merging it up row by row. It lives in stage 3's package because {@link GoldPlan} is
 * package-private; nothing in the merge module changed.
 */
public final class GoldLayout {
  /** The table property stage 3 sets on the gold tables it creates. */
  public static final String CHANGE_DATA_FEED = GoldTable.CHANGE_DATA_FEED;

  private GoldLayout() {}

  /** Gold's columns that come from a bronze row (key, values, coordinates), in table order. */
  public static List<String> sourceColumns(PipelineConfig pipeline) {
    return GoldPlan.of(pipeline).sourceColumns();
  }
}
