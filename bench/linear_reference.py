#!/usr/bin/env python3
# Run: python3 bench/linear_reference.py > stdlib/tests/data/linear_expected.json
# Needs: pip install scikit-learn pandas
#
# Fits scikit-learn's LogisticRegression and Ridge / LinearRegression on small real data sets from
# tests/data/ and writes their coefficients, intercepts and predictions, so that
# stdlib/tests/linear.rs can check stdlib/src/linear.rs against them without Python.
#
# The correspondence (see the doc comment of stdlib/src/linear.rs):
# - classification: mean cross-entropy + (l/2)·‖W‖² with l = max(l2, 1e-4) is
#   LogisticRegression(C = 1 / (l · n));
# - regression: (1/(2n))·‖y − Xw − b‖² + (l2/2)·‖w‖² is Ridge(alpha = l2 · n), and l2 = 0 is
#   LinearRegression.
# Inputs are read by the Rust test from the same CSV files; `zscore` means each column minus its
# mean, divided by its population standard deviation (ddof = 0), over all rows.
# Softmax intercepts are only defined up to a common constant: they are written centred (sum 0).

import json
import os
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MIN_CLASSIFICATION_L2 = 1e-4

CLASSIFICATION = [
    # (case name, file, label, l2)
    ("breast_cancer_l2_0.01", "breast_cancer.csv", "diagnosis", 0.01),
    ("breast_cancer_default", "breast_cancer.csv", "diagnosis", 0.0),
    ("iris_l2_0.01", "iris.csv", "species", 0.01),
    ("iris_default", "iris.csv", "species", 0.0),
]

REGRESSION = [
    # (case name, file, target, inputs, zscore, l2)
    ("iris_petal_width_ols", "iris.csv", "petal_width", ["sepal_length", "sepal_width", "petal_length"], False, 0.0),
    ("iris_petal_width_ridge", "iris.csv", "petal_width", ["sepal_length", "sepal_width", "petal_length"], False, 0.1),
    ("houses_ols", "houses.csv", "price", ["area", "rooms"], False, 0.0),
    ("breast_cancer_radius_ridge", "breast_cancer.csv", "mean_area", None, True, 0.05),
]


def read(file):
    return pd.read_csv(os.path.join(ROOT, "tests", "data", file))


def zscore(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)


def classification_case(name, file, label, l2):
    frame = read(file)
    inputs = [c for c in frame.columns if c != label]
    x = zscore(frame[inputs].to_numpy(dtype=float))
    levels = sorted(frame[label].unique())
    y = np.array([levels.index(v) for v in frame[label]])
    effective = max(l2, MIN_CLASSIFICATION_L2)
    model = LogisticRegression(C=1.0 / (effective * len(y)), solver="newton-cholesky", tol=1e-12, max_iter=1000)
    model.fit(x, y)
    intercepts = model.intercept_ - model.intercept_.mean() if len(levels) > 2 else model.intercept_
    return {
        "name": name,
        "task": "classification",
        "file": file,
        "label": label,
        "levels": levels,
        "inputs": inputs,
        "zscore": True,
        "l2": l2,
        "coefficients": model.coef_.tolist(),
        "intercepts": intercepts.tolist(),
        "probabilities": model.predict_proba(x).tolist(),
    }


def regression_case(name, file, target, inputs, standardize, l2):
    frame = read(file)
    if inputs is None:
        inputs = [c for c in frame.columns if c != target and frame[c].dtype.kind == "f"]
    x = frame[inputs].to_numpy(dtype=float)
    if standardize:
        x = zscore(x)
    y = frame[target].to_numpy(dtype=float)
    model = LinearRegression() if l2 == 0 else Ridge(alpha=l2 * len(y), solver="cholesky")
    model.fit(x, y)
    return {
        "name": name,
        "task": "regression",
        "file": file,
        "label": target,
        "inputs": inputs,
        "zscore": standardize,
        "l2": l2,
        "coefficients": [model.coef_.tolist()],
        "intercepts": [float(model.intercept_)],
        "predictions": model.predict(x).tolist(),
    }


def main():
    cases = [classification_case(*c) for c in CLASSIFICATION] + [regression_case(*c) for c in REGRESSION]
    out = {"generator": "bench/linear_reference.py", "sklearn": sklearn.__version__, "cases": cases}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
