#!/usr/bin/env bash
# The one-command demo: runs StreamLake on this machine with nothing running beforehand.
#
#   ./demo.sh                 three stages as three driver processes (deployment shape 3)
#   ./demo.sh --one-driver    all three stages in one driver (shape 1)
#   ./demo.sh --help          the other options (--records N, --lake DIR, ...)
#
# Builds what is missing (mvn -B -q -DskipTests package: everything comes from Maven Central),
# starts a local Kafka broker, produces sample sensor readings (late, duplicate and broken ones
# included), runs the stages, waits until gold has caught up, prints a report and stops all it
# started, on Ctrl-C too. The lake folder (default ./demo-lake) and the logs stay for inspection.
set -euo pipefail
source "$(dirname "$0")/scripts/lib.sh"
cd_root() { cd "$STREAMLAKE_ROOT"; }

built() {
  [ -d "$SPARK_HOME_DIR/jars" ] && [ -d "$KAFKA_BROKER_LIB" ] || return 1
  local m
  for m in raw-ingest deserialize merge launcher ops; do
    [ -n "$(module_jar "$m" -spark.jar)" ] || return 1
  done
  [ -n "$(module_jar local-stack .jar)" ] && [ -n "$(module_jar end-to-end .jar)" ]
}

if ! built; then
  command -v mvn >/dev/null || die "Maven (mvn) is needed to build StreamLake; install it and a JDK 17"
  say "building StreamLake (mvn -B -q -DskipTests package; the first build downloads from Maven Central)"
  (cd_root && mvn -B -q -DskipTests package)
  built || die "the build finished but some jars are still missing"
fi

# The demo's own JVM: Spark's jars (Spark, Avro, Jackson, log4j/slf4j), the launcher's -spark jar
# (our common classes, Delta, kafka-clients), local-stack (the forked broker, the producer, the
# payload encoder, the stage drivers) and the demo itself. The stages run in JVMs of their own
# over their own jars.
CLASSPATH_DEMO="$SPARK_HOME_DIR/jars/*:$(module_jar launcher -spark.jar):$(module_jar local-stack .jar):$(module_jar end-to-end .jar)"

# shellcheck disable=SC2086 # QUICK_JVM_OPTS and JAVA_OPENS are lists of flags
exec java -Xmx1g $QUICK_JVM_OPTS $JAVA_OPENS \
  -Dlog4j2.configurationFile=classpath:log4j2-demo.properties \
  -Dstreamlake.root="$STREAMLAKE_ROOT" \
  -Dstreamlake.kafka.broker.lib="$KAFKA_BROKER_LIB" \
  -cp "$CLASSPATH_DEMO" dev.streamlake.e2e.Demo "$@"
