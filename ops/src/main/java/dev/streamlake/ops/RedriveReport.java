package dev.streamlake.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What one re-drive did, or would do with {@code --dry-run}.
 *
 * @param matched stage 2's dead letters that match the selection
 * @param alreadyRedriven of those, the ones an earlier re-drive took (not selected again)
 * @param selected of those, the open ones, classified again (one per Kafka record)
 * @param writtenNow rows this re-drive added to bronze
 * @param foundInBronze open dead letters whose record bronze already held (an earlier re-drive
 *     was stopped after its bronze commit, or another one ran at the same time): marked only
 * @param bronzeVersion the bronze version this re-drive's rows went in with; null: none written
 * @param stillFailing by error code: the selected dead letters that still fail; they stay open
 * @param newReasons of those, the ones whose code or message changed
 */
record RedriveReport(
    String deadLetter,
    String bronze,
    boolean dryRun,
    long matched,
    long alreadyRedriven,
    long selected,
    long writtenNow,
    long foundInBronze,
    Long bronzeVersion,
    Map<String, Long> stillFailing,
    long newReasons) {

  long redriven() {
    return writtenNow + foundInBronze;
  }

  long stillFailingTotal() {
    return stillFailing.values().stream().mapToLong(Long::longValue).sum();
  }

  String toText() {
    String would = dryRun ? "would be " : "";
    StringBuilder s = new StringBuilder();
    s.append(dryRun ? "Re-drive (dry run, nothing written) of " : "Re-drive of ")
        .append(deadLetter).append(" into ").append(bronze).append('\n');
    s.append(String.format("  matching dead letters:       %d%n", matched));
    s.append(String.format("  already re-driven, skipped:  %d%n", alreadyRedriven));
    s.append(String.format("  open, classified again:      %d%n", selected));
    s.append(String.format("  %-28s %d (%d %s, %d already in bronze from an earlier re-drive)%n",
        would + "re-driven:", redriven(), writtenNow,
        dryRun ? "to write" : bronzeVersion == null ? "written"
            : "written at bronze version " + bronzeVersion,
        foundInBronze));
    s.append(String.format("  %-28s %d", "still failing, " + (dryRun ? "stay" : "left") + " open:",
        stillFailingTotal()));
    if (!stillFailing.isEmpty()) {
      s.append(stillFailing.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
          .collect(Collectors.joining(", ", " (", "; " + newReasons + " with a new reason)")));
    }
    return s.append('\n').toString();
  }

  String toJson() {
    ObjectMapper json = new ObjectMapper();
    ObjectNode n = json.createObjectNode();
    n.put("dead_letter", deadLetter);
    n.put("bronze", bronze);
    n.put("dry_run", dryRun);
    n.put("matched", matched);
    n.put("already_redriven", alreadyRedriven);
    n.put("selected", selected);
    n.put("redriven", redriven());
    n.put("written_to_bronze", writtenNow);
    n.put("found_in_bronze", foundInBronze);
    if (bronzeVersion == null) {
      n.putNull("bronze_version");
    } else {
      n.put("bronze_version", bronzeVersion);
    }
    ObjectNode failing = n.putObject("still_failing");
    stillFailing.forEach(failing::put);
    n.put("new_reasons", newReasons);
    return n.toString();
  }
}
