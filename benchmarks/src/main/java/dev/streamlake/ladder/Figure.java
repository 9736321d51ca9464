package dev.streamlake.ladder;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** A measured quantity over the runs of a step: median, min, max, how many runs. */
record Figure(double median, double min, double max, int runs) {
  static final Figure NONE = new Figure(Double.NaN, Double.NaN, Double.NaN, 0);

  /** Over the values that are numbers; NONE when there is none. */
  static Figure of(List<Double> values) {
    List<Double> v = new ArrayList<>();
    for (Double d : values) {
      if (d != null && !d.isNaN() && !d.isInfinite()) {
        v.add(d);
      }
    }
    if (v.isEmpty()) {
      return NONE;
    }
    Collections.sort(v);
    int n = v.size();
    double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    return new Figure(median, v.get(0), v.get(n - 1), n);
  }

  static <T> Figure of(List<T> items, ToDoubleFunction<T> value) {
    List<Double> v = new ArrayList<>();
    for (T t : items) {
      v.add(value.applyAsDouble(t));
    }
    return of(v);
  }

  boolean isMeasured() {
    return runs > 0;
  }

  /** {@code median (min–max)}, or just the value for one run; "n/a" when not measured. */
  String format(String pattern) {
    if (!isMeasured()) {
      return "n/a";
    }
    String m = String.format(Locale.ROOT, pattern, median);
    if (runs == 1) {
      return m;
    }
    return m + " (" + String.format(Locale.ROOT, pattern, min) + "–"
        + String.format(Locale.ROOT, pattern, max) + ")";
  }
}
