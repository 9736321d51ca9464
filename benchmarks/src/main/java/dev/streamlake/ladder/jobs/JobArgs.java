package dev.streamlake.ladder.jobs;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Positional arguments of a ladder job, by name, so a wrong call fails with the usage. */
final class JobArgs {
  private final Map<String, String> values;

  private JobArgs(Map<String, String> values) {
    this.values = values;
  }

  static JobArgs of(String[] args, String... names) {
    if (args.length != names.length) {
      throw new IllegalArgumentException("expected arguments " + List.of(names) + ", got "
          + List.of(args));
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < names.length; i++) {
      m.put(names[i], args[i]);
    }
    return new JobArgs(m);
  }

  String get(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("no argument " + name);
    }
    return v;
  }

  long getLong(String name) {
    return Long.parseLong(get(name));
  }

  int getInt(String name) {
    return Integer.parseInt(get(name));
  }
}
