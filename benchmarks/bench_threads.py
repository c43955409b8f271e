"""Threads: GridSearchCV(n_jobs=2) under joblib's threading backend against n_jobs=1.

The numba kernels are compiled with ``nogil=True``, so two fits can run at
once in one process. This times the same search (``refit=False``: only the
parallel part) interleaved in one process, in four ways:

* ``sequential``        n_jobs=1, BLAS with its default threads;
* ``threads``           threading backend, n_jobs=2, BLAS with its default threads
                        (two fits x two BLAS threads: oversubscribed on two cores);
* ``threads, BLAS=1``   the same inside ``threadpoolctl.threadpool_limits(1, "blas")``;
* ``processes``         loky backend, n_jobs=2 (workers reused across repeats: their
                        start-up is paid once, in the warm-up run).

and prints the medians and the speedups over ``sequential``. Every parallel
search is checked to give the sequential ``cv_results_`` exactly. ``--profile``
also estimates, for one fit of each estimator, the share of its wall time during
which the GIL is free (numba kernels, BLAS) rather than held by Python code.

    python benchmarks/bench_threads.py --profile  # a few minutes on 2 idle cores
    python benchmarks/bench_threads.py --quick    # seconds (CI)

The machine is shared: read the ratios, measured interleaved, and the load
average printed before and after.
"""

import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np
from joblib import parallel_config
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from skreg import ElasticNetMLPClassifier, RegularizedLogisticRegression  # noqa: E402

MODES = ("sequential", "threads", "threads, BLAS=1", "processes")


def problems(quick):
    if quick:
        Xl, yl = make_classification(n_samples=1500, n_features=40, n_informative=10,
                                     random_state=0)
        Xm, ym = Xl, yl
        lr_grid = {"penalty": ["l1", "l2"], "alpha": [1e-3, 1e-2]}
        mlp_grid = {"alpha": [1e-4, 1e-3]}
        mlp = ElasticNetMLPClassifier(hidden_layer_sizes=(16,), penalty="l1", max_iter=3,
                                      batch_size=100, random_state=0)
    else:
        Xl, yl = make_classification(n_samples=20000, n_features=300, n_informative=30,
                                     random_state=0)
        Xm, ym = make_classification(n_samples=20000, n_features=100, n_informative=30,
                                     n_classes=4, random_state=0)
        lr_grid = {"penalty": ["l1", "l2", "elasticnet"], "alpha": [3e-3, 1e-2, 3e-2]}
        mlp_grid = {"alpha": [1e-5, 1e-4, 1e-3], "penalty": ["l1", "l2"]}
        mlp = ElasticNetMLPClassifier(hidden_layer_sizes=(128,), max_iter=4, batch_size=128,
                                      random_state=0)
    lr = RegularizedLogisticRegression(l1_ratio=0.5)
    return [
        ("RegularizedLogisticRegression", lr, lr_grid, np.asfortranarray(Xl), yl),
        ("ElasticNetMLPClassifier", mlp, mlp_grid, np.ascontiguousarray(Xm), ym),
    ]


def search(est, grid, X, y, mode):
    n_jobs = 1 if mode == "sequential" else 2
    backend = "loky" if mode == "processes" else "threading"
    blas = threadpool_limits(1, user_api="blas") if mode == "threads, BLAS=1" else None
    try:
        with parallel_config(backend=backend):
            t0 = time.perf_counter()
            gs = GridSearchCV(est, grid, cv=3, n_jobs=n_jobs, refit=False).fit(X, y)
            elapsed = time.perf_counter() - t0
    finally:
        if blas is not None:
            blas.restore_original_limits()
    return elapsed, gs.cv_results_


def gil_free_share(est, X, y, repeats=3):
    """Share of a fit's wall time during which it leaves the GIL to other threads.

    A pure-Python counting loop runs in this thread, once beside an idle thread and once
    beside a thread fitting ``est`` (BLAS limited to one thread, so that only the GIL is
    contended). A fit that never releases the GIL gets the interpreter's 5 ms switch
    interval every other turn: the loop runs at half its rate. One that always releases
    it leaves the loop at full rate. The share is ``2 * rate_ratio - 1``, clamped to
    [0, 1]; the median of ``repeats`` interleaved measurements.
    """
    import threading

    def count_until(stop):
        n = 0
        t0 = time.perf_counter()
        while not stop.is_set():
            n += 1
        return n / (time.perf_counter() - t0)

    with threadpool_limits(1, user_api="blas"):
        est.fit(X, y)  # warm-up
        t0 = time.perf_counter()
        est.fit(X, y)
        duration = time.perf_counter() - t0
        ratios = []
        for _ in range(repeats):
            stop = threading.Event()
            idle = threading.Thread(target=lambda: (time.sleep(duration), stop.set()))
            idle.start()
            alone = count_until(stop)
            idle.join()
            stop = threading.Event()
            fit = threading.Thread(target=lambda: (est.fit(X, y), stop.set()))
            fit.start()
            beside = count_until(stop)
            fit.join()
            ratios.append(beside / alone)
    ratio = statistics.median(ratios)
    return min(max(2.0 * ratio - 1.0, 0.0), 1.0), ratio, duration


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny problems, one repeat (CI)")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats (default 3)")
    parser.add_argument("--profile", action="store_true", help="kernel share of one fit")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"{os.cpu_count()} CPUs; load average before: {load()}")
    rows = []
    for name, est, grid, X, y in problems(args.quick):
        n_fits = 3 * int(np.prod([len(v) for v in grid.values()]))
        print(f"\n{name}: X {X.shape[0]} x {X.shape[1]}, {n_fits} fits per search, "
              f"{repeats} interleaved repeats")
        if args.profile:
            share, ratio, t = gil_free_share(est, X, y)
            print(f"  one fit ({t:.3f} s, BLAS=1): a Python loop beside it ran at {ratio:.2f} of "
                  f"its rate alone: the GIL was free ~{100 * share:.0f}% of the fit")
        _, reference = search(est, grid, X, y, "sequential")  # warm-up (and loky start-up)
        search(est, grid, X, y, "processes")
        times = {m: [] for m in MODES}
        for _ in range(repeats):
            for mode in MODES:
                t, res = search(est, grid, X, y, mode)
                times[mode].append(t)
                for key in reference:
                    if key.startswith("split") or key == "mean_test_score":
                        if not np.array_equal(reference[key], res[key]):
                            raise AssertionError(f"{mode}: {key} differs from sequential")
        seq = statistics.median(times["sequential"])
        for mode in MODES:
            med = statistics.median(times[mode])
            rows.append((name, mode, med, seq / med))
            print(f"  {mode:<16} {med:8.3f} s   speedup {seq / med:5.2f}"
                  f"   (runs: {', '.join(f'{t:.2f}' for t in times[mode])})")
    print(f"\nload average after: {load()}")
    print("\n| estimator | mode | search (s) | speedup vs sequential |")
    print("|---|---|---|---|")
    for name, mode, med, speedup in rows:
        print(f"| {name} | {mode} | {med:.3f} | {speedup:.2f} |")
    print("\nevery parallel search gave the sequential cv_results_ exactly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
