# What one run of a cost federation took, for the last phase of cluster-smoke.sh and for
# tls-cost.sh. Source it; it defines functions only.

# mean_wall CSV FROM: the mean wall_ms of the rounds in metrics.csv CSV from round FROM on, in whole ms.
mean_wall() {
  awk -F, -v from="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "wall_ms") c = i } NR > from { s += $c; n++ } END { printf "%.0f", s / n }' "$1"
}

# median VALUE...: the median of the values.
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# children_cpu VARIABLE SCRATCH: sets VARIABLE to the CPU seconds (user and system) of every child
# process this shell has reaped so far, JVMs killed with SIGKILL included. 'times' must run in
# the calling shell itself (a command substitution would ask a fresh subshell), so it writes to
# the file SCRATCH first.
children_cpu() {
  times > "$2"
  printf -v "$1" '%s' "$(awk 'END { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] } print t }' "$2")"
}

# cpu_since VARIABLE START SCRATCH: sets VARIABLE to the CPU seconds, to one decimal, of the child
# processes reaped since children_cpu gave START.
cpu_since() {
  local now
  children_cpu now "$3"
  printf -v "$1" '%.1f' "$(awk -v a="$2" -v b="$now" 'BEGIN { print b - a }')"
}
