"""The linear core: every registered (datafit, penalty) pair is solved to optimality.

The datafits (``skreg.datafits.CODES``) and penalties (``skreg.penalties.CODES``)
are solved by the same solvers. Each pair is checked here against the numpy
reference of tests/_reference.py, written from the objective alone,

    F(W, b) = sum_i s_i loss(y_i, W x_i + b) + alpha * R(W),   sum_i s_i = 1,

so a datafit or a penalty is tested by being registered (and given its
reference there): the convex penalties by their KKT conditions, L0L2 by
coordinate-wise optimality.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize_scalar

from skreg import _cd, _l0, datafits, penalties
from skreg._path import fit_point
from skreg._validation import to_design

from _reference import CONVEX, LOSSES, PENALTIES, alpha_max, kkt_violation, loss_and_grad

ALPHA, RHO = 0.02, 0.5


def test_every_registered_datafit_and_penalty_has_a_reference():
    assert set(datafits.CODES) == set(LOSSES)
    assert set(penalties.CODES) == set(PENALTIES)
    assert set(penalties.CODES) - {"l0"} == set(CONVEX)


def _problem(name, sparse, seed=0, n=80, p=8):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    X[:, 3] = X[:, 2] + 0.1 * rng.randn(n)  # correlated columns
    w = np.zeros((3, p))
    w[:, :3] = rng.randn(3, 3)
    Z = X @ w.T + 0.3 * rng.randn(n, 3)
    if name == "logistic":
        Y = (Z[:, :1] > 0).astype(float)
        flip = rng.rand(n) < 0.15
        Y[flip] = 1.0 - Y[flip]
    elif name == "multinomial":
        Y = np.eye(3)[np.argmax(Z + rng.gumbel(size=Z.shape), axis=1)]
    else:
        Y = Z[:, :2] + 1.5  # two targets, non-zero means
    if sparse:
        X = sp.csc_matrix(X * (rng.rand(n, p) < 0.6))
    sw = rng.uniform(0.2, 2.0, n)
    return X, Y, sw / sw.sum()


def _fit(name, penalty, X, Y, sw, fit_intercept, tol=1e-10, max_iter=2000, rho=RHO, alpha=ALPHA):
    datafit = datafits.Datafit(datafits.CODES[name], Y, sw)
    pen = penalties.make_penalty(penalty, alpha, rho)
    W, b = np.zeros((Y.shape[1], X.shape[1])), np.zeros(Y.shape[1])
    W, b, _, _, kkt = fit_point(to_design(X), datafit, pen, fit_intercept, W, b, tol, max_iter)
    return W, b, kkt


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty", sorted(CONVEX, key=str))
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_convex_pairs_meet_the_kkt_conditions(name, penalty, sparse, fit_intercept):
    X, Y, sw = _problem(name, sparse)
    alpha = 0.2 * alpha_max(name, X, Y, sw, fit_intercept)
    W, b, kkt = _fit(name, penalty, X, Y, sw, fit_intercept, alpha=alpha)
    assert kkt_violation(name, X, Y, W, b, penalty, alpha, RHO, sw, fit_intercept) <= 1e-8
    assert kkt <= 1e-8
    if not fit_intercept:
        assert np.all(b == 0.0)
    if penalty in ("l1", "elasticnet"):
        assert np.any(W == 0.0) and np.any(W != 0.0)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_l0_pairs_are_coordinatewise_optimal(name, sparse, l1_ratio):
    X, Y, sw = _problem(name, sparse, seed=1)
    alpha = 0.05 * alpha_max(name, X, Y, sw)
    W, b, kkt = _fit(name, "l0", X, Y, sw, True, tol=1e-9, max_iter=500, rho=l1_ratio,
                     alpha=alpha)
    assert np.isnan(kkt)

    def F(W_):
        loss, _, _ = loss_and_grad(name, X, Y, W_, b, sw)
        return loss + np.sum(PENALTIES["l0"](W_, alpha, l1_ratio))

    f = F(W)
    slack = 1e-9 * max(1.0, abs(f))
    for k in range(W.shape[0]):
        for j in range(W.shape[1]):
            def along(s):
                W_ = W.copy()
                W_[k, j] = s
                return F(W_)

            best = minimize_scalar(along, bracket=(W[k, j] - 1.0, W[k, j] + 1.0), tol=1e-12)
            assert f <= min(along(0.0), best.fun) + slack, (k, j)
    assert np.any(W == 0.0) and np.any(W != 0.0)
    # The smooth part is stationary on the support, and in the intercepts.
    _, grad, grad_b = loss_and_grad(name, X, Y, W, b, sw)
    on = W != 0.0
    assert np.abs((grad + alpha * (1.0 - l1_ratio) * W)[on]).max() <= 1e-7
    assert np.abs(grad_b).max() <= 1e-7


def _columns(design):
    """``(rows, vals)`` of every column of a design, as the L0 sweep reads them."""
    n = design.n_samples
    all_rows = np.arange(n, dtype=design.indices.dtype)
    for j in range(design.n_features):
        if design.is_sparse:
            lo, hi = design.indptr[j], design.indptr[j + 1]
            yield design.indices[lo:hi], design.data[lo:hi]
        else:
            yield all_rows, design.X_flat[j * n:(j + 1) * n]


@pytest.mark.parametrize("ridge", [0.0, 0.01])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_l0_screen_never_rejects_a_coordinate_that_would_enter(name, sparse, ridge):
    """``cannot_enter`` is safe: whenever it says a coordinate at zero stays there,
    the exact 1-D minimisation finds no value beating zero by the cost.

    Costs are set around each coordinate's exact decrease (just above and
    below it, and well above: where the screen must settle most), at logits
    large enough that many samples saturate, with some zero weights.
    """
    rng = np.random.RandomState(0)
    n, p = 60, 30
    X = rng.randn(n, p) * rng.uniform(0.1, 3.0, p)
    if sparse:
        X = sp.csc_matrix(X * (rng.rand(n, p) < 0.3))
    K = {"logistic": 1, "multinomial": 3, "squared": 2}[name]
    Z = 4.0 * rng.randn(n, K)
    Y = {"logistic": (rng.rand(n, 1) < 0.5).astype(float),
         "multinomial": np.eye(3)[rng.randint(3, size=n)],
         "squared": Z + rng.randn(n, K)}[name]
    sw = rng.uniform(0.0, 2.0, n)
    sw[:3] = 0.0
    datafit = datafits.Datafit(datafits.CODES[name], Y, sw / sw.sum())
    screened = {factor: [] for factor in (0.99, 1.01, 10.0)}
    for k in range(K):
        rest = _l0.logits_against(datafit, Z, k)
        for rows, vals in _columns(to_design(X)):
            _, f_best, f_zero = _l0.minimise_along(datafit, Z, k, rows, vals, ridge, rest)
            for factor, out in screened.items():
                cost = factor * (f_zero - f_best)
                if cost > 0.0:
                    stays = _l0.cannot_enter(datafit, Z, k, rows, vals, cost, ridge, rest)
                    assert not (stays and f_best + cost < f_zero), (k, factor)
                    out.append(stays)
    assert not any(screened[0.99])
    assert np.mean(screened[10.0]) >= 0.3
    if name == "squared":  # the bound is the exact decrease
        assert all(screened[1.01])


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_l0_screened_sweeps_give_the_fit_of_exact_sweeps(name, sparse, l1_ratio):
    """The screen only skips work: from the same start, with and without it, L0
    ends at the same support and coefficients after the same epochs."""
    X, Y, sw = _problem(name, sparse, seed=2, n=60, p=40)
    alpha = 0.05 * alpha_max(name, X, Y, sw)
    datafit = datafits.Datafit(datafits.CODES[name], Y, sw)
    W0, b0, _ = _fit(name, "l1", X, Y, sw, True, alpha=alpha)  # the solver's warm start
    fits = []
    for screen in (True, False):
        W, b = W0.copy(), b0.copy()
        epochs = _l0.l0_solve(to_design(X), datafit, alpha, l1_ratio, True, W, b, 1e-9, 500,
                              screen=screen)
        fits.append((W, b, epochs))
    (W, b, epochs), (W_exact, b_exact, epochs_exact) = fits
    assert epochs == epochs_exact and epochs[0] < 500
    np.testing.assert_array_equal(W != 0.0, W_exact != 0.0)
    assert 0 < np.count_nonzero(W) < W.size // 2
    np.testing.assert_allclose(W, W_exact, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b, b_exact, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("penalty", sorted(PENALTIES, key=str))
def test_penalty_value_matches_reference(name, penalty):
    W = np.random.RandomState(3).randn(2, 5) * (np.arange(5) % 2)
    pen = penalties.make_penalty(penalty, ALPHA, RHO)
    rho = {"l1": 1.0, "l2": 0.0}.get(penalty, RHO)
    alpha = 0.0 if penalty is None else ALPHA
    assert penalties.value(pen, W) == pytest.approx(np.sum(PENALTIES[penalty](W, alpha, rho)))


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l0"])
def test_prox_minimises_its_objective(penalty):
    pen = penalties.make_penalty(penalty, 0.3, RHO)
    rho = 1.0 if penalty == "l1" else RHO
    grid = np.concatenate([np.linspace(-3, 3, 6001), [0.0]])
    for x in np.linspace(-2.0, 2.0, 41):
        for step in (0.5, 2.0):
            w = penalties.prox(pen.code, x, step, pen.alpha, pen.l1_ratio)

            def objective(v):  # elementwise
                return (v - x) ** 2 / (2 * step) + PENALTIES[penalty](v, pen.alpha, rho)

            assert objective(w) <= objective(grid).min() + 1e-9


def test_kernel_calls_read_a_bounded_number_of_entries(monkeypatch):
    """No kernel call does unbounded work (a KeyboardInterrupt is seen between calls).

    With the per-call budget set small, every coordinate-descent and L0 call
    stays within it (one epoch / one column at least) and the fit is the one
    computed with the default budget.
    """
    cases = [("squared", "l1", 400), ("squared", "l0", 400), ("logistic", "l1", 400)]
    problems = {name: _problem(name, sparse=False, n=n, p=8) for name, _, n in cases}
    reference = [_fit(name, pen, *problems[name], True)[0] for name, pen, _ in cases]
    budget = 2000
    calls = {"cd": [], "l0": []}
    epochs, sweep = _cd.cd_quadratic_model, _l0.l0_sweep

    def counted_epochs(X_, ws, nws, *args):
        out = epochs(X_, ws, nws, *args)
        calls["cd"].append((out[2], X_.n_samples * nws))  # (epochs run, entries per epoch)
        return out

    def counted_sweep(X_, datafit, Z, W, k, j_start, j_stop, *args):
        calls["l0"].append((j_stop - j_start, X_.n_samples))  # (columns, entries per column)
        return sweep(X_, datafit, Z, W, k, j_start, j_stop, *args)

    monkeypatch.setattr(_cd, "ENTRIES_PER_CALL", budget)
    monkeypatch.setattr(_l0, "ENTRIES_PER_CALL", budget)
    monkeypatch.setattr(_cd, "cd_quadratic_model", counted_epochs)
    monkeypatch.setattr(_l0, "l0_sweep", counted_sweep)
    bounded = [_fit(name, pen, *problems[name], True)[0] for name, pen, _ in cases]
    assert len(calls["cd"]) > 10 and len(calls["l0"]) > 10
    # Within the budget, or the smallest unit of work: one epoch, one column.
    assert all(ran * entries <= budget or ran == 1 for ran, entries in calls["cd"])
    assert all(4 * cols * entries <= budget or cols == 1 for cols, entries in calls["l0"])
    for a, b in zip(reference, bounded):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def _wide_problem(name, sparse, seed=1, n=120, p=60):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    X[:, 1] = X[:, 0] + 0.2 * rng.randn(n)
    z = X[:, :6] @ rng.randn(6)
    Y = (z + 0.5 * rng.randn(n) > 0).astype(float)[:, None] if name == "logistic" else (
        np.column_stack([z + 1.0]))
    if sparse:
        X = sp.csc_matrix(X * (rng.rand(n, p) < 0.5))
    sw = rng.uniform(0.5, 1.5, n)
    return X, Y, sw / sw.sum()


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("name", ["logistic", "squared"])
def test_strong_rule_path_meets_the_certificate_and_matches_unscreened_fits(name, penalty,
                                                                            sparse):
    """Screened path points equal fits from scratch, with the KKT certificate at every point."""
    from skreg._path import path_points

    X, Y, sw = _wide_problem(name, sparse)
    datafit = datafits.Datafit(datafits.CODES[name], Y, sw)
    template = penalties.make_penalty(penalty, 1.0, RHO)
    top = alpha_max(name, X, Y, sw) / template.l1_ratio
    alphas = top * np.geomspace(1.0, 0.01, 15)
    tol = 1e-8
    for alpha, (W, b, _, _, kkt) in zip(alphas, path_points(to_design(X), datafit, template,
                                                              alphas, True, tol, 5000)):
        assert kkt <= tol * top * template.l1_ratio
        assert kkt_violation(name, X, Y, W, b, penalty, alpha, RHO, sw) <= 2 * tol * top
        W_ref, b_ref, _ = _fit(name, penalty, X, Y, sw, True, tol=1e-11, max_iter=20000,
                               alpha=alpha)
        np.testing.assert_allclose(W, W_ref, atol=1e-5 * max(1.0, np.abs(W_ref).max()))


@pytest.mark.parametrize("n, p", [(500, 50), (60, 1000)])
def test_logistic_path_points_start_from_the_extrapolated_solution(n, p):
    """A binary L1 path point starts from the first-order prediction of the last two solutions:
    on a 30-point geometric grid it needs fewer than 1.7 Newton steps per point on average
    (starting from the last solution alone takes 1.8 and 2.7), every point within the KKT target."""
    from sklearn.datasets import make_classification

    from skreg import regularization_path

    X, y = make_classification(n, p, n_informative=10, random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    tol = 1e-4
    alphas, coefs, intercepts, n_iter = regularization_path(X, y, n_alphas=30, eps=1e-2, tol=tol)
    assert n_iter[1:].mean() < 1.7
    Y = y[:, None].astype(float)
    top = alpha_max("logistic", X, Y)
    for alpha, W, b in zip(alphas, coefs, intercepts):
        assert kkt_violation("logistic", X, Y, W, b, "l1", alpha) <= 1.01 * tol * top


@pytest.mark.parametrize("name, fractions", [("logistic", (0.25, 0.15)),
                                             ("squared", (0.15, 0.1))])
def test_strong_rule_wrongly_discarded_feature_comes_back(name, fractions):
    """A feature the strong rule discards but the solution needs is restored by the certificate."""
    X, Y, sw = _wide_problem(name, sparse=False)
    design = to_design(X)
    datafit = datafits.Datafit(datafits.CODES[name], Y, sw)
    top = alpha_max(name, X, Y, sw)
    alpha_1, alpha_2 = fractions[0] * top, fractions[1] * top  # a feature enters between
    W, b = np.zeros((1, X.shape[1])), np.zeros(1)
    rule = _cd.StrongRule()
    tol = 1e-9
    _cd.newton_cd_solve(design, datafit, penalties.make_penalty("l1", alpha_1), True, W, b, tol,
                        5000, 64, scale=top, strong_rule=rule)
    W_ref, b_ref, _ = _fit(name, "l1", X, Y, sw, True, tol=1e-11, alpha=alpha_2)
    newcomers = np.flatnonzero((W_ref[0] != 0.0) & (W[0] == 0.0))
    assert newcomers.size > 0
    j = newcomers[0]
    # Tamper with the remembered gradient: the rule now discards feature j.
    rule.grad = rule.grad.copy()
    rule.grad[0, j] = 0.0
    assert j not in rule.working_sets(W, penalties.make_penalty("l1", alpha_2))[0]
    info = _cd.newton_cd_solve(design, datafit, penalties.make_penalty("l1", alpha_2), True, W, b,
                               tol, 5000, 64, scale=top, strong_rule=rule)
    assert info.kkt <= info.kkt_tol
    assert W[0, j] != 0.0
    assert kkt_violation(name, X, Y, W, b, "l1", alpha_2, 1.0, sw) <= 2 * tol * top
    np.testing.assert_allclose(W, W_ref, atol=1e-6 * np.abs(W_ref).max())


def test_fit_stops_at_the_first_step_where_the_certificate_holds():
    """No Newton step is taken once the full certificate holds.

    The solver is deterministic, so stopping it after k steps (max_iter=k)
    shows the path it takes; the full run must stop at the first k whose
    certificate (computed independently) is met.
    """
    X, Y, sw = _wide_problem("logistic", sparse=False)
    design = to_design(X)
    datafit = datafits.Datafit(datafits.LOGISTIC, Y, sw)
    top = alpha_max("logistic", X, Y, sw)
    pen = penalties.make_penalty("l1", 0.05 * top)
    tol = 1e-6

    def run(max_iter):
        W, b = np.zeros((1, X.shape[1])), np.zeros(1)
        info = _cd.newton_cd_solve(design, datafit, pen, True, W, b, tol, max_iter, 64)
        return info, kkt_violation("logistic", X, Y, W, b, "l1", pen.alpha, 1.0, sw)

    full, _ = run(1000)
    assert full.kkt <= full.kkt_tol and full.n_iter > 2
    met = [run(k)[1] <= full.kkt_tol * (1 - 1e-9) for k in range(1, full.n_iter + 1)]
    assert met[-1] and not any(met[:-1])


@pytest.mark.parametrize("name", ["logistic", "squared"])
def test_unreachable_tol_stops_early_with_a_warning(name):
    """tol=1e-18 is below floating point: the fit stops once nothing moves, and says so."""
    from sklearn.exceptions import ConvergenceWarning

    from skreg import RegularizedLinearRegression, RegularizedLogisticRegression

    X, Y, sw = _wide_problem(name, sparse=False)
    est = (RegularizedLogisticRegression if name == "logistic" else RegularizedLinearRegression)(
        penalty="l1", alpha=0.05 * alpha_max(name, X, Y, sw), tol=1e-18,
        max_iter=10000)
    with pytest.warns(ConvergenceWarning, match="floating point"):
        est.fit(X, Y[:, 0])
    assert est.n_iter_ < 10000


def _wide_logistic(seed=0, n=40, p=800):
    """p >> n: where a small KKT violation can leave the objective 1e-5 above its minimum."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    X[:, 1] = X[:, 0] + 0.1 * rng.randn(n)
    y = (X[:, :5] @ rng.randn(5) + 0.5 * rng.randn(n) > 0).astype(float)
    sw = rng.uniform(0.5, 1.5, n)
    return X, y[:, None], sw / sw.sum()


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_duality_gap_bounds_the_distance_to_the_minimum(penalty, fit_intercept):
    """At rough and exact solutions the gap is at least P - P* (a valid certificate) and
    vanishes at the minimum."""
    from _reference import objective

    X, Y, sw = _wide_logistic()
    datafit = datafits.Datafit(datafits.LOGISTIC, Y, sw)
    alpha = 0.1 * alpha_max("logistic", X, Y, sw, fit_intercept) / (RHO if penalty != "l1"
                                                                      else 1.0)
    pen = penalties.make_penalty(penalty, alpha, RHO)
    norms = np.linalg.norm(X, axis=0)

    def fit_and_gap(tol):
        W, b = np.zeros((1, X.shape[1])), np.zeros(1)
        fit_point(to_design(X), datafit, pen, fit_intercept, W, b, tol, 10000)
        Z = X @ W.T + b
        grad = (X.T @ (sw * (1.0 / (1.0 + np.exp(-Z[:, 0])) - Y[:, 0])))[None, :]
        gap, primal = _cd.duality_gap(datafit, pen, fit_intercept, W, Z, grad, norms)
        assert primal == pytest.approx(objective("logistic", X, Y, W, b, penalty, alpha, RHO,
                                                 sw), rel=1e-12)
        return gap, primal

    gap_star, p_star = fit_and_gap(1e-12)
    assert -1e-14 <= gap_star <= 1e-9 * p_star  # zero up to round-off
    for tol in (1e-1, 1e-2, 1e-3):
        gap, primal = fit_and_gap(tol)
        assert gap >= primal - p_star - 1e-14
        assert gap > 0.0


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_logistic_path_points_certify_the_objective(penalty):
    """On p >> n data every point of a path at the default tol is within tol / 100 (relative)
    of the minimum (duality gap, or a tenth of the KKT target), where single fits stopped by
    the KKT certificate alone are 1e-5 off."""
    from skreg._path import path_points

    from _reference import objective

    X, Y, sw = _wide_logistic()
    design = to_design(X)
    datafit = datafits.Datafit(datafits.LOGISTIC, Y, sw)
    template = penalties.make_penalty(penalty, 1.0, RHO)
    alphas = alpha_max("logistic", X, Y, sw) / template.l1_ratio * np.geomspace(1.0, 0.01, 20)
    path_error, kkt_only_error = 0.0, 0.0
    for alpha, (W, b, _, _, _) in zip(alphas, path_points(design, datafit, template, alphas,
                                                            True, 1e-4, 1000)):
        pen = penalties.make_penalty(penalty, alpha, RHO)
        value = objective("logistic", X, Y, W, b, penalty, alpha, RHO, sw)
        W_ref, b_ref, _ = _fit("logistic", penalty, X, Y, sw, True, tol=1e-12, max_iter=10000,
                               alpha=alpha)
        best = objective("logistic", X, Y, W_ref, b_ref, penalty, alpha, RHO, sw)
        W1, b1 = np.zeros((1, X.shape[1])), np.zeros(1)
        fit_point(design, datafit, pen, True, W1, b1, 1e-4, 1000)
        single = objective("logistic", X, Y, W1, b1, penalty, alpha, RHO, sw)
        path_error = max(path_error, (value - best) / best)
        kkt_only_error = max(kkt_only_error, (single - best) / best)
    assert path_error <= 1e-6
    if penalty == "l1":
        # The case the gap is for. (The elastic net's single fits land within 1e-7 as CD's
        # Newton steps on the support solve their last models exactly.)
        assert kkt_only_error > 1e-6


@pytest.mark.parametrize("name", ["logistic", "squared"])
@pytest.mark.parametrize("penalty", ["l1", "l2"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_tiny_features_fit_without_a_convergence_warning(name, penalty, fit_intercept):
    """X of entries ~1e-300 (alpha_max ~1e-300, far below the round-off of the intercept's
    gradient, a sum of O(1) sample gradients; a ridge step's d.d underflows): the fit is
    exact and warns of nothing. X w underflows, so the intercept is that of the
    intercept-only model, L1 keeps no feature (alpha > alpha_max) and ridge gives
    w = X^T (y - m) / (n alpha), m the intercept's mean response."""
    from skreg import RegularizedLinearRegression, RegularizedLogisticRegression

    X, Y, sw = _problem(name, sparse=False)
    X, y, alpha = X * 1e-300, Y[:, 0], 0.01
    est = (RegularizedLogisticRegression if name == "logistic" else RegularizedLinearRegression)(
        penalty=penalty, alpha=alpha, fit_intercept=fit_intercept)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X, y)
    ybar = y.mean()
    if not fit_intercept:
        b, m = 0.0, (0.5 if name == "logistic" else 0.0)
    else:
        b, m = (np.log(ybar / (1 - ybar)) if name == "logistic" else ybar), ybar
    assert np.ravel(est.intercept_)[0] == pytest.approx(b, rel=1e-9)
    coef = np.ravel(est.coef_)
    if penalty == "l1":
        assert np.all(coef == 0.0)
    else:
        np.testing.assert_allclose(coef, X.T @ (y - m) / (len(y) * alpha), rtol=1e-6)


@pytest.mark.parametrize("penalty", ["l1", "l2"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_huge_targets_fit_without_runtime_warnings(penalty, fit_intercept):
    """Targets ~2**600 (squared residuals overflow): no RuntimeWarning, and the fit is c
    times the fit on y / c, with alpha / c for L1 (the objective is c^2 times that one)."""
    from skreg import RegularizedLinearRegression

    X, Y, sw = _problem("squared", sparse=False)
    c, y = 2.0 ** 600, Y[:, 0]
    params = dict(penalty=penalty, tol=1e-10, fit_intercept=fit_intercept)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = RegularizedLinearRegression(alpha=0.02 * (c if penalty == "l1" else 1.0),
                                          **params).fit(X, y * c)
        ref = RegularizedLinearRegression(alpha=0.02, **params).fit(X, y)
    assert np.count_nonzero(ref.coef_) > 2
    np.testing.assert_allclose(big.coef_ / c, ref.coef_, rtol=1e-8, atol=1e-12)
    assert big.intercept_ / c == pytest.approx(ref.intercept_, rel=1e-8, abs=1e-12)
