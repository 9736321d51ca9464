#!/usr/bin/env bash
# The bundle's artifact build (databricks.yml, artifacts.jars): builds the jars a deploy uploads
# and names them <module>-<version>-<git commit>-<flavour>.jar in target/bundle/.
#
# A name a deploy has used is never reused for other code: the commit is in it, the tree must
# be clean (the jar is what the commit says), and the build is reproducible
# (project.build.outputTimestamp), so deploying one commit twice uploads the same bytes. With
# experimental.skip_artifact_cleanup the CLI leaves earlier uploads alone, so a running job keeps
# the jar it loaded until its run is replaced.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -n "$(git status --porcelain --untracked-files=normal)" ]; then
  echo "build-jars.sh: the working tree has uncommitted changes:" >&2
  git status --short >&2
  echo "The uploaded jars are named after the commit, so they must be built from it alone." >&2
  echo "Commit (a work-in-progress commit on a branch is fine) and deploy again." >&2
  exit 1
fi
commit=$(git rev-parse HEAD)
# The root pom's own <version> is its first (it has no parent).
version=$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' pom.xml | head -n 1)

mvn -B -DskipTests package -pl raw-ingest,deserialize,merge,launcher,ops -am

rm -rf target/bundle
mkdir -p target/bundle
for module in raw-ingest deserialize merge launcher ops; do
  cp "$module/target/$module-$version-databricks.jar" \
    "target/bundle/$module-$version-$commit-databricks.jar"
done
cp "raw-ingest/target/raw-ingest-$version-connect.jar" \
  "target/bundle/raw-ingest-$version-$commit-connect.jar"
ls -l target/bundle
