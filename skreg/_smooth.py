"""Solvers for the smooth penalties (L2 or none) of penalized linear models.

They minimise the same objective as :mod:`skreg._cd`,

    F(W, b) = sum_i s_i loss(y_i, W x_i + b) + alpha/2 ||W||_2^2

(weights ``s`` summing to one, ``alpha = 0`` for no penalty), stop on the
same full-pass KKT certificate (:class:`skreg._cd.Certificate`) and accept
steps by the same Armijo line search.
"""

import numpy as np
from numba import njit

from ._cd import (
    _FAST,
    Certificate,
    SolveInfo,
    armijo_step,
    col_weighted_moments,
    design_operator,
    starting_point,
    transpose_dot,
    x_dot,
)
from .datafits import MULTINOMIAL, SQUARED, loss_along, sample_derivatives


@njit(**_FAST)
def weighted_column_moments(X, h, s1, s2):
    """``s1[j] = sum_i h_i x_ij`` and ``s2[j] = sum_i h_i x_ij^2`` for every column."""
    for j in range(s1.shape[0]):
        s1[j], s2[j] = col_weighted_moments(X, j, h)


def _conjugate_gradient(hess_vec, rhs, precond, rtol, max_steps):
    """Preconditioned CG for ``H v = rhs``, stopped at ``||residual|| <= rtol ||rhs||``."""
    v = np.zeros_like(rhs)
    r = rhs.copy()
    z = precond * r
    d = z.copy()
    rz = r @ z
    target = rtol * np.linalg.norm(rhs)
    for _ in range(max_steps):
        if np.linalg.norm(r) <= target:
            break
        Hd = hess_vec(d)
        curvature = d @ Hd
        if curvature <= 0.0:
            break
        step = rz / curvature
        v += step * d
        r -= step * Hd
        z = precond * r
        rz_new = r @ z
        d = z + (rz_new / rz) * d
        rz = rz_new
    return v


def newton_cg_solve(design, datafit, penalty, fit_intercept, W, b, tol, max_iter, verbose=False,
                    scale=None):
    """Truncated Newton for the smooth case (L2 or no penalty): the same objective,
    certificate and line search as :func:`newton_cd_solve`, but each Newton system is
    solved by Jacobi-preconditioned conjugate gradient on Hessian-vector products
    ``X^T (h * (X v)) + alpha v`` (two BLAS / scipy products per CG step).

    Without an L1 part every coefficient is active, and coordinate descent on a
    correlated design is Gauss-Seidel on an ill-conditioned system: CG needs
    far fewer passes over X. Parameters and return value as
    :func:`newton_cd_solve` (the penalty's ``l1_ratio`` is 0).
    """
    n, p = design.n_samples, design.n_features
    K = W.shape[0]
    alpha = penalty.alpha
    X_op = design_operator(design)
    Z, zero_start = starting_point(design, X_op, datafit, fit_intercept, W, b)
    certify = Certificate(design, X_op, datafit, penalty, fit_intercept, tol, zero_start, verbose,
                          scale)
    g, h = np.empty(n), np.empty(n)
    s1, s2 = np.empty(p), np.empty(p)
    n_iter = 0
    while True:
        kkt = certify(W, Z, n_iter)
        scale = certify.scale
        if kkt <= certify.kkt_tol or n_iter >= max_iter:
            break
        n_iter += 1
        progress = False
        for k in range(K):
            sum_h = sample_derivatives(datafit, Z, k, g, h)
            weighted_column_moments(design, h, s1, s2)
            w_k = W[k]
            grad = np.concatenate([transpose_dot(design, X_op, g[:, None])[:, 0] + alpha * w_k,
                                   [g.sum() if fit_intercept else 0.0]])

            def hess_vec(v, h=h, w_len=p):
                u = x_dot(X_op, v[:w_len]) + v[w_len]
                hu = h * u
                out = np.empty_like(v)
                out[:w_len] = transpose_dot(design, X_op, hu[:, None])[:, 0] + alpha * v[:w_len]
                out[w_len] = hu.sum() if fit_intercept else 0.0
                return out

            diag = np.concatenate([s2 + alpha, [sum_h if fit_intercept else 1.0]])
            precond = 1.0 / np.maximum(diag, 1e-300)
            # Forcing term: solve loosely far away, tightly near the optimum.
            grad_norm = np.abs(grad).max()
            rtol = min(0.5, np.sqrt(grad_norm / max(scale, 1e-300)))
            step = _conjugate_gradient(hess_vec, -grad, precond, rtol, 250)
            d, db = step[:p], step[p]
            dz = np.asarray(x_dot(X_op, d), dtype=np.float64) + db
            f0 = loss_along(datafit, Z, k, dz, 0.0)
            wd, dd = float(w_k @ d), float(d @ d)
            predicted = float(g @ dz) + alpha * (wd + 0.5 * dd)
            if datafit.code == SQUARED:  # the quadratic model is the objective
                t = 1.0 if predicted < 0.0 else 0.0
            else:
                t = armijo_step(lambda t: (loss_along(datafit, Z, k, dz, t) - f0
                                           + alpha * (t * wd + 0.5 * t * t * dd)),
                                predicted, f0)
            if t > 0.0:
                progress = True
                w_k += t * d
                b[k] += t * db
                Z[:, k] += t * dz
        if datafit.code == MULTINOMIAL and alpha > 0.0:
            # The L2-optimal shift across classes is the mean (see shift_to_penalty_optimum).
            W -= W.mean(axis=0)
        if not progress:
            kkt = certify(W, Z, n_iter)
            break
    return SolveInfo(n_iter, kkt, certify.n_passes, certify.kkt_tol, 0)
