package dev.streamlake.ladder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Heap figures from a {@code -Xlog:gc} file: each collection logs {@code before->after(committed)},
 * so the largest "before" is the most heap ever occupied (garbage included) and the largest
 * "after" the most that survived a collection, an upper bound of what the job kept alive.
 */
record GcLog(long peakBeforeGcBytes, long peakAfterGcBytes, long committedBytes, int collections,
    boolean fullGc) {

  static final GcLog NONE = new GcLog(-1, -1, -1, 0, false);

  private static final Pattern SIZES =
      Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

  static GcLog read(Path file) {
    if (!Files.isRegularFile(file)) {
      return NONE;
    }
    long before = -1;
    long after = -1;
    long committed = -1;
    int n = 0;
    boolean full = false;
    try {
      for (String line : Files.readAllLines(file)) {
        Matcher m = SIZES.matcher(line);
        if (!m.find()) {
          continue;
        }
        n++;
        full |= line.contains("Pause Full");
        before = Math.max(before, bytes(m.group(1), m.group(2)));
        after = Math.max(after, bytes(m.group(3), m.group(4)));
        committed = Math.max(committed, bytes(m.group(5), m.group(6)));
      }
    } catch (IOException e) {
      return NONE;
    }
    return new GcLog(before, after, committed, n, full);
  }

  private static long bytes(String number, String unit) {
    long v = Long.parseLong(number);
    return switch (unit) {
      case "K" -> v << 10;
      case "M" -> v << 20;
      default -> v << 30;
    };
  }
}
