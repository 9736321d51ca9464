#!/usr/bin/env bash
# A Spark standalone cluster on 127.0.0.1 from the Maven-built Spark home (no download outside
# the build), and spark-submit against it.
#
#   scripts/local-cluster.sh start            master + one worker; prints the master URL
#   scripts/local-cluster.sh submit JAR ARGS  spark-submit JAR (client mode) to the cluster
#   scripts/local-cluster.sh stop             stops worker and master
#   scripts/local-cluster.sh url              prints the master URL of the running cluster
#
# Environment: STREAMLAKE_CLUSTER_DIR (state and logs; default .run/cluster),
# WORKER_CORES (default 2), WORKER_MEMORY (default 4g), SPARK_HOME (default spark-home/target/spark-home),
# LOCAL_JVM_OPTS (JVM flags of master, worker, driver and executors), SPARK_SUBMIT_OPTS (more
# spark-submit options, e.g. "--conf spark.executor.memory=2g").
set -euo pipefail
source "$(dirname "$0")/lib.sh"

STATE=${STREAMLAKE_CLUSTER_DIR:-$STREAMLAKE_ROOT/.run/cluster}
CP="$SPARK_HOME_DIR/conf:$SPARK_HOME_DIR/jars/*"
# Small JVMs sharing a few cores: the client compiler and a serial collector start as fast and
# burn about a third less CPU than the server defaults. Override with LOCAL_JVM_OPTS.
LOCAL_JVM_OPTS=${LOCAL_JVM_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}

start() {
  require_spark_home
  if [ -f "$STATE/master.pid" ] && kill -0 "$(cat "$STATE/master.pid")" 2>/dev/null; then
    die "a cluster is already running (master pid $(cat "$STATE/master.pid"), $(cat "$STATE/master-url")); stop it first"
  fi
  mkdir -p "$STATE/work"
  rm -f "$STATE"/*.log "$STATE/master-url"
  say "starting Spark master (logs in $STATE)"
  SPARK_HOME=$SPARK_HOME_DIR nohup java -Xmx512m $LOCAL_JVM_OPTS $JAVA_OPENS -cp "$CP" \
    -Dspark.master.rest.enabled=false \
    org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 0 --webui-port 0 \
    >"$STATE/master.log" 2>&1 </dev/null &
  echo $! >"$STATE/master.pid"
  wait_for_line "$STATE/master.log" "Starting Spark master at spark://" 90 "$(cat "$STATE/master.pid")"
  local url
  url=$(grep -Eo "spark://[0-9.]+:[0-9]+" "$STATE/master.log" | head -n 1)
  echo "$url" >"$STATE/master-url"
  say "starting Spark worker for $url"
  SPARK_HOME=$SPARK_HOME_DIR nohup java -Xmx512m $LOCAL_JVM_OPTS $JAVA_OPENS -cp "$CP" \
    org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --port 0 --webui-port 0 \
    --cores "${WORKER_CORES:-2}" --memory "${WORKER_MEMORY:-4g}" --work-dir "$STATE/work" "$url" \
    >"$STATE/worker.log" 2>&1 </dev/null &
  echo $! >"$STATE/worker.pid"
  wait_for_line "$STATE/worker.log" "Successfully registered with master" 90 "$(cat "$STATE/worker.pid")"
  say "cluster up: $url"
  echo "MASTER_URL=$url"
}

stop() {
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

submit() {
  [ $# -ge 1 ] || die "usage: $0 submit JAR [ARGS...]"
  require_spark_home
  local master
  master=$(url)
  # Client mode: the driver runs here; executors come from the worker.
  exec java -Xmx1g $LOCAL_JVM_OPTS $JAVA_OPENS -cp "$CP" org.apache.spark.deploy.SparkSubmit \
    --master "$master" --deploy-mode client \
    --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 \
    --conf spark.ui.enabled=false --conf spark.sql.shuffle.partitions=2 \
    --conf spark.executor.memory=1g --conf "spark.executor.extraJavaOptions=$LOCAL_JVM_OPTS" \
    ${SPARK_SUBMIT_OPTS:-} "$@"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  submit) shift; submit "$@" ;;
  *) die "usage: $0 start | stop | url | submit JAR [ARGS...]" ;;
esac
