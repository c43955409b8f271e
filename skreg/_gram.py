"""The squared loss on many more samples than features: solved on a p x p design.

The weighted squared loss with an intercept,

    F(w, b) = 1/2 sum_i s_i (y_i - x_i . w - b)^2 + alpha * R(w)     (sum_i s_i = 1),

depends on the data only through the centred Gram matrix ``G = Xc^T S Xc`` and
``c = Xc^T S yc`` (``Xc``, ``yc`` centred by the weighted means; with the optimal
intercept ``b = ybar - xbar . w``):

    F(w) = 1/2 w^T G w - c^T w + const + alpha * R(w).

With ``G = V diag(lam) V^T`` the design ``R = sqrt(p) diag(sqrt(lam)) V^T`` (p rows)
and target ``z = sqrt(p) diag(1/sqrt(lam)) V^T c`` with uniform weights ``1/p`` give
the same ``F`` up to a constant, hence the same minimisers, gradients, KKT
violations and ``alpha_max``. Forming ``G`` costs one BLAS product over X; every
coordinate-descent epoch afterwards reads ``p^2`` entries instead of ``n p`` (what
glmnet's covariance updates achieve for ``n >> p``). Along a path the compressed
problem is built once and kept by the path's :class:`skreg._cd.StrongRule`.
"""

from collections import namedtuple

import numpy as np
import scipy.sparse as sp

from ._cd import design_operator, newton_cd_solve
from ._validation import to_design
from .datafits import SQUARED, Datafit

#: Compress when there are at least this many samples per feature ...
_SAMPLES_PER_FEATURE = 10
#: ... and at most this many features (the Gram matrix and its eigenvectors in memory).
_MAX_FEATURES = 1000

#: Rows of dense X per block of the Gram product.
_ROWS_PER_BLOCK = 4096

#: The p x p problem: its design and datafit, and the weighted means that give the intercept.
Compressed = namedtuple("Compressed", ["design", "datafit", "x_mean", "y_mean", "source"])


def worth_compressing(design, datafit):
    """Whether a squared-loss fit on ``design`` is solved on the p x p design instead."""
    p = design.n_features
    return (datafit.code == SQUARED and 0 < p <= _MAX_FEATURES
            and design.n_samples >= _SAMPLES_PER_FEATURE * p
            and (design.X_flat.dtype if not design.is_sparse else design.data.dtype)
            == np.float64)


def compress(design, datafit, fit_intercept):
    """The :data:`Compressed` problem of a squared-loss fit, or None if its sums overflow."""
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
        # By blocks of rows: no copy of X.
        gram = np.zeros((p, p))
        for start in range(0, design.n_samples, _ROWS_PER_BLOCK):
            rows = X[start:start + _ROWS_PER_BLOCK]
            gram += rows.T @ (s[start:start + _ROWS_PER_BLOCK, None] * rows)
    gram -= np.outer(x_mean, x_mean)
    c = np.asarray(X.T @ (s[:, None] * Y)) - np.outer(x_mean, y_mean)
    if not (np.all(np.isfinite(gram)) and np.all(np.isfinite(c))):
        return None  # squares overflow: the solver on X itself reports it
    lam, V = np.linalg.eigh(gram)
    keep = lam > 1e-13 * max(lam[-1], 0.0)
    root = np.sqrt(np.where(keep, lam, 0.0))
    R = np.sqrt(p) * (root[:, None] * V.T)
    z = np.sqrt(p) * np.where(keep, 1.0 / np.where(keep, root, 1.0), 0.0)[:, None] * (V.T @ c)
    datafit_p = Datafit(SQUARED, np.ascontiguousarray(z), np.full(p, 1.0 / p))
    return Compressed(to_design(np.asfortranarray(R)), datafit_p, x_mean, y_mean, datafit)


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
