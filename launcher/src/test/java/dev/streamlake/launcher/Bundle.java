package dev.streamlake.launcher;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The bundle ({@code databricks.yml} and the files it includes) read the way the Databricks CLI
 * reads it, without a workspace: YAML with duplicate keys refused, includes merged, one target's
 * overrides applied, and every {@code ${...}} reference resolved. Only what a bundle of JAR jobs
 * uses is modelled; a key the CLI's schema does not know is a problem, so a typo never passes.
 *
 * <p>Sources: the CLI's JSON schema ({@code bundle/schema/jsonschema.json} in databricks/cli) for
 * the keys; its {@code libs/dyn/dynvar} for the reference syntax. What needs a workspace is fixed
 * here: {@code ${bundle.git.commit}} is {@link #GIT_COMMIT}, the current user is
 * {@link #USER_NAME}.
 */
final class Bundle {
  static final String FILE = "databricks.yml";
  /** What {@code ${bundle.git.commit}} resolves to here. */
  static final String GIT_COMMIT = "0123456789abcdef0123456789abcdef01234567";
  static final String USER_NAME = "someone@example.com";
  static final String SHORT_NAME = "someone";

  /** The CLI's reference syntax: {@code ${a.b[0].c}}; {@code ${env:X}} is not one. */
  private static final String SEGMENT = "\\p{L}+([-_]*[\\p{L}\\p{N}]+)*";
  static final Pattern REFERENCE = Pattern.compile(
      "\\$\\{(" + SEGMENT + "(\\." + SEGMENT + "(\\[[0-9]+])*)*(\\[[0-9]+])*)}");

  static final Set<String> ROOT_KEYS = Set.of("artifacts", "bundle", "experimental", "include",
      "permissions", "presets", "resources", "run_as", "scripts", "sync", "targets", "variables",
      "workspace");
  static final Set<String> BUNDLE_KEYS = Set.of("name", "cluster_id", "compute_id",
      "databricks_cli_version", "deployment", "engine", "git", "uuid");
  static final Set<String> VARIABLE_KEYS = Set.of("default", "description", "lookup", "type");
  static final Set<String> TARGET_KEYS = Set.of("artifacts", "bundle", "cluster_id",
      "compute_id", "default", "git", "mode", "permissions", "presets", "resources", "run_as",
      "sync", "variables", "workspace");
  static final Set<String> WORKSPACE_KEYS = Set.of("account_id", "artifact_path", "auth_type",
      "azure_client_id", "azure_environment", "azure_login_app_id", "azure_tenant_id",
      "azure_use_msi", "azure_workspace_resource_id", "client_id", "file_path",
      "google_service_account", "host", "profile", "resource_path", "root_path", "state_path",
      "workspace_id");
  static final Set<String> ARTIFACT_KEYS =
      Set.of("build", "dynamic_version", "executable", "files", "path", "type");
  static final Set<String> ARTIFACT_FILE_KEYS = Set.of("source");
  static final Set<String> EXPERIMENTAL_KEYS = Set.of("immutable_folder", "pydabs", "python",
      "python_wheel_wrapper", "record_deployment_history", "scripts", "skip_artifact_cleanup",
      "skip_name_prefix_for_schema", "use_legacy_run_as");
  static final Set<String> PRESETS_KEYS = Set.of("artifacts_dynamic_version",
      "jobs_max_concurrent_runs", "name_prefix", "pipelines_development",
      "source_linked_deployment", "tags", "trigger_pause_status");
  static final Set<String> RUN_AS_KEYS = Set.of("group_name", "service_principal_name", "user_name");
  static final Set<String> PERMISSION_KEYS =
      Set.of("group_name", "level", "service_principal_name", "user_name");
  /** StreamLake's bundle deploys jobs; other resource kinds are not modelled here. */
  static final Set<String> RESOURCE_KINDS = Set.of("jobs");

  private final Path root;
  private final Map<String, Object> config;
  private final List<String> loadProblems;

  private Bundle(Path root, Map<String, Object> config, List<String> loadProblems) {
    this.root = root;
    this.config = config;
    this.loadProblems = loadProblems;
  }

  /** Reads {@code root/databricks.yml} and what it includes; problems are kept, not thrown. */
  static Bundle load(Path root) {
    List<String> problems = new ArrayList<>();
    Map<String, Object> config = read(root.resolve(FILE), FILE, problems);
    if (config == null) {
      return new Bundle(root, new LinkedHashMap<>(), problems);
    }
    keys(FILE, config, ROOT_KEYS, problems);
    List<String> includes = strings(config.get("include"), FILE + ": include", problems);
    for (String glob : includes) {
      List<Path> matches = matches(root, glob);
      if (matches.isEmpty()) {
        problems.add(FILE + ": include '" + glob + "' matches no file");
      }
      for (Path p : matches) {
        String name = root.relativize(p).toString();
        Map<String, Object> included = read(p, name, problems);
        if (included != null) {
          keys(name, included, ROOT_KEYS, problems);
          merge(config, included, name, problems);
        }
      }
    }
    return new Bundle(root, config, problems);
  }

  Path root() {
    return root;
  }

  List<String> loadProblems() {
    return List.copyOf(loadProblems);
  }

  Set<String> targets() {
    return new TreeSet<>(map(config.get("targets")).keySet());
  }

  /** The raw, unresolved configuration (for checks on how values are written). */
  Map<String, Object> raw() {
    return config;
  }

  /** One target, resolved. */
  record Resolved(
      String target,
      String mode,
      Map<String, Object> workspace,
      Map<String, Object> runAs,
      Map<String, Object> variables,
      Map<String, Object> artifacts,
      Map<String, Object> experimental,
      Map<String, Object> jobs,
      List<String> problems) {

    String where() {
      return FILE + " [" + target + "]";
    }
  }

  Resolved resolve(String target) {
    List<String> problems = new ArrayList<>(loadProblems);
    String where = FILE + " [" + target + "]";
    Map<String, Object> targets = map(config.get("targets"));
    if (!targets.containsKey(target)) {
      problems.add(where + ": no such target; the bundle defines " + targets.keySet());
      return new Resolved(target, null, Map.of(), null, Map.of(), Map.of(), Map.of(), Map.of(),
          problems);
    }
    Map<String, Object> t = map(targets.get(target));
    keys(where + " targets." + target, t, TARGET_KEYS, problems);
    Map<String, Object> bundle = map(config.get("bundle"));
    keys(where + " bundle", bundle, BUNDLE_KEYS, problems);
    if (!(bundle.get("name") instanceof String)) {
      problems.add(where + ": bundle.name is missing");
    }

    Map<String, Object> workspace = new LinkedHashMap<>(map(config.get("workspace")));
    workspace.putAll(map(t.get("workspace")));
    keys(where + " workspace", workspace, WORKSPACE_KEYS, problems);
    Object runAs = t.containsKey("run_as") ? t.get("run_as") : config.get("run_as");
    if (runAs != null) {
      keys(where + " run_as", map(runAs), RUN_AS_KEYS, problems);
    }
    Map<String, Object> artifacts = new LinkedHashMap<>(map(config.get("artifacts")));
    artifacts.putAll(map(t.get("artifacts")));
    artifacts.forEach((name, a) -> {
      keys(where + " artifacts." + name, map(a), ARTIFACT_KEYS, problems);
      for (Object f : list(map(a).get("files"))) {
        keys(where + " artifacts." + name + ".files", map(f), ARTIFACT_FILE_KEYS, problems);
      }
    });
    Map<String, Object> experimental = map(config.get("experimental"));
    keys(where + " experimental", experimental, EXPERIMENTAL_KEYS, problems);
    Map<String, Object> presets = new LinkedHashMap<>(map(config.get("presets")));
    presets.putAll(map(t.get("presets")));
    keys(where + " presets", presets, PRESETS_KEYS, problems);

    // Variables: the target's value, else the default; every variable needs one.
    Map<String, Object> declared = map(config.get("variables"));
    Map<String, Object> overrides = map(t.get("variables"));
    Map<String, Object> values = new LinkedHashMap<>();
    declared.forEach((name, v) -> {
      Map<String, Object> d = map(v);
      keys(where + " variables." + name, d, VARIABLE_KEYS, problems);
      boolean complex = "complex".equals(d.get("type"));
      if (d.containsKey("type") && !complex) {
        problems.add(where + ": variable " + name + " has type '" + d.get("type")
            + "'; the only type is complex");
      }
      Object value = overrides.containsKey(name) ? overrides.get(name) : d.get("default");
      if (!complex && overrides.get(name) instanceof Map<?, ?> m && m.containsKey("default")) {
        value = m.get("default");
      }
      if (value == null) {
        problems.add(where + ": no value assigned to variable " + name
            + " (give it a default or set it in targets." + target + ".variables)");
        return;
      }
      if (!complex && (value instanceof Map || value instanceof List)) {
        problems.add(where + ": variable " + name + " holds a map or list but is not declared"
            + " with type: complex");
      }
      values.put(name, value);
    });
    overrides.keySet().stream().filter(n -> !declared.containsKey(n)).forEach(n ->
        problems.add(where + ": targets." + target + ".variables." + n
            + " sets a variable the bundle does not declare"));

    Map<String, Object> resources = deepMerge(map(config.get("resources")),
        map(t.get("resources")));
    keys(where + " resources", resources, RESOURCE_KINDS, problems);

    Resolver r = new Resolver(where, target, String.valueOf(bundle.get("name")), workspace,
        values, problems);
    Map<String, Object> resolvedWorkspace = map(r.resolve(workspace, "workspace"));
    Map<String, Object> resolvedVariables = new LinkedHashMap<>();
    values.keySet().forEach(n -> resolvedVariables.put(n, r.variable(n)));
    Map<String, Object> jobs = map(r.resolve(map(resources.get("jobs")), "resources.jobs"));
    return new Resolved(
        target,
        t.get("mode") == null ? null : String.valueOf(t.get("mode")),
        resolvedWorkspace,
        runAs == null ? null : map(r.resolve(runAs, "run_as")),
        resolvedVariables,
        map(r.resolve(artifacts, "artifacts")),
        experimental,
        jobs,
        problems);
  }

  /** Resolves references of one target; remembers what it resolved, refuses cycles. */
  private static final class Resolver {
    private final String where;
    private final String target;
    private final String bundleName;
    private final Map<String, Object> workspace;
    private final Map<String, Object> variables;
    private final List<String> problems;
    private final Map<String, Object> resolvedVariables = new LinkedHashMap<>();
    private final Deque<String> resolving = new ArrayDeque<>();

    Resolver(String where, String target, String bundleName, Map<String, Object> workspace,
        Map<String, Object> variables, List<String> problems) {
      this.where = where;
      this.target = target;
      this.bundleName = bundleName;
      this.workspace = workspace;
      this.variables = variables;
      this.problems = problems;
    }

    Object variable(String name) {
      return reference("var." + name, "variables." + name);
    }

    Object resolve(Object value, String path) {
      if (value instanceof String s) {
        Matcher m = REFERENCE.matcher(s);
        if (m.matches()) {
          return reference(m.group(1), path);
        }
        m.reset();
        StringBuilder out = new StringBuilder();
        while (m.find()) {
          Object v = reference(m.group(1), path);
          if (v instanceof Map || v instanceof List) {
            problems.add(where + " " + path + ": ${" + m.group(1) + "} is a map or list and"
                + " cannot be part of the text '" + s + "'");
          }
          m.appendReplacement(out, Matcher.quoteReplacement(String.valueOf(v)));
        }
        m.appendTail(out);
        return out.toString();
      }
      if (value instanceof Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), resolve(v, path + "." + k)));
        return out;
      }
      if (value instanceof List<?> list) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
          out.add(resolve(list.get(i), path + "[" + i + "]"));
        }
        return out;
      }
      return value;
    }

    private Object reference(String ref, String path) {
      String[] parts = ref.split("\\.");
      switch (parts[0]) {
        case "var": {
          String name = parts[1].replaceAll("\\[.*", "");
          if (!variables.containsKey(name)) {
            problems.add(where + " " + path + ": ${" + ref + "} names no variable with a value;"
                + " the bundle declares " + new TreeSet<>(variables.keySet()));
            return "${" + ref + "}";
          }
          Object value = resolvedVariables.get(name);
          if (value == null) {
            if (resolving.contains(name)) {
              problems.add(where + ": variables refer to each other in a cycle: "
                  + String.join(" -> ", resolving) + " -> " + name);
              return "${" + ref + "}";
            }
            resolving.push(name);
            value = resolve(variables.get(name), "variables." + name);
            resolving.pop();
            resolvedVariables.put(name, value);
          }
          return field(value, parts, 2, ref, path);
        }
        case "bundle":
          return switch (ref) {
            case "bundle.name" -> bundleName;
            case "bundle.target" -> target;
            case "bundle.git.commit" -> GIT_COMMIT;
            default -> unknown(ref, path);
          };
        case "workspace": {
          if (ref.equals("workspace.current_user.short_name")) {
            return SHORT_NAME;
          }
          if (ref.equals("workspace.current_user.userName")) {
            return USER_NAME;
          }
          if (parts.length == 2 && workspace.containsKey(parts[1])) {
            String key = "workspace." + parts[1];
            if (resolving.contains(key)) {
              problems.add(where + ": " + key + " refers to itself");
              return "${" + ref + "}";
            }
            resolving.push(key);
            Object v = resolve(workspace.get(parts[1]), key);
            resolving.pop();
            return v;
          }
          return unknown(ref, path);
        }
        default:
          return unknown(ref, path);
      }
    }

    private Object field(Object value, String[] parts, int from, String ref, String path) {
      Object v = value;
      for (int i = from; i < parts.length; i++) {
        if (!(v instanceof Map<?, ?> m) || !m.containsKey(parts[i])) {
          return unknown(ref, path);
        }
        v = m.get(parts[i]);
      }
      return v;
    }

    private Object unknown(String ref, String path) {
      problems.add(where + " " + path + ": ${" + ref + "} is not something this bundle or the"
          + " CLI defines");
      return "${" + ref + "}";
    }
  }

  private static Map<String, Object> read(Path file, String name, List<String> problems) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    Yaml yaml = new Yaml(new SafeConstructor(options));
    try (Reader in = Files.newBufferedReader(file)) {
      Object doc = yaml.load(in);
      if (!(doc instanceof Map)) {
        problems.add(name + ": not a YAML mapping");
        return null;
      }
      return map(doc);
    } catch (YAMLException e) {
      problems.add(name + ": not valid YAML: " + e.getMessage().replace('\n', ' '));
    } catch (IOException e) {
      problems.add(name + ": cannot be read: " + e);
    }
    return null;
  }

  /** What the CLI does with an included file: its variables and resources join the root's. */
  private static void merge(Map<String, Object> root, Map<String, Object> included, String name,
      List<String> problems) {
    included.forEach((key, value) -> {
      switch (key) {
        case "variables" -> {
          Map<String, Object> into = mapIn(root, "variables");
          map(value).forEach((v, d) -> {
            if (into.putIfAbsent(v, d) != null) {
              problems.add(name + ": variable " + v + " is declared twice");
            }
          });
        }
        case "resources" -> {
          Map<String, Object> into = mapIn(root, "resources");
          map(value).forEach((kind, defs) -> {
            Map<String, Object> kindInto = mapIn(into, kind);
            map(defs).forEach((res, def) -> {
              if (kindInto.putIfAbsent(res, def) != null) {
                problems.add(name + ": resources." + kind + "." + res + " is defined twice");
              }
            });
          });
        }
        case "targets" -> {
          Map<String, Object> into = mapIn(root, "targets");
          map(value).forEach((t, def) -> into.put(t, deepMerge(map(into.get(t)), map(def))));
        }
        default -> {
          if (root.putIfAbsent(key, value) != null) {
            problems.add(name + ": top-level key '" + key + "' is also set in " + FILE);
          }
        }
      }
    });
  }

  /**
   * Maps merge key by key; a job's tasks and job clusters merge by their keys, as the CLI merges
   * a target's resources into the root's; other lists are replaced.
   */
  static Map<String, Object> deepMerge(Map<String, Object> base, Map<String, Object> over) {
    Map<String, Object> out = new LinkedHashMap<>(base);
    over.forEach((k, v) -> {
      Object b = out.get(k);
      if (b instanceof Map && v instanceof Map) {
        out.put(k, deepMerge(map(b), map(v)));
      } else if (b instanceof List && v instanceof List && (k.equals("tasks")
          || k.equals("job_clusters"))) {
        String id = k.equals("tasks") ? "task_key" : "job_cluster_key";
        Map<Object, Object> byKey = new LinkedHashMap<>();
        for (Object e : list(b)) {
          byKey.put(map(e).get(id), e);
        }
        for (Object e : list(v)) {
          Object key = map(e).get(id);
          byKey.put(key, byKey.containsKey(key) ? deepMerge(map(byKey.get(key)), map(e)) : e);
        }
        out.put(k, new ArrayList<>(byKey.values()));
      } else {
        out.put(k, v);
      }
    });
    return out;
  }

  private static List<Path> matches(Path root, String glob) {
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
    try (Stream<Path> files = Files.walk(root, 4)) {
      return files.filter(Files::isRegularFile)
          .filter(p -> matcher.matches(root.relativize(p)))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + root, e);
    }
  }

  static void keys(String where, Map<String, Object> m, Set<String> allowed, List<String> problems) {
    for (String k : m.keySet()) {
      if (!allowed.contains(k)) {
        problems.add(where + ": unknown key '" + k + "'; allowed: " + new TreeSet<>(allowed));
      }
    }
  }

  private static List<String> strings(Object value, String where, List<String> problems) {
    List<String> out = new ArrayList<>();
    for (Object o : list(value)) {
      if (o instanceof String s) {
        out.add(s);
      } else {
        problems.add(where + ": '" + o + "' is not a string");
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return o instanceof Map ? (Map<String, Object>) o : new LinkedHashMap<>();
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object o) {
    return o instanceof List ? (List<Object>) o : List.of();
  }

  private static Map<String, Object> mapIn(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof Map)) {
      v = new LinkedHashMap<String, Object>();
      m.put(key, v);
    }
    return map(v);
  }
}
