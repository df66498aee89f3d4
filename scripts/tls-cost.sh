#!/usr/bin/env bash
# What mutual TLS costs a short federation, as the smoke test's last phase measures it, with more
# alternations: the smoke test's cost federation (a server-and-aggregator node and two client
# nodes of 4 clients, CS on the mlp, rounds of 1 local epoch) runs once per variant and pass, in
# forward order on odd passes and backward on even ones (ABBA ABBA ... for two variants), so that
# a trend in the machine's load falls on all variants alike. It prints each run's mean round wall
# time (over all rounds, and from round STEADY on) and the CPU time its three processes used,
# then per variant the medians of its runs and their ratios to the first variant's medians.
#
#   scripts/tls-cost.sh [-n PASSES] [-r ROUNDS] [-s STEADY] [-p BASE_PORT] [-j JAR | -l] [-t] DIR VARIANT...
#
# A VARIANT is name=flags, the node flags that make it: 'plain=--insecure', 'tls=' (mutual TLS
# with certificates made in DIR), 'tls13=--config tls13.conf'. Every node of a run gets the
# variant's flags. Defaults: 4 passes, 16 rounds (as the smoke test), STEADY 5, ports
# 27400-27402, the jar bin/csfl builds. -t also reads the CPU time of every thread of the three
# JVMs (scripts/thread-cpu.py, Linux's /proc) and ends with a table of it by thread group:
# per variant the medians of its runs, and their differences to the first variant's. -l starts
# the nodes through bin/csfl, as the smoke test does (with the launcher's class-data-sharing
# archive), instead of with 'java -jar'.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=cost-lib.sh
source "$home/scripts/cost-lib.sh"
passes=4
rounds=16
steady=5
base=27400
jar=""
threads=""
launcher=""
while getopts "n:p:j:r:s:tl" opt; do
  case $opt in
    n) passes=$OPTARG ;;
    p) base=$OPTARG ;;
    j) jar=$OPTARG ;;
    r) rounds=$OPTARG ;;
    s) steady=$OPTARG ;;
    t) threads=1 ;;
    l) launcher=1 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { sed -n '2,17p' "$0" >&2; exit 2; }
work=$1; shift
variants=("$@")
mkdir -p "$work"
work="$(cd "$work" && pwd)"
if [ -n "$launcher" ] && [ -n "$jar" ]; then
  echo "tls-cost: -l runs the jar bin/csfl builds; give -j or -l, not both" >&2
  exit 2
fi
if [ -z "$jar" ]; then
  "$home/bin/csfl" --version >/dev/null
  jar="$home/cluster-node/target/csfl.jar"
fi
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
rm -rf "$work/certs"
"$java" -jar "$jar" certs --out "$work/certs" --nodes server:server+aggregator,client:client >/dev/null 2>&1

pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap cleanup EXIT

cost=(--algorithm cs --model mlp --clients 8 --per-round 4 --rounds "$rounds" --local-epochs 1 --partition iid --round-timeout 60s --seed 3)
node() { # log cert port variant-flags... -- node-args...
  local log=$1 cert=$2 port=$3 tls; shift 3
  local flags=()
  while [ "$1" != -- ]; do flags+=("$1"); shift; done
  shift
  tls=(--tls-dir "$work/certs/$cert")
  case " ${flags[*]-} " in *" --insecure "*) tls=() ;; esac
  local launch=("$java" -Xmx1g -Dslf4j.internal.verbosity=ERROR --add-modules jdk.incubator.vector -Dcsfl.home="$home" -jar "$jar")
  [ -z "$launcher" ] || launch=("$home/bin/csfl")
  (CSFL_TRAINING_THREADS=1 CSFL_JAVA_OPTS=-Xmx1g exec "${launch[@]}" node --port "$port" --seed-nodes "127.0.0.1:$base,127.0.0.1:$((base + 1))" \
    --management-port off "${tls[@]}" ${flags[@]+"${flags[@]}"} "$@" >"$log" 2>&1) &
  pids+=($!)
}

run() { # out variant-flags...
  local out=$1 server; shift
  node "$out.server.log" server "$base" "$@" -- --role server,aggregator "${cost[@]}" --out "$out" --exit-when-done
  server=${pids[-1]}
  node "$out.client1.log" client $((base + 1)) "$@" -- --role client --client-ids 0-3 "${cost[@]}"
  node "$out.client2.log" client $((base + 2)) "$@" -- --role client --client-ids 4-7 "${cost[@]}"
  local sampler=""
  if [ -n "$threads" ]; then
    python3 "$home/scripts/thread-cpu.py" sample "$out.threads.json" "$server" "${pids[-2]}" "${pids[-1]}" &
    sampler=$!
  fi
  local deadline=$((SECONDS + 300))
  while kill -0 "$server" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "tls-cost: $out did not finish within 300 s" >&2; exit 1; }
    sleep 0.5
  done
  [ -z "$sampler" ] || wait "$sampler"
  cleanup
  [ -f "$out/metrics.csv" ] || { echo "tls-cost: no $out/metrics.csv; see $out.server.log" >&2; exit 1; }
  sleep 1 # the ports' sockets close
}

declare -A all1 all2 cpus
for pass in $(seq 1 "$passes"); do
  order=$(seq 0 $((${#variants[@]} - 1)))
  [ $((pass % 2)) -eq 1 ] || order=$(echo "$order" | tac)
  for i in $order; do
    name=${variants[$i]%%=*}
    read -r -a flags <<< "${variants[$i]#*=}"
    out="$work/$name-$pass"
    rm -rf "$out"
    children_cpu cpu0 "$work/times"
    run "$out" ${flags[@]+"${flags[@]}"}
    cpu_since cpu "$cpu0" "$work/times"
    m1=$(mean_wall "$out/metrics.csv" 1)
    m2=$(mean_wall "$out/metrics.csv" "$steady")
    all1[$name]="${all1[$name]-} $m1"
    all2[$name]="${all2[$name]-} $m2"
    cpus[$name]="${cpus[$name]-} $cpu"
    echo "tls-cost: pass $pass $name: mean round wall time, rounds 1-$rounds: $m1 ms, rounds $steady-$rounds: $m2 ms; CPU time $cpu s"
  done
done

first=${variants[0]%%=*}
# shellcheck disable=SC2086
ref1=$(median ${all1[$first]})
# shellcheck disable=SC2086
ref2=$(median ${all2[$first]})
# shellcheck disable=SC2086
ref3=$(median ${cpus[$first]})
for v in "${variants[@]}"; do
  name=${v%%=*}
  # shellcheck disable=SC2086
  r1=$(median ${all1[$name]})
  # shellcheck disable=SC2086
  r2=$(median ${all2[$name]})
  # shellcheck disable=SC2086
  r3=$(median ${cpus[$name]})
  awk -v n="$name" -v f="$first" -v r1="$r1" -v r2="$r2" -v r3="$r3" -v a="$ref1" -v b="$ref2" -v c="$ref3" -v p="$passes" -v r="$rounds" -v s="$steady" 'BEGIN {
    printf "tls-cost: %s, medians of %d runs: rounds 1-%d %.0f ms (%.3f of %s), rounds %d-%d %.0f ms (%.3f of %s), CPU time %.1f s (%.3f of %s)\n", n, p, r, r1, r1 / a, f, s, r, r2, r2 / b, f, r3, r3 / c, f }'
done
if [ -n "$threads" ]; then
  echo "tls-cost: CPU time by thread group, the three processes together, medians of $passes runs:"
  specs=()
  for v in "${variants[@]}"; do
    name=${v%%=*}
    files=$(seq 1 "$passes" | sed "s|.*|$work/$name-&.threads.json|" | paste -sd, -)
    specs+=("$name=$files")
  done
  python3 "$home/scripts/thread-cpu.py" report "${specs[@]}"
fi
