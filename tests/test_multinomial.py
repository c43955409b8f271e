"""Multinomial L1 / elastic net: the full-Hessian proximal Newton solver.

Every fit here is checked from the objective alone (numpy): the KKT
certificate ``max_kj dist(-grad_kj, alpha dR(w_kj)) <= tol * alpha_max``
(intercept gradients included), or the objective against an independent
L-BFGS-B solution of the split formulation ``W = W+ - W-``.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedLogisticRegression


def _one_hot(y):
    return (y[:, None] == np.unique(y)[None, :]).astype(float)


def _weights(n, sample_weight):
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    return s / s.sum()


def _objective_and_kkt(X, y, alpha, l1_ratio, W, b, sample_weight=None, fit_intercept=True):
    """Objective and KKT violation (coefficients and intercepts) of ``(W, b)``."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)
    Y, s = _one_hot(y), _weights(X.shape[0], sample_weight)
    Z = X @ W.T + b
    loss = float(s @ (logsumexp(Z, axis=1) - np.sum(Y * Z, axis=1)))
    R = s[:, None] * (softmax(Z, axis=1) - Y)
    G = R.T @ X + alpha * (1 - l1_ratio) * W
    viol = np.where(W != 0, np.abs(G + alpha * l1_ratio * np.sign(W)),
                    np.maximum(np.abs(G) - alpha * l1_ratio, 0.0))
    kkt = viol.max()
    if fit_intercept:
        kkt = max(kkt, np.abs(R.sum(axis=0)).max())
    penalty = alpha * (l1_ratio * np.abs(W).sum() + 0.5 * (1 - l1_ratio) * np.sum(W * W))
    return loss + penalty, kkt


def _alpha_max(X, y, sample_weight=None, fit_intercept=True):
    """``||X^T (s * (mean - Y))||_inf``: the smallest L1 alpha with an all-zero solution
    (``mean``: the class frequencies with an intercept, ``1 / K`` without)."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)
    Y, s = _one_hot(y), _weights(X.shape[0], sample_weight)
    mean = s @ Y if fit_intercept else np.full(Y.shape[1], 1.0 / Y.shape[1])
    return np.abs(X.T @ (s[:, None] * (mean - Y))).max()


def _fit_without_warning(X, y, sample_weight=None, **params):
    est = RegularizedLogisticRegression(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return est.fit(X, y, sample_weight=sample_weight)


def _assert_certified(est, X, y, sample_weight=None):
    l1_ratio = 1.0 if est.penalty == "l1" else est.l1_ratio
    _, kkt = _objective_and_kkt(X, y, est.alpha, l1_ratio, est.coef_, est.intercept_,
                                sample_weight, est.fit_intercept)
    target = est.tol * _alpha_max(X, y, sample_weight, est.fit_intercept)
    assert est.kkt_violation_ <= target
    assert kkt <= target * (1 + 1e-6) + 1e-12


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("fraction", [1e-1, 1e-2, 1e-3])
@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1.0), ("elasticnet", 0.5)])
def test_digits_meets_the_certificate_at_the_default_tol(digits, penalty, l1_ratio, fraction):
    X, y = digits
    alpha = fraction * _alpha_max(X, y) / l1_ratio
    est = _fit_without_warning(X, y, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio)
    _assert_certified(est, X, y)
    assert est.n_iter_ < 30  # tens of Newton steps, not hundreds


@pytest.mark.parametrize("alpha", [1e-2, 1e-3, 1e-4])
def test_exactly_collinear_features_converge_within_max_iter(alpha):
    # make_classification's defaults: 2 informative + 2 redundant (linear combinations)
    # + 4 noise features, so X has rank 6 of 8 (per-class Newton steps needed > 100 here).
    X, y = make_classification(n_samples=240, n_features=8, n_classes=3,
                               n_clusters_per_class=1, random_state=2)
    assert np.linalg.matrix_rank(X) == 6
    est = _fit_without_warning(X, y, penalty="l1", alpha=alpha)
    _assert_certified(est, X, y)


@pytest.mark.parametrize("n_classes, n_samples", [(10, 600), (10, 30), (50, 600), (50, 150),
                                                  (200, 600)])
def test_many_classes_converge_within_the_default_max_iter(n_classes, n_samples):
    rng = np.random.RandomState(0)
    X = rng.randn(n_samples, 10)
    y = np.arange(n_samples) % n_classes
    est = _fit_without_warning(X, y, penalty="l1", alpha=1e-3)
    _assert_certified(est, X, y)
    assert est.coef_.shape == (n_classes, 10)


def test_class_imbalance_and_no_intercept():
    X, y = make_classification(n_samples=400, n_features=10, n_informative=5, n_classes=4,
                               weights=[0.85, 0.1, 0.03, 0.02], random_state=1)
    for fit_intercept in (True, False):
        est = _fit_without_warning(X, y, penalty="l1", alpha=1e-3, tol=1e-8, max_iter=1000,
                                   fit_intercept=fit_intercept)
        _assert_certified(est, X, y)


def _small_problem(seed=0, n=150, p=6, K=4):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    X[:, 1] = X[:, 0] + 0.05 * rng.randn(n)
    W = rng.randn(K, p) * (rng.rand(K, p) < 0.5)
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, K)), axis=1)
    return X, y


def _lbfgs_split(X, y, alpha, l1_ratio):
    """Independent reference: L-BFGS-B on ``W = W+ - W-`` (``W+, W- >= 0``) and free ``b``."""
    n, p = X.shape
    Y = _one_hot(y)
    K = Y.shape[1]

    def f(v):
        Wp, Wm, b = v[:K * p].reshape(K, p), v[K * p:2 * K * p].reshape(K, p), v[2 * K * p:]
        W = Wp - Wm
        Z = X @ W.T + b
        R = (softmax(Z, axis=1) - Y) / n
        gW = R.T @ X + alpha * (1 - l1_ratio) * W
        value = (np.mean(logsumexp(Z, axis=1) - np.sum(Y * Z, axis=1))
                 + alpha * l1_ratio * (Wp.sum() + Wm.sum())
                 + 0.5 * alpha * (1 - l1_ratio) * np.sum(W * W))
        grad = np.concatenate([(gW + alpha * l1_ratio).ravel(),
                               (-gW + alpha * l1_ratio).ravel(), R.sum(axis=0)])
        return value, grad

    bounds = [(0, None)] * (2 * K * p) + [(None, None)] * K
    res = minimize(f, np.zeros(2 * K * p + K), jac=True, method="L-BFGS-B", bounds=bounds,
                   options=dict(maxiter=100000, maxfun=100000, ftol=1e-15, gtol=1e-12))
    return res.fun


@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1.0), ("elasticnet", 0.3)])
def test_objective_matches_an_independent_reference(penalty, l1_ratio):
    X, y = _small_problem()
    alpha = 0.05 * _alpha_max(X, y) / l1_ratio
    est = _fit_without_warning(X, y, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, tol=1e-9,
                               max_iter=1000)
    ours, _ = _objective_and_kkt(X, y, alpha, l1_ratio, est.coef_, est.intercept_)
    ref = _lbfgs_split(X, y, alpha, l1_ratio)
    assert ours <= ref * (1 + 1e-7)
    assert abs(ours - ref) <= 1e-7 * abs(ref)
    assert np.any(est.coef_ == 0.0)


def test_dense_and_sparse_give_the_same_solution():
    X, y = _small_problem(seed=1, n=200, p=12)
    X = X * (np.random.RandomState(2).rand(*X.shape) < 0.5)
    params = dict(penalty="elasticnet", alpha=0.01, l1_ratio=0.7, tol=1e-10, max_iter=1000)
    dense = _fit_without_warning(X, y, **params)
    sparse = _fit_without_warning(sp.csr_matrix(X), y, **params)
    np.testing.assert_allclose(dense.coef_, sparse.coef_, atol=1e-7)
    np.testing.assert_allclose(dense.intercept_, sparse.intercept_, atol=1e-7)
    assert np.array_equal(dense.coef_ == 0.0, sparse.coef_ == 0.0)


@pytest.mark.parametrize("sparse", [False, True])
def test_working_set_products_block_by_block_give_the_same_solution(monkeypatch, sparse):
    """Working sets too large to copy out of X whole are multiplied a few columns at a time."""
    from skreg import _multinomial

    X, y = _small_problem(seed=1, n=200, p=12)
    X = X * (np.random.RandomState(2).rand(*X.shape) < 0.5)
    X = sp.csr_matrix(X) if sparse else X
    params = dict(penalty="elasticnet", alpha=0.01, l1_ratio=0.7, tol=1e-10, max_iter=1000)
    whole = _fit_without_warning(X, y, **params)
    monkeypatch.setattr(_multinomial, "_GATHERED_ENTRIES", 3 * X.shape[0])  # blocks of 3 columns
    blocks = _fit_without_warning(X, y, **params)
    _assert_certified(blocks, X, y)
    np.testing.assert_allclose(blocks.coef_, whole.coef_, atol=1e-7)
    np.testing.assert_allclose(blocks.intercept_, whole.intercept_, atol=1e-7)
    assert np.array_equal(blocks.coef_ == 0.0, whole.coef_ == 0.0)


def test_sample_weights_equal_repeated_rows_and_class_weight():
    X, y = _small_problem(seed=3)
    counts = np.random.RandomState(4).randint(1, 4, size=X.shape[0])
    params = dict(penalty="l1", alpha=0.01, tol=1e-10, max_iter=1000)
    weighted = _fit_without_warning(X, y, sample_weight=counts, **params)
    repeated = _fit_without_warning(np.repeat(X, counts, axis=0), np.repeat(y, counts), **params)
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-7)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, atol=1e-7)
    _assert_certified(weighted, X, y, counts)

    class_weight = {0: 0.5, 1: 2.0, 2: 1.0, 3: 3.0}
    by_class = _fit_without_warning(X, y, class_weight=class_weight, **params)
    by_sample = _fit_without_warning(X, y, sample_weight=[class_weight[c] for c in y], **params)
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, atol=1e-9)


def test_warm_start_continues_from_the_solution(digits):
    X, y = digits
    X, y = X[:500], y[:500]
    est = _fit_without_warning(X, y, penalty="l1", alpha=1e-2, warm_start=True)
    est.set_params(alpha=5e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    _assert_certified(est, X, y)
    cold = _fit_without_warning(X, y, penalty="l1", alpha=5e-3)
    f_warm, _ = _objective_and_kkt(X, y, 5e-3, 1.0, est.coef_, est.intercept_)
    f_cold, _ = _objective_and_kkt(X, y, 5e-3, 1.0, cold.coef_, cold.intercept_)
    assert abs(f_warm - f_cold) <= 1e-6 * f_cold
    n_iter = est.n_iter_
    est.fit(X, y)  # from its own solution: nothing to do
    assert est.n_iter_ == 0 < n_iter


def test_unreachable_tol_stops_with_a_warning_before_max_iter(digits):
    X, y = digits
    est = RegularizedLogisticRegression(penalty="l1", alpha=1e-3, tol=1e-18, max_iter=10000)
    with pytest.warns(ConvergenceWarning, match="no step decreases the objective in floating "
                                                "point any more. Use a larger tol"):
        est.fit(X[:400], y[:400])
    assert est.n_iter_ < 100
    # It did get as close as floating point allows.
    _, kkt = _objective_and_kkt(X[:400], y[:400], 1e-3, 1.0, est.coef_, est.intercept_)
    assert kkt <= 1e-12


def _screening_problem():
    X, y = make_classification(n_samples=150, n_features=40, n_informative=8, n_classes=4,
                               n_clusters_per_class=1, random_state=3)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1.0), ("elasticnet", 0.5)])
def test_strong_rule_path_meets_the_certificate_and_matches_single_fits(penalty, l1_ratio):
    """Every point of a screened multinomial path is certified and as good as a fit from scratch.

    (Objectives, not coefficients: with an even number of classes the L1
    penalty-optimal shift across classes need not be unique.)
    """
    from skreg import regularization_path

    X, y = _screening_problem()
    top = _alpha_max(X, y) / l1_ratio
    alphas = top * np.geomspace(1.0, 0.01, 15)
    tol = 1e-8
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        _, coefs, intercepts, _ = regularization_path(X, y, penalty=penalty, l1_ratio=l1_ratio,
                                                      alphas=alphas, tol=tol)
    for alpha, W, b in zip(alphas, coefs, intercepts):
        obj, kkt = _objective_and_kkt(X, y, alpha, l1_ratio, W, b)
        assert kkt <= tol * _alpha_max(X, y) * (1 + 1e-6) + 1e-12
        ref = _fit_without_warning(X, y, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
                                   tol=1e-11, max_iter=1000)
        ref_obj, _ = _objective_and_kkt(X, y, alpha, l1_ratio, ref.coef_, ref.intercept_)
        assert abs(obj - ref_obj) <= 1e-9 * abs(ref_obj)


def test_strong_rule_wrongly_discarded_feature_comes_back():
    """A feature the strong rule discards but the solution needs is restored by the certificate."""
    from skreg import _cd
    from skreg._multinomial import multinomial_cd_solve
    from skreg._validation import to_design
    from skreg.datafits import make_datafit
    from skreg.penalties import make_penalty

    X, y = _screening_problem()
    design = to_design(np.asfortranarray(X))
    datafit = make_datafit("log_loss", _one_hot(y), _weights(len(y), None))
    top = _alpha_max(X, y)
    alpha_1, alpha_2 = 0.3 * top, 0.2 * top  # features enter between the two
    W, b = np.zeros((4, X.shape[1])), np.zeros(4)
    rule = _cd.StrongRule()
    tol = 1e-9
    multinomial_cd_solve(design, datafit, make_penalty("l1", alpha_1), True, W, b, tol, 1000, 64,
                         scale=top, strong_rule=rule)
    ref = _fit_without_warning(X, y, penalty="l1", alpha=alpha_2, tol=1e-11, max_iter=1000)
    newcomers = np.flatnonzero(np.any(ref.coef_ != 0.0, axis=0) & ~np.any(W != 0.0, axis=0))
    assert newcomers.size > 0
    j = newcomers[0]
    # Tamper with the remembered gradient: the rule now discards feature j in every class.
    rule.grad = rule.grad.copy()
    rule.grad[:, j] = 0.0
    assert all(j not in cols for cols in rule.working_sets(W, make_penalty("l1", alpha_2)))
    info = multinomial_cd_solve(design, datafit, make_penalty("l1", alpha_2), True, W, b, tol,
                                1000, 64, scale=top, strong_rule=rule)
    assert info.kkt <= info.kkt_tol
    assert np.any(W[:, j] != 0.0)
    obj, kkt = _objective_and_kkt(X, y, alpha_2, 1.0, W, b)
    assert kkt <= tol * top * (1 + 1e-6)
    ref_obj, _ = _objective_and_kkt(X, y, alpha_2, 1.0, ref.coef_, ref.intercept_)
    assert abs(obj - ref_obj) <= 1e-9 * abs(ref_obj)
