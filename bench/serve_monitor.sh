#!/usr/bin/env bash
# Monitoring's cost on the request path: `mlpc serve` (release build) of one spec with its monitor
# on (every predicted row committed to monitor.db before the reply, the drift window fed, drift
# recomputed off the request path) and with `--no-monitor`, under the same load from oha (one row
# per request): first each at full load (closed loop, CONNECTIONS connections), then each at a fixed
# rate of half the unmonitored peak — the p99 a service sees when it is not saturated. Goal
# (issue 14): p99 overhead under 5 %. Results: docs/benchmarks.md, "Monitoring's cost in serving".
#
#   bench/serve_monitor.sh                         # 20 s per load, 8 connections
#   DURATION=10s OHA=/tmp/oha/bin/oha MLPC=target/release/mlpc bench/serve_monitor.sh
#
# Needs oha (`cargo install oha`) and python3.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
duration=${DURATION:-20s}
connections=${CONNECTIONS:-8}
work=${BENCH_WORK:-$ROOT/target/bench-serve-monitor}
if [ -z "${MLPC:-}" ]; then
  (cd "$ROOT" && cargo build --release --locked -q)
  MLPC=$ROOT/target/release/mlpc
fi
oha=${OHA:-oha}
command -v "$oha" >/dev/null || { echo "needs oha (cargo install oha)" >&2; exit 2; }
rm -rf "$work" && mkdir -p "$work"
cp "$ROOT/bench/serve_monitor/spec.mlp" "$work/spec.mlp"
cp "$ROOT/examples/breast_cancer/data/breast_cancer.csv" "$work/train.csv"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$MLPC" run "$work/spec.mlp" >/dev/null

# One row of the data as a JSON object (numbers as numbers).
awk -F, 'NR==1 { for (i = 1; i <= NF; i++) h[i] = $i } NR==2 {
  s = "{"; for (i = 1; i <= NF; i++) if (h[i] != "diagnosis") s = s (s == "{" ? "" : ",") "\"" h[i] "\":" $i; print s "}" }' \
  "$work/train.csv" > "$work/one.json"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# Serves with the flags given (after the load's extra oha arguments and `--`), loads it, prints
# "rps p50_ms p99_ms non2xx".
measure() {
  local extra=()
  while [ "$1" != "--" ]; do extra+=("$1"); shift; done
  shift
  rm -rf "$work/.mlp/monitor.db"*
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
  "$oha" --no-tui -z 2s -c 2 -m POST -H "content-type: application/json" -D "$work/one.json" "$url/predict" > /dev/null
  "$oha" --no-tui --output-format json -z "$duration" -c "$connections" -m POST \
    -H "content-type: application/json" -D "$work/one.json" "${extra[@]}" "$url/predict" > "$work/oha.json"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 - "$work/oha.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["summary"], r["latencyPercentiles"]
bad = sum(v for k, v in r.get("statusCodeDistribution", {}).items() if not k.startswith("2"))
print(f'{s["requestsPerSec"]:.0f} {p["p50"] * 1000:.3f} {p["p99"] * 1000:.3f} {bad}')
PY
}

read -r off_rps off_p50 off_p99 off_bad < <(measure -- --no-monitor)
read -r on_rps on_p50 on_p99 on_bad < <(measure --)
half=$((off_rps / 2))
read -r hoff_rps hoff_p50 hoff_p99 hoff_bad < <(measure -q "$half" -- --no-monitor)
read -r hon_rps hon_p50 hon_p99 hon_bad < <(measure -q "$half" --)
echo
echo "| load | serve | requests/s | p50 ms | p99 ms | non-2xx |"
echo "|---|---|---:|---:|---:|---:|"
echo "| full ($connections connections) | --no-monitor | $off_rps | $off_p50 | $off_p99 | $off_bad |"
echo "| full ($connections connections) | monitored | $on_rps | $on_p50 | $on_p99 | $on_bad |"
echo "| $half requests/s | --no-monitor | $hoff_rps | $hoff_p50 | $hoff_p99 | $hoff_bad |"
echo "| $half requests/s | monitored | $hon_rps | $hon_p50 | $hon_p99 | $hon_bad |"
awk -v a="$off_p99" -v b="$on_p99" -v c="$hoff_p99" -v d="$hon_p99" -v r1="$off_rps" -v r2="$on_rps" 'BEGIN {
  printf "\nat full load: p99 %+.1f %%, throughput %+.1f %%\n", (b / a - 1) * 100, (r2 / r1 - 1) * 100
  printf "at half the peak: p99 %+.1f %% (goal < 5 %%)\n", (d / c - 1) * 100 }'
