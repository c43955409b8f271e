"""Benchmark: skreg's squared-loss estimators against their peers, in one run.

Three tasks on each problem, for the Lasso (``l1``) and the elastic net (``l1_ratio=0.5``):

* **single fit** at ``alpha = alpha_max/20`` with an intercept: skreg
  ``RegularizedLinearRegression`` against scikit-learn ``Lasso`` / ``ElasticNet``, skglm
  ``Lasso`` / ``ElasticNet`` and celer ``Lasso``;
* **path**: 100 alphas from ``alpha_max`` down to ``alpha_max/1000``, warm-started, without
  intercept (every peer then solves literally the same problems): skreg
  ``regularization_path(loss="squared_error")`` against scikit-learn ``enet_path`` and glmnet;
* **5-fold CV** over the same grid, the same folds and the same score (held-out mean squared
  error), with an intercept: skreg ``RegularizedLinearRegressionCV`` against scikit-learn
  ``LassoCV`` / ``ElasticNetCV`` and glmnet's ``cv.glmnet`` (each including its refit).

Protocol:

* Same objective: ``1/(2n) |y - Xw - b|^2 + alpha * (l1_ratio |w|_1 + (1 - l1_ratio)/2 |w|^2)``,
  recomputed by the benchmark for every solver (scikit-learn, skglm and celer use this scaling
  as it is; glmnet does with ``lambda = alpha`` once y has unit standard deviation, which every
  problem here has: see ``_glmnet.py``; ``check_conventions`` verifies every mapping at the
  start of the run).
* Same accuracy: a solver's tolerance starts at its default and is tightened 10x at a time
  until its final objective is within 1e-6 (relative) of the best objective any solver reached
  (on a path: at every one of the 100 points; re-checked whenever a tighter run lowers the best). The tolerance used is printed; the CV task runs
  each solver at the tolerance its path reached the target with.
* One process, interleaved: per repeat the solvers run round-robin; medians; the ratio is
  ``skreg / peer`` (below 1: skreg is faster). glmnet's time is measured inside R around the
  ``glmnet`` / ``cv.glmnet`` call (R's start-up and the file transfer are not counted).
* A method running past ``--cap`` seconds is stopped (a forked process): its ratio is a bound.

Peers are optional (the ``bench`` extra: skglm, celer; glmnet through ``Rscript``, Debian
package ``r-cran-glmnet``): one that is missing is skipped with a printed note.

Usage::

    python benchmarks/bench_regression.py --quick          # tiny problems (CI, seconds)
    python benchmarks/bench_regression.py --repeats 3 --out benchmarks/results_regression.md
    python benchmarks/bench_regression.py --problems leukemia --tasks single,path
"""

import argparse
import os
import platform
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _glmnet  # noqa: E402
from _common import (  # noqa: E402
    DATA_DIR, fmt, markdown_table, median, rel_gap, run_capped, squared_alpha_max,
    squared_kkt_violation, squared_objective,
)
from bench_logistic import _optional, _standardize  # noqa: E402

import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import ElasticNet, ElasticNetCV, Lasso, LassoCV, enet_path  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

from skreg import (  # noqa: E402
    RegularizedLinearRegression, RegularizedLinearRegressionCV, regularization_path,
)

REL_TOL = 1e-6
ALL_PROBLEMS = ("dense", "tall", "sparse", "leukemia")
ALL_TASKS = ("single", "path", "cv")
PENALTY_L1_RATIO = {"l1": 1.0, "elasticnet": 0.5}


skglm = _optional("skglm")
celer = _optional("celer")
GLMNET_MISSING = _glmnet.available()


# ---------------------------------------------------------------------------
# Problems: y always has mean 0 and unit (1/n) standard deviation (glmnet's scaling).
# ---------------------------------------------------------------------------


class Problem:
    def __init__(self, name, X, y, description):
        self.name, self.description = name, description
        y = np.asarray(y, dtype=np.float64)
        self.y = (y - y.mean()) / y.std()
        if sp.issparse(X):
            self.sparse = True
            self.X = sp.csc_matrix(X)
            self.X.indices = self.X.indices.astype(np.int32)
            self.X.indptr = self.X.indptr.astype(np.int32)
            self.X.sort_indices()
        else:
            self.sparse = False
            self.X = np.asfortranarray(X, dtype=np.float64)
        self.n_samples, self.n_features = X.shape


def _planted(X, k, rng, snr=3.0):
    """``y = X w + noise`` with ``k`` non-zero N(0, 1) coefficients, signal-to-noise ``snr``."""
    w = np.zeros(X.shape[1])
    support = rng.choice(X.shape[1], size=k, replace=False)
    w[support] = rng.standard_normal(k)
    signal = np.asarray(X @ w).ravel()
    return signal + rng.standard_normal(X.shape[0]) * signal.std() / snr


def make_dense(quick):
    n, p, k = (500, 50, 10) if quick else (20000, 2000, 50)
    rng = np.random.default_rng(0)
    X = _standardize(rng.standard_normal((n, p)))
    return Problem("dense", X, _planted(X, k, rng), f"Gaussian {n} x {p}, {k} planted coefs")


def make_tall(quick):
    n, p, k = (2000, 20, 5) if quick else (100000, 100, 20)
    rng = np.random.default_rng(1)
    # Correlated columns (AR(1), rho 0.5): the covariance updates' regime (n >> p).
    Z = rng.standard_normal((n, p))
    X = np.empty_like(Z)
    X[:, 0] = Z[:, 0]
    for j in range(1, p):
        X[:, j] = 0.5 * X[:, j - 1] + np.sqrt(0.75) * Z[:, j]
    X = _standardize(X)
    return Problem("tall", X, _planted(X, k, rng),
                   f"Gaussian AR(1) rho=0.5 {n} x {p}, {k} planted coefs")


def make_sparse(quick):
    n, p, density, k = (2000, 500, 1e-2, 20) if quick else (50000, 20000, 1e-3, 50)
    rng = np.random.default_rng(0)
    X = sp.random(n, p, density=density, format="csc", random_state=rng,
                  data_rvs=rng.standard_normal)
    return Problem("sparse", X, _planted(X, k, rng),
                   f"scipy.sparse.random({n}, {p}, density={density:g}), {k} planted coefs")


def make_leukemia(quick):
    import pandas as pd

    path = os.path.join(DATA_DIR, "leukemia_golub.csv.gz")
    if not os.path.exists(path):
        return None
    df = pd.read_csv(path).drop(columns="CLASS")
    target = "M23197_at"  # CD33, a marker of the AML class
    y = np.log(df.pop(target).to_numpy(dtype=np.float64))
    X = df.to_numpy(dtype=np.float64)
    if quick:
        X = X[:, :500]
    return Problem("leukemia", _standardize(X), y,
                   f"Golub leukemia 72 x {X.shape[1]} genes (standardized); target: "
                   f"log {target} (CD33)")


MAKERS = {"dense": make_dense, "tall": make_tall, "sparse": make_sparse,
          "leukemia": make_leukemia}


# ---------------------------------------------------------------------------
# Single fits: fit(X, y, alpha, l1_ratio, tol) -> (coef, intercept).
# ---------------------------------------------------------------------------


def _penalty(l1_ratio):
    return "l1" if l1_ratio == 1.0 else "elasticnet"


def _skreg_fit(X, y, alpha, l1_ratio, tol):
    est = RegularizedLinearRegression(_penalty(l1_ratio), alpha=alpha, l1_ratio=l1_ratio, tol=tol,
                                      max_iter=10000).fit(X, y)
    return est.coef_, est.intercept_


def _sklearn_fit(X, y, alpha, l1_ratio, tol):
    est = (Lasso(alpha=alpha, tol=tol, max_iter=100000) if l1_ratio == 1.0 else
           ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=tol, max_iter=100000)).fit(X, y)
    return est.coef_, est.intercept_


def _skglm_fit(X, y, alpha, l1_ratio, tol):
    est = (skglm.Lasso(alpha=alpha, tol=tol, max_iter=100) if l1_ratio == 1.0 else
           skglm.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=tol, max_iter=100)).fit(X, y)
    return est.coef_, est.intercept_


def _celer_fit(X, y, alpha, l1_ratio, tol):
    est = celer.Lasso(alpha=alpha, tol=tol, max_iter=100).fit(X, y)
    return est.coef_, est.intercept_


def single_solvers():
    solvers = {"skreg": (_skreg_fit, {"l1", "elasticnet"}),
               "sklearn": (_sklearn_fit, {"l1", "elasticnet"})}
    if skglm is not None:
        solvers["skglm"] = (_skglm_fit, {"l1", "elasticnet"})
    if celer is not None:
        solvers["celer"] = (_celer_fit, {"l1"})
    return solvers


# ---------------------------------------------------------------------------
# Paths (no intercept): path(X, y, grid, l1_ratio, tol) -> coefs (n_alphas, n_features).
# ---------------------------------------------------------------------------


def _skreg_path(X, y, grid, l1_ratio, tol):
    _, coefs, _, _ = regularization_path(X, y, loss="squared_error", penalty=_penalty(l1_ratio),
                                         l1_ratio=l1_ratio, alphas=grid, fit_intercept=False,
                                         tol=tol, max_iter=10000)
    return coefs[:, 0, :]


def _sklearn_path(X, y, grid, l1_ratio, tol):
    _, coefs, _ = enet_path(X, y, l1_ratio=l1_ratio, alphas=grid, tol=tol, max_iter=100000)
    return coefs.T


def _glmnet_path(X, y, grid, l1_ratio, tol):
    out = _glmnet.run(X, y, family="gaussian", lambdas=grid, l1_ratio=l1_ratio,
                      fit_intercept=False, thresh=tol)
    if len(out["lambdas"]) != len(grid):
        raise RuntimeError(f"glmnet stopped after {len(out['lambdas'])} of {len(grid)} lambdas")
    return RTimed(out["coefs"][:, 0, :], out["time"])


class RTimed:
    """A result with the time R measured around the glmnet call."""

    def __init__(self, value, seconds):
        self.value, self.seconds = value, seconds


# method: (function, initial tol, tol floor)
PATHS = {"skreg": (_skreg_path, 1e-4, 1e-10), "sklearn enet_path": (_sklearn_path, 1e-4, 1e-12),
         "glmnet": (_glmnet_path, 1e-7, 1e-14)}


# ---------------------------------------------------------------------------
# CV (intercept): cv(X, y, grid, l1_ratio, splits, tol) -> (selected index, mean CV mse).
# ---------------------------------------------------------------------------


def _skreg_cv(X, y, grid, l1_ratio, splits, tol):
    est = RegularizedLinearRegressionCV(_penalty(l1_ratio), alphas=grid, l1_ratios=[l1_ratio],
                                        cv=splits, tol=tol, max_iter=10000).fit(X, y)
    return int(np.flatnonzero(grid == est.alpha_)[0]), -est.scores_[0].mean(axis=1)


def _sklearn_cv(X, y, grid, l1_ratio, splits, tol):
    kw = dict(alphas=grid, cv=splits, tol=tol, max_iter=100000)
    est = (LassoCV(**kw) if l1_ratio == 1.0 else ElasticNetCV(l1_ratio=l1_ratio, **kw)).fit(X, y)
    mse = est.mse_path_.mean(axis=1)  # over folds, on est.alphas_ (decreasing, as grid)
    return int(np.flatnonzero(grid == est.alpha_)[0]), mse


def _glmnet_cv(X, y, grid, l1_ratio, splits, tol):
    out = _glmnet.run(X, y, family="gaussian", lambdas=grid, l1_ratio=l1_ratio,
                      fit_intercept=True, thresh=tol, foldid=_glmnet.fold_ids(splits, len(y)))
    mse = out["cv_mean"]
    return RTimed((int(np.argmin(mse)), mse), out["time"])


CVS = {"skreg CV": (_skreg_cv, "skreg"), "sklearn LassoCV/ElasticNetCV": (_sklearn_cv, "sklearn enet_path"),
       "glmnet cv.glmnet": (_glmnet_cv, "glmnet")}


def _timed(fn, *args):
    """``(result, seconds)`` of ``fn(*args)``; glmnet reports its own time (inside R)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        out = fn(*args)
        elapsed = time.perf_counter() - t0
    if isinstance(out, RTimed):
        return out.value, out.seconds
    return out, elapsed


# ---------------------------------------------------------------------------
# The three tasks.
# ---------------------------------------------------------------------------


def bench_single(prob, penalty, repeats, cap, log):
    l1_ratio = PENALTY_L1_RATIO[penalty]
    alpha = squared_alpha_max(prob.X, prob.y, True) / l1_ratio / 20
    solvers = {k: v for k, v in single_solvers().items() if penalty in v[1]}
    log(f"\n## {prob.name} / {penalty} single fit: alpha = alpha_max/20 = {alpha:.4g}, "
        f"intercept; solvers: {', '.join(solvers)}")

    def objective(res):
        coef, b = res
        return squared_objective(prob.X, prob.y, coef, b, alpha, l1_ratio)

    def fit(name, tol):  # None when stopped at the cap
        return run_capped(_timed, (solvers[name][0], prob.X, prob.y, alpha, l1_ratio, tol), cap)

    state = _calibrate(list(solvers), fit, objective, {k: 1e-4 for k in solvers},
                       {k: 1e-12 for k in solvers}, log)
    _repeat(state, fit, objective, repeats, log)
    rows = []
    best = min(st["obj"] for st in state.values() if st["obj"] is not None)
    for name, st in state.items():
        coef, b = st["out"] if st["out"] is not None else (None, None)
        kkt = (squared_kkt_violation(prob.X, prob.y, coef, b, alpha, l1_ratio, True)
               if coef is not None else float("nan"))
        nnz = int(np.count_nonzero(coef)) if coef is not None else "-"
        rows.append(_row(prob, penalty, "single", name, st, state["skreg"], best,
                         extra=f"nnz {nnz}, KKT {kkt:.1e}"))
    return rows


def bench_path(prob, penalty, repeats, cap, n_alphas, log):
    l1_ratio = PENALTY_L1_RATIO[penalty]
    grid = squared_alpha_max(prob.X, prob.y, False) / l1_ratio * np.geomspace(1, 1e-3, n_alphas)
    methods = [m for m in PATHS if m != "glmnet" or GLMNET_MISSING is None]
    if GLMNET_MISSING:
        log(f"   glmnet skipped: {GLMNET_MISSING}")
    log(f"\n## {prob.name} / {penalty} path: {n_alphas} alphas from alpha_max to alpha_max/1000, "
        f"no intercept; methods: {', '.join(methods)}")

    def objective(coefs):
        return np.array([squared_objective(prob.X, prob.y, c, 0.0, a, l1_ratio)
                         for c, a in zip(coefs, grid)])

    def fit(name, tol):
        return run_capped(_timed, (PATHS[name][0], prob.X, prob.y, grid, l1_ratio, tol), cap)

    state = _calibrate(methods, fit, objective, {m: PATHS[m][1] for m in methods},
                       {m: PATHS[m][2] for m in methods}, log)
    _repeat(state, fit, objective, repeats, log)
    best = np.min([st["obj"] for st in state.values() if st["obj"] is not None], axis=0)
    rows = []
    for name, st in state.items():
        nnz = (int(np.count_nonzero(st["out"][-1])) if st["out"] is not None else "-")
        rows.append(_row(prob, penalty, "path", name, st, state["skreg"], best,
                         extra=f"nnz at the last point {nnz}"))
    return rows, {m: st["tol"] for m, st in state.items()}


def bench_cv(prob, penalty, repeats, cap, n_alphas, tols, log):
    l1_ratio = PENALTY_L1_RATIO[penalty]
    grid = squared_alpha_max(prob.X, prob.y, True) / l1_ratio * np.geomspace(1, 1e-3, n_alphas)
    splits = list(KFold(5, shuffle=True, random_state=0).split(prob.X))
    methods = [m for m in CVS if CVS[m][1] in tols]
    log(f"\n## {prob.name} / {penalty} 5-fold CV: {n_alphas} alphas, intercept; methods: "
        f"{', '.join(f'{m} (tol {tols[CVS[m][1]]:.0e})' for m in methods)}")
    state = {m: dict(times=[], out=None, tol=tols[CVS[m][1]], notes=[], capped=False)
             for m in methods}
    for rep in range(max(repeats, 1)):
        for m in methods:
            st = state[m]
            if st["capped"]:
                continue
            res = run_capped(_timed, (CVS[m][0], prob.X, prob.y, grid, l1_ratio, splits,
                                      st["tol"]), cap)
            if res is None:
                st["capped"] = True
                st["notes"].append(f"stopped at {cap:g} s")
                log(f"   {m:30s} > {cap:g} s (stopped)")
                continue
            (index, mse), t = res
            st["times"].append(t)
            st["out"] = (index, np.asarray(mse))
            log(f"   {m:30s} {t:9.3f} s  selected #{index} (mean CV mse {mse[index]:.5f})")
    rows = []
    base = state["skreg CV"]
    for m, st in state.items():
        t = median(st["times"]) if st["times"] else None
        t_base = median(base["times"]) if base["times"] else None
        if st["out"] is not None and base["out"] is not None:
            idx = st["out"][0]
            same = ("same" if idx == base["out"][0] else
                    f"#{idx} (skreg CV mse there {base['out'][1][idx]:.5f}, at its own "
                    f"#{base['out'][0]} {base['out'][1][base['out'][0]]:.5f})")
        else:
            idx, same = "-", "-"
        rows.append([prob.name, penalty, "cv", m, f"{st['tol']:.0e}",
                     fmt(t, ".4g") if t else f"> {cap:g}",
                     fmt(t_base / t, ".3f") if t and t_base else
                     (f"< {t_base / cap:.3g}" if t_base else "-"),
                     "-", f"selected #{idx}: {same}", len(st["times"]),
                     "; ".join(st["notes"])])
    return rows


# ---------------------------------------------------------------------------
# Calibration and interleaved repeats (single fits and paths alike).
# ---------------------------------------------------------------------------


def _calibrate(names, fit, objective, tol0, floor, log):
    """Tighten every solver's tol until its objective(s) are within REL_TOL of the best."""
    state = {n: dict(tol=tol0[n], out=None, obj=None, times=[], notes=[], capped=False)
             for n in names}
    pending = list(names)
    while pending:
        for n in pending:
            st = state[n]
            res = fit(n, st["tol"])
            if res is None:  # no timing at this tol (the earlier ones were not accurate)
                st["capped"], st["times"] = True, []
                st["notes"].append(f"stopped at the cap at tol {st['tol']:.0e}")
                log(f"   calibrate {n:18s} tol={st['tol']:.0e}: stopped at the cap")
                continue
            out, t = res
            st["out"], st["obj"], st["times"] = out, objective(out), [t]
        done = [st["obj"] for st in state.values() if st["obj"] is not None]
        if not done:
            break
        best = np.min(done, axis=0)
        nxt = []
        # Every solver against the best so far: one that met it in an earlier round
        # may miss it once a tighter run of another solver lowered the best.
        for n in names:
            st = state[n]
            if st["capped"] or "tol floor reached" in st["notes"]:
                continue
            gap = float(np.max(rel_gap(st["obj"], best)))
            if n in pending or gap > REL_TOL:
                log(f"   calibrate {n:18s} tol={st['tol']:.0e}: {st['times'][0]:8.3f} s, worst "
                    f"rel gap {gap:+.1e}" + ("" if n in pending else " (against the new best)"))
            if gap > REL_TOL:
                if st["tol"] / 10 < floor[n]:
                    st["notes"].append("tol floor reached")
                else:
                    st["tol"] /= 10
                    nxt.append(n)
        pending = nxt
    for n, st in state.items():
        if st["tol"] != tol0[n]:
            st["notes"].insert(0, f"tol tightened from {tol0[n]:.0e}")
    return state


def _repeat(state, fit, objective, repeats, log):
    """Interleaved timed repeats: every solver once per round."""
    for st in state.values():
        if not st["capped"] and repeats > 0:
            st["times"] = []
    for _ in range(repeats):
        for n, st in state.items():
            if st["capped"]:
                continue
            res = fit(n, st["tol"])
            if res is None:
                st["capped"] = True
                st["notes"].append("stopped at the cap")
                continue
            st["out"], t = res
            st["obj"] = objective(st["out"])
            st["times"].append(t)
    for n, st in state.items():
        if st["times"]:
            log(f"   {n:18s} median {median(st['times']):8.3f} s over {len(st['times'])} runs "
                f"(tol {st['tol']:.0e})")


def _row(prob, penalty, task, name, st, base, best, extra=""):
    t = median(st["times"]) if st["times"] else None
    t_base = median(base["times"]) if base["times"] else None
    gap = float(np.max(rel_gap(st["obj"], best))) if st["obj"] is not None else float("nan")
    notes = list(st["notes"])
    if gap > REL_TOL:
        notes.append("objective above 1e-6 of the best")
    if t is None and t_base:
        ratio = "-"
    else:
        ratio = fmt(t_base / t, ".3f") if t and t_base else "-"
    return [prob.name, penalty, task, name, f"{st['tol']:.0e}",
            fmt(t, ".4g") if t else "stopped", ratio, f"{gap:.1e}", extra, len(st["times"]),
            "; ".join(notes)]


HEADERS = ["problem", "penalty", "task", "solver", "tol", "median time (s)", "skreg/peer",
           "worst rel. objective gap to best", "", "runs", "notes"]


# ---------------------------------------------------------------------------
# Convention check: every peer's parameters map to the same solution.
# ---------------------------------------------------------------------------


def check_conventions(log):
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    prob = Problem("diabetes", _standardize(X), y, "")
    rows = []
    for penalty, l1_ratio in PENALTY_L1_RATIO.items():
        alpha = squared_alpha_max(prob.X, prob.y, True) / l1_ratio / 10
        ref_c, ref_b = _skreg_fit(prob.X, prob.y, alpha, l1_ratio, 1e-10)
        ref = squared_objective(prob.X, prob.y, ref_c, ref_b, alpha, l1_ratio)
        for name, (fn, pens) in single_solvers().items():
            if name == "skreg" or penalty not in pens:
                continue
            c, b = fn(prob.X, prob.y, alpha, l1_ratio, 1e-12)
            diff = float(np.max(np.abs(c - ref_c)) / np.max(np.abs(ref_c)))
            obj = squared_objective(prob.X, prob.y, c, b, alpha, l1_ratio)
            rows.append([penalty, name, f"{rel_gap(obj, ref):+.1e}", f"{diff:.1e}"])
        if GLMNET_MISSING is None:
            out = _glmnet.run(prob.X, prob.y, family="gaussian", lambdas=[alpha],
                              l1_ratio=l1_ratio, thresh=1e-14)
            c, b = out["coefs"][0, 0], out["intercepts"][0, 0]
            obj = squared_objective(prob.X, prob.y, c, b, alpha, l1_ratio)
            diff = float(np.max(np.abs(c - ref_c)) / np.max(np.abs(ref_c)))
            rows.append([penalty, "glmnet", f"{rel_gap(obj, ref):+.1e}", f"{diff:.1e}"])
    log("\n## convention check (diabetes standardized, alpha = alpha_max/10, intercept, tight tol)")
    table = markdown_table(["penalty", "peer", "rel. objective gap to skreg",
                            "max |coef - skreg coef| / max |skreg coef|"], rows)
    log(table)
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny problems (CI, seconds)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repeats (median, interleaved); default 3, quick 1")
    parser.add_argument("--problems", default=None,
                        help=f"comma-separated subset of {','.join(ALL_PROBLEMS)} (default: all; "
                             "quick: dense,sparse)")
    parser.add_argument("--penalties", default="l1,elasticnet")
    parser.add_argument("--tasks", default=",".join(ALL_TASKS),
                        help="comma-separated subset of single,path,cv (cv needs path)")
    parser.add_argument("--n-alphas", type=int, default=None, help="grid size (default 100)")
    parser.add_argument("--cap", type=float, default=None,
                        help="seconds before a run is stopped (default 600; quick 60)")
    parser.add_argument("--out", default=None, help="write the log and tables to this file")
    args = parser.parse_args(argv)
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    cap = args.cap or (60.0 if args.quick else 600.0)
    n_alphas = args.n_alphas or (10 if args.quick else 100)
    problems = args.problems or ("dense,sparse" if args.quick else ",".join(ALL_PROBLEMS))
    tasks = args.tasks.split(",")
    lines = []

    def log(msg):
        print(msg, flush=True)
        lines.append(msg)

    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "scikit-learn": sklearn.__version__}
    for mod in (skglm, celer):
        if mod is None:
            log("skglm/celer not installed: skipped (pip install skglm celer, or the bench extra)")
        else:
            versions[mod.__name__] = getattr(mod, "__version__", "?")
    if GLMNET_MISSING:
        log(f"glmnet skipped: {GLMNET_MISSING}")
    else:
        versions["R glmnet"] = _glmnet.version()
    log(f"bench_regression: {', '.join(f'{k} {v}' for k, v in versions.items())}; "
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    conventions = check_conventions(log)
    # Warm-up of every numba-compiled solver, dense and sparse, untimed and in this process:
    # the timed runs are forked from it and inherit the compiled code (skglm's jitclasses
    # would otherwise be compiled again in every run).
    # A small alpha, so that every inner solver runs (and compiles).
    for warm in (make_dense(True), make_sparse(True)):
        small = squared_alpha_max(warm.X, warm.y, True) / 20
        for fn, _ in single_solvers().values():
            for l1_ratio in PENALTY_L1_RATIO.values():
                if fn is not _celer_fit or l1_ratio == 1.0:
                    fn(warm.X, warm.y, small, l1_ratio, 1e-4)
        _skreg_path(warm.X, warm.y, np.array([small, small / 2]), 0.5, 1e-4)
    rows, descriptions = [], []
    for name in problems.split(","):
        prob = MAKERS[name](args.quick)
        if prob is None:
            log(f"\n## {name}: data not found in {DATA_DIR}, skipped")
            continue
        descriptions.append(f"- **{prob.name}**: {prob.description}; y standardized")
        for penalty in args.penalties.split(","):
            if "single" in tasks:
                rows += bench_single(prob, penalty, repeats, cap, log)
            if "path" in tasks:
                path_rows, tols = bench_path(prob, penalty, repeats, cap, n_alphas, log)
                rows += path_rows
                if "cv" in tasks:
                    rows += bench_cv(prob, penalty, repeats, cap, n_alphas, tols, log)
    table = markdown_table(HEADERS, rows)
    log("\n" + table)
    log(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    if args.out:
        cmd = "python " + " ".join([os.path.relpath(__file__, os.getcwd())] + sys.argv[1:])
        with open(args.out, "w") as fh:
            fh.write("# skreg regression benchmark\n\n"
                     f"Command: `{cmd}`  \nVersions: "
                     f"{', '.join(f'{k} {v}' for k, v in versions.items())}; "
                     f"{os.cpu_count()} CPUs.\n\n" + "\n".join(descriptions) + "\n\n## Results\n\n"
                     + table + "\n\n## Convention check\n\n" + conventions + "\n\n## Log\n\n"
                     + "\n".join("    " + ln for ln in "\n".join(lines).splitlines()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
