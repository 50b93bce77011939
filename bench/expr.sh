#!/usr/bin/env bash
# Column-expression benchmark: mlpc's JIT against the reference evaluator, a hand-written Rust
# loop (criterion, expr/benches/expressions.rs) and numpy (bench/expr/numpy_expr.py) on the same
# expression over 10 million rows, then a table of ratios against the goals
# (docs/benchmarks.md, "Column expressions").
#
#   bench/expr.sh                          # everything, about 5 minutes after the build
#   bench/expr.sh jit                      # criterion filter: only the JIT's benchmarks
#   PYTHON=/tmp/npvenv/bin/python EXPR_ROWS=1000000 NUMPY_REPEATS=7 bench/expr.sh
#
# Extra arguments go to criterion (a filter, --quick, ...). The report reads the latest saved
# estimate of every criterion benchmark, so after a filtered run the others are from older runs.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
export EXPR_ROWS=${EXPR_ROWS:-10000000}
repeats=${NUMPY_REPEATS:-7}

if ! "$python" -c "import numpy" 2>/dev/null; then
  echo "numpy is missing for $python: install it with" >&2
  echo "  $python -m pip install numpy" >&2
  echo "or in a virtual environment: python3 -m venv /tmp/npvenv && /tmp/npvenv/bin/pip install numpy," >&2
  echo "then PYTHON=/tmp/npvenv/bin/python bench/expr.sh" >&2
  exit 1
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

cargo bench -p mlp-expr --bench expressions -- --noplot "$@"

results=$(mktemp)
trap 'rm -f "$results"' EXIT
"$python" bench/expr/numpy_expr.py "$EXPR_ROWS" "$repeats" | tee "$results"
"$python" bench/expr/report.py "$results"
