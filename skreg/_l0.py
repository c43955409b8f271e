"""L0L2 (best-subset style) penalized linear models, for any datafit.

Objective: the datafit (:mod:`skreg.datafits`) plus
``alpha * (l1_ratio * ||W||_0 + (1 - l1_ratio) / 2 * ||W||^2)`` (L0L2, as in
L0Learn; Hazimeh & Mazumder 2020). The solver alternates two steps until
the support settles:

* a coordinate sweep (numba): each coordinate goes to the exact minimiser of
  the datafit plus its ridge term along it, and is kept only if that beats
  the coordinate at zero by more than ``alpha * l1_ratio`` (hard thresholding
  with the exact loss instead of a quadratic bound); this is where the
  support changes. A coordinate at zero is first screened: a strong-convexity
  bound on the largest decrease it could bring (its slope at zero, and a lower
  bound on the curvature up to where its minimiser can lie) settles most of
  them in two passes over the column, and only those that could pay the cost
  are minimised exactly (the screen never rejects a coordinate that would
  enter);
* a Newton refit of the smooth problem restricted to the support (numpy, the
  support is small): coordinate descent alone creeps along correlated
  features, Newton converges quadratically, so weighted and repeated rows
  give the same model to round-off.

A sweep that changes no support and moves no coordinate ends the fit: the
result is coordinate-wise optimal (no single-coordinate change lowers the
objective). A sweep is run as kernel calls over blocks of columns, so no
call reads much more than :data:`skreg._cd.ENTRIES_PER_CALL` entries.
"""

import numpy as np
import scipy.sparse as sp
from numba import njit

from . import _cache  # noqa: F401  (numba's cache locations: before any kernel is defined)
from ._cd import ENTRIES_PER_CALL, _JIT, armijo_step, design_operator, linear_predictor
from .datafits import (
    MULTINOMIAL,
    SQUARED,
    has_no_minimiser,
    hessian_weights,
    mean_response,
    value,
)

#: Gradient size at which the 1-D and support Newton solves stop.
_GRAD_TOL = 1e-12
#: 1-D Newton steps a coordinate may take (each reads its column once).
_MAX_1D_STEPS = 100
#: Relative size of a value change that round-off can produce in a column's
#: loss sum: below it, values cannot rank two points, slopes still can.
_VALUE_NOISE = 1e-12
#: Squared-loss targets beyond ``2**_MAX_TARGET_EXPONENT`` in size are solved
#: scaled down: their squared residuals could overflow (2**1024).
_MAX_TARGET_EXPONENT = 400
#: Relative safety margin of the screen's bound against the L0 cost (the
#: exact test compares values that carry round-off).
_SCREEN_MARGIN = 1e-6


def logits_against(datafit, Z, k):
    """Per sample, the logit that class ``k``'s logit is measured against.

    Along ``Z[:, k]`` alone, the multinomial loss of a sample is a binary
    logistic loss of ``Z[i, k] - rest[i]``, with ``rest[i]`` the logsumexp of
    the other classes' logits (plus a constant): computed once per sweep of a
    row (only column ``k`` of ``Z`` changes in it), it spares the other
    classes' exponentials in every pass over a column. Zero for the binary
    logistic and the squared loss. Numpy, summed over the classes in order.
    """
    n, K = Z.shape
    if datafit.code != MULTINOMIAL:
        return np.zeros(n)
    others = [l for l in range(K) if l != k]
    zmax = Z[:, others].max(axis=1)
    acc = np.zeros(n)
    for l in others:
        acc += np.exp(Z[:, l] - zmax)
    return zmax + np.log(acc)


@njit(**_JIT)
def _along_column(datafit, Z, k, rows, vals, s, t, rest, exact):
    """One pass over a column ``x`` (its non-zero entries ``rows``, ``vals``) at ``Z[:, k] + s x``.

    Returns ``(f, slope, curvature)`` of the datafit along the column, ``f``
    up to a constant (rows where ``x`` is zero and the constant parts of the
    multinomial loss are left out: only differences are meaningful; ``rest``
    is :func:`logits_against`). With ``exact`` (1.0 or 0.0: a float, so both
    uses share one compiled signature; a bool constant is typed as a literal,
    which compiles one signature per value) the curvature is the second
    derivative at ``s``; without, ``f`` is not computed and the curvature is
    a lower bound of the second derivative from ``s`` to ``t``: a sample's
    curvature along its logit is ``p (1 - p)``, a unimodal function of the
    logit (``p`` is a sigmoid of it), so its minimum over an interval is at an
    end. The squared loss has curvature 1. One function for both uses: each
    compiled kernel adds to the cold start.
    """
    code, Y, sw = datafit.code, datafit.Y, datafit.sw
    f = 0.0
    slope = 0.0
    curvature = 0.0
    for q in range(rows.shape[0]):
        i = np.int64(rows[q])
        x = vals[q]
        if sw[i] == 0.0 or x == 0.0:
            continue
        z = Z[i, k] + s * x
        if code == SQUARED:
            r = z - Y[i, k]
            f += sw[i] * 0.5 * r * r
            slope += sw[i] * x * r
            curvature += sw[i] * x * x
            continue
        # p = sigmoid(u) and the logistic loss log(1 + exp(u)) - y u from
        # e = exp(-|u|), without overflow (written out: an inlined call
        # compiles slower than these lines)
        u = z - rest[i]
        e = np.exp(-abs(u))
        p = 1.0 / (1.0 + e) if u >= 0.0 else e / (1.0 + e)
        slope += sw[i] * x * (p - Y[i, k])
        if exact != 0.0:
            loss = u + np.log1p(e) if u > 0.0 else np.log1p(e)
            f += sw[i] * (loss - Y[i, k] * u)
            curvature += sw[i] * x * x * p * (1.0 - p)
        else:
            # p (1 - p) as e / (1 + e)^2: accurate where p saturates
            c = e / ((1.0 + e) * (1.0 + e))
            if t != s:
                e = np.exp(-abs(Z[i, k] + t * x - rest[i]))
                c = min(c, e / ((1.0 + e) * (1.0 + e)))
            curvature += sw[i] * x * x * c
    return f, slope, curvature


@njit(**_JIT)
def minimise_along(datafit, Z, k, rows, vals, ridge, rest):
    """Exact ``min_s F(Z[:, k] + s x) + ridge/2 s^2`` by damped 1-D Newton.

    ``rest`` is :func:`logits_against` (row ``k``). Returns ``(s, value at s,
    value at 0)``; one pass over the column per Newton step (the line search
    reuses the derivatives it computes). Near the minimiser, where a step's
    predicted decrease is below the round-off of the values, a step is
    accepted when it lowers the slope's magnitude (halving it would only
    chase round-off).
    """
    s = 0.0
    f, d1, d2 = _along_column(datafit, Z, k, rows, vals, 0.0, 0.0, rest, 1.0)
    f_zero = f
    for _ in range(_MAX_1D_STEPS):
        g = d1 + ridge * s
        h = d2 + ridge
        if abs(g) <= _GRAD_TOL:
            break
        step = -g / max(h, 1e-300)
        accepted = False
        for _ in range(60):
            t = s + step
            f_t, d1_t, d2_t = _along_column(datafit, Z, k, rows, vals, t, t, rest, 1.0)
            f_t += 0.5 * ridge * t * t
            if f_t <= f + 1e-4 * step * g:
                accepted = True
                break
            if -step * g <= _VALUE_NOISE * abs(f):
                accepted = abs(d1_t + ridge * t) < abs(g)
                break
            step *= 0.5
        if not accepted:
            break  # round-off: no step lowers the value any more
        s, f, d1, d2 = t, f_t, d1_t, d2_t
        if abs(step) <= 1e-15 * max(1.0, abs(s)):
            break
    return s, f, f_zero


@njit(**_JIT)
def cannot_enter(datafit, Z, k, rows, vals, cost, ridge, rest):
    """Whether a coordinate at zero surely stays there: no value along it beats zero by ``cost``.

    The 1-D function ``phi(s)`` (datafit plus ridge term along the column) is
    convex; if it is ``m``-strongly convex between 0 and its minimiser ``s*``,
    ``phi(0) - phi(s*) <= g^2 / (2 m)`` with ``g = phi'(0)``. ``m`` is the
    ridge (everywhere), the exact curvature (squared loss), or the least
    curvature between 0 and a point ``t`` past ``s*`` (``phi'(t)`` has turned):
    ``t`` is twice the Newton step, or ``|g| / ridge`` if shorter, which
    ``s*`` never passes. Two passes over the column at most.
    """
    _, g, h = _along_column(datafit, Z, k, rows, vals, 0.0, 0.0, rest, 0.0)
    limit = 2.0 * cost * (1.0 - _SCREEN_MARGIN)  # g^2 / (2 m) <= cost  <=>  g^2 <= limit * m
    gg = g * g
    if gg <= limit * ridge:
        return True
    if datafit.code == SQUARED:
        return gg <= limit * (h + ridge)
    if not h + ridge > 0.0:
        return False
    reach = 2.0 * abs(g) / (h + ridge)
    if ridge > 0.0:
        reach = min(reach, abs(g) / ridge)
    t = -reach if g > 0.0 else reach
    _, slope_t, m = _along_column(datafit, Z, k, rows, vals, t, 0.0, rest, 0.0)
    if (slope_t + ridge * t) * t < 0.0:  # still descending at t: s* lies beyond
        return False
    return gg <= limit * (m + ridge)


@njit(**_JIT)
def l0_sweep(X, datafit, Z, W, k, j_start, j_stop, cost, ridge, all_rows, screen, b, ones,
             intercept, rest):
    """L0 coordinate descent over features ``j_start:j_stop`` of row ``k``, in place in ``W`` and ``Z``.

    ``rest`` is :func:`logits_against` (row ``k``). With ``screen``, a coordinate at zero that :func:`cannot_enter` is left
    there without its exact minimisation (the same decision, cheaper). With
    ``intercept``, the intercept ``b[k]`` (the column ``ones``) then moves to
    its exact minimiser. Returns whether the support changed and the largest
    relative move.
    """
    n = X.n_samples
    support_changed = False
    max_move = 0.0
    for j in range(j_start, j_stop):
        if X.is_sparse:
            rows = X.indices[X.indptr[j]:X.indptr[j + 1]]
            vals = X.data[X.indptr[j]:X.indptr[j + 1]]
        else:
            rows = all_rows
            vals = X.X_flat[j * n:(j + 1) * n]
        w = W[k, j]
        if w == 0.0 and screen and cost > 0.0 and cannot_enter(datafit, Z, k, rows, vals,
                                                               cost, ridge, rest):
            continue
        if w != 0.0:  # predictions with the coordinate removed
            for q in range(rows.shape[0]):
                Z[rows[q], k] -= w * vals[q]
        s, f_best, f_zero = minimise_along(datafit, Z, k, rows, vals, ridge, rest)
        new = s if f_best + cost < f_zero else 0.0
        if (new != 0.0) != (w != 0.0):
            support_changed = True
        max_move = max(max_move, abs(new - w) / max(1.0, abs(new)))
        W[k, j] = new
        if new != 0.0:
            for q in range(rows.shape[0]):
                Z[rows[q], k] += new * vals[q]
    if intercept:
        s, _, _ = minimise_along(datafit, Z, k, all_rows, ones, 0.0, rest)
        b[k] += s
        for i in range(n):
            Z[i, k] += s
    return support_changed, max_move


def _sweep(design, datafit, Z, W, b, cost, ridge, fit_intercept, all_rows, ones, screen):
    """One epoch of L0 coordinate descent over every row of W, in blocks of columns."""
    p = design.n_features
    entries = np.diff(design.indptr) if design.is_sparse else np.full(p, design.n_samples)
    # A coordinate reads its column a few times (1-D Newton steps): count 4.
    cum = np.cumsum(4 * entries + 1)
    changed, max_move = False, 0.0
    for k in range(W.shape[0]):
        rest = logits_against(datafit, Z, k)
        j = 0
        while True:  # at least one call: the intercept moves in the last one
            done = cum[j - 1] if j else 0
            stop = min(p, max(j + 1, int(np.searchsorted(cum, done + ENTRIES_PER_CALL, "right"))))
            c, m = l0_sweep(design, datafit, Z, W, k, j, stop, cost, ridge, all_rows, screen, b,
                            ones, fit_intercept and stop == p, rest)
            changed, max_move = changed or c, max(max_move, m)
            j = stop
            if j == p:
                break
    return changed, max_move


def _smooth_objective(datafit, Z, ridge, W):
    """Datafit at ``Z`` plus ``ridge/2 ||W||^2``."""
    if ridge == 0.0:  # pure L0: a diverging trial step must not overflow W * W (0 * inf)
        return value(datafit, Z)
    return value(datafit, Z) + 0.5 * ridge * float(np.sum(W * W))


def support_newton(X_op, datafit, ridge, fit_intercept, W, b, max_steps=50):
    """Minimise the smooth part (datafit + ridge) over the support of ``W``, in place.

    Full Newton with a backtracking line search on the variables
    ``W[k, j] != 0`` (and the intercepts): the support is small, so the
    Hessian (all rows at once, cross-row blocks included) is formed and
    solved by least squares (the multinomial shift direction is flat).
    """
    code, Y, sw = datafit
    K = W.shape[0]
    union = np.flatnonzero(np.any(W != 0.0, axis=0))
    XS = X_op[:, union]
    XS = XS.toarray() if sp.issparse(XS) else np.asarray(XS)
    XS = XS.astype(np.float64, copy=False)
    # Per row of W: the columns of XS it uses, plus an intercept column.
    blocks = [np.flatnonzero(W[k, union] != 0.0) for k in range(K)]
    ones = np.ones((XS.shape[0], 1))

    def design_of(k):
        cols = XS[:, blocks[k]]
        return np.hstack([cols, ones]) if fit_intercept else cols

    A = [design_of(k) for k in range(K)]
    sizes = [a.shape[1] for a in A]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    m = int(offsets[-1])
    if m == 0:
        return

    def unpack(theta):
        W_new, b_new = W.copy(), b.copy()
        for k in range(K):
            part = theta[offsets[k]:offsets[k + 1]]
            W_new[k, union[blocks[k]]] = part[: blocks[k].shape[0]]
            if fit_intercept:
                b_new[k] = part[-1]
        return W_new, b_new

    def logits(W_, b_):
        return XS @ W_[:, union].T + b_

    def objective_at(theta_):
        W_, b_ = unpack(theta_)
        Z_ = logits(W_, b_)
        return _smooth_objective(datafit, Z_, ridge, W_), W_, b_, Z_

    theta = np.concatenate([
        np.append(W[k, union[blocks[k]]], b[k]) if fit_intercept else W[k, union[blocks[k]]]
        for k in range(K)
    ])
    penalized = np.ones(m, dtype=bool)
    if fit_intercept:
        penalized[offsets[1:] - 1] = False
    Z = logits(W, b)
    f = _smooth_objective(datafit, Z, ridge, W)
    for _ in range(max_steps):
        P = mean_response(code, Z)
        R = sw[:, None] * (P - Y)
        grad = np.concatenate([A[k].T @ R[:, k] for k in range(K)])
        grad += ridge * np.where(penalized, theta, 0.0)
        if np.max(np.abs(grad)) <= _GRAD_TOL:
            break
        H = np.zeros((m, m))
        for k in range(K):
            for l in range(k, K):
                if code == SQUARED and l != k:
                    continue  # independent targets
                d = hessian_weights(code, P, sw, k, l)
                block = (A[k] * d[:, None]).T @ A[l]
                H[offsets[k]:offsets[k + 1], offsets[l]:offsets[l + 1]] = block
                H[offsets[l]:offsets[l + 1], offsets[k]:offsets[k + 1]] = block.T
        H[np.diag_indices(m)] += ridge * penalized
        step = np.linalg.lstsq(H, -grad, rcond=None)[0]
        slope = float(grad @ step)
        if not slope < 0.0:
            break
        if -slope <= 1e-10 * max(1.0, abs(f)):
            # Round-off regime: the objective cannot rank such small steps,
            # the quadratic model can; take full steps until they vanish
            # (slope alone stops too early along flat, tiny-ridge directions).
            t = 1.0
            f_try, W_try, b_try, Z_try = objective_at(theta + step)
            if np.max(np.abs(step)) <= 1e-13 * max(1.0, np.max(np.abs(theta))):
                W[:], b[:] = W_try, b_try
                break
        else:
            trials = {}

            def change(t):
                trials[t] = objective_at(theta + t * step)
                return trials[t][0] - f

            t = armijo_step(change, slope, f, constant=1e-4)
            if t == 0.0:
                break
            f_try, W_try, b_try, Z_try = trials[t]
        theta = theta + t * step
        W[:], b[:] = W_try, b_try
        Z, f = Z_try, f_try


def l0_solve(design, datafit, alpha, l1_ratio, fit_intercept, W, b, tol, max_iter, screen=True):
    """L0L2 fit from the start ``W``, ``b`` (in place).

    Sweeps (support changes) alternate with Newton refits on the support
    until a sweep changes no support and moves no coordinate by more than
    ``tol`` (relative); the refit after that sweep is returned. Returns
    ``(epochs, separated)``: epochs is ``max_iter`` if that never happens;
    ``separated`` is True when, with no ridge term, the support separates the
    classes (the logistic loss then has no finite minimiser: the
    coefficients would grow forever), where the solver stops with the
    separating support. ``screen=False`` minimises every coordinate exactly
    (the same fit, slower: for tests of the screen).

    Squared-loss targets so large that squared residuals could overflow are
    solved scaled down by a power of two ``c``: with ``Y / c`` and ``W / c``
    the objective is ``c^2`` times the same objective with the L0 cost divided
    by ``c^2`` (the ridge share unchanged); the solution is scaled back.
    BLAS threads are set by the caller (:func:`skreg._path.fit_point`).
    """
    cost = alpha * l1_ratio  # per non-zero coefficient
    ridge = alpha * (1.0 - l1_ratio)
    shift = 0
    if datafit.code == SQUARED and datafit.Y.size:
        shift = max(0, int(np.frexp(np.max(np.abs(datafit.Y)))[1]) - _MAX_TARGET_EXPONENT)
    if shift == 0:
        return _solve(design, datafit, cost, ridge, fit_intercept, W, b, tol, max_iter, screen)
    # Powers of two scale exactly: the scaled problem is the same problem.
    shift += _MAX_TARGET_EXPONENT
    scaled = datafit._replace(Y=np.ldexp(datafit.Y, -shift))
    np.ldexp(W, -shift, out=W)
    np.ldexp(b, -shift, out=b)
    try:
        return _solve(design, scaled, np.ldexp(cost, -2 * shift), ridge, fit_intercept, W, b,
                      tol, max_iter, screen)
    finally:
        np.ldexp(W, shift, out=W)
        np.ldexp(b, shift, out=b)


def _solve(design, datafit, cost, ridge, fit_intercept, W, b, tol, max_iter, screen):
    """The iterations of :func:`l0_solve` with the L0 ``cost`` and the ``ridge`` weight."""
    n = design.n_samples
    X_op = design_operator(design)
    all_rows, ones = np.arange(n, dtype=design.indices.dtype), np.ones(n)
    Z = linear_predictor(X_op, W, b)
    for epoch in range(1, max_iter + 1):
        changed, move = _sweep(design, datafit, Z, W, b, cost, ridge, fit_intercept, all_rows,
                               ones, screen)
        # The refit also ends the last epoch: its Newton solution is what two
        # equivalent data sets (weights vs repeated rows) agree on to round-off.
        support_newton(X_op, datafit, ridge, fit_intercept, W, b)
        Z = linear_predictor(X_op, W, b)
        if ridge == 0.0 and has_no_minimiser(datafit, Z):
            return epoch, True
        if not changed and move <= tol:
            return epoch, False
    return max_iter, False
