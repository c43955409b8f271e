"""Group lasso on a network's first layer: exact zero rows, optimality, selection API, path."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.feature_selection import SelectFromModel

from skreg import _mlp_kernels as K
from skreg.neural_network import ElasticNetMLPClassifier, ElasticNetMLPRegressor


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def xor_problem(n=400, d=12, seed=0):
    """y = [x0 x1 > 0]: two informative inputs (no linear signal), d - 2 noise ones."""
    X = np.random.default_rng(seed).standard_normal((n, d))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def row_norms(W):
    return np.linalg.norm(np.asarray(W, dtype=np.float64), axis=1)


# ---------------------------------------------------------------------------
# the update and its fixed points
# ---------------------------------------------------------------------------


def test_full_batch_sgd_reaches_the_group_lasso_optimality_conditions():
    """Plain full-batch SGD converges to w = prox(w - lr grad f): the group KKT conditions.

    A zero row satisfies ||g_j|| <= group_alpha; a non-zero row
    g_j = -group_alpha * w_j / ||w_j|| (g: gradient of the data term plus the L2 part).
    """
    X = np.random.default_rng(0).standard_normal((200, 6))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    lr, group_alpha, l2 = 0.2, 0.03, 1e-3
    est = ElasticNetMLPClassifier(
        hidden_layer_sizes=(4,), activation="tanh", alpha=l2, group_alpha=group_alpha,
        solver="sgd", momentum=0.0, learning_rate_init=lr, batch_size=X.shape[0],
        max_iter=20000, tol=0.0, n_iter_no_change=20000, random_state=0).fit(X, y)
    theta, layout, evaluate = est._smooth_loss(X, y)
    _, grad = evaluate(theta)
    W0 = layout.views(theta).coefs[0]
    G0 = layout.views(grad).coefs[0] + l2 * W0
    norms = row_norms(W0)
    zero = norms == 0.0
    assert zero.any() and (~zero).any()
    assert np.all(row_norms(G0[zero]) <= group_alpha + 1e-8)
    np.testing.assert_allclose(G0[~zero], -group_alpha * W0[~zero] / norms[~zero, None],
                               atol=1e-5)
    # the other layers: plain stationarity of the smooth part
    rest = layout.views(grad).coefs[1] + l2 * layout.views(theta).coefs[1]
    np.testing.assert_allclose(rest, 0.0, atol=1e-4)
    # the recorded objective includes the group penalty
    assert est.loss_ == pytest.approx(evaluate(theta)[0] + l2 / 2 * np.sum(
        theta[:layout.n_weights] ** 2) + group_alpha * norms.sum(), rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_group_step_formula(dtype):
    """Row j is block-soft-thresholded by group_alpha * lr / (sqrt(mean_k v_hat[j, k]) + eps)."""
    rng = np.random.default_rng(0)
    W = rng.standard_normal((6, 5)).astype(dtype)
    W[1] *= 1e-4  # a row small enough to be zeroed
    V = (rng.random((6, 5)) * 1e-4).astype(dtype)
    V[2, :3] = 0.0  # units without gradient do not blow up the row's step
    lr, eps, ibc2, group_alpha = 1e-3, 1e-8, 1.0 / (1 - 0.999 ** 7), 0.05
    step = lr / (np.sqrt(V.astype(np.float64).mean(axis=1) * ibc2) + eps)
    norms = row_norms(W)
    expected = W * np.maximum(1.0 - step * group_alpha / norms, 0.0)[:, None]
    Wk = W.copy()
    c = np.dtype(dtype).type
    n_zero = K._group_prox_rows(Wk, V, c(lr), c(eps), c(ibc2), c(group_alpha), True)
    np.testing.assert_allclose(Wk, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)
    assert n_zero == 1 and np.all(Wk[1] == 0.0) and np.all(Wk[[0, 2, 3, 4, 5]] != 0.0)
    # SGD: one step lr for every row, V ignored
    Wk = W.copy()
    K._group_prox_rows(Wk, V, c(lr), c(0.0), c(1.0), c(group_alpha), False)
    np.testing.assert_allclose(
        Wk, W * np.maximum(1.0 - lr * group_alpha / norms, 0.0)[:, None], rtol=1e-5)


# ---------------------------------------------------------------------------
# what the fitted estimator exposes
# ---------------------------------------------------------------------------


def test_group_alpha_disconnects_noise_inputs_and_feeds_select_from_model():
    X, y = xor_problem()
    est = ElasticNetMLPClassifier(hidden_layer_sizes=(16,), group_alpha=0.05,
                                  learning_rate_init=3e-3, random_state=0).fit(X, y)
    support = est.input_support_
    np.testing.assert_array_equal(support, row_norms(est.coefs_[0]) > 0)
    assert support[:2].all() and support.sum() <= 4  # both informative kept, most noise gone
    assert np.all(est.coefs_[0][~support] == 0.0)
    imp = est.feature_importances_
    assert imp.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(imp, row_norms(est.coefs_[0]) / row_norms(est.coefs_[0]).sum())
    assert np.all(imp[~support] == 0.0)
    sfm = SelectFromModel(est, prefit=True, threshold=1e-12)
    np.testing.assert_array_equal(sfm.get_support(), support)
    assert SelectFromModel(clone(est)).fit(X, y).get_support()[:2].all()  # default threshold
    assert est.score(X, y) > 0.9
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.input_support_, support)


def test_without_group_alpha_every_input_stays_connected():
    X, y = xor_problem()
    est = ElasticNetMLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)
    assert est.input_support_.all()
    assert np.all(est.feature_importances_ > 0)


def test_huge_group_alpha_disconnects_everything():
    X, y = xor_problem()
    est = ElasticNetMLPRegressor(hidden_layer_sizes=(8,), group_alpha=100.0, max_iter=20,
                                 random_state=0).fit(X, y.astype(float))
    assert not est.input_support_.any()
    np.testing.assert_array_equal(est.feature_importances_, 0.0)
    pred = est.predict(X)
    np.testing.assert_allclose(pred, pred[0])  # no input reaches the output


def test_unfitted_has_no_support():
    est = ElasticNetMLPClassifier()
    with pytest.raises(NotFittedError):
        est.input_support_
    assert not hasattr(est, "feature_importances_")


def test_sparse_input_same_inputs_dropped():
    X, y = xor_problem(n=200)
    X[np.abs(X) < 0.3] = 0.0
    params = dict(hidden_layer_sizes=(8,), group_alpha=0.05, max_iter=30, random_state=0)
    dense = ElasticNetMLPClassifier(**params).fit(X, y)
    sparse = ElasticNetMLPClassifier(**params).fit(sp.csr_matrix(X), y)
    np.testing.assert_array_equal(dense.input_support_, sparse.input_support_)
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("value", [-0.1, np.inf, np.nan, "a"])
def test_bad_group_alpha(value):
    X, y = xor_problem(n=50)
    with pytest.raises(ValueError, match="group_alpha"):
        ElasticNetMLPClassifier(group_alpha=value, max_iter=2).fit(X, y)


# ---------------------------------------------------------------------------
# the path
# ---------------------------------------------------------------------------


def test_group_path_inputs_leave_with_warm_starts():
    X, y = xor_problem()
    est = ElasticNetMLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=3e-3,
                                  random_state=0)
    grid = [0.2, 0.001, 0.01, 0.05]  # any order: fitted increasing
    path = est.group_path(X, y, group_alphas=grid)
    assert not hasattr(est, "coefs_")  # the estimator is not modified
    np.testing.assert_array_equal(path.group_alphas, sorted(grid))
    assert path.group_norms.shape == (4, X.shape[1])
    assert [e.group_alpha for e in path.estimators] == sorted(grid)
    assert all(e.warm_start is False for e in path.estimators)
    for norms, e in zip(path.group_norms, path.estimators):
        np.testing.assert_allclose(norms, row_norms(e.coefs_[0]))
    n_kept = (path.group_norms > 0).sum(axis=1)
    assert n_kept[0] == X.shape[1] and n_kept[-1] < n_kept[0]
    assert np.all(np.diff(n_kept) <= 0)
    assert (path.group_norms[:, :2] > 0).all(axis=1)[:3].all()  # informative stay longest
    assert path.n_iter.shape == (4,) and np.all(path.n_iter >= 1)
    # warm starts: the second network continues the first (its loss curve extends it)
    first, second = path.estimators[:2]
    assert second.loss_curve_[:len(first.loss_curve_)] == first.loss_curve_


def test_group_path_default_grid_stops_when_no_input_is_left():
    X, y = xor_problem(n=200)
    y = X[:, 0] * X[:, 1] * 10.0
    reg = ElasticNetMLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    path = reg.group_path(X, y, n_group_alphas=6)
    scale = np.std(y)
    np.testing.assert_allclose(path.group_alphas,
                               scale * np.geomspace(1e-3, 1.0, 6)[:len(path.group_alphas)])
    if len(path.group_alphas) < 6:
        assert not path.estimators[-1].input_support_.any()
        assert path.estimators[-2].input_support_.any()


@pytest.mark.parametrize("kwargs, match", [
    (dict(group_alphas=[]), "group_alphas"),
    (dict(group_alphas=[-1.0, 0.1]), "group_alphas"),
    (dict(group_alphas=[np.nan]), "group_alphas"),
    (dict(n_group_alphas=0), "n_group_alphas"),
])
def test_group_path_errors(kwargs, match):
    X, y = xor_problem(n=50)
    with pytest.raises(ValueError, match=match):
        ElasticNetMLPClassifier(max_iter=2).group_path(X, y, **kwargs)
