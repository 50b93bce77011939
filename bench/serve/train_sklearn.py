"""Trains the FastAPI peer's model (bench/serve.sh): the same rows and architecture as the mlpc
bundle it is compared with. Writes model.pkl and the request bodies (1 row, 100 rows)."""
import json
import pickle
import sys

import pandas as pd
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

source, out_dir = sys.argv[1], sys.argv[2]
data = pd.read_csv(source)
x = data.drop(columns=["diagnosis"])
x["area_ratio"] = x["mean_area"] / (x["mean_perimeter"] * x["mean_perimeter"])
model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(64,), max_iter=60, random_state=1))
model.fit(x, data["diagnosis"])
with open(f"{out_dir}/model.pkl", "wb") as f:
    pickle.dump((model, list(x.columns)), f)
raw = data.drop(columns=["diagnosis"])
rows = raw.to_dict(orient="records")
with open(f"{out_dir}/one.json", "w") as f:
    json.dump(rows[0], f)
with open(f"{out_dir}/hundred.json", "w") as f:
    json.dump(rows[:100], f)
