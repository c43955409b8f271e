"""Multinomial L1 / elastic net: proximal Newton on the full softmax Hessian.

Minimises

    F(W, b) = sum_i s_i [logsumexp(z_i) - y_i . z_i] + alpha * R(W),   z_i = W x_i + b,

(weights ``s`` summing to one, one-hot ``y_i``, ``W`` of shape (K, p)) with
the certificate, working sets and line search of :func:`skreg._cd.newton_cd_solve`,
but one quadratic model for all classes at once:

* **Model** -- around the current logits, per sample ``i`` the gradient
  ``g_i = s_i (p_i - y_i)`` and the Hessian ``s_i (diag(p_i) - p_i p_i^T)``
  (the full softmax Hessian, not its diagonal blocks). For a step ``dz_i``
  of the logits, the model gradient of class ``k`` is
  ``r_ik = g_ik + s_i p_ik (dz_ik - p_i . dz_i)``: it needs only ``dz`` and
  the scalar ``sigma_i = p_i . dz_i`` per sample.
* **Coordinate descent** (:func:`cd_multinomial_model`) over the working
  set's (class, feature) coordinates, class by class: within class ``k``,
  ``r_k`` moves like a one-class model with weights
  ``h_ik = s_i p_ik (1 - p_ik)``, so a coordinate costs the same column reads
  as a binary fit; ``sigma`` is brought up to date between classes (O(n)).
  Each class's intercept is eliminated from its block exactly (Schur
  complement), so it does not stall under class imbalance. After every
  epoch each feature's step moves to its penalty-optimal shift across
  classes (the loss is flat along that shift: solving it exactly is free).
  Epochs cycle on the active coordinates only (non-zero, or violating when
  the model is built); one product over the working set's columns
  (:class:`WorkingColumns`) then checks all the others at once, and CD
  resumes while any of them violates.
* **Products over the working set** -- the model's gradient and curvatures
  and that check are products of the working set's columns with all classes'
  per-sample vectors at once (BLAS / scipy), which read each column once,
  not once per class.
* **One line search** along the joint step of all classes
  (:func:`softmax` at each trial, O(nK)), so a Newton step
  costs O(nK), not O(nK^2) as one line search per class would.

Working sets are sets of features (all classes of a feature together, so
the shift across classes stays inside the working set). The fit stops at the
first full pass whose certificate holds, or when no step changes the
objective or the certificate measurably in floating point any more.
"""

from collections import namedtuple

import numpy as np
import scipy.sparse as sp
from numba import njit

from . import _cache  # noqa: F401  (numba's cache locations: before any kernel is defined)
from . import _cd
from ._cd import (
    SolveInfo,
    _COLUMN,
    _FAST,
    _MAX_CD_EPOCHS,
    Certificate,
    armijo_step,
    col_dot,
    column_entries,
    design_operator,
    select_working_set,
    starting_point,
)
from .datafits import _HESS_FLOOR
from .penalties import prox, violations
from .penalties import value as penalty_value

#: Consecutive Newton steps whose predicted decrease is below round-off and
#: which do not halve the best working-set KKT violation before the solver
#: declares floating-point stagnation.
_STALLED_STEPS = 3
_EPS = np.finfo(np.float64).eps
#: Each quadratic model is solved by CD to this fraction of the working set's
#: violation at least (inexact Newton): a tighter model costs CD epochs, not
#: fewer Newton steps. Measured on digits' 50-point L1 / EN paths: 0.03 took
#: the fewest Newton steps (65 / 64; 77 at 0.1, 89 at 0.2) at the same CD
#: epochs as solving each model to the target; neutral on MNIST-10k.
_FORCING = 0.03

# ---------------------------------------------------------------------------
# Multinomial shift invariance.
# ---------------------------------------------------------------------------


# Inlined into the CD kernel, their one caller: no separate compilation.
@njit(**_COLUMN)
def _shift_subgradient(values, total, c, l1_ratio):
    """Lower and upper ends of the subdifferential in ``c`` of the shift objective."""
    less = 0
    greater = 0
    for v in values:
        if v < c:
            less += 1
        elif v > c:
            greater += 1
    equal = values.shape[0] - less - greater
    smooth = -(1.0 - l1_ratio) * (total - values.shape[0] * c)
    return (l1_ratio * (less - greater - equal) + smooth,
            l1_ratio * (less - greater + equal) + smooth)


@njit(**_COLUMN)
def penalty_optimal_shift(values, l1_ratio):
    """The ``c`` minimising ``sum_k l1_ratio |v_k - c| + (1 - l1_ratio)/2 (v_k - c)^2``.

    ``values`` is sorted in place (insertion sort: K is the number of
    classes). Returns 0 whenever 0 is a minimiser, so zeros stay exact.
    """
    K = values.shape[0]
    total = 0.0
    for k in range(K):
        total += values[k]
    lo, hi = _shift_subgradient(values, total, 0.0, l1_ratio)
    if lo <= 0.0 <= hi:
        return 0.0
    for k in range(1, K):
        v = values[k]
        m = k - 1
        while m >= 0 and values[m] > v:
            values[m + 1] = values[m]
            m -= 1
        values[m + 1] = v
    for m in range(K):
        lo, hi = _shift_subgradient(values, total, values[m], l1_ratio)
        if lo <= 0.0 <= hi:
            return values[m]
    # The minimiser lies strictly between breakpoints (needs an L2 part).
    for m in range(K + 1):
        c = (total - l1_ratio * (2 * m - K) / (1.0 - l1_ratio)) / K
        if (m == 0 or values[m - 1] < c) and (m == K or c < values[m]):
            return c
    return 0.0


def shift_to_penalty_optimum(W, l1_ratio, allowed):
    """Move each feature's coefficients across classes by their penalty-optimal shift.

    The softmax loss is unchanged when one feature's coefficients move
    together across all classes, so only the penalty decides that shift:
    the ``c`` minimising ``sum_k l1_ratio |w_kj - c| + (1 - l1_ratio)/2 (w_kj - c)^2``,
    0 whenever 0 is a minimiser (so zeros stay exact); as
    :func:`penalty_optimal_shift`, vectorised over features in numpy (run
    once per Newton step, nothing to compile). The logits change by a
    per-row constant, which no loss or probability sees. Only features with
    ``allowed[j]`` (in the working set) move, so coordinates outside the
    working set stay zero. Returns whether anything moved.
    """
    cols = np.flatnonzero(allowed & np.any(W != 0.0, axis=0))
    if cols.size == 0:
        return False
    V = W[:, cols]
    K = V.shape[0]
    rho = l1_ratio
    total = V.sum(axis=0)
    # Is 0 in the subdifferential at c = 0?
    less = np.count_nonzero(V < 0.0, axis=0)
    greater = np.count_nonzero(V > 0.0, axis=0)
    equal = K - less - greater
    smooth = -(1.0 - rho) * total
    zero_ok = ((rho * (less - greater - equal) + smooth <= 0.0)
               & (0.0 <= rho * (less - greater + equal) + smooth))
    # The right derivative just above the m-th smallest value, m = 1..K, is
    # nondecreasing in m: the minimiser is the first breakpoint where it is
    # >= 0, or the root of the derivative on the interval just below it.
    S = np.sort(V, axis=0)
    m = np.arange(1, K + 1)[:, None]
    right = rho * (2 * m - K) - (1.0 - rho) * (total - K * S)
    first = np.argmax(right >= 0.0, axis=0)
    found = np.any(right >= 0.0, axis=0)
    first = np.where(found, first, K)
    at = np.arange(cols.size)
    c = S[np.minimum(first, K - 1), at]
    if rho < 1.0:
        root = (total - rho * (2 * first - K) / (1.0 - rho)) / K
        below = np.where(first > 0, S[np.maximum(first - 1, 0), at], -np.inf)
        above = np.where(found, c, np.inf)
        inside = (below < root) & (root < above)
        c = np.where(inside, root, c)
    c = np.where(zero_ok, 0.0, c)
    if not np.any(c != 0.0):
        return False
    W[:, cols] = V - c
    return True


@njit(**_COLUMN)
def col_axpy_both(X, j, scale, h, weighted, plain):
    """``weighted += scale * h * x_j`` and ``plain += scale * x_j`` in one read of column ``j``."""
    if X.is_sparse:
        data, indices, indptr = X.data, X.indices, X.indptr
        for k in range(indptr[j], indptr[j + 1]):
            i = indices[k]
            v = scale * data[k]
            weighted[i] += h[i] * v
            plain[i] += v
    else:
        n = X.n_samples
        x = X.X_flat[j * n:(j + 1) * n]
        for i in range(n):
            v = scale * x[i]
            weighted[i] += h[i] * v
            plain[i] += v


#: Buffers of one quadratic model, per class ``k`` (rows) and sample or
#: working-set position (columns): probabilities ``P``, gradient ``G`` and
#: Newton weights ``H`` (K, n); the step of the logits ``dZ`` (K, n);
#: ``sigma = sum_k P_k dZ_k`` and two scratch vectors ``r`` (model gradient
#: of the current class) and ``z_old`` (n,); the step ``dW``, centred
#: curvature ``hdiag``, ``hsum = sum_i H_ki x_ij`` and the coordinates CD
#: visits, ``active`` (K, p); per class ``sum_h`` and the intercept step ``db``
#: (K,); a scratch ``column`` (K,); the targets ``Y`` and the logits of a
#: line-search trial ``Z_trial`` (K, n).
MultinomialModel = namedtuple(
    "MultinomialModel",
    ["P", "G", "H", "dZ", "sigma", "r", "z_old", "dW", "hdiag", "hsum", "active", "sum_h", "db",
     "column", "Y", "Z_trial"],
)


def multinomial_model(Y, p):
    """Buffers of a :data:`MultinomialModel` for the targets ``Y`` (n, K) and ``p`` features."""
    n, K = Y.shape
    return MultinomialModel(np.empty((K, n)), np.empty((K, n)), np.empty((K, n)),
                            np.empty((K, n)), np.empty(n), np.empty(n), np.empty(n),
                            np.empty((K, p)), np.empty((K, p)), np.empty((K, p)),
                            np.zeros((K, p), dtype=np.bool_), np.empty(K), np.empty(K),
                            np.empty(K), np.ascontiguousarray(Y.T), np.empty((K, n)))


def softmax(model, sw, ZT):
    """The probabilities (K, n) at the logits ``ZT`` (K, n), and the datafit there.

    numpy, not a compiled loop: its vectorised ``exp`` makes these O(nK)
    passes several times faster, and nothing is compiled for them. Classes
    along the rows keep the reductions over classes contiguous.
    """
    zmax = ZT.max(axis=0)
    P = np.exp(ZT - zmax)
    total = P.sum(axis=0)
    P /= total
    lse = zmax + np.log(total)
    return P, float(sw @ (lse - (model.Y * ZT).sum(axis=0)))


#: The working set's columns (and their squares) are copied out of X once per
#: working set while they hold at most this many entries (64 MB each);
#: larger working sets are multiplied block by block of this many entries.
_GATHERED_ENTRIES = 1 << 23


class WorkingColumns:
    """The working set's columns of X, for products with all classes at once.

    ``dot(M)`` is ``M X_ws``, ``moments(M)`` is ``(M X_ws, M (X_ws * X_ws))``
    for ``M`` (K, n) and ``times(V)`` is ``X_ws V``, in float64 by BLAS
    (dense) or scipy (sparse). One such product reads each column once for
    every class together, where a compiled loop over (class, feature) pairs
    reads it once per class.
    """

    def __init__(self, design, X_op, cols):
        self._X_op = X_op
        self.cols = cols
        self._block = max(1, _GATHERED_ENTRIES // max(1, design.n_samples))
        self._gathered = self._gather(cols) if cols.shape[0] <= self._block else None

    def _gather(self, cols):
        """``X[:, cols]`` and ``[X[:, cols], X[:, cols] ** 2]`` side by side, in float64."""
        if sp.issparse(self._X_op):
            sub = self._X_op[:, cols].astype(np.float64)
            return sub, sp.hstack([sub, sub.multiply(sub)], format="csc")
        m = cols.shape[0]
        # Rows of the C-ordered X^T are the columns of X: contiguous copies.
        both = np.empty((2 * m, self._X_op.shape[0]))
        both[:m] = self._X_op.T[cols]
        np.multiply(both[:m], both[:m], out=both[m:])
        return both[:m].T, both.T

    def _blocks(self):
        """``(positions, X_ws block, [block, block ** 2])`` over the working set."""
        if self._gathered is not None:
            yield slice(None), *self._gathered
            return
        for start in range(0, self.cols.shape[0], self._block):
            part = slice(start, start + self._block)
            yield part, *self._gather(self.cols[part])

    def dot(self, M):
        """``M X_ws`` (K, n_ws)."""
        out = np.empty((M.shape[0], self.cols.shape[0]))
        for part, sub, _ in self._blocks():
            out[:, part] = M @ sub
        return out

    def moments(self, M):
        """``(M X_ws, M (X_ws * X_ws))``, each (K, n_ws), in one product."""
        s1 = np.empty((M.shape[0], self.cols.shape[0]))
        s2 = np.empty_like(s1)
        for part, sub, both in self._blocks():
            prod = np.asarray(M @ both)
            m = sub.shape[1]
            s1[:, part], s2[:, part] = prod[:, :m], prod[:, m:]
        return s1, s2

    def times(self, V):
        """``X_ws V`` (n, K) for ``V`` (n_ws, K)."""
        out = 0.0
        for part, sub, _ in self._blocks():
            out = out + np.asarray(sub @ V[part])
        return out


def build_multinomial_model(columns, datafit, P, W, cols, model, penalty, fit_intercept):
    """Set up the gradient of the quadratic model on ``cols`` at the probabilities ``P`` (K, n).

    Fills ``model.P``, the per-sample gradient ``model.G`` and the Newton
    weights ``model.H`` from ``P`` (:func:`softmax` at the current logits)
    and zeroes the step. Returns the working set's KKT violation (the
    largest over its coordinates in every class and, with
    ``fit_intercept``, the intercepts: the working-set certificate at the
    current point) and every coordinate's violation (K, n_ws). The
    curvatures follow in :func:`set_curvatures`, once a step is to be taken.
    """
    sw, G, H = datafit.sw, model.G, model.H
    np.copyto(model.P, P)
    np.subtract(P, model.Y, out=G)
    G *= sw
    np.multiply(P, 1.0 - P, out=H)
    np.maximum(H, _HESS_FLOOR, out=H)
    H *= sw
    model.dZ[:] = 0.0
    model.sigma[:] = 0.0
    viol = violations(penalty, W[:, cols], columns.dot(G))
    kkt = float(viol.max(initial=0.0))
    if fit_intercept:
        kkt = max(kkt, float(np.abs(G.sum(axis=1)).max()))
    return kkt, viol


def set_curvatures(columns, W, cols, model, fit_intercept, viol, cd_tol):
    """The curvatures of the model on ``cols``, and the coordinates CD starts on.

    ``hdiag`` is each coordinate's Hessian diagonal with its class's
    intercept eliminated (the Schur complement), ``hsum`` the
    intercept-coordinate cross term. CD first visits the non-zero
    coordinates and those whose violation ``viol`` exceeds ``cd_tol``;
    others join when they violate after the step (:func:`_newton_step`).
    """
    nws = cols.shape[0]
    H = model.H
    sum_h = H.sum(axis=1)
    model.sum_h[:] = sum_h
    model.db[:] = 0.0
    model.dW[:, :nws] = 0.0
    s1, s2 = columns.moments(H)
    if fit_intercept:
        centred = s2 - s1 * s1 / sum_h[:, None]
        # A column (numerically) constant on the support of h carries no
        # information beyond the intercept.
        s2 = np.where(centred <= 1e-12 * s2, 0.0, centred)
    else:
        s1 = 0.0
    model.hsum[:, :nws] = s1
    model.hdiag[:, :nws] = s2
    model.active[:, :nws] = (W[:, cols] != 0.0) | (viol > cd_tol)


def join_violators(columns, datafit, W, cols, model, penalty, fit_intercept, cd_tol):
    """Mark the coordinates outside ``model.active`` that the current step leaves violating.

    The model gradient of every coordinate at once, ``R X_ws`` with
    ``R_k = G_k + s P_k (dZ_k - sigma)`` (the full softmax Hessian times the
    step), the intercept eliminated as in :func:`cd_multinomial_model`.
    A coordinate joins when its violation exceeds ``cd_tol``. Returns
    whether any did.
    """
    nws = cols.shape[0]
    R = model.dZ - model.sigma
    R *= model.P
    R *= datafit.sw
    R += model.G
    grad = columns.dot(R)
    if fit_intercept:
        grad -= model.hsum[:, :nws] * (R.sum(axis=1) / model.sum_h)[:, None]
    active = model.active[:, :nws]
    viol = violations(penalty, W[:, cols] + model.dW[:, :nws], grad)
    new = ~active & (viol > cd_tol) & (model.hdiag[:, :nws] > 0.0)
    if not new.any():
        return False
    active |= new
    return True


@njit(**_FAST)
def cd_multinomial_model(X, datafit, ws, nws, W, model, penalty, fit_intercept, cd_tol, state,
                         epochs_per_call, max_epochs):
    """Minimise the full-Hessian quadratic model plus penalty on the active coordinates by cyclic CD.

    Epochs visit the coordinates ``(k, ws[idx])`` with ``model.active[k, idx]``
    (glmnet's active-set cycling: the caller checks the others in one
    product, :func:`join_violators`). Runs at most ``epochs_per_call`` epochs
    per call and counts them in ``state`` (``[epochs run]``, zero to start),
    so the caller loops in Python between calls. Returns
    ``(done, epochs run by this call)``; once ``done`` (no coordinate moved
    the model gradient by more than ``cd_tol`` in an epoch, or
    ``max_epochs`` in all), ``model.dW``, ``model.db`` and ``model.dZ`` hold
    the step (``dZ`` up to a per-sample constant shared by all classes,
    which no softmax sees).
    """
    code, alpha, l1_ratio = penalty
    sw = datafit.sw
    P, G, H, dZ, sigma, r, z_old = model.P, model.G, model.H, model.dZ, model.sigma, model.r, model.z_old
    dW, hdiag, hsum, db, column = model.dW, model.hdiag, model.hsum, model.db, model.column
    active = model.active
    n = X.n_samples
    K = P.shape[0]
    shift = alpha > 0.0
    ran = 0
    while ran < epochs_per_call and state[0] < max_epochs:
        ran += 1
        state[0] += 1.0
        max_move = 0.0
        for k in range(K):
            Pk, Gk, Hk, dzk = P[k], G[k], H[k], dZ[k]
            sum_h = model.sum_h[k]
            # The model gradient of class k at the current step.
            sum_u = 0.0
            for i in range(n):
                r[i] = Gk[i] + sw[i] * Pk[i] * (dzk[i] - sigma[i])
                z_old[i] = dzk[i]
                sum_u += r[i]
            if not fit_intercept:
                sum_u = 0.0
            for idx in range(nws):
                hj = hdiag[k, idx]
                if hj <= 0.0 or not active[k, idx]:
                    continue  # an all-zero (or constant) column has no gradient either
                j = ws[idx]
                old = W[k, j] + dW[k, idx]
                grad_j = col_dot(X, j, r)
                if fit_intercept:
                    grad_j -= hsum[k, idx] / sum_h * sum_u
                delta = prox(code, old - grad_j / hj, 1.0 / hj, alpha, l1_ratio) - old
                if delta != 0.0:
                    dW[k, idx] += delta
                    col_axpy_both(X, j, delta, Hk, r, dzk)
                    sum_u += delta * hsum[k, idx]
                    max_move = max(max_move, hj * abs(delta))
            if fit_intercept and sum_h > 0.0:
                # The class's intercept at its optimum given the rest of the step.
                step_b = -sum_u / sum_h
                db[k] += step_b
                max_move = max(max_move, abs(sum_u))
                for i in range(n):
                    dzk[i] += step_b
            for i in range(n):
                sigma[i] += Pk[i] * (dzk[i] - z_old[i])
        if shift:
            for idx in range(nws):
                j = ws[idx]
                nonzero = False
                for k in range(K):
                    column[k] = W[k, j] + dW[k, idx]
                    nonzero = nonzero or column[k] != 0.0
                if nonzero:
                    c = penalty_optimal_shift(column, l1_ratio)
                    if c != 0.0:
                        # The logits move by -c x_ij in every class: a per-sample
                        # constant, so dZ, sigma and the model gradient stay as they are.
                        for k in range(K):
                            dW[k, idx] -= c
                            active[k, idx] = True
        if max_move <= cd_tol:
            return True, ran
    return state[0] >= max_epochs, ran


def multinomial_loss_along(datafit, Z, dZ, t):
    """The multinomial datafit at the logits ``Z + t dZ^T`` (``Z`` (n, K), ``dZ`` (K, n))."""
    ZT = np.ascontiguousarray(Z.T) + t * dZ
    zmax = ZT.max(axis=0)
    lse = zmax + np.log(np.exp(ZT - zmax).sum(axis=0))
    return float(datafit.sw @ (lse - (datafit.Y.T * ZT).sum(axis=0)))


def _penalty_change(penalty, w0, step):
    """``t -> R(w0 + t step) - R(w0)`` times alpha, for the elastic-net family."""
    _, alpha, rho = penalty

    def change(t):
        w1 = w0 + t * step
        return float(alpha * (rho * (np.abs(w1).sum() - np.abs(w0).sum())
                              + 0.5 * (1.0 - rho) * ((w1 * w1).sum() - (w0 * w0).sum())))
    return change


def _newton_step(design, columns, datafit, penalty, fit_intercept, W, b, Z, cols, model, cd_tol,
                 f0, work):
    """One proximal Newton step on the features ``cols`` from the datafit ``f0`` at ``Z``.

    CD cycles on the active coordinates until they settle; then one product
    checks all the others (:func:`join_violators`), and CD resumes while any
    joins. Returns ``(t, predicted, at_step)``: the accepted step length (0 when
    the line search found no decrease), the model's predicted change of the
    objective for the full step, and ``(P, loss)`` at the new logits when
    the line search computed them (else None).
    """
    nws = cols.shape[0]
    K = W.shape[0]
    per_call = max(1, _cd.ENTRIES_PER_CALL // max(1, K * column_entries(design, cols)))
    state = np.zeros(1)
    while True:
        done, _ = cd_multinomial_model(design, datafit, cols, nws, W, model, penalty,
                                       fit_intercept, cd_tol, state, per_call, _MAX_CD_EPOCHS)
        if done and (state[0] >= _MAX_CD_EPOCHS
                     or not join_violators(columns, datafit, W, cols, model, penalty,
                                           fit_intercept, cd_tol)):
            break
    work[0] += int(state[0]) * int(np.count_nonzero(model.active[:, :nws]))
    dW, dZ, db = model.dW[:, :nws], model.dZ, model.db
    pen = _penalty_change(penalty, W[:, cols], dW)
    predicted = float(np.vdot(model.G, dZ)) + pen(1.0)
    trial = [None, None]  # the last step length tried and (P, loss) there

    def change(t):
        Zt = np.add(Z.T, np.multiply(dZ, t, out=model.Z_trial), out=model.Z_trial)
        trial[0], trial[1] = t, softmax(model, datafit.sw, Zt)
        return trial[1][1] - f0 + pen(t)

    t = armijo_step(change, predicted, f0)
    if t > 0.0:
        W[:, cols] += t * dW
        b += t * db
        Z += t * dZ.T
    return t, predicted, trial[1] if trial[0] == t else None


def solve_multinomial_working_set(design, datafit, penalty, fit_intercept, W, b, Z, cols,
                                  inner_tol, tol, scale, max_steps, model, stall, work,
                                  certify_now, at_start=None, columns=None):
    """Proximal Newton steps on the features ``cols`` until their KKT violation is ``<= inner_tol``.

    Whenever the working set's violation reaches ``tol`` (the solver's
    target), the full certificate is computed (``certify_now(steps, G)``,
    from the per-sample gradient the model has already: no pass over the
    logits) and the solve stops as soon as it holds. ``at_start``:
    :func:`softmax` at ``Z`` if the caller has it; ``columns``: the
    :class:`WorkingColumns` of ``cols`` if the caller has them.

    ``stall`` (``[best violation, stalled steps]``, kept across calls) tracks
    floating-point stagnation: a step whose predicted decrease is below
    round-off of the objective and after which the violation is not below
    half the best seen. Returns the Newton steps taken, whether
    :data:`_STALLED_STEPS` such steps came in a row or the line search
    found no decrease (no step changes the fit measurably any more), and
    whether the full certificate holds.
    """
    allowed = np.zeros(W.shape[1], dtype=np.bool_)
    allowed[cols] = True
    if columns is None:
        columns = WorkingColumns(design, design_operator(design), cols)
    n_steps = 0
    measurable = True
    at_step = at_start
    while True:
        P, f0 = (softmax(model, datafit.sw, np.ascontiguousarray(Z.T)) if at_step is None
                 else at_step)
        ws_kkt, viol = build_multinomial_model(columns, datafit, P, W, cols, model, penalty,
                                               fit_intercept)
        if ws_kkt <= tol and certify_now(n_steps, model.G.T):
            return n_steps, False, True
        if ws_kkt < 0.5 * stall[0]:
            stall[0], stall[1] = ws_kkt, 0.0
        elif not measurable:
            stall[1] += 1.0
            if stall[1] >= _STALLED_STEPS:
                return n_steps, True, False
        if ws_kkt <= inner_tol or n_steps >= max_steps:
            return n_steps, False, False
        # Solve the model a little beyond the current violation, but not
        # below round-off of the gradients (alpha_max's scale).
        cd_tol = max(0.1 * tol, 0.3 * min(ws_kkt, 3.0 * inner_tol), _FORCING * ws_kkt,
                     _EPS * scale)
        set_curvatures(columns, W, cols, model, fit_intercept, viol, cd_tol)
        t, predicted, at_step = _newton_step(design, columns, datafit, penalty, fit_intercept, W,
                                             b, Z, cols, model, cd_tol, f0, work)
        n_steps += 1
        if t == 0.0:
            return n_steps, True, False
        if penalty.alpha > 0.0 and t < 1.0:
            # CD leaves W + dW at the penalty-optimal shift; W + t dW may not be.
            shift_to_penalty_optimum(W, penalty.l1_ratio, allowed)
        measurable = predicted < -1e-10 * max(1.0, abs(f0))
        if measurable:
            stall[1] = 0.0


def extrapolated_start(columns, datafit, penalty, W, b, Z, strong_rule, model):
    """Move a path's warm start along the path when that lowers the objective.

    The move is :meth:`skreg._cd.StrongRule.extrapolation` (the support and
    the strong rule's working set, whose columns are ``columns``, stay as
    they are). Taken, in place in ``W``, ``b``, ``Z``, if its objective is
    lower; the solver then starts closer to the solution (on digits'
    50-point path: half the coordinate-descent epochs).
    Returns ``(P, loss)`` at the start kept (:func:`softmax`).
    """
    start = softmax(model, datafit.sw, np.ascontiguousarray(Z.T))
    move = strong_rule.extrapolation(W, b, penalty.alpha)
    if move is None:
        return start
    step, db = move
    Z_new = Z + columns.times(step[:, columns.cols].T) + db
    guess = softmax(model, datafit.sw, np.ascontiguousarray(Z_new.T))
    if guess[1] + penalty_value(penalty, W + step) >= start[1] + penalty_value(penalty, W):
        return start
    W += step
    b += db
    Z[:] = Z_new
    return guess


def multinomial_cd_solve(design, datafit, penalty, fit_intercept, W, b, tol, max_iter, ws_start,
                         verbose=False, scale=None, strong_rule=None):
    """Fit multinomial L1 / elastic net in place in ``W`` (K, p) and ``b`` (K,).

    Parameters and return value as :func:`skreg._cd.newton_cd_solve`;
    ``n_iter`` counts proximal Newton steps on the full softmax Hessian.
    Along a path (``strong_rule``), the first working set is the features
    the sequential strong rule keeps in any class, solved straight to the
    target; the full certificate then restores any feature it discarded
    wrongly. BLAS threads are set by the caller (:func:`skreg._path.fit_point`).
    """
    K, p = W.shape
    n = design.n_samples
    X_op = design_operator(design)
    Z = strong_rule.predictions(W, b) if strong_rule is not None else None
    zero_start = False
    if Z is None:
        Z, zero_start = starting_point(design, X_op, datafit, fit_intercept, W, b)
    certify = Certificate(design, X_op, datafit, penalty, fit_intercept, tol, zero_start, verbose,
                          scale)
    viol = certify.viol
    model = multinomial_model(datafit.Y, p)
    work = np.zeros(1, dtype=np.int64)
    use_ws = ws_start > 0 and penalty.alpha > 0.0 and penalty.l1_ratio > 0.0
    ws_size = ws_start if use_ws else p
    screened = (strong_rule.working_sets(W, penalty)
                if strong_rule is not None and use_ws and not zero_start else None)
    columns = at_start = None
    if screened is not None:
        # The strong rule's features in any class (all classes of a feature
        # together): the first working set, solved to the target.
        columns = WorkingColumns(design, X_op, np.unique(np.concatenate(screened)))
        at_start = extrapolated_start(columns, datafit, penalty, W, b, Z, strong_rule, model)
    n_iter = 0
    cols = np.empty(0, dtype=np.int64)
    stall = np.array([np.inf, 0.0])
    last = [np.inf, -1]  # the certificate of the last full pass, and n_iter there

    def certify_now(steps=0, G=None):
        """The full certificate after ``steps`` more steps; whether it holds.

        ``G`` (n, K): the per-sample gradient at the current logits, if known.
        """
        last[0], last[1] = certify(W, Z, n_iter + steps, G), n_iter + steps
        return last[0] <= certify.kkt_tol

    while True:
        previous = cols
        if screened is None:
            if last[1] != n_iter:
                certify_now()
            kkt = last[0]
            tol_abs = certify.kkt_tol
            if kkt <= tol_abs or n_iter >= max_iter:
                break
            if use_ws:
                score = viol.max(axis=0)
                support = np.abs(W).max(axis=0)
                if certify.n_passes == 1:
                    # Many violators at the start announce a large support.
                    ws_size = max(ws_size, int(np.count_nonzero(score > 0.0) // 4))
                cols = select_working_set(support, score,
                                          max(ws_size, 2 * np.count_nonzero(support)))
                ws_size = min(p, 4 * ws_size)
            else:
                cols = np.arange(p)
            inner_tol = max(tol_abs, 0.1 * kkt)
        else:
            cols = columns.cols
            screened = None
            ws_size = max(ws_size, cols.shape[0])
            tol_abs = inner_tol = certify.kkt_tol
        steps, stalled, done = solve_multinomial_working_set(
            design, datafit, penalty, fit_intercept, W, b, Z, cols, inner_tol, tol_abs,
            certify.scale, max_iter - n_iter, model, stall, work, certify_now, at_start, columns)
        columns = at_start = None
        n_iter += steps
        # Nothing to do on an unchanged working set whose violation is met
        # (the full pass disagrees by round-off): report the certificate as it is.
        if done or stalled or (steps == 0 and np.array_equal(cols, previous)):
            if last[1] != n_iter:
                certify_now()
            break
    if strong_rule is not None and certify.n_passes > 0:
        strong_rule.update(certify.grad, penalty.alpha, W, b, Z)
    return SolveInfo(n_iter, last[0], certify.n_passes, certify.kkt_tol, int(work[0]))
