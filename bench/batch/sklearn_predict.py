"""The peer of `mlpc predict` in bench/batch.sh: scikit-learn's MLPClassifier with the same
architecture (one hidden layer of 64 ReLU units, Adam, z-scored inputs), trained on the same
rows, predicting a large CSV the way a user would script it — pandas reads it in chunks,
predict_proba, the probabilities written beside a row number. Prints one JSON line."""
import json
import sys
import time

import pandas as pd
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

train, big, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
data = pd.read_csv(train)
x = data.drop(columns=["diagnosis"])
x["area_ratio"] = x["mean_area"] / (x["mean_perimeter"] * x["mean_perimeter"])
model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(64,), max_iter=60, random_state=1))
model.fit(x, data["diagnosis"])

started = time.perf_counter()
rows = 0
predict_seconds = 0.0
with open(out_path, "w") as out:
    out.write("line,class," + ",".join(f"p_{c}" for c in model.classes_) + "\n")
    for chunk in pd.read_csv(big, chunksize=8192):
        chunk["area_ratio"] = chunk["mean_area"] / (chunk["mean_perimeter"] * chunk["mean_perimeter"])
        t = time.perf_counter()
        p = model.predict_proba(chunk[x.columns])
        predict_seconds += time.perf_counter() - t
        classes = model.classes_[p.argmax(axis=1)]
        frame = pd.DataFrame(p, columns=[f"p_{c}" for c in model.classes_])
        frame.insert(0, "class", classes)
        frame.insert(0, "line", range(rows + 2, rows + 2 + len(chunk)))
        frame.to_csv(out, index=False, header=False)
        rows += len(chunk)
seconds = time.perf_counter() - started
print(json.dumps({"peer": "scikit-learn", "rows": rows, "seconds": seconds, "predict_seconds": predict_seconds}))
