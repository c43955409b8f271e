"""Benchmark: choosing alpha by 5-fold cross-validation over one 50-alpha grid.

Three ways to the same selection, in one run, on the same folds, grid and score:

* skreg ``RegularizedLogisticRegressionCV``: one warm-started, working-set path per fold;
* ``GridSearchCV`` over skreg's ``RegularizedLogisticRegression``: a fresh fit at every
  (fold, alpha);
* scikit-learn's ``LogisticRegressionCV`` (l1: liblinear and saga; elastic net: saga), with
  ``Cs = 1 / (alpha * n_train)`` (the same objective, see the README).

Every method scores held-out folds by the (negative) log-loss; each keeps its own default
tolerance (skreg: KKT <= 1e-4 * alpha_max; scikit-learn: tol=1e-4, max_iter=100), as a user
would run it. The table reports the time, the ratio skreg CV / method, the selected alpha (as
its index on the grid) and the mean CV score there: the selections should agree, or score the
same. Peers that exceed ``--cap`` seconds are stopped and reported as "> cap" (the ratio is then
an upper bound).

Run: ``python benchmarks/bench_path.py`` (full, about 30-60 min with the caps) or
``--quick`` (small problems, CI). ``--problems w8a,leukemia`` picks problems.
"""

import argparse
import multiprocessing
import os
import sys
import time
import traceback
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import alpha_max, fmt, markdown_table  # noqa: E402
from bench_logistic import MAKERS  # noqa: E402

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegressionCV  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

from skreg import RegularizedLogisticRegression, RegularizedLogisticRegressionCV  # noqa: E402

ALL_PROBLEMS = ["w8a", "leukemia", "dense"]
PENALTIES = {"l1": 1.0, "elasticnet": 0.5}


def _skreg_cv(X, y, grid, l1_ratio, splits, n_jobs=None):
    penalty = "l1" if l1_ratio == 1.0 else "elasticnet"
    est = RegularizedLogisticRegressionCV(penalty=penalty, alphas=grid, l1_ratios=[l1_ratio],
                                          cv=splits, n_jobs=n_jobs).fit(X, y)
    mean = est.scores_[0].mean(axis=1)
    return int(np.flatnonzero(grid == est.alpha_)[0]), mean


def _grid_search(X, y, grid, l1_ratio, splits):
    penalty = "l1" if l1_ratio == 1.0 else "elasticnet"
    search = GridSearchCV(RegularizedLogisticRegression(penalty=penalty, l1_ratio=l1_ratio),
                          {"alpha": grid}, cv=splits, scoring="neg_log_loss").fit(X, y)
    return int(search.best_index_), search.cv_results_["mean_test_score"]


def _sklearn_cv(solver):
    def run(X, y, grid, l1_ratio, splits):
        n_train = np.mean([len(train) for train, _ in splits])
        est = LogisticRegressionCV(Cs=1.0 / (grid * n_train), l1_ratios=[l1_ratio], cv=splits,
                                   solver=solver, scoring="neg_log_loss",
                                   use_legacy_attributes=False).fit(X, y)
        scores = np.asarray(est.scores_).reshape(len(splits), -1)  # (folds, Cs) for one l1_ratio
        mean = scores.mean(axis=0)
        return int(np.argmax(mean)), mean
    return run


METHODS = {
    "skreg CV": _skreg_cv,
    "GridSearchCV(skreg)": _grid_search,
    "sklearn CV liblinear": _sklearn_cv("liblinear"),
    "sklearn CV saga": _sklearn_cv("saga"),
}


def _child(method, X, y, grid, l1_ratio, splits, queue):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", UserWarning)
            t0 = time.perf_counter()
            index, mean = METHODS[method](X, y, grid, l1_ratio, splits)
            queue.put({"time": time.perf_counter() - t0, "index": index, "mean": list(mean)})
    except Exception:  # report, do not hang the parent
        queue.put({"error": traceback.format_exc().strip().splitlines()[-1]})


def run_capped(method, X, y, grid, l1_ratio, splits, cap):
    """Run one method in a forked process; stop it after ``cap`` seconds."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(method, X, y, grid, l1_ratio, splits, queue))
    proc.start()
    try:
        return queue.get(timeout=cap)
    except Exception:
        return {"capped": True}
    finally:
        proc.terminate()
        proc.join()


def bench_problem(prob, penalty, n_alphas, eps, cap, log):
    l1_ratio = PENALTIES[penalty]
    X, y = prob.get("F"), prob.y01
    grid = alpha_max(prob.X, y, True) / l1_ratio * np.geomspace(1.0, eps, n_alphas)
    splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(y)), y))
    methods = [m for m in METHODS if penalty == "l1" or "liblinear" not in m]
    log(f"\n## {prob.name} ({prob.description}) / {penalty}: {n_alphas} alphas from alpha_max "
        f"down to {eps:g} alpha_max, 5 folds")
    # Warm-up (numba compilation), untimed.
    _skreg_cv(X, y, grid[:2], l1_ratio, splits[:1] * 2)
    results = {}
    for method in methods:
        if method.startswith("sklearn"):
            Xm = prob.get("C")
        else:
            Xm = X
        res = run_capped(method, Xm, y, grid, l1_ratio, splits, cap)
        results[method] = res
        if "time" in res:
            log(f"   {method:22s} {res['time']:9.2f} s   selected alpha #{res['index']} "
                f"(mean CV score {res['mean'][res['index']]:.5f})")
        elif res.get("capped"):
            log(f"   {method:22s} > {cap:g} s (stopped)")
        else:
            log(f"   {method:22s} error: {res['error']}")
    # skreg CV with both cores (joblib threads), for the record.
    t0 = time.perf_counter()
    _skreg_cv(X, y, grid, l1_ratio, splits, n_jobs=2)
    results["skreg CV, n_jobs=2"] = {"time": time.perf_counter() - t0,
                                     "index": results["skreg CV"].get("index"),
                                     "mean": results["skreg CV"].get("mean")}
    log(f"   {'skreg CV, n_jobs=2':22s} {results['skreg CV, n_jobs=2']['time']:9.2f} s")
    return results


def result_rows(prob, penalty, results, cap):
    base = results["skreg CV"]
    ref_mean = np.asarray(base["mean"]) if "mean" in base else None
    rows = []
    for method, res in results.items():
        if "time" in res:
            t = fmt(res["time"], ".3g")
            ratio = fmt(base["time"] / res["time"], ".3g")
            idx = res["index"]
            # The skreg-path score at the method's selection: equal selections score equally.
            score = fmt(res["mean"][idx], ".5f")
            same = "yes" if idx == base["index"] else (
                f"no (skreg CV score there {ref_mean[idx]:.5f})" if ref_mean is not None else "-")
        elif res.get("capped"):
            t, ratio, idx, score, same = f"> {cap:g}", f"< {base['time'] / cap:.3g}", "-", "-", "-"
        else:
            t, ratio, idx, score, same = "error", "-", "-", "-", res.get("error", "-")
        rows.append([prob.name, penalty, method, t, ratio, idx, score, same])
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small problems and grid (CI)")
    parser.add_argument("--problems", default=",".join(ALL_PROBLEMS))
    parser.add_argument("--penalties", default="l1,elasticnet")
    parser.add_argument("--n-alphas", type=int, default=None, help="grid size (default 50)")
    parser.add_argument("--eps", type=float, default=1e-2, help="alpha_min / alpha_max")
    parser.add_argument("--cap", type=float, default=None,
                        help="seconds before a method is stopped (default 900; quick 60)")
    parser.add_argument("--out", default=None, help="write the markdown table to this file")
    args = parser.parse_args(argv)
    n_alphas = args.n_alphas or (10 if args.quick else 50)
    cap = args.cap or (60.0 if args.quick else 900.0)
    lines = []

    def log(msg):
        print(msg, flush=True)
        lines.append(msg)

    rows = []
    for name in args.problems.split(","):
        prob = MAKERS[name](args.quick)
        if prob is None:
            log(f"\n## {name}: data not found, skipped")
            continue
        for penalty in args.penalties.split(","):
            results = bench_problem(prob, penalty, n_alphas, args.eps, cap, log)
            rows += result_rows(prob, penalty, results, cap)
    table = markdown_table(
        ["problem", "penalty", "method", "time (s)", "skreg CV / method", "selected alpha #",
         "mean CV score there", "same selection as skreg CV"], rows)
    log("\n" + table)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
