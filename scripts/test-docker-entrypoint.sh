#!/usr/bin/env bash
# Runs docker/Dockerfile's ENTRYPOINT command with sh and a stand-in for java that prints its
# arguments, and checks the JVM flags it gives for each kind of CSFL_JAVA_OPTS: a 2 GB heap unless
# they size the heap, no huge pages unless they ask for them, their own flags after, and `csfl node`
# with the container's arguments last.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fake="$(mktemp -d)"
trap 'rm -rf "$fake"' EXIT
printf '#!/bin/sh\necho "java $*"\n' > "$fake/java"
chmod +x "$fake/java"
mapfile -t entry < <(python3 -c '
import json, sys
line = next(l for l in open(sys.argv[1]) if l.startswith("ENTRYPOINT "))
print("\n".join(json.loads(line[len("ENTRYPOINT "):])))' "$home/docker/Dockerfile")
tail="--add-modules jdk.incubator.vector -Dcsfl.home=/csfl -jar /csfl/csfl.jar node --role client"
failed=0
check() { # CSFL_JAVA_OPTS expected-command-line
  local got
  if [ "$1" = unset ]; then
    got="$(env -u CSFL_JAVA_OPTS PATH="$fake:$PATH" "${entry[@]}" --role client)"
  else
    got="$(CSFL_JAVA_OPTS="$1" PATH="$fake:$PATH" "${entry[@]}" --role client)"
  fi
  if [ "$got" != "$2" ]; then
    echo "test-docker-entrypoint: with CSFL_JAVA_OPTS=$1: got '$got', expected '$2'" >&2
    failed=1
  fi
}
check unset "java -Xmx2g $tail"
check "-XX:+UseSerialGC" "java -Xmx2g -XX:+UseSerialGC $tail"
check "-Xmx4g -XX:+UseSerialGC" "java -Xmx4g -XX:+UseSerialGC $tail"
check "-XX:MaxRAMPercentage=75" "java -XX:MaxRAMPercentage=75 $tail"
check "-XX:+UseTransparentHugePages" "java -Xmx2g -XX:+UseTransparentHugePages $tail"
[ "$failed" -eq 0 ] && echo "test-docker-entrypoint: PASS"
exit "$failed"
