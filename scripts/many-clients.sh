#!/usr/bin/env bash
# How long one client node hosting N clients takes to join a federation: a server+aggregator node
# and one client node (N mlp clients, iid, one local epoch, one round of PER_ROUND clients, 50 by
# default) on 127.0.0.1,
# plain TCP. Prints, from the nodes' logs: seconds from the client node's start to its member-up,
# to its clients hosted, to all N registered at the server (the server starts) and to round 1's
# end, and from its member-up to all registered; heartbeat
# and reachability warnings; each JVM's CPU time and peak RSS; the client node's largest heap
# after a GC.
# Usage: scripts/many-clients.sh JAR N [WORK]
#   JAR: cluster-node/target/csfl.jar; two ports from CSFL_PORT (default 27500)
set -euo pipefail
jar=$1 n=$2 work=${3:-target/many-clients/$2}
base=${CSFL_PORT:-27500}
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rm -rf "$work" && mkdir -p "$work"
jvm=(java -Xmx2g -Dslf4j.internal.verbosity=ERROR --add-modules jdk.incubator.vector)
args=(node --insecure --data-dir "$home/data/fashion-mnist" --model mlp --clients "$n" --partition iid --per-round "${PER_ROUND:-50}"
  --local-epochs 1 --rounds 1 --eval-examples 1000 --seed-nodes "127.0.0.1:$base" --management-port off --exit-when-done)
now() { perl -MTime::HiRes=time -e 'printf "%.3f", time'; }
stamp() { perl -MTime::HiRes=time -ne '$|=1; printf "%.3f %s", time, $_'; }
timed() { /usr/bin/time -f "cpu %U+%S s, max rss %M KB" -o "$work/$1.time" "${@:2}"; }
export CSFL_LOG_LEVEL=INFO CSFL_TRAINING_THREADS=1
timed server "${jvm[@]}" -jar "$jar" "${args[@]}" --role server,aggregator --port "$base" --min-clients "$n" \
  --out "$work/out" 2>&1 | stamp >"$work/server.log" &
until grep -q "server at" "$work/server.log" 2>/dev/null; do sleep 0.2; done
start=$(now)
timed client "${jvm[@]}" -Xlog:gc:file="$work/client-gc.log" -jar "$jar" "${args[@]}" --role client \
  --port $((base + 1)) --client-ids "0-$((n - 1))" 2>&1 | stamp >"$work/client.log" &
wait
at() { # log pattern: seconds from the client node's start to the first line matching
  PATTERN=$2 START=$start perl -ne 'if (/$ENV{PATTERN}/) { printf "%.1f", $1 - $ENV{START} if /^(\S+)/; exit }' "$work/$1.log"
}
up=$(at server "member up: \\S+:$((base + 1))") registered=$(at server 'clients and an aggregator registered')
echo "clients=$n, seconds from the client node's start to: member up $up," \
  "clients hosted $(at client 'hosting [0-9]+ clients'), all registered $registered," \
  "round 1 ended $(at server '\] round 1 ')"
echo "round 1: $(grep -o '\] round 1 .*' "$work/server.log" | head -1)"
echo "all clients taken on $(awk "BEGIN { printf \"%.1f\", $registered - $up }") s after the client node's member-up"
echo "handshakes asked again: $(grep -c 'did not answer' "$work/server.log" || true);" \
  "heartbeat/unreachable warnings: server $(grep -ciE 'heartbeat|unreachable' "$work/server.log" || true)," \
  "client $(grep -ciE 'heartbeat|unreachable' "$work/client.log" || true)"
echo "server: $(tail -1 "$work/server.time"); client: $(tail -1 "$work/client.time")"
echo "client peak heap after GC: $(perl -ne 'print "$1\n" if /->(\d+)M/' "$work/client-gc.log" | sort -n | tail -1) MB"
