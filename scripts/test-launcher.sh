#!/usr/bin/env bash
# Runs bin/csfl with stand-in JDKs whose java prints its arguments, and checks the flags that depend
# on the JDK's version (read from its release file): the sun.misc.Unsafe switch from JDK 23 on
# (unless CSFL_JAVA_OPTS sets it), and a class-data-sharing archive named after the JDK's version;
# and the collector: serial for simulate unless CSFL_JAVA_OPTS names a collector, the JDK's default
# for node, whatever csfl's own options come before the command; no huge pages unless asked for;
# and the PyTorch engine's class path, however the run asks for the engine (flag in any case,
# CSFL_ENGINE, a config file's engine key).
# Needs the jar built (run it after 'mvn install'), as bin/csfl would otherwise build it.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$home/cluster-node/target/csfl.jar"
[ -f "$jar" ] || { echo "test-launcher: no $jar; build it first (mvn -B -ntp install)" >&2; exit 1; }
fake="$(mktemp -d)"
locks=("$home"/cluster-node/target/csfl{-25.0.1,-23,-17.0.2,}.jsa.lock)
trap 'rm -rf "$fake"; rm -f "${locks[@]}"' EXIT
jdk() { # name version-or-empty: a stand-in JDK under $fake/name
  mkdir -p "$fake/$1/bin"
  printf '#!/bin/sh\necho "java $*"\n' > "$fake/$1/bin/java"
  chmod +x "$fake/$1/bin/java"
  [ -z "$2" ] || printf 'IMPLEMENTOR="test"\nJAVA_VERSION="%s"\nJAVA_RUNTIME_VERSION="%s+1"\n' "$2" "$2" > "$fake/$1/release"
}
jdk jdk25 25.0.1
jdk jdk23 23
jdk jdk17 17.0.2
jdk bare ""
failed=0
check() { # jdk CSFL_JAVA_OPTS what-must-appear what-must-not-appear [csfl's arguments before --rounds 1, simulate by default]
  local got command=("${@:5}")
  [ ${#command[@]} -gt 0 ] || command=(simulate)
  got="$(JAVA_HOME="$fake/$1" CSFL_JAVA_OPTS="$2" "$home/bin/csfl" "${command[@]}" --rounds 1)"
  if [[ -n "$3" && "$got" != *"$3"* ]] || [[ -n "$4" && "$got" == *"$4"* ]]; then
    echo "test-launcher: $1 with CSFL_JAVA_OPTS='$2': expected '$3'${4:+ and not '$4'} in: $got" >&2
    failed=1
  fi
}
unsafe=--sun-misc-unsafe-memory-access=allow
check jdk25 "" "$unsafe" ""
check jdk25 "" "-XX:ArchiveClassesAtExit=$home/cluster-node/target/csfl-25.0.1.jsa" ""
check jdk23 "" "$unsafe" ""
check jdk17 "" "-XX:ArchiveClassesAtExit=$home/cluster-node/target/csfl-17.0.2.jsa" "$unsafe"
check jdk25 "--sun-misc-unsafe-memory-access=warn" "--sun-misc-unsafe-memory-access=warn" "$unsafe"
check bare "" "-XX:ArchiveClassesAtExit=$home/cluster-node/target/csfl.jsa" "$unsafe"
check jdk17 "" "-XX:+UseSerialGC" ""
check jdk17 "-XX:+UseG1GC" "-XX:+UseG1GC" "-XX:+UseSerialGC"
check jdk17 "-Xmx2g -XX:+UseZGC -Xlog:gc" "-XX:+UseZGC" "-XX:+UseSerialGC"
check jdk17 "-XX:+UseTransparentHugePages -XX:+PrintGCDetails" "-XX:+UseSerialGC" ""
check jdk17 "" "" "-XX:+UseSerialGC" node
check jdk17 "" "" "-XX:+UseTransparentHugePages"
check jdk17 "" "" "-XX:+UseTransparentHugePages" node
check jdk17 "-XX:+UseG1GC" "" "-XX:+UseTransparentHugePages"
check jdk17 "-XX:+UseTransparentHugePages" "-XX:+UseTransparentHugePages" "" node
check jdk17 "" "-XX:+UseSerialGC" "" -q simulate
# The PyTorch engine's class path, however the run asks for the engine.
engine() { # what-the-run-must-be-given: the arguments after it, with CSFL_ENGINE_CLASSPATH set
  local expected="$1" got
  shift
  got="$(JAVA_HOME="$fake/jdk17" CSFL_ENGINE_CLASSPATH=/nowhere/engine.jar "$@" --rounds 1)"
  if { [ "$expected" = yes ] && [[ "$got" != *"/nowhere/engine.jar"* ]]; } || { [ "$expected" = no ] && [[ "$got" == *"/nowhere/engine.jar"* ]]; }; then
    echo "test-launcher: engine class path expected: $expected for: $*; got: $got" >&2
    failed=1
  fi
}
printf 'csfl {\n  engine = "PyTorch"  # the DJL engine\n}\n' > "$fake/engine.conf"
engine yes "$home/bin/csfl" simulate --engine PyTorch
engine yes "$home/bin/csfl" -q simulate --engine=pytorch
engine yes env CSFL_ENGINE=pytorch "$home/bin/csfl" simulate
engine yes "$home/bin/csfl" node --config "$fake/engine.conf"
engine yes env CSFL_CONFIG="$fake/engine.conf" "$home/bin/csfl" node
# An engine of one's own (--engine NAME, found by its ServiceLoader registration) comes from the same variable,
# however the run names it; a run of the Java engine, or of none named, starts with csfl.jar alone.
engine yes "$home/bin/csfl" simulate --engine mine
engine yes "$home/bin/csfl" simulate --engine=Mine
mkdir -p "$fake/run-mine" && printf '["--engine","mine","--rounds","3"]\n' > "$fake/run-mine/run-flags.json"
engine yes "$home/bin/csfl" simulate --resume "$fake/run-mine"
engine no "$home/bin/csfl" simulate --engine java
engine no "$home/bin/csfl" simulate
# A config file that may name an engine in a form the launcher does not read gets the class path; one that names java does not.
printf 'csfl { engine = mine }\n' > "$fake/mine-inline.conf"
printf 'csfl.engine = "java"  // the default\n' > "$fake/java.conf"
engine yes "$home/bin/csfl" simulate --config "$fake/mine-inline.conf"
engine no "$home/bin/csfl" simulate --config "$fake/java.conf"
# node's --resume takes no value: the flag after it is not a run directory to look into.
err="$(JAVA_HOME="$fake/jdk17" "$home/bin/csfl" node --resume --role server 2>&1 > /dev/null | grep -v '^csfl: buil' || true)"
if [ -n "$err" ]; then
  echo "test-launcher: node --resume --role server printed on stderr: $err" >&2
  failed=1
fi
# The JVM's stderr reaches the terminal whole, a NUL byte in it (a corrupt file's name or line) included.
jdk nul 17.0.2
printf '#!/bin/sh\nprintf "csfl: metrics.csv line 8: \\000\\000\\n" >&2\necho "csfl: after it" >&2\n' > "$fake/nul/bin/java"
err="$(JAVA_HOME="$fake/nul" "$home/bin/csfl" report x 2>&1 | tr -d '\000')"
if [[ "$err" != *"csfl: metrics.csv line 8: "*"csfl: after it"* ]]; then
  echo "test-launcher: stderr with a NUL byte came out as: $err" >&2
  failed=1
fi
# CSFL_CDS is on or off; anything else is one line and exit 2, before the JVM starts.
set +e
JAVA_HOME="$fake/jdk17" CSFL_CDS=bogus "$home/bin/csfl" simulate --rounds 1 > "$fake/cds.out" 2>&1
status=$?
set -e
err="$(grep -v '^csfl: buil' "$fake/cds.out" || true)"
if [ "$status" -ne 2 ] || [ "$err" != "csfl: CSFL_CDS must be on or off, got 'bogus'" ]; then
  echo "test-launcher: CSFL_CDS=bogus gave exit $status and: $err" >&2
  failed=1
fi
[ "$failed" -eq 0 ] && echo "test-launcher: PASS"
exit "$failed"
