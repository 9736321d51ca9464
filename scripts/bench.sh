#!/usr/bin/env bash
# Runs the benchmarks of benchmarks/ with the defaults its README records, printing the load
# average next to each. Usage: scripts/bench.sh [jmh|stage|all] (default all).
#   BENCH_ROWS=200000        StageBench's raw rows
#   BENCH_JMH_ARGS="..."     JMH arguments (default: DecoderBench -f 1 -wi 3 -i 5 -prof gc)
#   BENCH_HEAP=-Xmx4g        StageBench's heap
#   BENCH_SKIP_BUILD=1       use the last build
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

what=${1:-all}
rows=${BENCH_ROWS:-200000}
jmh_args=${BENCH_JMH_ARGS:-DecoderBench -f 1 -wi 3 -i 5 -prof gc}
heap=${BENCH_HEAP:--Xmx4g}
out=$STREAMLAKE_ROOT/benchmarks/target

cd "$STREAMLAKE_ROOT"
benchmarks_classpath "${BENCH_SKIP_BUILD:-}"
cp=$BENCH_CLASSPATH

say "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(java -version 2>&1 | head -n 1)"

if [ "$what" = all ] || [ "$what" = jmh ]; then
  say "load average before JMH: $(cat /proc/loadavg)"
  # shellcheck disable=SC2086
  java -cp "$cp" org.openjdk.jmh.Main $jmh_args -rf json -rff "$out/jmh-result.json" \
    | tee "$out/jmh-result.txt"
  say "load average after JMH: $(cat /proc/loadavg)"
fi

if [ "$what" = all ] || [ "$what" = stage ]; then
  say "load average before StageBench: $(cat /proc/loadavg)"
  # shellcheck disable=SC2086
  java $heap $JAVA_OPENS -cp "$cp" dev.streamlake.bench.StageBench \
    --rows "$rows" 2>"$out/stage-bench.log" | tee "$out/stage-bench.txt"
  say "load average after StageBench: $(cat /proc/loadavg) (Spark's log: $out/stage-bench.log)"
fi
