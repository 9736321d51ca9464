#!/usr/bin/env bash
# The performance ladder (benchmarks/README.md): the limits, the anchors and the three stage jars
# on the same data, each step a fresh spark-submit JVM, and a results file with a verdict per
# target. All arguments go to the ladder (--help lists them); for example
#   scripts/ladder.sh --quick                      # 200,000 records, about an hour on 2 busy cores
#   scripts/ladder.sh                              # the full run: 5,000,000 records, 3 runs each
#   scripts/ladder.sh --records 1000000 --runs 3 --out benchmarks/ladder-results-1m.md
# Environment: LADDER_HEAP (the ladder JVM's own heap, default -Xmx2g),
#   LADDER_SKIP_BUILD=1 (use the last build).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

heap=${LADDER_HEAP:--Xmx2g}

cd "$STREAMLAKE_ROOT"
benchmarks_classpath "${LADDER_SKIP_BUILD:-}"
cp=$BENCH_CLASSPATH

say "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, load average $(cat /proc/loadavg)"
# shellcheck disable=SC2086
exec java $heap $JAVA_OPENS -cp "$cp" \
  -Dstreamlake.kafka.broker.lib="$KAFKA_BROKER_LIB" \
  -Dstreamlake.ladder.command="scripts/ladder.sh $*" \
  dev.streamlake.ladder.Ladder "$@"
