"""The ingest benchmark's peers: pandas.read_csv and polars.read_csv on the same file.

Usage: python3 bench/ingest_peers.py FILE.csv THREADS REPEATS [pandas|polars]
Prints one line per library in the format of data/examples/ingest.rs:
NAME threads=N rows=R seconds=S MB/s=M peak_rss_MB=P (P is this process's peak, including the
interpreter). Polars is restricted to THREADS threads with POLARS_MAX_THREADS, which must be set
before polars is imported, so each thread count runs in a fresh process.
"""

import os
import resource
import sys
import time


def main() -> None:
    path, threads, repeats, library = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    size = os.path.getsize(path)
    if library == "polars":
        os.environ["POLARS_MAX_THREADS"] = str(threads)
        import polars as pl

        assert pl.thread_pool_size() == threads, pl.thread_pool_size()
        with open(path, encoding="utf-8") as f:
            names = f.readline().strip().split(",")
        # Every column declared Float64, as the mlpc side declares them (no inference pass).
        schema = {name: pl.Float64 for name in names}
        read = lambda: pl.read_csv(path, schema=schema)
    else:
        import pandas as pd

        read = lambda: pd.read_csv(path, dtype="float64", engine="c")
    best = float("inf")
    rows = 0
    for _ in range(repeats):
        start = time.perf_counter()
        frame = read()
        best = min(best, time.perf_counter() - start)
        rows = len(frame)
        del frame
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1000
    print(f"{library} threads={threads} rows={rows} seconds={best:.3f} MB/s={size / best / 1e6:.0f} peak_rss_MB={peak}")


if __name__ == "__main__":
    main()
