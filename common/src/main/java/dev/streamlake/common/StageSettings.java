package dev.streamlake.common;

import java.util.Map;
import java.util.TreeMap;

/**
 * The validated settings every stage shares. Immutable; built by {@link CommonOptions}.
 * {@code events} is the table each micro-batch's metrics are appended to, or null for none.
 */
public record StageSettings(
    Stage stage,
    LakeLayout layout,
    PipelineConfig pipeline,
    String pipelineSource,
    TriggerSpec trigger,
    String appId,
    TableRef raw,
    TableRef bronze,
    TableRef deadLetter,
    TableRef gold,
    TableRef events) {

  /** Without an events table ({@code --events-table}). */
  public StageSettings(Stage stage, LakeLayout layout, PipelineConfig pipeline,
      String pipelineSource, TriggerSpec trigger, String appId, TableRef raw, TableRef bronze,
      TableRef deadLetter, TableRef gold) {
    this(stage, layout, pipeline, pipelineSource, trigger, appId, raw, bronze, deadLetter, gold,
        null);
  }

  /** The checkpoint of this stage's query {@code query}. */
  public String checkpoint(String query) {
    return layout.checkpoint(stage, query);
  }

  /** The streaming query's name, as shown in the Spark UI and logs. */
  public String queryName(String query) {
    return pipeline.name() + "." + stage.id() + "." + query;
  }

  /** The settings as sorted key/value pairs for the start-up log line. */
  public Map<String, String> describe() {
    Map<String, String> m = new TreeMap<>();
    m.put("app-id", appId);
    if (layout.catalogSchema() != null) {
      m.put("catalog", layout.catalogSchema().catalog());
      m.put("schema", layout.catalogSchema().schema());
    }
    m.put("config", pipelineSource);
    m.put("format", pipeline.format().name().toLowerCase(java.util.Locale.ROOT));
    m.put("lake", layout.root());
    m.put("pipeline", pipeline.name());
    m.put("trigger", trigger.toString());
    m.put("raw-table", raw.name());
    m.put("bronze-table", bronze.name());
    m.put("dead-letter-table", deadLetter.name());
    m.put("gold-table", gold.name());
    if (events != null) {
      m.put("events-table", events.name());
    }
    return m;
  }
}
