package dev.streamlake.launcher;

import dev.streamlake.common.Stage;
import dev.streamlake.common.StageSettings;
import dev.streamlake.deserialize.DeserializeConfig;
import dev.streamlake.ingest.RawIngestConfig;
import dev.streamlake.local.Repository;
import dev.streamlake.local.StageModule;
import dev.streamlake.merge.MergeConfig;
import dev.streamlake.ops.MaintainCommand;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The product's jobs as the deploy checks see them: the module whose jar runs it, its parser, its
 * stages. The main class is the one the module's pom puts into its jar's manifest.
 */
enum ProductJob {
  RAW_INGEST(StageModule.RAW_INGEST, "RawIngestConfig.fromArgs", Set.of(Stage.RAW_INGEST), null,
      args -> {
        RawIngestConfig c = RawIngestConfig.fromArgs(args);
        return c == null ? null : Map.of(Stage.RAW_INGEST, new Parsed(c.settings(), c.describe()));
      }),
  DESERIALIZE(StageModule.DESERIALIZE, "DeserializeConfig.fromArgs", Set.of(Stage.DESERIALIZE),
      "it classifies records over RDDs and Spark's internal rows",
      args -> {
        DeserializeConfig c = DeserializeConfig.fromArgs(args);
        return c == null ? null
            : Map.of(Stage.DESERIALIZE, new Parsed(c.settings(), c.describe()));
      }),
  MERGE(StageModule.MERGE, "MergeConfig.fromArgs", Set.of(Stage.MERGE),
      "it caches micro-batches, sets session confs for idempotent MERGEs and reads the query id"
          + " from the SparkContext",
      args -> {
        MergeConfig c = MergeConfig.fromArgs(args);
        return c == null ? null : Map.of(Stage.MERGE, new Parsed(c.settings(), c.describe()));
      }),
  ALL_IN_ONE(StageModule.ALL_IN_ONE, "AllInOneConfig.fromArgs", Set.of(Stage.values()),
      "it runs stage 2 (RDDs) and stage 3",
      args -> {
        AllInOneConfig c = AllInOneConfig.fromArgs(args);
        if (c == null) {
          return null;
        }
        Map<Stage, Parsed> m = new EnumMap<>(Stage.class);
        m.put(Stage.RAW_INGEST, new Parsed(c.rawIngest().settings(), c.rawIngest().describe()));
        m.put(Stage.DESERIALIZE,
            new Parsed(c.deserialize().settings(), c.deserialize().describe()));
        m.put(Stage.MERGE, new Parsed(c.merge().settings(), c.merge().describe()));
        return m;
      }),
  /**
   * Table maintenance, from the ops jar: runs no stage, so it counts towards none; its
   * parameters parse with the command's own parser. The ops jar's manifest names the command
   * dispatcher, so the task names the command's class.
   */
  MAINTAIN("ops", "dev.streamlake.ops.MaintainCommand", "MaintainCommand.effectiveSettings",
      args -> MaintainCommand.effectiveSettings(args) == null ? null : Map.of());

  /** What each stage's settings parse into, and the effective-config map its job logs. */
  record Parsed(StageSettings settings, Map<String, String> describe) {}

  /** Jars do not change while the tests run; each manifest is read once. */
  private static final Map<String, String> MAIN_CLASSES = new ConcurrentHashMap<>();

  final String module;
  /** The main class of a job that is not its jar's manifest main (an ops command). */
  final String fixedMainClass;
  final StageModule stageModule;
  final String parser;
  final Set<Stage> stages;
  /** Why this job cannot run on Spark Connect (serverless, standard access); null: it can. */
  final String needsClassic;
  /** The settings of each stage this job runs; null when the arguments only ask for --help. */
  final Function<String[], Map<Stage, Parsed>> parse;

  ProductJob(String module, String mainClass, String parser,
      Function<String[], Map<Stage, Parsed>> parse) {
    this.stageModule = null;
    this.module = module;
    this.fixedMainClass = mainClass;
    this.parser = parser;
    this.stages = Set.of();
    this.needsClassic = "it reads the stages' checkpoints and Delta logs through the classic"
        + " session's Hadoop configuration";
    this.parse = parse;
  }

  ProductJob(StageModule module, String parser, Set<Stage> stages, String needsClassic,
      Function<String[], Map<Stage, Parsed>> parse) {
    this.stageModule = module;
    this.fixedMainClass = null;
    this.module = module.module();
    this.parser = parser;
    this.stages = stages;
    this.needsClassic = needsClassic;
    this.parse = parse;
  }

  /** The main class, from the manifest of the module's jar as built in {@code repoRoot}. */
  String mainClass(Path repoRoot) {
    if (fixedMainClass != null) {
      return fixedMainClass;
    }
    return MAIN_CLASSES.computeIfAbsent(repoRoot.toAbsolutePath() + "!" + name(),
        k -> new Repository(repoRoot).mainClass(stageModule));
  }

  static ProductJob byMainClass(Path repoRoot, String name) {
    return Arrays.stream(values()).filter(j -> j.mainClass(repoRoot).equals(name)).findFirst()
        .orElse(null);
  }

  static List<String> mainClasses(Path repoRoot) {
    return Arrays.stream(values()).map(j -> j.mainClass(repoRoot)).toList();
  }
}
