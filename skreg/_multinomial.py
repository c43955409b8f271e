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
* **One line search** along the joint step of all classes
  (:func:`multinomial_loss_along`, O(nK) per trial), so a Newton step
  costs O(nK), not O(nK^2) as one line search per class would.

Working sets are sets of features (all classes of a feature together, so
the shift across classes stays inside the working set). The fit stops at the
first full pass whose certificate holds, or when no step changes the
objective or the certificate measurably in floating point any more.
"""

from collections import namedtuple

import numpy as np
from numba import njit

from . import _cd
from ._cd import (
    SolveInfo,
    _FAST,
    _MAX_CD_EPOCHS,
    Certificate,
    armijo_step,
    col_axpy,
    col_axpy_weighted,
    col_dot,
    col_weighted_moments,
    _JIT,
    column_entries,
    design_operator,
    select_working_set,
    starting_point,
)
from ._losses import logsumexp_row
from .datafits import _HESS_FLOOR
from .penalties import coordinate_violation, prox

#: Consecutive Newton steps whose predicted decrease is below round-off and
#: which do not halve the best working-set KKT violation before the solver
#: declares floating-point stagnation.
_STALLED_STEPS = 3
_EPS = np.finfo(np.float64).eps

# ---------------------------------------------------------------------------
# Multinomial shift invariance.
# ---------------------------------------------------------------------------


@njit(**_JIT)
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


@njit(**_JIT)
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


@njit(**_JIT)
def shift_to_penalty_optimum(W, l1_ratio, allowed):
    """Move each feature's coefficients across classes by their penalty-optimal shift.

    The softmax loss is unchanged when one feature's coefficients move
    together across all classes, so only the penalty decides that shift.
    Coordinate descent moves one class at a time and drifts along this
    flat valley very slowly; solving it exactly is free. The logits change
    by a per-row constant, which no loss or probability sees. Only features
    with ``allowed[j]`` (in the working set) move, so coordinates outside
    the working set stay zero. Returns whether anything moved.
    """
    K, p = W.shape
    moved = False
    column = np.empty(K)
    for j in range(p):
        if not allowed[j]:
            continue
        nonzero = False
        for k in range(K):
            if W[k, j] != 0.0:
                nonzero = True
        if not nonzero:
            continue
        for k in range(K):
            column[k] = W[k, j]
        c = penalty_optimal_shift(column, l1_ratio)
        if c != 0.0:
            moved = True
            for k in range(K):
                W[k, j] -= c
    return moved



#: Buffers of one quadratic model, per class ``k`` (rows) and sample or
#: working-set position (columns): probabilities ``P``, gradient ``G`` and
#: Newton weights ``H`` (K, n); the step of the logits ``dZ`` (K, n);
#: ``sigma = sum_k P_k dZ_k`` and two scratch vectors ``r`` (model gradient
#: of the current class) and ``z_old`` (n,); the step ``dW``, centred
#: curvature ``hdiag`` and ``hsum = sum_i H_ki x_ij`` (K, p); per class
#: ``sum_h`` and the intercept step ``db`` (K,); a scratch ``column`` (K,).
MultinomialModel = namedtuple(
    "MultinomialModel",
    ["P", "G", "H", "dZ", "sigma", "r", "z_old", "dW", "hdiag", "hsum", "sum_h", "db", "column"],
)


def multinomial_model(n, p, K):
    """Buffers of a :data:`MultinomialModel` for ``n`` samples, ``p`` features, ``K`` classes."""
    return MultinomialModel(np.empty((K, n)), np.empty((K, n)), np.empty((K, n)),
                            np.empty((K, n)), np.empty(n), np.empty(n), np.empty(n),
                            np.empty((K, p)), np.empty((K, p)), np.empty((K, p)), np.empty(K),
                            np.empty(K), np.empty(K))


@njit(**_FAST)
def build_multinomial_model(X, datafit, Z, W, ws, nws, model, penalty, fit_intercept, target):
    """Set up the quadratic model at the logits ``Z`` (n, K); return the working set's KKT violation.

    The returned violation is the largest over the working set's
    coordinates (every class) and, with ``fit_intercept``, the intercepts:
    the working-set certificate at the current point. When it is above
    ``target``, also fills the centred curvatures and zeroes the step
    (``P``, ``G``, ``H`` are filled in any case).
    """
    code, alpha, l1_ratio = penalty
    Y, sw = datafit.Y, datafit.sw
    P, G, H, dZ, sigma = model.P, model.G, model.H, model.dZ, model.sigma
    n, K = Z.shape
    for i in range(n):
        lse = logsumexp_row(Z, i)
        sigma[i] = 0.0
        for k in range(K):
            pk = np.exp(Z[i, k] - lse)
            P[k, i] = pk
            G[k, i] = sw[i] * (pk - Y[i, k])
            H[k, i] = sw[i] * max(pk * (1.0 - pk), _HESS_FLOOR)
            dZ[k, i] = 0.0
    kkt = 0.0
    for k in range(K):
        sum_g = 0.0
        for i in range(n):
            sum_g += G[k, i]
        if fit_intercept:
            kkt = max(kkt, abs(sum_g))
        for idx in range(nws):
            j = ws[idx]
            kkt = max(kkt, coordinate_violation(code, W[k, j], col_dot(X, j, G[k]), alpha,
                                                l1_ratio))
    if kkt <= target:
        return kkt  # met: no model needed
    for k in range(K):
        model.db[k] = 0.0
        sum_h = 0.0
        for i in range(n):
            sum_h += H[k, i]
        model.sum_h[k] = sum_h
        for idx in range(nws):
            j = ws[idx]
            model.dW[k, idx] = 0.0
            s1, s2 = col_weighted_moments(X, j, H[k])
            if fit_intercept:
                s2 -= s1 * s1 / sum_h
                # A column (numerically) constant on the support of h carries
                # no information beyond the intercept.
                if s2 <= 1e-12 * (s2 + s1 * s1 / sum_h):
                    s2 = 0.0
            else:
                s1 = 0.0
            model.hsum[k, idx] = s1
            model.hdiag[k, idx] = s2
    return kkt


@njit(**_FAST)
def cd_multinomial_model(X, datafit, ws, nws, W, model, penalty, fit_intercept, cd_tol, state,
                         epochs_per_call, max_epochs):
    """Minimise the full-Hessian quadratic model plus penalty on ``ws[:nws]`` by cyclic CD.

    Runs at most ``epochs_per_call`` epochs per call and keeps its progress
    in ``state`` (``[epochs run, active-set epoch]``, zeros to start), so the
    caller loops in Python between calls. Returns ``(done, epochs run by this call)``; once ``done``
    (no coordinate moved the model gradient by more than ``cd_tol``, or
    ``max_epochs`` in all), ``model.dW``, ``model.db`` and ``model.dZ`` hold
    the step (``dZ`` up to a per-sample constant shared by all classes,
    which no softmax sees).
    """
    code, alpha, l1_ratio = penalty
    sw = datafit.sw
    P, G, H, dZ, sigma, r, z_old = model.P, model.G, model.H, model.dZ, model.sigma, model.r, model.z_old
    dW, hdiag, hsum, db, column = model.dW, model.hdiag, model.hsum, model.db, model.column
    n = X.n_samples
    K = P.shape[0]
    shift = alpha > 0.0
    ran = 0
    converged = False
    while ran < epochs_per_call and state[0] < max_epochs and not converged:
        ran += 1
        state[0] += 1.0
        # glmnet's active-set cycling: after a full epoch, epochs over the
        # non-zero coordinates only until they settle, then a full epoch again.
        active_only = state[1] == 1.0
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
                if hj <= 0.0:
                    continue  # an all-zero (or constant) column has no gradient either
                j = ws[idx]
                old = W[k, j] + dW[k, idx]
                if active_only and old == 0.0:
                    continue
                grad_j = col_dot(X, j, r)
                if fit_intercept:
                    grad_j -= hsum[k, idx] / sum_h * sum_u
                delta = prox(code, old - grad_j / hj, 1.0 / hj, alpha, l1_ratio) - old
                if delta != 0.0:
                    dW[k, idx] += delta
                    col_axpy_weighted(X, j, delta, Hk, r)
                    col_axpy(X, j, delta, dzk)
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
        if max_move <= cd_tol:
            converged = not active_only
            state[1] = 0.0  # settled: a full epoch next (done if it moves nothing either)
        else:
            state[1] = 1.0
    return converged or state[0] >= max_epochs, ran


@njit(**_FAST)
def multinomial_loss_along(datafit, Z, dZ, t):
    """The multinomial datafit at the logits ``Z + t dZ^T`` (``Z`` (n, K), ``dZ`` (K, n))."""
    Y, sw = datafit.Y, datafit.sw
    n, K = Z.shape
    total = 0.0
    for i in range(n):
        if sw[i] == 0.0:
            continue
        zmax = -np.inf
        for k in range(K):
            zmax = max(zmax, Z[i, k] + t * dZ[k, i])
        acc = 0.0
        dot = 0.0
        for k in range(K):
            z = Z[i, k] + t * dZ[k, i]
            acc += np.exp(z - zmax)
            dot += Y[i, k] * z
        total += sw[i] * (zmax + np.log(acc) - dot)
    return total


def _penalty_change(penalty, w0, step):
    """``t -> R(w0 + t step) - R(w0)`` times alpha, for the elastic-net family."""
    _, alpha, rho = penalty

    def change(t):
        w1 = w0 + t * step
        return float(alpha * (rho * (np.abs(w1).sum() - np.abs(w0).sum())
                              + 0.5 * (1.0 - rho) * ((w1 * w1).sum() - (w0 * w0).sum())))
    return change


def _newton_step(design, datafit, penalty, fit_intercept, W, b, Z, cols, model, cd_tol, work):
    """One proximal Newton step on the features ``cols``; returns ``(t, predicted, f0)``.

    ``t`` is the accepted step length (0 when the line search found no
    decrease) and ``predicted`` the model's predicted change of the
    objective for the full step.
    """
    nws = cols.shape[0]
    K = W.shape[0]
    per_call = max(1, _cd.ENTRIES_PER_CALL // max(1, K * column_entries(design, cols)))
    state = np.zeros(2)
    done = False
    while not done:
        done, _ = cd_multinomial_model(design, datafit, cols, nws, W, model, penalty,
                                       fit_intercept, cd_tol, state, per_call, _MAX_CD_EPOCHS)
    work[0] += int(state[0]) * nws * K
    dW, dZ, db = model.dW[:, :nws], model.dZ, model.db
    pen = _penalty_change(penalty, W[:, cols], dW)
    f0 = multinomial_loss_along(datafit, Z, dZ, 0.0)
    predicted = float(np.vdot(model.G, dZ)) + pen(1.0)
    t = armijo_step(lambda t: multinomial_loss_along(datafit, Z, dZ, t) - f0 + pen(t),
                    predicted, f0)
    if t > 0.0:
        W[:, cols] += t * dW
        b += t * db
        Z += t * dZ.T
    return t, predicted, f0


def solve_multinomial_working_set(design, datafit, penalty, fit_intercept, W, b, Z, cols,
                                  inner_tol, tol, scale, max_steps, model, stall, work):
    """Proximal Newton steps on the features ``cols`` until their KKT violation is ``<= inner_tol``.

    ``stall`` (``[best violation, stalled steps]``, kept across calls) tracks
    floating-point stagnation: a step whose predicted decrease is below
    round-off of the objective and after which the violation is not below
    half the best seen. Returns the Newton steps taken and whether
    :data:`_STALLED_STEPS` such steps came in a row, or the line search
    found no decrease: no step changes the fit measurably any more.
    """
    nws = cols.shape[0]
    allowed = np.zeros(W.shape[1], dtype=np.bool_)
    allowed[cols] = True
    n_steps = 0
    measurable = True
    while True:
        ws_kkt = build_multinomial_model(design, datafit, Z, W, cols, nws, model, penalty,
                                         fit_intercept, inner_tol)
        if ws_kkt < 0.5 * stall[0]:
            stall[0], stall[1] = ws_kkt, 0.0
        elif not measurable:
            stall[1] += 1.0
            if stall[1] >= _STALLED_STEPS:
                return n_steps, True
        if ws_kkt <= inner_tol or n_steps >= max_steps:
            return n_steps, False
        # Solve the model a little beyond the current violation, but not
        # below round-off of the gradients (alpha_max's scale).
        cd_tol = max(0.1 * tol, 0.3 * min(ws_kkt, 3.0 * inner_tol), _EPS * scale)
        t, predicted, f0 = _newton_step(design, datafit, penalty, fit_intercept, W, b, Z, cols,
                                        model, cd_tol, work)
        n_steps += 1
        if t == 0.0:
            return n_steps, True
        if penalty.alpha > 0.0:
            shift_to_penalty_optimum(W, penalty.l1_ratio, allowed)
        measurable = predicted < -1e-10 * max(1.0, abs(f0))
        if measurable:
            stall[1] = 0.0


def multinomial_cd_solve(design, datafit, penalty, fit_intercept, W, b, tol, max_iter, ws_start,
                         verbose=False, scale=None):
    """Fit multinomial L1 / elastic net in place in ``W`` (K, p) and ``b`` (K,).

    Parameters and return value as :func:`skreg._cd.newton_cd_solve`;
    ``n_iter`` counts proximal Newton steps on the full softmax Hessian.
    BLAS threads are set by the caller (:func:`skreg._path.fit_point`).
    """
    K, p = W.shape
    n = design.n_samples
    X_op = design_operator(design)
    Z, zero_start = starting_point(design, X_op, datafit, fit_intercept, W, b)
    certify = Certificate(design, X_op, datafit, penalty, fit_intercept, tol, zero_start, verbose,
                          scale)
    viol = certify.viol
    model = multinomial_model(n, p, K)
    work = np.zeros(1, dtype=np.int64)
    use_ws = ws_start > 0 and penalty.alpha > 0.0 and penalty.l1_ratio > 0.0
    ws_size = ws_start if use_ws else p
    n_iter = 0
    cols = np.empty(0, dtype=np.int64)
    stall = np.array([np.inf, 0.0])
    while True:
        kkt = certify(W, Z, n_iter)
        tol_abs = certify.kkt_tol
        if kkt <= tol_abs or n_iter >= max_iter:
            break
        previous = cols
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
        steps, stalled = solve_multinomial_working_set(
            design, datafit, penalty, fit_intercept, W, b, Z, cols, inner_tol, tol_abs,
            certify.scale, max_iter - n_iter, model, stall, work)
        n_iter += steps
        # Nothing to do on an unchanged working set whose violation is met
        # (the full pass disagrees by round-off): report the certificate as it is.
        if stalled or (steps == 0 and np.array_equal(cols, previous)):
            kkt = certify(W, Z, n_iter)
            break
    return SolveInfo(n_iter, kkt, certify.n_passes, certify.kkt_tol, int(work[0]))
