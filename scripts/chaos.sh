#!/usr/bin/env bash
# The full chaos run: the three stages as separate drivers under 24 kills (8 inside a commit), a
# 30-60 s broker outage and OPTIMIZE now and then, then checks that every table is exact. Writes
# end-to-end/chaos-results.md. Takes about half an hour on 2 cores.
#   scripts/chaos.sh                              the recorded run
#   scripts/chaos.sh -Dstreamlake.chaos.seed=7    another schedule and other records
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$STREAMLAKE_ROOT"
say "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
mvn -B -Pchaos -pl end-to-end -am verify "$@"
say "results: $STREAMLAKE_ROOT/end-to-end/chaos-results.md"
