#!/usr/bin/env bash
# GPU benchmark: mlpc (Candle) against PyTorch eager, same models, data, batch sizes, optimizer
# and epochs, on the GPU and on the CPU. Run it on a machine with an NVIDIA GPU and PyTorch:
#
#   bench/gpu.sh [MLPC_CUDA_BINARY]        # default target/mlpc-cuda-sm90 (scripts/build-cuda.sh)
#
# Workloads: an MLP (100-256-256-1) on a generated 1,000,000 x 100 table, batch 1024; LeNet-5 on
# 60,000 generated 28x28 images, batch 128; Adam lr 1e-3 for both. Reported: training samples/s
# (validation excluded) and the training time to a fixed validation accuracy. Results go to
# $BENCH_OUT (default target/bench-gpu): results.jsonl and results.md; the data and the runs go
# to $BENCH_WORK (default the same folder).
# Environment: EPOCHS_GPU (default 3), EPOCHS_CPU (default 1), WORKLOADS (default "table lenet"),
# PRECISIONS (GPU precisions, default "f32 bf16"; empty for none), SKIP_CPU=1, PYTHON (with torch
# and numpy; default python3), DATA_ARGS (make_data.py options, e.g. "--rows 20000 --images 2000").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/bench/gpu
BIN=$(realpath "${1:-$ROOT/target/mlpc-cuda-sm90}")
OUT=${BENCH_OUT:-$ROOT/target/bench-gpu}
WORK=${BENCH_WORK:-$OUT}
EPOCHS_GPU=${EPOCHS_GPU:-3}
EPOCHS_CPU=${EPOCHS_CPU:-1}
WORKLOADS=${WORKLOADS:-table lenet}
PRECISIONS=${PRECISIONS-f32 bf16}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT" "$WORK/data" "$WORK/runs"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"

# The CUDA libraries the binary links come with PyTorch's NVIDIA wheels on such machines.
NV=$("$PYTHON" -c 'import nvidia, os; print(list(nvidia.__path__)[0])' 2>/dev/null || true)
shopt -s nullglob
for d in ${NV:+$NV/*/lib} /usr/local/cuda/lib64; do
    [ -d "$d" ] && LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done
export LD_LIBRARY_PATH
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

echo "== data" >&2
[ -f "$WORK/data/images-y.idx" ] || "$PYTHON" "$HERE/make_data.py" "$WORK/data" ${DATA_ARGS:-}

if [ -n "$PRECISIONS" ]; then
    echo "== warm-up (the driver compiles Candle's PTX kernels once)" >&2
    started=$SECONDS
    "$BIN" run "$ROOT/examples/digits/digits.mlp" --device cuda --runs-dir "$WORK/runs" >&2 || true
    echo "warm-up took $((SECONDS - started)) s" >&2
fi

model_of() { [ "$1" = table ] && echo mlp || echo lenet; }

mlpc() { # workload device precision epochs
    local spec=$WORK/data/$1-$2-$3.mlp
    sed -e "s/EPOCHS/$4/" -e "s/PRECISION/$3/" "$HERE/$1.mlp" > "$spec"
    local started=$SECONDS
    local log=$OUT/mlpc-$1-$2-$3.log
    # One failing configuration must not cost the others their figures.
    if ! MLPC_CANDLE_THREADS=$(nproc) "$BIN" run "$spec" --json --device "$2" --runs-dir "$WORK/runs" \
        > "$WORK/last.json" 2> "$log"; then
        echo "mlpc $*: failed; the end of $log:" >&2
        tail -20 "$log" >&2
        return 0
    fi
    python3 - "$WORK/last.json" "$1" "$2" "$3" "$(model_of "$1")" $((SECONDS - started)) >> "$RESULTS" <<'PY'
import json, os, sys
report_path, workload, device, precision, model, wall = sys.argv[1:]
report = json.load(open(report_path))
run_dir = report["artifacts"]["dir"]
history = json.load(open(os.path.join(run_dir, "models", model + ".history.json")))
print(json.dumps({
    "tool": "mlpc", "workload": workload, "device": device, "precision": precision,
    "samples_per_second": report["timings"]["samples_per_second"][model],
    "epochs": [{"epoch": e["epoch"], "seconds": e["seconds"], "val_accuracy": e["val_score"]} for e in history],
    "wall_seconds": float(wall),
}))
PY
    tail -1 "$RESULTS" >&2
}

torch_run() { # workload device precision epochs
    if ! "$PYTHON" "$HERE/torch_train.py" "$WORK/data" "$@" >> "$RESULTS" 2> "$OUT/torch-$1-$2-$3.log"; then
        echo "pytorch $*: failed" >&2
        tail -20 "$OUT/torch-$1-$2-$3.log" >&2
        return 0
    fi
    tail -1 "$RESULTS" >&2
}

for workload in $WORKLOADS; do
    for precision in $PRECISIONS; do
        echo "== $workload cuda $precision" >&2
        mlpc "$workload" cuda "$precision" "$EPOCHS_GPU"
        torch_run "$workload" cuda "$precision" "$EPOCHS_GPU"
    done
    if [ "${SKIP_CPU:-0}" != 1 ]; then
        echo "== $workload cpu f32" >&2
        mlpc "$workload" cpu f32 "$EPOCHS_CPU"
        torch_run "$workload" cpu f32 "$EPOCHS_CPU"
    fi
done
python3 "$HERE/report.py" "$RESULTS" | tee "$OUT/results.md"
