#!/usr/bin/env bash
# Ingest benchmark: mlpc's CSV loader against pandas.read_csv and polars.read_csv on the same
# generated numeric CSV, side by side in one run, with MB/s, peak RSS and ratios.
#
#   bench/ingest.sh                      # 1 GB file, 1 and 2 threads, best of 3
#   INGEST_MB=300 bench/ingest.sh        # a smaller file
#   INGEST_THREADS="1 2 4" INGEST_REPEATS=5 INGEST_DIR=/tmp/ingest bench/ingest.sh
#
# Needs python3 with pandas and polars (installed with pip when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

mb=${INGEST_MB:-1000}
threads=${INGEST_THREADS:-"1 2"}
repeats=${INGEST_REPEATS:-3}
dir=${INGEST_DIR:-${TMPDIR:-/tmp}/mlpc-ingest}
file="$dir/numeric_${mb}mb.csv"

python3 -c "import pandas, polars" 2>/dev/null || pip install --quiet pandas polars

cargo build --release --quiet -p mlp-data --example ingest
loader=target/release/examples/ingest

mkdir -p "$dir"
if [ ! -f "$file" ]; then
  echo "generating $file ($mb MB, 20 float columns)" >&2
  "$loader" generate "$file" "$mb" 20
fi
echo "file: $file ($(du -m "$file" | cut -f1) MB), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

results=$(mktemp)
for t in $threads; do
  "$loader" load "$file" "$t" "$repeats" | tee -a "$results"
  python3 bench/ingest_peers.py "$file" "$t" "$repeats" polars | tee -a "$results"
done
# pandas' C parser is single-threaded.
python3 bench/ingest_peers.py "$file" 1 "$repeats" pandas | tee -a "$results"

python3 - "$results" <<'PY'
import re, sys
rows = [dict(re.findall(r"(\S+)=(\S+)", line), name=line.split()[0]) for line in open(sys.argv[1])]
speed = {(r["name"], r["threads"]): float(r["MB/s"]) for r in rows}
print("\nratios (mlpc MB/s over the peer's):")
for (name, t), mbs in sorted(speed.items()):
    if name != "mlpc":
        continue
    polars = speed.get(("polars", t))
    pandas = speed.get(("pandas", "1"))
    line = f"  {t} thread(s): mlpc {mbs:.0f} MB/s"
    if polars:
        line += f", {mbs / polars:.2f}x polars ({polars:.0f} MB/s)"
    if pandas:
        line += f", {mbs / pandas:.2f}x pandas 1 thread ({pandas:.0f} MB/s)"
    print(line)
PY
rm -f "$results"
