"""Tests of RegularizedLinearRegression(+CV) and the squared-loss regularization_path.

Every property is checked against the numpy reference of tests/_reference.py (or against
scikit-learn's own solvers): the objective

    F(W, b) = 1/(2 sum s) sum_i s_i ||y_i - W x_i - b||^2 + alpha * R(W),

its optimality conditions, coordinate-wise optimality for L0, and the held-out scores of the
cross-validation estimator.
"""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedLinearRegression, RegularizedLinearRegressionCV, regularization_path

import _reference as reference

# ---------------------------------------------------------------------------
# The objective and its optimality conditions (numpy only: tests/_reference.py).
# ---------------------------------------------------------------------------


def _rows(coef, intercept):
    """(n_targets, p) coefficients and (n_targets,) intercepts from a fitted model's arrays."""
    return np.atleast_2d(np.asarray(coef, float)), np.atleast_1d(np.asarray(intercept, float))


def _residuals(X, Y, W, b):
    return Y.reshape(len(Y), -1) - reference.dense(X) @ W.T - b


def smooth_objective(X, Y, W, b, sample_weight=None):
    return reference.loss_and_grad("squared", X, Y, W, b, sample_weight)[0]


def objective(X, Y, coef, intercept, penalty, alpha, l1_ratio=0.5, sample_weight=None):
    return reference.objective("squared", X, Y, coef, intercept, penalty, alpha, l1_ratio,
                               sample_weight)


def kkt_violation(X, Y, coef, intercept, penalty, alpha, l1_ratio=0.5, sample_weight=None,
                  fit_intercept=True):
    """max_j dist(-grad_j, alpha * dR(w_j)) over every coefficient, and |grad_b|."""
    return reference.kkt_violation("squared", X, Y, coef, intercept, penalty, alpha, l1_ratio,
                                   sample_weight, fit_intercept)


def alpha_max(X, Y, sample_weight=None, fit_intercept=True):
    """||X^T s (y - ybar_s)||_inf / sum s: the smallest L1 alpha with W = 0."""
    return reference.alpha_max("squared", X, Y, sample_weight, fit_intercept)


# ---------------------------------------------------------------------------
# Problems.
# ---------------------------------------------------------------------------


def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def sparse_problem(seed=0, n=200, p=60, density=0.2, n_targets=None):
    rng = np.random.RandomState(seed)
    X = sp.random(n, p, density=density, format="csr", random_state=rng,
                  data_rvs=rng.standard_normal)
    shape = (p,) if n_targets is None else (p, n_targets)
    w = np.where(rng.rand(*shape) < 0.15, rng.randn(*shape) * 3, 0.0)
    y = X @ w + 0.5 * rng.randn(*((n,) if n_targets is None else (n, n_targets))) + 2.0
    return X, y


def dense_problem(seed=0, n=150, p=20, n_targets=None):
    X, y = sparse_problem(seed, n, p, density=1.0, n_targets=n_targets)
    return X.toarray(), y


def _sample_weight(n, seed=3):
    return np.random.RandomState(seed).uniform(0.2, 3.0, size=n)


def _fit(X, y, sample_weight=None, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return RegularizedLinearRegression(**params).fit(X, y, sample_weight=sample_weight)


CONVEX = ["l1", "l2", "elasticnet", None]


# ---------------------------------------------------------------------------
# Optimality and agreement with scikit-learn.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("penalty", CONVEX)
@pytest.mark.parametrize("layout", ["dense", "sparse-csr", "sparse-csc", "float32"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_kkt_certificate_holds(penalty, layout, fit_intercept, weighted):
    X, y = sparse_problem(seed=1)
    X = {"dense": X.toarray(), "sparse-csr": X, "sparse-csc": sp.csc_matrix(X),
         "float32": X.toarray().astype(np.float32)}[layout]
    sw = _sample_weight(X.shape[0]) if weighted else None
    tol = 1e-4 if layout == "float32" else 1e-9
    amax = alpha_max(X, y, sw, fit_intercept)
    alpha = 0.05 * amax
    est = _fit(X, y, sw, penalty=penalty, alpha=alpha, l1_ratio=0.4,
               fit_intercept=fit_intercept, tol=tol, max_iter=10000)
    kkt = kkt_violation(X, y, est.coef_, est.intercept_, penalty, alpha, 0.4, sw, fit_intercept)
    # float32 data: the residual itself is only known to ~1e-7 relative.
    slack = 1e-5 * amax if layout == "float32" else 1e-12 * amax
    assert kkt <= tol * amax + slack
    assert est.kkt_violation_ <= tol * amax * (1 + 1e-9)
    assert est.kkt_violation_ == pytest.approx(kkt, abs=slack + 1e-3 * tol * amax)
    assert est.coef_.shape == (X.shape[1],) and np.ndim(est.intercept_) == 0
    if not fit_intercept:
        assert est.intercept_ == 0.0
    if penalty in ("l1", "elasticnet"):
        assert np.any(est.coef_ == 0.0) and np.any(est.coef_ != 0.0)
    else:
        assert np.all(est.coef_ != 0.0)


def _ridge_reference(X, y, alpha, sample_weight, fit_intercept):
    """The L2 solution in closed form: (Xc^T S Xc + alpha I) w = Xc^T S yc, S = diag(s / sum s)."""
    s = reference.weights(sample_weight, X.shape[0])
    Xd = reference.dense(X)
    x_mean, y_mean = (s @ Xd, s @ y) if fit_intercept else (0.0, 0.0)
    Xc, yc = Xd - x_mean, y - y_mean
    w = np.linalg.solve(Xc.T @ (s[:, None] * Xc) + alpha * np.eye(X.shape[1]), Xc.T @ (s * yc))
    return w, float(y_mean - x_mean @ w) if fit_intercept else 0.0


def _reference(X, y, penalty, alpha, l1_ratio, sample_weight, fit_intercept):
    if penalty == "l2":
        return _ridge_reference(X, y, alpha, sample_weight, fit_intercept)
    ref = (Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-12, max_iter=10**6)
           if penalty == "l1" else
           ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-12,
                      max_iter=10**6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref.fit(X, y, sample_weight=sample_weight)
    return ref.coef_, ref.intercept_


@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1.0), ("elasticnet", 0.3),
                                               ("elasticnet", 0.8), ("l2", 0.0)])
@pytest.mark.parametrize("problem", ["diabetes", "sparse"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_same_objective_as_sklearn(penalty, l1_ratio, problem, fit_intercept, weighted):
    """scikit-learn's Lasso / ElasticNet (tol=1e-12) and the closed-form ridge solution."""
    X, y = diabetes() if problem == "diabetes" else sparse_problem(seed=2)
    sw = _sample_weight(X.shape[0]) if weighted else None
    for fraction in (0.3, 0.03, 0.003):
        alpha = fraction * alpha_max(X, y, sw, fit_intercept) / max(l1_ratio, 0.1)
        ours = _fit(X, y, sw, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
                    fit_intercept=fit_intercept, tol=1e-12, max_iter=100000)
        coef, intercept = _reference(X, y, penalty, alpha, l1_ratio, sw, fit_intercept)
        f_ours = objective(X, y, ours.coef_, ours.intercept_, penalty, alpha, l1_ratio, sw)
        f_ref = objective(X, y, coef, intercept, penalty, alpha, l1_ratio, sw)
        assert abs(f_ours - f_ref) <= 1e-8 * abs(f_ref)
        np.testing.assert_allclose(ours.coef_, coef, rtol=1e-4, atol=1e-5 * np.abs(coef).max())


@pytest.mark.parametrize("solver", ["exact", "cg"])
@pytest.mark.parametrize("layout", ["dense", "sparse", "float32"])
def test_ridge_solvers_give_the_closed_form(monkeypatch, solver, layout):
    """L2 through exact-Hessian Newton (one Cholesky solve) and through Newton-CG: the closed form."""
    import skreg._path as solvers
    import skreg._smooth as smooth

    monkeypatch.setattr(smooth, "_EXACT_MAX_FEATURES", 10**9 if solver == "exact" else -1)
    monkeypatch.setattr(smooth, "_EXACT_MAX_PASSES_SPARSE", np.inf)
    monkeypatch.setattr(solvers, "_CG_MIN_ENTRIES", 0 if solver == "cg" else 10**18)
    X, y = sparse_problem(seed=4) if layout == "sparse" else dense_problem(seed=4)
    if layout == "float32":
        X = X.astype(np.float32)
    sw = _sample_weight(X.shape[0])
    est = _fit(X, y, sw, penalty="l2", alpha=0.05, tol=1e-10)
    w, b = _ridge_reference(X.astype(np.float64), y, 0.05, sw, True)
    np.testing.assert_allclose(est.coef_, w, rtol=1e-7, atol=1e-8)
    assert est.intercept_ == pytest.approx(b, rel=1e-7, abs=1e-8)


def test_unpenalized_equals_least_squares_and_score_is_r2():
    X, y = diabetes()
    sw = _sample_weight(X.shape[0])
    # Unpenalized coordinate descent on diabetes' correlated columns needs many epochs.
    est = _fit(X, y, sw, penalty=None, tol=1e-10, max_iter=100000)
    ref = LinearRegression().fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-7)
    assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-9)
    np.testing.assert_allclose(est.predict(X), X @ est.coef_ + est.intercept_, rtol=1e-12)
    assert est.score(X, y) == pytest.approx(r2_score(y, est.predict(X)), rel=1e-12)
    assert est.score(X, y, sample_weight=sw) == pytest.approx(
        r2_score(y, est.predict(X), sample_weight=sw), rel=1e-12)


def test_alpha_max_gives_exact_zeros_and_the_weighted_mean():
    X, y = sparse_problem(seed=4)
    sw = _sample_weight(X.shape[0])
    amax = alpha_max(X, y, sw)
    at = _fit(X, y, sw, penalty="l1", alpha=amax * (1 + 1e-9))
    assert np.all(at.coef_ == 0.0)
    assert at.intercept_ == pytest.approx(np.average(y, weights=sw), rel=1e-12)
    below = _fit(X, y, sw, penalty="l1", alpha=amax * 0.99)
    assert np.count_nonzero(below.coef_) >= 1
    # Larger alpha, fewer non-zeros (here strictly, along a few decades).
    nnz = [np.count_nonzero(_fit(X, y, sw, penalty="l1", alpha=amax * f).coef_)
           for f in (0.5, 0.1, 0.01)]
    assert nnz[0] < nnz[1] < nnz[2]


# ---------------------------------------------------------------------------
# L0
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_l0_solution_is_coordinatewise_optimal(sparse, l1_ratio, fit_intercept):
    X, y = sparse_problem(seed=5, n=120, p=15, density=0.5 if sparse else 1.0)
    X = X if sparse else X.toarray()
    sw = _sample_weight(X.shape[0], seed=6)
    alpha = 0.02 * alpha_max(X, y, sw, fit_intercept)
    est = _fit(X, y, sw, penalty="l0", alpha=alpha, l1_ratio=l1_ratio,
               fit_intercept=fit_intercept, tol=1e-10, max_iter=1000)
    assert np.isnan(est.kkt_violation_)
    w, b = est.coef_, est.intercept_
    assert np.any(w == 0.0) and np.any(w != 0.0)

    def F(w_, b_=b):
        return objective(X, y, w_, b_, "l0", alpha, l1_ratio, sw)

    F0 = F(w)
    s = reference.weights(sw, X.shape[0])
    Xd = reference.dense(X)
    lam2 = alpha * (1 - l1_ratio)
    for j in range(X.shape[1]):
        # The best value of w_j with the others fixed, in closed form: zero, or the
        # minimiser of the smooth part along j.
        r_j = y - Xd @ w - b + Xd[:, j] * w[j]
        t_star = (s @ (Xd[:, j] * r_j)) / (s @ Xd[:, j] ** 2 + lam2)
        for t in (0.0, t_star, w[j] + 1e-4, w[j] - 1e-4):
            w_t = w.copy()
            w_t[j] = t
            assert F0 <= F(w_t) + 1e-12 * abs(F0), (j, t)
    if fit_intercept:  # the intercept is at its optimum too
        assert abs(s @ (y - Xd @ w - b)) <= 1e-9 * np.abs(y).max()
    else:
        assert b == 0.0


def test_l0_targets_whose_squares_overflow_are_fitted():
    """Targets near 2**600 (squared residuals overflow): the L0L2 fit is the right one,
    and its solver warns of nothing. Its objective is c^2 times the objective on y / c
    with the L0 cost over c^2, which underflows here: the fit is c times the ridge fit
    on y / c."""
    X, y = dense_problem(seed=7, n=80, p=10)
    c = 2.0 ** 600
    alpha, l1_ratio = 0.02, 0.5
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = RegularizedLinearRegression(penalty="l0", alpha=alpha, l1_ratio=l1_ratio,
                                          tol=1e-10).fit(X, y * c)
    assert not [w for w in caught if w.filename.endswith("_l0.py")]
    ridge = _fit(X, y, penalty="l2", alpha=alpha * (1 - l1_ratio), tol=1e-12)
    np.testing.assert_allclose(est.coef_ / c, ridge.coef_, rtol=1e-9)
    assert est.intercept_ / c == pytest.approx(ridge.intercept_, rel=1e-9)
    assert np.all(np.isfinite(est.predict(X)))


def test_l0_recovers_the_support_where_l1_does_not():
    """Correlated design (Toeplitz 0.8^|i-j|), 5 true features: pure L0 finds them exactly
    more often than the L1 path point with as many non-zeros, at a training loss no larger."""
    from scipy.linalg import toeplitz

    wins_l0 = wins_l1 = compared = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        n, p, k = 250, 30, 5
        X = rng.multivariate_normal(np.zeros(p), toeplitz(0.8 ** np.arange(p)), n)
        support = rng.choice(p, k, replace=False)
        w = np.zeros(p)
        w[support] = 1.5 * rng.choice([-1.0, 1.0], k)
        y = X @ w + rng.standard_normal(n)
        l0 = _fit(X, y, penalty="l0", alpha=0.05, l1_ratio=1.0, tol=1e-8)
        size = np.count_nonzero(l0.coef_)
        _, coefs, intercepts, _ = regularization_path(X, y, loss="squared_error", n_alphas=300,
                                                      eps=1e-4, tol=1e-8)
        same = [i for i, c in enumerate(coefs) if np.count_nonzero(c) == size]
        if not same:  # the L1 path skipped this size
            continue
        i = same[0]
        compared += 1
        loss_l0 = smooth_objective(X, y, *_rows(l0.coef_, l0.intercept_))
        loss_l1 = smooth_objective(X, y, *_rows(coefs[i], intercepts[i]))
        assert loss_l0 <= loss_l1 + 1e-12
        wins_l0 += set(np.flatnonzero(l0.coef_)) == set(support)
        wins_l1 += set(np.flatnonzero(coefs[i][0])) == set(support)
    assert compared >= 4 and wins_l0 >= compared - 1 and wins_l0 > wins_l1


# ---------------------------------------------------------------------------
# Equivalences: weights, layouts, multi-output, warm start.
# ---------------------------------------------------------------------------

ALL_PENALTIES = [("l1", {}), ("l2", {}), ("elasticnet", {"l1_ratio": 0.5}), (None, {}),
                 ("l0", {"l1_ratio": 0.5})]


def _close(a, b, atol=1e-7):
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6, atol=atol)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-6, atol=atol)


@pytest.mark.parametrize("penalty, extra", ALL_PENALTIES, ids=str)
@pytest.mark.parametrize("sparse", [False, True])
def test_integer_weights_equal_repeated_rows(penalty, extra, sparse):
    X, y = sparse_problem(seed=7, n=80, p=12, density=0.6)
    X = X if sparse else X.toarray()
    sw = np.random.RandomState(0).randint(0, 4, size=X.shape[0])
    rep = np.repeat(np.arange(X.shape[0]), sw)
    params = dict(penalty=penalty, alpha=0.05, tol=1e-10, max_iter=5000, **extra)
    weighted = _fit(X, y, sw, **params)
    repeated = _fit(X[rep], y[rep], **params)
    _close(weighted, repeated)
    if penalty in ("l1", "l0"):
        np.testing.assert_array_equal(weighted.coef_ != 0, repeated.coef_ != 0)


@pytest.mark.parametrize("penalty, extra", ALL_PENALTIES, ids=str)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_equals_dense(penalty, extra, fit_intercept):
    X, y = sparse_problem(seed=8)
    sw = _sample_weight(X.shape[0])
    params = dict(penalty=penalty, alpha=0.02, fit_intercept=fit_intercept, tol=1e-10,
                  max_iter=5000, **extra)
    a = _fit(X, y, sw, **params)
    b = _fit(X.toarray(), y, sw, **params)
    _close(a, b)
    np.testing.assert_array_equal(a.coef_ != 0, b.coef_ != 0)
    np.testing.assert_allclose(a.predict(X), b.predict(X.toarray()), rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("penalty, extra", ALL_PENALTIES, ids=str)
@pytest.mark.parametrize("sparse", [False, True])
def test_multi_output_equals_one_fit_per_column(penalty, extra, sparse):
    X, Y = sparse_problem(seed=9, n=120, p=15, density=0.5, n_targets=3)
    X = X if sparse else X.toarray()
    sw = _sample_weight(X.shape[0])
    params = dict(penalty=penalty, alpha=0.03, tol=1e-10, max_iter=5000, **extra)
    est = _fit(X, Y, sw, **params)
    assert est.coef_.shape == (3, X.shape[1]) and est.intercept_.shape == (3,)
    assert est.predict(X).shape == (X.shape[0], 3)
    # The objective separates over the columns of Y.
    for t in range(3):
        single = _fit(X, Y[:, t], sw, **params)
        np.testing.assert_allclose(est.coef_[t], single.coef_, rtol=1e-6, atol=1e-7)
        assert est.intercept_[t] == pytest.approx(single.intercept_, rel=1e-6, abs=1e-7)
    if penalty != "l0":
        kkt = kkt_violation(X, Y, est.coef_, est.intercept_, penalty, 0.03, 0.5, sw)
        assert kkt <= 1e-10 * alpha_max(X, Y, sw) * (1 + 1e-6) + 1e-14
    # A single column given as 2-D: the model of that column, with the shapes of
    # scikit-learn's ElasticNet (coef_ (n_features,), 1-D predictions).
    col = _fit(X, Y[:, :1], sw, **params)
    single = _fit(X, Y[:, 0], sw, **params)
    assert col.coef_.shape == (X.shape[1],) and col.predict(X).shape == (X.shape[0],)
    np.testing.assert_array_equal(col.coef_, single.coef_)
    np.testing.assert_array_equal(col.predict(X), single.predict(X))


@pytest.mark.parametrize("sparse", [False, True])
def test_float32_is_close_to_float64(sparse):
    X, y = sparse_problem(seed=10)
    X = X if sparse else np.asfortranarray(X.toarray())
    a = _fit(X.astype(np.float32), y, penalty="elasticnet", alpha=0.05, l1_ratio=0.5, tol=1e-6)
    b = _fit(X, y, penalty="elasticnet", alpha=0.05, l1_ratio=0.5, tol=1e-6)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-4 * np.abs(b.coef_).max())
    np.testing.assert_allclose(a.predict(X.astype(np.float32)), b.predict(X), rtol=1e-4,
                               atol=1e-4 * np.abs(y).max())


def test_warm_start_resumes_from_the_solution():
    X, y = diabetes()
    est = RegularizedLinearRegression(penalty="l1", alpha=1.0, tol=1e-8, warm_start=True)
    est.fit(X, y)
    first = est.coef_.copy()
    est.fit(X, y)
    np.testing.assert_allclose(est.coef_, first, rtol=1e-12, atol=1e-12)
    # Warm-started at another alpha: the same solution as a cold fit there.
    est.set_params(alpha=0.1).fit(X, y)
    cold = _fit(X, y, penalty="l1", alpha=0.1, tol=1e-8)
    f = objective(X, y, est.coef_, est.intercept_, "l1", 0.1)
    assert f == pytest.approx(objective(X, y, cold.coef_, cold.intercept_, "l1", 0.1), rel=1e-9)


def test_pipeline_gridsearch_and_pickle():
    X, y = diabetes()
    pipe = make_pipeline(StandardScaler(), RegularizedLinearRegression(penalty="l1"))
    search = GridSearchCV(pipe, {"regularizedlinearregression__alpha": [0.1, 1.0, 10.0]},
                          cv=3).fit(X, y)
    est = search.best_estimator_[-1]
    clone = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(clone.predict(X), search.best_estimator_.predict(X))
    assert est.n_iter_ >= 1 and est.kkt_violation_ <= 1e-4 * alpha_max(
        StandardScaler().fit_transform(X), y)


def test_convergence_warning_at_max_iter():
    X, y = dense_problem(seed=11)
    with pytest.warns(ConvergenceWarning):
        RegularizedLinearRegression(penalty="l1", alpha=1e-4, tol=1e-14, max_iter=1).fit(X, y)


@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1.0), ("elasticnet", 0.5)])
@pytest.mark.parametrize("sparse", [False, True])
def test_near_interpolation_converges_in_few_epochs(penalty, l1_ratio, sparse):
    """p >> n at a small alpha: the support's columns are nearly collinear, where cyclic CD
    alone needs thousands of epochs (1200 here for the lasso); the Newton step on the support
    reaches tol=1e-8 within 500 at the same optimum as scikit-learn's."""
    rng = np.random.RandomState(0)
    n, p = 40, 400
    X = rng.randn(n, p)
    X[:, 1] = X[:, 0] + 0.01 * rng.randn(n)
    y = X[:, :10] @ rng.randn(10) + 0.1 * rng.randn(n)
    alpha = alpha_max(X, y) / l1_ratio / 100
    Xf = sp.csc_matrix(X) if sparse else X
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = RegularizedLinearRegression(penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
                                          tol=1e-8, max_iter=500).fit(Xf, y)
    assert est.n_iter_ < 500
    kkt = kkt_violation(X, y, est.coef_, est.intercept_, penalty, alpha, l1_ratio)
    assert kkt <= 1e-8 * alpha_max(X, y)
    ref = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=10**6).fit(X, y)
    f = objective(X, y, est.coef_, est.intercept_, penalty, alpha, l1_ratio)
    f_ref = objective(X, y, ref.coef_, ref.intercept_, penalty, alpha, l1_ratio)
    assert f <= f_ref * (1 + 1e-10)


# ---------------------------------------------------------------------------
# regularization_path(loss="squared_error")
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1.0), ("elasticnet", 0.5)])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_path_starts_at_alpha_max_and_every_point_is_optimal(penalty, l1_ratio, sparse,
                                                             fit_intercept):
    X, y = sparse_problem(seed=12)
    X = X if sparse else X.toarray()
    sw = _sample_weight(X.shape[0])
    tol = 1e-8
    alphas, coefs, intercepts, n_iter = regularization_path(
        X, y, loss="squared_error", penalty=penalty, l1_ratio=l1_ratio, n_alphas=15, eps=1e-3,
        fit_intercept=fit_intercept, sample_weight=sw, tol=tol)
    amax = alpha_max(X, y, sw, fit_intercept)
    assert alphas[0] == pytest.approx(amax / l1_ratio, rel=1e-10)
    np.testing.assert_allclose(alphas, alphas[0] * np.geomspace(1, 1e-3, 15), rtol=1e-10)
    assert coefs.shape == (15, 1, X.shape[1]) and intercepts.shape == (15, 1)
    assert n_iter.shape == (15,)
    assert np.all(coefs[0] == 0.0) and np.count_nonzero(coefs[-1]) > np.count_nonzero(coefs[5])
    for a, c, b in zip(alphas, coefs, intercepts):
        kkt = kkt_violation(X, y, c, b, penalty, a, l1_ratio, sw, fit_intercept)
        assert kkt <= tol * amax * (1 + 1e-6) + 1e-14
        if not fit_intercept:
            assert np.all(b == 0.0)


def test_path_point_equals_single_fit_and_multi_output_shapes():
    X, Y = sparse_problem(seed=13, n_targets=2)
    alphas, coefs, intercepts, _ = regularization_path(X, Y, loss="squared_error", n_alphas=8,
                                                       tol=1e-10)
    assert coefs.shape == (8, 2, X.shape[1]) and intercepts.shape == (8, 2)
    for i in (2, 7):
        single = _fit(X, Y, penalty="l1", alpha=alphas[i], tol=1e-10)
        np.testing.assert_allclose(coefs[i], single.coef_, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(intercepts[i], single.intercept_, rtol=1e-6, atol=1e-8)


def test_l0_path_points_equal_single_l0_fits():
    X, y = dense_problem(seed=14, n=120, p=12)
    alphas, coefs, intercepts, _ = regularization_path(X, y, loss="squared_error", penalty="l0",
                                                       l1_ratio=0.5, n_alphas=8, tol=1e-10)
    assert np.all(coefs[0] == 0.0) and np.count_nonzero(coefs[-1]) > 0
    for i in (3, 7):
        single = _fit(X, y, penalty="l0", alpha=alphas[i], l1_ratio=0.5, tol=1e-10)
        # Both coordinate-wise optimal; warm starts may reach another local optimum only
        # if it is no worse: check the objective, and equality of the support when equal.
        f_path = objective(X, y, coefs[i], intercepts[i], "l0", alphas[i], 0.5)
        f_single = objective(X, y, single.coef_, single.intercept_, "l0", alphas[i], 0.5)
        assert f_path <= f_single * (1 + 1e-9) or np.array_equal(coefs[i][0] != 0,
                                                                  single.coef_ != 0)


def test_path_rejects_bad_arguments():
    X, y = dense_problem(seed=15)
    with pytest.raises(ValueError, match="loss"):
        regularization_path(X, y, loss="hinge")
    with pytest.raises(ValueError, match="alphas"):
        regularization_path(X, y, loss="squared_error", alphas=[0.1, -1.0])
    with pytest.raises(ValueError, match="NaN"):
        regularization_path(X, np.where(np.arange(len(y)) == 3, np.nan, y), loss="squared_error")


# ---------------------------------------------------------------------------
# RegularizedLinearRegressionCV
# ---------------------------------------------------------------------------


def _held_out_neg_mse(X, Y, coef, intercept, sample_weight=None):
    R = _residuals(X, Y, *_rows(coef, intercept))
    s = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    return -np.sum(s[:, None] * R * R) / (s.sum() * R.shape[1])


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_cv_scores_are_held_out_mse_of_fold_paths(sparse, penalty):
    X, y = sparse_problem(seed=16, n=160, p=20, density=0.5)
    X = X if sparse else X.toarray()
    sw = _sample_weight(X.shape[0])
    splits = list(KFold(4, shuffle=True, random_state=0).split(X))
    ratios = [1.0] if penalty == "l1" else [0.3, 0.8]
    cv = RegularizedLinearRegressionCV(penalty=penalty, l1_ratios=None if penalty == "l1"
                                       else ratios, n_alphas=12, cv=splits, tol=1e-9)
    cv.fit(X, y, sample_weight=sw)
    n_r = len(ratios)
    assert cv.scores_.shape == (n_r, 12, 4)
    grids = np.atleast_2d(cv.alphas_)
    assert grids.shape == (n_r, 12)
    for r, rho in enumerate(ratios):
        # Each l1_ratio's grid starts at its own alpha_max = alpha_max_l1 / l1_ratio.
        assert grids[r, 0] == pytest.approx(alpha_max(X, y, sw) / rho, rel=1e-10)
        for k, (train, test) in enumerate(splits):
            _, coefs, intercepts, _ = regularization_path(
                X[train], y[train], loss="squared_error", penalty=penalty, l1_ratio=rho,
                alphas=grids[r], sample_weight=sw[train], tol=1e-9)
            for i in range(12):
                expected = _held_out_neg_mse(X[test], y[test], coefs[i], intercepts[i], sw[test])
                assert cv.scores_[r, i, k] == pytest.approx(expected, rel=1e-6, abs=1e-10)
    mean = cv.scores_.mean(axis=2)
    r, i = np.unravel_index(np.argmax(mean), mean.shape)
    assert cv.alpha_ == grids[r, i] and cv.l1_ratio_ == ratios[r]
    assert cv.cv_results_["rank_test_score"][cv.best_index_] == 1
    np.testing.assert_allclose(cv.cv_results_["mean_test_score"], mean.ravel())
    # The refit: the single estimator at the chosen point, certified on all the data.
    single = _fit(X, y, sw, penalty=penalty, alpha=cv.alpha_, l1_ratio=cv.l1_ratio_, tol=1e-9)
    np.testing.assert_allclose(cv.coef_, single.coef_, rtol=1e-6, atol=1e-8)
    assert cv.intercept_ == pytest.approx(single.intercept_, rel=1e-6)
    assert cv.kkt_violation_ <= 1e-9 * alpha_max(X, y, sw) / cv.l1_ratio_ * (1 + 1e-6)


def test_cv_default_is_five_fold_kfold_and_selects_what_gridsearchcv_selects():
    X, y = diabetes()
    cv = RegularizedLinearRegressionCV(n_alphas=20, tol=1e-10).fit(X, y)
    assert cv.scores_.shape == (1, 20, 5)
    search = GridSearchCV(RegularizedLinearRegression(penalty="l1", tol=1e-10),
                          {"alpha": np.atleast_2d(cv.alphas_)[0]}, cv=KFold(5),
                          scoring="neg_mean_squared_error").fit(X, y)
    np.testing.assert_allclose(cv.cv_results_["mean_test_score"],
                               search.cv_results_["mean_test_score"], rtol=1e-7)
    assert cv.alpha_ == search.best_params_["alpha"]
    assert cv.predict(X).shape == y.shape
    assert cv.score(X, y) == pytest.approx(r2_score(y, cv.predict(X)))


def test_cv_one_standard_error_rule_picks_the_largest_alpha_within_one_se():
    X, y = diabetes()
    best = RegularizedLinearRegressionCV(n_alphas=30).fit(X, y)
    one_se = RegularizedLinearRegressionCV(n_alphas=30, one_standard_error=True).fit(X, y)
    np.testing.assert_array_equal(best.scores_, one_se.scores_)
    mean = one_se.scores_[0].mean(axis=1)
    i_best = np.argmax(mean)
    se = one_se.scores_[0, i_best].std() / np.sqrt(one_se.scores_.shape[2])
    grid = np.atleast_2d(one_se.alphas_)[0]
    chosen = np.flatnonzero(grid == one_se.alpha_)[0]
    assert mean[chosen] >= mean[i_best] - se - 1e-12
    assert np.all(mean[:chosen] < mean[i_best] - se)  # no larger alpha qualifies
    assert one_se.alpha_ > best.alpha_
    assert np.count_nonzero(one_se.coef_) < np.count_nonzero(best.coef_)


def test_cv_l0_and_l2_and_scoring():
    X, y = diabetes()
    l0 = RegularizedLinearRegressionCV(penalty="l0", l1_ratios=[0.5], n_alphas=8, cv=3).fit(X, y)
    assert np.isnan(l0.kkt_violation_)
    assert 0 < np.count_nonzero(l0.coef_) <= X.shape[1]
    l2 = RegularizedLinearRegressionCV(penalty="l2", n_alphas=8, cv=3, scoring="r2",
                                       tol=1e-10).fit(X, y)
    assert np.all(l2.scores_ <= 1.0) and np.all(l2.coef_ != 0)
    search = GridSearchCV(RegularizedLinearRegression(penalty="l2", tol=1e-10),
                          {"alpha": np.atleast_2d(l2.alphas_)[0]}, cv=KFold(3),
                          scoring="r2").fit(X, y)
    assert l2.alpha_ == search.best_params_["alpha"]


def test_cv_errors_name_the_problem():
    X, y = diabetes()
    with pytest.raises(ValueError, match="l1_ratios"):
        RegularizedLinearRegressionCV(penalty="elasticnet", l1_ratios=[1.5]).fit(X, y)
    with pytest.raises(ValueError, match="alphas"):
        RegularizedLinearRegressionCV(alphas=[1.0, -1.0]).fit(X, y)
    with pytest.raises(ValueError, match="penalty"):
        RegularizedLinearRegressionCV(penalty="l3").fit(X, y)
    with pytest.raises(ValueError, match="n_alphas"):
        RegularizedLinearRegressionCV(n_alphas=0).fit(X, y)
    with pytest.raises(ValueError, match="[Cc]annot have number of splits|n_splits|samples"):
        RegularizedLinearRegressionCV(cv=5).fit(X[:3], y[:3])


@pytest.mark.parametrize("y_shape", ["1d", "one_column", "three_columns"])
@pytest.mark.parametrize("cv", [False, True])
def test_fitted_shapes_follow_elastic_net(y_shape, cv):
    rng = np.random.RandomState(0)
    X = rng.randn(40, 5)
    Y = X @ rng.randn(5, 3) + rng.randn(40, 3) * 0.1
    y = {"1d": Y[:, 0], "one_column": Y[:, :1], "three_columns": Y}[y_shape]
    ref = ElasticNet(alpha=0.01).fit(X, y)
    est = (RegularizedLinearRegressionCV(penalty="l1", n_alphas=5, cv=3) if cv
           else RegularizedLinearRegression(penalty="l1", alpha=0.01)).fit(X, y)
    assert est.coef_.shape == ref.coef_.shape
    assert np.shape(est.intercept_) == np.shape(ref.intercept_)
    assert est.predict(X).shape == ref.predict(X).shape


def test_cv_routes_groups_and_scores_with_scoring(metadata_routing):
    """With metadata routing on, ``groups`` reach the splitter inside a search; score() uses scoring."""
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import GroupKFold, cross_validate

    rng = np.random.RandomState(0)
    X = rng.randn(60, 6)
    y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.randn(60)
    groups = np.repeat(np.arange(6), 10)
    est = RegularizedLinearRegressionCV(penalty="l1", n_alphas=5, cv=GroupKFold(3))
    est.fit(X, y, groups=groups)
    ref = RegularizedLinearRegressionCV(penalty="l1", n_alphas=5,
                                        cv=list(GroupKFold(3).split(X, y, groups))).fit(X, y)
    np.testing.assert_array_equal(est.scores_, ref.scores_)
    # Around the CV estimator, a search passes groups on (UnsetMetadataPassedError before).
    result = cross_validate(est, X, y, params={"groups": groups}, cv=GroupKFold(2))
    assert np.all(np.isfinite(result["test_score"]))
    with_scoring = RegularizedLinearRegressionCV(penalty="l1", n_alphas=5, cv=3,
                                                 scoring="neg_mean_absolute_error").fit(X, y)
    assert with_scoring.score(X, y) == get_scorer("neg_mean_absolute_error")(with_scoring, X, y)
    assert est.score(X, y) == pytest.approx(r2_score(y, est.predict(X)))


def test_cv_groups_without_metadata_routing():
    from sklearn.model_selection import GroupKFold

    rng = np.random.RandomState(1)
    X = rng.randn(40, 4)
    y = X[:, 0] + 0.1 * rng.randn(40)
    groups = np.repeat(np.arange(4), 10)
    est = RegularizedLinearRegressionCV(penalty="l1", n_alphas=4, cv=GroupKFold(2))
    est.fit(X, y, groups=groups)
    assert est.scores_.shape == (1, 4, 2)
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        est.fit(X, y, unknown=groups)


@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1.0), ("elasticnet", 0.5)])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_many_samples_per_feature_path_is_optimal_and_equals_the_plain_solver(
        monkeypatch, penalty, l1_ratio, sparse, fit_intercept):
    """n >> p: the path is solved on the p x p design of the Gram matrix (collinear columns
    included); every point is optimal (KKT), equals the CD solver on X itself and scikit-learn's
    enet_path, and its intercepts are the weighted means' (b = ybar - xbar . w)."""
    from sklearn.linear_model import enet_path

    from skreg import _gram

    rng = np.random.RandomState(1)
    n, p = 600, 12
    X = rng.randn(n, p)
    X[:, 1] = X[:, 0] + 0.05 * rng.randn(n)
    X[:, 2] = X[:, 3]  # an exact duplicate: the Gram matrix is singular
    y = X[:, :4] @ rng.randn(4) + rng.randn(n) + 2.0
    sw = rng.uniform(0.5, 2.0, n)
    Xf = sp.csc_matrix(X) if sparse else X
    alphas = alpha_max(X, y, sw, fit_intercept) / l1_ratio * np.geomspace(1.0, 1e-3, 8)

    def path():
        return regularization_path(Xf, y, loss="squared_error", penalty=penalty,
                                   l1_ratio=l1_ratio, alphas=alphas, sample_weight=sw,
                                   fit_intercept=fit_intercept, tol=1e-10)

    def merged(coefs):  # the duplicates' split is not unique for L1: compare their sum
        return np.delete(coefs, 3, axis=2) + np.eye(p - 1)[2] * coefs[:, :, 3:4]

    _, coefs, intercepts, _ = path()
    monkeypatch.setattr(_gram, "_SAMPLES_PER_FEATURE_PATH", 10**9)  # the plain solver
    _, plain, plain_b, _ = path()
    np.testing.assert_allclose(merged(coefs), merged(plain), atol=1e-8)
    np.testing.assert_allclose(intercepts, plain_b, atol=1e-8)
    for alpha, coef, b in zip(alphas, coefs[:, 0], intercepts[:, 0]):
        kkt = kkt_violation(X, y, coef, b, penalty, alpha, l1_ratio, sw, fit_intercept)
        assert kkt <= 1e-9 * alpha_max(X, y, sw, fit_intercept)
    if fit_intercept:
        s = sw / sw.sum()
        np.testing.assert_allclose(intercepts[:, 0], s @ y - coefs[:, 0] @ (s @ X), atol=1e-10)
    else:
        _, ref, _ = enet_path(X * np.sqrt(sw / sw.mean())[:, None], y * np.sqrt(sw / sw.mean()),
                              l1_ratio=l1_ratio, alphas=alphas, tol=1e-14, max_iter=100000)
        f = [objective(X, y, c, 0.0, penalty, a, l1_ratio, sw) for a, c in zip(alphas, coefs[:, 0])]
        f_ref = [objective(X, y, c, 0.0, penalty, a, l1_ratio, sw) for a, c in zip(alphas, ref.T)]
        np.testing.assert_allclose(f, f_ref, rtol=1e-9)


def _spy_on_compress(monkeypatch):
    """A list that receives, for each compression of a squared-loss problem, whether it was
    compressed (False: the solver fell back to X)."""
    from skreg import _gram

    calls, compress = [], _gram.compress

    def spy(*args, **kwargs):
        problem = compress(*args, **kwargs)
        calls.append(problem is not None)
        return problem

    monkeypatch.setattr(_gram, "compress", spy)
    return calls


@pytest.mark.parametrize("sparse", [False, True])
def test_compressed_path_keeps_columns_of_any_scale_and_offset(monkeypatch, sparse):
    """The Gram route's rank cut-off is relative to each column's scale (a column 1e8 times
    larger does not swallow the others) and its centring does not cancel large column means:
    every path point has the objective of the plain solver on X and meets KKT. Sparse X whose
    centring would cancel falls back to X."""
    from skreg import _gram

    rng = np.random.RandomState(3)
    n, p = 150, 40
    X = rng.randn(n, p)
    X[:, 0] *= 1e8
    X[:, 1:] += 1e5 * (not sparse)  # dense: centred without cancelling these means
    X[:, 5:] += 1e4 * sparse  # sparse: centring would cancel, the path is solved on X
    y = 3.0 * X[:, 1] - 2.0 * X[:, 2] + 1e-8 * X[:, 0] + 0.1 * rng.randn(n)
    Xf = sp.csc_matrix(X) if sparse else X
    top = alpha_max(X, y)
    alphas = top * np.geomspace(1.0, 1e-10, 11)

    def path():
        return regularization_path(Xf, y, loss="squared_error", penalty="l1", alphas=alphas,
                                   tol=1e-10, max_iter=100000)

    compressed = _spy_on_compress(monkeypatch)
    _, coefs, intercepts, _ = path()
    assert compressed == [not sparse]
    monkeypatch.setattr(_gram, "_SAMPLES_PER_FEATURE_PATH", 10**9)  # the plain solver
    _, plain, plain_b, _ = path()
    for alpha, coef, b, coef_x, b_x in zip(alphas, coefs[:, 0], intercepts[:, 0], plain[:, 0],
                                           plain_b[:, 0]):
        assert objective(X, y, coef, b, "l1", alpha, 1.0) == pytest.approx(
            objective(X, y, coef_x, b_x, "l1", alpha, 1.0), rel=1e-8)
        assert kkt_violation(X, y, coef, b, "l1", alpha, 1.0) <= 1e-8 * top
    np.testing.assert_allclose(coefs[-1, 0, 1:3], [3.0, -2.0], atol=0.05)


@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1.0), ("elasticnet", 0.5)])
def test_path_on_more_features_than_single_fits_compress_equals_single_fits(
        monkeypatch, penalty, l1_ratio):
    """Paths solve on the Gram problem up to more features than single fits do: with single
    fits on X itself (threshold lowered below p), every path point equals the single fit at its
    alpha and meets KKT (uniform weights, a duplicated and a constant column: rank p - 2)."""
    from skreg import _gram

    rng = np.random.RandomState(4)
    n, p = 500, 12
    X = rng.randn(n, p) + 3.0
    X[:, 5] = X[:, 6]
    X[:, 7] = 1.5
    y = X[:, :3] @ rng.randn(3) + rng.randn(n)
    monkeypatch.setattr(_gram, "_MAX_FEATURES", p - 1)
    compressed = _spy_on_compress(monkeypatch)
    alphas = alpha_max(X, y) / l1_ratio * np.geomspace(1.0, 1e-3, 6)
    _, coefs, intercepts, _ = regularization_path(
        X, y, loss="squared_error", penalty=penalty, l1_ratio=l1_ratio, alphas=alphas, tol=1e-10)
    assert compressed == [True]
    for alpha, coef, b in zip(alphas, coefs[:, 0], intercepts[:, 0]):
        single = _fit(X, y, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, tol=1e-10,
                      max_iter=100000)
        assert objective(X, y, coef, b, penalty, alpha, l1_ratio) == pytest.approx(
            objective(X, y, single.coef_, single.intercept_, penalty, alpha, l1_ratio),
            rel=1e-10)
        assert kkt_violation(X, y, coef, b, penalty, alpha, l1_ratio) <= 1e-9 * alpha_max(X, y)
        assert coef[7] == 0.0


@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1.0), ("elasticnet", 0.5)])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_path_with_more_features_than_samples_equals_single_fits(penalty, l1_ratio, sparse,
                                                                 fit_intercept):
    """p >> n, correlated columns, weights: every point of a warm-started path is KKT-optimal
    and has the objective of a single fit from zero at its alpha; a point whose solution keeps
    the previous point's signs takes one epoch (its start is moved to the solution on the
    support, coefficients leaving the support on the way elsewhere)."""
    rng = np.random.RandomState(7)
    n, p = 40, 120
    X = rng.randn(n, p) + 0.7 * rng.randn(n, 1) + 1.0
    X[:, 9] = X[:, 8]
    y = X[:, :6] @ rng.randn(6) + 0.5 * rng.randn(n)
    sw = rng.uniform(0.5, 2.0, n)
    Xf = sp.csr_matrix(X) if sparse else X
    top = alpha_max(X, y, sw, fit_intercept)
    alphas = top / l1_ratio * np.geomspace(1.0, 1e-2, 30)
    _, coefs, intercepts, n_iter = regularization_path(
        Xf, y, loss="squared_error", penalty=penalty, l1_ratio=l1_ratio, alphas=alphas,
        sample_weight=sw, fit_intercept=fit_intercept, tol=1e-10, max_iter=100000)
    for alpha, coef, b in zip(alphas[::3], coefs[::3, 0], intercepts[::3, 0]):
        single = _fit(Xf, y, sample_weight=sw, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
                      fit_intercept=fit_intercept, tol=1e-10, max_iter=100000)
        assert objective(X, y, coef, b, penalty, alpha, l1_ratio, sw) == pytest.approx(
            objective(X, y, single.coef_, single.intercept_, penalty, alpha, l1_ratio, sw),
            rel=1e-9)
    for alpha, coef, b in zip(alphas, coefs[:, 0], intercepts[:, 0]):
        kkt = kkt_violation(X, y, coef, b, penalty, alpha, l1_ratio, sw, fit_intercept)
        assert kkt <= 1e-9 * top
    signs = np.sign(coefs[:, 0])
    same = np.flatnonzero(np.all(signs[1:] == signs[:-1], axis=1) & signs[1:].any(axis=1)) + 1
    assert same.shape[0] >= 3
    assert np.all(n_iter[same] == 1)


def test_path_on_constant_columns_gives_the_mean(monkeypatch):
    """n >> p with every column constant: the centred Gram matrix is 0 (rank 0); the path's
    coefficients are exactly 0 and its intercepts the mean of y."""
    X = np.full((300, 4), 2.0)
    y = np.random.RandomState(0).randn(300)
    compressed = _spy_on_compress(monkeypatch)
    _, coefs, intercepts, _ = regularization_path(X, y, loss="squared_error", penalty="l1",
                                                  alphas=[1.0, 0.1, 0.01])
    assert compressed == [True]
    assert np.all(coefs == 0.0)
    np.testing.assert_allclose(intercepts, y.mean(), rtol=1e-12)
