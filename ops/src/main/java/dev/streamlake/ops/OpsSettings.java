package dev.streamlake.ops;

import dev.streamlake.common.CommonOptions;
import dev.streamlake.common.LakeLayout;
import dev.streamlake.common.PipelineConfig;
import dev.streamlake.common.Stage;
import dev.streamlake.common.StageSettings;
import dev.streamlake.common.TableRef;
import dev.streamlake.common.TriggerSpec;
import java.util.Map;
import java.util.TreeMap;

/**
 * What every operator command knows of a pipeline: its definition, its four tables and the
 * stages' checkpoints, from the same settings the stages take ({@code --lake}, {@code --catalog},
 * {@code --schema}, {@code --config}, {@code --*-table}), so a command points at a pipeline the
 * way its stages were started.
 */
public record OpsSettings(
    LakeLayout layout,
    PipelineConfig pipeline,
    String pipelineSource,
    String appId,
    TableRef raw,
    TableRef bronze,
    TableRef deadLetter,
    TableRef gold) {

  /** Validates the shared settings; {@code --trigger} has no meaning for a command. */
  public static OpsSettings from(CommonOptions options) {
    StageSettings s = options.toSettings(Stage.MERGE, TriggerSpec.availableNow());
    return new OpsSettings(s.layout(), s.pipeline(), s.pipelineSource(), s.appId(), s.raw(),
        s.bronze(), s.deadLetter(), s.gold());
  }

  /** The checkpoint folder of a stage's streaming query. */
  public String checkpoint(Stage stage) {
    return layout.checkpoint(stage, stage.query());
  }

  /** The settings as sorted key/value pairs for the start-up log line. */
  public Map<String, String> describe() {
    Map<String, String> m = new TreeMap<>();
    if (layout.catalogSchema() != null) {
      m.put("catalog", layout.catalogSchema().catalog());
      m.put("schema", layout.catalogSchema().schema());
    }
    m.put("config", pipelineSource);
    m.put("lake", layout.root());
    m.put("pipeline", pipeline.name());
    m.put("raw-table", raw.name());
    m.put("bronze-table", bronze.name());
    m.put("dead-letter-table", deadLetter.name());
    m.put("gold-table", gold.name());
    return m;
  }
}
