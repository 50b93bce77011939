#!/usr/bin/env bash
# Builds `mlpc --features cuda` on a machine without a CUDA toolkit or a GPU, from NVIDIA's CUDA
# wheels on PyPI alone. See docs/gpu.md for what it produces and how to run the binary.
#
#   scripts/build-cuda.sh                 # release build for compute capability 9.0 (H100/H200)
#   CUDA_COMPUTE_CAP=80 scripts/build-cuda.sh   # A100
#   scripts/build-cuda.sh <cargo build args>    # e.g. `-p candle-nn --features candle-nn/cuda --release`
#
# Environment: CUDA_COMPUTE_CAP (default 90), CUDA_WHEELS (default 13.0.2: keep it at the GPU
# machine's driver CUDA version; PTX from a newer nvcc does not load on an older driver),
# MLPC_CUDA_DIR (toolkit scratch, default target/cuda-toolkit), CARGO_TARGET_DIR (default target/cuda).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-90}
CUDA_WHEELS=${CUDA_WHEELS:-13.0.2}
SCRATCH=${MLPC_CUDA_DIR:-$ROOT/target/cuda-toolkit}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target/cuda}
VENV=$SCRATCH/venv
TOOLKIT=$SCRATCH/root

# 1. nvcc, headers and libraries from PyPI, once.
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import nvidia' 2>/dev/null; then
    "$VENV/bin/pip" install -q --disable-pip-version-check \
        "cuda-toolkit[nvcc,cudart,cublas,curand,nvrtc,cccl,crt,nvvm]==$CUDA_WHEELS"
fi
CU=$("$VENV/bin/python" -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu" + "'"${CUDA_WHEELS%%.*}"'"))')
[ -x "$CU/bin/nvcc" ] || { echo "error: no nvcc in $CU" >&2; exit 1; }

# 2. A folder shaped like a toolkit install: bin/, include/, nvvm/ and lib64/ with the unversioned
#    names the linker looks for.
rm -rf "$TOOLKIT"
mkdir -p "$TOOLKIT/lib64/stubs"
for d in bin include nvvm; do ln -s "$CU/$d" "$TOOLKIT/$d"; done
for f in "$CU"/lib/*.so.* "$CU"/lib/*.a; do ln -s "$f" "$TOOLKIT/lib64/"; done
for lib in cudart cublas cublasLt curand nvrtc; do
    ln -s "$(ls "$CU"/lib/lib$lib.so.[0-9]* | head -1)" "$TOOLKIT/lib64/lib$lib.so"
done

# 3. libcuda.so comes with the driver, not with any wheel: link against a stub exporting every
#    driver function cudarc binds; the GPU machine's real libcuda.so.1 replaces it at run time.
cargo fetch -q
CUDARC=$(cargo metadata --format-version 1 --all-features | python3 -c '
import json, os, sys
print([os.path.dirname(p["manifest_path"]) for p in json.load(sys.stdin)["packages"] if p["name"] == "cudarc"][0])')
grep -ohP '^\s*pub unsafe fn \Kcu[A-Za-z0-9_]+(?=\()' "$CUDARC"/src/driver/sys/*.rs | sort -u \
    | sed 's/.*/void &(void) {}/' > "$TOOLKIT/lib64/stubs/libcuda_stub.c"
gcc -shared -fPIC -O0 -Wl,-soname,libcuda.so.1 -o "$TOOLKIT/lib64/stubs/libcuda.so" \
    "$TOOLKIT/lib64/stubs/libcuda_stub.c"

# 4. Build. cudarc asks `nvcc --version` for the CUDA version; candle-kernels needs the compute
#    capability spelled out because there is no GPU (nvidia-smi) here.
export CUDA_HOME=$TOOLKIT CUDA_PATH=$TOOLKIT CUDA_ROOT=$TOOLKIT CUDA_TOOLKIT_ROOT_DIR=$TOOLKIT
export NVCC=$TOOLKIT/bin/nvcc PATH=$TOOLKIT/bin:$PATH
export CUDARC_CUDA_VERSION=${CUDARC_CUDA_VERSION:-13000}
export CUDAFORGE_THREADS=${CUDAFORGE_THREADS:-$(nproc)}
if [ $# -gt 0 ]; then
    cargo build "$@"
    exit 0
fi
cargo build --release --locked --features cuda --bin mlpc
BIN=$CARGO_TARGET_DIR/release/mlpc
OUT=$ROOT/target/mlpc-cuda-sm$CUDA_COMPUTE_CAP
cp "$BIN" "$OUT"
strip "$OUT"
echo "built $OUT ($(du -h "$OUT" | cut -f1)); it needs these libraries at run time:"
readelf -d "$OUT" | awk '/NEEDED/ {print "  " $5}' | tr -d '[]'
