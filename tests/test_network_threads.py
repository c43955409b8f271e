"""The second core: mini-batches and predictions split across two threads give the one-thread
results."""

import threading
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skreg import ElasticNetMLPClassifier, ElasticNetMLPRegressor
from skreg.neural_network import _training


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _fit(est, X, y, threads):
    with threadpool_limits(limits=threads, user_api="blas"):
        return est.fit(X, y)


@pytest.mark.parametrize("Est, extra, sparse", [
    (ElasticNetMLPClassifier, {}, False),
    (ElasticNetMLPClassifier, {"penalty": "l1", "dropout": 0.2, "input_noise": 0.1,
                               "group_alpha": 0.01}, False),
    (ElasticNetMLPClassifier, {"penalty": "l1", "dropout": 0.2, "input_noise": 0.1}, True),
    (ElasticNetMLPRegressor, {"solver": "sgd", "max_norm": 2.0}, False),
    (ElasticNetMLPRegressor, {"max_grad_norm": 0.5}, True),
])
def test_two_threads_same_model_as_one(Est, extra, sparse, monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 100))
    y = (X[:, 0] * X[:, 1] > 0).astype(int) if Est is ElasticNetMLPClassifier else X[:, 0] ** 2
    if sparse:
        X = sp.csr_matrix(X * (rng.random(X.shape) < 0.5))
    calls = []
    monkeypatch.setattr(_training, "SPLIT_MIN_WORK", 1 << 21)  # split these small batches too
    monkeypatch.setattr(_training.SplitPass, "train_step",
                        _counting(_training.SplitPass.train_step, calls))
    params = dict(hidden_layer_sizes=(128, 64), batch_size=128, max_iter=5, random_state=0,
                  **extra)
    one = _fit(Est(**params), X, y, 1)
    assert calls == []  # one BLAS thread: no split
    two = _fit(Est(**params), X, y, 2)
    assert len(calls) == 5 * 5  # 5 epochs of 5 batches (128 rows x ~21k weights >= 2**21)
    for a, b in zip(one.coefs_ + one.intercepts_, two.coefs_ + two.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    for a, b in zip(one.coefs_, two.coefs_):  # the same exact zeros (L1, group lasso)
        np.testing.assert_array_equal(a == 0.0, b == 0.0)
    np.testing.assert_allclose(one.loss_curve_, two.loss_curve_, rtol=1e-9)


def _counting(run, calls):
    def wrapper(self, *args, **kwargs):
        calls.append(1)
        return run(self, *args, **kwargs)
    return wrapper


def test_no_split_with_batch_norm_or_small_batches():
    layout = type("L", (), {"n_weights": 100_000})()
    settings = type("S", (), {"batch_norm": False})()
    assert _training.use_two_threads(2, 256, layout, settings)
    assert not _training.use_two_threads(1, 256, layout, settings)  # one thread allowed
    assert not _training.use_two_threads(2, 16, layout, settings)  # too little work
    settings.batch_norm = True
    assert not _training.use_two_threads(2, 256, layout, settings)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_two_thread_predictions_equal_one_thread(sparse, batch_norm, monkeypatch):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((1500, 30)) * (rng.random((1500, 30)) < 0.3)
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (X[:, 2] > 0)
    X = sp.csr_matrix(X) if sparse else X
    clf = _fit(ElasticNetMLPClassifier((40, 20), batch_norm=batch_norm, max_iter=3,
                                       random_state=0), X, y, 1)
    submitted = []
    helper = _training._helper_thread()
    monkeypatch.setattr(_training, "_helper_thread", lambda: _Counting(helper, submitted))
    with threadpool_limits(limits=1, user_api="blas"):
        one = clf.predict_proba(X)
    assert submitted == []
    with threadpool_limits(limits=2, user_api="blas"):
        two = clf.predict_proba(X)
    assert len(submitted) == 1  # 1500 rows: 3 chunks of 512 shared with the helper thread
    np.testing.assert_allclose(two, one, rtol=1e-12, atol=1e-15)
    with threadpool_limits(limits=2, user_api="blas"):  # a few rows: one thread
        np.testing.assert_allclose(clf.predict_proba(X[:100]), one[:100], rtol=1e-12, atol=1e-15)
    assert len(submitted) == 1


class _Counting:
    def __init__(self, executor, calls):
        self.executor, self.calls = executor, calls

    def submit(self, fn, *args):
        self.calls.append(1)
        return self.executor.submit(fn, *args)


def test_busy_helper_thread_stalls_nothing():
    # the helper thread is held (as when another process holds the second core): the calling
    # thread computes every half and chunk itself, the same way
    rng = np.random.default_rng(2)
    X = rng.standard_normal((1200, 100))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    params = dict(hidden_layer_sizes=(128, 64), batch_size=128, max_iter=2, random_state=0)
    one = _fit(ElasticNetMLPClassifier(**params), X, y, 1)
    release = threading.Event()
    blocker = _training._helper_thread().submit(release.wait)
    try:
        two = _fit(ElasticNetMLPClassifier(**params), X, y, 2)
        with threadpool_limits(limits=2, user_api="blas"):
            proba = two.predict_proba(X)
        assert not blocker.done()
    finally:
        release.set()
    for a, b in zip(one.coefs_, two.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(proba, one.predict_proba(X), rtol=1e-6, atol=1e-9)


def test_no_helper_while_other_fits_run(monkeypatch):
    # a fit that started alone stops using the helper thread once fits run in other threads
    rng = np.random.default_rng(3)
    X = rng.standard_normal((600, 100))
    y = X[:, 0] ** 2
    params = dict(hidden_layer_sizes=(128, 64), batch_size=128, max_iter=2, random_state=0)
    one = _fit(ElasticNetMLPRegressor(**params), X, y, 1)
    submitted = []
    helper = _training._helper_thread()
    monkeypatch.setattr(_training, "_helper_thread", lambda: _Counting(helper, submitted))
    monkeypatch.setattr(_training, "fits_running", lambda: 2)
    calls = []
    monkeypatch.setattr(_training, "SPLIT_MIN_WORK", 1 << 21)  # split these small batches too
    monkeypatch.setattr(_training.SplitPass, "train_step",
                        _counting(_training.SplitPass.train_step, calls))
    two = _fit(ElasticNetMLPRegressor(**params), X, y, 2)
    assert len(calls) == 2 * 5 and submitted == []  # split batches, both halves here
    for a, b in zip(one.coefs_, two.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
