package dev.streamlake.ladder;

import java.util.List;

/**
 * Least squares of {@code y = a + b·x}: for batch timings, {@code a} is the fixed cost of a
 * micro-batch (seconds) and {@code b} the cost per record (seconds); {@code r2} says how well a
 * straight line explains the points.
 */
record LinearFit(double a, double b, double r2, int points) {

  /** Each point is {x, y}; NaN fields when there are fewer than two distinct x. */
  static LinearFit of(List<double[]> points) {
    int n = points.size();
    double sx = 0;
    double sy = 0;
    for (double[] p : points) {
      sx += p[0];
      sy += p[1];
    }
    double mx = sx / n;
    double my = sy / n;
    double sxx = 0;
    double sxy = 0;
    double syy = 0;
    for (double[] p : points) {
      sxx += (p[0] - mx) * (p[0] - mx);
      sxy += (p[0] - mx) * (p[1] - my);
      syy += (p[1] - my) * (p[1] - my);
    }
    if (n < 2 || sxx == 0) {
      return new LinearFit(Double.NaN, Double.NaN, Double.NaN, n);
    }
    double b = sxy / sxx;
    double a = my - b * mx;
    double r2 = syy == 0 ? 1 : (sxy * sxy) / (sxx * syy);
    return new LinearFit(a, b, r2, n);
  }

  /** The batch size at which fixed and per-record cost are equal: a / b records. */
  double breakEvenRecords() {
    return b > 0 ? a / b : Double.NaN;
  }
}
