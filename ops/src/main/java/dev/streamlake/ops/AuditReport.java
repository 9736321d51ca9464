package dev.streamlake.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code audit} found: one section per check, each with its counts, the violations it looks
 * for (with their count, zero included, so a reader sees what was checked) and a few examples.
 */
final class AuditReport {

  /** One kind of violation: {@code count} rows, keys or gaps, and up to N of them. */
  record Violation(String kind, String meaning, long count, List<Map<String, Object>> examples) {}

  /** One check: {@code checked} says what it covered, {@code notes} what it could not. */
  static final class Section {
    final String name;
    final String title;
    final Map<String, Object> counts = new LinkedHashMap<>();
    final List<Violation> violations = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    boolean skipped;

    Section(String name, String title) {
      this.name = name;
      this.title = title;
    }

    long violationCount() {
      return violations.stream().mapToLong(Violation::count).sum();
    }

    Violation violation(String kind) {
      return violations.stream().filter(v -> v.kind().equals(kind)).findFirst().orElseThrow(
          () -> new IllegalArgumentException("no violation kind " + kind + " in " + name));
    }
  }

  final String pipeline;
  final Map<String, Object> scope = new LinkedHashMap<>();
  final List<Section> sections = new ArrayList<>();
  final List<String> warnings = new ArrayList<>();

  AuditReport(String pipeline) {
    this.pipeline = pipeline;
  }

  Section section(String name) {
    return sections.stream().filter(s -> s.name.equals(name)).findFirst().orElseThrow(
        () -> new IllegalArgumentException("no section " + name));
  }

  long violationCount() {
    return sections.stream().mapToLong(Section::violationCount).sum();
  }

  boolean clean() {
    return violationCount() == 0;
  }

  /** One line: what an operator (or a failed Databricks task) reads first. */
  String verdict() {
    if (clean()) {
      return "Audit of pipeline " + pipeline + ": CLEAN, no violation found.";
    }
    List<String> kinds = new ArrayList<>();
    for (Section s : sections) {
      for (Violation v : s.violations) {
        if (v.count() > 0) {
          kinds.add(v.kind() + " " + v.count());
        }
      }
    }
    return "Audit of pipeline " + pipeline + ": VIOLATIONS, " + violationCount() + " in all ("
        + String.join(", ", kinds) + ").";
  }

  String text() {
    StringBuilder b = new StringBuilder(verdict()).append('\n');
    scope.forEach((k, v) -> b.append("  ").append(k).append(": ").append(v).append('\n'));
    for (String w : warnings) {
      b.append("WARNING: ").append(w).append('\n');
    }
    for (Section s : sections) {
      b.append('\n').append(s.title).append(s.skipped ? " (not checked)" : "").append('\n');
      for (String n : s.notes) {
        b.append("  note: ").append(n).append('\n');
      }
      s.counts.forEach((k, v) -> b.append("  ").append(k).append(": ").append(v).append('\n'));
      for (Violation v : s.violations) {
        b.append("  ").append(v.count() > 0 ? "VIOLATION " : "ok ").append(v.kind()).append(": ")
            .append(v.count()).append(" (").append(v.meaning()).append(")\n");
        for (Map<String, Object> e : v.examples()) {
          b.append("    e.g. ").append(e).append('\n');
        }
      }
    }
    return b.toString();
  }

  String json() {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("pipeline", pipeline);
    root.put("clean", clean());
    root.put("verdict", verdict());
    root.put("violations", violationCount());
    root.put("scope", scope);
    root.put("warnings", warnings);
    Map<String, Object> checks = new LinkedHashMap<>();
    for (Section s : sections) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("title", s.title);
      m.put("checked", !s.skipped);
      m.put("notes", s.notes);
      m.put("counts", s.counts);
      Map<String, Object> vs = new LinkedHashMap<>();
      for (Violation v : s.violations) {
        Map<String, Object> vm = new LinkedHashMap<>();
        vm.put("meaning", v.meaning());
        vm.put("count", v.count());
        vm.put("examples", v.examples());
        vs.put(v.kind(), vm);
      }
      m.put("violations", vs);
      checks.put(s.name, m);
    }
    root.put("checks", checks);
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("audit report is not JSON-serializable", e);
    }
  }
}
