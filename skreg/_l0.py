"""L0 (best-subset style) penalized logistic regression.

Objective: the weighted mean logistic loss plus
``alpha * (l1_ratio * ||W||_0 + (1 - l1_ratio) / 2 * ||W||^2)`` (L0L2, as in
L0Learn; Hazimeh & Mazumder 2020). The solver alternates two steps until
the support settles:

* a coordinate sweep (numba): each coordinate goes to the exact minimiser of
  the loss plus its ridge term along it, and is kept only if that beats the
  coordinate at zero by more than ``alpha * l1_ratio`` (hard thresholding with
  the exact loss instead of a quadratic bound); this is where the support
  changes;
* a Newton refit of the smooth problem restricted to the support (numpy, the
  support is small): coordinate descent alone creeps along correlated
  features, Newton converges quadratically, so weighted and repeated rows
  give the same model to round-off.

A sweep that changes no support and moves no coordinate ends the fit: the
result is coordinate-wise optimal (no single-coordinate change lowers the
objective).
"""

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.special import expit, logsumexp, softmax

from ._cd import _JIT, design_operator, linear_predictor
from ._losses import logistic_loss, separates, sigmoid

#: Gradient size at which the 1-D and support Newton solves stop.
_GRAD_TOL = 1e-12


@njit(**_JIT)
def loss_along_column(Z, Y, sw, k, multinomial, rows, vals, s):
    """Loss, first and second derivative in ``s`` with the logits of class ``k`` at ``Z[:, k] + s x``.

    The column ``x`` is given by its non-zero entries (``rows``, ``vals``), the
    same way for dense and sparse X; rows where ``x`` is zero add the same
    constant to the loss for every ``s`` and are left out, so only
    differences of the returned loss are meaningful.
    """
    f = 0.0
    d1 = 0.0
    d2 = 0.0
    for q in range(rows.shape[0]):
        i = rows[q]
        x = vals[q]
        if sw[i] == 0.0 or x == 0.0:
            continue
        zk = Z[i, k] + s * x
        if multinomial:
            zmax = zk
            for l in range(Z.shape[1]):
                if l != k and Z[i, l] > zmax:
                    zmax = Z[i, l]
            acc = np.exp(zk - zmax)
            z_true = zk * Y[i, k]
            for l in range(Z.shape[1]):
                if l != k:
                    acc += np.exp(Z[i, l] - zmax)
                    z_true += Z[i, l] * Y[i, l]
            lse = zmax + np.log(acc)
            f += sw[i] * (lse - z_true)
            p = np.exp(zk - lse)
        else:
            f += sw[i] * logistic_loss(Y[i, 0], zk)
            p = sigmoid(zk)
        d1 += sw[i] * x * (p - Y[i, k])
        d2 += sw[i] * x * x * p * (1.0 - p)
    return f, d1, d2


@njit(**_JIT)
def minimise_along(Z, Y, sw, k, multinomial, rows, vals, ridge):
    """Exact ``min_s loss(Z[:, k] + s x) + ridge/2 s^2`` by damped 1-D Newton.

    Returns ``(s, value at s, value at 0)``; one pass over the column per
    Newton step (the line search reuses the derivatives it computes).
    """
    s = 0.0
    f, d1, d2 = loss_along_column(Z, Y, sw, k, multinomial, rows, vals, 0.0)
    f_zero = f
    for _ in range(100):
        g = d1 + ridge * s
        h = d2 + ridge
        if abs(g) <= _GRAD_TOL:
            break
        step = -g / max(h, 1e-300)
        accepted = False
        for _ in range(60):
            t = s + step
            f_t, d1_t, d2_t = loss_along_column(Z, Y, sw, k, multinomial, rows, vals, t)
            f_t += 0.5 * ridge * t * t
            if f_t <= f + 1e-4 * step * g:
                accepted = True
                break
            step *= 0.5
        if not accepted:
            break  # round-off: no step lowers the value any more
        s, f, d1, d2 = t, f_t, d1_t, d2_t
        if abs(step) <= 1e-15 * max(1.0, abs(s)):
            break
    return s, f, f_zero


@njit(**_JIT)
def l0_sweep(X_flat, data, indices, indptr, is_sparse, Z, Y, sw, multinomial, W, b, cost,
             ridge, fit_intercept, all_rows, ones):
    """One epoch of L0 coordinate descent, in place in ``W``, ``b`` and the logits ``Z``.

    Returns whether the support changed and the largest relative move.
    """
    n = Z.shape[0]
    K, p = W.shape
    support_changed = False
    max_move = 0.0
    for k in range(K):
        for j in range(p):
            if is_sparse:
                rows = indices[indptr[j]:indptr[j + 1]]
                vals = data[indptr[j]:indptr[j + 1]]
            else:
                rows = all_rows
                vals = X_flat[j * n:(j + 1) * n]
            w = W[k, j]
            if w != 0.0:  # logits with the coordinate removed
                for q in range(rows.shape[0]):
                    Z[rows[q], k] -= w * vals[q]
            s, f_best, f_zero = minimise_along(Z, Y, sw, k, multinomial, rows, vals, ridge)
            new = s if f_best + cost < f_zero else 0.0
            if (new != 0.0) != (w != 0.0):
                support_changed = True
            max_move = max(max_move, abs(new - w) / max(1.0, abs(new)))
            W[k, j] = new
            if new != 0.0:
                for q in range(rows.shape[0]):
                    Z[rows[q], k] += new * vals[q]
        if fit_intercept:
            s, _, _ = minimise_along(Z, Y, sw, k, multinomial, all_rows, ones, 0.0)
            b[k] += s
            for i in range(n):
                Z[i, k] += s
    return support_changed, max_move


def _smooth_objective(Z, Y, y_index, sw, multinomial, ridge, W):
    """Weighted mean loss at logits ``Z`` plus ``ridge/2 ||W||^2``."""
    if multinomial:
        losses = logsumexp(Z, axis=1) - Z[np.arange(Z.shape[0]), y_index]
    else:
        z = Z[:, 0]
        losses = np.logaddexp(0.0, z) - Y[:, 0] * z
    if ridge == 0.0:  # pure L0: a diverging trial step must not overflow W * W (0 * inf)
        return float(sw @ losses)
    return float(sw @ losses) + 0.5 * ridge * float(np.sum(W * W))


def support_newton(X_op, Y, sw, multinomial, ridge, fit_intercept, W, b, max_steps=50):
    """Minimise the smooth part (loss + ridge) over the support of ``W``, in place.

    Full Newton with a backtracking line search on the variables
    ``W[k, j] != 0`` (and the intercepts): the support is small, so the
    Hessian (all classes at once, cross-class blocks included) is formed
    and solved by least squares (the multinomial shift direction is flat).
    """
    K = W.shape[0]
    union = np.flatnonzero(np.any(W != 0.0, axis=0))
    XS = X_op[:, union]
    XS = XS.toarray() if sp.issparse(XS) else np.asarray(XS)
    XS = XS.astype(np.float64, copy=False)
    y_index = np.argmax(Y, axis=1) if multinomial else None
    # Per class: the columns of XS it uses, plus an intercept column.
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

    theta = np.concatenate([
        np.append(W[k, union[blocks[k]]], b[k]) if fit_intercept else W[k, union[blocks[k]]]
        for k in range(K)
    ])
    penalized = np.ones(m, dtype=bool)
    if fit_intercept:
        penalized[offsets[1:] - 1] = False
    Z = logits(W, b)
    f = _smooth_objective(Z, Y, y_index, sw, multinomial, ridge, W)
    for _ in range(max_steps):
        P = softmax(Z, axis=1) if multinomial else expit(Z)
        R = sw[:, None] * (P - Y)
        grad = np.concatenate([A[k].T @ R[:, k] for k in range(K)])
        grad += ridge * np.where(penalized, theta, 0.0)
        if np.max(np.abs(grad)) <= _GRAD_TOL:
            break
        H = np.empty((m, m))
        for k in range(K):
            for l in range(k, K):
                if multinomial:
                    d = sw * P[:, k] * ((k == l) - P[:, l])
                else:
                    d = sw * P[:, 0] * (1.0 - P[:, 0])
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
            W_try, b_try = unpack(theta + step)
            Z_try = logits(W_try, b_try)
            f_try = _smooth_objective(Z_try, Y, y_index, sw, multinomial, ridge, W_try)
            if np.max(np.abs(step)) <= 1e-13 * max(1.0, np.max(np.abs(theta))):
                theta = theta + step
                W[:], b[:] = W_try, b_try
                break
        else:
            t = 1.0
            for _ in range(40):
                W_try, b_try = unpack(theta + t * step)
                Z_try = logits(W_try, b_try)
                f_try = _smooth_objective(Z_try, Y, y_index, sw, multinomial, ridge, W_try)
                if f_try <= f + 1e-4 * t * slope:
                    break
                t *= 0.5
            else:
                break
        theta = theta + t * step
        W[:], b[:] = W_try, b_try
        Z, f = Z_try, f_try


def l0_solve(design, Y, sw, multinomial, alpha, l1_ratio, fit_intercept, W, b, tol, max_iter):
    """L0L2 logistic regression from the start ``W``, ``b`` (in place); returns the epochs.

    Sweeps (support changes) alternate with Newton refits on the support
    until a sweep changes no support and moves no coordinate by more than
    ``tol`` (relative); the refit after that sweep is returned. Returns
    ``(epochs, separated)``: epochs is ``max_iter`` if that never happens;
    ``separated`` is True when, with no ridge term, the support separates the
    data (the loss then has no finite minimiser: the coefficients would grow
    forever), where the solver stops with the separating support.
    """
    n = design.n_samples
    X_op = design_operator(design)
    cost = alpha * l1_ratio  # per non-zero coefficient
    ridge = alpha * (1.0 - l1_ratio)
    all_rows, ones = np.arange(n, dtype=design.indices.dtype), np.ones(n)
    Z = linear_predictor(X_op, W, b)
    for epoch in range(1, max_iter + 1):
        changed, move = l0_sweep(design.X_flat, design.data, design.indices, design.indptr,
                                 design.is_sparse, Z, Y, sw, multinomial, W, b, cost, ridge,
                                 fit_intercept, all_rows, ones)
        # The refit also ends the last epoch: its Newton solution is what two
        # equivalent data sets (weights vs repeated rows) agree on to round-off.
        support_newton(X_op, Y, sw, multinomial, ridge, fit_intercept, W, b)
        Z = linear_predictor(X_op, W, b)
        if ridge == 0.0 and separates(Z, Y, sw, multinomial):
            return epoch, True
        if not changed and move <= tol:
            return epoch, False
    return max_iter, False
