"""The peer of `mlpc monitor` in bench/monitor.sh: Evidently's data-drift preset with its default
stat tests and thresholds, run the way a user would script it (pandas reads both CSVs, one
report). Writes OUT.json: per column the test Evidently chose, its score, threshold and verdict;
the dataset's verdict; the seconds (all of it, imports included, and their parts).

    python evidently_drift.py REFERENCE.csv CURRENT.csv OUT.json

Made with evidently==0.7.23 (the 0.7 API: `evidently.Report`, `evidently.presets.DataDriftPreset`,
`Report.run(current, reference)` returning a snapshot) and pandas 2.3.3, numpy 2.4, scipy 1.17.
pandas 3 breaks evidently 0.7.23's import (infer_dtype_from_object is gone), so: pip install
evidently==0.7.23 "pandas<3"."""
import time

started = time.perf_counter()
import json  # noqa: E402
import sys  # noqa: E402

import evidently  # noqa: E402
import pandas as pd  # noqa: E402
from evidently import Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402

reference_path, current_path, out_path = sys.argv[1:4]
imported = time.perf_counter()
reference = pd.read_csv(reference_path)
current = pd.read_csv(current_path)
read = time.perf_counter()
# include_tests only adds each column's pass/fail (Evidently's own verdict) to the snapshot; the
# tests and thresholds stay the preset's defaults.
snapshot = Report([DataDriftPreset()], include_tests=True).run(current, reference)
result = snapshot.dict()
finished = time.perf_counter()

failed = {t["metric_config"]["metric_id"] for t in result["tests"] if str(t["status"]).endswith("FAIL")}
columns, share, count = [], None, None
for m in result["metrics"]:
    config = m["config"]
    if config["type"].endswith("ValueDrift"):
        columns.append({
            "column": config["column"],
            "method": config["method"],  # "... p_value" methods score a p-value: drift below the threshold
            "score": float(m["value"]),
            "threshold": config["threshold"],
            "drifted": m["id"] in failed,
        })
    elif config["type"].endswith("DriftedColumnsCount"):
        count, share, drift_share = m["value"]["count"], m["value"]["share"], config["drift_share"]
        dataset_drift = m["id"] in failed  # the preset's test: share of drifted columns < drift_share
out = {
    "tool": "evidently", "version": evidently.__version__, "rows": len(current), "reference_rows": len(reference),
    "columns": columns, "drifted_count": int(count), "share": share, "drift_share": drift_share,
    "drift": dataset_drift,
    "seconds": finished - started, "import_seconds": imported - started,
    "read_seconds": read - imported, "report_seconds": finished - read,
}
json.dump(out, open(out_path, "w"), indent=1)
print(json.dumps({k: v for k, v in out.items() if k != "columns"}))
