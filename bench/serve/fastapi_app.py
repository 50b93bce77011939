"""The peer of `mlpc serve` in bench/serve.sh: FastAPI + uvicorn serving scikit-learn's
MLPClassifier of the same architecture (one hidden layer of 64 ReLU units, z-scored inputs,
the derived `area_ratio`), trained on the same breast-cancer rows. POST /predict takes one row
(a JSON object) or many (an array) and answers the class and probabilities of each, as mlpc
does. Run: MODEL=model.pkl uvicorn fastapi_app:app --port 8001 --workers N"""
import os
import pickle

import numpy as np
from fastapi import FastAPI, HTTPException, Request

with open(os.environ.get("MODEL", "model.pkl"), "rb") as f:
    MODEL, COLUMNS = pickle.load(f)
RAW = [c for c in COLUMNS if c != "area_ratio"]
app = FastAPI()


@app.post("/predict")
async def predict(request: Request):
    body = await request.json()
    rows = body if isinstance(body, list) else [body]
    try:
        x = np.array([[float(row[c]) for c in RAW] for row in rows])
    except (KeyError, TypeError, ValueError) as e:
        raise HTTPException(status_code=400, detail=str(e))
    area = x[:, RAW.index("mean_area")] / (x[:, RAW.index("mean_perimeter")] ** 2)
    x = np.column_stack([x, area])
    p = MODEL.predict_proba(x)
    classes = MODEL.classes_
    return {
        "predictions": [
            {"class": str(classes[i.argmax()]), "probabilities": dict(zip(map(str, classes), map(float, i)))}
            for i in p
        ]
    }
