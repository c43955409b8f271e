"""Tests of RegularizedLogisticRegression: optimality, agreement with scikit-learn, API."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedLogisticRegression

import _reference as reference

# ---------------------------------------------------------------------------
# The objective and its optimality conditions (numpy only: tests/_reference.py).
# ---------------------------------------------------------------------------


def _penalty_pair(est):
    """The fitted model's penalty as (name, alpha): no penalty is alpha 0."""
    return est.penalty, (0.0 if est.penalty is None else est.alpha)


def _loss_and_grad(X, y, classes, coef, intercept, sample_weight):
    """Weighted mean loss and its gradient w.r.t. coef (K, p) and intercept (K,)."""
    name, Y = reference.targets(y, classes)
    return reference.loss_and_grad(name, X, Y, coef, intercept, sample_weight)


def objective(est, X, y, sample_weight=None):
    name, Y = reference.targets(y, est.classes_)
    penalty, alpha = _penalty_pair(est)
    return reference.objective(name, X, Y, est.coef_, est.intercept_, penalty, alpha,
                               est.l1_ratio, sample_weight)


def kkt_violation(est, X, y, sample_weight=None):
    """max_j dist(-grad_j, alpha * dR(w_j)), and |grad_b| with an intercept."""
    name, Y = reference.targets(y, est.classes_)
    penalty, alpha = _penalty_pair(est)
    return reference.kkt_violation(name, X, Y, est.coef_, est.intercept_, penalty, alpha,
                                   est.l1_ratio, sample_weight, est.fit_intercept)


def _problem(n_classes, seed=0, n_samples=240, n_features=12):
    X, y = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=6, n_redundant=0,
        n_classes=n_classes, flip_y=0.1, class_sep=0.8, random_state=seed,
    )
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet", None])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_kkt_conditions_hold(penalty, n_classes, sparse, dtype, fit_intercept, weighted):
    X, y = _problem(n_classes, seed=n_classes)
    if sparse:
        X = X * (np.random.RandomState(0).rand(*X.shape) < 0.4)  # keep ~40% of the entries
        X = sp.csr_matrix(X)
    X = X.astype(dtype)
    sw = np.random.RandomState(1).uniform(0.2, 3.0, size=y.shape[0]) if weighted else None
    est = RegularizedLogisticRegression(
        penalty=penalty, alpha=0.02, l1_ratio=0.4, fit_intercept=fit_intercept, tol=1e-9,
        max_iter=1000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y, sample_weight=sw)
    assert est.kkt_violation_ <= 1e-9
    assert kkt_violation(est, X, y, sw) <= 1e-8
    n_rows = 1 if n_classes == 2 else n_classes
    assert est.coef_.shape == (n_rows, X.shape[1])
    assert est.intercept_.shape == (n_rows,)
    if not fit_intercept:
        assert np.all(est.intercept_ == 0.0)
    if penalty in ("l1", "elasticnet"):
        assert np.any(est.coef_ == 0.0)


def _sklearn_objective_match(X, y, alpha, l1_ratio, solver, penalty):
    n = X.shape[0]
    C = 1.0 / (alpha * n)
    ref = LogisticRegression(C=C, l1_ratio=l1_ratio, solver=solver, tol=1e-12, max_iter=100000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref.fit(X, y)
    ours = RegularizedLogisticRegression(
        penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, tol=1e-9, max_iter=2000
    ).fit(X, y)
    # Evaluate the scikit-learn solution with the same objective function.
    ref_as_ours = RegularizedLogisticRegression(penalty=penalty, alpha=alpha, l1_ratio=l1_ratio)
    ref_as_ours.classes_, ref_as_ours.coef_, ref_as_ours.intercept_ = (
        ref.classes_, ref.coef_, ref.intercept_,
    )
    f_ours = objective(ours, X, y)
    f_ref = objective(ref_as_ours, X, y)
    assert f_ours <= f_ref * (1 + 1e-7)
    assert abs(f_ours - f_ref) <= 1e-7 * abs(f_ref)
    return ours, ref


@pytest.mark.parametrize(
    "penalty, l1_ratio, solver",
    [("l2", 0.0, "lbfgs"), ("l1", 1.0, "saga"), ("elasticnet", 0.5, "saga")],
)
def test_same_objective_as_sklearn_breast_cancer(penalty, l1_ratio, solver):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours, ref = _sklearn_objective_match(X, y, 0.01, l1_ratio, solver, penalty)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=2e-3)


@pytest.mark.parametrize(
    # saga needs ~11000 epochs to reach tol=1e-12 at alpha=0.02, ~2000 at 0.05 (56 of 640
    # coefficients non-zero): the same multiclass L1 comparison at a fifth of the cost.
    "penalty, l1_ratio, solver, alpha", [("l2", 0.0, "lbfgs", 0.02), ("l1", 1.0, "saga", 0.05)]
)
def test_same_objective_as_sklearn_digits(penalty, l1_ratio, solver, alpha):
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X, y = X[:600], y[:600]
    ours, _ = _sklearn_objective_match(X, y, alpha, l1_ratio, solver, penalty)
    if penalty == "l1":
        assert 0 < np.count_nonzero(ours.coef_) < ours.coef_.size // 4


def test_sparse_l1_with_a_large_support_matches_liblinear():
    # Sparse X wider than its support, at alpha_max / 20: the working sets grow
    # to thousands of columns and CD runs its epochs on sparse columns. liblinear
    # minimises the same objective without an intercept (C = 1 / (alpha n)).
    rng = np.random.default_rng(0)
    n, p = 3000, 2000
    X = sp.random(n, p, density=0.01, format="csc", random_state=rng,
                  data_rvs=rng.standard_normal)
    w = np.zeros(p)
    w[rng.choice(p, 20, replace=False)] = 4.0 * rng.standard_normal(20)
    y = (rng.random(n) < expit(X @ w)).astype(int)
    alpha = np.abs(X.T @ (y - 0.5)).max() / n / 20
    ours = RegularizedLogisticRegression(penalty="l1", alpha=alpha, fit_intercept=False,
                                         tol=1e-10, max_iter=1000).fit(X, y)
    ref = LogisticRegression(C=1.0 / (alpha * n), l1_ratio=1.0, solver="liblinear",
                             fit_intercept=False, tol=1e-8, max_iter=1000).fit(X, y)
    ref_as_ours = RegularizedLogisticRegression(penalty="l1", alpha=alpha, fit_intercept=False)
    ref_as_ours.classes_, ref_as_ours.coef_, ref_as_ours.intercept_ = (
        ref.classes_, ref.coef_, np.zeros(1),
    )
    assert np.count_nonzero(ours.coef_) > 200
    assert kkt_violation(ours, X, y) <= 1e-9 * alpha * 20
    f_ours, f_ref = objective(ours, X, y), objective(ref_as_ours, X, y)
    assert f_ours <= f_ref * (1 + 1e-10)
    assert abs(f_ours - f_ref) <= 1e-9 * f_ref
    np.testing.assert_array_equal(ours.coef_ != 0.0, ref.coef_ != 0.0)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)


def test_l1_gives_exact_zeros_and_more_with_larger_alpha():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    nnz = []
    for alpha in [0.001, 0.01, 0.05]:
        est = RegularizedLogisticRegression(penalty="l1", alpha=alpha, tol=1e-8).fit(X, y)
        nnz.append(np.count_nonzero(est.coef_))
    assert nnz[0] > nnz[1] > nnz[2] > 0
    assert nnz[2] < X.shape[1] // 2


def test_collinear_columns_l2_shares_l1_picks_one():
    rng = np.random.RandomState(0)
    x = rng.randn(500)
    noise = rng.randn(500, 3)
    X = np.column_stack([x, x, noise])  # columns 0 and 1 are identical
    y = (x + 0.5 * rng.randn(500) > 0).astype(int)
    # The certificate bounds the gradient gap of the twin columns, so their
    # difference by ~2 * tol * alpha_max / alpha: tol=1e-10 puts it below 1e-8.
    l2 = RegularizedLogisticRegression(penalty="l2", alpha=0.01, tol=1e-10).fit(X, y)
    assert l2.coef_[0, 0] > 0.1
    np.testing.assert_allclose(l2.coef_[0, 0], l2.coef_[0, 1], rtol=1e-8)
    l1 = RegularizedLogisticRegression(penalty="l1", alpha=0.01, tol=1e-9).fit(X, y)
    pair = np.abs(l1.coef_[0, :2])
    # One column carries the weight; the other is zero up to round-off (its
    # gradient sits exactly on the threshold, so a last-bit error can leave
    # ~1e-16 there).
    assert pair.max() > 0.1
    assert pair.min() <= 1e-12 * pair.max()
    np.testing.assert_allclose(pair.sum(), l1.coef_[0, :2].sum())
    # Both are optimal: the L1 solution carries the same total weight as the L2 one splits.
    assert kkt_violation(l1, X, y) <= 1e-9


def test_dense_and_sparse_give_the_same_model():
    X, y = _problem(3, seed=4)
    X[np.abs(X) < 0.7] = 0.0
    kw = dict(penalty="elasticnet", alpha=0.01, l1_ratio=0.7, tol=1e-9, max_iter=1000)
    dense = RegularizedLogisticRegression(**kw).fit(X, y)
    for fmt in ("csr", "csc"):
        sparse = RegularizedLogisticRegression(**kw).fit(sp.csr_matrix(X).asformat(fmt), y)
        np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-6, atol=1e-9)


def _fit_peak_memory(est, X, y):
    """Peak bytes allocated (numpy included) while ``est`` fits, after a warm-up fit."""
    import tracemalloc

    # Compile outside the measurement: tracemalloc also counts numba's compiler,
    # and a subset of the rows can take another solver path than the whole X.
    est.fit(X, y)
    tracemalloc.start()
    try:
        est.fit(X, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _linear_models():
    from skreg import RegularizedLinearRegression

    return [
        (RegularizedLogisticRegression(penalty="l1", alpha=0.01), "classes"),
        (RegularizedLogisticRegression(penalty="l2", alpha=0.01), "classes"),
        (RegularizedLinearRegression(penalty="l1", alpha=0.01), "real"),
        (RegularizedLinearRegression(penalty="l2", alpha=0.01), "real"),
    ]


@pytest.mark.parametrize("model", range(4))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fortran_input_is_used_without_copy(model, dtype):
    est, target = _linear_models()[model]
    rng = np.random.RandomState(0)
    X = np.asfortranarray(rng.randn(20000, 60).astype(dtype))
    y = X[:, 0] + rng.randn(20000)
    y = (y > 0).astype(int) if target == "classes" else y
    # A copy (or a float64 upcast) of X would allocate at least X.nbytes.
    assert _fit_peak_memory(est, X, y) < 0.5 * X.nbytes


@pytest.mark.parametrize("model", range(4))
def test_sparse_input_is_not_densified(model):
    est, target = _linear_models()[model]
    rng = np.random.RandomState(0)
    X = sp.random(20000, 400, density=0.01, format="csc", random_state=0)
    y = np.asarray(X[:, :5].sum(axis=1)).ravel() + 0.1 * rng.randn(20000)
    y = (y > 0).astype(int) if target == "classes" else y
    dense_bytes = X.shape[0] * X.shape[1] * 8
    assert _fit_peak_memory(est, X, y) < 0.1 * dense_bytes


def test_string_labels_probabilities_and_shapes():
    X, y = _problem(3, seed=2)
    labels = np.array(["cat", "dog", "emu"])[y]
    est = RegularizedLogisticRegression(alpha=0.01).fit(X, labels)
    assert list(est.classes_) == ["cat", "dog", "emu"]
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(est.predict_log_proba(X)), proba, rtol=1e-10)
    assert set(est.predict(X)) <= set(labels)
    assert est.decision_function(X).shape == (X.shape[0], 3)
    assert est.score(X, labels) > 0.6


def test_binary_decision_function_and_probabilities():
    X, y = _problem(2, seed=3)
    est = RegularizedLogisticRegression(alpha=0.01).fit(X, y)
    d = est.decision_function(X)
    assert d.shape == (X.shape[0],)
    np.testing.assert_allclose(est.predict_proba(X)[:, 1], expit(d))
    np.testing.assert_array_equal(est.predict(X), est.classes_[(d > 0).astype(int)])


def test_class_weight_equals_sample_weight():
    X, y = _problem(2, seed=5)
    kw = dict(penalty="l1", alpha=0.01, tol=1e-11, max_iter=1000)
    a = RegularizedLogisticRegression(class_weight={0: 3.0, 1: 1.0}, **kw).fit(X, y)
    b = RegularizedLogisticRegression(**kw).fit(X, y, sample_weight=np.where(y == 0, 3.0, 1.0))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-8, atol=1e-12)
    bal = RegularizedLogisticRegression(class_weight="balanced", **kw).fit(X, y)
    assert kkt_violation(bal, X, y, np.where(y == 0, 1 / np.mean(y == 0), 1 / np.mean(y == 1))) < 1e-8


def test_warm_start_resumes_from_the_solution():
    X, y = _problem(2, seed=6)
    est = RegularizedLogisticRegression(penalty="l1", alpha=0.01, tol=1e-8, warm_start=True)
    est.fit(X, y)
    first = est.coef_.copy()
    est.fit(X, y)
    assert est.n_iter_ == 0
    np.testing.assert_array_equal(est.coef_, first)


def test_convergence_warning_at_max_iter():
    X, y = _problem(3, seed=7)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        RegularizedLogisticRegression(penalty="l1", alpha=1e-4, tol=1e-12, max_iter=1).fit(X, y)


def test_pickle_roundtrip():
    X, y = _problem(2, seed=8)
    est = RegularizedLogisticRegression(penalty="l1", alpha=0.01).fit(X, y)
    clone = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(clone.predict_proba(X), est.predict_proba(X))


def test_gridsearch_over_alpha_and_l1_ratio_in_pipeline():
    X, y = load_breast_cancer(return_X_y=True)
    pipe = Pipeline(
        [("scale", StandardScaler()), ("clf", RegularizedLogisticRegression(penalty="elasticnet"))]
    )
    grid = {"clf__alpha": [1e-3, 1e-2, 1e-1], "clf__l1_ratio": [0.2, 0.8]}
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert search.best_params_["clf__alpha"] in grid["clf__alpha"]
    assert search.cv_results_["mean_test_score"].shape == (6,)
    assert search.best_score_ > 0.95
    # Stronger alpha keeps fewer features.
    nnz = {}
    for alpha in grid["clf__alpha"]:
        pipe.set_params(clf__alpha=alpha, clf__l1_ratio=0.8).fit(X, y)
        nnz[alpha] = np.count_nonzero(pipe[-1].coef_)
    assert nnz[1e-1] < nnz[1e-3]


def test_objective_decreases_with_penalty_none_matches_lbfgs():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)[:, :8]  # not separable: a finite optimum
    ours = RegularizedLogisticRegression(penalty=None, tol=1e-10, max_iter=500).fit(X, y)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-6)


def _force_smooth_solver(monkeypatch, solver):
    """Route L2 / unpenalized fits to one solver: exact-Hessian Newton (the full softmax
    Hessian for the multinomial), Newton-CG or Newton-CD."""
    import skreg._path as solvers
    import skreg._smooth as smooth

    exact = solver == "exact"
    monkeypatch.setattr(smooth, "_EXACT_MAX_FEATURES", 10**9 if exact else -1)
    monkeypatch.setattr(smooth, "_EXACT_MAX_PASSES_DENSE", np.inf)
    monkeypatch.setattr(smooth, "_EXACT_MAX_PASSES_SPARSE", np.inf)
    monkeypatch.setattr(smooth, "_MULTINOMIAL_MAX_SIZE", 10**9 if exact else -1)
    monkeypatch.setattr(solvers, "_CG_MIN_ENTRIES", 0 if solver == "cg" else 10**18)


@pytest.mark.parametrize("penalty", ["l2", None])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_smooth_solvers_are_optimal_and_agree(monkeypatch, penalty, n_classes, sparse, dtype):
    """Each solver of the smooth penalties meets the certificate, and they agree."""
    X, y = _problem(n_classes, seed=10 + n_classes)
    if sparse:
        X = sp.csc_matrix(X * (np.random.RandomState(0).rand(*X.shape) < 0.5))
    X = X.astype(dtype)
    sw = np.random.RandomState(2).uniform(0.5, 2.0, size=y.shape[0])
    fits = {}
    # The exact Hessian serves the binary loss, and the multinomial on dense X.
    for solver in (["exact"] if n_classes == 2 or not sparse else []) + ["cg", "cd"]:
        _force_smooth_solver(monkeypatch, solver)
        est = RegularizedLogisticRegression(penalty=penalty, alpha=0.01, tol=1e-9, max_iter=200)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            est.fit(X, y, sample_weight=sw)
        assert kkt_violation(est, X, y, sw) <= 1e-8
        fits[solver] = est
    for est in fits.values():
        np.testing.assert_allclose(est.coef_, fits["cd"].coef_, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(est.intercept_, fits["cd"].intercept_, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("solver", ["exact", "cg"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_smooth_solvers_weights_are_repeated_rows(monkeypatch, solver, sparse, dtype):
    """Exact-Hessian Newton and Newton-CG: integer weights give the fit of repeated rows."""
    _force_smooth_solver(monkeypatch, solver)
    X, y = _problem(2, seed=31)
    if sparse:
        X = sp.csc_matrix(X * (np.random.RandomState(1).rand(*X.shape) < 0.5))
    X = X.astype(dtype)
    sw = np.random.RandomState(3).randint(0, 4, size=y.shape[0])
    rep = np.repeat(np.arange(y.shape[0]), sw)
    fits = []
    for args in ((X, y, sw), (X[rep], y[rep], None)):
        est = RegularizedLogisticRegression(alpha=1e-3, tol=1e-10, max_iter=200)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            est.fit(*args[:2], sample_weight=args[2])
        assert kkt_violation(est, *args) <= 1e-9
        fits.append(est)
    np.testing.assert_allclose(fits[0].coef_, fits[1].coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fits[0].intercept_, fits[1].intercept_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("equal", [True, False])
def test_exact_hessian_is_the_weighted_gram_matrix(fit_intercept, equal):
    """``X1^T diag(h) X1 + alpha I`` (upper triangle), also when every curvature is the same
    (the first step from zero: one syrk on X itself) and X spans several row blocks."""
    from skreg._cd import design_operator
    from skreg._smooth import exact_hessian
    from skreg._validation import to_design

    rng = np.random.RandomState(0)
    X = rng.randn(1500, 60)
    h = np.full(1500, 0.25 / 1500) if equal else rng.uniform(0.0, 0.25, 1500) / 1500
    design = to_design(X)
    H = exact_hessian(design, design_operator(design), h, 0.3, fit_intercept)
    X1 = np.hstack([X, np.ones((1500, 1))]) if fit_intercept else X
    expected = X1.T @ (h[:, None] * X1)
    expected[np.arange(60), np.arange(60)] += 0.3
    np.testing.assert_allclose(np.triu(H), np.triu(expected), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("penalty", ["l2", None])
def test_multinomial_full_hessian_matches_lbfgs_and_repeated_rows(monkeypatch, penalty):
    """The full softmax Hessian solver: lbfgs's objective, and integer weights = repeated rows."""
    _force_smooth_solver(monkeypatch, "exact")
    X, y = _problem(4, seed=21)
    alpha = 0.01 if penalty else 0.0
    ours = RegularizedLogisticRegression(penalty=penalty, alpha=alpha, tol=1e-10).fit(X, y)
    C = 1.0 / (alpha * X.shape[0]) if penalty else np.inf
    ref = LogisticRegression(C=C, tol=1e-12, max_iter=100000).fit(X, y)
    # lbfgs centres neither W nor b without a penalty: compare the logits' differences.
    centred = lambda Z: Z - Z.mean(axis=1, keepdims=True)  # noqa: E731
    np.testing.assert_allclose(centred(ours.decision_function(X)),
                               centred(ref.decision_function(X)), rtol=1e-5, atol=1e-6)
    sw = np.random.RandomState(0).randint(0, 3, size=X.shape[0])
    rep = np.repeat(np.arange(X.shape[0]), sw)
    weighted = RegularizedLogisticRegression(penalty=penalty, alpha=alpha, tol=1e-10)
    weighted.fit(X, y, sample_weight=sw)
    repeated = RegularizedLogisticRegression(penalty=penalty, alpha=alpha, tol=1e-10)
    repeated.fit(X[rep], y[rep])
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-6, atol=1e-7)


def test_exact_newton_without_penalty_on_collinear_columns(monkeypatch):
    """A singular Hessian (duplicated and all-zero columns, no penalty): the minimum-norm step."""
    _force_smooth_solver(monkeypatch, "exact")
    X, y = _problem(2, seed=3)
    X = np.hstack([X[:, :4], X[:, :1], np.zeros((X.shape[0], 1))])
    est = RegularizedLogisticRegression(penalty=None, tol=1e-10, max_iter=100).fit(X, y)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(X[:, :4], y)
    coef = est.coef_.ravel()
    assert coef[5] == 0.0
    assert coef[0] == pytest.approx(coef[4], rel=1e-6)  # the duplicate shares the weight
    np.testing.assert_allclose(np.r_[coef[0] + coef[4], coef[1:4]], ref.coef_.ravel(),
                               rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------
# regularization_path
# ---------------------------------------------------------------------------


def _as_estimator(penalty, alpha, l1_ratio, classes, coef, intercept, fit_intercept=True):
    est = RegularizedLogisticRegression(penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
                                        fit_intercept=fit_intercept)
    est.classes_, est.coef_, est.intercept_ = classes, coef, intercept
    return est


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1.0), ("elasticnet", 0.5)])
def test_path_starts_at_exact_alpha_max_and_every_point_is_optimal(
    n_classes, fit_intercept, penalty, l1_ratio
):
    from skreg import regularization_path

    X, y = _problem(n_classes, seed=20 + n_classes)
    sw = np.random.RandomState(3).uniform(0.5, 2.0, size=y.shape[0])
    alphas, coefs, intercepts, n_iter = regularization_path(
        X, y, penalty=penalty, l1_ratio=l1_ratio, n_alphas=12, eps=1e-2,
        fit_intercept=fit_intercept, sample_weight=sw, tol=1e-9, max_iter=500,
    )
    classes = np.unique(y)
    assert np.all(np.diff(alphas) < 0)
    assert coefs.shape == (12, 1 if n_classes == 2 else n_classes, X.shape[1])
    # alpha_max is exact: all zero at it, not all zero just below it.
    assert np.all(coefs[0] == 0.0)
    below = RegularizedLogisticRegression(
        penalty=penalty, alpha=alphas[0] * (1 - 1e-3), l1_ratio=l1_ratio,
        fit_intercept=fit_intercept, tol=1e-10, max_iter=500,
    ).fit(X, y, sample_weight=sw)
    assert np.any(below.coef_ != 0.0)
    # Every point satisfies the KKT conditions, computed independently.
    for alpha, coef, intercept in zip(alphas, coefs, intercepts):
        est = _as_estimator(penalty, alpha, l1_ratio, classes, coef, intercept, fit_intercept)
        assert kkt_violation(est, X, y, sw) <= 1e-8
    # Along the path, each point's objective is no higher than any other point's coefficients.
    for i, alpha in enumerate(alphas):
        values = [
            objective(_as_estimator(penalty, alpha, l1_ratio, classes, c, b), X, y, sw)
            for c, b in zip(coefs, intercepts)
        ]
        assert values[i] <= min(values) + 1e-10


def test_path_point_equals_single_fit():
    from skreg import regularization_path

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    alphas, coefs, intercepts, _ = regularization_path(X, y, n_alphas=20, tol=1e-9)
    single = RegularizedLogisticRegression(penalty="l1", alpha=alphas[12], tol=1e-9).fit(X, y)
    np.testing.assert_allclose(coefs[12], single.coef_, atol=1e-6)
    np.testing.assert_allclose(intercepts[12], single.intercept_, atol=1e-6)
    nnz = [np.count_nonzero(c) for c in coefs]
    assert nnz[0] == 0 and nnz[-1] > nnz[5]


def test_path_rejects_bad_arguments():
    from skreg import regularization_path

    X, y = _problem(2)
    with pytest.raises(ValueError, match="penalty"):
        regularization_path(X, y, penalty="l3")
    with pytest.raises(ValueError, match="alphas"):
        regularization_path(X, y, alphas=[0.1, -1.0])
    with pytest.raises(ValueError, match="l1_ratio"):
        regularization_path(X, y, penalty="elasticnet", l1_ratio=1.5)


# ---------------------------------------------------------------------------
# L0
# ---------------------------------------------------------------------------


def _l0_objective(est, X, y, coef, intercept, alpha, l1_ratio):
    name, Y = reference.targets(y, est.classes_)
    return reference.objective(name, X, Y, coef, intercept, "l0", alpha, l1_ratio)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_l0_solution_is_coordinatewise_optimal(n_classes, sparse, l1_ratio):
    from scipy.optimize import minimize_scalar

    X, y = _problem(n_classes, seed=30 + n_classes, n_samples=200, n_features=8)
    if sparse:
        X = sp.csc_matrix(X * (np.random.RandomState(0).rand(*X.shape) < 0.6))
    alpha = 0.01
    est = RegularizedLogisticRegression(penalty="l0", alpha=alpha, l1_ratio=l1_ratio, tol=1e-10,
                                        max_iter=500).fit(X, y)
    assert np.any(est.coef_ == 0.0) and np.any(est.coef_ != 0.0)
    F = _l0_objective(est, X, y, est.coef_, est.intercept_, alpha, l1_ratio)
    for k in range(est.coef_.shape[0]):
        for j in range(est.coef_.shape[1]):
            def F_along(t, k=k, j=j):
                coef = est.coef_.copy()
                coef[k, j] = t
                return _l0_objective(est, X, y, coef, est.intercept_, alpha, l1_ratio)

            # No single-coordinate change lowers the objective: not zero, not the
            # loss's own 1-D optimum, not a small move either way.
            best = minimize_scalar(
                lambda t: F_along(t) - alpha * l1_ratio * (t == 0.0), bracket=(-1.0, 1.0),
                tol=1e-12,
            ).x
            w = est.coef_[k, j]
            for t in (0.0, best, w + 1e-3, w - 1e-3):
                assert F <= F_along(t) + 1e-9


def test_l0_recovers_support_at_least_as_well_as_l1_with_lower_loss():
    from skreg import regularization_path

    wins_l0, wins_l1 = 0, 0
    for seed in range(6):
        rng = np.random.RandomState(seed)
        n, p, k = 400, 20, 4
        cov = 0.5 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))  # correlated features
        X = rng.multivariate_normal(np.zeros(p), cov, size=n)
        true = np.zeros(p)
        support = rng.choice(p, k, replace=False)
        true[support] = rng.choice([-1.0, 1.0], k) * rng.uniform(1.0, 2.0, k)
        y = (rng.rand(n) < expit(X @ true)).astype(int)
        l0 = RegularizedLogisticRegression(penalty="l0", alpha=0.01, l1_ratio=1.0,
                                           tol=1e-8).fit(X, y)
        size = np.count_nonzero(l0.coef_)
        _, coefs, intercepts, _ = regularization_path(X, y, n_alphas=200, eps=1e-3, tol=1e-8)
        same = [i for i, c in enumerate(coefs) if np.count_nonzero(c) == size]
        if not same:
            continue
        i = same[0]
        l1 = _as_estimator("l1", 0.0, 1.0, l0.classes_, coefs[i], intercepts[i])
        loss_l0, _, _ = _loss_and_grad(X, y, l0.classes_, l0.coef_, l0.intercept_, None)
        loss_l1, _, _ = _loss_and_grad(X, y, l1.classes_, l1.coef_, l1.intercept_, None)
        assert loss_l0 <= loss_l1 + 1e-12
        truth = set(support)
        wins_l0 += set(np.flatnonzero(l0.coef_[0])) == truth
        wins_l1 += set(np.flatnonzero(coefs[i][0])) == truth
    assert wins_l0 >= wins_l1
    assert wins_l0 >= 3


@pytest.mark.parametrize("n_classes", [2, 3])
def test_l0_path_points_equal_single_l0_fits(n_classes):
    from skreg import regularization_path

    X, y = _problem(n_classes, seed=40 + n_classes, n_samples=200, n_features=10)
    alphas, coefs, intercepts, n_iter = regularization_path(
        X, y, penalty="l0", l1_ratio=0.5, n_alphas=8, tol=1e-8
    )
    assert np.all(coefs[0] == 0.0)
    assert np.count_nonzero(coefs[-1]) > np.count_nonzero(coefs[3]) > 0
    for i in (2, 5, 7):
        single = RegularizedLogisticRegression(penalty="l0", alpha=alphas[i], l1_ratio=0.5,
                                               tol=1e-8).fit(X, y)
        np.testing.assert_array_equal(coefs[i] != 0, single.coef_ != 0)
        np.testing.assert_allclose(coefs[i], single.coef_, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(intercepts[i], single.intercept_, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------
# RegularizedLogisticRegressionCV
# ---------------------------------------------------------------------------


def _held_out_neg_log_loss(X, y, classes, coef, intercept, sample_weight=None):
    loss, _, _ = _loss_and_grad(X, y, classes, coef, intercept, sample_weight)
    return -loss


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("sparse", [False, True])
def test_cv_scores_are_held_out_losses_of_fold_paths(n_classes, sparse):
    from sklearn.model_selection import StratifiedKFold

    from skreg import RegularizedLogisticRegressionCV, regularization_path

    X, y = _problem(n_classes, seed=50 + n_classes, n_samples=180, n_features=10)
    if sparse:
        X = sp.csr_matrix(X * (np.random.RandomState(0).rand(*X.shape) < 0.5))
    sw = np.random.RandomState(2).uniform(0.5, 2.0, size=y.shape[0])
    splits = list(StratifiedKFold(4, shuffle=True, random_state=0).split(X, y))
    cv = RegularizedLogisticRegressionCV(n_alphas=12, cv=splits, tol=1e-8).fit(X, y, sw)
    assert cv.alphas_.shape == (1, 12) and cv.scores_.shape == (1, 12, 4)
    assert cv.n_iter_.shape == (1, 4, 12) and np.all(cv.n_iter_ >= 1)
    # Independently: the path on each training fold, scored by the numpy loss.
    for k, (train, test) in enumerate(splits):
        _, coefs, intercepts, _ = regularization_path(
            X[train], y[train], alphas=cv.alphas_[0], sample_weight=sw[train], tol=1e-8
        )
        for i in range(12):
            expected = _held_out_neg_log_loss(X[test], y[test], cv.classes_, coefs[i],
                                              intercepts[i], sw[test])
            assert cv.scores_[0, i, k] == pytest.approx(expected, rel=1e-6, abs=1e-9)
    mean = cv.scores_[0].mean(axis=1)
    assert cv.alpha_ == cv.alphas_[0, np.argmax(mean)]
    assert cv.best_index_ == np.argmax(mean)
    assert cv.cv_results_["rank_test_score"][cv.best_index_] == 1
    # The refit is the single estimator at the chosen alpha, certified on all the data.
    single = RegularizedLogisticRegression(penalty="l1", alpha=cv.alpha_, tol=1e-8).fit(X, y, sw)
    np.testing.assert_allclose(cv.coef_, single.coef_, atol=1e-6)
    assert kkt_violation(single, X, y, sw) <= 1e-6


def test_cv_selects_what_gridsearchcv_selects():
    from sklearn.model_selection import StratifiedKFold

    from skreg import RegularizedLogisticRegressionCV

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    splits = list(StratifiedKFold(5, shuffle=True, random_state=1).split(X, y))
    cv = RegularizedLogisticRegressionCV(n_alphas=15, cv=splits, tol=1e-8).fit(X, y)
    search = GridSearchCV(
        RegularizedLogisticRegression(penalty="l1", tol=1e-8),
        {"alpha": cv.alphas_[0]}, cv=splits, scoring="neg_log_loss",
    ).fit(X, y)
    np.testing.assert_allclose(cv.cv_results_["mean_test_score"],
                               search.cv_results_["mean_test_score"], rtol=1e-6)
    assert cv.alpha_ == search.best_params_["alpha"]


def test_cv_one_standard_error_rule_picks_sparsest_within_one_se():
    from skreg import RegularizedLogisticRegressionCV

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    best = RegularizedLogisticRegressionCV(n_alphas=30).fit(X, y)
    one_se = RegularizedLogisticRegressionCV(n_alphas=30, one_standard_error=True).fit(X, y)
    mean = one_se.scores_[0].mean(axis=1)
    i_best = np.argmax(mean)
    se = one_se.scores_[0, i_best].std() / np.sqrt(one_se.scores_.shape[2])
    chosen = np.flatnonzero(one_se.alphas_[0] == one_se.alpha_)[0]
    assert mean[chosen] >= mean[i_best] - se - 1e-12
    assert np.all(mean[:chosen] < mean[i_best] - se)  # no larger alpha qualifies
    assert one_se.alpha_ > best.alpha_
    assert np.count_nonzero(one_se.coef_) < np.count_nonzero(best.coef_)


def test_cv_elastic_net_grid_attributes_and_accuracy_scoring():
    from skreg import RegularizedLogisticRegressionCV

    X, y = _problem(3, seed=7)
    cv = RegularizedLogisticRegressionCV(penalty="elasticnet", l1_ratios=[0.2, 0.9], n_alphas=6,
                                         cv=3, scoring="accuracy").fit(X, y)
    assert cv.alphas_.shape == (2, 6) and cv.scores_.shape == (2, 6, 3)
    # Each l1_ratio's grid starts at its own alpha_max = alpha_max_l1 / l1_ratio.
    np.testing.assert_allclose(cv.alphas_[0, 0] * 0.2, cv.alphas_[1, 0] * 0.9)
    assert cv.l1_ratio_ in (0.2, 0.9)
    res = cv.cv_results_
    assert len(res["mean_test_score"]) == 12
    np.testing.assert_array_equal(res["param_l1_ratio"], np.repeat([0.2, 0.9], 6))
    np.testing.assert_allclose(res["mean_test_score"], cv.scores_.reshape(12, 3).mean(axis=1))
    assert res["param_alpha"][cv.best_index_] == cv.alpha_
    assert res["param_l1_ratio"][cv.best_index_] == cv.l1_ratio_
    assert np.all((cv.scores_ >= 0) & (cv.scores_ <= 1))  # accuracies


def test_cv_refit_false_averages_fold_solutions_and_threads_agree():
    from skreg import RegularizedLogisticRegressionCV

    X, y = _problem(2, seed=8)
    refit = RegularizedLogisticRegressionCV(n_alphas=10, cv=4).fit(X, y)
    averaged = RegularizedLogisticRegressionCV(n_alphas=10, cv=4, refit=False).fit(X, y)
    assert averaged.alpha_ == refit.alpha_
    assert np.isnan(averaged.kkt_violation_) and refit.kkt_violation_ <= 1e-4 * refit.alphas_[0, 0]
    assert not np.allclose(averaged.coef_, refit.coef_)
    threaded = RegularizedLogisticRegressionCV(n_alphas=10, cv=4, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(threaded.scores_, refit.scores_)
    np.testing.assert_array_equal(threaded.coef_, refit.coef_)


def test_cv_l0_and_pipeline_and_errors():
    from sklearn.pipeline import make_pipeline

    from skreg import RegularizedLogisticRegressionCV

    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(),
                         RegularizedLogisticRegressionCV(penalty="l0", n_alphas=8, cv=3))
    pipe.fit(X, y)
    est = pipe[-1]
    assert np.isnan(est.kkt_violation_) and 0 < np.count_nonzero(est.coef_) < X.shape[1] // 2
    assert pipe.score(X, y) > 0.95
    with pytest.raises(ValueError, match="l1_ratios"):
        RegularizedLogisticRegressionCV(penalty="elasticnet", l1_ratios=[1.5]).fit(X, y)


def test_pure_l0_stops_at_a_separating_support_with_a_warning():
    # p > n: small supports separate the data, where pure L0 has no finite minimiser.
    rng = np.random.RandomState(0)
    X = rng.randn(30, 200)
    y = (X[:, 0] + 0.5 * rng.randn(30) > 0).astype(int)
    with pytest.warns(ConvergenceWarning, match="separable"):
        est = RegularizedLogisticRegression(penalty="l0", alpha=1e-3, l1_ratio=1.0).fit(X, y)
    assert np.all(np.isfinite(est.coef_)) and 0 < np.count_nonzero(est.coef_) <= 30
    margin = np.where(y == 1, 1.0, -1.0) * est.decision_function(X)
    assert np.all(margin > 0)  # the support separates the data
    # A ridge term (l1_ratio < 1) makes the problem well posed: no warning, converged.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        RegularizedLogisticRegression(penalty="l0", alpha=1e-3, l1_ratio=0.5).fit(X, y)


# ---------------------------------------------------------------------------
# scikit-learn parity of the logistic estimators (issue 12).
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("sparse", [False, True])
def test_balanced_class_weight_counts_sample_weight_like_repeated_rows(n_classes, sparse):
    X, y = _problem(n_classes, seed=60 + n_classes, n_samples=120, n_features=8)
    w = np.random.RandomState(3).randint(0, 4, size=y.shape[0])  # zeros drop rows
    X_rep, y_rep = np.repeat(X, w, axis=0), np.repeat(y, w)
    if sparse:
        X, X_rep = sp.csr_matrix(X), sp.csr_matrix(X_rep)
    alpha = 0.02
    kw = dict(penalty="l2", alpha=alpha, class_weight="balanced", tol=1e-10, max_iter=1000)
    weighted = RegularizedLogisticRegression(**kw).fit(X, y, sample_weight=w)
    repeated = RegularizedLogisticRegression(**kw).fit(X_rep, y_rep)
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-7, atol=1e-10)
    # scikit-learn: the same class weights, C = 1 / (alpha * sum of sample weights).
    ref = LogisticRegression(C=1.0 / (alpha * w.sum()), class_weight="balanced", tol=1e-12,
                             max_iter=10000).fit(X, y, sample_weight=w)
    coef = ref.coef_ - (ref.coef_.mean(axis=0) if n_classes > 2 else 0.0)
    np.testing.assert_allclose(weighted.coef_, coef, atol=1e-6)
    # The class weights are the weighted ones, so they differ from raw counts here.
    counts = np.bincount(y, weights=w)
    raw = np.bincount(y)
    assert not np.allclose(counts / counts.sum(), raw / raw.sum(), atol=1e-3)


def test_class_weight_key_that_is_not_a_class_raises():
    from skreg import RegularizedLogisticRegressionCV

    X, y = _problem(2, seed=61, n_samples=60, n_features=8)
    for est in (RegularizedLogisticRegression(), RegularizedLogisticRegressionCV(n_alphas=3)):
        for class_weight in ({0: 1.0, 1: 2.0, 5: 3.0}, {0: 1.0, 5: 3.0}):
            with pytest.raises(ValueError, match="class_weight dict must have the class labels"):
                est.set_params(class_weight=class_weight).fit(X, y)
    # Classes a dict leaves out weigh 1; string labels work as keys.
    labels = np.array(["neg", "pos"])[y]
    a = RegularizedLogisticRegression(class_weight={"pos": 2.0}).fit(X, labels)
    b = RegularizedLogisticRegression().fit(X, labels, sample_weight=np.where(y == 1, 2.0, 1.0))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-8)


def _fold_reference_scores(X, y, sw, train, test, classes, alphas):
    """Held-out log-loss and accuracy along ``alphas`` of a fit on ``train`` alone.

    Written independently of the CV estimator: the fold is fitted on the classes
    it has (one class: probability 1 for it), and an absent class gets
    probability 0, scored by scikit-learn's log_loss (which clips at eps).
    """
    from sklearn.metrics import accuracy_score, log_loss

    from skreg import regularization_path

    present = np.unique(y[train])
    P = np.zeros((alphas.shape[0], test.shape[0], classes.shape[0]))
    columns = np.searchsorted(classes, present)
    if present.shape[0] == 1:
        P[:, :, columns[0]] = 1.0
    else:
        _, coefs, intercepts, _ = regularization_path(X[train], y[train], penalty="l2",
                                                      alphas=alphas, sample_weight=sw[train],
                                                      tol=1e-10)
        for i in range(alphas.shape[0]):
            est = RegularizedLogisticRegression()
            est.coef_, est.intercept_, est.classes_ = coefs[i], intercepts[i], present
            P[i][:, columns] = est.predict_proba(X[test])
    neg_log_loss = np.array([-log_loss(y[test], P[i], labels=classes, sample_weight=sw[test])
                             for i in range(alphas.shape[0])])
    accuracy = np.array([accuracy_score(y[test], classes[P[i].argmax(axis=1)],
                                        sample_weight=sw[test])
                         for i in range(alphas.shape[0])])
    return neg_log_loss, accuracy


@pytest.mark.parametrize("case", ["multiclass-groups", "binary-sorted"])
def test_cv_training_folds_missing_a_class_are_fitted_and_scored(case):
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import GroupKFold, KFold, LeaveOneGroupOut

    from skreg import RegularizedLogisticRegressionCV

    rng = np.random.RandomState(4)
    if case == "multiclass-groups":
        X, y = _problem(3, seed=62, n_samples=150, n_features=8)
        # Group 0 holds all of class 0 (its training fold has classes 1, 2 only);
        # groups 1 and 2 split the rest.
        groups = np.where(y == 0, 0, 1 + rng.randint(0, 2, size=y.shape[0]))
        splitters = [LeaveOneGroupOut(), GroupKFold(3)]
    else:
        X, y = _problem(2, seed=63, n_samples=100, n_features=8)
        order = np.argsort(y, kind="stable")
        X, y = X[order], y[order]
        groups = None
        splitters = [KFold(2)]  # each training fold has one class
    sw = rng.uniform(0.5, 2.0, size=y.shape[0])
    classes = np.unique(y)
    for splitter in splitters:
        splits = list(splitter.split(X, y, groups))
        assert any(np.unique(y[train]).shape[0] < classes.shape[0] for train, _ in splits)
        for scoring in (None, "accuracy"):
            cv = RegularizedLogisticRegressionCV(
                penalty="l2", n_alphas=6, cv=splitter, scoring=scoring, tol=1e-10,
            ).fit(X, y, sw, groups=groups)
            for k, (train, test) in enumerate(splits):
                expected = _fold_reference_scores(X, y, sw, train, test, classes,
                                                  cv.alphas_[0])[scoring == "accuracy"]
                np.testing.assert_allclose(cv.scores_[0, :, k], expected, rtol=1e-6,
                                           atol=1e-8)
            assert np.all(np.isfinite(cv.scores_))
            assert cv.coef_.shape == (1 if classes.shape[0] == 2 else 3, X.shape[1])
    # scikit-learn fits the same folds too.
    LogisticRegressionCV(Cs=3, cv=splits, l1_ratios=(0,), scoring="neg_log_loss",
                         use_legacy_attributes=False).fit(X, y)


def test_cv_score_uses_scoring():
    from sklearn.metrics import get_scorer

    from skreg import RegularizedLogisticRegressionCV

    X, y = _problem(3, seed=64, n_samples=150, n_features=8)
    sw = np.random.RandomState(5).uniform(0.5, 2.0, size=y.shape[0])
    for scoring in ("neg_log_loss", "balanced_accuracy", "f1_macro"):
        cv = RegularizedLogisticRegressionCV(n_alphas=4, cv=3, scoring=scoring).fit(X, y)
        expected = get_scorer(scoring)(cv, X, y)
        assert cv.score(X, y) == pytest.approx(expected)
        assert cv.score(X, y, sample_weight=sw) == pytest.approx(
            get_scorer(scoring)(cv, X, y, sample_weight=sw))
    assert cv.score(X, y) != pytest.approx(np.mean(cv.predict(X) == y))
    # Without scoring, alpha is chosen by the held-out log-loss and score() is accuracy.
    cv = RegularizedLogisticRegressionCV(n_alphas=4, cv=3).fit(X, y)
    assert cv.score(X, y) == pytest.approx(np.mean(cv.predict(X) == y))


def _grouped_problem():
    X, y = _problem(2, seed=65, n_samples=120, n_features=8)
    groups = np.arange(y.shape[0]) % 6
    return X, y, groups


def _searches_with_groups(est, X, y, groups, sample_weight=None):
    """A grid search and cross_validate around ``est``, passing ``groups`` (and weights)."""
    from sklearn.model_selection import GroupKFold, cross_validate

    params = {"groups": groups}
    if sample_weight is not None:
        params["sample_weight"] = sample_weight
    grid = {"tol": [1e-4, 1e-6]} if hasattr(est, "n_alphas") else {"Cs": [2, 3]}
    search = GridSearchCV(est, grid, cv=GroupKFold(2)).fit(X, y, **params)
    result = cross_validate(est, X, y, cv=GroupKFold(3), params=params,
                            return_estimator=True)
    return search, result


def test_cv_metadata_routing_passes_groups_to_the_splitter(metadata_routing):
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

    from skreg import RegularizedLogisticRegressionCV

    X, y, groups = _grouped_problem()
    # LogisticRegressionCV works in the same calls; so must the skreg estimator.
    _searches_with_groups(LogisticRegressionCV(cv=GroupKFold(3), l1_ratios=(0,),
                                               scoring="accuracy",
                                               use_legacy_attributes=False), X, y, groups)
    est = RegularizedLogisticRegressionCV(n_alphas=4, cv=GroupKFold(3))
    search, result = _searches_with_groups(est, X, y, groups)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    # The inner splitter got the groups: the fitted models equal direct fits whose folds
    # come from the same groups (GroupKFold raises without groups).
    for model, (train, _) in zip(result["estimator"],
                                 GroupKFold(3).split(X, y, groups)):
        direct = RegularizedLogisticRegressionCV(n_alphas=4, cv=GroupKFold(3)).fit(
            X[train], y[train], groups=groups[train])
        np.testing.assert_array_equal(model.scores_, direct.scores_)
    # A splitter without groups: groups are not requested, and no error.
    _searches_with_groups(RegularizedLogisticRegressionCV(n_alphas=4, cv=3), X, y, groups)
    # sample_weight must be requested, as for any consumer.
    w = np.random.RandomState(6).uniform(0.5, 2.0, size=y.shape[0])
    from sklearn.exceptions import UnsetMetadataPassedError

    with pytest.raises(UnsetMetadataPassedError):
        _searches_with_groups(est, X, y, groups, sample_weight=w)
    from sklearn.metrics import accuracy_score, make_scorer

    requested = RegularizedLogisticRegressionCV(n_alphas=4, cv=LeaveOneGroupOut())
    requested.set_fit_request(sample_weight=True)
    scorer = make_scorer(accuracy_score).set_score_request(sample_weight=True)
    search = GridSearchCV(requested, {"tol": [1e-4, 1e-6]}, cv=GroupKFold(2),
                          scoring=scorer).fit(X, y, groups=groups, sample_weight=w)
    # The refit got both: its fold scores are those of a direct weighted, grouped fit.
    direct = RegularizedLogisticRegressionCV(n_alphas=4, cv=LeaveOneGroupOut(),
                                             tol=search.best_params_["tol"])
    direct.fit(X, y, w, groups=groups)
    np.testing.assert_array_equal(search.best_estimator_.scores_, direct.scores_)
    # Direct fit with routing on: groups reach the splitter.
    routed = RegularizedLogisticRegressionCV(n_alphas=4, cv=GroupKFold(3)).fit(X, y,
                                                                              groups=groups)
    with pytest.raises(ValueError, match="groups"):
        RegularizedLogisticRegressionCV(n_alphas=4, cv=GroupKFold(3)).fit(X, y)
    assert routed.scores_.shape == (1, 4, 3)


def test_cv_groups_without_metadata_routing():
    from sklearn.model_selection import GroupKFold

    from skreg import RegularizedLogisticRegressionCV

    X, y, groups = _grouped_problem()
    est = RegularizedLogisticRegressionCV(n_alphas=4, cv=GroupKFold(3)).fit(X, y, groups=groups)
    splits = list(GroupKFold(3).split(X, y, groups))
    same = RegularizedLogisticRegressionCV(n_alphas=4, cv=splits).fit(X, y)
    np.testing.assert_array_equal(est.scores_, same.scores_)
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        est.fit(X, y, groups=groups, other=1)


def test_sparsify_and_densify():
    from skreg import RegularizedLogisticRegressionCV

    X, y = _problem(3, seed=66, n_samples=150, n_features=20)
    for est in (RegularizedLogisticRegression(penalty="l1", alpha=0.05),
                RegularizedLogisticRegressionCV(n_alphas=5, cv=3)):
        with pytest.raises(Exception, match="fitted"):
            clone_est = pickle.loads(pickle.dumps(est))
            clone_est.sparsify()
        est.fit(X, y)
        dense = est.coef_.copy()
        proba = est.predict_proba(X)
        assert est.sparsify() is est
        assert sp.issparse(est.coef_) and est.coef_.nnz == np.count_nonzero(dense) < dense.size
        np.testing.assert_array_equal(est.coef_.toarray(), dense)
        np.testing.assert_allclose(est.predict_proba(X), proba, rtol=1e-12)
        np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))
        assert est.densify() is est
        assert isinstance(est.coef_, np.ndarray)
        np.testing.assert_array_equal(est.coef_, dense)
    # A warm start from a sparsified model starts where it was.
    est = RegularizedLogisticRegression(penalty="l1", alpha=0.05, warm_start=True).fit(X, y)
    est.sparsify().fit(X, y)
    assert isinstance(est.coef_, np.ndarray) and est.n_iter_ <= 1


@pytest.mark.parametrize("failure", ["keyboard-interrupt", "error"])
def test_interrupted_or_failed_cv_fit_stops_its_threads_and_restores_blas(failure):
    import _thread
    import gc
    import signal
    import threading

    from threadpoolctl import threadpool_info, threadpool_limits

    from skreg import RegularizedLogisticRegressionCV

    def blas_threads():
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    X, y = _problem(3, seed=67, n_samples=200, n_features=10)
    n_alphas, trigger = 40, 4
    calls, lock, never = [], threading.Lock(), threading.Event()

    def scorer(est, X_test, y_test):
        with lock:
            calls.append(threading.get_ident())
            n = len(calls)
        if n == trigger:
            if failure == "error":
                raise RuntimeError("scorer failed")
            _thread.interrupt_main()  # a Ctrl-C, delivered to the main thread
        elif n > trigger:
            never.wait(1.0)  # later points crawl: only cancellation ends the paths
        return est.score(X_test, y_test)

    def ctrl_c(signum, frame):  # Python's default SIGINT handler, whatever was set before
        raise KeyboardInterrupt

    expected = KeyboardInterrupt if failure == "keyboard-interrupt" else RuntimeError
    before = set(threading.enumerate())
    # ``interrupt_main`` does nothing unless Python handles SIGINT, and a
    # KeyboardInterrupt raised while the main thread runs a finalizer (a
    # garbage collection of objects other tests left behind) is printed and
    # dropped, so the fit would run to its end: install the handler and keep
    # the collector out of the main thread while the Ctrl-C is due.
    with threadpool_limits(limits=2, user_api="blas"):
        previous_handler = signal.signal(signal.SIGINT, ctrl_c)
        gc.collect()
        gc.disable()
        try:
            with pytest.raises(expected):
                RegularizedLogisticRegressionCV(n_alphas=n_alphas, cv=4, n_jobs=2,
                                                scoring=scorer).fit(X, y)
        finally:
            gc.enable()
            signal.signal(signal.SIGINT, previous_handler)
        for thread in set(threading.enumerate()) - before:
            thread.join(timeout=30)
            assert not thread.is_alive(), thread
        # Every job stopped within a path point of the failure (without the
        # cancellation, the paths in flight would run to their end).
        assert len(calls) <= trigger + 2 < n_alphas
        assert blas_threads() and all(n == 2 for n in blas_threads())
        # The next fit is unaffected.
        again = RegularizedLogisticRegressionCV(n_alphas=5, cv=4, n_jobs=2).fit(X, y)
        fresh = RegularizedLogisticRegressionCV(n_alphas=5, cv=4).fit(X, y)
        np.testing.assert_array_equal(again.scores_, fresh.scores_)
        assert all(n == 2 for n in blas_threads())
