"""Benchmark: ``skreg select``'s CSV reader against ``pandas.read_csv`` (time and peak memory).

Each measurement runs in a fresh process: its time, its peak resident memory
(``ru_maxrss``, interpreter and imports included) and the peak above what the
imports took (skreg imports numba and scikit-learn, pandas alone does not). Cases alternate within every repeat, so load on the machine
affects them alike. The files are generated: a header, then ``--rows`` rows of
20 float features written with 6 significant digits and a 0/1 label (about
167 bytes a row: 295,000 rows is 47 MB).

* ``pandas``: ``pandas.read_csv(path)`` (the reference);
* ``skreg``: ``skreg._io.read_dataset(path, "label")``, what ``skreg select``
  runs: sniffing, chunked reading with the memory limit, label parsing and the
  float64 feature matrix.

Usage::

    python benchmarks/bench_cli_read.py                      # 47 MB and 95 MB files, 3 repeats
    python benchmarks/bench_cli_read.py --quick              # CI: a 2 MB file, 1 repeat
    python benchmarks/bench_cli_read.py --rows 295000 595000 --repeats 5
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

from _common import ROOT, median

N_FEATURES = 20

_CHILD = r"""
import resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
if kind == "pandas":
    import pandas as pd
    read = lambda: pd.read_csv(path).shape
else:
    from skreg._io import read_dataset
    read = lambda: read_dataset(path, "label").X.shape
imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
shape = read()
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(elapsed, peak, peak - imported)
"""


def write_csv(path, n_rows, seed=0):
    """A header and ``n_rows`` rows of N_FEATURES floats (6 significant digits) and a label."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        f.write(",".join([f"f{j}" for j in range(N_FEATURES)] + ["label"]) + "\n")
        for start in range(0, n_rows, 100_000):
            m = min(100_000, n_rows - start)
            block = rng.standard_normal((m, N_FEATURES)) * 1000.0
            labels = rng.integers(0, 2, m)
            lines = [",".join(f"{v:.6g}" for v in row) + f",{lab}" for row, lab in zip(block, labels)]
            f.write("\n".join(lines) + "\n")
    return path


def run_child(kind, path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", _CHILD, kind, path], capture_output=True,
                         text=True, env=env, check=True, cwd=ROOT).stdout.split()
    return tuple(map(float, out))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[295_000, 595_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a 2 MB file, 1 repeat")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeats = [10_000], 1
    kinds = ["pandas", "skreg"]
    print(f"{'file':>7} {'case':>7} {'time (s)':>9} {'peak RSS (MB)':>14} {'above imports':>14} "
          f"{'vs pandas (time, above imports)':>32}")
    with tempfile.TemporaryDirectory() as tmp:
        for n_rows in args.rows:
            path = write_csv(os.path.join(tmp, f"rows{n_rows}.csv"), n_rows)
            size = f"{os.path.getsize(path) / 2**20:.0f} MB"
            runs = {kind: [] for kind in kinds}
            for _ in range(args.repeats):
                for kind in kinds:
                    runs[kind].append(run_child(kind, path))
            stats = {kind: [median([r[i] for r in runs[kind]]) for i in range(3)]
                     for kind in kinds}
            ref = stats["pandas"]
            for kind in kinds:
                t, peak, above = stats[kind]
                print(f"{size:>7} {kind:>7} {t:9.2f} {peak:14.0f} {above:14.0f} "
                      f"{t / ref[0]:>20.2f}x {above / ref[2]:9.2f}x", flush=True)
            os.remove(path)


if __name__ == "__main__":
    main()
