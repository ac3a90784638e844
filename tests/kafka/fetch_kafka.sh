#!/usr/bin/env bash
# Fetches the Apache Kafka broker pinned in tests/kafka/pom.xml from Maven Central, once, with
# the ordinary Maven client, into a cache outside the build tree (a rebuild or a fresh clone on
# the same machine does not fetch again). Prints the folder holding the jars on its last line.
#   SENSORGATE_KAFKA_CACHE  cache root (default: ${XDG_CACHE_HOME:-$HOME/.cache}/sensorgate-kafka)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
cache=${SENSORGATE_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sensorgate-kafka}
dest="$cache/$version"

if [ ! -f "$dest/complete" ]; then
  for tool in java mvn; do
    command -v "$tool" >/dev/null || {
      echo "fetch_kafka: $tool not found; run scripts/install-deps.sh as root" >&2
      exit 1
    }
  done
  echo "fetch_kafka: fetching Apache Kafka $version into $dest (once)" >&2
  rm -rf "$dest/libs.partial"
  mkdir -p "$dest"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$dest/libs.partial" >&2
  rm -rf "$dest/libs"
  mv "$dest/libs.partial" "$dest/libs"
  touch "$dest/complete"
fi
echo "$dest/libs"
