"""Tables for docs/benchmarks.md from bench/serve.sh's results.jsonl."""
import json
import sys

lines = [json.loads(l) for l in open(sys.argv[1])]
plain = {(l["server"], l["rows"]): l["result"] for l in lines if "rate" not in l}
print("| request | server | requests/s | p50 ms | p99 ms | ratio (rps) |")
print("|---|---|---|---|---|---|")
for rows, label in [("one", "1 row"), ("hundred", "100 rows")]:
    base = plain[("fastapi", rows)]["rps"]
    for server in ["mlpc", "fastapi"]:
        r = plain[(server, rows)]
        name = "mlpc serve" if server == "mlpc" else "FastAPI + uvicorn (scikit-learn)"
        print(f"| {label} | {name} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['rps'] / base:.1f}x |")
for l in lines:
    if "rate" in l and "soak_seconds" not in l:
        r = l["result"]
        print(f"\nAt half of mlpc's peak ({l['rate']:,} requests/s): p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, {r['5xx']} 5xx.")
    if "soak_seconds" in l:
        r = l["result"]
        growth = (l["rss_end_kb"] - l["rss_start_kb"]) / l["rss_start_kb"] * 100
        print(
            f"Soak, {l['soak_seconds']} s at {l['rate']:,} requests/s: {r['5xx']} 5xx, p99 {r['p99_ms']:.2f} ms, "
            f"resident memory {l['rss_start_kb'] / 1024:.1f} MiB -> {l['rss_end_kb'] / 1024:.1f} MiB ({growth:+.1f} %)."
        )
