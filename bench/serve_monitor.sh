#!/usr/bin/env bash
# Monitoring's cost on the request path: `mlpc serve` (release build) of one spec with its monitor
# on (every predicted row committed to monitor.db before the reply, the drift window fed, drift
# recomputed off the request path every 100 rows) and with `--no-monitor`, under the same load from
# wrk (keep-alive connections, one row per request): requests per second and p50/p99 latency, and
# p99's overhead. Goal (issue 14): p99 overhead under 5 %. Results: docs/benchmarks.md, "Monitoring".
#
#   bench/serve_monitor.sh                         # 20 s per load, 8 connections
#   DURATION=10s CONNECTIONS=4 MLPC=target/release/mlpc bench/serve_monitor.sh
#
# Needs wrk (apt-get install wrk).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
duration=${DURATION:-20s}
connections=${CONNECTIONS:-8}
threads=${THREADS:-1}
work=${BENCH_WORK:-$ROOT/target/bench-serve-monitor}
if [ -z "${MLPC:-}" ]; then
  (cd "$ROOT" && cargo build --release --locked -q)
  MLPC=$ROOT/target/release/mlpc
fi
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
rm -rf "$work" && mkdir -p "$work"
cp "$ROOT/bench/serve_monitor/spec.mlp" "$work/spec.mlp"
cp "$ROOT/examples/breast_cancer/data/breast_cancer.csv" "$work/train.csv"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$MLPC" run "$work/spec.mlp" >/dev/null

# One row of the data as a JSON object (numbers as numbers), POSTed by wrk's script.
row=$(awk -F, 'NR==1 { for (i = 1; i <= NF; i++) h[i] = $i } NR==2 {
  s = "{"; for (i = 1; i <= NF; i++) if (h[i] != "diagnosis") s = s (s == "{" ? "" : ",") "\"" h[i] "\":" $i; print s "}" }' "$work/train.csv")
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$row'
wrk.headers["Content-Type"] = "application/json"
LUA

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# Serves with the flags given, loads it, prints "rps p50_ms p99_ms" (p50/p99 from wrk's --latency).
measure() {
  "$MLPC" serve "$work/spec.mlp" --port 0 "$@" > "$work/serve.out" 2> "$work/serve.err" &
  local pid=$!
  pids+=("$pid")
  local url=""
  for _ in $(seq 100); do
    url=$(sed -n 's/.* on \(http:[^ ]*\).*/\1/p' "$work/serve.out")
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { cat "$work/serve.err" >&2; exit 1; }
  wrk -t1 -c2 -d2s -s "$work/post.lua" "$url/predict" > /dev/null   # warm up
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/post.lua" "$url/predict" > "$work/wrk.txt"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  awk '/Requests\/sec/ { rps = $2 }
       function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
       $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
       / [0-9]+ requests in/ { n = $1 } /Non-2xx/ { bad = $4 }
       END { printf "%s %.3f %.3f %s\n", rps, p50, p99, bad + 0 }' "$work/wrk.txt"
}

read -r off_rps off_p50 off_p99 off_bad < <(measure --no-monitor)
rm -rf "$work/.mlp/monitor.db"*
read -r on_rps on_p50 on_p99 on_bad < <(measure)
echo
echo "| serve | requests/s | p50 ms | p99 ms | non-2xx |"
echo "|---|---:|---:|---:|---:|"
echo "| --no-monitor | $off_rps | $off_p50 | $off_p99 | $off_bad |"
echo "| monitored | $on_rps | $on_p50 | $on_p99 | $on_bad |"
awk -v a="$off_p99" -v b="$on_p99" -v r1="$off_rps" -v r2="$on_rps" 'BEGIN {
  printf "\np99 overhead: %+.1f %% (goal < 5 %%); throughput: %+.1f %%\n", (b / a - 1) * 100, (r2 / r1 - 1) * 100 }'
