"""Input for bench/batch.sh: the breast-cancer rows (the training data) and a large CSV of new
rows without the label, drawn from the same rows with 5 % Gaussian jitter per column, until the
file reaches the size asked for (bytes)."""
import sys

import numpy as np
import pandas as pd

source, train_out, big_out, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
data = pd.read_csv(source)
data.to_csv(train_out, index=False)
features = data.drop(columns=["diagnosis"])
rng = np.random.default_rng(7)
written = 0
block = 200_000
with open(big_out, "w") as out:
    out.write(",".join(features.columns) + "\n")
    while written < size:
        rows = features.sample(block, replace=True, random_state=int(rng.integers(1 << 31)))
        jitter = rng.normal(1.0, 0.05, rows.shape)
        text = (rows * jitter).to_csv(index=False, header=False, float_format="%.6g")
        out.write(text)
        written += len(text)
print(f"{big_out}: {written / 1e9:.2f} GB")
