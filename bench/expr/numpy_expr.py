"""The expression benchmark's numpy peer: the benchmark expression of expr/benches/expressions.rs
as a numpy user writes it, over float64 columns with NaN as the missing marker.

Usage: python3 bench/expr/numpy_expr.py [ROWS] [REPEATS]     (default 10,000,000 rows, best of 7)

Four columns uniform in [-100, 100), about 1 % NaN each (seeded, like the Rust side's data; not
the same numbers, which does not matter for the timing). A NaN in any input makes the result NaN,
as a null in any input makes the mlpc result null.

Prints a readable line and a JSON line per variant: `numpy` is the expression as written,
`numpy_bool_add` adds `(a > b)` in place of `np.where(a > b, 1.0, 0.0)` (the faster spelling).
bench/expr/report.py reads the JSON lines. numexpr is timed too when it is installed
(multi-threaded, reported separately with its thread count).
"""

import json
import sys
import timeit

import numpy as np


def data(rows: int) -> dict:
    rng = np.random.default_rng(20261127)
    columns = {}
    for name in "abcd":
        values = rng.uniform(-100.0, 100.0, rows)
        values[rng.random(rows) < 0.01] = np.nan
        columns[name] = values
    return columns


def with_numpy(a, b, c, d):
    return np.clip((a - b) / (np.abs(c) + 1), -5, 5) * d + np.where(a > b, 1.0, 0.0)


def with_numpy_bool_add(a, b, c, d):
    """The same, adding the bool array itself: np.where with two scalars is several times slower
    than the comparison it wraps, so a numpy user who profiles writes this instead."""
    return np.clip((a - b) / (np.abs(c) + 1), -5, 5) * d + (a > b)


def report(name: str, rows: int, best: float, **extra) -> None:
    ns = best / rows * 1e9
    print(f"{name}: best {best * 1e3:.1f} ms for {rows:,} rows, {ns:.2f} ns/row, {rows / best / 1e6:.1f} M rows/s")
    print(json.dumps({"name": name, "rows": rows, "best_s": best, "ns_per_row": ns, "rows_per_s": rows / best, **extra}), flush=True)


def main() -> None:
    rows = int(sys.argv[1].replace("_", "")) if len(sys.argv) > 1 else 10_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    columns = data(rows)
    a, b, c, d = (columns[n] for n in "abcd")
    result = with_numpy(a, b, c, d)
    print(f"numpy {np.__version__}: {np.isnan(result).mean() * 100:.2f} % of results NaN", file=sys.stderr, flush=True)
    assert np.array_equal(with_numpy_bool_add(a, b, c, d), result, equal_nan=True)
    # number=1: one evaluation is a tenth of a second or more; the best of `repeats` is the least
    # disturbed by whatever else runs on the machine.
    for name, function in [("numpy", with_numpy), ("numpy_bool_add", with_numpy_bool_add)]:
        best = min(timeit.repeat(lambda: function(a, b, c, d), number=1, repeat=repeats))
        report(name, rows, best, version=np.__version__)

    try:
        import numexpr as ne
    except ImportError:
        print("numexpr not installed: skipped (python3 -m pip install numexpr to time it)", file=sys.stderr)
        return
    # numexpr has no clip: the same min/max as nested wheres. NaN compares false, so it passes
    # through both wheres unchanged, as np.clip passes it.
    text = "where(x < -5, -5, where(x > 5, 5, x)) * d + where(a > b, 1.0, 0.0)"
    step = "(a - b) / (abs(c) + 1)"
    run = lambda: ne.evaluate(text.replace("x", f"({step})"), local_dict=columns)
    assert np.array_equal(run(), result, equal_nan=True)
    best = min(timeit.repeat(run, number=1, repeat=repeats))
    report("numexpr", rows, best, version=ne.__version__, threads=ne.get_num_threads())


if __name__ == "__main__":
    main()
