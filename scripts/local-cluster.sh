#!/usr/bin/env bash
# A Spark standalone cluster on 127.0.0.1 from the Maven-built Spark home (no download outside
# the build), and spark-submit against it.
#
#   scripts/local-cluster.sh start            master + one worker; prints the master URL
#   scripts/local-cluster.sh run ARGS         the three stages, always on, in the background
#                                             (starts the cluster first when none runs)
#   scripts/local-cluster.sh submit JAR ARGS  spark-submit JAR (client mode) in the foreground
#   scripts/local-cluster.sh status           the cluster and the stages started by 'run'
#   scripts/local-cluster.sh stop             stops the stages started by 'run', then worker and master
#   scripts/local-cluster.sh url              prints the master URL of the running cluster
#
# Every application gets a bounded share of the worker, chosen from the jar's stage, so the three
# stages run side by side (the standalone master would otherwise give the first application every
# core). Per stage (RAW_INGEST, DESERIALIZE, MERGE, LAUNCHER; OTHER for any other jar):
#   <STAGE>_CORES            cores of its one executor, also its spark.cores.max
#   <STAGE>_EXECUTOR_MEMORY  heap of that executor (512m, 1g, ...)
#   <STAGE>_DRIVER_MEMORY    heap of the driver JVM (client mode: the driver runs here)
#
# Environment: STREAMLAKE_CLUSTER_DIR (state and logs; default .run/cluster),
# WORKER_CORES (default 4), WORKER_MEMORY (default 4g), SPARK_HOME (default spark-home/target/spark-home),
# LOCAL_JVM_OPTS (JVM flags of master, worker, driver and executors), SPARK_SUBMIT_OPTS (more
# spark-submit options, given last so they win, e.g. "--conf spark.sql.shuffle.partitions=4").
set -euo pipefail
source "$(dirname "$0")/lib.sh"

STATE=${STREAMLAKE_CLUSTER_DIR:-$STREAMLAKE_ROOT/.run/cluster}
STAGES_DIR=$STATE/stages
CP="$SPARK_HOME_DIR/conf:$SPARK_HOME_DIR/jars/*"
# Small JVMs sharing a few cores (lib.sh's QUICK_JVM_OPTS). Override with LOCAL_JVM_OPTS.
LOCAL_JVM_OPTS=${LOCAL_JVM_OPTS:-$QUICK_JVM_OPTS}
# Always-on stages are idle between micro-batches, so the worker advertises more cores than a
# small machine has: 3 stages at 1 core each, plus 1 for an ad hoc job (a backfill, a shell).
WORKER_CORES=${WORKER_CORES:-4}
WORKER_MEMORY=${WORKER_MEMORY:-4g}
PIPELINE_STAGES="raw-ingest deserialize merge"

# The share of each stage: cores, executor memory, driver memory. Measured on a 2-core machine
# with the three stages always on (README, "Running on a local cluster"): stage 1 only moves
# bytes; stages 2 and 3 hold a micro-batch and Delta's snapshot state.
default_share() {
  case $1 in
    raw-ingest) echo "1 512m 512m" ;;
    deserialize) echo "1 768m 512m" ;;
    merge) echo "1 768m 512m" ;;
    launcher) echo "2 1536m 1g" ;;
    *) echo "1 1g 1g" ;;
  esac
}

# RAW_INGEST, DESERIALIZE, MERGE, LAUNCHER or OTHER: the prefix of a stage's variables.
stage_var() {
  case $1 in
    raw-ingest|deserialize|merge|launcher) echo "$1" | tr 'a-z-' 'A-Z_' ;;
    *) echo OTHER ;;
  esac
}

# The stage a jar runs, from its file name (<module>-<version>-spark.jar).
stage_of_jar() {
  local name
  name=$(basename "$1")
  case $name in
    raw-ingest-*) echo raw-ingest ;;
    deserialize-*) echo deserialize ;;
    merge-*) echo merge ;;
    launcher-*) echo launcher ;;
    *) echo other ;;
  esac
}

# share STAGE: sets SHARE_CORES, SHARE_EXECUTOR_MEMORY and SHARE_DRIVER_MEMORY for the stage, with
# the overrides applied, or dies naming the variable, its value and what is allowed. (Variables, not
# output: a die inside $(...) would only end the subshell.)
share() {
  local stage=$1 var cores exec_mem driver_mem cores_var exec_var driver_var
  var=$(stage_var "$stage")
  cores_var=${var}_CORES exec_var=${var}_EXECUTOR_MEMORY driver_var=${var}_DRIVER_MEMORY
  read -r cores exec_mem driver_mem <<<"$(default_share "$stage")"
  cores=${!cores_var:-$cores}
  exec_mem=${!exec_var:-$exec_mem}
  driver_mem=${!driver_var:-$driver_mem}
  [[ $cores =~ ^[1-9][0-9]*$ ]] || die "invalid ${var}_CORES: '$cores'. Allowed: a whole number of cores >= 1"
  check_memory "${var}_EXECUTOR_MEMORY" "$exec_mem"
  check_memory "${var}_DRIVER_MEMORY" "$driver_mem"
  SHARE_CORES=$cores
  SHARE_EXECUTOR_MEMORY=$exec_mem
  SHARE_DRIVER_MEMORY=$driver_mem
}

check_memory() {
  [[ $2 =~ ^[1-9][0-9]*[mMgG]$ ]] || die "invalid $1: '$2'. Allowed: a size in m or g such as 512m or 2g"
  # Spark refuses executors and drivers under 450 MiB of heap.
  [ "$(megabytes "$2")" -ge 512 ] || die "invalid $1: '$2'. Allowed: at least 512m (Spark needs 450 MiB of heap)"
}

megabytes() {
  local n=${1%[mMgG]}
  case $1 in
    *[gG]) echo $((n * 1024)) ;;
    *) echo "$n" ;;
  esac
}

start() {
  require_spark_home
  if cluster_running; then
    die "a cluster is already running (master pid $(cat "$STATE/master.pid"), $(cat "$STATE/master-url")); stop it first"
  fi
  [[ $WORKER_CORES =~ ^[1-9][0-9]*$ ]] || die "invalid WORKER_CORES: '$WORKER_CORES'. Allowed: a whole number of cores >= 1"
  [[ $WORKER_MEMORY =~ ^[1-9][0-9]*[mMgG]$ ]] || die "invalid WORKER_MEMORY: '$WORKER_MEMORY'. Allowed: a size in m or g such as 4g"
  mkdir -p "$STATE/work"
  rm -f "$STATE"/*.log "$STATE/master-url"
  say "starting Spark master (logs in $STATE)"
  # defaultCores: an application that does not say how many cores it wants (a spark-shell) gets
  # one, not every core of the worker.
  SPARK_HOME=$SPARK_HOME_DIR nohup java -Xmx512m $LOCAL_JVM_OPTS $JAVA_OPENS -cp "$CP" \
    -Dspark.master.rest.enabled=false -Dspark.deploy.defaultCores=1 \
    org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 0 --webui-port 0 \
    >"$STATE/master.log" 2>&1 </dev/null &
  echo $! >"$STATE/master.pid"
  wait_for_line "$STATE/master.log" "Starting Spark master at spark://" 90 "$(cat "$STATE/master.pid")"
  local url
  url=$(grep -Eo "spark://[0-9.]+:[0-9]+" "$STATE/master.log" | head -n 1)
  echo "$url" >"$STATE/master-url"
  say "starting Spark worker for $url: $WORKER_CORES cores, $WORKER_MEMORY for executors"
  SPARK_HOME=$SPARK_HOME_DIR nohup java -Xmx512m $LOCAL_JVM_OPTS $JAVA_OPENS -cp "$CP" \
    org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --port 0 --webui-port 0 \
    --cores "$WORKER_CORES" --memory "$WORKER_MEMORY" --work-dir "$STATE/work" "$url" \
    >"$STATE/worker.log" 2>&1 </dev/null &
  echo $! >"$STATE/worker.pid"
  echo "$WORKER_CORES $(megabytes "$WORKER_MEMORY")" >"$STATE/worker-size"
  wait_for_line "$STATE/worker.log" "Successfully registered with master" 90 "$(cat "$STATE/worker.pid")"
  say "cluster up: $url"
  echo "MASTER_URL=$url"
}

cluster_running() {
  [ -f "$STATE/master.pid" ] && kill -0 "$(cat "$STATE/master.pid")" 2>/dev/null
}

stop() {
  stop_stages
  for role in worker master; do
    if [ -f "$STATE/$role.pid" ]; then
      stop_pid "$(cat "$STATE/$role.pid")" "spark $role"
      rm -f "$STATE/$role.pid"
    fi
  done
}

url() {
  [ -f "$STATE/master-url" ] || die "no running cluster (no $STATE/master-url); run '$0 start'"
  cat "$STATE/master-url"
}

# The worker's size as "cores megabytes", from start (or the defaults for a cluster started by an
# older version of this script).
worker_size() {
  if [ -f "$STATE/worker-size" ]; then cat "$STATE/worker-size"; else echo "$WORKER_CORES $(megabytes "$WORKER_MEMORY")"; fi
}

submit() {
  [ $# -ge 1 ] || die "usage: $0 submit JAR [ARGS...]"
  require_spark_home
  local jar=$1 master stage cores exec_mem driver_mem worker_cores worker_mb
  shift
  master=$(url)
  local_spark_confs
  stage=$(stage_of_jar "$jar")
  share "$stage"
  cores=$SHARE_CORES exec_mem=$SHARE_EXECUTOR_MEMORY driver_mem=$SHARE_DRIVER_MEMORY
  read -r worker_cores worker_mb <<<"$(worker_size)"
  [ "$cores" -le "$worker_cores" ] || die "$stage asks for $cores cores ($(stage_var "$stage")_CORES)" \
    "but the worker offers $worker_cores (WORKER_CORES): it would never get an executor"
  [ "$(megabytes "$exec_mem")" -le "$worker_mb" ] || die "$stage asks for a $exec_mem executor" \
    "($(stage_var "$stage")_EXECUTOR_MEMORY) but the worker offers ${worker_mb}m (WORKER_MEMORY)"
  echo "[$(date +%H:%M:%S)] submitting $(basename "$jar") as streamlake-$stage: $cores core(s), executor $exec_mem, driver $driver_mem"
  # Client mode: the driver runs here, so its heap is this JVM's; spark.driver.memory only
  # records it. One executor per application, of the stage's size; cores.max caps the
  # application at that, so the next application finds cores left on the worker.
  # shellcheck disable=SC2086 # option lists
  exec java -Xmx"$driver_mem" $LOCAL_JVM_OPTS $JAVA_OPENS -cp "$CP" org.apache.spark.deploy.SparkSubmit \
    --master "$master" --deploy-mode client --name "streamlake-$stage" \
    "${LOCAL_SPARK_CONFS[@]}" \
    --conf spark.cores.max="$cores" --conf spark.executor.cores="$cores" \
    --conf spark.executor.memory="$exec_mem" --conf spark.driver.memory="$driver_mem" \
    --conf "spark.executor.extraJavaOptions=$LOCAL_JVM_OPTS" \
    ${SPARK_SUBMIT_OPTS:-} "$jar" "$@"
}

run_usage() {
  cat <<EOF
usage: $0 run --lake DIR --bootstrap-servers H:P [--topic NAME | --topic-pattern REGEX] [OPTIONS]

Runs raw-ingest, deserialize and merge on the local cluster (started first when none runs), each
as its own application in the background, always on. Logs and pids: $STAGES_DIR.
Stop them, then the cluster: $0 stop.

Options go to the stages that know them: stage 1's (--bootstrap-servers, --topic, --topic-pattern,
--starting-offsets, --max-offsets-per-trigger, --fail-on-data-loss, --wait-for-topic, --kafka.*)
to raw-ingest; --dead-letter-limit, --schema-registry-url, --raw-max-* to deserialize; --merge-*
to merge; the rest (--lake, --trigger, --config, --format, --*-table) to all three. --app-id is
per stage: submit a stage alone to set it. Without --trigger each stage uses its own default.
EOF
}

# Which stage(s) an option of 'run' belongs to.
option_stages() {
  case $1 in
    --bootstrap-servers|--topic|--topic-pattern|--starting-offsets|--max-offsets-per-trigger|\
    --fail-on-data-loss|--wait-for-topic|--kafka.*) echo raw-ingest ;;
    --dead-letter-limit|--schema-registry-url|--raw-max-*) echo deserialize ;;
    --merge-*) echo merge ;;
    *) echo "$PIPELINE_STAGES" ;;
  esac
}

run() {
  local arg name stage pid
  # Each stage's own command line, word-exact.
  local -a raw_ingest_args=() deserialize_args=() merge_args=() option
  while [ $# -gt 0 ]; do
    arg=$1
    shift
    case $arg in
      -h|--help) run_usage; return 0 ;;
      --app-id|--app-id=*) die "--app-id names one stage's writes: give it per stage with '$0 submit JAR --app-id ID'" ;;
      --*=*) name=${arg%%=*}; option=("$arg") ;;
      --*)
        name=$arg
        [ $# -gt 0 ] || die "missing value for $arg (see '$0 run --help')"
        option=("$arg" "$1")
        shift
        ;;
      *) die "unexpected argument '$arg': run takes --option value pairs (see '$0 run --help')" ;;
    esac
    for stage in $(option_stages "$name"); do
      case $stage in
        raw-ingest) raw_ingest_args+=("${option[@]}") ;;
        deserialize) deserialize_args+=("${option[@]}") ;;
        merge) merge_args+=("${option[@]}") ;;
      esac
    done
  done
  [[ " ${raw_ingest_args[*]-} " == *" --bootstrap-servers"* ]] \
    || die "missing --bootstrap-servers for raw-ingest (see '$0 run --help')"

  for stage in $PIPELINE_STAGES; do
    if [ -f "$STAGES_DIR/$stage.pid" ] && kill -0 "$(cat "$STAGES_DIR/$stage.pid")" 2>/dev/null; then
      die "$stage is already running (pid $(cat "$STAGES_DIR/$stage.pid")); '$0 stop' first"
    fi
  done
  check_pipeline_fits
  for stage in $PIPELINE_STAGES; do stage_jar "$stage" >/dev/null; done
  cluster_running || start
  mkdir -p "$STAGES_DIR"
  launch_stage raw-ingest ${raw_ingest_args[@]+"${raw_ingest_args[@]}"}
  launch_stage deserialize ${deserialize_args[@]+"${deserialize_args[@]}"}
  launch_stage merge ${merge_args[@]+"${merge_args[@]}"}
  # Up means: the master granted the driver its executor (the executor JVM may still be starting),
  # or stage 1 waits for its topic (it asks the cluster for nothing before the topic exists).
  for stage in $PIPELINE_STAGES; do
    wait_for_line "$STAGES_DIR/$stage.log" "Executor added: app-|TopicWaiter: .*waiting for it" 300 \
      "$(cat "$STAGES_DIR/$stage.pid")"
    if grep -q "TopicWaiter: .*waiting for it" "$STAGES_DIR/$stage.log"; then
      say "$stage is up, waiting for its topic: $(grep -o "TopicWaiter: .*" "$STAGES_DIR/$stage.log" | tail -n 1 | cut -c14-)"
    else
      say "$stage is up: the master granted it an executor"
    fi
  done
  say "pipeline running on $(url); '$0 status' shows it, '$0 stop' stops it and the cluster"
}

# launch_stage STAGE ARGS: submits the stage's jar in the background, log and pid in STAGES_DIR.
launch_stage() {
  local stage=$1
  shift
  # setsid + nohup: the driver outlives this script and its terminal; only 'stop' ends it.
  # Each step execs the next, so the recorded pid is the driver JVM's.
  setsid nohup bash "$0" submit "$(stage_jar "$stage")" "$@" >"$STAGES_DIR/$stage.log" 2>&1 </dev/null &
  echo $! >"$STAGES_DIR/$stage.pid"
  say "$stage submitted (pid $!), log $STAGES_DIR/$stage.log"
}

# The three stages together must fit the worker, or the last ones never get an executor.
check_pipeline_fits() {
  local total_cores=0 total_mb=0 detail="" stage worker_cores worker_mb
  for stage in $PIPELINE_STAGES; do
    share "$stage"
    total_cores=$((total_cores + SHARE_CORES))
    total_mb=$((total_mb + $(megabytes "$SHARE_EXECUTOR_MEMORY")))
    detail+="$stage $SHARE_CORES/$SHARE_EXECUTOR_MEMORY, "
  done
  if cluster_running; then
    read -r worker_cores worker_mb <<<"$(worker_size)"
  else
    worker_cores=$WORKER_CORES
    worker_mb=$(megabytes "$WORKER_MEMORY")
  fi
  [ "$total_cores" -le "$worker_cores" ] && [ "$total_mb" -le "$worker_mb" ] || die "the three stages ask" \
    "for $total_cores cores and ${total_mb}m of executors (${detail%, }) but the worker offers" \
    "$worker_cores cores (WORKER_CORES) and ${worker_mb}m (WORKER_MEMORY): raise those (then stop" \
    "and start the cluster) or lower <STAGE>_CORES / <STAGE>_EXECUTOR_MEMORY"
}

status() {
  if cluster_running; then
    read -r worker_cores worker_mb <<<"$(worker_size)"
    echo "cluster: running at $(cat "$STATE/master-url"), worker with $worker_cores cores and ${worker_mb}m (logs in $STATE)"
  else
    echo "cluster: not running"
  fi
  local stage pid
  for stage in $PIPELINE_STAGES; do
    if [ -f "$STAGES_DIR/$stage.pid" ]; then
      pid=$(cat "$STAGES_DIR/$stage.pid")
      if kill -0 "$pid" 2>/dev/null; then
        echo "$stage: running (pid $pid), log $STAGES_DIR/$stage.log"
      else
        echo "$stage: exited (was pid $pid), log $STAGES_DIR/$stage.log"
      fi
    else
      echo "$stage: not started by '$0 run'"
    fi
  done
}

# SIGTERM to every stage at once (each driver stops its queries, then Spark stops the context;
# an unfinished micro-batch is redone from the checkpoint at the next start), then up to 60 s for
# each to exit before SIGKILL.
stop_stages() {
  local stage pid deadline
  [ -d "$STAGES_DIR" ] || return 0
  for stage in $PIPELINE_STAGES; do
    [ -f "$STAGES_DIR/$stage.pid" ] || continue
    pid=$(cat "$STAGES_DIR/$stage.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
    else
      say "$stage driver (pid $pid) had already exited; its log: $STAGES_DIR/$stage.log"
      rm -f "$STAGES_DIR/$stage.pid"
    fi
  done
  deadline=$((SECONDS + 60))
  for stage in $PIPELINE_STAGES; do
    [ -f "$STAGES_DIR/$stage.pid" ] || continue
    pid=$(cat "$STAGES_DIR/$stage.pid")
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      say "killed $stage driver (pid $pid) after it ignored SIGTERM for 60 s"
    else
      say "stopped $stage driver (pid $pid)"
    fi
    rm -f "$STAGES_DIR/$stage.pid"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  status) status ;;
  run) shift; run "$@" ;;
  submit) shift; submit "$@" ;;
  *) die "usage: $0 start | run ARGS | submit JAR [ARGS...] | status | stop | url" ;;
esac
