#!/usr/bin/env bash
# Batch prediction benchmark: `mlpc predict` (release build) against scikit-learn's
# MLPClassifier of the same architecture (pandas reading in chunks, predict_proba, writing CSV),
# both predicting the same large CSV of breast-cancer-like rows on the same cores; reports rows
# per second, the ratio (goal: mlpc >= 5x) and mlpc's peak resident memory (bounded by the chunk,
# not the file). Results: docs/benchmarks.md, "Batch prediction".
#
#   bench/batch.sh                     # a 1 GB input
#   BATCH_BYTES=200000000 bench/batch.sh
#   PYTHON=/tmp/benchvenv/bin/python MLPC=target/release/mlpc bench/batch.sh
#
# Needs Python with scikit-learn, pandas and numpy.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
bytes=${BATCH_BYTES:-1000000000}
work=${BENCH_WORK:-$ROOT/target/bench-batch}
if [ -z "${MLPC:-}" ]; then
  (cd "$ROOT" && cargo build --release --locked -q)
  MLPC=$ROOT/target/release/mlpc
fi
mkdir -p "$work"
cp "$ROOT/bench/batch/spec.mlp" "$work/spec.mlp"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
if [ ! -f "$work/big.csv" ] || [ "$(stat -c %s "$work/big.csv")" -lt "$bytes" ]; then
  "$python" "$ROOT/bench/batch/make_data.py" "$ROOT/examples/breast_cancer/data/breast_cancer.csv" \
    "$work/train.csv" "$work/big.csv" "$bytes"
fi
"$MLPC" run "$work/spec.mlp" >/dev/null
size=$(stat -c %s "$work/big.csv")

start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$work/mlpc.rss" "$MLPC" predict "$work/spec.mlp" "$work/big.csv" -o "$work/mlpc-out.csv" 2>"$work/mlpc.log"
end=$(date +%s.%N)
mlpc_seconds=$(echo "$end - $start" | bc)
rows=$(($(wc -l < "$work/mlpc-out.csv") - 1))
rss_kb=$(cat "$work/mlpc.rss")

peer=$("$python" "$ROOT/bench/batch/sklearn_predict.py" "$work/train.csv" "$work/big.csv" "$work/sklearn-out.csv")
echo "$peer"
"$python" - "$rows" "$mlpc_seconds" "$rss_kb" "$size" "$peer" <<'PY'
import json, sys
rows, seconds, rss_kb, size = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
peer = json.loads(sys.argv[5])
ours = rows / seconds
theirs = peer["rows"] / peer["seconds"]
print(f"input: {size / 1e9:.2f} GB, {rows} rows")
print("| predictor | seconds | rows/s | ratio | peak RSS |")
print("|---|---|---|---|---|")
print(f"| mlpc predict | {seconds:.1f} | {ours:,.0f} | {ours / theirs:.1f}x | {rss_kb / 1024:.0f} MiB |")
print(f"| scikit-learn (pandas chunks, predict_proba, to_csv) | {peer['seconds']:.1f} | {theirs:,.0f} | 1.0x | |")
print(f"(scikit-learn's predict_proba alone: {peer['predict_seconds']:.1f} s)")
PY
