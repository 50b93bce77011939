"""The expression benchmark's table: criterion's medians for the JIT, the hand loop, the reference
evaluator and the compile times, the numpy timings, and the ratios against the goals.

Usage: python3 bench/expr/report.py NUMPY_JSON_LINES [CRITERION_DIR]
(CRITERION_DIR defaults to $CARGO_TARGET_DIR/criterion or target/criterion). Each criterion
figure is `median.point_estimate` of `<group>/<bench>/new/estimates.json`, in ns: the last run
of that benchmark, so run the whole bench before reading ratios. numpy figures are best-of-N.
"""

import json
import os
import sys


def main() -> None:
    numpy_file = sys.argv[1]
    default = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
    criterion = sys.argv[2] if len(sys.argv) > 2 else default
    rows = int(os.environ.get("EXPR_ROWS", "10000000").replace("_", ""))

    def median_ns(bench: str):
        path = os.path.join(criterion, bench, "new", "estimates.json")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]

    peers = {}
    with open(numpy_file) as f:
        for line in f:
            if line.startswith("{"):
                entry = json.loads(line)
                peers[entry["name"]] = entry
                if entry["rows"] != rows:
                    print(f"warning: {entry['name']} ran on {entry['rows']:,} rows, the Rust side on {rows:,}")

    print(f"\nper row ({rows:,} rows; criterion medians, numpy best of N):")
    per_row = {}
    for name in ["jit/parallel", "jit/single_thread", "hand_loop/single_thread", "hand_loop/avx2", "reference/single_thread"]:
        ns = median_ns(name)
        if ns is not None:
            per_row[name] = ns / rows
    for name, entry in peers.items():
        per_row[name] = entry["ns_per_row"]
    for name, ns in per_row.items():
        print(f"  {name:26} {ns:9.3f} ns/row  {1e3 / ns:9.1f} M rows/s")

    compile_us = {
        f"{name}/{tier}": median_ns(f"compile/{name}_{tier}")
        for name in ["rule_11_ops", "expression_9_ops"]
        for tier in ["quick", "optimized"]
    }
    for name, ns in compile_us.items():
        if ns is not None:
            print(f"  compile/{name:28} {ns / 1e3:9.1f} µs")

    def ratio(label: str, slow: str, fast: str, goal: str) -> None:
        if slow in per_row and fast in per_row:
            print(f"  {label:44} {per_row[slow] / per_row[fast]:7.2f}x   (goal {goal})")

    print("\nratios (how many times faster the first is; below 1, slower):")
    ratio("JIT parallel vs numpy", "numpy", "jit/parallel", ">= 2x")
    ratio("JIT single thread vs numpy", "numpy", "jit/single_thread", ">= 2x")
    ratio("JIT parallel vs numpy + (a > b)", "numpy_bool_add", "jit/parallel", ">= 2x")
    ratio("JIT single thread vs numpy + (a > b)", "numpy_bool_add", "jit/single_thread", ">= 2x")
    ratio("JIT parallel vs numexpr", "numexpr", "jit/parallel", "none, for information")
    ratio("JIT single thread vs hand loop", "hand_loop/single_thread", "jit/single_thread", ">= 1/1.2 = 0.83x")
    ratio("JIT single thread vs AVX2 hand loop", "hand_loop/avx2", "jit/single_thread", ">= 0.83x")
    ratio("JIT parallel vs hand loop", "hand_loop/single_thread", "jit/parallel", "none, for information")
    ratio("JIT parallel vs reference", "reference/single_thread", "jit/parallel", ">= 30x")
    ratio("JIT single thread vs reference", "reference/single_thread", "jit/single_thread", ">= 30x")
    for name, ns in compile_us.items():
        if ns is not None:
            verdict = "met" if ns < 100e3 else f"not met, {ns / 100e3:.1f}x the goal"
            print(f"  {'compile ' + name:44} {ns / 1e3:7.1f} µs (goal < 100 µs: {verdict})")


if __name__ == "__main__":
    main()
