"""Benchmark: skreg.RegularizedLogisticRegression against its peers, in one run.

Protocol:

* Same objective: every solver is mapped to skreg's objective (weighted MEAN
  logistic loss + ``alpha * R(w)``), and the benchmark recomputes each final
  objective itself with that formula (``_common.logistic_objective``).
  scikit-learn and celer minimise ``C * sum_i loss_i + R(w)``, so they get
  ``C = 1 / (alpha * n_samples)``; skglm's ``SparseLogisticRegression`` uses
  skreg's scaling and ``l1_ratio`` convention as they are. The mapping is
  checked numerically on a small problem at the start of every run.
* Same accuracy: a reference objective comes from skreg at ``tol=1e-9``
  (untimed). Each solver starts at its usual tolerance and the benchmark
  tightens it by 10x until its final objective is within 1e-6 (relative) of
  the reference; the tolerance used is printed. A solver whose single fit
  exceeds the time cap, or that stops on ``max_iter``, is marked ``capped``
  and timed once.
* One process, interleaved: per repeat the solvers run round-robin; the
  table shows medians and the ratio ``skreg / peer`` (< 1: skreg is faster).
* By default every solver runs *without an intercept* (liblinear penalizes
  its intercept and celer cannot fit one); ``--intercept`` fits one with the
  peers that can.
* Compile time is reported apart: first fit (import + fit) in a fresh
  process with a cold numba cache (a new ``NUMBA_CACHE_DIR``) and a warm one,
  against scikit-learn's and skglm's first fit in a fresh process.

Peers (scikit-learn's liblinear/saga/lbfgs/newton-cholesky, skglm, celer) are
optional: the ``bench`` extra. A peer that is not installed is skipped with a
message.

Usage::

    python benchmarks/bench_logistic.py                      # full run, 5 repeats
    python benchmarks/bench_logistic.py --quick              # tiny problems (CI, < 60 s)
    python benchmarks/bench_logistic.py --repeats 3 --out benchmarks/results_logistic.md
    python benchmarks/bench_logistic.py --problems dense,w8a --profile
    python benchmarks/bench_logistic.py --problems sparse --penalties l1 --solvers liblinear,skglm
    python benchmarks/bench_logistic.py --l2 --repeats 3 --out benchmarks/results_l2.md

``--l2`` runs only the table of L2 (the default penalty) against lbfgs at tol
1e-8, with an intercept: single fits on dense 20000 x 2000, 5000 x 100, w8a
and digits (binary and multinomial), and a GridSearchCV over 10 alphas.
"""

import argparse
import contextlib
import io
import os
import platform
import shutil
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402
    DATA_DIR, alpha_max, fmt, fresh_numba_cache_dir, kkt_violation, logistic_objective,
    markdown_table, median, rel_gap, run_fresh,
)

import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from skreg import RegularizedLogisticRegression  # noqa: E402

REL_TOL = 1e-6
ALL_PROBLEMS = ("dense", "sparse", "w8a", "leukemia")


def _optional(name):
    try:
        return __import__(name)
    except ImportError:
        return None


skglm = _optional("skglm")
celer = _optional("celer")


# ---------------------------------------------------------------------------
# Problems.
# ---------------------------------------------------------------------------


class Problem:
    """A data set in every layout a solver may want (so no solver pays a conversion)."""

    def __init__(self, name, X, y01, divisor, description):
        self.name = name
        self.y01 = np.asarray(y01, dtype=np.float64)
        self.divisor = divisor
        self.description = description
        if sp.issparse(X):
            self.sparse = True
            self.layouts = {"csc": sp.csc_matrix(X), "csr": sp.csr_matrix(X)}
            for M in self.layouts.values():
                # load_svmlight_file gives int64 indices, which liblinear/saga refuse.
                M.indices = M.indices.astype(np.int32)
                M.indptr = M.indptr.astype(np.int32)
                M.sort_indices()
            self.X = self.layouts["csc"]
        else:
            self.sparse = False
            self.layouts = {"F": np.asfortranarray(X, dtype=np.float64),
                            "C": np.ascontiguousarray(X, dtype=np.float64)}
            self.X = self.layouts["F"]
        self.n_samples, self.n_features = X.shape

    def get(self, layout):
        """X in ``layout``: "F"/"C" for dense problems, "csc"/"csr" for sparse ones."""
        if self.sparse:
            return self.layouts["csr" if layout in ("C", "csr") else "csc"]
        return self.layouts["C" if layout in ("C", "csr") else "F"]


def _standardize(X):
    X = np.asarray(X, dtype=np.float64)
    std = X.std(axis=0)
    std[std == 0.0] = 1.0
    return (X - X.mean(axis=0)) / std


def make_dense(quick):
    from sklearn.datasets import make_classification

    n, p, inf = (500, 50, 10) if quick else (20000, 2000, 50)
    X, y = make_classification(n, p, n_informative=inf, random_state=0)
    return Problem("dense", _standardize(X), y, 20,
                   f"make_classification({n}, {p}, n_informative={inf}), standardized")


def make_sparse(quick):
    n, p, density, k = (2000, 500, 1e-2, 20) if quick else (50000, 20000, 1e-3, 50)
    rng = np.random.default_rng(0)
    X = sp.random(n, p, density=density, format="csc", random_state=rng,
                  data_rvs=rng.standard_normal)
    w = np.zeros(p)
    support = rng.choice(p, size=k, replace=False)
    w[support] = rng.standard_normal(k) * 4.0
    z = X @ w
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)
    return Problem("sparse", X, y, 20,
                   f"scipy.sparse.random({n}, {p}, density={density:g}), "
                   f"{k} planted N(0, 16) coefs, logistic labels")


def make_w8a(quick):
    from sklearn.datasets import load_svmlight_file

    path = os.path.join(DATA_DIR, "w8a.svmlight.gz")
    if not os.path.exists(path):
        return None
    X, y = load_svmlight_file(path, n_features=300)
    if quick:  # the first 5000 rows keep CI fast
        X, y = X[:5000], y[:5000]
    return Problem("w8a", X, (y > 0).astype(np.float64), 20,
                   f"LIBSVM w8a ({X.shape[0]} x 300 sparse)")


def make_leukemia(quick):
    path = os.path.join(DATA_DIR, "leukemia_golub.csv.gz")
    if not os.path.exists(path):
        return None
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    X = data[:, :-1]
    if quick:  # the first 500 genes keep CI fast
        X = X[:, :500]
    return Problem("leukemia", _standardize(X), data[:, -1], 10,
                   f"Golub leukemia (72 x {X.shape[1]} dense), standardized")


MAKERS = {"dense": make_dense, "sparse": make_sparse, "w8a": make_w8a, "leukemia": make_leukemia}


# ---------------------------------------------------------------------------
# Solvers: each maps skreg's (alpha, l1_ratio) to its own parameters.
# ---------------------------------------------------------------------------

_SKLEARN_HAS_PENALTY = LogisticRegression().get_params()["penalty"] != "deprecated"


def _sklearn_penalty_params(l1_ratio):
    """scikit-learn >= 1.8 selects the penalty by ``l1_ratio`` alone (``penalty`` is deprecated)."""
    if not _SKLEARN_HAS_PENALTY:
        return {"l1_ratio": l1_ratio}
    name = {1.0: "l1", 0.0: "l2"}.get(l1_ratio, "elasticnet")
    return {"penalty": name, "l1_ratio": l1_ratio if name == "elasticnet" else None}


class Solver:
    """A fit function ``fit(X, y01, alpha, l1_ratio, tol, fit_intercept) -> (coef, b, n_iter)``."""

    def __init__(self, name, fit, penalties, layout, tol0, tol_floor, intercept=True,
                 max_iter=None):
        self.name, self.fit, self.penalties, self.layout = name, fit, penalties, layout
        self.tol0, self.tol_floor, self.intercept, self.max_iter = tol0, tol_floor, intercept, max_iter


def _skreg_fit(X, y, alpha, l1_ratio, tol, fit_intercept, max_iter=1000, verbose=0):
    penalty = {1.0: "l1", 0.0: "l2"}.get(l1_ratio, "elasticnet")
    clf = RegularizedLogisticRegression(
        penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=tol,
        max_iter=max_iter, verbose=verbose,
    ).fit(X, y)
    return clf.coef_.ravel(), float(clf.intercept_[0]), clf.n_iter_


def _sklearn_fit(solver, max_iter):
    def fit(X, y, alpha, l1_ratio, tol, fit_intercept):
        clf = LogisticRegression(
            solver=solver, C=1.0 / (alpha * X.shape[0]), tol=tol, max_iter=max_iter,
            fit_intercept=fit_intercept, **_sklearn_penalty_params(l1_ratio),
        ).fit(X, y)
        return clf.coef_.ravel(), float(np.ravel(clf.intercept_)[0]), int(np.max(clf.n_iter_))
    return fit


def _skglm_fit(X, y, alpha, l1_ratio, tol, fit_intercept):
    clf = skglm.SparseLogisticRegression(
        alpha=alpha, l1_ratio=l1_ratio, tol=tol, max_iter=200, fit_intercept=fit_intercept,
    ).fit(X, y)
    return clf.coef_.ravel(), float(np.ravel(clf.intercept_)[0]), clf.n_iter_


def _celer_fit(X, y, alpha, l1_ratio, tol, fit_intercept):
    clf = celer.LogisticRegression(C=1.0 / (alpha * X.shape[0]), tol=tol, max_iter=200,
                                   fit_intercept=False).fit(X, y)
    return clf.coef_.ravel(), 0.0, getattr(clf, "n_iter_", -1)


def make_solvers(quick):
    # saga is the slow one: cap its epochs so a capped fit stays within the time budget.
    saga_iter = 100
    solvers = [
        Solver("skreg", _skreg_fit, {"l1", "elasticnet", "l2"}, "F", 1e-4, 1e-10),
        Solver("liblinear", _sklearn_fit("liblinear", 10000), {"l1"}, "C", 1e-4, 1e-10,
               intercept=False),
        Solver("saga", _sklearn_fit("saga", saga_iter), {"l1", "elasticnet"}, "C", 1e-4, 1e-9,
               max_iter=saga_iter),
        Solver("lbfgs", _sklearn_fit("lbfgs", 10000), {"l2"}, "C", 1e-4, 1e-10),
        Solver("newton-cholesky", _sklearn_fit("newton-cholesky", 1000), {"l2"}, "C", 1e-4,
               1e-10),
    ]
    if skglm is not None:
        solvers.append(Solver("skglm", _skglm_fit, {"l1", "elasticnet"}, "F", 1e-4, 1e-10))
    else:
        print("skglm is not installed: skipped (pip install skglm, or the `bench` extra)")
    if celer is not None:
        solvers.append(Solver("celer", _celer_fit, {"l1"}, "C", 1e-4, 1e-10, intercept=False))
    else:
        print("celer is not installed: skipped (pip install celer, or the `bench` extra)")
    return solvers


PENALTY_L1_RATIO = {"l1": 1.0, "elasticnet": 0.5, "l2": 0.0}
#: l2 only where the brief asks for it (lbfgs / newton-cholesky territory).
L2_PROBLEMS = {"dense", "w8a"}


# ---------------------------------------------------------------------------
# Running one configuration.
# ---------------------------------------------------------------------------


def run_once(solver, prob, alpha, l1_ratio, tol, fit_intercept):
    X = prob.get(solver.layout)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=UserWarning)
        t0 = time.perf_counter()
        coef, b, n_iter = solver.fit(X, prob.y01, alpha, l1_ratio, tol, fit_intercept)
        elapsed = time.perf_counter() - t0
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    coef = np.asarray(coef, dtype=np.float64)
    obj = logistic_objective(prob.X, prob.y01, coef, b, alpha, l1_ratio)
    return dict(time=elapsed, coef=coef, b=b, n_iter=n_iter, obj=obj, converged=converged)


def bench_config(prob, penalty, solvers, repeats, fit_intercept, cap, log):
    l1_ratio = PENALTY_L1_RATIO[penalty]
    amax = alpha_max(prob.X, prob.y01, fit_intercept)
    alpha = amax / prob.divisor
    active = [s for s in solvers if penalty in s.penalties and (s.intercept or not fit_intercept)]
    log(f"\n## {prob.name} / {penalty}: alpha = alpha_max/{prob.divisor} = {alpha:.4g}, "
        f"fit_intercept={fit_intercept}, solvers: {', '.join(s.name for s in active)}")
    # Reference objective (untimed): skreg to a very tight certificate.
    ref = run_once(active[0], prob, alpha, l1_ratio, 1e-9, fit_intercept)
    best = ref["obj"]
    log(f"   reference: skreg tol=1e-9 -> objective {best:.12g} ({ref['time']:.2f} s)")

    # Calibrate: tighten each tolerance until the objective is within REL_TOL of the reference.
    state = {}
    for s in active:
        tol, spent, notes = s.tol0, 0.0, []
        first = True
        while True:
            r = run_once(s, prob, alpha, l1_ratio, tol, fit_intercept)
            if first and r["time"] > cap:
                # The first fit may include JIT compilation (skglm): run it again.
                r = run_once(s, prob, alpha, l1_ratio, tol, fit_intercept)
            first = False
            spent += r["time"]
            gap = rel_gap(r["obj"], best)
            log(f"   calibrate {s.name:16s} tol={tol:.0e}: {r['time']:7.2f} s, "
                f"rel gap {gap:+.2e}, n_iter {r['n_iter']}{'' if r['converged'] else ' (max_iter)'}")
            if gap <= REL_TOL:
                if r["time"] > cap:  # accurate, but too slow to repeat: time it once
                    notes.append(f"capped: > {cap:g} s per fit, timed once")
                break
            if not r["converged"]:
                notes.append(f"capped: max_iter={s.max_iter or 'default'} reached")
                break
            if r["time"] > cap or spent > 2 * cap:
                notes.append(f"capped: > {cap:g} s per fit")
                break
            if tol / 10 < s.tol_floor:
                notes.append("tol floor reached")
                break
            tol /= 10
        if tol != s.tol0:
            notes.insert(0, f"tol tightened from {s.tol0:.0e}")
        state[s.name] = dict(solver=s, tol=tol, times=[r["time"]], last=r, notes=notes,
                             capped=any(n.startswith("capped") for n in notes))
    # Timed repeats, round-robin; a capped solver keeps its single calibration time.
    for s in active:
        if not state[s.name]["capped"]:
            state[s.name]["times"] = []
    for _ in range(repeats):
        for s in active:
            st = state[s.name]
            if st["capped"]:
                continue
            r = run_once(s, prob, alpha, l1_ratio, st["tol"], fit_intercept)
            st["times"].append(r["time"])
            st["last"] = r
    best = min([best] + [st["last"]["obj"] for st in state.values()])
    rows = []
    t_skreg = median(state["skreg"]["times"])
    for name, st in state.items():
        r = st["last"]
        t = median(st["times"])
        kkt = kkt_violation(prob.X, prob.y01, r["coef"], r["b"], alpha, l1_ratio, fit_intercept)
        gap = rel_gap(r["obj"], best)
        if gap > REL_TOL and not st["capped"]:
            st["notes"].append("objective above 1e-6 of best")
        rows.append(dict(problem=prob.name, penalty=penalty, solver=name, tol=st["tol"], time=t,
                         ratio=t_skreg / t, gap=gap, nnz=int(np.count_nonzero(r["coef"])),
                         kkt=kkt, n_iter=r["n_iter"], n_runs=len(st["times"]),
                         notes="; ".join(st["notes"]), alpha=alpha))
    for row in rows:
        log(f"   {row['solver']:16s} median {row['time']:8.3f} s  skreg/peer {row['ratio']:6.3f}  "
            f"gap {row['gap']:+.1e}  nnz {row['nnz']:5d}  kkt {row['kkt']:.1e}  {row['notes']}")
    return rows


RESULT_HEADERS = ["problem", "penalty", "solver", "tol", "median time (s)", "skreg/peer",
                  "rel. objective gap to best", "nnz", "KKT violation", "n_iter", "runs", "notes"]


def result_rows(rows):
    return [[r["problem"], r["penalty"], r["solver"], f"{r['tol']:.0e}", fmt(r["time"], ".4g"),
             fmt(r["ratio"], ".3f"), f"{r['gap']:.1e}", r["nnz"], f"{r['kkt']:.1e}", r["n_iter"],
             r["n_runs"], r["notes"]] for r in rows]


# ---------------------------------------------------------------------------
# L2 (the default penalty) against lbfgs: single fits and a grid search.
# ---------------------------------------------------------------------------

#: lbfgs at the tolerance the comparison is stated at (issue: "lbfgs at tol 1e-8").
LBFGS_TOL = 1e-8


def _l2_problems(quick):
    """``(name, X (Fortran or CSC), y, alpha)``: every problem of the L2 table, with an intercept."""
    from sklearn.datasets import load_digits, load_svmlight_file, make_classification

    n_dense, p_dense = (2000, 200) if quick else (20000, 2000)
    X, y = make_classification(n_dense, p_dense, n_informative=50, random_state=0)
    X = np.asfortranarray(_standardize(X))
    yield (f"dense {n_dense}x{p_dense}", X, y, alpha_max(X, y.astype(float), True) / 20)
    n_small = 1000 if quick else 5000
    X, y = make_classification(n_small, 100, n_informative=20, random_state=0)
    yield (f"{n_small}x100", np.asfortranarray(_standardize(X)), y, 1e-4)
    path = os.path.join(DATA_DIR, "w8a.svmlight.gz")
    if os.path.exists(path):
        X, y = load_svmlight_file(path, n_features=300)
        X, y = (X[:5000], y[:5000]) if quick else (X, y)
        X = sp.csc_matrix(X)
        X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)
        y = (y > 0).astype(int)
        yield (f"w8a ({X.shape[0]} x 300 sparse)", X, y, alpha_max(X, y.astype(float), True) / 20)
    X, y = load_digits(return_X_y=True)
    X = np.asfortranarray(_standardize(X))
    yield ("digits binary (odd/even)", X, y % 2, 1e-4)
    yield ("digits multinomial (10 classes)", X, y, 1e-4)


def l2_objective(X, y, coef, intercept, alpha):
    """Mean log loss (binary or multinomial) + ``alpha/2 ||coef||^2``, from the labels ``y``."""
    from scipy.special import logsumexp

    classes = np.unique(y)
    Z = np.asarray(X @ np.atleast_2d(coef).T) + np.ravel(intercept)
    if classes.shape[0] == 2:
        z, y01 = Z[:, 0], (y == classes[1]).astype(float)
        loss = np.mean(np.logaddexp(0.0, z) - y01 * z)
    else:
        rows = np.searchsorted(classes, y)
        loss = np.mean(logsumexp(Z, axis=1) - Z[np.arange(Z.shape[0]), rows])
    return float(loss + 0.5 * alpha * np.sum(np.square(coef)))


def _l2_fit(name, X, y, alpha, tol):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if name == "skreg":
            clf = RegularizedLogisticRegression(penalty="l2", alpha=alpha, tol=tol,
                                                max_iter=1000).fit(X, y)
        else:
            clf = LogisticRegression(C=1.0 / (alpha * X.shape[0]), tol=tol,
                                     max_iter=100000).fit(X, y)
    return time.perf_counter() - t0, l2_objective(X, y, clf.coef_, clf.intercept_, alpha)


def bench_l2(repeats, log, quick=False):
    """skreg (tol tightened from 1e-4 until within 1e-6 of the best objective) vs lbfgs at 1e-8."""
    log(f"\n## L2 single fits vs lbfgs (tol {LBFGS_TOL:g}), with intercept")
    rows = []
    for name, X, y, alpha in _l2_problems(quick):
        _, best = _l2_fit("skreg", X, y, alpha, 1e-10)  # reference (and compilation)
        X_lbfgs = X.tocsr() if sp.issparse(X) else np.ascontiguousarray(X)
        _, f_lbfgs = _l2_fit("lbfgs", X_lbfgs, y, alpha, LBFGS_TOL)
        best = min(best, f_lbfgs)
        tol = 1e-4
        while True:
            _, f = _l2_fit("skreg", X, y, alpha, tol)
            if rel_gap(f, best) <= REL_TOL or tol <= 1e-10:
                break
            tol /= 10
        times = {"skreg": [], "lbfgs": []}
        objs = {}
        for _ in range(repeats):
            for solver, data, solver_tol in (("skreg", X, tol), ("lbfgs", X_lbfgs, LBFGS_TOL)):
                t, objs[solver] = _l2_fit(solver, data, y, alpha, solver_tol)
                times[solver].append(t)
        t_s, t_l = median(times["skreg"]), median(times["lbfgs"])
        row = [name, f"{alpha:.3g}", f"{tol:.0e}", fmt(t_s, ".4g"), fmt(t_l, ".4g"),
               f"{t_s / t_l:.3f}", f"{rel_gap(objs['skreg'], best):.1e}",
               f"{rel_gap(objs['lbfgs'], best):.1e}"]
        log("   " + " | ".join(row))
        rows.append(row)
    rows.append(bench_l2_grid_search(repeats, log, quick))
    table = markdown_table(["problem", "alpha", "skreg tol", "skreg (s)", "lbfgs (s)",
                            "skreg/lbfgs", "skreg rel. gap to best", "lbfgs rel. gap to best"],
                           rows)
    log(table)
    return table


def bench_l2_grid_search(repeats, log, quick=False):
    """GridSearchCV over 10 alphas (5 folds) on the 5000 x 100 problem, skreg vs lbfgs."""
    from sklearn.datasets import make_classification
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    n = 1000 if quick else 5000
    X, y = make_classification(n, 100, n_informative=20, random_state=0)
    X = np.asfortranarray(_standardize(X))
    alphas = np.geomspace(1e-1, 1e-5, 10)
    cv = StratifiedKFold(5)
    n_train = n - n // 5  # C = 1 / (alpha * n_train) gives each fold's fit the same objective
    searches = {
        "skreg": GridSearchCV(RegularizedLogisticRegression(penalty="l2"),
                              {"alpha": list(alphas)}, cv=cv),
        "lbfgs": GridSearchCV(LogisticRegression(tol=LBFGS_TOL, max_iter=100000),
                              {"C": list(1.0 / (alphas * n_train))}, cv=cv),
    }
    # Both get the same C-ordered X, as users mostly hold it: the search's split
    # copies the training rows into new C-ordered arrays whatever the input layout
    # (and gathers rows of Fortran-ordered X more slowly), so no layout suits one fit.
    X = np.ascontiguousarray(X)
    data = {"skreg": X, "lbfgs": X}
    searches["skreg"].fit(X, y)  # compilation
    times = {"skreg": [], "lbfgs": []}
    for _ in range(repeats):
        for solver, search in searches.items():
            t0 = time.perf_counter()
            search.fit(data[solver], y)
            times[solver].append(time.perf_counter() - t0)
    t_s, t_l = median(times["skreg"]), median(times["lbfgs"])
    scores = {k: s.cv_results_["mean_test_score"] for k, s in searches.items()}
    diff = float(np.max(np.abs(scores["skreg"] - scores["lbfgs"])))
    row = [f"GridSearchCV 10 alphas x 5 folds, {n}x100", "1e-1 .. 1e-5", "1e-04",
           fmt(t_s, ".4g"), fmt(t_l, ".4g"), f"{t_s / t_l:.3f}",
           f"max |score diff| {diff:.1e}", "-"]
    log("   " + " | ".join(row))
    return row


# ---------------------------------------------------------------------------
# Convention check: the parameter mapping gives the same solution.
# ---------------------------------------------------------------------------


def check_conventions(log):
    """Fit each peer tightly on a small problem and compare with skreg's solution."""
    from sklearn.datasets import make_classification

    X, y = make_classification(300, 20, n_informative=5, random_state=1)
    prob = Problem("small", _standardize(X), y, 10, "")
    rows = []
    solvers = make_solvers(quick=True)
    for penalty, l1_ratio in PENALTY_L1_RATIO.items():
        alpha = alpha_max(prob.X, prob.y01, False) / 10
        ref = run_once(solvers[0], prob, alpha, l1_ratio, 1e-12, False)
        for s in solvers[1:]:
            if penalty not in s.penalties:
                continue
            tol = 1e-8 if s.name == "saga" else 1e-12
            r = run_once(s, prob, alpha, l1_ratio, tol, False)
            diff = float(np.max(np.abs(r["coef"] - ref["coef"])) / np.max(np.abs(ref["coef"])))
            rows.append([penalty, s.name, f"{rel_gap(r['obj'], ref['obj']):+.1e}", f"{diff:.1e}"])
    log("\n## convention check (300 x 20, alpha = alpha_max/10, no intercept, tight tol)")
    table = markdown_table(["penalty", "peer", "rel. objective gap to skreg",
                            "max |coef - skreg coef| / max |skreg coef|"], rows)
    log(table)
    return table


# ---------------------------------------------------------------------------
# Cold / warm start in fresh processes.
# ---------------------------------------------------------------------------

_FRESH_TEMPLATE = r"""
import json, time
import numpy as np
import scipy.sparse as sp
rng = np.random.default_rng(0)
n, p = 500, 50
X = np.asfortranarray(rng.standard_normal((n, p)))
y = (X[:, :5].sum(axis=1) + rng.standard_normal(n) > 0).astype(float)
Xs = sp.random(2000, 500, density=0.01, format="csc", random_state=0)
ys = (rng.random(2000) < 0.5).astype(float)
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
{make}
clf.fit(X, y)
t2 = time.perf_counter()
clf.fit(X, y)
t3 = time.perf_counter()
clf.fit(Xs, ys)
t4 = time.perf_counter()
print(json.dumps(dict(import_time=t1 - t0, first_fit=t2 - t1, second_fit=t3 - t2,
                      first_sparse_fit=t4 - t3)))
"""

FRESH = {
    "skreg": ("from skreg import RegularizedLogisticRegression",
              "clf = RegularizedLogisticRegression(penalty='l1', alpha=0.01, fit_intercept=False)"),
    "scikit-learn liblinear": (
        "from sklearn.linear_model import LogisticRegression",
        "clf = LogisticRegression(solver='liblinear', l1_ratio=1.0, C=0.2, fit_intercept=False)"
        if not _SKLEARN_HAS_PENALTY else
        "clf = LogisticRegression(solver='liblinear', penalty='l1', C=0.2, fit_intercept=False)"),
    "skglm": ("from skglm import SparseLogisticRegression",
              "clf = SparseLogisticRegression(alpha=0.01, fit_intercept=False)"),
    "celer": ("from celer import LogisticRegression",
              "clf = LogisticRegression(C=0.2)"),
}


def fresh_process_timings(log, quick=False):
    log("\n## first fit in a fresh process (500 x 50 dense L1, then 2000 x 500 sparse)")
    rows = []
    runs = [("skreg", "cold numba cache"), ("skreg", "warm numba cache"),
            ("scikit-learn liblinear", "-"), ("skglm", "cold numba cache"),
            ("skglm", "warm numba cache"), ("celer", "-")]
    if quick:  # keep CI under a minute: skglm's compile alone is ~10 s per process
        runs = [r for r in runs if r[0] != "skglm"]
    cache = fresh_numba_cache_dir()
    skglm_cache = fresh_numba_cache_dir()
    try:
        for name, kind in runs:
            if name == "skglm" and skglm is None or name == "celer" and celer is None:
                log(f"   {name}: not installed, skipped")
                continue
            imports, make = FRESH[name]
            env = {"NUMBA_CACHE_DIR": skglm_cache if name == "skglm" else cache}
            out = run_fresh(_FRESH_TEMPLATE.format(imports=imports, make=make), env)
            if "error" in out:
                log(f"   {name} ({kind}): failed: {out['error']}")
                continue
            total = out["import_time"] + out["first_fit"]
            rows.append([name, kind, f"{out['import_time']:.2f}", f"{out['first_fit']:.2f}",
                         f"{total:.2f}", f"{out['second_fit']:.4f}",
                         f"{out['first_sparse_fit']:.3f}"])
            log(f"   {name:24s} {kind:17s} import {out['import_time']:.2f} s, first fit "
                f"{out['first_fit']:.2f} s, second {out['second_fit']:.4f} s, first sparse fit "
                f"{out['first_sparse_fit']:.3f} s")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(skglm_cache, ignore_errors=True)
    table = markdown_table(["solver", "numba cache", "import (s)", "first fit (s)",
                            "import + first fit (s)", "second fit (s)",
                            "then first sparse fit (s)"], rows)
    log(table)
    return table


# ---------------------------------------------------------------------------
# Profile: where skreg's time goes (passes, Newton steps, cost of a pass).
# ---------------------------------------------------------------------------


def profile_skreg(prob, fit_intercept, log):
    """Outer passes, Newton steps and the cost of one full pass against reading X once."""
    from skreg import _cd
    from skreg._validation import normalized_sample_weight, to_design
    from skreg.datafits import make_datafit
    from skreg.penalties import make_penalty

    alpha = alpha_max(prob.X, prob.y01, fit_intercept) / prob.divisor
    X = prob.get("F")
    _skreg_fit(X, prob.y01, alpha, 1.0, 1e-4, fit_intercept)  # compile
    counters = dict(full_kkt=0.0, n_full=0, ws=0.0, ws_sizes=[])
    orig_full, orig_ws = _cd.full_kkt, _cd.solve_working_set

    def timed_full(*a):
        t0 = time.perf_counter()
        out = orig_full(*a)
        counters["full_kkt"] += time.perf_counter() - t0
        counters["n_full"] += 1
        return out

    def timed_ws(*a):
        t0 = time.perf_counter()
        out = orig_ws(*a)
        counters["ws"] += time.perf_counter() - t0
        counters["ws_sizes"].append(int(a[8][0]))  # ws_len of class 0
        return out

    _cd.full_kkt, _cd.solve_working_set = timed_full, timed_ws
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            t0 = time.perf_counter()
            coef, b, n_iter = _skreg_fit(X, prob.y01, alpha, 1.0, 1e-4, fit_intercept, verbose=1)
            total = time.perf_counter() - t0
    finally:
        _cd.full_kkt, _cd.solve_working_set = orig_full, orig_ws
    lines = [ln for ln in buf.getvalue().splitlines() if ln.startswith("skreg: pass")]
    # Floor: reading X once (X^T v) with numpy / scipy, and one full_kkt alone.
    v = np.random.default_rng(0).standard_normal(prob.n_samples)
    reps = 5
    t0 = time.perf_counter()
    for _ in range(reps):
        X.T @ v
    t_read = (time.perf_counter() - t0) / reps
    design = to_design(X)
    X_op = _cd.design_operator(design)
    sw = normalized_sample_weight(None, X)
    W = coef.reshape(1, -1).copy()
    Z = _cd.linear_predictor(X_op, W, np.array([b]))
    Y = prob.y01.reshape(-1, 1)
    G = np.empty((prob.n_samples, 1))
    viol = np.empty((1, prob.n_features))
    args = (design, X_op, make_datafit("log_loss", Y, sw), make_penalty("l1", alpha), fit_intercept,
            W, Z, G, viol)
    _cd.full_kkt(*args)
    t0 = time.perf_counter()
    for _ in range(reps):
        _cd.full_kkt(*args)
    t_pass = (time.perf_counter() - t0) / reps
    nbytes = X.data.nbytes + (X.indices.nbytes + X.indptr.nbytes if sp.issparse(X) else 0)
    res = dict(problem=prob.name, total=total, passes=len(lines), n_iter=n_iter,
               t_pass=t_pass, t_read=t_read, full_total=counters["full_kkt"],
               ws_total=counters["ws"], ws_sizes=counters["ws_sizes"],
               nnz=int(np.count_nonzero(coef)), mb=nbytes / 1e6)
    log(f"\n## profile skreg L1 on {prob.name} (tol=1e-4, fit_intercept={fit_intercept})")
    for ln in lines:
        log("   " + ln)
    log(f"   total {total:.3f} s: {res['passes']} full passes ({counters['full_kkt']:.3f} s), "
        f"{n_iter} Newton steps in working sets of sizes {counters['ws_sizes']} "
        f"({counters['ws']:.3f} s); one full pass {t_pass * 1e3:.2f} ms vs X.T @ v "
        f"{t_read * 1e3:.2f} ms ({res['mb']:.0f} MB); nnz {res['nnz']}")
    return res


PROFILE_HEADERS = ["problem", "fit (s)", "full passes", "Newton steps", "working-set sizes",
                   "time in full passes (s)", "time in working sets (s)", "one full pass (ms)",
                   "X.T @ v (ms)", "pass / read", "X size (MB)"]


def profile_rows(res):
    return [[r["problem"], f"{r['total']:.3f}", r["passes"], r["n_iter"],
             ",".join(map(str, r["ws_sizes"])), f"{r['full_total']:.3f}", f"{r['ws_total']:.3f}",
             f"{r['t_pass'] * 1e3:.2f}", f"{r['t_read'] * 1e3:.2f}",
             f"{r['t_pass'] / r['t_read']:.2f}", f"{r['mb']:.0f}"] for r in res]


# ---------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny problems (CI): 500x50 dense, 2000x500 sparse, real data if present")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repeats per solver (median); default 5, quick 3")
    parser.add_argument("--problems", default=",".join(ALL_PROBLEMS),
                        help=f"comma-separated subset of {','.join(ALL_PROBLEMS)}")
    parser.add_argument("--penalties", default="l1,elasticnet,l2",
                        help="comma-separated subset of l1,elasticnet,l2")
    parser.add_argument("--solvers", default=None,
                        help="comma-separated subset of the solvers (default: all installed; "
                             "skreg always runs, as the reference)")
    parser.add_argument("--intercept", action="store_true",
                        help="fit an intercept (liblinear and celer are then skipped)")
    parser.add_argument("--cap", type=float, default=None,
                        help="seconds per fit after which a solver is not tightened/repeated "
                             "(default 60, quick 2)")
    parser.add_argument("--no-fresh", action="store_true", help="skip the fresh-process timings")
    parser.add_argument("--profile", action="store_true",
                        help="profile skreg (passes, Newton steps, cost per pass) on dense/sparse")
    parser.add_argument("--l2", action="store_true",
                        help="only the L2 table against lbfgs (dense 20000x2000, 5000x100, w8a, "
                             "digits binary and multinomial, a GridSearchCV)")
    parser.add_argument("--out", default=None, help="write the markdown tables to this file")
    args = parser.parse_args(argv)
    cap = args.cap if args.cap is not None else (2.0 if args.quick else 60.0)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    problems = [p.strip() for p in args.problems.split(",") if p.strip()]
    penalties = [p.strip() for p in args.penalties.split(",") if p.strip()]
    for p in problems:
        if p not in MAKERS:
            parser.error(f"unknown problem {p!r}; choose from {', '.join(ALL_PROBLEMS)}")

    log = print
    t_start = time.perf_counter()
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "scikit-learn": sklearn.__version__}
    for mod in (skglm, celer):
        if mod is not None:
            versions[mod.__name__] = getattr(mod, "__version__", "?")
    import numba
    versions["numba"] = numba.__version__
    log(f"bench_logistic: {' '.join(f'{k} {v}' for k, v in versions.items())}; "
        f"{os.cpu_count()} CPUs")
    if args.l2:
        load_before = os.getloadavg()[0]
        table = bench_l2(args.repeats, log, args.quick)
        load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
        log(load)
        if args.out:
            cmd = " ".join(f"{k}={os.environ[k]}" for k in ("OPENBLAS_NUM_THREADS",)
                           if k in os.environ)
            cmd += " python " + " ".join([os.path.relpath(__file__, os.getcwd())] + sys.argv[1:])
            with open(args.out, "w") as f:
                f.write("# skreg L2 vs scikit-learn lbfgs\n\n"
                        f"Command: `{cmd.strip()}` ({load}; the ratios are interleaved).\n\n"
                        f"Versions: {', '.join(f'{k} {v}' for k, v in versions.items())}; "
                        f"{os.cpu_count()} CPUs. Repeats: {args.repeats} (interleaved, median). "
                        f"lbfgs at tol {LBFGS_TOL:g}; skreg's tol tightened from 1e-4 until its "
                        "objective is within 1e-6 (relative) of the best.\n\n" + table + "\n")
        return 0
    conventions = check_conventions(log)

    solvers = make_solvers(args.quick)
    if args.solvers:
        wanted = {"skreg"} | {name.strip() for name in args.solvers.split(",") if name.strip()}
        unknown = wanted - {s.name for s in solvers}
        if unknown:
            parser.error(f"unknown or uninstalled solvers {sorted(unknown)}; choose from "
                         f"{', '.join(s.name for s in solvers)}")
        solvers = [s for s in solvers if s.name in wanted]
    all_rows, descriptions, prof = [], [], []
    for name in problems:
        prob = MAKERS[name](args.quick)
        if prob is None:
            log(f"\n{name}: data file not found in {DATA_DIR}: skipped")
            continue
        descriptions.append(f"- **{prob.name}**: {prob.description}; alpha = alpha_max/{prob.divisor}")
        for penalty in penalties:
            if penalty == "l2" and name not in L2_PROBLEMS:
                continue
            all_rows += bench_config(prob, penalty, solvers, args.repeats, args.intercept, cap, log)
        if args.profile and name in ("dense", "sparse"):
            prof.append(profile_skreg(prob, args.intercept, log))
        del prob

    fresh = None if args.no_fresh else fresh_process_timings(log, args.quick)

    main_table = markdown_table(RESULT_HEADERS, result_rows(all_rows))
    log("\n## results\n")
    log(main_table)
    prof_table = markdown_table(PROFILE_HEADERS, profile_rows(prof)) if prof else None
    if prof_table:
        log("\n## skreg profile\n")
        log(prof_table)
    elapsed = time.perf_counter() - t_start
    log(f"\ntotal benchmark time {elapsed:.1f} s")

    if args.out:
        cmd = "python " + " ".join([os.path.relpath(__file__, os.getcwd())] + sys.argv[1:])
        parts = [
            "# skreg logistic regression benchmark\n",
            f"Command: `{cmd}`  \n"
            f"Versions: {', '.join(f'{k} {v}' for k, v in versions.items())}; "
            f"{os.cpu_count()} CPUs; {platform.platform()}  \n"
            f"Fit intercept: {args.intercept}. Time cap per fit: {cap:g} s. "
            f"Repeats: {args.repeats} (interleaved round-robin, median). Total run {elapsed:.0f} s.\n",
            "Objective: mean logistic loss + alpha * R(w), recomputed by the benchmark. Each "
            "solver's tol is tightened 10x at a time until its objective is within 1e-6 "
            "(relative) of a skreg tol=1e-9 reference. `skreg/peer` < 1 means skreg is faster. "
            "KKT violation: max_j dist(-grad_j, alpha dR(w_j)) computed by the benchmark for "
            "every solver (skreg stops on the same quantity). Elastic net: l1_ratio=0.5.\n",
            "\n".join(descriptions) + "\n",
            "## Results\n", main_table + "\n",
        ]
        if fresh:
            parts += ["## First fit in a fresh process\n",
                      "Import + first fit of a 500 x 50 dense L1 problem in a new Python process, "
                      "then a second fit, then a first fit on 2000 x 500 sparse data. Cold: a new "
                      "empty NUMBA_CACHE_DIR; warm: the same directory again.\n", fresh + "\n"]
        if prof_table:
            parts += ["## skreg profile (L1, tol=1e-4)\n", prof_table + "\n"]
        parts += ["## Convention check\n", conventions + "\n"]
        with open(args.out, "w") as f:
            f.write("\n".join(parts))
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
