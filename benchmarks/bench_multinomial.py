"""Benchmark: multinomial L1 -- Newton steps, many classes, and paths beside glmnet.

Three tables:

* **Newton steps** (load-independent): proximal Newton steps of a single fit at the default
  ``tol`` on digits (standardized, 1797 x 64, 10 classes) at three alphas, of a 20-point path
  to ``alpha_max / 1000``, and on exactly collinear features (``make_classification`` with
  its default 2 informative and 2 redundant features: 240 x 8 of rank 6, 3 classes).
* **Many classes**: 600 x 10 Gaussian X, ``y = i mod K`` for K = 10, 50, 200 (three samples
  per class at 200), L1 at ``alpha = 1e-3``: time, Newton steps and the certificate over its
  target. The cost should grow about linearly with K.
* **Path and CV beside glmnet** (R, through ``Rscript``; skipped when missing): skreg's
  ``regularization_path`` vs ``glmnet`` on the same 20-alpha grid to ``alpha_max / 1000``,
  and ``RegularizedLogisticRegressionCV`` (refit included) vs ``cv.glmnet`` on the same 5
  folds, interleaved, glmnet at ``thresh=1e-7`` with ``standardize=FALSE``; every path
  point's objective against the better of the two. Problems: digits and MNIST-10k (the MNIST
  test set, pixels / 255, from ``../shared/data``; skipped when missing).

Run: ``python benchmarks/bench_multinomial.py [--quick] [--problems digits,mnist] [--repeats 2]
[--out FILE]``.
"""

import argparse
import gzip
import os
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(__file__))
import _glmnet  # noqa: E402
from _common import markdown_table, rel_gap  # noqa: E402

from skreg import (  # noqa: E402
    RegularizedLogisticRegression,
    RegularizedLogisticRegressionCV,
    regularization_path,
)

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
GLMNET_THRESH = 1e-7


def objective(X, y, coef, intercept, alpha):
    """Mean softmax loss + ``alpha * ||W||_1``."""
    Z = np.asarray(X @ coef.T) + intercept
    zmax = Z.max(axis=1, keepdims=True)
    lse = zmax[:, 0] + np.log(np.exp(Z - zmax).sum(axis=1))
    return float(np.mean(lse - Z[np.arange(len(y)), np.searchsorted(np.unique(y), y)])
                 + alpha * np.abs(coef).sum())


def alpha_max(X, y):
    Y = (y[:, None] == np.unique(y)[None, :]).astype(float)
    return float(np.abs(X.T @ (Y - Y.mean(axis=0))).max() / X.shape[0])


def digits():
    X, y = load_digits(return_X_y=True)
    return "digits", StandardScaler().fit_transform(X), y


def mnist10k():
    images = os.path.join(DATA, "mnist_t10k-images-idx3-ubyte.gz")
    labels = os.path.join(DATA, "mnist_t10k-labels-idx1-ubyte.gz")
    if not (os.path.exists(images) and os.path.exists(labels)):
        return None
    X = np.frombuffer(gzip.open(images).read(), np.uint8, offset=16).reshape(-1, 784) / 255.0
    y = np.frombuffer(gzip.open(labels).read(), np.uint8, offset=8).astype(np.int64)
    return "MNIST-10k", np.asfortranarray(X), y


def fit(X, y, alpha, **params):
    est = RegularizedLogisticRegression(penalty="l1", alpha=alpha, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        t0 = time.perf_counter()
        est.fit(X, y)
        elapsed = time.perf_counter() - t0
    return est, elapsed, len(caught)


def newton_steps_table(log):
    rows = []
    _, X, y = digits()
    amax = alpha_max(X, y)
    fit(X[:200], y[:200], 0.1 * amax)  # compile outside the timings
    for frac in (1e-1, 1e-2, 1e-3):
        est, t, warned = fit(X, y, frac * amax)
        rows.append(["digits", f"alpha_max * {frac:g}", est.n_iter_, f"{t:.3f}", warned])
    grid = amax * np.geomspace(1.0, 1e-3, 20)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        t0 = time.perf_counter()
        _, _, _, n_iter = regularization_path(X, y, penalty="l1", alphas=grid)
        t = time.perf_counter() - t0
    rows.append(["digits", "20-point path to alpha_max / 1000",
                 f"{int(np.sum(n_iter))} (max {int(np.max(n_iter))})", f"{t:.3f}",
                 len(caught)])
    Xc, yc = make_classification(n_samples=240, n_features=8, n_classes=3,
                                 n_clusters_per_class=1, random_state=2)
    for alpha in (1e-2, 1e-3, 1e-4):
        est, t, warned = fit(Xc, yc, alpha)
        rows.append(["collinear 240 x 8 (rank 6)", f"alpha = {alpha:g}", est.n_iter_, f"{t:.3f}",
                     warned])
    log("\n" + markdown_table(["problem", "fit", "Newton steps", "time (s)", "warnings"], rows))


def many_classes_table(log, quick):
    rows = []
    for K in (10, 50) if quick else (10, 50, 200):
        rng = np.random.RandomState(0)
        X = rng.randn(600, 10)
        y = np.arange(600) % K
        fit(X, y, 1e-3)  # compiled already; one warm-up for the BLAS pools
        est, t, warned = fit(X, y, 1e-3)
        target = est.tol * alpha_max(X, y)
        rows.append([K, 600 // K, est.n_iter_, f"{t:.3f}", f"{est.kkt_violation_ / target:.2f}",
                     warned])
    log("\n" + markdown_table(["classes", "samples / class", "Newton steps", "time (s)",
                               "KKT / target", "warnings"], rows))


def path_and_cv_vs_glmnet(log, problems, repeats, n_alphas):
    reason = _glmnet.available()
    if reason:
        log(f"\nglmnet skipped: {reason}")
        return
    rows = []
    for make in problems:
        prob = make()
        if prob is None:
            log(f"\n{make.__name__}: data not found, skipped")
            continue
        name, X, y = prob
        grid = alpha_max(X, y) * np.geomspace(1.0, 1e-3, n_alphas)
        splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
        foldid = _glmnet.fold_ids(splits, len(y))
        times = {"path": [], "glmnet path": [], "CV": [], "cv.glmnet": []}
        for _ in range(repeats):  # interleaved
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                t0 = time.perf_counter()
                _, coefs, ints, n_iter = regularization_path(X, y, penalty="l1", alphas=grid)
                times["path"].append(time.perf_counter() - t0)
            g = _glmnet.run(X, y, family="multinomial", lambdas=grid, thresh=GLMNET_THRESH)
            times["glmnet path"].append(g["time"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                t0 = time.perf_counter()
                RegularizedLogisticRegressionCV(penalty="l1", alphas=grid, cv=splits,
                                                scoring="neg_log_loss").fit(X, y)
                times["CV"].append(time.perf_counter() - t0)
            gcv = _glmnet.run(X, y, family="multinomial", lambdas=grid, thresh=GLMNET_THRESH,
                              foldid=foldid)
            times["cv.glmnet"].append(gcv["time"])
        k = len(g["lambdas"])
        ours = np.array([objective(X, y, coefs[i], ints[i], a) for i, a in enumerate(grid[:k])])
        theirs = np.array([objective(X, y, g["coefs"][i], g["intercepts"][i], a)
                           for i, a in enumerate(grid[:k])])
        best = np.minimum(ours, theirs)
        t = {m: float(np.median(v)) for m, v in times.items()}
        rows.append([name, n_alphas, f"{t['path']:.3f}", f"{t['glmnet path']:.3f}",
                     f"{t['path'] / t['glmnet path']:.2f}", f"{t['CV']:.3f}",
                     f"{t['cv.glmnet']:.3f}", f"{t['CV'] / t['cv.glmnet']:.2f}",
                     f"{rel_gap(ours, best).max():.1e}", f"{rel_gap(theirs, best).max():.1e}",
                     int(np.sum(n_iter)), repeats])
        log(f"   {name}: " + ", ".join(f"{m} {v:.3f} s" for m, v in t.items()))
    log("\n" + markdown_table(
        ["problem", "alphas", "skreg path (s)", "glmnet path (s)", "path ratio", "skreg CV (s)",
         "cv.glmnet (s)", "CV ratio", "skreg worst rel. gap", "glmnet worst rel. gap",
         "skreg Newton steps (path)", "runs"], rows))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="digits only, two class counts")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--n-alphas", type=int, default=20)
    parser.add_argument("--tables", default="steps,classes,glmnet")
    parser.add_argument("--problems", default=None,
                        help="glmnet table problems: digits,mnist (default both; quick digits)")
    parser.add_argument("--out", default=None, help="write the markdown tables to this file")
    args = parser.parse_args(argv)
    lines = []

    def log(msg):
        print(msg, flush=True)
        lines.append(msg)

    log(f"load average at start: {os.getloadavg()[0]:.1f}")
    tables = args.tables.split(",")
    if "steps" in tables:
        newton_steps_table(log)
    if "classes" in tables:
        many_classes_table(log, args.quick)
    if "glmnet" in tables:
        makers = {"digits": digits, "mnist": mnist10k}
        names = args.problems or ("digits" if args.quick else "digits,mnist")
        problems = [makers[name] for name in names.split(",")]
        path_and_cv_vs_glmnet(log, problems, args.repeats, args.n_alphas)
    log(f"load average at end: {os.getloadavg()[0]:.1f}")
    if args.out:
        with open(args.out, "w") as fh:
            fh.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
