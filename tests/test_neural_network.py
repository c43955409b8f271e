"""Tests of skreg.neural_network: ElasticNetMLPClassifier and ElasticNetMLPRegressor."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import (
    load_digits,
    make_classification,
    make_friedman1,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skreg import _mlp_kernels as K
from skreg.neural_network import ElasticNetMLPClassifier, ElasticNetMLPRegressor

@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def small_problem(n=120, d=6, n_classes=3, seed=0):
    X, y = make_classification(
        n_samples=n, n_features=d, n_informative=4, n_redundant=0, n_classes=n_classes,
        random_state=seed,
    )
    return X, y


# ---------------------------------------------------------------------------
# objective, gradient, proximal update
# ---------------------------------------------------------------------------


def problem(kind, n, d=6):
    """``(estimator class, X, y)``: a classification or regression problem of ``kind``."""
    if kind.startswith("regression"):
        X, y = make_friedman1(n_samples=n, n_features=d, noise=0.3, random_state=0)
        if kind == "regression-3":
            y = np.column_stack([y, 2 * y - 1, -y])
        return ElasticNetMLPRegressor, X, (y - y.mean(axis=0)) / y.std(axis=0)
    if kind == "multilabel":
        X, Y = make_multilabel_classification(n_samples=n, n_features=d, n_classes=3,
                                              random_state=0)
        return ElasticNetMLPClassifier, X / X.max(), Y
    X, y = small_problem(n=n, d=d, n_classes=2 if kind == "binary" else 3)
    return ElasticNetMLPClassifier, X, y


KINDS = ["binary", "multiclass", "multilabel", "regression-1", "regression-3"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("extra", [{}, {"batch_norm": True}, {"dropout": 0.3, "input_noise": 0.2,
                                                              "input_dropout": 0.2}])
def test_gradient_matches_finite_differences(kind, sparse, extra):
    cls, X, y = problem(kind, n=40)
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) > np.median(np.abs(X)), X, 0.0))
    sw = np.random.RandomState(0).randint(0, 4, size=X.shape[0]).astype(float)
    est = cls(hidden_layer_sizes=(5, 4), activation="tanh", max_iter=2, random_state=0,
              **extra).fit(X, y)
    theta, _, evaluate = est._smooth_loss(X, y, sample_weight=sw)
    loss, grad = evaluate(theta, epoch=3)
    rng = np.random.RandomState(1)
    idx = rng.choice(theta.shape[0], size=40, replace=False)
    h = 1e-6
    for j in idx:
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        fd = (evaluate(tp, epoch=3)[0] - evaluate(tm, epoch=3)[0]) / (2 * h)
        assert abs(fd - grad[j]) <= 1e-6 + 1e-5 * abs(fd), (j, fd, grad[j])


def test_loss_curve_is_the_objective_for_full_batch():
    X, y = small_problem()
    est = ElasticNetMLPClassifier(
        hidden_layer_sizes=(5,), penalty="elasticnet", alpha=0.01, l1_ratio=0.5, solver="sgd",
        momentum=0.0, learning_rate_init=0.1, batch_size=X.shape[0], max_iter=1,
        random_state=0,
    )
    est.fit(X, y)
    # a second epoch's recorded loss is F at the weights entering it, with the penalty at exit;
    # check the data term alone: F(w) at the fitted weights from the kernel vs an numpy forward.
    theta, _, evaluate = est._smooth_loss(X, y)
    loss, _ = evaluate(theta)
    H = np.maximum(X @ est.coefs_[0] + est.intercepts_[0], 0.0)
    Z = H @ est.coefs_[1] + est.intercepts_[1]
    Z = Z - Z.max(1, keepdims=True)
    logp = Z - np.log(np.exp(Z).sum(1, keepdims=True))
    expected = -logp[np.arange(len(y)), y].mean()
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    np.testing.assert_allclose(est.predict_log_proba(X), logp, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["multiclass", "regression-3"])
@pytest.mark.parametrize("penalty,l1_ratio", [("l1", 1.0), ("elasticnet", 0.5)])
def test_proximal_gradient_fixed_point(kind, penalty, l1_ratio):
    """Full-batch plain SGD converges to w = prox_{lr R}(w - lr grad f(w))."""
    cls, X, y = problem(kind, n=80, d=5)
    lr, alpha = (0.5 if cls is ElasticNetMLPClassifier else 0.1), 0.01
    est = cls(
        hidden_layer_sizes=(4,), activation="tanh", penalty=penalty, alpha=alpha,
        l1_ratio=l1_ratio, solver="sgd", momentum=0.0, learning_rate_init=lr,
        batch_size=X.shape[0], max_iter=20000, tol=0.0, n_iter_no_change=20000, random_state=0,
    ).fit(X, y)
    theta, layout, evaluate = est._smooth_loss(X, y)
    _, grad = evaluate(theta)
    nw = layout.n_weights
    l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    w = theta[:nw]
    g = grad[:nw] + l2 * w
    x = w - lr * g
    prox = np.sign(x) * np.maximum(np.abs(x) - lr * l1, 0.0)
    np.testing.assert_allclose(w, prox, atol=1e-9)
    np.testing.assert_allclose(grad[nw:], 0.0, atol=1e-8)  # biases: plain stationarity
    # optimality in subgradient form: |g_j| <= l1 where w_j == 0, g_j = -l1 sign(w_j) elsewhere
    zero = w == 0.0
    assert zero.any() and (~zero).any()
    assert np.all(np.abs(g[zero]) <= l1 + 1e-9)
    np.testing.assert_allclose(g[~zero], -l1 * np.sign(w[~zero]), atol=1e-8)


def test_adam_prox_step_formula():
    rng = np.random.RandomState(0)
    theta = rng.randn(50) * 0.01
    grad = rng.randn(50) * 1e-2
    m = rng.randn(50) * 1e-3
    v = rng.rand(50) * 1e-4
    lr, b1, b2, eps, t, l1, l2 = 1e-3, 0.9, 0.999, 1e-8, 7, 0.05, 0.01
    g = grad + l2 * theta
    m_new = b1 * m + (1 - b1) * g
    v_new = b2 * v + (1 - b2) * g * g
    step = lr / (np.sqrt(v_new / (1 - b2**t)) + eps)
    x = theta - step * m_new / (1 - b1**t)
    expected = np.sign(x) * np.maximum(np.abs(x) - step * l1, 0.0)
    th, mm, vv = theta.copy(), m.copy(), v.copy()
    sc = np.array([lr, b1, 1 - b1, b2, 1 - b2, eps, 1 / (1 - b1**t), 1 / (1 - b2**t)])
    K._adam_prox_segment(th, grad, mm, vv, 0, 50, sc, l2, l1)
    np.testing.assert_allclose(th, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(mm, m_new)
    np.testing.assert_allclose(vv, v_new)
    assert np.any(th == 0.0)


# ---------------------------------------------------------------------------
# exact zeros
# ---------------------------------------------------------------------------


def test_l1_gives_exact_zeros_growing_with_alpha(digits):
    X, y = digits
    fractions = []
    for alpha in [1e-4, 1e-3, 1e-2]:
        est = ElasticNetMLPClassifier(
            hidden_layer_sizes=(32,), penalty="l1", alpha=alpha, max_iter=15, random_state=0
        ).fit(X, y)
        n_zero = sum(int(np.sum(W == 0.0)) for W in est.coefs_)
        assert n_zero == est.n_zero_weights_
        fractions.append(est.zero_weight_fraction_)
    assert fractions[-1] > 0.5
    assert fractions[0] < fractions[1] < fractions[2]
    assert est.score(X, y) > 0.7


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2", None])
def test_no_zeros_without_l1(digits, penalty):
    X, y = digits
    est = ElasticNetMLPClassifier(
        hidden_layer_sizes=(32,), penalty=penalty, alpha=0.0 if penalty in ("l1", "elasticnet")
        else 1e-3, max_iter=5, random_state=0,
    ).fit(X, y)
    assert est.n_zero_weights_ == 0
    assert est.zero_weight_fraction_ == 0.0


def test_sgd_l1_exact_zeros(digits):
    X, y = digits
    est = ElasticNetMLPClassifier(
        hidden_layer_sizes=(32,), penalty="l1", alpha=1e-2, solver="sgd",
        learning_rate_init=0.1, max_iter=10, random_state=0,
    ).fit(X, y)
    assert est.zero_weight_fraction_ > 0.1
    assert est.score(X, y) > 0.9


# ---------------------------------------------------------------------------
# regularizers
# ---------------------------------------------------------------------------


def test_dropout_train_random_predict_deterministic(digits):
    X, y = digits
    X, y = X[:200], y[:200]
    est = ElasticNetMLPClassifier(
        hidden_layer_sizes=(16,), dropout=0.5, max_iter=3, random_state=0
    ).fit(X, y)
    theta, _, evaluate = est._smooth_loss(X, y)
    loss0, g0 = evaluate(theta, epoch=0)
    loss1, g1 = evaluate(theta, epoch=1)
    assert loss0 != loss1 and not np.array_equal(g0, g1)  # two training passes differ
    assert evaluate(theta, epoch=0)[0] == loss0  # ... but are reproducible
    loss_nodrop, _ = evaluate(theta, dropout=[0.0, 0.0])
    assert loss_nodrop != loss0
    np.testing.assert_array_equal(est.predict_proba(X), est.predict_proba(X))


def test_dropout_zero_equals_no_dropout(digits):
    X, y = digits
    kw = dict(hidden_layer_sizes=(16, 8), max_iter=3, random_state=0)
    a = ElasticNetMLPClassifier(**kw).fit(X, y)
    b = ElasticNetMLPClassifier(dropout=[0.0, 0.0], input_dropout=0.0, **kw).fit(X, y)
    c = ElasticNetMLPClassifier(dropout=[0.0, 0.3], **kw).fit(X, y)
    for Wa, Wb, Wc in zip(a.coefs_, b.coefs_, c.coefs_):
        np.testing.assert_array_equal(Wa, Wb)
    assert not np.array_equal(a.coefs_[1], c.coefs_[1])


def test_max_norm(digits):
    X, y = digits
    c = 0.5
    est = ElasticNetMLPClassifier(
        hidden_layer_sizes=(32, 16), max_norm=c, learning_rate_init=1e-2, max_iter=5,
        random_state=0,
    ).fit(X, y)
    at_bound = 0
    for W in est.coefs_:
        norms = np.linalg.norm(W, axis=0)
        assert np.all(norms <= c * (1 + 1e-12))
        at_bound += np.sum(norms > c * (1 - 1e-9))
    assert at_bound > 0
    free = ElasticNetMLPClassifier(
        hidden_layer_sizes=(32, 16), learning_rate_init=1e-2, max_iter=5, random_state=0
    ).fit(X, y)
    assert max(np.linalg.norm(W, axis=0).max() for W in free.coefs_) > c


def test_batch_norm_uses_running_statistics(digits):
    X, y = digits
    est = ElasticNetMLPClassifier(
        hidden_layer_sizes=(32, 16), batch_norm=True, max_iter=20, random_state=0
    ).fit(X, y)
    assert len(est.batch_norm_running_means_) == 2
    assert not np.allclose(est.batch_norm_running_means_[0], 0.0)
    assert np.all(est.batch_norm_running_vars_[0] > 0)
    P = est.predict_proba(X[:50])
    single = np.vstack([est.predict_proba(X[i:i + 1]) for i in range(50)])
    np.testing.assert_allclose(single, P, rtol=1e-12, atol=1e-15)
    # the hidden biases are redundant with batch norm and stay zero
    assert np.all(est.intercepts_[0] == 0.0) and np.all(est.intercepts_[1] == 0.0)
    assert est.score(X, y) > 0.9


def test_early_stopping_restores_best_weights(digits):
    X, y = digits
    kw = dict(
        hidden_layer_sizes=(32,), early_stopping=True, validation_fraction=0.2,
        n_iter_no_change=3, tol=0.0, learning_rate_init=0.05, max_iter=60, random_state=0,
    )
    est = ElasticNetMLPClassifier(**kw).fit(X, y)
    scores = est.validation_scores_
    best = int(np.argmax(scores))
    assert est.best_validation_score_ == scores[best] == max(scores)
    assert est.n_iter_ > best + 1  # it trained past the best epoch ...
    assert est.best_loss_ is None
    # ... and returned that epoch's weights: a run stopped right at the best epoch ends on them
    kw.update(max_iter=best + 1, n_iter_no_change=1000)
    ref = ElasticNetMLPClassifier(**kw).fit(X, y)
    assert ref.validation_scores_ == scores[:best + 1]
    for W, Wr in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_):
        np.testing.assert_array_equal(W, Wr)


def test_input_noise_changes_fit_reproducibly(digits):
    X, y = digits
    kw = dict(hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    a = ElasticNetMLPClassifier(**kw).fit(X, y)
    b = ElasticNetMLPClassifier(input_noise=0.1, **kw).fit(X, y)
    c = ElasticNetMLPClassifier(input_noise=0.1, **kw).fit(X, y)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])
    np.testing.assert_array_equal(b.coefs_[0], c.coefs_[0])


def test_same_seed_same_model_bit_for_bit(digits):
    X, y = digits
    kw = dict(
        hidden_layer_sizes=(16, 8), penalty="l1", alpha=1e-4, dropout=0.2, input_dropout=0.1,
        input_noise=0.05, batch_norm=True, max_norm=2.0, batch_size=64, max_iter=3,
    )
    a = ElasticNetMLPClassifier(random_state=3, **kw).fit(X, y)
    b = ElasticNetMLPClassifier(random_state=3, **kw).fit(X, y)
    c = ElasticNetMLPClassifier(random_state=4, **kw).fit(X, y)
    for Wa, Wb in zip(a.coefs_ + a.batch_norm_running_means_, b.coefs_ + b.batch_norm_running_means_):
        np.testing.assert_array_equal(Wa, Wb)
    assert a.loss_curve_ == b.loss_curve_
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


# ---------------------------------------------------------------------------
# input handling
# ---------------------------------------------------------------------------


def test_float32_stays_float32(digits):
    X, y = digits
    est = ElasticNetMLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    est.fit(X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in est.coefs_ + est.intercepts_)
    est64 = ElasticNetMLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    est64.fit(X, y)
    np.testing.assert_allclose(est.coefs_[0], est64.coefs_[0], atol=1e-3)
    assert np.mean(est.predict(X) == est64.predict(X)) > 0.98


@pytest.mark.parametrize("extra", [{}, {"dropout": 0.3, "input_dropout": 0.1, "batch_norm": True}])
def test_sparse_equals_dense(digits, extra):
    X, y = digits
    kw = dict(hidden_layer_sizes=(16,), penalty="l1", alpha=1e-4, max_iter=3, random_state=0)
    a = ElasticNetMLPClassifier(**kw, **extra).fit(X, y)
    Xs = sp.csr_matrix(X)
    b = ElasticNetMLPClassifier(**kw, **extra).fit(Xs, y)
    for Wa, Wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(Wa, Wb, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(Xs), rtol=1e-6, atol=1e-9)


def test_string_labels_and_binary(digits):
    X, y = digits
    mask = y < 2
    labels = np.where(y[mask] == 0, "zero", "one")
    est = ElasticNetMLPClassifier(hidden_layer_sizes=(8,), max_iter=50, random_state=0)
    est.fit(X[mask], labels)
    assert est.n_outputs_ == 1 and est.out_activation_ == "logistic"
    assert est.coefs_[-1].shape == (8, 1)
    assert set(est.predict(X[mask])) <= {"zero", "one"}
    assert est.score(X[mask], labels) > 0.95
    np.testing.assert_allclose(est.predict_proba(X[mask]).sum(1), 1.0)
    np.testing.assert_allclose(np.exp(est.predict_log_proba(X[mask])), est.predict_proba(X[mask]))


def test_sample_weight_zero_equals_removal_in_minibatch_free_setting():
    X, y = small_problem(n=60)
    sw = np.ones(60)
    sw[:10] = 0.0
    kw = dict(hidden_layer_sizes=(8,), dropout=0.2, max_iter=20, random_state=0)
    a = ElasticNetMLPClassifier(**kw).fit(X, y, sample_weight=sw)
    b = ElasticNetMLPClassifier(**kw).fit(X[10:], y[10:])
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-9)


# ---------------------------------------------------------------------------
# partial_fit, warm start, errors, pickling, model selection
# ---------------------------------------------------------------------------


def test_partial_fit_over_chunks(digits):
    X, y = digits
    est = ElasticNetMLPClassifier(hidden_layer_sizes=(32,), penalty="l1", alpha=1e-5,
                                  learning_rate_init=1e-2, random_state=0)
    classes = np.unique(y)
    for epoch in range(5):
        for chunk in np.array_split(np.arange(X.shape[0]), 4):
            est.partial_fit(X[chunk], y[chunk], classes=classes if epoch == 0 else None)
    assert est.n_iter_ == 1  # per call, as scikit-learn's MLP
    assert est.t_ == 5 * X.shape[0]
    assert len(est.loss_curve_) == 20
    np.testing.assert_array_equal(est.classes_, classes)
    assert est.score(X, y) > 0.9
    with pytest.raises(ValueError, match="classes must be passed"):
        ElasticNetMLPClassifier().partial_fit(X[:10], y[:10])
    with pytest.raises(ValueError, match="not among the fitted classes"):
        est.partial_fit(X[:5], np.array([0, 1, 2, 3, 99]))


def test_warm_start_continues(digits):
    X, y = digits
    est = ElasticNetMLPClassifier(hidden_layer_sizes=(16,), max_iter=3, warm_start=True,
                                  random_state=0)
    est.fit(X, y)
    first = est.loss_curve_[:]
    est.fit(X, y)
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 6 and est.loss_curve_[:3] == first
    assert est.loss_curve_[-1] < first[-1]
    one_go = ElasticNetMLPClassifier(hidden_layer_sizes=(16,), max_iter=6, random_state=0)
    one_go.fit(X, y)
    np.testing.assert_array_equal(one_go.coefs_[0], est.coefs_[0])


def test_non_finite_loss_names_learning_rate_and_keeps_state(digits):
    X, y = digits
    est = ElasticNetMLPClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    est.fit(X, y)
    before = [W.copy() for W in est.coefs_]
    proba = est.predict_proba(X)
    est.set_params(solver="sgd", learning_rate_init=1e12, momentum=0.9)
    with pytest.raises(ValueError, match="learning_rate_init=1000000000000.0"):
        est.fit(X * 1e3, y)
    for W, Wb in zip(est.coefs_, before):
        np.testing.assert_array_equal(W, Wb)
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    assert est.n_iter_ == 3


@pytest.mark.parametrize(
    "params,match",
    [
        (dict(dropout=[0.1, 0.2]), "hidden layers"),
        (dict(dropout=[1.5]), r"\[0, 1\)"),
        (dict(max_norm=np.nan), "max_norm"),
    ],
)
def test_bad_parameters(params, match):
    X, y = small_problem()
    with pytest.raises(ValueError, match=match):
        ElasticNetMLPClassifier(hidden_layer_sizes=(4,), max_iter=2, **params).fit(X, y)


def test_bad_data():
    X, y = small_problem()
    with pytest.raises(ValueError, match="at least 2 classes"):
        ElasticNetMLPClassifier(max_iter=2).fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="Unknown label type"):
        ElasticNetMLPClassifier(max_iter=2).fit(X, np.linspace(0, 1, len(y)))
    with pytest.raises(ValueError, match="no validation sample"):
        ElasticNetMLPClassifier(max_iter=2, early_stopping=True).fit(X[:2], [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        ElasticNetMLPClassifier(max_iter=2).fit(np.full((4, 2), np.nan), [0, 1, 0, 1])


def test_pickle_roundtrip(digits):
    X, y = digits
    est = ElasticNetMLPClassifier(hidden_layer_sizes=(16,), batch_norm=True, max_iter=3,
                                  random_state=0).fit(X, y)
    clone = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(clone.predict_proba(X), est.predict_proba(X))


def test_grid_search_over_alpha_and_dropout_in_pipeline(digits):
    X, y = digits
    pipe = Pipeline([
        ("scale", StandardScaler()),
        ("mlp", ElasticNetMLPClassifier(hidden_layer_sizes=(16,), penalty="l1", max_iter=10,
                                        learning_rate_init=1e-2, random_state=0)),
    ])
    grid = GridSearchCV(
        pipe, {"mlp__alpha": [1e-4, 1e-2], "mlp__dropout": [0.0, 0.2]}, cv=3
    ).fit(X, y)
    assert set(grid.best_params_) == {"mlp__alpha", "mlp__dropout"}
    assert grid.best_score_ > 0.85
    assert len(grid.cv_results_["params"]) == 4
    zero_share = grid.best_estimator_.named_steps["mlp"].zero_weight_fraction_
    assert 0.0 <= zero_share < 1.0


# ---------------------------------------------------------------------------
# the regressor
# ---------------------------------------------------------------------------


def regression_problem(n=200, d=6, n_targets=1, seed=0):
    X, y = make_friedman1(n_samples=n, n_features=d, noise=0.3, random_state=seed)
    if n_targets > 1:
        y = np.column_stack([y * (k + 1) - k for k in range(n_targets)])
    return X, y


def test_regressor_loss_is_the_weighted_halved_squared_error():
    X, y = regression_problem(n_targets=2)
    sw = np.random.RandomState(0).rand(X.shape[0])
    est = ElasticNetMLPRegressor(hidden_layer_sizes=(7,), max_iter=5, random_state=0)
    est.fit(X, y, sample_weight=sw)
    theta, _, evaluate = est._smooth_loss(X, y, sample_weight=sw)
    pred = np.maximum(X @ est.coefs_[0] + est.intercepts_[0], 0.0) @ est.coefs_[1] \
        + est.intercepts_[1]
    np.testing.assert_allclose(est.predict(X), pred, rtol=1e-12)
    expected = np.average(0.5 * ((pred - y) ** 2).mean(axis=1), weights=sw)  # scikit-learn's
    np.testing.assert_allclose(evaluate(theta)[0], expected, rtol=1e-12)
    assert est.out_activation_ == "identity" and est.n_outputs_ == 2
    assert est.predict(X).shape == (X.shape[0], 2)
    single = ElasticNetMLPRegressor(hidden_layer_sizes=(7,), max_iter=5, random_state=0)
    assert single.fit(X, y[:, 0]).predict(X).shape == (X.shape[0],)


def test_regressor_fits_friedman_like_scikit_learn():
    X, y = make_friedman1(n_samples=3000, noise=0.5, random_state=0)
    Xte, yte = make_friedman1(n_samples=2000, noise=0.5, random_state=1)
    kw = dict(hidden_layer_sizes=(64,), learning_rate_init=1e-2, max_iter=60, random_state=0)
    ours = ElasticNetMLPRegressor(**kw).fit(X, y).score(Xte, yte)
    peer = MLPRegressor(**kw).fit(X, y).score(Xte, yte)
    assert ours > 0.7 and ours > peer - 0.02, (ours, peer)


def test_regressor_early_stopping_on_r2_restores_best_weights():
    X, y = regression_problem(n=400, n_targets=2)
    kw = dict(hidden_layer_sizes=(16,), early_stopping=True, validation_fraction=0.2,
              n_iter_no_change=3, tol=0.0, learning_rate_init=0.05, max_iter=80, random_state=0)
    est = ElasticNetMLPRegressor(**kw).fit(X, y)
    scores = est.validation_scores_
    best = int(np.argmax(scores))
    assert est.best_validation_score_ == scores[best] and est.n_iter_ > best + 1
    ref = ElasticNetMLPRegressor(**{**kw, "max_iter": best + 1, "n_iter_no_change": 1000})
    ref.fit(X, y)
    for W, Wr in zip(est.coefs_, ref.coefs_):
        np.testing.assert_array_equal(W, Wr)
    # the score is the held-out R^2 of the returned weights (rows chosen by the split)
    assert -1.0 < est.best_validation_score_ <= 1.0
    loss_scored = ElasticNetMLPRegressor(**{**kw, "scoring": "loss"}).fit(X, y)
    assert all(s < 0 for s in loss_scored.validation_scores_)


def test_regressor_sample_weight_equals_repetition_and_partial_fit():
    X, y = regression_problem(n=60)
    sw = np.random.RandomState(0).randint(0, 3, size=60)
    kw = dict(hidden_layer_sizes=(8,), dropout=0.2, max_iter=20, random_state=0)
    a = ElasticNetMLPRegressor(**kw).fit(X, y, sample_weight=sw)
    b = ElasticNetMLPRegressor(**kw).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-9)
    est = ElasticNetMLPRegressor(hidden_layer_sizes=(8,), random_state=0)
    for _ in range(3):
        for chunk in np.array_split(np.arange(60), 3):
            est.partial_fit(X[chunk], y[chunk])
    assert est.n_iter_ == 1 and est.t_ == 180 and len(est.loss_curve_) == 9


# ---------------------------------------------------------------------------
# multilabel targets
# ---------------------------------------------------------------------------


def test_multilabel_independent_logistic_outputs():
    X, Y = make_multilabel_classification(n_samples=300, n_features=8, n_classes=4,
                                          random_state=0)
    est = ElasticNetMLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=1e-2,
                                  max_iter=100, random_state=0).fit(X, Y)
    assert est.n_outputs_ == 4 and est.out_activation_ == "logistic"
    np.testing.assert_array_equal(est.classes_, np.arange(4))
    P = est.predict_proba(X)
    Z = np.maximum(X @ est.coefs_[0] + est.intercepts_[0], 0) @ est.coefs_[1] + est.intercepts_[1]
    np.testing.assert_allclose(P, 1 / (1 + np.exp(-Z)), rtol=1e-10)
    np.testing.assert_array_equal(est.predict(X), (P > 0.5).astype(int))
    np.testing.assert_allclose(np.exp(est.predict_log_proba(X)), P, rtol=1e-10)
    theta, _, evaluate = est._smooth_loss(X, Y)
    expected = np.mean(np.sum(np.logaddexp(0, Z) - Y * Z, axis=1))  # sum over the labels
    np.testing.assert_allclose(evaluate(theta)[0], expected, rtol=1e-10)
    peer = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=1e-2, max_iter=100,
                         random_state=0).fit(X, Y)
    assert peer.predict_proba(X).shape == P.shape and peer.predict(X).shape == Y.shape
    # per-label accuracy: well above always predicting each label's majority, close to the peer
    majority = np.maximum(Y.mean(axis=0), 1 - Y.mean(axis=0)).mean()
    ours, theirs = (est.predict(X) == Y).mean(), (peer.predict(X) == Y).mean()
    assert ours > majority + 0.1 and ours > theirs - 0.06, (ours, theirs, majority)
    with pytest.raises(ValueError, match="multilabel"):
        est.partial_fit(X, Y[:, 0])


# ---------------------------------------------------------------------------
# gradient clipping, n_iter_, overflowing input
# ---------------------------------------------------------------------------


def test_max_grad_norm_trains_where_sgd_diverges():
    X, y = make_friedman1(n_samples=500, noise=0.5, random_state=0)
    y = 10 * y
    kw = dict(hidden_layer_sizes=(16,), activation="tanh", solver="sgd", momentum=0.9,
              learning_rate_init=0.2, max_iter=30, random_state=0)
    try:
        free = ElasticNetMLPRegressor(**kw).fit(X, y)
        assert free.loss_curve_[-1] > 1e6 * free.loss_curve_[0]  # exploded
    except ValueError as exc:
        assert "non-finite" in str(exc)
    clipped = ElasticNetMLPRegressor(max_grad_norm=1.0, **kw).fit(X, y)
    assert clipped.loss_curve_[-1] < 0.5 * clipped.loss_curve_[0]
    assert clipped.score(X, y) > 0.6


def test_max_grad_norm_rescales_long_gradients_only():
    """One full-batch SGD step: clipped to norm c when longer, untouched when shorter."""
    X, y = regression_problem(n=50)
    kw = dict(hidden_layer_sizes=(5,), penalty=None, solver="sgd", momentum=0.0,
              learning_rate_init=1e-3, batch_size=50, max_iter=1, random_state=0)
    start = ElasticNetMLPRegressor(**kw).fit(X, y)  # the same initialization for all three
    theta0, _, evaluate = start._smooth_loss(X, y)
    norm = np.linalg.norm(evaluate(theta0)[1])
    for c in [norm / 4, norm * 4]:
        est = ElasticNetMLPRegressor(**{**kw, "max_grad_norm": c, "warm_start": True})
        est.fit(X, y)  # first epoch, then the measured one from the same point
        est.coefs_, est.intercepts_ = start.coefs_, start.intercepts_
        est.fit(X, y)
        theta1, _, _ = est._smooth_loss(X, y)
        step = np.linalg.norm(theta1 - theta0) / kw["learning_rate_init"]
        np.testing.assert_allclose(step, min(c, norm), rtol=1e-6)


def test_n_iter_like_scikit_learn_after_warm_start_and_partial_fit():
    X, y = small_problem()
    kw = dict(hidden_layer_sizes=(8,), max_iter=3, tol=0.0, n_iter_no_change=100,
              random_state=0)
    for cls, peer_cls in [(ElasticNetMLPClassifier, MLPClassifier),
                          (ElasticNetMLPRegressor, MLPRegressor)]:
        ours, peer = cls(warm_start=True, **kw), peer_cls(warm_start=True, **kw)
        for _ in range(2):
            ours.fit(X, y)
            peer.fit(X, y)
            assert ours.n_iter_ == peer.n_iter_ == 3
            assert len(ours.loss_curve_) == len(peer.loss_curve_) and ours.t_ == peer.t_
        ours, peer = cls(**kw), peer_cls(**kw)
        extra = {"classes": np.unique(y)} if cls is ElasticNetMLPClassifier else {}
        for _ in range(3):
            ours.partial_fit(X, y, **extra)
            peer.partial_fit(X, y, **extra)
            assert ours.n_iter_ == peer.n_iter_ == 1
            assert len(ours.loss_curve_) == len(peer.loss_curve_) and ours.t_ == peer.t_


@pytest.mark.parametrize("n_classes", [2, 3])
def test_overflowing_row_gives_finite_probabilities_or_a_clear_error(n_classes):
    X, y = small_problem(n_classes=n_classes)
    est = ElasticNetMLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    est.fit(X, y)
    bad = X[:3].copy()
    bad[1, 2] = 1e308
    try:
        P = est.predict_proba(bad)
    except ValueError as exc:
        assert "row 1" in str(exc) and "overflow" in str(exc)
    else:
        assert np.all(np.isfinite(P)) and np.allclose(P.sum(axis=1), 1.0)
    big = X[:3] * 1e200  # overflows nothing in float64: finite probabilities
    P = est.predict_proba(big)
    assert np.all(np.isfinite(P)) and np.allclose(P.sum(axis=1), 1.0)


def test_dead_units_weights_reach_zero_not_subnormal_numbers():
    # the incoming weights of dead ReLU units see only the L2 gradient, which Adam's
    # normalized step shrinks geometrically; they end at exactly 0, never among the
    # subnormal numbers (which the CPU computes with ~100x slower microcode)
    X, y = make_friedman1(n_samples=2000, n_features=20, noise=1.0, random_state=0)
    X, y = X.astype(np.float32), (y - y.mean()) / y.std()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = ElasticNetMLPRegressor((64, 32), alpha=1e-3, learning_rate_init=3e-2,
                                     batch_size=64, max_iter=100, random_state=0).fit(X, y)
    tiny = np.finfo(np.float32).tiny
    for a in reg.coefs_ + reg.intercepts_:
        assert a.dtype == np.float32
        assert not np.any((np.abs(a) < tiny) & (a != 0.0))
    dead = np.maximum(X @ reg.coefs_[0] + reg.intercepts_[0], 0.0).max(axis=0) == 0.0
    assert dead.sum() >= 10  # the setting has dead units (without the flush: ~2300 subnormals)
