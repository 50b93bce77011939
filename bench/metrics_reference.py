#!/usr/bin/env python3
# Run: python3 bench/metrics_reference.py > stdlib/tests/data/metrics_expected.json
# Needs: pip install scikit-learn numpy
#
# Writes the expected value of every metric in stdlib/src/metrics.rs, computed with scikit-learn,
# next to the inputs it was computed on. The inputs come from numpy's seeded generator and are
# written into the JSON, so the Rust test (stdlib/tests/metrics.rs) needs neither Python nor numpy.
#
# Where mlp-stdlib deliberately refuses a value that scikit-learn would compute with a warning
# (average precision or ROC-AUC of a class absent from the truth), the entry holds
# `"error": "undefined"` instead of a value.

import json
import sys

import numpy as np
import sklearn
from sklearn import metrics

SEED = 20240611

# The bounds the thresholded metrics are checked with: (metric, bounded metric, op, value).
BOUNDS = [
    ("precision_at", "recall", ">=", 0.6),
    ("precision_at", "recall", ">", 0.5),
    ("precision_at", "recall", ">=", 1.0),
    ("recall_at", "precision", ">=", 0.9),
    ("recall_at", "precision", ">", 0.75),
    ("recall_at", "precision", ">=", 0.5),
]


def value(metric, x, args=None):
    return {"metric": metric, "args": args or {}, "value": float(x)}


def undefined(metric, args=None):
    return {"metric": metric, "args": args or {}, "error": "undefined"}


def bounded_best(curve_values, bounded_values, op, limit):
    """Best value of one curve among the points whose other coordinate satisfies the bound;
    0.0 when no point does (the documented convention of mlp-stdlib)."""
    mask = bounded_values >= limit if op == ">=" else bounded_values > limit
    return float(curve_values[mask].max()) if mask.any() else 0.0


def counting_metrics(truth, predicted, average):
    """Metrics that read hard predictions; zero_division=0 as mlp-stdlib defines them."""
    kw = {"average": average, "zero_division": 0}
    if average == "binary":
        kw["pos_label"] = 1
    p = metrics.precision_score(truth, predicted, **kw)
    r = metrics.recall_score(truth, predicted, **kw)
    return [
        value("accuracy", metrics.accuracy_score(truth, predicted)),
        value("precision", p),
        value("recall", r),
        value("f1", metrics.f1_score(truth, predicted, **kw)),
        value("pr_mean", (p + r) / 2),
    ]


def one_vs_rest_ap(truth, probabilities):
    """Macro mean over every class (both classes when binary) of its one-vs-rest average precision."""
    classes = probabilities.shape[1]
    if any(not np.any(truth == k) for k in range(classes)):
        return None
    aps = [metrics.average_precision_score(truth == k, probabilities[:, k]) for k in range(classes)]
    return float(np.mean(aps))


def binary_expected(truth, probabilities, threshold):
    labels = [0, 1]
    score = probabilities[:, 1]
    predicted = (score >= threshold).astype(int)
    out = counting_metrics(truth, predicted, "binary")
    has_pos, has_neg = bool(np.any(truth == 1)), bool(np.any(truth == 0))

    precision, recall, _ = metrics.precision_recall_curve(truth, score, pos_label=1)
    for metric, on, op, limit in BOUNDS:
        args = {"bound": {"metric": on, "op": op, "value": limit}}
        if not has_pos:
            out.append(undefined(metric, args))
        elif metric == "precision_at":
            out.append(value(metric, bounded_best(precision, recall, op, limit), args))
        else:
            out.append(value(metric, bounded_best(recall, precision, op, limit), args))

    if has_pos:
        out.append(value("average_precision", metrics.average_precision_score(truth, score, pos_label=1)))
    else:
        out.append(undefined("average_precision"))
    mean_ap = one_vs_rest_ap(truth, probabilities)
    out.append(value("map", mean_ap) if mean_ap is not None else undefined("map"))
    if has_pos and has_neg:
        out.append(value("roc_auc", metrics.roc_auc_score(truth, score)))
    else:
        out.append(undefined("roc_auc"))
    out.append(value("log_loss", metrics.log_loss(truth, probabilities, labels=labels)))
    return out


def multiclass_expected(truth, probabilities):
    classes = probabilities.shape[1]
    predicted = np.argmax(probabilities, axis=1)  # first maximum on ties, as predicted_classes
    out = counting_metrics(truth, predicted, "macro")
    mean_ap = one_vs_rest_ap(truth, probabilities)
    if mean_ap is None:
        out.append(undefined("map"))
        out.append(undefined("roc_auc"))
    else:
        # The library's own multi-class average precision must agree with the explicit mean.
        library = metrics.average_precision_score(truth, probabilities, average="macro")
        assert abs(library - mean_ap) < 1e-12, (library, mean_ap)
        out.append(value("map", mean_ap))
        out.append(value("roc_auc", metrics.roc_auc_score(truth, probabilities, multi_class="ovr", average="macro")))
    out.append(value("log_loss", metrics.log_loss(truth, probabilities, labels=list(range(classes)))))
    return out


def regression_expected(truth, predicted):
    return [
        value("mse", metrics.mean_squared_error(truth, predicted)),
        value("mae", metrics.mean_absolute_error(truth, predicted)),
        value("rmse", metrics.root_mean_squared_error(truth, predicted)),
        value("r2", metrics.r2_score(truth, predicted)),
    ]


def binary_case(name, truth, score, threshold=0.5):
    truth = np.asarray(truth, dtype=int)
    score = np.asarray(score, dtype=float)
    probabilities = np.column_stack([1.0 - score, score])
    return {
        "name": name,
        "kind": "classes",
        "threshold": threshold,
        "truth": truth.tolist(),
        "probabilities": probabilities.tolist(),
        "expected": binary_expected(truth, probabilities, threshold),
    }


def multiclass_case(name, truth, probabilities):
    truth = np.asarray(truth, dtype=int)
    return {
        "name": name,
        "kind": "classes",
        "threshold": 0.5,
        "truth": truth.tolist(),
        "probabilities": probabilities.tolist(),
        "expected": multiclass_expected(truth, probabilities),
    }


def regression_case(name, truth, predicted):
    truth = np.asarray(truth, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    return {
        "name": name,
        "kind": "values",
        "truth": truth.tolist(),
        "predicted": predicted.tolist(),
        "expected": regression_expected(truth, predicted),
    }


def simplex_rows(rng, rows, classes):
    return rng.dirichlet(np.ones(classes), size=rows)


def tenths_rows(rng, rows, classes):
    """Probability rows in multiples of 0.1 (many ties across rows, some exact zeros)."""
    return rng.multinomial(10, np.ones(classes) / classes, size=rows) / 10.0


def noisy_scores(rng, truth, separation, decimals):
    """Scores in [0, 1] that lean towards the truth; rounding to few decimals makes ties."""
    raw = rng.normal(loc=np.where(truth == 1, separation, -separation), scale=1.0)
    return np.round(1.0 / (1.0 + np.exp(-raw)), decimals)


def cases():
    rng = np.random.default_rng(SEED)
    out = []

    truth = rng.integers(0, 2, size=60)
    out.append(binary_case("binary_ties", truth, noisy_scores(rng, truth, 0.8, 1)))

    truth = rng.integers(0, 2, size=80)
    out.append(binary_case("binary_fine_scores", truth, noisy_scores(rng, truth, 0.6, 6)))
    out.append(binary_case("binary_threshold_0.3", truth, noisy_scores(rng, truth, 0.6, 3), threshold=0.3))

    truth = (rng.random(200) < 0.05).astype(int)
    out.append(binary_case("binary_imbalanced", truth, noisy_scores(rng, truth, 1.0, 3)))

    truth = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    out.append(binary_case("binary_perfect", truth, truth.astype(float)))

    truth = rng.integers(0, 2, size=40)
    out.append(binary_case("binary_all_predicted_negative", truth, np.round(rng.random(40) * 0.45, 2)))

    truth = rng.integers(0, 2, size=30)
    out.append(binary_case("binary_all_predicted_positive", truth, np.round(0.5 + rng.random(30) * 0.5, 2)))

    out.append(binary_case("binary_one_score", [1, 0, 1, 1, 0], [0.7] * 5))
    out.append(binary_case("binary_no_positive", [0] * 12, np.round(rng.random(12), 2)))
    out.append(binary_case("binary_no_negative", [1] * 9, np.round(rng.random(9), 2)))

    truth = rng.integers(0, 3, size=90)
    p = simplex_rows(rng, 90, 3)
    p[np.arange(90), truth] += 0.4  # an informative but imperfect model
    p /= p.sum(axis=1, keepdims=True)
    out.append(multiclass_case("three_classes", truth, p))

    truth = rng.integers(0, 4, size=120)
    out.append(multiclass_case("four_classes_ties", truth, tenths_rows(rng, 120, 4)))

    # Class 3 is never predicted (its precision is a zero division).
    truth = rng.integers(0, 4, size=50)
    p = simplex_rows(rng, 50, 4)
    p[:, 3] *= 0.01
    p /= p.sum(axis=1, keepdims=True)
    out.append(multiclass_case("four_classes_one_never_predicted", truth, p))

    # Class 2 is neither true nor predicted: macro averages skip it, AP and AUC are undefined.
    truth = rng.integers(0, 2, size=30)
    p = simplex_rows(rng, 30, 3)
    p[:, 2] *= 0.01
    p /= p.sum(axis=1, keepdims=True)
    out.append(multiclass_case("three_classes_one_absent", truth, p))

    truth = rng.normal(10.0, 3.0, size=100)
    out.append(regression_case("regression_noisy", truth, truth + rng.normal(0.0, 1.5, size=100)))
    out.append(regression_case("regression_perfect", [1.5, -2.0, 3.25, 0.0], [1.5, -2.0, 3.25, 0.0]))
    out.append(regression_case("regression_worse_than_mean", [1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]))
    out.append(regression_case("regression_constant_truth", [2.5] * 6, [2.0, 2.5, 3.0, 2.5, 1.0, 4.0]))
    out.append(regression_case("regression_constant_truth_perfect", [-7.0] * 5, [-7.0] * 5))
    return out


def main():
    document = {
        "generated_by": "bench/metrics_reference.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "seed": SEED,
        "cases": cases(),
    }
    text = json.dumps(document, indent=1)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text + "\n")
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
