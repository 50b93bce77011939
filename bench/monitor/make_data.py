"""Reference and current CSVs for bench/monitor.sh: ROWS rows (default 1,000,000) of COLUMNS feature
columns (default 50: four fifths numeric, one fifth categorical strings), plus a two-class `label`
in the reference only (a column the current file lacks, which a monitor should skip). The current
file drifts on a known subset (every fifth numeric column from the second on: shifted by 0.3-1 sd
or rescaled; every fifth categorical from the third on: re-weighted levels) and is drawn from the
same distributions everywhere else, so both tools' verdicts can be checked against the truth.

    python make_data.py REFERENCE.csv CURRENT.csv      # ROWS, COLUMNS, SEED from the environment

Prints the drifted columns (one JSON line on stdout) and what each drift is (stderr)."""
import json
import os
import sys

import numpy as np
import pandas as pd

rows = int(os.environ.get("ROWS", 1_000_000))
columns = int(os.environ.get("COLUMNS", 50))
seed = int(os.environ.get("SEED", 7))
n_cat = columns // 5
n_num = columns - n_cat
# Parameters come from their own stream so that both files describe the same populations; the
# two samples come from two other streams so that undrifted columns differ only by sampling.
params = np.random.default_rng([seed, 99])
kinds = ["normal", "lognormal", "uniform", "poisson", "binomial"]  # binomial(4): <= 5 distinct values
# The drifts cycle through these; the kinds rotate so that each kind drifts at least once.
drifts = [("shift", 0.3), ("scale", 1.5), ("shift", 0.5), ("shift", 0.7), ("scale", 0.6), ("shift", 1.0),
          ("scale", 0.6), ("scale", 1.5)]
num_specs = []
for i in range(n_num):
    kind = kinds[(i + i // 5) % len(kinds)]
    drift = drifts[i // 5 % len(drifts)] if i % 5 == 1 else None
    if drift and kind == "binomial":
        drift = ("shift", drift[1] if drift[0] == "shift" else 0.7)  # 4 trials cannot be stretched
    num_specs.append((f"num_{i:02d}", kind, params.uniform(-5, 5), params.uniform(0.5, 3), drift))
cat_specs = []
for i in range(n_cat):
    levels = int(params.integers(3, 13))
    weights = params.dirichlet(np.full(levels, 2.0))
    drifted = None
    if i % 5 == 2:  # the two most common levels give half their weight to the rarest one
        drifted = weights.copy()
        order = np.argsort(weights)
        moved = drifted[order[-2:]] / 2
        drifted[order[-2:]] -= moved
        drifted[order[0]] += moved.sum()
    cat_specs.append((f"cat_{i:02d}", [f"{chr(97 + i % 26)}{k}" for k in range(levels)], weights, drifted))


def numeric(rng, kind, loc, scale, drift):
    """Drift moves the sample by a multiple of the population sd or stretches it about its mean;
    counts drift through their parameter so that they stay integers."""
    if kind == "poisson":
        lam = 1 + abs(loc) * 2
        if drift and drift[0] == "shift":
            lam += drift[1] * np.sqrt(lam)
        x = rng.poisson(lam, rows).astype(float)
        if drift and drift[0] == "scale":  # over/under-dispersed around the same mean
            x = np.round(lam + (x - lam) * drift[1]).clip(0)
        return x
    if kind == "binomial":
        p = 0.2 + abs(loc) / 10
        if drift:  # the mean 4p moves by drift sd = drift * 2 sqrt(p (1 - p))
            p = min(p + drift[1] * np.sqrt(p * (1 - p)) / 2, 0.95)
        return rng.binomial(4, p, rows).astype(float)
    if kind == "normal":
        x, mean, sd = rng.normal(loc, scale, rows), loc, scale
    elif kind == "lognormal":
        s = scale / 4
        x = np.exp(rng.normal(0, s, rows)) * abs(loc)
        mean = np.exp(s * s / 2) * abs(loc)
        sd = mean * np.sqrt(np.exp(s * s) - 1)
    else:
        x, mean, sd = rng.uniform(loc - scale, loc + scale, rows), loc, scale * 2 / np.sqrt(12)
    if drift and drift[0] == "shift":
        x = x + drift[1] * sd
    elif drift:
        x = mean + (x - mean) * drift[1]
    return np.round(x, 4)  # 4 decimals: smaller files, still > 5 distinct values


def frame(rng, current):
    data = {}
    for name, kind, loc, scale, drift in num_specs:
        data[name] = numeric(rng, kind, loc, scale, drift if current else None)
    for name, levels, weights, drifted in cat_specs:
        p = drifted if current and drifted is not None else weights
        data[name] = pd.Categorical.from_codes(rng.choice(len(levels), rows, p=p), levels)
    if not current:
        data["label"] = np.where(rng.random(rows) < 0.3, "yes", "no")
    return pd.DataFrame(data)


for path, current in ((sys.argv[1], False), (sys.argv[2], True)):
    frame(np.random.default_rng([seed, int(current)]), current).to_csv(path, index=False)
drifted = [s[0] for s in num_specs if s[4]] + [s[0] for s in cat_specs if s[3] is not None]
for name, kind, _, _, drift in num_specs:
    if drift:
        print(f"drift: {name} ({kind}) {drift[0]} {drift[1]}", file=sys.stderr)
for name, levels, weights, drifted_p in cat_specs:
    if drifted_p is not None:
        print(f"drift: {name} ({len(levels)} levels) re-weighted {np.round(weights, 3).tolist()} -> {np.round(drifted_p, 3).tolist()}", file=sys.stderr)
print(json.dumps({"rows": rows, "columns": columns, "drifted": drifted}))
