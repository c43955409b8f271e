"""Solvers for penalized linear models: numba kernels driven by short Python loops.

Every solver here takes a datafit (:mod:`skreg.datafits`: logistic,
multinomial or squared loss) and a penalty (:mod:`skreg.penalties`) and
minimises

    F(W, b) = sum_i s_i loss(y_i, W x_i + b) + alpha * R(W)

(weights ``s`` summing to one) without knowing which loss or penalty it is:
the kernels branch on the datafit's and the penalty's small integer codes.

The L1 / elastic-net solver is a proximal Newton method with working sets
(the glmnet / newGLMNET scheme, with celer-style growing working sets):

* **Outer loop** (:func:`newton_cd_solve`) -- one product ``X^T G`` (BLAS or
  scipy, :class:`Certificate`) gives the gradient of the datafit and the KKT
  violation of each coordinate (:func:`skreg.penalties.violations`). The
  largest violation is the certificate: the fit stops when it is
  ``<= tol * alpha_max``. Otherwise a working set is chosen: the current
  support plus the worst violators, growing 4x per pass.
* **Inner loop** (:func:`solve_working_set`) -- proximal Newton on the
  working set only: a quadratic model of the datafit around the current
  predictions (per-sample gradient ``g`` and weights ``h``) is minimised by
  cyclic coordinate descent with the penalty's prox
  (:func:`minimise_quadratic_model`); the intercept is eliminated from the
  model exactly (so it does not stall under class imbalance). For the
  logistic losses a backtracking line search on the true objective accepts
  the step. For the squared loss the model *is* the objective: the step is
  taken as it is, and the inner loop is plain coordinate descent on the
  residual ``g = s * (X w + b - y)``.
* **Multinomial** -- solved on the full softmax Hessian by
  :mod:`skreg._multinomial`, which reuses the column primitives, the
  certificate, the working-set choice and the line search defined here.

Without an L1 part, large designs go to truncated Newton-CG
(:func:`skreg._smooth.newton_smooth_solve`) with the same certificate and line
search.

Dense and sparse design matrices share every kernel: the column primitives
(:func:`col_dot`, and the forms on the design's arrays that the kernels use:
``_col_dot``, ``_col_axpy``, ``_col_axpy_weighted``) branch once per column on
``is_sparse`` and the rest of the solver never sees the layout. Dense X is read as a flat
Fortran-ordered vector, sparse X as CSC arrays (see
:class:`skreg._validation.Design`, passed to the kernels whole). Float32 X is
read as float32; every accumulation is float64.

No kernel call runs long: coordinate descent is called for a bounded number
of column entries at a time (:data:`ENTRIES_PER_CALL`) and loops in Python
between calls, so that a KeyboardInterrupt stops a fit promptly.
"""

from collections import namedtuple

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.linalg.lapack import dpotrf as _potrf
from scipy.linalg.lapack import dpotrs as _potrs
from scipy.special import expit, xlogy

from . import _cache  # noqa: F401  (numba's cache locations: before any kernel is defined)
from .datafits import (
    LOGISTIC,
    SQUARED,
    derivatives_along,
    gradient,
    intercept_only,
    mean_at_zero,
    value,
    sample_derivatives,
)
from .penalties import L0L2, coordinate_violation, prox, violations
from .penalties import value as penalty_value

_JIT = dict(cache=True, nogil=True)
# Reassociation lets LLVM vectorise the dot-product reductions; the result is
# still deterministic for a given input.
_FAST = dict(cache=True, nogil=True, fastmath={"reassoc", "contract"})
# The column primitives are inlined into their callers (which carry the same
# fastmath flags): separate compilation of each cost ~0.4 s of cold start.
_COLUMN = dict(_FAST, inline="always")

#: Armijo constant of the backtracking line search.
_ARMIJO = 0.01
_MAX_BACKTRACK = 40
#: Coordinate-descent epochs allowed per quadratic model.
_MAX_CD_EPOCHS = 500
#: Column entries one coordinate-descent kernel call may read (about 0.1-0.3 s;
#: at least one epoch is always run): the Python loop between calls is where a
#: KeyboardInterrupt is seen.
ENTRIES_PER_CALL = 100_000_000
#: Newton steps on one working set without halving its KKT violation before
#: the solver falls back to a full pass (which then decides whether the fit
#: still moves in floating point).
_STALLED_STEPS = 5
#: Full passes in a row at which neither the objective nor the certificate
#: improved before the solver stops (an unreachable ``tol``).
_STALLED_PASSES = 3
#: Along a logistic path with p > n, a point holds once its relative duality
#: gap is at most ``_GAP_PER_TOL * tol`` (1e-6 at the default tol=1e-4; not
#: below ``_GAP_FLOOR``, round-off of the objective's sums), or once its KKT
#: violation is at most ``_KKT_FALLBACK * tol * alpha_max``. The fallback
#: bounds the cost where the gap overstates the error: for L1 the gap is about
#: ``(||X^T g||_inf - alpha) ||w||_1``, linear in the violation while the
#: error falls faster (leukemia is within 1e-7 of its minimum at a tenth of
#: the KKT target, where its gaps are still ~1e-6).
_GAP_PER_TOL = 1e-2
_GAP_FLOOR = 1e-13
_KKT_FALLBACK = 0.1
#: Each quadratic model is solved until CD moves no coordinate's gradient by
#: more than this fraction of the working set's KKT violation (inexact
#: Newton). A tighter model means fewer Newton steps for more CD epochs:
#: worth it on small working sets, where a step's fixed cost (Python, the
#: line search over the samples) outweighs an epoch (``_FORCING_SMALL`` up to
#: ``_SMALL_EPOCH`` column entries per epoch), not on large ones nor for the
#: squared loss (whose model is exact: a "step" is a run of CD epochs).
_FORCING = 0.3
_FORCING_SMALL = 0.1
_SMALL_EPOCH = 300_000

# ---------------------------------------------------------------------------
# Column primitives: the only place that knows dense from sparse.
# ---------------------------------------------------------------------------
# Each comes twice: on the design's arrays (``X_flat, data, indices, indptr,
# is_sparse, n``), for hot loops that take them out of ``X`` once (taking an
# array out of the Design tuple at every call costs reference counting: CD
# epochs on sparse X ran 1.4x slower), and on ``X`` itself.


@njit(**_COLUMN)
def _col_dot(X_flat, data, indices, indptr, is_sparse, n, j, v):
    acc = 0.0
    if is_sparse:
        for k in range(indptr[j], indptr[j + 1]):
            acc += data[k] * v[indices[k]]
    else:
        x = X_flat[j * n:(j + 1) * n]  # a 0-based view: no wraparound check, so it vectorises
        for i in range(n):
            acc += x[i] * v[i]
    return acc


@njit(**_COLUMN)
def col_dot(X, j, v):
    """``x_j . v`` for column ``j`` of the design ``X``."""
    return _col_dot(X.X_flat, X.data, X.indices, X.indptr, X.is_sparse, X.n_samples, j, v)


@njit(**_COLUMN)
def _col_axpy_weighted(X_flat, data, indices, indptr, is_sparse, n, j, scale, h, out):
    if is_sparse:
        for k in range(indptr[j], indptr[j + 1]):
            i = indices[k]
            out[i] += scale * h[i] * data[k]
    else:
        x = X_flat[j * n:(j + 1) * n]
        for i in range(n):
            out[i] += scale * h[i] * x[i]


@njit(**_COLUMN)
def _col_axpy(X_flat, data, indices, indptr, is_sparse, n, j, scale, out):
    if is_sparse:
        for k in range(indptr[j], indptr[j + 1]):
            out[indices[k]] += scale * data[k]
    else:
        x = X_flat[j * n:(j + 1) * n]
        for i in range(n):
            out[i] += scale * x[i]


@njit(**_COLUMN)
def _col_dot_moments(X_flat, data, indices, indptr, is_sparse, n, j, v, h):
    """``(x_j . v, sum_i h_i x_ij, sum_i h_i x_ij^2)`` in one pass over column ``j``."""
    dot = 0.0
    s1 = 0.0
    s2 = 0.0
    if is_sparse:
        for k in range(indptr[j], indptr[j + 1]):
            i = indices[k]
            hx = h[i] * data[k]
            dot += data[k] * v[i]
            s1 += hx
            s2 += hx * data[k]
    else:
        x = X_flat[j * n:(j + 1) * n]
        for i in range(n):
            hx = h[i] * x[i]
            dot += x[i] * v[i]
            s1 += hx
            s2 += hx * x[i]
    return dot, s1, s2


def column_entries(design, cols):
    """Entries of X stored in the columns ``cols`` (the cost of one CD epoch over them)."""
    if design.is_sparse:
        return int(np.sum(design.indptr[cols + 1] - design.indptr[cols]))
    return design.n_samples * cols.shape[0]


def design_operator(design):
    """X as a matrix for whole-matrix products: a 2-D Fortran view or a CSC matrix (no copy)."""
    n, p = design.n_samples, design.n_features
    if design.is_sparse:
        return sp.csc_matrix((design.data, design.indices, design.indptr), shape=(n, p))
    return design.X_flat.reshape((n, p), order="F")


def linear_predictor(X_op, W, b):
    """``Z = X W^T + b`` (n, K) for coefficients ``W`` of shape (K, p), by BLAS / scipy."""
    return np.ascontiguousarray(x_dot(X_op, W.T), dtype=np.float64) + b


@njit(**_FAST)
def dense_dot(X_flat, n, V, out):
    """``out[k] = X V[:, k]`` for flat Fortran X of any float dtype, accumulated in float64."""
    p, K = V.shape
    for k in range(K):
        o = out[k]
        for i in range(n):
            o[i] = 0.0
        for j in range(p):
            v = V[j, k]
            if v != 0.0:
                x = X_flat[j * n:(j + 1) * n]  # 0-based view: vectorises
                for i in range(n):
                    o[i] += v * x[i]


def x_dot(X_op, V):
    """``X V`` for ``V`` of shape (p,) or (p, K): BLAS / scipy, or for float32 dense X a
    kernel accumulating in float64 (``X_op @ V`` would upcast a float64 copy of all of X)."""
    if sp.issparse(X_op) or X_op.dtype == np.float64:
        return X_op @ V
    V2 = np.ascontiguousarray(np.reshape(V, (V.shape[0], -1)), dtype=np.float64)
    out = np.empty((V2.shape[1], X_op.shape[0]))
    dense_dot(X_op.ravel(order="F"), X_op.shape[0], V2, out)  # ravel: a view of Fortran X
    return out.T if np.ndim(V) == 2 else out[0]


@njit(**_FAST)
def dense_transpose_dot(X_flat, n, G, out):
    """``out = X^T G`` for flat Fortran X of any float dtype, accumulated in float64."""
    p = out.shape[0]
    K = G.shape[1]
    for j in range(p):
        x = X_flat[j * n:(j + 1) * n]  # 0-based view: vectorises
        for k in range(K):
            g = G[:, k]
            acc = 0.0
            for i in range(n):
                acc += x[i] * g[i]
            out[j, k] = acc


def transpose_dot(design, X_op, G):
    """``X^T G`` (p, K) in float64: BLAS for float64 dense, scipy for sparse."""
    if design.is_sparse:
        return np.asarray(X_op.T @ G)
    if design.X_flat.dtype == np.float64:
        # With several columns in G, OpenBLAS runs G^T X faster than X^T G on
        # Fortran X (one thread, K=10: 55 vs 97 ms on 20000 x 2000, 15.8 vs
        # 19.4 ms on 10000 x 784); with one column both take the same time.
        return (G.T @ X_op).T if G.shape[1] > 1 else X_op.T @ G
    # float32 X: a float32 BLAS product would round G; accumulate in float64.
    out = np.empty((design.n_features, G.shape[1]))
    dense_transpose_dot(design.X_flat, design.n_samples, np.asfortranarray(G), out)
    return out


# ---------------------------------------------------------------------------
# The certificate: gradient and KKT violations.
# ---------------------------------------------------------------------------


def full_kkt(design, X_op, datafit, penalty, fit_intercept, W, Z, G, viol, g=None):
    """KKT violation of every coordinate (into ``viol``), its maximum, and the gradient (K, p).

    One product ``X^T G`` (BLAS or scipy): this is the certificate the
    solver stops on, and the scores the working sets are chosen by. ``g``
    is the per-sample gradient at ``Z`` (n,) or (n, K) when the caller has
    it: it saves a pass over the samples. With an intercept it also returns
    the intercepts' violations ``|sum_i G_ik|`` and the sizes of the sample
    gradients ``sum_i |G_ik|`` (K,) (else None, None).
    """
    if g is None:
        gradient(datafit, Z, G)
    else:
        G[:] = g.reshape(G.shape)
    grad = transpose_dot(design, X_op, G).T
    viol[:] = violations(penalty, W, grad)
    kkt = viol.max(initial=0.0)
    if not fit_intercept:
        return kkt, grad, None, None
    return kkt, grad, np.abs(G.sum(axis=0)), np.abs(G).sum(axis=0)


def starting_point(design, X_op, datafit, fit_intercept, W, b):
    """Predictions at the start, and whether the start is the all-zero model.

    From all-zero coefficients the intercepts start at their optimum for
    ``W = 0`` (:func:`skreg.datafits.intercept_only`), so the first full pass
    is both the first certificate and :func:`max_gradient_at_zero`, and the
    product ``X W^T`` is skipped.
    """
    zero_start = not W.any()
    if zero_start and fit_intercept:
        b0 = intercept_only(datafit)
        if not b.any() and b0 is not None:
            b[:] = b0
        else:
            zero_start = False
    if zero_start:
        return np.tile(b, (design.n_samples, 1)), True
    return linear_predictor(X_op, W, b), False


def max_gradient_at_zero(design, X_op, datafit, fit_intercept):
    """``||grad_W F(W = 0)||_inf`` with the intercepts at their optimum for ``W = 0``.

    This is ``alpha_max`` for the L1 penalty: the smallest ``alpha`` whose
    solution is all zeros (:func:`skreg.penalties.alpha_max` for the others).
    The solvers' ``tol`` is relative to it. For the squared loss it is
    ``||X^T (s * (y - ybar_s))||_inf`` (weights summing to one).
    """
    mean = mean_at_zero(datafit, fit_intercept)
    G = datafit.sw[:, None] * (mean[None, :] - datafit.Y)
    return float(np.abs(transpose_dot(design, X_op, G)).max(initial=0.0))


def working_set_kkt(X, datafit, penalty, fit_intercept, W, Z, ws, ws_len, model, cache):
    """Largest KKT violation over the working sets (and intercepts).

    Python over two kernels, so that the derivatives are not compiled a
    second time inside a jitted caller (cold start). With one row of W the
    derivatives at ``Z`` are kept in ``model`` (:func:`refresh_derivatives`).
    """
    kkt = 0.0
    K = W.shape[0]
    g = model.g
    for k in range(K):
        if K == 1:
            refresh_derivatives(datafit, Z, model, cache)
        else:
            sample_derivatives(datafit, Z, k, g, model.h)
        if fit_intercept:
            kkt = max(kkt, abs(float(np.sum(g))))
        kkt = max(kkt, _working_set_violation(X, W[k], ws[k], ws_len[k], g, penalty))
    return kkt


@njit(**_FAST)
def _working_set_violation(X, w_k, ws_k, nws, g, penalty):
    """Largest KKT violation of row ``k`` of W over its working set ``ws_k[:nws]``."""
    code, alpha, l1_ratio = penalty
    kkt = 0.0
    for idx in range(nws):
        j = ws_k[idx]
        kkt = max(kkt, coordinate_violation(code, w_k[j], col_dot(X, j, g), alpha, l1_ratio))
    return kkt


# ---------------------------------------------------------------------------
# The quadratic model of one row of W on its working set, minimised by CD.
# ---------------------------------------------------------------------------

#: Per-sample and per-working-set-column arrays of one quadratic model:
#: gradient ``g`` and Newton weights ``h`` (n,), ``dz`` (n,) (the model
#: gradient ``r = g + h * (X dw)`` during CD, the change of the predictions
#: after it), and per working-set position the step ``dw``, the centred
#: curvature ``hdiag`` and ``hsum = sum_i h_i x_ij``.
QuadraticModel = namedtuple("QuadraticModel", ["g", "h", "dz", "dw", "hdiag", "hsum"])


def quadratic_model(n, p):
    """Buffers of a :data:`QuadraticModel` for ``n`` samples and ``p`` features."""
    return QuadraticModel(np.empty(n), np.empty(n), np.empty(n), np.empty(p), np.empty(p),
                          np.empty(p))


#: The derivatives at a trial step of the line search (``g_next``, ``h_next``)
#: and, in ``state`` = ``[valid, loss, sum_h]``, whether ``model.g`` and
#: ``model.h`` hold the derivatives at the current predictions (one row of W
#: only: the loss there and ``sum(h)``). Each accepted step then costs one
#: pass over the samples (one ``exp`` and ``log1p`` each for the logistic
#: loss) for its line search, the next quadratic model, the working-set
#: check and the certificate together.
DerivativeCache = namedtuple("DerivativeCache", ["g_next", "h_next", "state"])


def derivative_cache(n):
    """An empty :data:`DerivativeCache` for ``n`` samples."""
    return DerivativeCache(np.empty(n), np.empty(n), np.zeros(3))


def refresh_derivatives(datafit, Z, model, cache):
    """Make ``model.g``, ``model.h`` the derivatives at ``Z`` (row 0); returns ``(loss, sum_h)``."""
    state = cache.state
    if not state[0]:
        state[1], state[2] = derivatives_along(datafit, Z, 0, model.dz, 0.0, model.g, model.h)
        state[0] = 1.0
    return state[1], state[2]


#: Largest support :func:`support_newton_step` factors (its Gram matrix and
#: the factor: 36 MB).
_NEWTON_MAX_SUPPORT = 1500
#: Sparse support columns with a smaller fraction of stored entries are left
#: to CD: scipy's sparse Gram product then costs more than the epochs the
#: step saves (w8a, 4% dense: 34 steps took 1.4 s of a 3.6 s L1 path). The
#: fraction does not change when rows are repeated, as weights require.
_NEWTON_MIN_DENSITY = 0.25
#: A coordinate whose CD update changes it by at most this fraction of its
#: value has not moved (round-off): it does not keep CD running when
#: ``cd_tol`` is below what floating point can resolve.
_ROUNDOFF_MOVE = 1e-13
#: A Newton step on the support that leaves a coordinate at this fraction of
#: its value or less sets it to zero.
_SNAP_TO_ZERO = 1e-9


def support_gram(design, cols, weights):
    """Columns ``cols`` of X as float64 and their weighted Gram matrix ``X_S^T diag(weights) X_S``.

    None for sparse columns below :data:`_NEWTON_MIN_DENSITY` (checked before
    any copy): there the product costs more than the CD epochs a step on the
    support saves.
    """
    if (design.is_sparse and column_entries(design, cols)
            < _NEWTON_MIN_DENSITY * design.n_samples * cols.size):
        return None
    X_s = design_operator(design)[:, cols]
    if design.is_sparse:
        X_s = X_s.astype(np.float64)
        return X_s, (X_s.T @ X_s.multiply(weights[:, None]).tocsc()).toarray()
    X_s = np.asarray(X_s, dtype=np.float64)
    return X_s, X_s.T @ (weights[:, None] * X_s)


def support_newton_step(design, ws, nws, w_k, model, sum_h, penalty, fit_intercept, state):
    """Newton step on the quadratic model over the non-zeros of ``w_k[ws] + dw``, signs held.

    :func:`cd_quadratic_model` asks for it (``state[2] < 0``) when its
    active-set cycling stalls, returning to :func:`minimise_quadratic_model`,
    which takes it (BLAS and LAPACK: nothing more to compile) and calls again.
    With the signs of the support fixed the penalty is smooth there, and the
    model restricted to the support is a quadratic in ``|S|`` unknowns: its
    Newton step solves ``(X_S^T H X_S + alpha (1 - l1_ratio) I) d = -grad_S``
    (columns centred by the ``h``-weighted mean with an intercept, as in CD).
    The step is cut where a coordinate first reaches zero (the quadratic
    decreases all along it, and that coordinate is set to exactly zero) and
    taken only if the model decreases and the Gram matrix is positive
    definite to working precision (and, for sparse X, only on support columns
    at least :data:`_NEWTON_MIN_DENSITY` dense). On nearly collinear columns (more features
    than samples, near interpolation) it finishes what CD needs hundreds of
    epochs for. Updates ``model.dw``, ``model.dz`` (the model gradient during
    CD) and ``state[0]`` (its sum) in place.
    """
    _, alpha, l1_ratio = penalty
    _, h, r, dw, hdiag, hsum = model
    state[2] = 1.0
    w_all = w_k[ws[:nws]] + dw[:nws]
    pos = np.flatnonzero((hdiag[:nws] > 0.0) & (w_all != 0.0))
    if pos.size == 0 or pos.size > _NEWTON_MAX_SUPPORT:
        return
    cols, w_s = ws[pos], w_all[pos]
    support = support_gram(design, cols, h)
    if support is None:
        return
    X_s, gram = support
    ridge = alpha * (1.0 - l1_ratio)
    grad = X_s.T @ r + ridge * w_s + alpha * l1_ratio * np.sign(w_s)
    if fit_intercept:
        hs = hsum[pos]
        gram -= np.outer(hs, hs) / sum_h
        grad -= hs * (state[0] / sum_h)
    gram[np.diag_indices_from(gram)] += ridge
    factor, info = _potrf(gram, lower=True, clean=False, overwrite_a=False)
    if info != 0 or np.any(np.diag(factor) ** 2 <= 1e-12 * np.diag(gram)):
        return  # singular to working precision: CD goes on alone
    d, info = _potrs(factor, -grad, lower=True)
    if info != 0:
        return
    # Longest step keeping every sign (L1 part), and the model's change there.
    t = 1.0
    if l1_ratio > 0.0:
        crossing = np.flatnonzero(w_s * d < 0.0)
        if crossing.size:
            t = min(1.0, float(np.min(-w_s[crossing] / d[crossing])))
    if not t * float(grad @ d) + 0.5 * t * t * float(d @ (gram @ d)) < 0.0:
        return
    # Coordinates the step takes to zero (to round-off) are set to exactly
    # zero: at the solution the zeros of the support sit exactly at t = 1, and
    # weighted or reordered copies of the data must take the same decisions.
    new = w_s + t * d
    if l1_ratio > 0.0:
        new[np.abs(new) <= _SNAP_TO_ZERO * np.abs(w_s)] = 0.0
    step = new - w_s
    dw[pos] += step
    r += h * np.asarray(X_s @ step).ravel()
    state[0] += float(hsum[pos] @ step)


@njit(**_FAST)
def cd_quadratic_model(X, ws, nws, w_k, model, sum_h, penalty, fit_intercept, cd_tol, state,
                       epochs_per_call, max_epochs):
    """Minimise the model ``g.dz + 1/2 sum h dz^2 + penalty`` on ``ws[:nws]`` by cyclic CD.

    Runs at most ``epochs_per_call`` epochs per call and keeps its progress
    in ``state`` (``[sum_u, epochs run, cycling]``, zeros to start), so the caller can
    loop in Python (one kernel, not three: each compiled kernel costs cold
    start). Returns ``(done, db, epochs run by this call)``; once ``done``
    (converged, or ``max_epochs`` in all), ``model.dw[:nws]`` holds the step
    and ``model.dz`` the change of the predictions, intercept step ``db``
    included.

    The intercept is eliminated exactly: for any step ``dw`` its optimal
    step is ``db = -sum_i u_i / sum_h`` with ``u = g + h * (X dw)``, so each
    coordinate sees its column centred by the ``h``-weighted mean (Schur
    complement). This keeps CD fast when a column is nearly collinear with
    the intercept (a rare binary feature, say), where alternating between
    the two would zigzag. Nothing is densified: the centring enters only
    through the scalars ``hsum[idx] = sum_i h_i x_ij`` and ``sum_u``.

    CD keeps the model's gradient in the predictions, ``r = g + h * (X dw)``
    (in ``model.dz`` until the end), so a coordinate's partial derivative is
    one dot product ``x_j . r`` (one random access per stored entry for
    sparse X, instead of three). CD stops when no coordinate moves the model
    gradient by more than ``cd_tol`` (moves below round-off of the
    coordinate do not count).

    glmnet's active-set cycling: after an epoch over the whole working set
    that moved something, epochs over its non-zero coordinates only until
    they settle, then the whole working set again. Where the support's
    columns are nearly collinear (more features than samples, near
    interpolation) CD on them converges slowly: once the cycling has run
    about as many epochs as a Newton step on the support costs, the kernel
    returns early (not done) with ``state[2] = -1`` to ask the caller for
    that step (:func:`support_newton_step`, in BLAS and LAPACK). A caller
    that calls the kernel again without taking it just lets CD go on.
    """
    code, alpha, l1_ratio = penalty
    g, h, r, dw, hdiag, hsum = model
    n = X.n_samples
    # The design's arrays, taken out of X once (see the column primitives).
    X_flat, data, indices, indptr, is_sparse = X.X_flat, X.data, X.indices, X.indptr, X.is_sparse
    if state[1] == 0.0:
        sum_u = 0.0
        for i in range(n):
            r[i] = g[i]
            sum_u += g[i]
        for idx in range(nws):
            dw[idx] = 0.0
        state[0] = sum_u if fit_intercept else 0.0
    sum_u = state[0]
    converged = False
    ran = 0
    if state[2] < 0.0:
        state[2] = 1.0  # a Newton step was asked for: taken or declined by the caller
    while ran < epochs_per_call and state[1] < max_epochs and not converged:
        # The first epoch also computes each column's curvature (same read).
        first = state[1] == 0.0
        ran += 1
        state[1] += 1.0
        # state[2]: 0 for an epoch over the whole working set, else 1 + the
        # epochs run over its non-zeros since the last whole one.
        active_only = state[2] != 0.0
        max_move = 0.0
        n_support = 0
        dot = 0.0
        for idx in range(nws):
            j = ws[idx]
            if first:
                dot, s1, s2 = _col_dot_moments(X_flat, data, indices, indptr, is_sparse, n, j,
                                               r, h)
                if fit_intercept:
                    hsum[idx] = s1
                    s2 -= s1 * s1 / sum_h
                    # A column (numerically) constant on the support of h carries
                    # no information beyond the intercept.
                    if s2 <= 1e-12 * (s2 + s1 * s1 / sum_h):
                        s2 = 0.0
                else:
                    hsum[idx] = 0.0
                hdiag[idx] = s2
            hj = hdiag[idx]
            if hj <= 0.0:
                continue  # an all-zero (or constant) column has no gradient either
            old = w_k[j] + dw[idx]
            if active_only and old == 0.0:
                continue
            if not first:
                dot = _col_dot(X_flat, data, indices, indptr, is_sparse, n, j, r)
            grad_j = dot - hsum[idx] / sum_h * sum_u
            new = prox(code, old - grad_j / hj, 1.0 / hj, alpha, l1_ratio)
            delta = new - old
            if new != 0.0:
                n_support += 1
            if delta != 0.0:
                dw[idx] += delta
                _col_axpy_weighted(X_flat, data, indices, indptr, is_sparse, n, j, delta, h, r)
                sum_u += delta * hsum[idx]
                if abs(delta) > _ROUNDOFF_MOVE * abs(new):
                    max_move = max(max_move, hj * abs(delta))
        if active_only:
            if max_move <= cd_tol:
                state[2] = 0.0
            else:
                state[2] += 1.0
                # A Newton step on the support (support_newton_step: its Gram
                # matrix in BLAS, a Cholesky factorisation, Python overhead)
                # costs about this many of these epochs: ask the caller for
                # one. (Not a function of n: weighted and repeated rows must
                # take the same steps.)
                if (code != L0L2 and state[1] < max_epochs
                        and state[2] > 3.0 + 0.05 * n_support):
                    state[2] = -1.0
                    break
        elif max_move <= cd_tol:
            converged = True
        else:
            state[2] = 1.0
    state[0] = sum_u
    if not converged and state[1] < max_epochs:
        return False, 0.0, ran
    db = -sum_u / sum_h if fit_intercept else 0.0
    dz = r
    for i in range(n):
        dz[i] = db
    for idx in range(nws):
        if dw[idx] != 0.0:
            _col_axpy(X_flat, data, indices, indptr, is_sparse, n, ws[idx], dw[idx], dz)
    return True, db, ran


def minimise_quadratic_model(design, ws, nws, w_k, model, sum_h, penalty, fit_intercept, cd_tol,
                             max_epochs, work):
    """Minimise the quadratic model on the working set ``ws[:nws]`` by cyclic CD.

    :func:`cd_quadratic_model` is called for about :data:`ENTRIES_PER_CALL`
    column entries at a time (a KeyboardInterrupt is seen between calls),
    and takes a Newton step on the support (:func:`support_newton_step`)
    whenever CD asks for one. Returns the intercept step and the epochs run.
    """
    per_call = max(1, ENTRIES_PER_CALL // max(1, column_entries(design, ws[:nws])))
    state = np.zeros(3)
    done = False
    while not done:
        done, db, _ = cd_quadratic_model(design, ws, nws, w_k, model, sum_h, penalty,
                                         fit_intercept, cd_tol, state, per_call, max_epochs)
        if not done and state[2] < 0.0:
            # CD asks for a Newton step on its support (BLAS and LAPACK).
            support_newton_step(design, ws, nws, w_k, model, sum_h, penalty, fit_intercept,
                                state)
    epochs = int(state[1])
    work[0] += epochs * nws  # column updates, for profiling
    return db, epochs


def armijo_step(change, predicted, scale, constant=_ARMIJO):
    """Backtracking (Armijo) step length for a step predicted to change the objective by ``predicted``.

    ``change(t)`` is the true change of the objective for the step scaled by
    ``t``; the largest ``t`` in 1, 1/2, 1/4, ... with
    ``change(t) <= constant * t * predicted`` is returned (0 if none of 40).
    Near the optimum the predicted change is below round-off of ``scale``
    (the objective's size); the quadratic model is then exact to working
    precision and the full step is taken. A step predicted to increase the
    objective gets 0.
    """
    roundoff = 1e-10 * max(1.0, abs(scale))
    if predicted < -roundoff:
        t = 1.0
        for _ in range(_MAX_BACKTRACK):
            if change(t) <= constant * t * predicted:
                return t
            t *= 0.5
        return 0.0
    # A NaN prediction (overflowing data) takes the step: the caller then
    # reports non-finite coefficients instead of stalling silently.
    return 0.0 if predicted > roundoff else 1.0


def newton_step_row(design, datafit, penalty, fit_intercept, W, b, Z, k, ws, nws, cd_tol,
                    max_epochs, model, work, cache):
    """One proximal Newton step on row ``k`` of ``W``; returns ``(step length, CD epochs)``.

    For the squared loss the model is exact: the step is taken without a
    line search. With one row of W the derivatives at the accepted step are
    kept (``cache``) for the next step, the working-set check and the
    certificate.
    """
    w_k = W[k]
    one_row = W.shape[0] == 1
    if one_row:
        f0, sum_h = refresh_derivatives(datafit, Z, model, cache)
    else:
        f0, sum_h = derivatives_along(datafit, Z, k, model.dz, 0.0, model.g, model.h)
    db, epochs = minimise_quadratic_model(design, ws, nws, w_k, model, sum_h, penalty,
                                          fit_intercept, cd_tol, max_epochs, work)
    dw, dz, n = model.dw, model.dz, design.n_samples
    nz = dw[:nws] != 0.0
    if db == 0.0 and not nz.any():
        return 0.0, epochs
    cols, step = ws[:nws][nz], dw[:nws][nz]
    g_next, h_next, state = cache
    _, alpha, rho = penalty
    w0 = w_k[cols]

    def pen_diff(t):  # penalty change of the moved coordinates for a step of length t
        w1 = w0 + t * step
        return float(alpha * (rho * (np.abs(w1) - np.abs(w0)).sum()
                              + 0.5 * (1.0 - rho) * (w1 * w1 - w0 * w0).sum()))

    trial = [np.nan, np.nan, np.nan]  # t, loss and sum_h of the last evaluation

    def change(t):
        trial[1], trial[2] = derivatives_along(datafit, Z, k, dz, t, g_next, h_next)
        trial[0] = t
        return trial[1] - f0 + pen_diff(t)

    # Huge coefficients (y of order 2**600) overflow the penalty's change to
    # inf - inf = NaN: the line search then declines the step (or, for a NaN
    # prediction, takes it) without numpy warning about the scalars.
    with np.errstate(over="ignore", invalid="ignore"):
        if datafit.code == SQUARED:
            t = 1.0
            if one_row:
                change(1.0)
        else:
            predicted = float(np.dot(model.g[:n], dz[:n])) + pen_diff(1.0)
            t = armijo_step(change, predicted, f0)
            if t == 0.0:
                return 0.0, epochs
    w_k[cols] += t * step
    b[k] += t * db
    Z[:n, k] += t * dz[:n]
    if one_row and trial[0] == t:
        model.g[:n] = g_next[:n]
        model.h[:n] = h_next[:n]
        state[0], state[1], state[2] = 1.0, trial[1], trial[2]
    else:
        state[0] = 0.0
    return t, epochs


# ---------------------------------------------------------------------------
# The solvers: Python loops over numba kernels.
# ---------------------------------------------------------------------------


def solve_working_set(design, datafit, penalty, fit_intercept, W, b, Z, ws, ws_len, inner_tol,
                      tol, max_steps, model, work, cache, certify_now):
    """Proximal Newton steps on the working sets until their KKT violation is ``<= inner_tol``.

    A Python loop over numba kernels (one call per row of W and step, a few
    microseconds each).

    Whenever the working-set violation reaches ``tol`` (the solver's target)
    the full certificate is computed (``certify_now()``, which returns
    whether it holds) and the solve stops as soon as it holds. It also stops
    when the working-set violation has not halved in several steps (the
    limit of floating-point precision, or a step too inexact to help: the
    caller's full pass decides). Returns the steps taken (CD epochs for the
    squared loss, whose Newton step is exact), whether any step moved the
    coefficients and whether the full certificate was met.
    """
    K, p = W.shape
    n_steps = 0
    moved = False
    exact = datafit.code == SQUARED
    epoch_entries = sum(column_entries(design, ws[k, :ws_len[k]]) for k in range(K))
    # One row: the violation at the start is cheap (derivatives kept), and
    # it sets how exactly the first quadratic model is solved.
    ws_kkt = (working_set_kkt(design, datafit, penalty, fit_intercept, W, Z, ws, ws_len, model,
                              cache) if K == 1 else np.inf)
    best, stalled = ws_kkt, 0
    while n_steps < max_steps:
        # Solve each quadratic model a little beyond the current violation.
        # Measured on paths: leukemia logistic, a third of it took 1.5-3x the
        # Newton steps of a tenth for about the same CD epochs; dense 20000 x
        # 2000 logistic, a tenth took 1.9x the time; leukemia squared, a tenth
        # took 1.5x the epochs of a third, and CD straight to the target 2-3x.
        forcing = _FORCING if exact or epoch_entries > _SMALL_EPOCH else _FORCING_SMALL
        cd_tol = max(0.1 * tol, forcing * (ws_kkt if np.isfinite(ws_kkt) else 3.0 * inner_tol))
        progress = False
        epochs = 0
        for k in range(K):
            max_epochs = max(1, (max_steps - n_steps) // K) if exact else _MAX_CD_EPOCHS
            t, ran = newton_step_row(design, datafit, penalty, fit_intercept, W, b, Z, k, ws[k],
                                     ws_len[k], cd_tol, max_epochs, model, work, cache)
            progress = progress or t > 0.0
            epochs += ran
        n_steps += max(1, epochs // K) if exact else 1
        moved = moved or progress
        ws_kkt = working_set_kkt(design, datafit, penalty, fit_intercept, W, Z, ws, ws_len, model,
                                 cache)
        if ws_kkt <= tol and certify_now(n_steps):
            return n_steps, moved, True
        if ws_kkt <= inner_tol or not progress:
            break
        if ws_kkt < 0.5 * best:
            best, stalled = ws_kkt, 0
        else:
            stalled += 1
            if stalled >= _STALLED_STEPS:
                break
    return n_steps, moved, False


def duality_gap(datafit, penalty, fit_intercept, W, Z, grad, column_norms):
    """Duality gap and objective of a binary logistic fit (one row of W, ``alpha > 0``).

    The primal is ``P(w, b) = sum_i s_i loss(y_i, z_i) + alpha * R(w)``. Its
    Fenchel dual at ``u`` (n,) is

        D(u) = - sum_i s_i loss*(y_i, u_i / s_i) - alpha R*(-X^T u / alpha),

    subject to ``sum_i u_i = 0`` with an intercept, where ``loss*(y, t)`` is
    the negative entropy of the probability ``y + t``. ``P - D(u) >= P - P* >= 0``
    for every feasible ``u``, so the gap bounds how far the objective is from
    its minimum. ``u`` starts at the per-sample gradient ``g`` at ``Z``
    (``grad = X^T g``, already computed by the certificate's pass) and is
    made feasible without another pass over X:

    * ``sum u = 0``: the side (signs of ``u``) with the larger sum is shrunk,
      which keeps every ``u_i / s_i + y_i`` a probability. The change of
      ``X^T u`` is bounded by ``||x_j|| ||c||`` for the correction ``c``
      (``column_norms``: the Euclidean norms of the columns of X), which only
      enlarges the gap; near the optimum ``sum(g)`` is round-off.
    * L1 (``l1_ratio = 1``): ``u`` is scaled so that ``||X^T u||_inf <= alpha``
      (this makes the gap about ``(||X^T g||_inf - alpha) ||w||_1``). With a
      ridge part ``R*`` is finite everywhere:
      ``sum_j (|v_j| - alpha rho)_+^2 / (2 alpha (1 - rho))``.

    Returns ``(gap, primal)``.
    """
    _, alpha, rho = penalty
    y, s, z = datafit.Y[:, 0], datafit.sw, Z[:, 0]
    primal = value(datafit, Z) + penalty_value(penalty, W)
    u = s * (expit(z) - y)
    m = 1.0  # the dual point is m * u
    slack = 0.0
    if fit_intercept:
        positive = u > 0.0
        up, un = float(u[positive].sum()), float(-u[~positive].sum())
        side = positive if up > un else ~positive
        shrink = min(up, un) / max(up, un) if max(up, un) > 0.0 else 1.0
        m = np.where(side, shrink, 1.0)
        slack = (1.0 - shrink) * float(np.linalg.norm(u[side]))
    v = np.abs(grad[0])
    if slack > 0.0:
        v = v + slack * column_norms
    if rho == 1.0:
        largest = float(v.max(initial=0.0))
        m = m * (min(1.0, alpha / largest) if largest > 0.0 else 1.0)
        penalty_conjugate = 0.0
    else:
        excess = np.maximum(v - alpha * rho, 0.0)
        penalty_conjugate = float(excess @ excess) / (2.0 * alpha * (1.0 - rho))
    # The probabilities y + m (p - y) and their complements, as sums of
    # non-negative terms (exact in both tails).
    a = (1.0 - m) * y + m * expit(z)
    b = (1.0 - m) * (1.0 - y) + m * expit(-z)
    loss_conjugate = float(s @ (xlogy(a, a) + xlogy(b, b)))
    return primal + loss_conjugate + penalty_conjugate, primal


class Certificate:
    """The full-pass KKT certificate both solvers stop on.

    Owns the gradient buffers of the pass and the absolute target
    ``tol * alpha_max`` (``alpha_max`` = :func:`max_gradient_at_zero`, read
    off the first pass when the fit starts from the all-zero model, or
    given as ``scale`` by a caller that knows it, e.g. a path).
    ``viol`` holds every coordinate's violation after a call, ``grad`` the
    datafit's gradient ``X^T G`` (K, p) there (the smooth solvers' Newton steps
    start from it, saving a pass).

    ``gap_tol`` (relative, optional) adds an objective certificate: a pass
    that meets the KKT target also computes the duality gap
    (:func:`duality_gap`; one row of W, ``alpha > 0``) and the fit holds only
    when the gap is at most ``gap_tol * P`` (the objective ``P`` is then
    within ``gap_tol`` relative of its minimum) or the KKT violation is at
    most ``_KKT_FALLBACK * kkt_tol``. Otherwise the KKT target (``target``)
    is lowered in proportion, not below that fallback, and the solver
    continues.
    ``column_norms`` (the columns' Euclidean norms) serve the gap's intercept;
    ``tighten`` is the first ``target / kkt_tol`` (a path passes on what its
    last point needed).
    """

    def __init__(self, design, X_op, datafit, penalty, fit_intercept, tol, zero_start, verbose,
                 scale=None, gap_tol=None, column_norms=None, tighten=1.0):
        K, p = datafit.Y.shape[1], design.n_features
        self._args = (design, X_op, datafit, penalty, fit_intercept)
        self._G = np.empty((design.n_samples, K))
        self.viol = np.empty((K, p))
        self.grad = np.zeros((K, p))
        self._tol_rel = tol
        if scale is None and not zero_start:
            scale = max_gradient_at_zero(design, X_op, datafit, fit_intercept)
        self._scale = scale
        self.kkt_tol = tol * scale if scale else tol
        use_gap = gap_tol is not None and K == 1 and penalty.alpha > 0.0
        self._gap_tol = gap_tol if use_gap else None
        self.tighten = tighten if use_gap else 1.0  # target / kkt_tol
        self._column_norms = column_norms
        self.gap = np.nan
        self.n_passes = 0
        self._verbose = verbose

    @property
    def target(self):
        """The KKT violation the solver aims at: ``kkt_tol``, lowered while the gap is missed."""
        return self.tighten * self.kkt_tol

    def __call__(self, W, Z, n_iter, g=None):
        """One full pass at ``(W, Z)``; returns the largest KKT violation.

        ``g``: the per-sample gradient at ``Z``, (n,) or (n, K), if the caller has it.
        """
        kkt, self.grad, intercept, size = full_kkt(*self._args, W, Z, self._G, self.viol, g)
        if self._scale is None:
            self._scale = np.abs(self.grad).max(initial=0.0)
        self.kkt_tol = self._tol_rel * self._scale if self._scale > 0.0 else self._tol_rel
        if intercept is not None:
            # An intercept's gradient is a sum of sample gradients: it does not scale
            # with X as alpha_max does. It also counts as met within tol of the sample
            # gradients' size (X of entries ~1e-300: alpha_max ~1e-300 lies far below
            # the round-off of that sum); in kkt_tol's units, as the returned violation.
            unit = self._scale if self._scale > 0.0 else 1.0
            share = np.divide(intercept, size, out=np.zeros_like(size), where=size > 0.0)
            kkt = max(kkt, float(np.minimum(intercept, unit * share).max()))
        self.n_passes += 1
        if self._gap_tol is not None and _KKT_FALLBACK * self.kkt_tol < kkt <= self.target:
            _, _, datafit, penalty, fit_intercept = self._args
            self.gap, primal = duality_gap(datafit, penalty, fit_intercept, W, Z, self.grad,
                                           self._column_norms)
            allowed = self._gap_tol * abs(primal)
            if self.gap > allowed:
                # The gap shrinks about in proportion to the KKT violation.
                factor = min(0.5, max(0.01, 0.5 * allowed / self.gap))
                self.tighten = max(_KKT_FALLBACK, factor * min(self.target, kkt) / self.kkt_tol)
        if self._verbose:
            print(f"skreg: pass {self.n_passes}, {n_iter} iterations, KKT violation {kkt:.3e}"
                  + (f", duality gap {self.gap:.3e}" if self._gap_tol is not None else ""))
        return kkt

    @property
    def scale(self):
        """``alpha_max``, known after the first pass."""
        return self._scale


class StrongRule:
    """The sequential strong rule of a path (Tibshirani et al. 2012, as in glmnet).

    Holds the datafit's gradient (K, p) at the last solution of the path and
    its ``alpha``. At the next ``alpha`` a zero coefficient whose gradient
    was below ``l1_ratio * (2 alpha - alpha_prev)`` is likely to stay zero:
    the first working set is the support plus the others, and the full KKT
    certificate afterwards brings back any feature the rule discarded wrongly.
    It also keeps the predictions at that solution, so the next point does
    not recompute ``X W^T + b``, the solution before it (``previous``:
    ``(W, b, alpha)`` or None), from which a solver may extrapolate, and the
    columns' Euclidean norms once they are needed (:func:`duality_gap`) and,
    for a squared-loss path solved on its p x p Gram problem, that problem
    (``compressed``: :data:`skreg._gram.Compressed`, built at the first point).
    """

    def __init__(self):
        self.grad = None
        self.compressed = None
        self.alpha = None
        self.previous = None
        self._point = None
        self._moved = False
        self._column_norms = None
        #: ``target / kkt_tol`` the last point needed to certify its duality gap.
        self.tighten = 1.0

    def column_norms(self, design, X_op):
        """``||x_j||_2`` of every column of X (one pass, the first time only)."""
        if self._column_norms is None:
            if design.is_sparse:
                squares = np.asarray(X_op.multiply(X_op).sum(axis=0)).ravel()
            else:
                squares = np.einsum("ij,ij->j", X_op, X_op, dtype=np.float64)
            self._column_norms = np.sqrt(squares)
        return self._column_norms

    def predictions(self, W, b):
        """The predictions ``Z`` at ``(W, b)`` if ``W`` is the remembered solution's, else None.

        Intercepts moved since (the multinomial's centring across classes)
        shift ``Z`` in place.
        """
        if self._point is None:
            return None
        W0, b0, Z = self._point
        if W0.shape != W.shape or not np.array_equal(W0, W):
            return None
        if not np.array_equal(b0, b):
            Z += b - b0
            b0[:] = b
        return Z

    def working_sets(self, W, penalty):
        """The first working set of every row of W at ``penalty.alpha`` (sorted), or None."""
        if self.grad is None or self.grad.shape != W.shape or self.alpha < penalty.alpha:
            return None
        threshold = penalty.l1_ratio * (2.0 * penalty.alpha - self.alpha)
        return [np.flatnonzero((W[k] != 0.0) | (np.abs(self.grad[k]) >= threshold))
                for k in range(W.shape[0])]

    def extrapolation(self, W, b, alpha):
        """The move from the last solution ``(W, b)`` towards the path's next one at ``alpha``.

        Between changes of the support the solution moves smoothly with
        ``log(alpha)``: the last two solutions predict the next one to first
        order (their difference scaled by the ratio of the ``log(alpha)``
        steps, 1 on a geometric grid, at most 2). Only coordinates non-zero at
        the last solution that keep their sign move, so the support (and the
        strong rule's working set) stays as it is. Returns ``(dW, db)`` or
        None (no earlier solution, or nothing would move).
        """
        if self.previous is None or self.previous[0].shape != W.shape:
            return None
        W0, b0, alpha0 = self.previous
        if not alpha0 > self.alpha > alpha:
            return None
        gamma = min(2.0, np.log(self.alpha / alpha) / np.log(alpha0 / self.alpha))
        moved = W + gamma * (W - W0)
        keep = (W != 0.0) & (np.sign(moved) == np.sign(W))
        if not keep.any():
            return None
        return np.where(keep, moved - W, 0.0), gamma * (b - b0)

    def moved_to(self, W, b, Z):
        """The warm start moved to ``(W, b)`` with predictions ``Z`` before the next point's solve.

        A predictor step (:func:`skreg._gram.support_predictor`) already put the
        start at the support's solution for the next ``alpha``: no extrapolation
        from it, and the solution it leaves is not paired with the last ``alpha``
        for later ones. The last solution's gradient and ``alpha`` stay.
        """
        self._point = (W.copy(), b.copy(), Z)
        self.previous = None
        self._moved = True

    def update(self, grad, alpha, W, b, Z):
        """Remember a solution of the path: its gradient, ``alpha`` and predictions."""
        if self._point is not None and not self._moved:
            self.previous = (self._point[0], self._point[1].copy(), self.alpha)
        self._moved = False
        self.grad, self.alpha = grad, alpha
        self._point = (W.copy(), b.copy(), Z)


#: What the solvers report.
SolveInfo = namedtuple("SolveInfo", ["n_iter", "kkt", "n_passes", "kkt_tol", "column_updates"])


def extrapolated_start(X_op, datafit, penalty, W, b, Z, strong_rule, model, cache):
    """Start a binary path point from the path's first-order prediction if its objective is lower.

    :meth:`StrongRule.extrapolation` moves the support of the last solution;
    the move is kept (in place in ``W``, ``b``, ``Z``) only if it lowers the
    objective. Costs one product with the support's columns and one pass
    over the samples, whose derivatives then serve the first quadratic model
    (``model``, ``cache``). The first Newton step then starts much closer to
    the solution: on leukemia's 50-point L1 path the first working-set
    violation is ~20x smaller, on w8a's the one after the first step ~4x.
    Returns whether the move was kept.
    """
    guess = strong_rule.extrapolation(W, b, penalty.alpha)
    if guess is None:
        return False
    cols = np.flatnonzero(guess[0][0])
    w_old = W[0, cols]
    step, db = guess[0][0, cols], float(guess[1][0])
    dz = np.asarray(x_dot(X_op[:, cols], step), dtype=np.float64).ravel() + db
    loss, _ = refresh_derivatives(datafit, Z, model, cache)
    g_next, h_next, state = cache
    n = Z.shape[0]
    loss_next, sum_h = derivatives_along(datafit, Z, 0, dz, 1.0, g_next, h_next)
    _, alpha, rho = penalty
    w_new = w_old + step
    change = loss_next - loss + alpha * (rho * float(np.abs(w_new).sum() - np.abs(w_old).sum())
                                         + 0.5 * (1.0 - rho) * float(w_new @ w_new - w_old @ w_old))
    if not change < 0.0:
        return False
    W[0, cols] = w_new
    b[0] += db
    Z[:, 0] += dz
    model.g[:n], model.h[:n] = g_next[:n], h_next[:n]
    state[0], state[1], state[2] = 1.0, loss_next, sum_h
    return True


def select_working_set(w_k, viol_k, ws_size):
    """The support of ``w_k`` plus the worst KKT violators, at most ``ws_size`` features.

    The support is always kept whole (so coordinates outside the working set
    are zero and stay zero). Returned sorted by feature index, which keeps
    the column reads in memory order.
    """
    support = np.flatnonzero(w_k)
    candidates = np.flatnonzero((w_k == 0.0) & (viol_k > 0.0))
    n_new = min(candidates.shape[0], max(ws_size - support.shape[0], 0))
    if n_new < candidates.shape[0]:
        # Stable choice of the n_new largest violations (ties by index).
        order = np.argsort(-viol_k[candidates], kind="stable")[:n_new]
        candidates = candidates[order]
    return np.sort(np.concatenate([support, candidates]))


def newton_cd_solve(design, datafit, penalty, fit_intercept, W, b, tol, max_iter, ws_start,
                    verbose=False, scale=None, strong_rule=None):
    """Fit a penalized linear model in place in ``W`` (K, p) and ``b`` (K,).

    Parameters
    ----------
    design : skreg._validation.Design
        The data, dense or sparse, in the kernels' layout.
    datafit : skreg.datafits.Datafit
        The loss, its targets (n, K) and sample weights (summing to one).
    penalty : skreg.penalties.Penalty
        An elastic-net family penalty (L1, L2, elastic net or none).
    fit_intercept : bool
        Fit the unpenalized intercepts ``b``.
    tol : float
        Target KKT violation (the certificate), relative to
        :func:`max_gradient_at_zero` (``alpha_max`` of the L1 penalty), so
        that one ``tol`` means the same accuracy at any scale of X and alpha.
    max_iter : int
        Maximum number of proximal Newton steps (CD epochs for the squared
        loss).
    ws_start : int
        Size of the first working set, grown 4x every outer pass (0: every
        feature from the start). Ignored without an L1 part.
    verbose : bool
        Print the certificate after every outer pass.
    scale : float, default=None
        ``alpha_max`` when the caller knows it (a path).
    strong_rule : StrongRule, default=None
        A path's screening state: the first working set comes from it
        instead of a full pass, and it is updated with the gradient at the
        solution. For the binary logistic loss with more features than
        samples a path point also certifies its objective: beyond the KKT
        target it stops only once the duality gap (:func:`duality_gap`) is at
        most ``tol / 100`` (floored at 1e-13) times the objective, or the KKT
        violation is at most a tenth of the target (where the gap overstates
        the error), lowering the KKT target as needed.

    Returns
    -------
    info : SolveInfo
        ``n_iter`` (proximal Newton steps or CD epochs taken), ``kkt``
        (largest KKT violation at the returned point, from a full pass),
        ``n_passes`` (full passes over X), ``kkt_tol`` (the absolute target)
        and ``column_updates`` (coordinate updates by CD, a measure of work).

    The fit stops as soon as the full certificate holds, at ``max_iter``, or
    when several full passes in a row improve neither the objective nor the
    certificate (a ``tol`` below what floating point can reach): the
    returned ``kkt`` then exceeds ``kkt_tol`` with ``n_iter < max_iter``.
    """
    K, p = W.shape
    n = design.n_samples
    X_op = design_operator(design)
    Z = strong_rule.predictions(W, b) if strong_rule is not None else None
    zero_start = False
    if Z is None:
        Z, zero_start = starting_point(design, X_op, datafit, fit_intercept, W, b)
    # Along a logistic path with more features than samples the objective is
    # certified too: the loss is then flat along the null space of X, and a KKT
    # violation of tol * alpha_max left leukemia's points 1e-5 above the minimum
    # (with n > p, as on w8a, the same target gives ~1e-7). Each point starts
    # from the KKT target its predecessor needed.
    gap_tol, norms, tighten = None, None, 1.0
    if (strong_rule is not None and datafit.code == LOGISTIC
            and design.n_features > design.n_samples):
        gap_tol = max(_GAP_PER_TOL * tol, _GAP_FLOOR)
        norms = strong_rule.column_norms(design, X_op) if fit_intercept else None
        tighten = strong_rule.tighten
    certify = Certificate(design, X_op, datafit, penalty, fit_intercept, tol, zero_start, verbose,
                          scale, gap_tol, norms, tighten)
    viol = certify.viol
    model = quadratic_model(n, p)
    cache = derivative_cache(n)
    ws = np.zeros((K, p), dtype=np.int64)
    ws_len = np.zeros(K, dtype=np.int64)
    work = np.zeros(1, dtype=np.int64)
    use_ws = ws_start > 0 and penalty.alpha > 0.0 and penalty.l1_ratio > 0.0
    ws_size = ws_start if use_ws else p
    screened = (strong_rule.working_sets(W, penalty)
                if strong_rule is not None and use_ws and not zero_start else None)
    if screened is not None and K == 1:
        extrapolated_start(X_op, datafit, penalty, W, b, Z, strong_rule, model, cache)
    n_iter = 0
    kkt = np.inf
    last = [np.inf, -1]  # the certificate of the last full pass, and n_iter there

    def certify_now(steps=0):
        """The full certificate after ``steps`` more steps; whether it holds."""
        g = None
        if K == 1:
            refresh_derivatives(datafit, Z, model, cache)
            g = model.g
        last[0], last[1] = certify(W, Z, n_iter + steps, g), n_iter + steps
        return last[0] <= certify.target

    best_objective, best_kkt, stalled = np.inf, np.inf, 0
    while True:
        if screened is None:
            if last[1] != n_iter:
                certify_now()
            kkt = last[0]
            tol = certify.target
            if kkt <= tol or n_iter >= max_iter:
                break
            if kkt >= 0.5 * best_kkt:
                # No progress in the certificate: is the objective still moving?
                objective = value(datafit, Z) + penalty_value(penalty, W)
                if objective >= best_objective - 1e-15 * abs(best_objective):
                    stalled += 1
                    if stalled >= _STALLED_PASSES:
                        break
                else:
                    stalled = 0
                best_objective = min(best_objective, objective)
            else:
                best_kkt, stalled = kkt, 0
            if use_ws and certify.n_passes == 1:
                # Many violators at the start announce a large support: start
                # with a working set of a quarter of them.
                ws_size = max(ws_size, int(np.count_nonzero(viol > 0.0) // (4 * K)))
            for k in range(K):
                if use_ws:
                    chosen = select_working_set(W[k], viol[k],
                                                max(ws_size, 2 * np.count_nonzero(W[k])))
                else:
                    chosen = np.arange(p)
                ws_len[k] = chosen.shape[0]
                ws[k, : chosen.shape[0]] = chosen
            ws_size = min(p, 4 * ws_size)
        else:
            for k in range(K):
                ws_len[k] = screened[k].shape[0]
                ws[k, : screened[k].shape[0]] = screened[k]
                ws_size = max(ws_size, ws_len[k])
            screened = None
            tol = certify.target
        # Solve the working-set problem to a fraction of the current violation
        # (screened: to the target, stopping as soon as the full certificate holds).
        inner_tol = max(0.3 * tol, 0.1 * kkt) if np.isfinite(kkt) else 0.3 * tol
        steps, moved, done = solve_working_set(design, datafit, penalty, fit_intercept, W, b, Z,
                                               ws, ws_len, inner_tol, tol, max_iter - n_iter,
                                               model, work, cache, certify_now)
        n_iter += steps
        if done:
            kkt = last[0]
            break
        if not moved:
            # No step decreased the objective: the certificate is at the
            # limit of floating-point precision. Report it as it is.
            if last[1] != n_iter:
                certify_now()
            kkt = last[0]
            break
    if strong_rule is not None and certify.n_passes > 0:
        strong_rule.update(certify.grad, penalty.alpha, W, b, Z)
        strong_rule.tighten = certify.tighten
    return SolveInfo(n_iter, kkt, certify.n_passes, certify.kkt_tol, int(work[0]))
