"""Solvers for the smooth penalties (L2 or none) of penalized linear models.

They minimise the same objective as :mod:`skreg._cd`,

    F(W, b) = sum_i s_i loss(y_i, W x_i + b) + alpha/2 ||W||_2^2

(weights ``s`` summing to one, ``alpha = 0`` for no penalty), stop on the
same full-pass KKT certificate (:class:`skreg._cd.Certificate`) and accept
steps by the same Armijo line search.

Without an L1 part every coefficient is active and the objective is twice
differentiable, so a plain Newton method applies. :func:`newton_smooth_solve`
takes full Newton steps on one row of ``W`` (and its intercept) at a time,
its system solved one of two ways:

* **exact** -- the Hessian ``X1^T diag(h) X1 + alpha I`` (``X1`` is X with
  a column of ones for the intercept) formed by BLAS (``syrk`` over blocks of
  rows, or one sparse product) and factored by Cholesky. Newton then needs
  about 5-10 steps for the logistic loss and one for the squared loss, whose
  Hessian does not change (it is factored once). The choice when
  ``n p^2`` costs less than the passes over X that CG would take
  (:func:`exact_hessian_affordable`).
* **truncated CG** -- Jacobi-preconditioned conjugate gradient on
  Hessian-vector products ``X^T (h * (X v)) + alpha v``, for designs too wide
  for the exact Hessian.

The gradient of each Newton step is the one the certificate's pass has just
computed: no pass over X is spent twice.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import LinAlgError, cho_factor, eigh
from scipy.linalg.blas import dsyrk
from scipy.linalg.lapack import dpotrs
from scipy.special import expit

from ._cd import (
    Certificate,
    SolveInfo,
    armijo_step,
    design_operator,
    starting_point,
    transpose_dot,
    x_dot,
)
from .datafits import _HESS_FLOOR, MULTINOMIAL, SQUARED, loss_along, sample_derivatives


def weighted_squared_norms(design, X_op, h):
    """``sum_i h_i x_ij^2`` for every column ``j`` (the Hessian's diagonal), in float64.

    Dense X is read in blocks of rows (bounded extra memory, whatever its dtype).
    """
    if design.is_sparse:
        squares = sp.csc_matrix((np.square(design.data, dtype=np.float64), design.indices,
                                 design.indptr), shape=X_op.shape)
        return np.asarray(squares.T @ h)
    n, p = X_op.shape
    out = np.zeros(p)
    rows = min(n, max(1, _BLOCK_ENTRIES // max(p, 1)))
    for start in range(0, n, rows):
        block = np.square(X_op[start:start + rows], dtype=np.float64)
        out += h[start:start + rows] @ block
    return out


def column_derivatives(datafit, Z, k):
    """Per-sample gradient ``g`` and Newton weights ``h`` of the datafit along column ``k`` of ``Z``.

    Whole-array numpy for the binary logistic and squared losses (nothing to
    compile, and as fast as a kernel on these few passes over the samples);
    the multinomial's column derivatives come from its kernel.
    """
    code, Y, sw = datafit
    if code == MULTINOMIAL:
        g, h = np.empty(Z.shape[0]), np.empty(Z.shape[0])
        sample_derivatives(datafit, Z, k, g, h)
        return g, h
    z = Z[:, k]
    if code == SQUARED:
        return sw * (z - Y[:, k]), sw
    p = expit(z)
    return sw * (p - Y[:, 0]), sw * np.maximum(p * (1.0 - p), _HESS_FLOOR)


def column_loss(datafit, Z, k, dz, t):
    """The datafit with column ``k`` of ``Z`` moved to ``Z[:, k] + t dz``, up to a constant in ``t``.

    Numpy for the binary logistic and squared losses (as
    :func:`column_derivatives`); the multinomial's from its kernel.
    """
    code, Y, sw = datafit
    if code == MULTINOMIAL:
        return loss_along(datafit, Z, k, dz, t)
    z = Z[:, k] + t * dz
    if code == SQUARED:
        r = z - Y[:, k]
        return 0.5 * float(sw @ (r * r))
    # log(1 + e^z) = max(z, 0) + log1p(e^-|z|): what np.logaddexp(0, z) computes,
    # in a third of its time (one line search step costs about a pass over X).
    return float(sw @ (np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - Y[:, 0] * z))


def _conjugate_gradient(hess_vec, rhs, precond, rtol, floor, max_steps):
    """Preconditioned CG for ``H v = rhs`` (``precond(r)`` ~ ``H^{-1} r``).

    ``hess_vec(d)`` returns ``(H d, X1 d)``: the change of the predictions
    along ``d`` comes with each product, so CG also returns ``X1 v`` and the
    Newton step needs no pass of its own. The residual ``rhs - H v`` is the
    gradient the quadratic model predicts after the step: CG stops when its
    largest entry is ``<= max(rtol ||rhs||_inf, floor)`` (``floor``: the
    certificate's target, below which no solve needs to go). Returns
    ``(v, X1 v, CG steps)``; ``X1 v`` is None when no step was taken.
    """
    v = np.zeros_like(rhs)
    xv = None
    r = rhs.copy()
    z = precond(r)
    d = z.copy()
    rz = r @ z
    target = max(rtol * np.abs(rhs).max(initial=0.0), floor)
    steps = 0
    while steps < max_steps and np.abs(r).max(initial=0.0) > target:
        steps += 1
        Hd, xd = hess_vec(d)
        curvature = d @ Hd
        if curvature <= 0.0:
            break
        step = rz / curvature
        v += step * d
        xv = step * xd if xv is None else xv + step * xd
        r -= step * Hd
        z = precond(r)
        rz_new = r @ z
        d = z + (rz_new / rz) * d
        rz = rz_new
    return v, xv, steps


#: The exact Hessian is formed when its BLAS cost ``n p^2 / 2`` is at most this
#: many passes ``n p`` over dense X (a ``syrk`` pass runs ~15x faster per entry
#: than a matrix-vector one; the logistic losses form it about twice per fit,
#: and Newton-CG spends tens of passes per step). The squared loss's Hessian
#: is formed once per fit and replaces CG on an ill-conditioned system: always
#: worth it below :data:`_EXACT_MAX_FEATURES`.
_EXACT_MAX_PASSES_DENSE = 160
#: Sparse X: the Hessian is one sparse product ``X^T diag(h) X`` of
#: ``sum_i nnz(x_i)^2`` multiply-adds, each about :data:`_SPARSE_PRODUCT_COST`
#: times the cost of an entry of a matrix-vector pass (scipy's sparse product,
#: measured on w8a), against passes of ``nnz(X)`` entries.
_EXACT_MAX_PASSES_SPARSE = 40
_SPARSE_PRODUCT_COST = 10.0
#: The dense Hessian (p + 1)^2 is kept below this many features in any case.
_EXACT_MAX_FEATURES = 4096
#: Rows of dense X scaled and multiplied per ``syrk`` call (bounded extra memory
#: of about ``_BLOCK_ENTRIES`` float64 numbers, whatever the dtype of X).
_BLOCK_ENTRIES = 1 << 16
#: Eigenvalues below this fraction of the largest count as zero when the
#: Hessian is singular (no penalty and collinear or empty columns).
_PINV_RTOL = 1e-12
#: CG steps on a stale Hessian factor above which the Hessian is formed again:
#: about the cost of forming it, in Hessian-vector products, on the designs
#: :func:`exact_hessian_affordable` admits.
_STALE_CG_STEPS = 3
#: CG solves to the certificate's target once the forcing term would stop it
#: within this factor of it (see :func:`_forcing`).
_FORCING_REACH = 10.0


def constant_columns(design, X_op):
    """Mask of the columns of X that hold one value in every sample (all-zero ones included).

    With an unpenalized intercept and no penalty such a column only repeats
    the intercept: the objective is flat along ``(w_j, b) ~ (1, -value)``, and
    the minimum-norm solution would split the intercept between them.
    """
    if design.is_sparse:
        nnz = np.diff(design.indptr)
        mask = nnz == 0
        full = np.flatnonzero(nnz == design.n_samples)
        for j in full:
            values = design.data[design.indptr[j]:design.indptr[j + 1]]
            mask[j] = values.min() == values.max()
        return mask
    return X_op.max(axis=0) == X_op.min(axis=0)


def exact_hessian_affordable(design, datafit):
    """Whether forming and factoring the exact Hessian beats Newton-CG on this design."""
    p = design.n_features
    if p > _EXACT_MAX_FEATURES:
        return False
    constant = datafit.code == SQUARED  # formed once per fit
    if not design.is_sparse:
        return constant or p <= 2 * _EXACT_MAX_PASSES_DENSE
    nnz = float(design.indices.shape[0])
    budget = _EXACT_MAX_PASSES_SPARSE * (4 if constant else 1) * max(nnz, 1.0)
    # sum_i nnz(x_i)^2 >= nnz^2 / n: most designs are decided without counting the rows.
    if p ** 3 / 3 + _SPARSE_PRODUCT_COST * nnz * nnz / max(design.n_samples, 1) > budget:
        return False
    row_nnz = np.bincount(design.indices, minlength=design.n_samples).astype(np.float64)
    return _SPARSE_PRODUCT_COST * float(row_nnz @ row_nnz) + p ** 3 / 3 <= budget


def exact_hessian(design, X_op, h, alpha, fit_intercept):
    """``X1^T diag(h) X1 + alpha I`` ((p + 1) square with the intercept's row and column last).

    Dense X is read in blocks of rows, each scaled by ``sqrt(h)`` into a
    float64 buffer and added by ``syrk`` (X itself is never copied or cast
    whole). When every ``h_i`` is the same (the first Newton step from the
    all-zero model with equal sample weights) float64 X needs no scaling:
    one ``syrk`` reads X in place. Only the upper triangle is filled.
    """
    n, p = design.n_samples, design.n_features
    m = p + 1 if fit_intercept else p
    H = np.zeros((m, m), order="F")
    if not design.is_sparse and X_op.dtype == np.float64 and n > 0 and h.min() == h.max():
        # h_0 X1^T X1: the Gram matrix of X itself (its Fortran view: no copy) and
        # the column sums for the intercept's row.
        h0 = float(h[0])
        H[:p, :p] = dsyrk(h0, X_op, trans=1, lower=0)
        if fit_intercept:
            H[:p, p] = X_op.T @ h
            H[p, p] = h0 * n
    elif design.is_sparse:
        Xh = sp.csc_matrix((design.data * h[design.indices], design.indices, design.indptr),
                           shape=(n, p))
        H[:p, :p] = (X_op.T @ Xh).toarray()
        if fit_intercept:
            H[:p, p] = np.asarray(Xh.sum(axis=0)).ravel()
    else:
        # sqrt(h) * [X, 1] block by block: one syrk also gives the intercept's row.
        root = np.sqrt(h)
        rows = min(n, max(1, _BLOCK_ENTRIES // m))
        buffer = np.empty((rows, m), order="F")
        for start in range(0, n, rows):
            r = root[start:start + rows]
            # A Fortran-ordered float64 block: syrk reads it without a copy.
            block = buffer if r.shape[0] == rows else np.empty((r.shape[0], m), order="F")
            np.multiply(X_op[start:start + rows], r[:, None], out=block[:, :p])
            if fit_intercept:
                block[:, p] = r
            H = dsyrk(1.0, block, beta=1.0, c=H, trans=1, lower=0, overwrite_c=1)
    H[np.arange(p), np.arange(p)] += alpha
    if fit_intercept and design.is_sparse:
        H[p, p] = h.sum()
    return H


class HessianSolver:
    """Solves ``H v = rhs`` for a factored Hessian: Cholesky, or a pseudo-inverse when singular."""

    def __init__(self, H):
        try:
            self._cho = cho_factor(H, lower=False, overwrite_a=False, check_finite=False)
            self._eig = None
        except LinAlgError:
            # No penalty, and collinear or all-zero columns: the minimum-norm Newton step.
            full = np.triu(H) + np.triu(H, 1).T
            vals, vecs = eigh(full, check_finite=False)
            keep = vals > _PINV_RTOL * max(vals[-1], 0.0)
            self._eig = (vecs[:, keep], vals[keep])
            self._cho = None

    def __call__(self, rhs):
        if self._cho is not None:
            # LAPACK's potrs directly: cho_solve's checks cost as much as the
            # solve itself on the small systems CG preconditions with.
            return dpotrs(self._cho[0], rhs, lower=0)[0]
        vecs, vals = self._eig
        return vecs @ ((vecs.T @ rhs) / vals)


def newton_smooth_solve(design, datafit, penalty, fit_intercept, W, b, tol, max_iter,
                        verbose=False, scale=None, exact=True):
    """Newton's method for the smooth case (L2 or no penalty), in place in ``W``, ``b``.

    The same objective, certificate and line search as
    :func:`skreg._cd.newton_cd_solve`. Each step moves one row of ``W`` and
    its intercept along the Newton direction of the datafit in that row
    (the whole Newton step for the binary logistic and squared losses; a
    block step per class for the multinomial). The Newton system is solved
    by preconditioned CG on Hessian-vector products
    ``X^T (h * (X v)) + alpha v``, to a forcing tolerance that tightens as
    the gradient shrinks. The preconditioner is, with ``exact=True``, the
    Cholesky factor of the exact Hessian (:func:`exact_hessian`) -- the step
    is then exact where the factor is fresh; it is formed again only when
    the Newton weights ``h`` have moved enough for CG to need more than
    :data:`_STALE_CG_STEPS` steps -- and otherwise its diagonal (Jacobi).
    Parameters and return value as :func:`skreg._cd.newton_cd_solve` (the
    penalty's ``l1_ratio`` is 0; ``max_iter`` counts Newton steps).
    """
    n, p = design.n_samples, design.n_features
    K = W.shape[0]
    alpha = penalty.alpha
    squared = datafit.code == SQUARED
    X_op = design_operator(design)
    Z, zero_start = starting_point(design, X_op, datafit, fit_intercept, W, b)
    certify = Certificate(design, X_op, datafit, penalty, fit_intercept, tol, zero_start, verbose,
                          scale)
    # Per row of W, the preconditioner (the Hessian's factor, or Jacobi), reused while it serves.
    factors = [None] * K
    # Without a penalty, columns constant over the samples carry nothing the
    # intercept does not: their coefficients stay where they are (0 from a
    # cold start), as in the coordinate-descent solver.
    frozen = (constant_columns(design, X_op) if fit_intercept and alpha == 0.0
              else np.zeros(p, dtype=bool))
    if fit_intercept:
        frozen = np.append(frozen, False)
    f0 = None  # the datafit at the current point, when a line search has computed it
    g = h = None  # the derivatives at the current point (one row of W)
    n_iter = 0
    while True:
        if K == 1:
            # One row of W: the certificate's pass reuses the Newton step's derivatives.
            g, h = column_derivatives(datafit, Z, 0)
            kkt = certify(W, Z, n_iter, g)
        else:
            kkt = certify(W, Z, n_iter)
        if kkt <= certify.kkt_tol or n_iter >= max_iter:
            break
        n_iter += 1
        progress = False
        for k in range(K):
            if K > 1:
                g, h = column_derivatives(datafit, Z, k)
                f0 = None  # the column losses of two rows differ by more than a constant
            w_k = W[k]
            # The certificate's gradient holds until a row of W moves (multinomial).
            grad_w = (transpose_dot(design, X_op, g[:, None])[:, 0] if progress
                      else certify.grad[k])
            grad = grad_w + alpha * w_k
            if fit_intercept:
                grad = np.append(grad, g.sum())
            grad[frozen] = 0.0
            dz = None
            if exact and factors[k] is None:
                H = exact_hessian(design, X_op, h, alpha, fit_intercept)
                if not np.all(np.isfinite(H)):
                    # Squares of the entries of X overflow float64: no Newton
                    # step exists. Non-finite coefficients make the caller raise.
                    W[k] = np.nan
                    return SolveInfo(n_iter, np.inf, certify.n_passes, certify.kkt_tol, 0)
                H[frozen, :] = 0.0
                H[:, frozen] = 0.0
                H[frozen, frozen] = 1.0
                factors[k] = HessianSolver(H)
                step = -factors[k](grad)
            else:
                if factors[k] is None:
                    # Jacobi, formed once per fit: a preconditioner may be stale.
                    diag = weighted_squared_norms(design, X_op, h) + alpha
                    if fit_intercept:
                        diag = np.append(diag, h.sum())
                    inv_diag = 1.0 / np.maximum(diag, 1e-300)
                    factors[k] = inv_diag.__mul__
                step, dz, cg_steps = _conjugate_gradient(
                    lambda v: _hessian_vector(design, X_op, h, alpha, fit_intercept, v, frozen),
                    -grad, factors[k], _forcing(grad, certify), 0.5 * certify.kkt_tol, 250)
                if exact and cg_steps > _STALE_CG_STEPS and not squared:
                    factors[k] = None  # h has moved: form the Hessian again next step
            d, db = step[:p], (step[p] if fit_intercept else 0.0)
            if dz is None:
                dz = np.asarray(x_dot(X_op, d), dtype=np.float64) + db
            # The predicted change g.dz + alpha (w.d + d.d / 2) = grad.step + alpha d.d / 2,
            # per unit of the step's size u: targets ~2**600 would overflow g.dz and d.d,
            # X of entries ~1e-300 underflow them (and X d).
            u = float(np.abs(step).max(initial=0.0))
            u = u if u > 0.0 else 1.0
            wd_u, dd_u = float(w_k @ (d / u)), float((d / u) @ (d / u))
            predicted_u = float(grad @ (step / u)) + 0.5 * alpha * u * dd_u
            if squared:  # the quadratic model is the objective
                # A NaN prediction (non-finite data) takes the step, as the line search
                # does: non-finite coefficients then make the caller raise.
                t = 0.0 if predicted_u > 0.0 or not (np.any(d) or db) else 1.0
            else:
                t, f0 = _line_search(lambda t, dz=dz: column_loss(datafit, Z, k, dz, t), f0,
                                     u * predicted_u, alpha, u * wd_u, u * u * dd_u)
            if t > 0.0:
                progress = True
                w_k += t * d
                b[k] += t * db
                Z[:, k] += t * dz
        if datafit.code == MULTINOMIAL and alpha > 0.0:
            # The L2-optimal shift across classes is the mean (see shift_to_penalty_optimum).
            W -= W.mean(axis=0)
        if not progress:
            break  # nothing moved: kkt is the certificate here
    return SolveInfo(n_iter, kkt, certify.n_passes, certify.kkt_tol, 0)


def _forcing(grad, certify):
    """Relative tolerance of the CG solve of a Newton system with right-hand side ``grad``.

    Loose far from the optimum, ``sqrt(||grad|| / alpha_max)`` closer in
    (superlinear convergence). Once that would leave the next gradient within
    a few times the certificate's target, the solve goes all the way to the
    target instead (0: CG's floor decides): a few more CG steps cost less
    than one more Newton step with its certificate pass.
    """
    size = np.abs(grad).max(initial=0.0)
    rtol = min(0.5, np.sqrt(size / max(certify.scale, 1e-300)))
    return 0.0 if rtol * size <= _FORCING_REACH * certify.kkt_tol else rtol


def _line_search(datafit_at, f0, predicted, alpha, wd, dd):
    """Armijo step along a Newton direction; returns ``(t, datafit at the new point or None)``.

    ``datafit_at(t)`` is the datafit a step ``t`` away, ``f0`` its value at
    ``t = 0`` when known (None: computed here), ``wd = w . d`` and
    ``dd = d . d`` give the ridge term's change. The returned value starts
    the next line search, saving one pass over the samples per step.
    """
    if f0 is None:
        f0 = datafit_at(0.0)
    tried = {}

    def change(t):
        tried[t] = datafit_at(t)
        return tried[t] - f0 + alpha * (t * wd + 0.5 * t * t * dd)

    t = armijo_step(change, predicted, f0)
    return t, tried.get(t)


def _hessian_vector(design, X_op, h, alpha, fit_intercept, v, frozen):
    """``(H v, X1 v)`` for the Hessian of one row of W (intercept last in ``v``): two passes over X.

    Restricted to the coordinates not ``frozen`` (they stay 0 in ``v`` and in ``H v``).
    """
    p = design.n_features
    v = np.where(frozen, 0.0, v)
    u = np.asarray(x_dot(X_op, v[:p]), dtype=np.float64)
    if fit_intercept:
        u += v[p]
    hu = h * u
    out = np.empty_like(v)
    out[:p] = transpose_dot(design, X_op, hu[:, None])[:, 0] + alpha * v[:p]
    if fit_intercept:
        out[p] = hu.sum()
    out[frozen] = 0.0
    return out, u


# ---------------------------------------------------------------------------
# Multinomial: Newton on the full softmax Hessian (all classes at once).
# ---------------------------------------------------------------------------

#: The full multinomial Hessian has ``K (p + 1)`` rows: formed (``K (K + 1) / 2``
#: products ``X^T diag(h_kl) X``) and factored while ``K p`` is at most this...
_MULTINOMIAL_MAX_SIZE = 1024
#: ... and its products cost at most this many multiply-adds (``n (K p)^2 / 2``).
_MULTINOMIAL_MAX_FLOPS = 4e9
#: The full Hessian costs tens of Hessian-vector products (``K m`` columns
#: against ``K``): a stale factor serves longer than in the binary case.
_STALE_CG_STEPS_MULTINOMIAL = 12
#: Below this many multiply-adds (``n (K m)^2 / 2``) the Hessian is formed at
#: every step: exact Newton costs next to nothing there, and its iterates do
#: not depend on where CG on a stale factor happened to stop (so weighted and
#: repeated rows give the same fit to round-off, not only to ``tol``).
_MULTINOMIAL_FRESH_FLOPS = 1e7


def multinomial_hessian_affordable(design, K):
    """Whether Newton on the full softmax Hessian suits this (dense) design and ``K`` classes."""
    size = K * design.n_features
    return (not design.is_sparse and size <= _MULTINOMIAL_MAX_SIZE
            and design.n_samples * size * size / 2 <= _MULTINOMIAL_MAX_FLOPS)


def _softmax(Z):
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    return P


def multinomial_hessian(X_op, P, sw, alpha, fit_intercept):
    """The softmax Hessian in ``(W, b)``, class-major: entry ``(k, j), (l, m)`` is
    ``sum_i s_i P_ik (delta_kl - P_il) x_ij x_im`` (``x_i`` with a trailing 1 for
    the intercept), plus ``alpha`` on the coefficients and a weight on the
    shifts shared by all classes. Only the upper triangle is filled.

    It is ``blockdiag_k(X1^T diag(s P_k) X1) - C^T C`` with
    ``C = [X1 * sqrt(s) P_k]_k``: one ``syrk`` per block of rows.
    The softmax does not change when every class's coefficient of a feature
    (or every intercept) moves by the same amount: the Hessian is singular
    along those shifts. The gradient has no component along them (the
    solver keeps ``W`` centred), so the added term leaves the Newton step
    unchanged and makes the matrix definite. X is read in blocks of rows
    copied to float64 (never whole).
    """
    n, p = X_op.shape
    K = P.shape[1]
    m = p + 1 if fit_intercept else p
    size = K * m
    H = np.zeros((size, size), order="F")
    diagonal = [np.zeros((m, m), order="F") for _ in range(K)]
    rows = min(n, max(1, 4 * _BLOCK_ENTRIES // size))
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        B = np.empty((stop - start, m), order="F")
        B[:, :p] = X_op[start:stop]
        if fit_intercept:
            B[:, p] = 1.0
        root = np.sqrt(sw[start:stop])
        Pb = P[start:stop]
        C = np.empty((stop - start, size), order="F")
        for k in range(K):
            np.multiply(B, (root * Pb[:, k])[:, None], out=C[:, k * m:(k + 1) * m])
            D = np.multiply(B, (root * np.sqrt(Pb[:, k]))[:, None], order="F")
            diagonal[k] = dsyrk(1.0, D, beta=1.0, c=diagonal[k], trans=1, lower=0,
                                overwrite_c=1)
        H = dsyrk(-1.0, C, beta=1.0, c=H, trans=1, lower=0, overwrite_c=1)
    for k in range(K):
        H[k * m:(k + 1) * m, k * m:(k + 1) * m] += np.triu(diagonal[k])
    coef = np.tile(np.r_[np.ones(p), np.zeros(m - p)], K).astype(bool)
    idx = np.arange(size)
    H[idx[coef], idx[coef]] += alpha
    # The shift term (1/K) 1 1^T (x) I_m, upper triangle, scaled like the diagonal.
    weight = max(np.trace(H) / size, 1e-12) / K
    for k in range(K):
        for l in range(k, K):
            H[k * m + np.arange(m), l * m + np.arange(m)] += weight
    return H


def newton_multinomial_solve(design, datafit, penalty, fit_intercept, W, b, tol, max_iter,
                             verbose=False, scale=None):
    """Newton on the full softmax Hessian for the smooth multinomial, in place in ``W``, ``b``.

    All classes move at once, so the class coupling costs no extra steps
    (the per-class block steps of :func:`newton_smooth_solve` converge only
    linearly when the classes interact). The exact Hessian
    (:func:`multinomial_hessian`) gives the first step; its Cholesky factor
    then preconditions CG on Hessian-vector products until CG needs more
    than :data:`_STALE_CG_STEPS` steps, and is formed again. Same
    certificate and line search as the other solvers; parameters and return
    value as :func:`skreg._cd.newton_cd_solve`.
    """
    # Imported here: the multinomial module is loaded by multinomial fits only.
    from ._multinomial import multinomial_loss_along

    p = design.n_features
    K = W.shape[0]
    alpha = penalty.alpha
    m = p + 1 if fit_intercept else p
    X_op = design_operator(design)
    Z, zero_start = starting_point(design, X_op, datafit, fit_intercept, W, b)
    certify = Certificate(design, X_op, datafit, penalty, fit_intercept, tol, zero_start, verbose,
                          scale)
    sw, Y = datafit.sw, datafit.Y
    solve = None
    fresh = design.n_samples * (K * m) ** 2 / 2 <= _MULTINOMIAL_FRESH_FLOPS
    f0 = None
    n_iter = 0
    while True:
        P = _softmax(Z)
        G = sw[:, None] * (P - Y)
        kkt = certify(W, Z, n_iter, G)
        if kkt <= certify.kkt_tol or n_iter >= max_iter:
            break
        n_iter += 1
        if fresh:
            solve = None
        grad = np.zeros((K, m))
        grad[:, :p] = certify.grad + alpha * W
        if fit_intercept:
            grad[:, p] = G.sum(axis=0)
        grad = grad.ravel()
        dZ = None
        if solve is None:
            solve = HessianSolver(multinomial_hessian(X_op, P, sw, alpha, fit_intercept))
            step = -solve(grad)
        else:
            def hess_vec(v):
                V = v.reshape(K, m)
                U = np.asarray(x_dot(X_op, V[:, :p].T), dtype=np.float64)  # (n, K)
                if fit_intercept:
                    U = U + V[:, p]
                PU = P * U
                R = sw[:, None] * (PU - P * PU.sum(axis=1, keepdims=True))
                out = np.zeros((K, m))
                out[:, :p] = transpose_dot(design, X_op, R).T + alpha * V[:, :p]
                if fit_intercept:
                    out[:, p] = R.sum(axis=0)
                return out.ravel(), U

            step, dZ, cg_steps = _conjugate_gradient(hess_vec, -grad, solve,
                                                     _forcing(grad, certify),
                                                     0.5 * certify.kkt_tol, 250)
            if cg_steps > _STALE_CG_STEPS_MULTINOMIAL:
                solve = None  # P has moved: form the Hessian again next step
        step = step.reshape(K, m)
        dW = step[:, :p]
        db = step[:, p] if fit_intercept else np.zeros(K)
        if dZ is None:
            dZ = np.asarray(x_dot(X_op, dW.T), dtype=np.float64) + db
        dZt = np.ascontiguousarray(dZ.T)
        wd, dd = float(np.sum(W * dW)), float(np.sum(dW * dW))
        predicted = float(np.sum(G * dZ)) + alpha * (wd + 0.5 * dd)
        t, f0 = _line_search(lambda t: multinomial_loss_along(datafit, Z, dZt, t), f0,
                             predicted, alpha, wd, dd)
        if t == 0.0:
            break  # no step decreases the objective: kkt is the certificate here
        W += t * dW
        b += t * db
        Z += t * dZ
        if alpha > 0.0:
            W -= W.mean(axis=0)  # the L2-optimal shift across classes (logits unchanged)
    return SolveInfo(n_iter, kkt, certify.n_passes, certify.kkt_tol, 0)
