# Shared by the multi-process smoke scripts; source it after setting $home (the repository), $work
# (the output directory, emptied here) and $name (the script's name, which prefixes every message).
rm -rf "$work" && mkdir -p "$work"
csfl="$home/bin/csfl"
# Processes started in the background go into the array pids; on exit they are killed and reaped.
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# Prints the reason and the tail of every log in $work, then exits 1.
fail() { echo "$name: FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -25 "$f" >&2; done; exit 1; }

# free_ports FIRST COUNT VARIABLE: exits 1 unless 127.0.0.1's ports FIRST.. are free (VARIABLE names the setting to change).
free_ports() {
  local port
  for port in $(seq "$1" $(($1 + $2 - 1))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$name: port $port on 127.0.0.1 is in use; stop what holds it or set $3" >&2
      exit 1
    fi
  done
}

# wait_for FILE PATTERN SECONDS: until FILE holds PATTERN, or fail.
wait_for() {
  local deadline=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "no '$2' in $1 within $3 s"
    sleep 0.1
  done
}
