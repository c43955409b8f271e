"""Fitting a penalized linear model at one ``alpha`` or along a grid of them.

The estimators, :func:`skreg.regularization_path` and the cross-validation
driver (:mod:`skreg._cv`) all solve through :func:`fit_point`, which picks the
solver for the penalty:

* an L1 part: proximal Newton with working sets (:func:`skreg._cd.newton_cd_solve`;
  along a path the first working set of each point comes from the sequential
  strong rule, :class:`skreg._cd.StrongRule`, checked by the full certificate;
  multinomial: :func:`skreg._multinomial.multinomial_cd_solve`, on the full softmax Hessian);
* smooth (L2 or none), binary logistic or squared loss: Newton with the
  exact Hessian factored by Cholesky when it is cheap to form
  (:func:`skreg._smooth.newton_smooth_solve`); otherwise, and for the
  multinomial, truncated Newton-CG on large designs and the L1 solver on
  small ones;
* L0L2: the L1 solution at the same ``alpha`` first (L0Learn's warm start),
  then the L0 sweeps and support refits (:func:`skreg._l0.l0_solve`).

It raises on non-finite solutions and warns (ConvergenceWarning) when the
certificate is missed or the logistic loss has no finite minimiser.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._cd import (
    StrongRule,
    design_operator,
    linear_predictor,
    max_gradient_at_zero,
    newton_cd_solve,
)
from ._gram import compressed_cd_solve, support_predictor, worth_compressing
from ._l0 import l0_solve
from ._multinomial import multinomial_cd_solve
from ._smooth import (
    exact_hessian_affordable,
    multinomial_hessian_affordable,
    newton_multinomial_solve,
    newton_smooth_solve,
)
from ._validation import fit_blas_threads
from .datafits import MULTINOMIAL, SQUARED, has_no_minimiser, is_classification
from .penalties import L0L2, alpha_max, is_smooth, make_penalty, with_alpha

#: First working-set size of the L1 / elastic-net solver (it grows 4x each outer pass).
_WS_START = 64
#: Without an L1 part, designs with at least this many entries are solved by
#: truncated Newton-CG (fewer passes over a large correlated X); smaller ones
#: by Newton coordinate descent, whose iterates for weighted and repeated rows
#: agree to round-off.
_CG_MIN_ENTRIES = 1_000_000
#: Smooth fits use BLAS's threads on dense X with at least this many entries
#: (one thread below, and for sparse X: see :func:`fit_point`).
_THREADED_MIN_ENTRIES = 1_000_000


def _model_name(datafit):
    return ("RegularizedLogisticRegression" if is_classification(datafit)
            else "RegularizedLinearRegression")


def _iterations(datafit):
    """What ``max_iter`` counts in the coordinate-descent solvers (named in convergence warnings)."""
    return ("coordinate-descent epochs" if datafit.code == SQUARED
            else "proximal Newton steps")


def _warn_if_separated(design, datafit, W, b, what="alpha=0"):
    """ConvergenceWarning when an unpenalized logistic fit classifies every weighted sample right.

    Then the data are linearly separable and the loss has no finite minimiser:
    it tends to 0 as the coefficients grow along the separating direction.
    The solver stops where the gradient meets ``tol`` (finite coefficients
    whose scale depends on ``tol``); say so rather than return them silently.
    """
    Z = linear_predictor(design_operator(design), W, b)
    if has_no_minimiser(datafit, Z):
        warnings.warn(
            f"{_model_name(datafit)}: {what} on perfectly separable training data, "
            "where the logistic loss has no finite minimiser (it decreases towards 0 as the "
            "coefficients grow without bound). The returned coefficients are finite but their "
            "size depends on tol and max_iter; use "
            + ("l1_ratio < 1 (a ridge term)" if "L0" in what else "alpha > 0")
            + " for a well-defined model.",
            ConvergenceWarning,
        )


def _solve_convex(design, datafit, penalty, fit_intercept, W, b, tol, max_iter, verbose,
                  scale=None, strong_rule=None):
    """Fit an elastic-net family penalty in place in ``W``, ``b``; warn when the certificate is missed."""
    smooth = is_smooth(penalty)
    steps = "Newton steps"  # what max_iter counts in the smooth solvers
    if smooth and datafit.code != MULTINOMIAL and exact_hessian_affordable(design, datafit):
        info = newton_smooth_solve(design, datafit, penalty, fit_intercept, W, b, tol,
                                   max_iter, verbose, scale, exact=True)
    elif (smooth and datafit.code == MULTINOMIAL
          and multinomial_hessian_affordable(design, W.shape[0])):
        info = newton_multinomial_solve(design, datafit, penalty, fit_intercept, W, b, tol,
                                        max_iter, verbose, scale)
    elif smooth and design.n_samples * design.n_features >= _CG_MIN_ENTRIES:
        info = newton_smooth_solve(design, datafit, penalty, fit_intercept, W, b, tol,
                                   max_iter, verbose, scale, exact=False)
    elif datafit.code == MULTINOMIAL:
        steps = _iterations(datafit)
        info = multinomial_cd_solve(design, datafit, penalty, fit_intercept, W, b, tol,
                                    max_iter, _WS_START, verbose, scale, strong_rule)
    elif worth_compressing(design, datafit, along_path=strong_rule is not None):
        steps = _iterations(datafit)
        info = compressed_cd_solve(design, datafit, penalty, fit_intercept, W, b, tol, max_iter,
                                   _WS_START, verbose, scale, strong_rule)
    else:
        steps = _iterations(datafit)
        if (datafit.code == SQUARED and strong_rule is not None and penalty.l1_ratio > 0.0
                and design.n_features > design.n_samples):
            support_predictor(design, datafit, penalty, fit_intercept, W, b, strong_rule)
        info = newton_cd_solve(design, datafit, penalty, fit_intercept, W, b, tol, max_iter,
                               _WS_START, verbose, scale, strong_rule)
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        largest = np.abs(design.data if design.is_sparse else design.X_flat).max(initial=0.0)
        raise ValueError(
            "The solver produced non-finite coefficients; check the input for extreme "
            f"values (the largest |X| entry is {largest:.3g}; the solver squares entries, so "
            "keep them below ~1e150, e.g. with StandardScaler) or use a larger alpha."
        )
    if penalty.alpha == 0.0 and is_classification(datafit):
        _warn_if_separated(design, datafit, W, b)
    if datafit.code == MULTINOMIAL:
        # The softmax is invariant to a shift shared by all classes: centre
        # it away. Without an L1 part the optimal coefficients are centred
        # already (alpha > 0) or defined only up to that shift (alpha = 0).
        b -= b.mean()
        if smooth:
            W -= W.mean(axis=0)
    if info.kkt > info.kkt_tol:
        reason = (
            f"after max_iter={max_iter} {steps}. Increase max_iter"
            if info.n_iter >= max_iter
            else f"after {info.n_iter} {steps}, where no step decreases the "
            "objective in floating point any more. Use a larger tol"
        )
        warnings.warn(
            f"{_model_name(datafit)} did not converge at alpha={penalty.alpha:.4g}: the KKT "
            f"violation is {info.kkt:.3g} > tol * alpha_max = {info.kkt_tol:.3g} {reason}, "
            "or standardize the features.",
            ConvergenceWarning,
        )
    return info


def _solve_l0(design, datafit, penalty, fit_intercept, W, b, tol, max_iter):
    """L0 coordinate descent in place from ``W``, ``b``; warn if the support never settles."""
    _, alpha, l1_ratio = penalty
    n_iter, separated = l0_solve(design, datafit, alpha, l1_ratio, fit_intercept, W, b, tol,
                                 max_iter)
    if datafit.code == MULTINOMIAL:
        b -= b.mean()
    if separated:
        _warn_if_separated(design, datafit, W, b, what="pure L0 (l1_ratio=1, no ridge term)")
    elif n_iter >= max_iter:
        warnings.warn(
            f"{_model_name(datafit)} (l0) did not converge at alpha={alpha:.4g}: the "
            f"support still changed, or a coefficient still moved by more than tol, after "
            f"max_iter={max_iter} coordinate-descent epochs.",
            ConvergenceWarning,
        )
        if l1_ratio == 1.0 and is_classification(datafit):  # nothing bounds the coefficients
            _warn_if_separated(design, datafit, W, b, what="pure L0 (l1_ratio=1, no ridge term)")
    return n_iter


def fit_point(design, datafit, penalty, fit_intercept, W, b, tol, max_iter, verbose=False,
              scale=None, strong_rule=None):
    """Solve at one penalty from the start ``W`` (K, p), ``b`` (K,), in place.

    Returns ``(W_hat, b_hat, n_iter, n_passes, kkt)``: ``n_iter`` counts
    solver iterations (L0: epochs), ``n_passes`` the full passes that
    computed the certificate, ``kkt`` the certificate (NaN for L0L2).
    Convex penalties leave the solution in ``W``, ``b`` (``W_hat is W``).
    For L0L2, ``W``, ``b`` end at the L1 solution at the same ``alpha`` (the
    start of the L0 solver, and the warm start of a path's next point) and
    the L0 solution is returned in new arrays. ``scale`` is ``alpha_max``
    when the caller knows it, ``strong_rule`` a path's screening state
    (:class:`skreg._cd.StrongRule`).
    """
    with fit_blas_threads(single_thread=not _blas_threaded(design, penalty)):
        return _fit_point(design, datafit, penalty, fit_intercept, W, b, tol, max_iter, verbose,
                          scale, strong_rule)


def _blas_threaded(design, penalty):
    """Whether a fit keeps BLAS's threads: the one decision on BLAS threads for every solver.

    Coordinate descent (L1 / elastic net, any loss) and L0 use BLAS for small
    or memory-bound products only (the certificate's X^T G, the support's
    Newton system): a second OpenBLAS thread gains little there and, on a
    busy machine, costs up to 40x (22 ms instead of 0.56 ms for X^T g on
    leukemia's 72 x 7128). The smooth Newton solvers keep BLAS's threads for
    large dense X (its Hessians and matrix-vector products). On sparse X
    they use BLAS only for dot products of single vectors (scipy's sparse
    products run on one thread), and on small dense X for small products,
    where a second OpenBLAS thread costs a wake-up per call: w8a's L2 fit
    took 1.5x longer with two threads than with one, digits' multinomial
    2.5x.
    """
    return (is_smooth(penalty) and not design.is_sparse
            and design.n_samples * design.n_features >= _THREADED_MIN_ENTRIES)


def _fit_point(design, datafit, penalty, fit_intercept, W, b, tol, max_iter, verbose, scale,
               strong_rule):
    """:func:`fit_point` once BLAS threads are set."""
    if penalty.code != L0L2:
        info = _solve_convex(design, datafit, penalty, fit_intercept, W, b, tol, max_iter,
                             verbose, scale, strong_rule)
        return W, b, info.n_iter, info.n_passes, info.kkt
    l1 = make_penalty("l1", penalty.alpha)
    _solve_convex(design, datafit, l1, fit_intercept, W, b, tol, max_iter, False, scale,
                  strong_rule)
    W0, b0 = W.copy(), b.copy()
    n_iter = _solve_l0(design, datafit, penalty, fit_intercept, W0, b0, tol, max_iter)
    return W0, b0, n_iter, n_iter, np.nan


def alpha_max_scale(design, datafit, fit_intercept):
    """The L1 ``alpha_max``: ``||grad_W F(W = 0)||_inf`` with the intercepts at their optimum."""
    return max_gradient_at_zero(design, design_operator(design), datafit, fit_intercept)


def default_alphas(scale, penalty, n_alphas, eps):
    """Geometric grid from the penalty's ``alpha_max`` down to ``eps * alpha_max``.

    ``scale`` is the L1 ``alpha_max``; :func:`skreg.penalties.alpha_max`
    divides it by ``l1_ratio`` for an elastic net.
    """
    return alpha_max(penalty, scale) * np.geomspace(1.0, eps, n_alphas)


def checked_alphas(alphas):
    """User-given ``alphas`` as a decreasing float array (ValueError if empty, negative or not finite)."""
    alphas = np.sort(np.asarray(alphas, dtype=np.float64).ravel())[::-1]
    if alphas.size == 0 or np.any(alphas < 0) or not np.all(np.isfinite(alphas)):
        raise ValueError("alphas must be a non-empty array of finite values >= 0.")
    return alphas


def path_points(design, datafit, penalty, alphas, fit_intercept, tol, max_iter):
    """Solve along ``alphas`` (decreasing) with warm starts; yield ``(W, b, n_iter, n_passes, kkt)``.

    ``penalty`` gives the kind and ``l1_ratio``; its ``alpha`` is replaced by
    each grid value. With more features than samples, binary logistic points
    also meet a duality gap of ``tol / 100`` relative or a tenth of the KKT
    target (:func:`skreg._cd.newton_cd_solve`). The yielded arrays are the solver's state: copy them to
    keep them. For L0L2 an L1 path runs alongside, and each L0 point starts
    from the L1 solution at its own ``alpha``, as a single fit does.
    """
    n_rows = datafit.Y.shape[1]
    W = np.zeros((n_rows, design.n_features))
    b = np.zeros(n_rows)
    # The certificate's scale (alpha_max) once for the whole path, not once per point.
    scale = alpha_max_scale(design, datafit, fit_intercept)
    # Sequential strong rule: each point's first working set from the last one's gradient.
    strong_rule = StrongRule()
    points = [with_alpha(penalty, alpha) for alpha in alphas]
    # BLAS threads are set once for the whole path (per point they cost ~0.1 ms, a
    # tenth of a leukemia point): threaded only if every point would be.
    threaded = all(_blas_threaded(design, point) for point in points)
    with fit_blas_threads(single_thread=not threaded):
        for point in points:
            yield _fit_point(design, datafit, point, fit_intercept, W, b, tol, max_iter, False,
                             scale, strong_rule)




