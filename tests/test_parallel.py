"""Threads: the numba kernels release the GIL, and fits in threads give the sequential results.

``GridSearchCV(n_jobs=2)`` under joblib's threading backend runs two fits at
once in one process, sharing X. The results must be bit for bit those of
``n_jobs=1``: the solvers are deterministic, keep no global state, and never
write into the caller's X. (How much faster it is, is measured by
``benchmarks/bench_threads.py``, not here.)
"""

import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
from joblib import parallel_config
from numba.core.registry import CPUDispatcher
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_info

import skreg
from skreg import ElasticNetMLPClassifier, RegularizedLogisticRegression
from skreg import _cd, _losses, _mlp_kernels, _prox


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _problem(kind, n=240, d=12, seed=0):
    n_classes = 3 if "multiclass" in kind else 2
    X, y = make_classification(n_samples=n, n_features=d, n_informative=6, n_redundant=2,
                               n_classes=n_classes, random_state=seed)
    X = np.asfortranarray(X)
    if "sparse" in kind:
        X[np.abs(X) < 0.8] = 0.0
        X = sp.csr_matrix(X)
    if "float32" in kind:
        X = X.astype(np.float32)
    return X, y


class _ThreadRecorder:
    """An accuracy scorer that notes the thread it runs in (the one that ran the fit)."""

    def __init__(self):
        self.threads = set()
        self._lock = threading.Lock()

    def __call__(self, estimator, X, y):
        with self._lock:
            self.threads.add(threading.get_ident())
        return estimator.score(X, y)


def _search(estimator, grid, X, y, n_jobs, backend="threading"):
    scorer = _ThreadRecorder()
    with parallel_config(backend=backend):
        search = GridSearchCV(estimator, grid, cv=3, n_jobs=n_jobs, scoring=scorer).fit(X, y)
    return search, scorer.threads


def _fitted_arrays(est):
    if hasattr(est, "coefs_"):
        return list(est.coefs_) + list(est.intercepts_)
    return [est.coef_, est.intercept_]


def assert_same_search(a, b):
    """Two GridSearchCV results are identical: every split score, ranks, best params, refit."""
    assert a.best_params_ == b.best_params_
    assert a.best_index_ == b.best_index_
    split_keys = [k for k in a.cv_results_ if k.startswith("split") or k.endswith("test_score")]
    assert split_keys
    for key in split_keys:
        np.testing.assert_array_equal(a.cv_results_[key], b.cv_results_[key], err_msg=key)
    assert [p for p in a.cv_results_["params"]] == [p for p in b.cv_results_["params"]]
    for x, y in zip(_fitted_arrays(a.best_estimator_), _fitted_arrays(b.best_estimator_)):
        np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------------------
# The kernels are compiled without the GIL (and cached).
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("module", [_cd, _mlp_kernels, _losses, _prox],
                         ids=lambda m: m.__name__)
def test_every_kernel_releases_the_gil(module):
    kernels = {name: obj for name, obj in vars(module).items() if isinstance(obj, CPUDispatcher)}
    assert kernels, f"no numba kernel found in {module.__name__}"
    holding = sorted(name for name, k in kernels.items() if not k.targetoptions.get("nogil"))
    assert not holding, f"kernels compiled without nogil=True: {holding}"
    uncached = sorted(name for name, k in kernels.items() if type(k._cache).__name__ == "NullCache")
    assert not uncached, f"kernels compiled without cache=True: {uncached}"


# ---------------------------------------------------------------------------
# GridSearchCV(n_jobs=2), threading backend == n_jobs=1.
# ---------------------------------------------------------------------------

LR_GRID = {"penalty": ["l1", "l2", "elasticnet"], "alpha": [1e-3, 1e-2, 1e-1]}
MLP_GRID = {"penalty": ["l1", "l2"], "alpha": [1e-4, 1e-2]}


@pytest.mark.parametrize("kind", ["binary", "multiclass", "binary-sparse", "multiclass-float32"])
def test_logistic_grid_search_threads_equal_sequential(kind):
    X, y = _problem(kind)
    est = RegularizedLogisticRegression(tol=1e-6, l1_ratio=0.5)
    seq, seq_threads = _search(est, LR_GRID, X, y, n_jobs=1)
    par, par_threads = _search(est, LR_GRID, X, y, n_jobs=2)
    assert_same_search(seq, par)
    # The parallel fits really ran in worker threads, not in the caller's.
    assert threading.get_ident() not in par_threads
    assert seq_threads == {threading.get_ident()}


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multiclass-sparse"])
def test_mlp_grid_search_threads_equal_sequential(kind):
    X, y = _problem(kind)
    est = ElasticNetMLPClassifier(hidden_layer_sizes=(8,), max_iter=15, batch_size=32,
                                  dropout=0.1, random_state=0)
    seq, _ = _search(est, MLP_GRID, X, y, n_jobs=1)
    par, par_threads = _search(est, MLP_GRID, X, y, n_jobs=2)
    assert_same_search(seq, par)
    assert threading.get_ident() not in par_threads


def test_concurrent_fits_share_x_and_do_not_modify_it():
    """Eight fits of both estimators at once on one X: each equals its fit alone; X untouched."""
    X, y = _problem("multiclass")
    X_before = X.copy(order="K")
    estimators = [RegularizedLogisticRegression(penalty=p, alpha=a, tol=1e-6)
                  for p in ("l1", "l2", "elasticnet") for a in (1e-3, 1e-2)]
    estimators += [ElasticNetMLPClassifier(hidden_layer_sizes=(8,), penalty=p, max_iter=10,
                                           batch_size=40, random_state=1) for p in ("l1", "l2")]
    alone = [_fitted_arrays(clone(e).fit(X, y)) for e in estimators]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda e: _fitted_arrays(clone(e).fit(X, y)), estimators))
    for a, b in zip(alone, together):
        for x, z in zip(a, b):
            np.testing.assert_array_equal(x, z)
    np.testing.assert_array_equal(X, X_before)
    assert X.flags.f_contiguous


def test_overlapping_mlp_fits_restore_the_blas_thread_count():
    """The MLP trains small batches with single-threaded BLAS (threadpoolctl). Overlapping
    fits in threads must not leave the process's BLAS at one thread afterwards."""
    infos = [i for i in threadpool_info() if i["user_api"] == "blas"]
    if not infos:
        pytest.skip("no BLAS library seen by threadpoolctl")
    before = [i["num_threads"] for i in infos]
    X, y = _problem("binary", n=400)
    barrier = threading.Barrier(2)

    def fit(delay_epochs):
        barrier.wait()
        ElasticNetMLPClassifier(hidden_layer_sizes=(16,), max_iter=5 + delay_epochs,
                                batch_size=20, random_state=0).fit(X, y)

    # Staggered lengths: the first fit to start is the first to end (the pattern that
    # used to restore the one-thread limit last).
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(fit, [0, 10]))
    after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    assert after == before


# ---------------------------------------------------------------------------
# The CV estimator's own n_jobs (threads) == n_jobs=1.
# ---------------------------------------------------------------------------

needs_cv = pytest.mark.skipif(not hasattr(skreg, "RegularizedLogisticRegressionCV"),
                              reason="RegularizedLogisticRegressionCV not in this tree yet")


def _cv_attributes(est):
    out = {"alpha_": est.alpha_, "l1_ratio_": est.l1_ratio_, "best_index_": est.best_index_,
           "scores_": est.scores_, "alphas_": est.alphas_, "n_iter_": est.n_iter_,
           "coef_": est.coef_, "intercept_": est.intercept_}
    out.update({f"cv_results_[{k}]": v for k, v in est.cv_results_.items()
                if k.startswith("split") or k.endswith("test_score")})
    return out


def assert_same_cv(a, b):
    a, b = _cv_attributes(a), _cv_attributes(b)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


CV_CASES = {
    "l1-binary": (dict(penalty="l1", n_alphas=8), "binary"),
    "elasticnet-multiclass": (dict(penalty="elasticnet", l1_ratios=[0.3, 0.9], n_alphas=6),
                              "multiclass"),
    "l2-binary-sparse": (dict(penalty="l2", alphas=[1e-3, 1e-2, 1e-1]), "binary-sparse"),
    "l1-refit-false-float32": (dict(penalty="l1", n_alphas=6, refit=False), "binary-float32"),
}


@needs_cv
@pytest.mark.parametrize("case", list(CV_CASES))
@pytest.mark.parametrize("backend", [None, "threading"])
def test_cv_estimator_n_jobs_threads_equal_sequential(case, backend):
    """Its folds run in joblib threads (``prefer="threads"``) by default, or under an explicit
    threading backend: the selection and the refit equal ``n_jobs=1``."""
    params, kind = CV_CASES[case]
    X, y = _problem(kind)
    seq = skreg.RegularizedLogisticRegressionCV(cv=3, n_jobs=1, tol=1e-6, **params).fit(X, y)
    if backend is None:
        par = skreg.RegularizedLogisticRegressionCV(cv=3, n_jobs=2, tol=1e-6, **params).fit(X, y)
    else:
        with parallel_config(backend=backend):
            par = skreg.RegularizedLogisticRegressionCV(cv=3, n_jobs=2, tol=1e-6,
                                                        **params).fit(X, y)
    assert_same_cv(seq, par)


@needs_cv
def test_cv_estimator_in_threads_restores_the_blas_thread_count():
    """Fold paths run in threads with one BLAS thread; afterwards BLAS has the thread count
    it had before the fit (it was left at one thread when the worker threads set and lifted
    the limit themselves)."""
    from sklearn.datasets import load_digits

    if not _blas_threads():
        pytest.skip("no BLAS library seen by threadpoolctl")
    X, y = load_digits(return_X_y=True)
    X, y = (X[:600] - X[:600].mean(axis=0)) / (X[:600].std(axis=0) + 1.0), y[:600]
    before = _blas_threads()
    for _ in range(2):
        skreg.RegularizedLogisticRegressionCV(penalty="l1", n_alphas=10, cv=3,
                                              n_jobs=2).fit(X, y)
        assert _blas_threads() == before


@needs_cv
def test_grid_search_over_the_cv_estimator_in_threads():
    """Nested parallelism: GridSearchCV(n_jobs=2) in threads over a CV estimator whose own
    folds run in threads (joblib runs the inner level sequentially inside a worker)."""
    X, y = _problem("binary")
    est = skreg.RegularizedLogisticRegressionCV(cv=3, n_alphas=5, n_jobs=2, tol=1e-6)
    grid = {"penalty": ["l1", "l2"], "fit_intercept": [True, False]}
    seq, _ = _search(est, grid, X, y, n_jobs=1)
    par, threads = _search(est, grid, X, y, n_jobs=2)
    assert_same_search(seq, par)
    assert threading.get_ident() not in threads


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_ctrl_c_during_the_blas_bookkeeping_still_restores_blas(monkeypatch):
    """A KeyboardInterrupt can land in the middle of setting the one-thread limit (right
    after BLAS was changed): the limit is still lifted when the fit ends."""
    from threadpoolctl import ThreadpoolController, threadpool_limits

    libraries = ThreadpoolController().select(user_api="blas").lib_controllers
    if not libraries:
        pytest.skip("no BLAS library seen by threadpoolctl")
    library_class = type(libraries[0])
    original = library_class.set_num_threads
    interrupted = []

    def set_then_interrupt(self, num_threads):
        result = original(self, num_threads)
        if num_threads == 1 and not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        return result

    X, y = _problem("binary", n=400)
    with threadpool_limits(limits=2, user_api="blas"):
        monkeypatch.setattr(library_class, "set_num_threads", set_then_interrupt)
        with pytest.raises(KeyboardInterrupt):  # small batches: single-threaded BLAS
            ElasticNetMLPClassifier(hidden_layer_sizes=(8,), max_iter=3, batch_size=20,
                                    random_state=0).fit(X, y)
        monkeypatch.undo()
        assert interrupted and _blas_threads() == [2] * len(libraries)



@pytest.mark.parametrize("kind, threads", [("sparse", 1), ("small dense", 1),
                                           ("large dense", 2)])
def test_smooth_fits_use_blas_threads_only_on_large_dense_x(monkeypatch, kind, threads):
    """L2 fits keep BLAS's threads where they form large dense products; on sparse or
    small dense X (single-vector products) they run on one thread."""
    from threadpoolctl import threadpool_limits

    from skreg import _path

    if not _blas_threads():
        pytest.skip("no BLAS library seen by threadpoolctl")
    n, d = (2000, 500) if kind == "large dense" else (400, 20)
    X, y = make_classification(n_samples=n, n_features=d, random_state=0)
    if kind == "sparse":
        X = sp.csr_matrix(np.where(np.abs(X) > 1.0, X, 0.0))
    seen = []
    solve = _path._solve_convex

    def recording(*args, **kwargs):
        seen.append(_blas_threads())
        return solve(*args, **kwargs)

    monkeypatch.setattr(_path, "_solve_convex", recording)
    with threadpool_limits(limits=2, user_api="blas"):
        RegularizedLogisticRegression(penalty="l2", alpha=1e-2).fit(X, y)
        assert _blas_threads() == [2] * len(seen[0])  # restored after the fit
    assert seen and seen[0] == [threads] * len(seen[0])
