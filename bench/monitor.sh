#!/usr/bin/env bash
# Drift benchmark: `mlpc monitor` (offline drift of a current CSV against a reference CSV) against
# Evidently's DataDriftPreset with its default stat tests and thresholds (pandas reading both
# files, one report), on the same generated data with drift planted in a known fifth of the
# columns: wall and CPU seconds (wall alone misleads on a busy machine) and peak RSS of each whole
# process, the ratio of wall seconds, and whether the two agree column by column (and with the
# planted drift).
#
#   bench/monitor.sh                                  # 1,000,000 rows x 50 columns
#   ROWS=20000 bench/monitor.sh
#   PYTHON=/tmp/evvenv/bin/python MLPC=target/release/mlpc DATA=/tmp/mlpc-bench-monitor bench/monitor.sh
#
# Builds nothing: MLPC defaults to target/release/mlpc (cargo build --release first). Needs GNU
# time (/usr/bin/time) and Python with evidently 0.7 and pandas < 3:
#   python3 -m venv /tmp/evvenv && /tmp/evvenv/bin/pip install evidently==0.7.23 "pandas<3"
# The data are generated once per size and seed and kept under DATA (about 0.5 GB per file at
# 1M x 50). COLUMNS is the benchmark's, not the terminal's width: unset it if your shell exports it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
mlpc=${MLPC:-$ROOT/target/release/mlpc}
rows=${ROWS:-1000000}
columns=${COLUMNS:-50}
seed=${SEED:-7}
data=${DATA:-/tmp/mlpc-bench-monitor}/${rows}x${columns}-seed${seed}
[ -x "$mlpc" ] || { echo "no mlpc at $mlpc: cargo build --release, or set MLPC" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }
mkdir -p "$data"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

# truth.json is written last, so an interrupted generation is redone rather than half-used.
if [ ! -f "$data/truth.json" ]; then
  echo "generating $rows rows x $columns columns under $data" >&2
  ROWS=$rows COLUMNS=$columns SEED=$seed "$python" "$ROOT/bench/monitor/make_data.py" \
    "$data/reference.csv" "$data/current.csv" > "$data/truth.tmp"
  mv "$data/truth.tmp" "$data/truth.json"
fi

# Exit 3 means "drifted", not failure; anything else but 0 is a failure.
mlpc_exit=0
/usr/bin/time -v -o "$data/mlpc.time" "$mlpc" monitor --reference "$data/reference.csv" \
  --current "$data/current.csv" --json > "$data/mlpc.json" 2> "$data/mlpc.err" || mlpc_exit=$?
if [ "$mlpc_exit" != 0 ] && [ "$mlpc_exit" != 3 ]; then
  echo "mlpc monitor failed (exit $mlpc_exit):" >&2; cat "$data/mlpc.err" >&2; exit 1
fi

/usr/bin/time -v -o "$data/evidently.time" "$python" "$ROOT/bench/monitor/evidently_drift.py" \
  "$data/reference.csv" "$data/current.csv" "$data/evidently.json" 2> "$data/evidently.err" \
  || { cat "$data/evidently.err" >&2; exit 1; }

"$python" "$ROOT/bench/monitor/compare.py" "$data/truth.json" "$data/evidently.json" "$data/evidently.time" \
  "$data/mlpc.json" "$data/mlpc.time" "$mlpc_exit"
