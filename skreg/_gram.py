"""The squared loss on more samples than features: solved on a p x p design.

The weighted squared loss with an intercept,

    F(w, b) = 1/2 sum_i s_i (y_i - x_i . w - b)^2 + alpha * R(w)     (sum_i s_i = 1),

depends on the data only through the centred Gram matrix ``G = Xc^T S Xc`` and
``c = Xc^T S yc`` (``Xc``, ``yc`` centred by the weighted means; with the optimal
intercept ``b = ybar - xbar . w``):

    F(w) = 1/2 w^T G w - c^T w + const + alpha * R(w).

With ``R^T R = r G`` (``r`` rows, the rank of ``G``; see :func:`compress`) and
``R^T z = r c``, the squared loss on design ``R`` and target ``z`` with uniform
weights ``1/r`` gives the same ``F`` up to a constant, hence the same minimisers,
gradients, KKT violations and ``alpha_max``. Forming ``G`` costs one BLAS product over X; every
coordinate-descent epoch afterwards reads ``p^2`` entries instead of ``n p`` (what
glmnet's covariance updates achieve for ``n >> p``). Along a path the compressed
problem is built once and kept by the path's :class:`skreg._cd.StrongRule`.
"""

from collections import namedtuple

import numpy as np
import scipy.sparse as sp
from scipy.linalg import solve_triangular
from scipy.linalg.blas import dsyr, dsyrk
from scipy.linalg.lapack import dpotrf, dpotrs, dpstrf

from ._cd import design_operator, newton_cd_solve, support_gram
from ._validation import to_design
from .datafits import SQUARED, Datafit

#: A path compresses with at least this many samples per feature and at most this many
#: features: its points share the one Gram product (n p^2 / 2 multiply-adds, about p / 2
#: passes over X; p^2 floats twice), and every epoch and certificate afterwards reads p
#: rows instead of n. 100-point L1 paths, CPU under load: Gaussian 2000 x 600 0.14 s vs
#: 0.24 s on X, 8000 x 1000 0.35 vs 0.88, 20000 x 2000 2.5 vs 9.8.
_SAMPLES_PER_FEATURE_PATH = 3
_MAX_FEATURES_PATH = 5000
#: A single fit pays the product alone: at least this many samples per feature and at
#: most this many features.
_SAMPLES_PER_FEATURE = 10
_MAX_FEATURES = 1000

#: Entries of X per block of centred (weighted) rows copied for the Gram product, and the
#: fewest rows per block (BLAS syrk is slow on thin blocks).
_BLOCK_ENTRIES = 1 << 18
_MIN_BLOCK_ROWS = 256
#: Sparse X is centred in the Gram matrix, losing about eps * mean^2 / variance of a
#: column's accuracy: beyond this ratio the fit is solved on X.
_MAX_CANCELLATION = 1e6

#: The p x p problem: its design and datafit, and the weighted means that give the intercept.
Compressed = namedtuple("Compressed", ["design", "datafit", "x_mean", "y_mean", "source"])


def worth_compressing(design, datafit, along_path=False):
    """Whether a squared-loss fit on ``design`` is solved on the p x p design instead.

    ``along_path``: the fit is a point of a path (:class:`skreg._cd.StrongRule`), whose
    later points reuse the compressed problem.
    """
    p = design.n_features
    max_features = _MAX_FEATURES_PATH if along_path else _MAX_FEATURES
    per_feature = _SAMPLES_PER_FEATURE_PATH if along_path else _SAMPLES_PER_FEATURE
    return (datafit.code == SQUARED and 0 < p <= max_features
            and design.n_samples >= per_feature * p
            and (design.X_flat.dtype if not design.is_sparse else design.data.dtype)
            == np.float64)


def _centred_gram(X, s, x_mean):
    """The upper triangle of ``Xc^T diag(s) Xc`` (p x p, Fortran) for dense Fortran X.

    ``Xc = X - x_mean``. Uniform weights without centring: one BLAS syrk on X
    itself; otherwise syrk over blocks of centred, weighted rows (subtracting
    ``x_mean x_mean^T`` from ``X^T S X`` instead would cancel about
    ``eps (mean / spread)^2`` of the accuracy).
    """
    n, p = X.shape
    if np.all(s == s[0]) and not x_mean.any():
        return dsyrk(s[0], X, trans=1)
    gram = np.zeros((p, p), order="F")
    rows = max(_MIN_BLOCK_ROWS, _BLOCK_ENTRIES // p)
    for start in range(0, n, rows):
        block = np.asfortranarray(X[start:start + rows] - x_mean)
        block *= np.sqrt(s[start:start + rows, None])
        gram = dsyrk(1.0, block, trans=1, beta=1.0, c=gram, overwrite_c=True)
    return gram


def _centred_sparse_gram(X, s, x_mean):
    """``Xc^T diag(s) Xc`` (p x p, Fortran; the upper triangle centred) for sparse X, or
    None where centring by ``- x_mean x_mean^T`` would cancel more than
    :data:`_MAX_CANCELLATION` of a column's second moment."""
    if np.all(s == s[0]):
        gram = (X.T @ X).toarray(order="F")
        gram *= s[0]
    else:
        gram = (X.T @ X.multiply(s[:, None]).tocsc()).toarray(order="F")
    if x_mean.any():
        spread = np.diag(gram) - x_mean ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            if np.any(x_mean ** 2 > _MAX_CANCELLATION * spread):
                return None
        gram = dsyr(-1.0, x_mean, lower=0, a=gram, overwrite_a=1)
    return gram


def compress(design, datafit, fit_intercept):
    """The :data:`Compressed` problem of a squared-loss fit, or None (solve on X instead).

    None when the Gram matrix's sums overflow or, for sparse X, its centring would
    lose accuracy. The design is ``R = sqrt(r) U P^T D^(1/2)`` from the pivoted
    Cholesky factorisation ``P^T D^(-1/2) G D^(-1/2) P = U^T U`` of rank ``r`` (LAPACK
    ``dpstrf``: semi-definite allowed) of the Gram matrix scaled to a unit diagonal
    ``D = diag(G)`` (the rank cut-off is then relative to each column's own scale, not
    to the largest), so ``R^T R = r G``; the target solves ``R^T z = r c``.
    """
    X = design_operator(design)
    s, Y = datafit.sw, datafit.Y
    p = design.n_features
    if fit_intercept:
        x_mean = np.asarray(X.T @ s).ravel()
        y_mean = s @ Y
    else:
        x_mean, y_mean = np.zeros(p), np.zeros(Y.shape[1])
    if sp.issparse(X):
        gram = _centred_sparse_gram(X, s, x_mean)
        if gram is None:
            return None
    else:
        gram = _centred_gram(X, s, x_mean)
    # X^T S (Y - ybar) equals Xc^T S Yc (the weights sum to one) without cancelling x_mean.
    c = np.asarray(X.T @ (s[:, None] * (Y - y_mean)))
    # The lower triangle holds zeros or the mirror image: finite with the upper one.
    if not (np.isfinite(gram).all() and np.isfinite(c).all()):
        return None  # squares overflow: the solver on X itself reports it
    scale = np.sqrt(np.maximum(np.diag(gram), 0.0))
    scale[scale == 0.0] = 1.0
    gram /= scale[:, None]
    gram /= scale
    factor, piv, rank, _ = dpstrf(gram, lower=0, overwrite_a=1)
    piv -= 1
    if rank == 0:  # G = 0: one row of zeros keeps the design well-formed
        R, z = np.zeros((1, p), order="F"), np.zeros((1, Y.shape[1]))
    else:
        # U in place in the factor's first rows (no p x p copies: the Gram may be large).
        U = factor[:rank]
        for i in range(1, rank):
            U[i, :i] = 0.0
        U *= np.sqrt(rank) * scale[piv]
        z = solve_triangular(U[:, :rank], rank * c[piv[:rank]], trans="T")
        R = np.empty((rank, p), order="F")
        R[:, piv] = U
    datafit_r = Datafit(SQUARED, np.ascontiguousarray(z), np.full(R.shape[0], 1.0 / R.shape[0]))
    return Compressed(to_design(R), datafit_r, x_mean, y_mean, datafit)


def compressed_cd_solve(design, datafit, penalty, fit_intercept, W, b, tol, max_iter, ws_start,
                        verbose=False, scale=None, strong_rule=None):
    """:func:`skreg._cd.newton_cd_solve` on the compressed problem; the same fit, in place.

    A path's ``strong_rule`` keeps the compressed problem for its later
    points (built again if the data are not the same objects), or that the
    problem does not compress (a :data:`Compressed` without design).
    """
    problem = strong_rule.compressed if strong_rule is not None else None
    if problem is None or problem.source is not datafit:
        problem = (compress(design, datafit, fit_intercept)
                   or Compressed(None, None, None, None, datafit))
        if strong_rule is not None:
            strong_rule.compressed = problem
    if problem.design is None:
        return newton_cd_solve(design, datafit, penalty, fit_intercept, W, b, tol, max_iter,
                               ws_start, verbose, scale, strong_rule)
    # The compressed problem has no intercept: b is 0 while it is solved
    # (a path's remembered predictions were computed with b = 0), then set.
    b[:] = 0.0
    info = newton_cd_solve(problem.design, problem.datafit, penalty, False, W, b, tol, max_iter,
                           ws_start, verbose, scale, strong_rule)
    if fit_intercept:
        b[:] = problem.y_mean - W @ problem.x_mean
    return info


#: Largest support the path's predictor step factors (its Gram product costs about
#: n |S|^2, the CD epochs it saves n |ws| each).
_PREDICTOR_MAX_SUPPORT = 500
#: Predictor steps per point at most (each further one after a coordinate reached zero).
_PREDICTOR_ROUNDS = 4


def support_predictor(design, datafit, penalty, fit_intercept, W, b, strong_rule):
    """Move a path's warm start towards the solution on its support, signs held; in place.

    At the next ``alpha`` of a path the support and signs of the last
    solution mostly stay: there the squared-loss objective is, up to a constant, the quadratic

        q(w_S) = 1/2 w_S^T A w_S - (Xc_S^T S yc - alpha rho sign_S)^T w_S,
        A = Xc_S^T S Xc_S + alpha (1 - rho) I,

    minimised by one Cholesky solve (``|S|`` columns; ``Xc``, ``yc`` centred by
    the weighted means with an intercept, whose optimum is then
    ``ybar - xbar . w``). The step goes from the warm start towards that
    minimiser up to the first coordinate that reaches zero (set to exactly
    zero there); on that segment the objective is ``q``, so it decreases, and
    the step is kept only if it does in floating point. Coordinate descent
    then starts next to the solution instead of re-converging the support
    over many epochs. The path's remembered predictions (``strong_rule``)
    follow the step.

    Worth it where CD converges slowly, on the nearly collinear supports of
    more features than samples (the caller's choice): with n > p CD needs few
    epochs per point and the ``n |S|^2`` product costs more than they do
    (Gaussian 3000 x 600 L1 path: 2x slower with it). Sparse supports below
    a quarter dense are left to CD, as for the support's Newton step.
    """
    _, alpha, rho = penalty
    Z = strong_rule.predictions(W, b)
    if Z is None:
        return
    moved = False
    for k in range(W.shape[0]):
        # A step cut where a coordinate reaches zero is followed by one on the smaller support.
        for _ in range(_PREDICTOR_ROUNDS):
            cut = _predictor_step(design, datafit, alpha, rho, fit_intercept, W, b, Z, k)
            moved = moved or cut is not None
            if not cut:
                break
    if moved:
        strong_rule.moved_to(W, b, Z)


def _predictor_step(design, datafit, alpha, rho, fit_intercept, W, b, Z, k):
    """One step of :func:`support_predictor` on row ``k``: None if not taken, else whether it was cut."""
    s = datafit.sw
    support = np.flatnonzero(W[k])
    if not 0 < support.shape[0] <= _PREDICTOR_MAX_SUPPORT:
        return None
    y = datafit.Y[:, k]
    columns = support_gram(design, support, s)
    if columns is None:
        return None
    XS, A = columns
    c = np.asarray(XS.T @ (s * y)).ravel()
    if fit_intercept:
        x_mean, y_mean = np.asarray(XS.T @ s).ravel(), float(s @ y)
        A -= np.outer(x_mean, x_mean)
        c -= x_mean * y_mean
    A.flat[:: A.shape[0] + 1] += alpha * (1.0 - rho)
    w0 = W[k, support]
    sign = np.sign(w0)
    c -= alpha * rho * sign
    # LAPACK directly: scipy.linalg's wrappers cost more than this small factorisation.
    factor, info = dpotrf(A, lower=0)
    if info != 0:
        return None  # not positive definite (collinear support, L1)
    w1, info = dpotrs(factor, c, lower=0)
    if info != 0 or not np.all(np.isfinite(w1)):
        return None
    crossed = sign * w1 <= 0.0
    t, zeroed = 1.0, np.zeros_like(crossed)
    if crossed.any():
        reach = w0[crossed] / (w0[crossed] - w1[crossed])  # where each one reaches zero
        t = float(reach.min())
        zeroed[crossed] = reach <= t
    w = w0 + t * (w1 - w0)
    w[zeroed] = 0.0
    # q + the penalty's L1 part off the signs held (exact where a coordinate reached 0).
    change = (0.5 * float(w @ A @ w - w0 @ A @ w0) - float(c @ (w - w0))
              + alpha * rho * float(np.abs(w).sum() - sign @ w))
    if not change < 0.0:
        return None
    W[k, support] = w
    Z[:, k] += XS @ (w - w0)
    if fit_intercept:
        b_new = y_mean - float(x_mean @ w)
        Z[:, k] += b_new - b[k]
        b[k] = b_new
    return bool(zeroed.any())
