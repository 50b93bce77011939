#!/usr/bin/env bash
# A correctness smoke test of the model kinds and options on a device, for a machine with a GPU:
# a small ResNet with augmentation in f16 (loss scaling) on the digits, an LSTM over sliding
# windows and a conv1d stack, and an embedding + LSTM over token ids. Each must reach the test
# accuracy its CPU test reaches.
#
#   bench/gpu/smoke.sh [MLPC_BINARY] [DEVICE]     # defaults: target/mlpc-cuda-sm90, cuda
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(realpath "${1:-$ROOT/target/mlpc-cuda-sm90}")
DEVICE=${2:-cuda}
WORK=$(mktemp -d)
cp "$ROOT/examples/digits/digits.csv" "$WORK/"
python3 - "$WORK" <<'PY'
import math, os, sys
work = sys.argv[1]
wave = lambda t: math.sin(t / 5.0)
with open(os.path.join(work, "series.csv"), "w") as f:
    f.write("t,a,b,rises\n")
    for t in range(600):
        a = wave(t) + 0.1 * math.sin(t * 1.3)
        b = math.cos(t / 7.0)
        f.write(f"{t},{a:.5f},{b:.5f},{'yes' if wave(t) > wave(t - 1) else 'no'}\n")
good = ["great", "lovely", "superb", "fun", "moving"]
bad = ["awful", "boring", "dull", "bad", "weak"]
filler = ["the", "film", "was", "a", "plot", "actor", "really", "quite"]
with open(os.path.join(work, "reviews.csv"), "w") as f:
    f.write("review,verdict\n")
    for i in range(400):
        telling = good if i % 2 == 0 else bad
        words = [filler[(i * 7 + k * 3) % len(filler)] for k in range(6)]
        words.insert((i * 5) % 7, telling[(i // 2) % 5])
        words.insert((i * 3) % 8, telling[(i // 3) % 5])
        f.write(f"\"{' '.join(words)} r{i}\",{'good' if i % 2 == 0 else 'bad'}\n")
PY
cat > "$WORK/resnet.mlp" <<'MLP'
pipeline smoke_resnet { seed = 42 }
source scans = csv("digits.csv") {
  label = digit
  schema {
    pixels: image(1, 8, 8)
    digit: category(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
  }
}
dataset images = scans {
  split = stratified(train: 0.7, val: 0.1, test: 0.2)
  augment = [crop(padding: 1), rotate(degrees: 10)]
}
objective maximize accuracy
model resnet = cnn() {
  layers {
    conv2d(filters: 16, kernel: 3, padding: 1)
    batchnorm
    relu
    resblock(filters: 16)
    resblock(filters: 32, stride: 2)
    avgpool(4)
    flatten
  }
  optimizer = adam(lr: 0.002)
  epochs = 40
  batch = 64
  precision = f16
  early_stop = patience(8)
}
gate smoke { resnet.accuracy on test >= 0.93 }
MLP
cat > "$WORK/windows.mlp" <<'MLP'
pipeline smoke_windows { seed = 7 }
source s = csv("series.csv") {
  label = rises
  positive = yes
}
dataset windows = s {
  exclude = [t]
  window = sliding(length: 8)
  split = by_time(column: t, train: 0.7, val: 0.15, test: 0.15)
}
objective maximize accuracy
model recurrent = lstm(hidden: 16) { epochs = 30 }
model temporal = lstm() {
  layers {
    conv1d(filters: 8, kernel: 3, padding: 1)
    relu
    lstm_layer(hidden: 16)
  }
  epochs = 30
  precision = bf16
}
gate smoke {
  recurrent.accuracy on test >= 0.8
  temporal.accuracy on test >= 0.8
}
MLP
cat > "$WORK/tokens.mlp" <<'MLP'
pipeline smoke_tokens { seed = 7 }
source r = csv("reviews.csv") {
  label = verdict
  positive = good
  schema {
    review: text
    verdict: category(bad, good)
  }
}
dataset texts = r {
  tokenize = words(length: 12, vocabulary: 100)
  split = random(train: 0.7, val: 0.15, test: 0.15)
}
objective maximize accuracy
model reader = lstm(hidden: 16) {
  epochs = 60
  layers {
    embedding(vocabulary: 100, dim: 8)
    lstm_layer(hidden: 16)
  }
}
gate smoke { reader.accuracy on test >= 0.9 }
MLP
failed=0
for spec in ${SPECS:-resnet windows tokens}; do
    started=$SECONDS
    if "$BIN" run "$WORK/$spec.mlp" --device "$DEVICE" --runs-dir "$WORK/runs" > "$WORK/$spec.out" 2>&1; then
        echo "ok    $spec on $DEVICE ($((SECONDS - started)) s)"
    else
        echo "FAIL  $spec on $DEVICE ($((SECONDS - started)) s)"
        failed=1
    fi
    grep -E "test|ok |FAIL|error|E0" "$WORK/$spec.out" | head -12
done
exit $failed
