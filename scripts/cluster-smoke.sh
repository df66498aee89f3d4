#!/usr/bin/env bash
# Multi-process smoke test of a CSFL cluster on 127.0.0.1 (run by .ci/run):
#  1. one server node, one aggregator node and three client-node JVMs (--client-ids auto: they
#     share the 30 clients) train 7 rounds of CS; one client node is killed with SIGKILL once
#     round 1 is reported. All 7 rounds must complete; one round before the last, the one the
#     kill hit, must show fewer completed than selected clients; every round after it must
#     complete every client it selected: the server waits for the lost clients
#     (--lost-client-wait), which the two surviving nodes start again (then hosting all 30).
#  2. the cnn (6.6 MB dense, 26 times Artery's default frame size) trains 2 rounds across processes.
#  3. STC trains 6 rounds with server and aggregator on separate nodes: every round completes all
#     its clients, and returning clients get differences, far smaller than the dense model.
#  4. intruders: a node without TLS (--insecure) and one with a certificate from another CA knock
#     on a running federation, claiming the clients nobody else hosts. Neither becomes a member,
#     the server starts with and keeps the certified client node's clients only, and every round
#     completes all its selected clients.
#  5. the cost of TLS: one short CS federation with mutual TLS and the same with --insecure, three
#     times each in alternation; per variant, the medians of the runs' mean round wall times (over
#     all 24 rounds and over rounds 5-24: the JVMs warm up in the first rounds) and of the CPU time
#     its three processes used, and the TLS/plain ratios.
# Up to five JVMs share the machine, so each node trains on one thread.
# All nodes speak mutual TLS with certificates made once by 'csfl certs' (except where --insecure).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$home/target/cluster-smoke}"
rm -rf "$work" && mkdir -p "$work"
csfl="$home/bin/csfl"
# shellcheck source=cost-lib.sh
source "$home/scripts/cost-lib.sh"
base="${CSFL_SMOKE_PORT:-25520}"
for port in $(seq "$base" $((base + 4))); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "cluster-smoke: port $port on 127.0.0.1 is in use; stop what holds it or set CSFL_SMOKE_PORT" >&2
    exit 1
  fi
done
"$csfl" --version >/dev/null            # builds the jar once, before five JVMs race to
# One certificate per kind of node; the client nodes share one, as replicas of docker-compose.yml's client service do.
"$csfl" certs --out "$work/certs" --nodes server:server+aggregator,aggregator:aggregator,client:client >/dev/null
"$csfl" certs --out "$work/foreign-certs" --nodes intruder >/dev/null
pids=()
logs=() # the logs of the phase under way, shown when it fails

ports_free() { # seconds: until no port of the smoke test accepts connections
  local deadline=$((SECONDS + $1)) port
  for port in $(seq "$base" $((base + 4))); do
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
      [ $SECONDS -lt $deadline ] || { echo "cluster-smoke: port $port still in use after $1 s" >&2; return 1; }
      sleep 0.2
    done
  done
}

# Kills the phase's nodes and reaps them, so that the next phase finds its ports free.
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  ports_free 30
  logs=()
}
trap cleanup EXIT
trap 'echo "cluster-smoke: interrupted" >&2; exit 130' INT TERM

fail() {
  echo "cluster-smoke: FAIL: $*" >&2
  for f in "${logs[@]}"; do echo "--- $f" >&2; tail -40 "$f" >&2; done
  exit 1
}

start() { # name port args... (the certificate of the name after its last '_' less digits, unless args has --insecure or --tls-dir)
  local name=$1 port=$2 cert=${1##*_} tls; shift 2
  tls=(--tls-dir "$work/certs/${cert%%[0-9]*}")
  case " $* " in *" --insecure "* | *" --tls-dir "*) tls=() ;; esac
  CSFL_LOG_LEVEL=INFO CSFL_JAVA_OPTS="-Xmx1g" CSFL_TRAINING_THREADS=1 "$csfl" node --port "$port" --seed-nodes "127.0.0.1:$base,127.0.0.1:$((base + 1))" \
    --management-port off "${tls[@]}" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  logs+=("$work/$name.log")
  eval "pid_$name=$!"
}

wait_exit() { # name seconds: waits for the node to exit, at most that long, and fails unless it exits 0
  local pid deadline=$((SECONDS + $2)) code=0
  eval "pid=\$pid_$1"
  while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "the $1 node did not exit within $2 s"
    sleep 0.5
  done
  wait "$pid" || code=$?
  [ "$code" -eq 0 ] || fail "the $1 node exited with $code"
}

wait_for() { # file pattern seconds
  local deadline=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "no '$2' in $1 within $3 s"
    sleep 0.1
  done
}

echo "cluster-smoke: 5 JVMs, CS on the mlp, a client node killed once round 1 is reported"
# A round's line comes once it is evaluated and checkpointed, when the next may be done and the
# one after running: the kill lands in round 2 or 3, or later on a starved machine, hence 7 rounds.
# The killed round ends once the node is removed, not at its timeout; the timeout is long so that
# no round before the kill, which takes 15-25 s of training here, runs into it on a loaded machine.
mlp=(--algorithm cs --model mlp --clients 30 --per-round 15 --rounds 7 --local-epochs 5 --partition iid --round-timeout 120s --seed 3)
# The server waits for lost clients before it samples a round: the pool starts them again once membership settles.
start server "$base" --role server "${mlp[@]}" --out "$work/mlp" --exit-when-done --lost-client-wait 60s
start aggregator $((base + 1)) --role aggregator "${mlp[@]}"
start client1 $((base + 2)) --role client --client-ids auto "${mlp[@]}"
start client2 $((base + 3)) --role client --client-ids auto "${mlp[@]}"
start client3 $((base + 4)) --role client --client-ids auto "${mlp[@]}"
wait_for "$work/server.log" "\[cs\] round 1 " 240
kill -9 "$pid_client1"
echo "cluster-smoke: killed client node 1 (pid $pid_client1) once round 1 was reported"
wait_exit server 300
rows=$(($(wc -l < "$work/mlp/metrics.csv") - 1))
[ "$rows" -eq 7 ] || fail "expected 7 rounds in metrics.csv, got $rows"
# The kill falls after round 1. Round 1 itself may lose clients too: with --client-ids auto, a
# client node that is up only once round 1 has started takes over clients from the others when
# the pool settles (5 s later), and those drop out of round 1 on the node that gave them up.
lossy=$(awk -F, 'NR > 1 && $2 >= 2 && $8 < $7 { print $2 }' "$work/mlp/metrics.csv" | head -n 1)
[ -n "$lossy" ] || fail "no round after round 1 recorded fewer completed than selected clients"
[ "$lossy" -lt 7 ] || fail "the kill hit the last round: nothing after it shows the lost clients back"
echo "cluster-smoke: 7 rounds done; round $lossy completed fewer clients than it selected"
awk -F, -v lossy="$lossy" 'NR > 1 && $2 > lossy && $8 != $7 { bad = 1 } END { exit bad }' "$work/mlp/metrics.csv" \
  || fail "a round after round $lossy did not complete every selected client"
# Round 2 sends every client the first sparse model; later, returning clients get patches of the one they hold.
awk -F, 'NR == 3 { whole = $5 / $7 } NR > 3 && $5 / $7 < whole / 2 { small = 1 } END { exit !small }' "$work/mlp/metrics.csv" \
  || fail "no cs round after round 2 sent less than half a sparse model per client: did returning clients get no patches?"
hosted=0
for name in client2 client3; do
  last=$(grep -o 'hosting [0-9]* clients' "$work/$name.log" | tail -n 1 | awk '{ print $2 }' || true)
  hosted=$((hosted + ${last:-0}))
done
[ "$hosted" -eq 30 ] || fail "the two surviving client nodes host $hosted clients, not all 30: the lost clients were not taken over"
echo "cluster-smoke: the surviving client nodes took over the lost clients (30 hosted)"
cat "$work/mlp/metrics.csv"
cleanup

echo "cluster-smoke: the cnn across processes, 2 rounds (fixed --client-ids ranges)"
cnn=(--algorithm cs --model cnn --clients 20 --per-round 2 --rounds 2 --local-epochs 1 --partition iid --eval-examples 1000 --round-timeout 5m --seed 3)
start cnn_server "$base" --role server,aggregator "${cnn[@]}" --out "$work/cnn" --exit-when-done
start cnn_client1 $((base + 1)) --role client --client-ids 0-9 "${cnn[@]}"
start cnn_client2 $((base + 2)) --role client --client-ids 10-19 "${cnn[@]}"
wait_exit cnn_server 600
rows=$(($(wc -l < "$work/cnn/metrics.csv") - 1))
[ "$rows" -eq 2 ] || fail "expected 2 cnn rounds, got $rows"
awk -F, 'NR == 2 && $5 < 4 * 1663370 * 2 { bad = 1 } END { exit bad }' "$work/cnn/metrics.csv" || fail "round 1 of the cnn moved less than two dense models down"
cat "$work/cnn/metrics.csv"
cleanup

echo "cluster-smoke: STC across processes, 6 rounds (server and aggregator on separate nodes)"
stc=(--algorithm stc --model mlp --clients 12 --per-round 4 --rounds 6 --local-epochs 1 --partition iid --round-timeout 60s --seed 3)
start stc_server "$base" --role server "${stc[@]}" --out "$work/stc" --exit-when-done
start stc_aggregator $((base + 1)) --role aggregator "${stc[@]}"
start stc_client1 $((base + 2)) --role client --client-ids 0-5 "${stc[@]}"
start stc_client2 $((base + 3)) --role client --client-ids 6-11 "${stc[@]}"
wait_exit stc_server 300
rows=$(($(wc -l < "$work/stc/metrics.csv") - 1))
[ "$rows" -eq 6 ] || fail "expected 6 stc rounds, got $rows"
awk -F, 'NR > 1 && $8 != $7 { bad = 1 } END { exit bad }' "$work/stc/metrics.csv" \
  || fail "an stc round lost clients: a client refused the difference it was sent?"
# Round 1 sends every client the dense model; returning clients then get only the updates they missed.
awk -F, 'NR == 2 { dense = $5 } NR > 2 && $5 < dense / 2 { small = 1 } END { exit !small }' "$work/stc/metrics.csv" \
  || fail "no stc round sent less than half of round 1's dense downlink"
cat "$work/stc/metrics.csv"
cleanup

echo "cluster-smoke: intruders without the federation's certificate knock during 4 rounds"
intr=(--algorithm cs --model mlp --clients 30 --min-clients 20 --per-round 10 --rounds 4 --local-epochs 1 --partition iid --round-timeout 60s --seed 3)
start intr_server "$base" --role server,aggregator "${intr[@]}" --out "$work/intruders" --exit-when-done
wait_for "$work/intr_server.log" "member up: akka://csfl@127.0.0.1:$base " 120
# They claim clients 20-29, which no certified node hosts: were they let in, the server would
# register 30 clients, not 20, and select some of theirs.
start intr_plain $((base + 3)) --role client --client-ids 20-24 --insecure "${intr[@]}"
start intr_foreign $((base + 4)) --role client --client-ids 25-29 --tls-dir "$work/foreign-certs/intruder" "${intr[@]}"
for name in intr_plain intr_foreign; do wait_for "$work/$name.log" "Couldn't join seed nodes" 120; done
start intr_client1 $((base + 2)) --role client --client-ids 0-19 "${intr[@]}"
wait_exit intr_server 300
grep -q "20 clients and an aggregator registered: starting" "$work/intr_server.log" \
  || fail "the server did not start with exactly the certified node's 20 clients"
for port in $((base + 3)) $((base + 4)); do
  ! grep -q "member up: akka://csfl@127.0.0.1:$port " "$work"/intr_*.log || fail "the intruder at port $port became a member"
done
members=$(grep -o "member up: akka://csfl@[0-9.:]*" "$work/intr_server.log" | sort -u | wc -l)
[ "$members" -eq 2 ] || fail "the server saw $members members up, not the 2 certified nodes"
kill -0 "$pid_intr_plain" && kill -0 "$pid_intr_foreign" || fail "an intruder node died instead of being kept out"
rows=$(($(wc -l < "$work/intruders/metrics.csv") - 1))
[ "$rows" -eq 4 ] || fail "expected 4 rounds with intruders knocking, got $rows"
awk -F, 'NR > 1 && $8 != $7 { bad = 1 } END { exit bad }' "$work/intruders/metrics.csv" \
  || fail "a round with intruders knocking did not complete all its selected clients"
grep -q "refused [0-9]* inbound connection" "$work/intr_server.log" || fail "the server logged no refused connection"
echo "cluster-smoke: neither intruder joined; the server's first refusal:"
grep -m 1 "refused [0-9]* inbound connection" "$work/intr_server.log" | cut -c1-240
cat "$work/intruders/metrics.csv"
cleanup

# The cost of TLS: the same short federation with mutual TLS and with --insecure, three times
# each in the order TLS, plain, plain, TLS, TLS, plain, so that a trend in the machine's load falls
# on both. Per run: the mean round wall time, and the CPU time of its three processes (user and
# system, from bash's accounting of the children it reaped: what TLS takes from cores that also
# train). Medians over the runs, because one run in a busy moment moves a mean a lot.
cost_rounds=24
cost=(--algorithm cs --model mlp --clients 8 --per-round 4 --rounds "$cost_rounds" --local-epochs 1 --partition iid --round-timeout 60s --seed 3)
declare -A cost_all cost_steady cost_cpu
run_cost() { # variant run args...
  local variant=$1 name="cost_$1$2" cpu0 cpu; shift 2
  children_cpu cpu0 "$work/times"
  start "${name}_server" "$base" --role server,aggregator "${cost[@]}" --out "$work/$name" --exit-when-done "$@"
  start "${name}_client1" $((base + 1)) --role client --client-ids 0-3 "${cost[@]}" "$@"
  start "${name}_client2" $((base + 2)) --role client --client-ids 4-7 "${cost[@]}" "$@"
  wait_exit "${name}_server" 180
  cleanup
  cpu_since cpu "$cpu0" "$work/times"
  cost_all[$variant]+=" $(mean_wall "$work/$name/metrics.csv" 1)"
  cost_steady[$variant]+=" $(mean_wall "$work/$name/metrics.csv" 5)"
  cost_cpu[$variant]+=" $cpu"
}
cost_line() { # label unit array-name: the runs of both variants, their medians and the ratio
  local -n values=$3
  # shellcheck disable=SC2086
  awk -v label="$1" -v unit="$2" -v tls="${values[tls]}" -v plain="${values[plain]}" \
    -v mt="$(median ${values[tls]})" -v mp="$(median ${values[plain]})" 'BEGIN {
    printf "cluster-smoke: %s: TLS %s (median %g %s), plain TCP %s (median %g %s); TLS/plain = %.3f\n",
      label, tls, mt, unit, plain, mp, unit, mt / mp }'
}
echo "cluster-smoke: the cost of TLS: ${cost[*]}, three runs each with TLS and with --insecure"
run_cost tls 1
run_cost plain 1 --insecure
run_cost plain 2 --insecure
run_cost tls 2
run_cost tls 3
run_cost plain 3 --insecure
cost_line "mean round wall time, rounds 1-$cost_rounds" ms cost_all
cost_line "mean round wall time, rounds 5-$cost_rounds" ms cost_steady
cost_line "CPU time of the run's three processes" s cost_cpu
echo "cluster-smoke: PASS"
