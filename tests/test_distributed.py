"""Distributed: skreg under the existing engines, with the results of a local run.

* ``GridSearchCV`` under ``joblib.parallel_config(backend="dask")`` on a
  ``dask.distributed`` ``LocalCluster`` (two worker processes on loopback):
  every fit runs in a worker process, on pickled estimators and data, and
  the search equals the local one bit for bit.
* ``ElasticNetMLPClassifier.partial_fit`` over the chunks of a ``dask.array``,
  driven by ``dask_ml.wrappers.Incremental`` (locally and on the cluster,
  where the estimator travels between worker processes between chunks), or
  by a plain loop over the array's blocks: both equal the same loop over the
  numpy chunks.

The cluster is started once for the module, listens on 127.0.0.1 only, has
no dashboard, and is closed by its fixture.
"""

import logging
import os
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

import skreg
from skreg import ElasticNetMLPClassifier, RegularizedLogisticRegression

if os.environ.get("CI"):
    # CI installs the "distributed" extra: a missing package must fail there, not skip.
    import dask
    import dask.array as da
    import distributed
    from dask_ml.wrappers import Incremental
else:
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    Incremental = pytest.importorskip("dask_ml.wrappers").Incremental

from joblib import parallel_config  # noqa: E402

# One pytest-xdist worker runs this whole module (with --dist loadgroup, the default in
# pyproject.toml), so the module's cluster starts once, not once per worker.
pytestmark = pytest.mark.xdist_group("dask-cluster")

#: Seconds any single cluster operation may take before the test fails.
TIMEOUT = 120


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _warm_worker():
    """Import skreg in a worker (loads the numba cache); report the process id and skreg's file."""
    import skreg

    return os.getpid(), skreg.__file__


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes on loopback, no dashboard; closed afterwards."""
    with dask.config.set({"distributed.comm.timeouts.connect": "60s",
                          "distributed.comm.timeouts.tcp": "60s"}):
        # The workers import the skreg under test (a checkout run from its root would
        # otherwise lose to an installed one in the worker processes).
        root = os.path.dirname(os.path.dirname(os.path.abspath(skreg.__file__)))
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, silence_logs=logging.ERROR, env={"PYTHONPATH": path},
        )
        try:
            with distributed.Client(cluster, timeout=TIMEOUT) as c:
                c.wait_for_workers(2, timeout=TIMEOUT)
                workers = c.run(_warm_worker).values()
                assert len({pid for pid, _ in workers} | {os.getpid()}) == 3
                assert {file for _, file in workers} == {skreg.__file__}
                yield c
        finally:
            cluster.close(timeout=30)


def _problem(n_classes=2, n=240, d=12, seed=0):
    X, y = make_classification(n_samples=n, n_features=d, n_informative=6, n_redundant=2,
                               n_classes=n_classes, random_state=seed)
    return np.asfortranarray(X), y


def accuracy_on_worker(estimator, X, y):
    """Accuracy, and proof that the fit being scored ran in a dask worker.

    ``distributed.get_worker`` raises outside a worker; with ``error_score="raise"`` a
    fit that ran in the test process would fail the search.
    """
    distributed.get_worker()
    return estimator.score(X, y)


def _fitted_arrays(est):
    if hasattr(est, "coefs_"):
        return list(est.coefs_) + list(est.intercepts_)
    return [est.coef_, est.intercept_]


def assert_same_search(a, b):
    assert a.best_params_ == b.best_params_
    keys = [k for k in a.cv_results_ if k.startswith("split") or k.endswith("test_score")]
    assert keys
    for key in keys:
        np.testing.assert_array_equal(a.cv_results_[key], b.cv_results_[key], err_msg=key)
    for x, y in zip(_fitted_arrays(a.best_estimator_), _fitted_arrays(b.best_estimator_)):
        np.testing.assert_array_equal(x, y)


SEARCHES = {
    "logistic-binary": (RegularizedLogisticRegression(tol=1e-6, l1_ratio=0.5),
                        {"penalty": ["l1", "l2", "elasticnet"], "alpha": [1e-3, 1e-2, 1e-1]}, 2),
    "logistic-multiclass": (RegularizedLogisticRegression(tol=1e-6),
                            {"penalty": ["l1", "l2"], "alpha": [1e-3, 1e-1]}, 3),
    "mlp-multiclass": (ElasticNetMLPClassifier(hidden_layer_sizes=(8,), max_iter=15,
                                               batch_size=32, dropout=0.1, random_state=0),
                       {"penalty": ["l1", "l2"], "alpha": [1e-4, 1e-2]}, 3),
}


@pytest.mark.parametrize("name", list(SEARCHES))
def test_grid_search_on_dask_cluster_equals_local(client, name):
    est, grid, n_classes = SEARCHES[name]
    X, y = _problem(n_classes)
    local = GridSearchCV(est, grid, cv=3, scoring="accuracy").fit(X, y)
    with parallel_config(backend="dask", wait_for_workers_timeout=TIMEOUT):
        remote = GridSearchCV(est, grid, cv=3, n_jobs=-1, scoring=accuracy_on_worker,
                              error_score="raise").fit(X, y)
    assert_same_search(local, remote)


# ---------------------------------------------------------------------------
# partial_fit over the chunks of a dask array.
# ---------------------------------------------------------------------------

CHUNK = 100


def _mlp():
    return ElasticNetMLPClassifier(hidden_layer_sizes=(10,), penalty="l1", alpha=1e-3,
                                   batch_size=25, dropout=0.1, random_state=0)


def _numpy_loop(X, y, classes, n_epochs, dtype=np.float64):
    """The reference: partial_fit over the numpy chunks, in order, ``n_epochs`` times."""
    est = _mlp()
    for _ in range(n_epochs):
        for start in range(0, X.shape[0], CHUNK):
            est.partial_fit(X[start:start + CHUNK].astype(dtype), y[start:start + CHUNK],
                            classes=classes)
    return est


def _assert_same_mlp(a, b):
    for x, z in zip(_fitted_arrays(a), _fitted_arrays(b)):
        assert x.dtype == z.dtype
        np.testing.assert_array_equal(x, z)
    assert a.n_iter_ == b.n_iter_ and a.t_ == b.t_
    assert a.loss_curve_ == b.loss_curve_


def _dask_data(n_classes, dtype):
    X, y = _problem(n_classes, n=450)  # 5 chunks, the last one short
    Xd = da.from_array(np.ascontiguousarray(X, dtype=dtype), chunks=(CHUNK, X.shape[1]))
    yd = da.from_array(y, chunks=CHUNK)
    return X, y, Xd, yd


@pytest.mark.parametrize("where", ["local-threads", "cluster"])
@pytest.mark.parametrize("n_classes, dtype", [(2, np.float64), (3, np.float32)])
def test_incremental_partial_fit_equals_numpy_loop(request, where, n_classes, dtype):
    X, y, Xd, yd = _dask_data(n_classes, dtype)
    classes = np.unique(y)
    if where == "cluster":
        client = request.getfixturevalue("client")  # the default scheduler while it lives
        assert dask.base.get_scheduler() == client.get
        scheduler = {}
    else:
        scheduler = {"scheduler": "threads"}
    with dask.config.set(**scheduler):
        inc = Incremental(_mlp(), shuffle_blocks=False)
        inc.fit(Xd, yd, classes=classes)                 # epoch 1 (on a clone of the estimator)
        inc.partial_fit(Xd, yd, classes=classes)         # epoch 2 continues estimator_
        pred = inc.predict(Xd).compute(timeout=TIMEOUT) if where == "cluster" else \
            inc.predict(Xd).compute()
    ref = _numpy_loop(X, y, classes, n_epochs=2, dtype=dtype)
    _assert_same_mlp(inc.estimator_, ref)
    assert len(inc.estimator_.loss_curve_) == 2 * 5  # one epoch per chunk, two passes
    np.testing.assert_array_equal(pred, ref.predict(X.astype(dtype)))


def test_block_loop_equals_numpy_loop(client):
    """Without dask-ml: fetch each block of the dask array in turn and ``partial_fit`` on it.

    This is the loop to use when the estimator should stay in this process (say,
    to checkpoint it between blocks): only one block is in memory at a time.
    """
    X, y, Xd, yd = _dask_data(3, np.float64)
    classes = np.unique(y)
    est = _mlp()
    x_blocks = Xd.to_delayed().ravel()   # one delayed numpy array per row chunk
    y_blocks = yd.to_delayed().ravel()
    for _ in range(2):
        for xb, yb in zip(x_blocks, y_blocks):
            xb, yb = client.compute([xb, yb], sync=True)
            est.partial_fit(xb, yb, classes=classes)
    _assert_same_mlp(est, _numpy_loop(X, y, classes, n_epochs=2))


# ---------------------------------------------------------------------------
# The CV estimator under the dask backend.
# ---------------------------------------------------------------------------

needs_cv = pytest.mark.skipif(not hasattr(skreg, "RegularizedLogisticRegressionCV"),
                              reason="RegularizedLogisticRegressionCV not in this tree yet")


@needs_cv
@pytest.mark.parametrize("penalty, kind", [("l1", 2), ("elasticnet", 3)])
def test_cv_estimator_on_dask_cluster_equals_local(client, penalty, kind):
    """The CV estimator's (l1_ratio, fold) paths run as tasks on the cluster's worker
    processes (joblib's dask backend overrides its ``prefer="threads"`` hint); the
    selection, the scores and the refit equal a local ``n_jobs=1`` fit."""
    X, y = _problem(kind)
    params = dict(penalty=penalty, cv=3, n_alphas=6, tol=1e-6)
    if penalty == "elasticnet":
        params["l1_ratios"] = [0.3, 0.9]
    local = skreg.RegularizedLogisticRegressionCV(scoring="accuracy", n_jobs=1, **params)
    local.fit(X, y)
    with parallel_config(backend="dask", wait_for_workers_timeout=TIMEOUT):
        remote = skreg.RegularizedLogisticRegressionCV(scoring=accuracy_on_worker, n_jobs=-1,
                                                       **params).fit(X, y)
    assert remote.alpha_ == local.alpha_ and remote.l1_ratio_ == local.l1_ratio_
    for attr in ("scores_", "alphas_", "n_iter_", "coef_", "intercept_"):
        np.testing.assert_array_equal(getattr(remote, attr), getattr(local, attr), err_msg=attr)
