"""Turns bench/gpu.sh's results.jsonl into a markdown table: samples/s of mlpc and PyTorch side by
side with their ratio, over all epochs and in the steady state (epochs after the first, which
carries one-time costs: kernel loading, allocator warm-up, cuBLAS handles), and the training
time each needed to reach a common validation accuracy (98% of the lowest final accuracy among
the runs of that workload, so every run reaches it)."""

import json
import sys


def steady(run):
    """Samples/s over the epochs after the first; None with fewer than two epochs."""
    if not run or len(run["epochs"]) < 2:
        return None
    epochs = run["epochs"]
    per_epoch = run["samples_per_second"] * epochs[-1]["seconds"] / len(epochs)
    return per_epoch * (len(epochs) - 1) / (epochs[-1]["seconds"] - epochs[0]["seconds"])


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    print("| workload | device | precision | mlpc samples/s | PyTorch samples/s | mlpc / PyTorch "
          "| steady mlpc / PyTorch | target val acc | mlpc time to target | PyTorch time to target |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for workload in sorted({r["workload"] for r in rows}):
        runs = [r for r in rows if r["workload"] == workload]
        target = 0.98 * min(r["epochs"][-1]["val_accuracy"] for r in runs)
        keys = sorted({(r["device"], r["precision"]) for r in runs}, key=lambda k: (k[0] != "cuda", k[1]))
        for device, precision in keys:
            pair = {r["tool"].split()[0]: r for r in runs if (r["device"], r["precision"]) == (device, precision)}
            m, t = pair.get("mlpc"), pair.get("pytorch")

            def reach(run):
                if run is None:
                    return "-"
                hit = next((e for e in run["epochs"] if e["val_accuracy"] >= target), None)
                return f"{hit['seconds']:.2f} s (epoch {hit['epoch']})" if hit else "not reached"

            sps = lambda r: f"{r['samples_per_second']:,.0f}" if r else "-"
            ratio = f"{m['samples_per_second'] / t['samples_per_second']:.2f}x" if m and t else "-"
            steady_m, steady_t = steady(m), steady(t)
            steady_ratio = f"{steady_m / steady_t:.2f}x" if steady_m and steady_t else "-"
            print(f"| {workload} | {device} | {precision} | {sps(m)} | {sps(t)} | {ratio} | {steady_ratio} "
                  f"| {target:.3f} | {reach(m)} | {reach(t)} |")
    gpus = {r.get("gpu") for r in rows if r.get("gpu") and r["device"] == "cuda"}
    versions = {r["tool"] for r in rows if r["tool"].startswith("pytorch")}
    print(f"\nGPU: {', '.join(sorted(gpus)) or 'unknown'}; {', '.join(sorted(versions))}")


if __name__ == "__main__":
    main()
