# Shared shell functions of the StreamLake scripts. Source it; it runs nothing by itself.

STREAMLAKE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SPARK_HOME_DIR=${SPARK_HOME:-$STREAMLAKE_ROOT/spark-home/target/spark-home}
KAFKA_BROKER_LIB=$STREAMLAKE_ROOT/kafka-broker/target/lib
# The local Spark settings, shared with the Java side (dev.streamlake.local.LocalSpark).
LOCAL_SPARK_SETTINGS=$STREAMLAKE_ROOT/local-stack/src/main/resources/dev/streamlake/local/local-spark.properties
# The flags of the small local JVMs, shared with the Java side (dev.streamlake.local.QuickJvm);
# the file says why each is there.
QUICK_JVM_OPTS=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' \
  "$STREAMLAKE_ROOT/local-stack/src/main/resources/dev/streamlake/local/quick-jvm.flags" | tr '\n' ' ')

# Spark on Java 17 needs these (the list of org.apache.spark.launcher.JavaModuleOptions).
JAVA_OPENS="-XX:+IgnoreUnrecognizedVMOptions \
--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED \
--add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
--add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
--add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED \
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED \
--add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED \
-Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true"

export SPARK_LOCAL_IP=127.0.0.1
export SPARK_SCALA_VERSION=2.13

die() { echo "error: $*" >&2; exit 1; }
say() { echo "[$(date +%H:%M:%S)] $*"; }

require_spark_home() {
  [ -d "$SPARK_HOME_DIR/jars" ] || die "no Spark home at $SPARK_HOME_DIR: build it with" \
    "'mvn -B -q -pl spark-home package' (or the full build) first"
}

# wait_for_line FILE REGEX SECONDS PID: waits until FILE has a line matching REGEX; fails when
# PID dies first or the time runs out, showing the file's tail.
wait_for_line() {
  local file=$1 regex=$2 seconds=$3 pid=${4:-}
  local deadline=$((SECONDS + seconds))
  until grep -Eq "$regex" "$file" 2>/dev/null; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$file" >&2 || true
      die "process $pid exited before '$regex' appeared in $file"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 30 "$file" >&2 || true
      die "'$regex' did not appear in $file within ${seconds}s"
    fi
    sleep 0.5
  done
}

# stop_pid PID NAME: SIGTERM, then SIGKILL after 20 s.
stop_pid() {
  local pid=$1 name=$2
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || { say "stopped $name (pid $pid)"; return 0; }
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
  say "killed $name (pid $pid) after it ignored SIGTERM for 20 s"
}

# module_jar MODULE SUFFIX: the jar <module>/target/<module>-*SUFFIX (SUFFIX -spark.jar, .jar,
# ...), or nothing when it is not built. The Java twin is dev.streamlake.local.StageJars.
module_jar() {
  local module=$1 suffix=$2 f
  for f in "$STREAMLAKE_ROOT/$module/target/$module"-*"$suffix"; do
    [ -f "$f" ] && { echo "$f"; return 0; }
  done
  return 0
}

# The -spark jar of a stage module (raw-ingest, deserialize, merge, launcher).
stage_jar() {
  local module=$1 jar
  jar=$(module_jar "$module" -spark.jar)
  [ -n "$jar" ] || die "no $module/target/$module-*-spark.jar: build with 'mvn -B -DskipTests package' first"
  echo "$jar"
}

# benchmarks_classpath SKIP_BUILD: unless SKIP_BUILD is 1, builds the benchmarks module and what
# it needs (the stage jars, the Spark home); then sets BENCH_CLASSPATH to its classes and their
# dependencies. (A variable, not output: the build's messages go to the terminal.)
benchmarks_classpath() {
  local out=$STREAMLAKE_ROOT/benchmarks/target
  if [ "${1:-}" != 1 ]; then
    say "building the benchmarks, the stage jars and the Spark home (mvn -B -q -pl benchmarks -am package -DskipTests)"
    (cd "$STREAMLAKE_ROOT" && mvn -B -q -pl benchmarks -am package -DskipTests)
  fi
  [ -f "$out/bench.classpath" ] || die "no $out/bench.classpath: build the benchmarks module first"
  BENCH_CLASSPATH="$out/classes:$(cat "$out/bench.classpath")"
}

# local_spark_confs: sets LOCAL_SPARK_CONFS to "--conf key=value" for every setting of
# LOCAL_SPARK_SETTINGS. (A variable, not output: a die inside $(...) would only end the subshell.)
local_spark_confs() {
  local line
  [ -f "$LOCAL_SPARK_SETTINGS" ] || die "no $LOCAL_SPARK_SETTINGS: this script runs from a StreamLake checkout"
  LOCAL_SPARK_CONFS=()
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in ''|'#'*) continue ;; esac
    LOCAL_SPARK_CONFS+=(--conf "$line")
  done <"$LOCAL_SPARK_SETTINGS"
}
