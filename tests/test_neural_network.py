"""Tests of skreg.neural_network.ElasticNetMLPClassifier."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skreg import _mlp_kernels as K
from skreg.neural_network import ElasticNetMLPClassifier, _layout

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


def kernel_inputs(est, X, y, sample_weight=None, epoch=0):
    """What the fit hands to the kernels, rebuilt from a fitted estimator."""
    from skreg._validation import normalized_sample_weight

    sizes_list = [X.shape[1]] + [W.shape[1] for W in est.coefs_]
    sizes = np.asarray(sizes_list, dtype=np.int64)
    w_off, b_off, bn_off, n_weights, _ = _layout(sizes_list, est.batch_norm)
    Xd, data, indices, indptr, is_sparse = est._kernel_arrays(X)
    theta, bn_run = est._pack(sizes_list, Xd.dtype)
    opts, hyper = est._options(is_sparse, X.shape[0], est._seed)
    drop = est._dropout_rates(len(sizes_list) - 2)
    y_idx = np.searchsorted(est.classes_, y).astype(np.int64)
    sw = normalized_sample_weight(sample_weight, X)
    keys = K.row_keys(Xd, data, indices, indptr, is_sparse)
    return dict(
        args=(Xd, data, indices, indptr, y_idx, sw, keys),
        theta=theta, bn_run=bn_run, sizes=sizes, w_off=w_off, b_off=b_off, bn_off=bn_off,
        n_weights=n_weights, drop=drop, opts=opts, hyper=hyper, epoch=epoch,
    )


def loss_grad(ki, theta):
    return K.loss_and_gradient(
        *ki["args"], theta, ki["bn_run"].copy(), ki["sizes"], ki["w_off"], ki["b_off"],
        ki["bn_off"], ki["drop"], ki["opts"], ki["hyper"], ki["epoch"],
    )


# ---------------------------------------------------------------------------
# objective, gradient, proximal update
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("extra", [{}, {"batch_norm": True}, {"dropout": 0.3, "input_noise": 0.2,
                                                              "input_dropout": 0.2}])
def test_gradient_matches_finite_differences(n_classes, sparse, extra):
    X, y = small_problem(n=40, n_classes=n_classes)
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
    sw = np.random.RandomState(0).randint(0, 4, size=X.shape[0]).astype(float)
    est = ElasticNetMLPClassifier(
        hidden_layer_sizes=(5, 4), activation="tanh", max_iter=2, random_state=0, **extra
    ).fit(X, y)
    ki = kernel_inputs(est, X, y, sample_weight=sw, epoch=3)
    theta = ki["theta"]
    loss, grad = loss_grad(ki, theta)
    rng = np.random.RandomState(1)
    idx = rng.choice(theta.shape[0], size=40, replace=False)
    h = 1e-6
    for j in idx:
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        fd = (loss_grad(ki, tp)[0] - loss_grad(ki, tm)[0]) / (2 * h)
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
    ki = kernel_inputs(est, X, y)
    loss, _ = loss_grad(ki, ki["theta"])
    H = np.maximum(X @ est.coefs_[0] + est.intercepts_[0], 0.0)
    Z = H @ est.coefs_[1] + est.intercepts_[1]
    Z = Z - Z.max(1, keepdims=True)
    logp = Z - np.log(np.exp(Z).sum(1, keepdims=True))
    expected = -logp[np.arange(len(y)), y].mean()
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    np.testing.assert_allclose(est.predict_log_proba(X), logp, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("penalty,l1_ratio", [("l1", 1.0), ("elasticnet", 0.5)])
def test_proximal_gradient_fixed_point(penalty, l1_ratio):
    """Full-batch plain SGD converges to w = prox_{lr R}(w - lr grad f(w))."""
    X, y = small_problem(n=80, d=5)
    lr, alpha = 0.5, 0.01
    est = ElasticNetMLPClassifier(
        hidden_layer_sizes=(4,), activation="tanh", penalty=penalty, alpha=alpha,
        l1_ratio=l1_ratio, solver="sgd", momentum=0.0, learning_rate_init=lr,
        batch_size=X.shape[0], max_iter=20000, tol=0.0, n_iter_no_change=20000, random_state=0,
    ).fit(X, y)
    ki = kernel_inputs(est, X, y)
    theta = ki["theta"]
    _, grad = loss_grad(ki, theta)
    nw = ki["n_weights"]
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
    ki = kernel_inputs(est, X, y, epoch=0)
    loss0, g0 = loss_grad(ki, ki["theta"])
    ki["epoch"] = 1
    loss1, g1 = loss_grad(ki, ki["theta"])
    assert loss0 != loss1 and not np.array_equal(g0, g1)  # two training passes differ
    ki["epoch"] = 0
    assert loss_grad(ki, ki["theta"])[0] == loss0  # ... but are reproducible
    ki["drop"][:] = 0.0
    loss_nodrop, _ = loss_grad(ki, ki["theta"])
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
    assert est.n_iter_ == 20
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
    assert est.n_iter_ == 6 and est.loss_curve_[:3] == first
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
