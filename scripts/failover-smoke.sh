#!/usr/bin/env bash
# Failover smoke test of a CSFL cluster on 127.0.0.1: 7 JVMs, then an eighth (2 server-capable nodes sharing one
# --out, 2 aggregator nodes, 3 client nodes), CS on the mlp, 12 rounds, mutual TLS.
#  - the active server's node is killed with SIGKILL once round 3 is reported (during round 4, or
#    5 if round 4's checkpoint came first): the server singleton moves to the second server node,
#    which continues after the last checkpoint and runs the round the kill hit again;
#  - the active aggregator's node is killed with SIGKILL during round 8: the server retries the
#    round with the other aggregator, which resumes from the server's last global model;
#  - the only aggregator left is killed during round 10, and a replacement aggregator node is
#    started 20 s later: the server waits for it (--aggregator-grace) and it resumes the run.
# The run must finish; metrics.csv must hold rounds 1 to 12, each once and in order; each failure
# may cost at most 60 s of wall time (printed, with the wall-clock time of each kill, to read the
# nodes' logs against); every surviving node must exit 0, because the end of the run reaches every
# node (--exit-when-done).
# Ports: CSFL_FAILOVER_PORT (default 25620) to +7.
set -euo pipefail
name=failover-smoke
base="${CSFL_FAILOVER_PORT:-25620}"
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$home/target/$name}"
# shellcheck source=smoke-lib.sh
. "$home/scripts/smoke-lib.sh"
free_ports "$base" 8 CSFL_FAILOVER_PORT
"$csfl" --version >/dev/null            # builds the jar once, before seven JVMs race to
"$csfl" certs --out "$work/certs" --nodes server:server,aggregator:aggregator,client:client >/dev/null

start() { # node port args... (the certificate: the node's name less its trailing digits)
  local node=$1 port=$2; shift 2
  CSFL_LOG_LEVEL=INFO CSFL_JAVA_OPTS="-Xmx768m -XX:+UseSerialGC" CSFL_TRAINING_THREADS=1 "$csfl" node --port "$port" \
    --management-port off --seed-nodes "127.0.0.1:$base,127.0.0.1:$((base + 1))" --tls-dir "$work/certs/${node%%[0-9]*}" "$@" >"$work/$node.log" 2>&1 &
  pids+=($!)
  eval "pid_$node=$!"
}

exit_code() { # pid seconds: waits a bounded time for the process to end; sets code to its exit code (or "timeout")
  local deadline=$((SECONDS + $2))
  code=0
  while kill -0 "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { code=timeout; return; }
    sleep 0.2
  done
  wait "$1" || code=$?
}

now() { date +%s.%N; }
# The wall-clock time, to line the script's events up with the nodes' logs.
clock() { date +%T.%3N; }

# The node whose log says it runs the server, and the port of the aggregator that server took last.
active_server() { grep -l "server at akka://" "$work"/server*.log | tail -n 1 | xargs -r basename | sed 's/\.log$//'; }
aggregator_port() { grep -o "aggregator at akka://csfl@127.0.0.1:[0-9]*" "$work/$1.log" | tail -n 1 | sed 's/.*://'; }

t0=$SECONDS
# Three local epochs: a round's line is printed after its evaluation, which runs beside the next
# round's training, so with one epoch a kill sent on that line could fall after the next round's
# aggregation and the failover it means to cause would not happen.
run=(--algorithm cs --model mlp --clients 12 --per-round 4 --rounds 12 --local-epochs 3 --partition iid --eval-examples 1000
  --round-timeout 60s --seed 3 --exit-when-done)
echo "failover-smoke: 7 JVMs, ${run[*]}"
up() { for port in "$@"; do wait_for "$work/server1.log" "member up: akka://csfl@127.0.0.1:$port " 180; done; }
# In waves, each once the last is up: seven JVMs starting at once on two busy cores starve the failure detector.
start server1 "$base" --role server "${run[@]}" --out "$work/out"
up "$base"
# The standby may start after the run began (or be restarted): --resume lets it start into the shared --out.
start server2 $((base + 1)) --role server "${run[@]}" --out "$work/out" --resume
start aggregator1 $((base + 2)) --role aggregator "${run[@]}"
start aggregator2 $((base + 3)) --role aggregator "${run[@]}"
up $((base + 1)) $((base + 2)) $((base + 3))
start client1 $((base + 4)) --role client --client-ids 0-3 "${run[@]}"
start client2 $((base + 5)) --role client --client-ids 4-7 "${run[@]}"
start client3 $((base + 6)) --role client --client-ids 8-11 "${run[@]}"

wait_for "$work/server1.log" "\[cs\] round 3 " 240
first=$(active_server)
[ "$first" = server1 ] || fail "expected server1 (the oldest server node) to run the server, found '$first'"
kill -9 "$pid_server1"
killed_server=$(now)
# Round 3's line follows its checkpoint, and round 4 may already be aggregated then: its checkpoint
# can land before the kill. The round the kill hit is the one after the newest checkpoint.
saved=$(ls "$work/out/checkpoints" | sed -n 's/^cs-round-0*\([0-9][0-9]*\)\.safetensors$/\1/p' | sort -n | tail -n 1)
[ -n "$saved" ] && [ "$saved" -lt 6 ] || fail "expected the killed server's newest checkpoint to be of round 3 to 5, found '$saved'"
hit=$((saved + 1))
echo "failover-smoke: $(clock) killed the active server (server1, pid $pid_server1) during round $hit"
wait_for "$work/server2.log" "\[cs\] round $hit " 90
server_back=$(now)
echo "failover-smoke: $(clock) server2 ended round $hit"
grep -q "continuing after round $saved " "$work/server2.log" || fail "server2 did not continue after round $saved's checkpoint"

wait_for "$work/server2.log" "\[cs\] round 7 " 120
port=$(aggregator_port server2)
case "$port" in
  $((base + 2))) victim=aggregator1 ;;
  $((base + 3))) victim=aggregator2 ;;
  *) fail "cannot tell which aggregator server2 uses (port '$port')" ;;
esac
eval "kill -9 \"\$pid_$victim\""
killed_aggregator=$(now)
echo "failover-smoke: $(clock) killed the active aggregator ($victim) during round 8"
wait_for "$work/server2.log" "\[cs\] round 8 " 90
aggregator_back=$(now)
echo "failover-smoke: $(clock) server2 ended round 8"
grep -q "round 8: aggregator .* resumes" "$work/server2.log" \
  || echo "failover-smoke: note: the kill fell after round 8's aggregation, so round 8 needed no other aggregator; its cost below measures nothing"

wait_for "$work/server2.log" "\[cs\] round 9 " 120
[ "$victim" = aggregator1 ] && last=aggregator2 || last=aggregator1
eval "kill -9 \"\$pid_$last\""
killed_last=$(now)
echo "failover-smoke: $(clock) killed the only aggregator left ($last) during round 10; a new one starts in 20 s"
sleep 20
start aggregator3 $((base + 7)) --role aggregator "${run[@]}"
echo "failover-smoke: $(clock) started aggregator3"
wait_for "$work/server2.log" "\[cs\] round 10 " 180
replaced_back=$(now)
echo "failover-smoke: with a replacement started 20 s after the kill, round 10 ended $(awk -v k="$killed_last" \
  -v b="$replaced_back" 'BEGIN { printf "%.1f", b - k }') s after the kill"

exit_code "$pid_server2" 120
[ "$code" = 0 ] || fail "server2 exited with $code, not 0"
csv="$work/out/metrics.csv"
rounds=$(awk -F, 'NR > 1 { printf "%s ", $2 }' "$csv")
[ "$rounds" = "$(seq -s ' ' 1 12) " ] || fail "metrics.csv holds rounds '$rounds', not 1 to 12 once each in order"
# A failure's cost: the time from the kill to the end of the round it hit, less a round without failure (the median).
median=$(awk -F, -v hit="$hit" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "wall_ms") c = i }
  NR > 2 && $2 != hit && $2 != 8 && $2 != 10 { print $c / 1000 }' "$csv" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
for failure in "server:$killed_server:$server_back" "aggregator:$killed_aggregator:$aggregator_back"; do
  IFS=: read -r what killed back <<<"$failure"
  cost=$(awk -v k="$killed" -v b="$back" -v m="$median" 'BEGIN { printf "%.1f", b - k - m }')
  echo "failover-smoke: losing the $what cost $cost s (kill to the round's end $(awk -v k="$killed" -v b="$back" 'BEGIN { printf "%.1f", b - k }') s, less a normal round of $median s)"
  # Detection alone takes the failure detector's 10 s and the resolver's 7 s, the singleton waits
  # 3 s more before it moves, and the new server's first round runs on a cold JVM: on a loaded
  # 2-core machine losing the server cost about 28 s (docs/cluster.md, what a failover waits for),
  # too close to 30 s to assert. 60 s is the bound that fails a regression (a retry that waited
  # for the round timeout) without failing a busy machine.
  awk -v c="$cost" 'BEGIN { exit !(c <= 60) }' || fail "losing the $what cost $cost s, more than 60 s"
done
survivors=(client1 client2 client3 aggregator3)
for node in "${survivors[@]}"; do
  exit_code "$(eval "echo \$pid_$node")" 60
  [ "$code" = 0 ] || fail "$node exited with $code, not 0"
done
cat "$csv"
echo "failover-smoke: PASS in $((SECONDS - t0)) s: 12 rounds once each; server2 and ${survivors[*]} exited 0"
