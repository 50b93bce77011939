#!/usr/bin/env bash
# Serving benchmark: `mlpc serve --no-monitor` (release build; the peer monitors nothing, and
# monitoring's own cost is bench/serve_monitor.sh's) against FastAPI + uvicorn serving the same
# architecture trained with scikit-learn, on the same cores, with one load generator (oha) for
# both: requests per second and p50/p99 latency for 1-row and 100-row requests, then p99 at half
# of mlpc's peak rate, and a soak at that rate (5xx count, resident memory at start and end).
# Goals (issue 13): >= 20x FastAPI's requests/s at 1 row; p99 < 2 ms at half of mlpc's peak;
# the soak with zero 5xx and resident memory flat within 10 %. Results: docs/benchmarks.md,
# "Serving".
#
#   bench/serve.sh                                  # 20 s per load, a 600 s soak
#   DURATION=10s SOAK=60 bench/serve.sh
#   PYTHON=/tmp/benchvenv/bin/python OHA=/tmp/oha/bin/oha MLPC=target/release/mlpc bench/serve.sh
#
# Needs Python with scikit-learn, pandas, fastapi and uvicorn, and oha (`cargo install oha`).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
oha=${OHA:-oha}
duration=${DURATION:-20s}
soak=${SOAK:-600}
connections=${CONNECTIONS:-32}
work=${BENCH_WORK:-$ROOT/target/bench-serve}
if [ -z "${MLPC:-}" ]; then
  (cd "$ROOT" && cargo build --release --locked -q)
  MLPC=$ROOT/target/release/mlpc
fi
mkdir -p "$work"
cp "$ROOT/bench/batch/spec.mlp" "$work/spec.mlp"
cp "$ROOT/examples/breast_cancer/data/breast_cancer.csv" "$work/train.csv"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$MLPC" run "$work/spec.mlp" >/dev/null
bundle=$(ls -d "$work"/runs/*/bundles/mlp | tail -1)
"$python" "$ROOT/bench/serve/train_sklearn.py" "$work/train.csv" "$work"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

"$MLPC" serve --bundle "$bundle" --port 0 --no-monitor > "$work/mlpc-serve.out" 2>"$work/mlpc-serve.err" &
mlpc_pid=$!
pids+=("$mlpc_pid")
for _ in $(seq 100); do grep -q "http://" "$work/mlpc-serve.out" 2>/dev/null && break; sleep 0.1; done
mlpc_url=$(grep -o "http://[^ ]*" "$work/mlpc-serve.out" | head -1)
(cd "$ROOT/bench/serve" && MODEL="$work/model.pkl" "$python" -m uvicorn fastapi_app:app --port 8001 \
  --workers "$(nproc)" --log-level warning > "$work/fastapi.out" 2>&1) &
pids+=("$!")
for _ in $(seq 100); do curl -s -o /dev/null localhost:8001/docs && break; sleep 0.2; done

# oha's JSON summary of one load: rps, p50 and p99 in ms, and the count of 5xx answers.
load() { # url body extra-args...
  local url=$1 body=$2; shift 2
  "$oha" --no-tui --output-format json -z "$duration" -c "$connections" -m POST \
    -H "content-type: application/json" -D "$body" "$@" "$url/predict" > "$work/oha.json"
  "$python" - "$work/oha.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]; p = r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
bad = sum(v for k, v in codes.items() if k.startswith("5"))
print(json.dumps({"rps": s["requestsPerSec"], "p50_ms": p["p50"] * 1000, "p99_ms": p["p99"] * 1000, "5xx": bad, "codes": codes}))
PY
}

results=$work/results.jsonl
: > "$results"
for rows in one hundred; do
  for server in mlpc fastapi; do
    url=$([ "$server" = mlpc ] && echo "$mlpc_url" || echo "http://127.0.0.1:8001")
    line=$(load "$url" "$work/$rows.json")
    echo "{\"server\": \"$server\", \"rows\": \"$rows\", \"result\": $line}" | tee -a "$results"
  done
done

peak=$("$python" -c "import json; print([json.loads(l) for l in open('$results') if '\"mlpc\"' in l and '\"one\"' in l][0]['result']['rps'])")
half=$("$python" -c "print(int($peak / 2))")
rss() { awk '/VmRSS/ {print $2}' "/proc/$mlpc_pid/status"; }
rss_start=$(rss)
line=$(load "$mlpc_url" "$work/one.json" -q "$half")
echo "{\"server\": \"mlpc\", \"rows\": \"one\", \"rate\": $half, \"result\": $line}" | tee -a "$results"
duration=${soak}s
line=$(load "$mlpc_url" "$work/one.json" -q "$half")
rss_end=$(rss)
echo "{\"server\": \"mlpc\", \"rows\": \"one\", \"rate\": $half, \"soak_seconds\": $soak, \"rss_start_kb\": $rss_start, \"rss_end_kb\": $rss_end, \"result\": $line}" | tee -a "$results"
"$python" "$ROOT/bench/serve/report.py" "$results"
