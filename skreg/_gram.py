"""The squared loss on many more samples than features: solved on a p x p design.

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
from scipy.linalg.blas import dsyrk
from scipy.linalg.lapack import dpstrf

from ._cd import design_operator, newton_cd_solve
from ._validation import to_design
from .datafits import SQUARED, Datafit

#: Compress when there are at least this many samples per feature ...
_SAMPLES_PER_FEATURE = 10
#: ... and at most this many features for a path, whose points share the one Gram
#: product (n p^2 / 2 multiply-adds, about p / 2 passes over X: a path's certificates and
#: epochs on X cost more than that up to a few thousand features; p^2 floats twice).
_MAX_FEATURES_PATH = 5000
#: A single fit pays the product alone: at most this many features.
_MAX_FEATURES = 1000

#: Entries of X per block of rows when weighted rows are copied for the Gram product.
_BLOCK_ENTRIES = 1 << 22

#: The p x p problem: its design and datafit, and the weighted means that give the intercept.
Compressed = namedtuple("Compressed", ["design", "datafit", "x_mean", "y_mean", "source"])


def worth_compressing(design, datafit, along_path=False):
    """Whether a squared-loss fit on ``design`` is solved on the p x p design instead.

    ``along_path``: the fit is a point of a path (:class:`skreg._cd.StrongRule`), whose
    later points reuse the compressed problem.
    """
    p = design.n_features
    max_features = _MAX_FEATURES_PATH if along_path else _MAX_FEATURES
    return (datafit.code == SQUARED and 0 < p <= max_features
            and design.n_samples >= _SAMPLES_PER_FEATURE * p
            and (design.X_flat.dtype if not design.is_sparse else design.data.dtype)
            == np.float64)


def _weighted_gram(X, s):
    """The upper triangle of ``X^T diag(s) X`` (p x p) for dense Fortran X: BLAS syrk, no copy of X
    when the weights are uniform, else by blocks of weighted rows."""
    n, p = X.shape
    if np.all(s == s[0]):
        return dsyrk(s[0], X, trans=1)
    gram = np.zeros((p, p), order="F")
    rows = max(1, _BLOCK_ENTRIES // p)
    for start in range(0, n, rows):
        block = np.sqrt(s[start:start + rows, None]) * X[start:start + rows]
        gram = dsyrk(1.0, block.T, trans=0, beta=1.0, c=gram, overwrite_c=True)
    return gram


def compress(design, datafit, fit_intercept):
    """The :data:`Compressed` problem of a squared-loss fit, or None if its sums overflow.

    The design is ``R = sqrt(r) U P^T`` from the pivoted Cholesky factorisation
    ``P^T G P = U^T U`` of rank ``r`` (LAPACK ``dpstrf``: semi-definite ``G`` allowed),
    so ``R^T R = r G``; the target solves ``R^T z = r c``.
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
        gram = np.asarray((X.T @ X.multiply(s[:, None]).tocsc()).toarray())
    else:
        gram = _weighted_gram(X, s)
    # Only the upper triangle is read from here on.
    gram -= np.outer(x_mean, x_mean)
    c = np.asarray(X.T @ (s[:, None] * Y)) - np.outer(x_mean, y_mean)
    if not (np.all(np.isfinite(np.triu(gram))) and np.all(np.isfinite(c))):
        return None  # squares overflow: the solver on X itself reports it
    factor, piv, rank, _ = dpstrf(gram, lower=0, overwrite_a=1)
    piv -= 1
    if rank == 0:  # G = 0: one row of zeros keeps the design well-formed
        R, z = np.zeros((1, p), order="F"), np.zeros((1, Y.shape[1]))
    else:
        U = np.triu(factor[:rank])
        z = np.sqrt(rank) * solve_triangular(U[:, :rank], c[piv[:rank]], trans="T")
        R = np.empty((rank, p), order="F")
        R[:, piv] = np.sqrt(rank) * U
    datafit_r = Datafit(SQUARED, np.ascontiguousarray(z), np.full(R.shape[0], 1.0 / R.shape[0]))
    return Compressed(to_design(R), datafit_r, x_mean, y_mean, datafit)


def compressed_cd_solve(design, datafit, penalty, fit_intercept, W, b, tol, max_iter, ws_start,
                        verbose=False, scale=None, strong_rule=None):
    """:func:`skreg._cd.newton_cd_solve` on the compressed problem; the same fit, in place.

    A path's ``strong_rule`` keeps the compressed problem for its later
    points (built again if the data are not the same objects).
    """
    problem = strong_rule.compressed if strong_rule is not None else None
    if problem is None or problem.source is not datafit:
        problem = compress(design, datafit, fit_intercept)
        if problem is None:
            return newton_cd_solve(design, datafit, penalty, fit_intercept, W, b, tol, max_iter,
                                   ws_start, verbose, scale, strong_rule)
        if strong_rule is not None:
            strong_rule.compressed = problem
    # The compressed problem has no intercept: b is 0 while it is solved
    # (a path's remembered predictions were computed with b = 0), then set.
    b[:] = 0.0
    info = newton_cd_solve(problem.design, problem.datafit, penalty, False, W, b, tol, max_iter,
                           ws_start, verbose, scale, strong_rule)
    if fit_intercept:
        b[:] = problem.y_mean - W @ problem.x_mean
    return info
