"""Benchmark: choosing alpha by 5-fold cross-validation over one 50-alpha grid.

Four ways to the same selection, in one run, on the same folds, grid and score:

* skreg ``RegularizedLogisticRegressionCV``: one warm-started, working-set path per fold;
* ``GridSearchCV`` over skreg's ``RegularizedLogisticRegression``: a fresh fit at every
  (fold, alpha);
* scikit-learn's ``LogisticRegressionCV`` (l1: liblinear and saga; elastic net: saga), with
  ``Cs = 1 / (alpha * n_train)`` (the same objective, see the README);
* glmnet's ``cv.glmnet`` (R, through ``Rscript``; family binomial or multinomial, ungrouped),
  with ``lambda = alpha``, ``standardize=FALSE``, the same folds (``foldid``) and ``thresh``
  1e-7; its time is measured inside R around the call. Skipped when R or glmnet is missing.

A second table puts skreg's ``regularization_path`` beside glmnet's path on the whole data
(same grid, intercept, glmnet ``thresh=1e-7``): times, and every path point's objective
(recomputed here) against the better of the two, so the table says which one is more accurate.

Every method scores held-out folds by the (negative) log-loss; each keeps its own default
tolerance (skreg: KKT <= 1e-4 * alpha_max; scikit-learn: tol=1e-4, max_iter=100), as a user
would run it. The table reports the time, the ratio skreg CV / method, the selected alpha (as
its index on the grid) and the mean CV score there: the selections should agree, or score the
same. Peers that exceed ``--cap`` seconds are stopped and reported as "> cap" (the ratio is then
an upper bound).

Run: ``python benchmarks/bench_path.py`` (full, about 30-60 min with the caps) or
``--quick`` (small problems, CI). ``--problems w8a,leukemia,digits,mnist`` picks problems (digits
and MNIST-10k: multinomial, 10 classes), ``--methods "skreg CV,glmnet cv.glmnet"`` picks methods.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _glmnet  # noqa: E402
from _common import fmt, markdown_table, rel_gap, run_capped  # noqa: E402
from bench_logistic import DATA_DIR, MAKERS, Problem, _standardize  # noqa: E402

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegressionCV  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

from skreg import (  # noqa: E402
    RegularizedLogisticRegression, RegularizedLogisticRegressionCV, regularization_path,
)

ALL_PROBLEMS = ["w8a", "leukemia", "dense", "digits", "mnist"]
PENALTIES = {"l1": 1.0, "elasticnet": 0.5}
GLMNET_MISSING = _glmnet.available()
GLMNET_THRESH = 1e-7


def make_digits(quick):
    """scikit-learn's digits (1797 x 64, 10 classes), standardized: the multinomial case."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    if quick:
        X, y = X[:500], y[:500]
    return Problem("digits", _standardize(X), y, 20,
                   f"scikit-learn digits ({X.shape[0]} x 64, 10 classes), standardized")


def make_mnist(quick):
    """The MNIST test set (10000 x 784, 10 classes), pixels / 255: the large multinomial case."""
    import gzip

    images = os.path.join(DATA_DIR, "mnist_t10k-images-idx3-ubyte.gz")
    labels = os.path.join(DATA_DIR, "mnist_t10k-labels-idx1-ubyte.gz")
    if not (os.path.exists(images) and os.path.exists(labels)):
        return None
    X = np.frombuffer(gzip.open(images).read(), np.uint8, offset=16).reshape(-1, 784) / 255.0
    y = np.frombuffer(gzip.open(labels).read(), np.uint8, offset=8).astype(np.float64)
    if quick:  # the first 1000 images keep CI fast
        X, y = X[:1000], y[:1000]
    return Problem("MNIST-10k", X, y, 20,
                   f"MNIST test set ({X.shape[0]} x 784, 10 classes), pixels / 255")


PROBLEMS = dict(MAKERS, digits=make_digits, mnist=make_mnist)


def class_indicator(y):
    """(n_samples, n_rows) targets: one column (the larger label) for two classes, else one-hot."""
    classes = np.unique(y)
    Y = (y[:, None] == classes[None, :]).astype(np.float64)
    return Y[:, 1:] if len(classes) == 2 else Y


def grid_alpha_max(X, y):
    """Smallest alpha with all-zero L1 coefficients (with intercept), binary or multinomial.

    At zero coefficients the intercept fits the class frequencies ``p``: the gradient is
    ``X^T (p - Y) / n`` for every class row.
    """
    Y = class_indicator(y)
    G = np.asarray(X.T @ (Y - Y.mean(axis=0))) / X.shape[0]
    return float(np.max(np.abs(G)))


def path_objective(X, y, coef, intercept, alpha, l1_ratio):
    """Mean logistic (one row) or softmax (one row per class) loss + ``alpha * R(W)``."""
    Y = class_indicator(y)
    Z = np.asarray(X @ coef.T) + intercept
    if Z.shape[1] == 1:
        z = Z[:, 0]
        loss = np.mean(np.logaddexp(0.0, z) - Y[:, 0] * z)
    else:
        zmax = Z.max(axis=1, keepdims=True)
        lse = zmax[:, 0] + np.log(np.exp(Z - zmax).sum(axis=1))
        loss = np.mean(lse - (Z * Y).sum(axis=1))
    pen = l1_ratio * np.abs(coef).sum() + 0.5 * (1.0 - l1_ratio) * np.sum(coef * coef)
    return float(loss + alpha * pen)


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


def _glmnet_cv(X, y, grid, l1_ratio, splits):
    family = "binomial" if len(np.unique(y)) == 2 else "multinomial"
    out = _glmnet.run(X, y, family=family, lambdas=grid, l1_ratio=l1_ratio, thresh=GLMNET_THRESH,
                      foldid=_glmnet.fold_ids(splits, len(y)))
    # Mean held-out deviance = 2 x log-loss: the score is its negative half.
    mean = -0.5 * out["cv_mean"]
    return int(np.argmax(mean)), mean, out["time"]


METHODS = {
    "skreg CV": _skreg_cv,
    "GridSearchCV(skreg)": _grid_search,
    "sklearn CV liblinear": _sklearn_cv("liblinear"),
    "sklearn CV saga": _sklearn_cv("saga"),
    "glmnet cv.glmnet": _glmnet_cv,
}


def _timed_method(method, X, y, grid, l1_ratio, splits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        t0 = time.perf_counter()
        index, mean, *inner = METHODS[method](X, y, grid, l1_ratio, splits)
    # glmnet reports the time measured inside R around cv.glmnet.
    elapsed = inner[0] if inner else time.perf_counter() - t0
    return {"time": elapsed, "index": index, "mean": list(mean)}


def run_method(method, X, y, grid, l1_ratio, splits, cap):
    """Run one method in a forked process, stopped after ``cap`` seconds."""
    try:
        res = run_capped(_timed_method, (method, X, y, grid, l1_ratio, splits), cap)
    except RuntimeError as exc:  # report, do not stop the benchmark
        return {"error": str(exc)}
    return {"capped": True} if res is None else res


def bench_problem(prob, penalty, n_alphas, eps, cap, methods, log):
    l1_ratio = PENALTIES[penalty]
    X, y = prob.get("F"), prob.y01
    grid = grid_alpha_max(prob.X, y) / l1_ratio * np.geomspace(1.0, eps, n_alphas)
    splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(y)), y))
    binary = len(np.unique(y)) == 2
    # liblinear: L1 only, and one-vs-rest (another model) for more than two classes.
    methods = [m for m in methods if "liblinear" not in m or (penalty == "l1" and binary)]
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
        res = run_method(method, Xm, y, grid, l1_ratio, splits, cap)
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
    return results, grid


def path_vs_glmnet(prob, penalty, grid, repeats, log):
    """skreg's regularization_path beside glmnet's path: times and per-point objectives."""
    l1_ratio = PENALTIES[penalty]
    X, y = prob.get("F"), prob.y01
    family = "binomial" if len(np.unique(y)) == 2 else "multinomial"
    times = {"skreg": [], "glmnet": []}
    for _ in range(repeats):  # interleaved
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            _, s_coefs, s_ints, _ = regularization_path(X, y, penalty=penalty, l1_ratio=l1_ratio,
                                                        alphas=grid)
            times["skreg"].append(time.perf_counter() - t0)
        g = _glmnet.run(X, y, family=family, lambdas=grid, l1_ratio=l1_ratio,
                        thresh=GLMNET_THRESH)
        times["glmnet"].append(g["time"])
    if len(g["lambdas"]) != len(grid):
        log(f"   glmnet solved {len(g['lambdas'])} of {len(grid)} lambdas")
    k = len(g["lambdas"])
    obj = {"skreg": np.array([path_objective(prob.X, y, s_coefs[i], s_ints[i], a, l1_ratio)
                              for i, a in enumerate(grid[:k])]),
           "glmnet": np.array([path_objective(prob.X, y, g["coefs"][i], g["intercepts"][i], a,
                                              l1_ratio) for i, a in enumerate(grid[:k])])}
    best = np.minimum(obj["skreg"], obj["glmnet"])
    gaps = {m: rel_gap(o, best) for m, o in obj.items()}
    t = {m: float(np.median(v)) for m, v in times.items()}
    worse = {m: int(np.sum(gaps[m] > 0)) for m in gaps}
    log(f"   path: skreg {t['skreg']:.3f} s, glmnet {t['glmnet']:.3f} s (ratio "
        f"{t['skreg'] / t['glmnet']:.3f}); worst rel. gap to the better objective: skreg "
        f"{gaps['skreg'].max():.1e}, glmnet {gaps['glmnet'].max():.1e}")
    return [prob.name, penalty, f"{len(grid)}", fmt(t["skreg"], ".3g"), fmt(t["glmnet"], ".3g"),
            fmt(t["skreg"] / t["glmnet"], ".3f"), f"{gaps['skreg'].max():.1e}",
            f"{gaps['glmnet'].max():.1e}",
            f"skreg lower at {worse['glmnet']}, glmnet lower at {worse['skreg']} of {k} points",
            len(times["skreg"])]


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
    parser.add_argument("--methods", default=",".join(METHODS),
                        help="comma-separated subset of: " + ", ".join(METHODS))
    parser.add_argument("--path-repeats", type=int, default=None,
                        help="interleaved repeats of the path comparison with glmnet (default 2; "
                             "quick 1)")
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

    methods = [m for m in args.methods.split(",") if m]
    if "skreg CV" not in methods:
        parser.error("--methods must include 'skreg CV' (the ratios are relative to it)")
    if GLMNET_MISSING:
        log(f"glmnet skipped: {GLMNET_MISSING}")
        methods = [m for m in methods if not m.startswith("glmnet")]
    path_repeats = args.path_repeats or (1 if args.quick else 2)
    rows, path_rows = [], []
    for name in args.problems.split(","):
        prob = PROBLEMS[name](args.quick)
        if prob is None:
            log(f"\n## {name}: data not found, skipped")
            continue
        for penalty in args.penalties.split(","):
            results, grid = bench_problem(prob, penalty, n_alphas, args.eps, cap, methods, log)
            rows += result_rows(prob, penalty, results, cap)
            if GLMNET_MISSING is None:
                path_rows.append(path_vs_glmnet(prob, penalty, grid, path_repeats, log))
    table = markdown_table(
        ["problem", "penalty", "method", "time (s)", "skreg CV / method", "selected alpha #",
         "mean CV score there", "same selection as skreg CV"], rows)
    log("\n" + table)
    if path_rows:
        log("\n" + markdown_table(
            ["problem", "penalty", "alphas", "skreg path (s)", "glmnet path (s)",
             "skreg / glmnet", "skreg worst rel. gap", "glmnet worst rel. gap",
             "more accurate", "runs"], path_rows))
    if args.out:
        with open(args.out, "w") as fh:
            fh.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
