"""Datafits: the smooth loss of a linear model, written once per loss.

A linear model predicts ``Z = X W^T + b`` (n_samples, K). The datafit is the
weighted mean loss ``F(Z) = sum_i s_i loss(y_i, Z_i)`` with weights ``s``
normalised to sum to one:

* ``LOGISTIC`` (K = 1): ``loss = log(1 + exp(z)) - y z`` with ``y`` in {0, 1};
* ``MULTINOMIAL`` (K classes): ``loss = logsumexp(z) - sum_k y_k z_k`` with
  one-hot ``y``;
* ``SQUARED`` (K targets): ``loss = 1/2 sum_k (y_k - z_k)^2``; the targets do
  not interact, so column ``k`` of ``W`` is an independent least-squares
  problem with the same penalty.

A datafit is a :data:`Datafit` named tuple ``(code, Y, sw)``. The numba
kernels of the solvers take it whole and branch on ``code`` (a small
integer), so every datafit shares one compiled signature per data layout:
adding a loss adds branches, not compiled functions. The functions here are
numpy (O(n K) each, called once per Newton step), but for the one-pass
derivatives of the line search (:func:`derivatives_along`). Each
datafit knows its per-sample gradient and Newton weights along one column of ``Z``
(:func:`sample_derivatives`), its value along a direction
(:func:`loss_along`; with the derivatives there, :func:`derivatives_along`),
its gradient (:func:`gradient`), its value in numpy (:func:`value`) and its
intercept-only model (:func:`intercept_only`).
"""

from collections import namedtuple

import numpy as np
from numba import njit
from scipy.special import expit, logsumexp, softmax

from . import _cache  # noqa: F401  (numba's cache locations: before any kernel is defined)
from ._losses import separates
from ._validation import kernel_view

LOGISTIC = 0
MULTINOMIAL = 1
SQUARED = 2

#: The loss of a linear model: ``code`` (one of the constants above), the
#: targets ``Y`` (n, K) -- the 0/1 column, the one-hot classes or the
#: regression targets -- and the sample weights ``sw`` (n,), summing to one.
Datafit = namedtuple("Datafit", ["code", "Y", "sw"])

#: Floor on p(1-p) in the logistic Newton weights: keeps the quadratic model
#: strictly convex when probabilities saturate (separable data); the line
#: search keeps the step safe.
_HESS_FLOOR = 1e-12

#: Every datafit by name (tests/test_core.py checks each against a numpy reference).
CODES = {"logistic": LOGISTIC, "multinomial": MULTINOMIAL, "squared": SQUARED}

_NAMES = {"log_loss": None, "squared_error": SQUARED}


def make_datafit(loss, Y, sw):
    """The :data:`Datafit` for ``loss`` ("log_loss" or "squared_error").

    For "log_loss", ``Y`` with one column is the binary 0/1 target, with
    more it is one-hot (multinomial).
    """
    if loss not in _NAMES:
        raise ValueError(f"loss must be 'log_loss' or 'squared_error', got {loss!r}.")
    code = _NAMES[loss]
    if code is None:
        code = LOGISTIC if Y.shape[1] == 1 else MULTINOMIAL
    # kernel_view: read-only targets (pandas, memory maps) reuse the writeable signatures
    return Datafit(code, kernel_view(np.ascontiguousarray(Y, dtype=np.float64)), kernel_view(sw))


def is_classification(datafit):
    """Whether the datafit is a logistic loss (binary or multinomial)."""
    return datafit.code != SQUARED


# ---------------------------------------------------------------------------
# Per-sample derivatives along one column of Z. Numpy, but for the line
# search's one pass of the logistic and squared losses: each compiled kernel
# adds to the cold start that every user pays.
# ---------------------------------------------------------------------------


def _moved(Z, k, dz, t):
    """Column ``k`` of ``Z`` moved to ``Z[:, k] + t dz`` (``Z[:, k]`` itself when ``t = 0``)."""
    if t == 0.0:
        return Z[:, k]
    z = np.multiply(dz[:Z.shape[0]], t)
    z += Z[:, k]
    return z


def _weighted_sum(sw, losses):
    """``sum_i s_i loss_i`` over the samples of non-zero weight (a zero weight ignores an
    infinite or undefined loss)."""
    total = float(sw @ losses)
    if not np.isfinite(total):
        total = float(sw[sw != 0.0] @ losses[sw != 0.0])
    return total


def _in_order_sum(h):
    """``sum(h)`` summed in order, as a loop does (``np.sum`` is pairwise): where a solve
    meets the limit of floating point (an unreachable tol), its stopping depends on these
    last bits."""
    return float(np.cumsum(h)[-1]) if h.shape[0] else 0.0


def _set_derivatives(z, y, sw, p, g, h):
    """In place: ``g = s (p - y)`` and ``h = s max(p (1 - p), floor)`` (``p``: the mean
    response), or with ``p`` None the squared loss's ``g = s (z - y)``, ``h = s``.
    Returns ``sum(h)``."""
    if p is None:
        np.subtract(z, y, out=g)
        g *= sw
        h[:] = sw
    else:
        np.subtract(p, y, out=g)
        g *= sw
        np.subtract(1.0, p, out=h)
        h *= p
        np.maximum(h, _HESS_FLOOR, out=h)
        h *= sw
    return _in_order_sum(h)


def sample_derivatives(datafit, Z, k, g, h):
    """Gradient ``g`` and Newton weights ``h`` of the datafit w.r.t. column ``k`` of ``Z``.

    Returns ``sum(h)``, the intercept's Newton curvature. For the squared
    loss ``g = s * (z - y)`` is the weighted residual and ``h = s``: the
    quadratic model is the loss itself.
    """
    code, Y, sw = datafit
    n = Z.shape[0]
    z = Z[:, k]
    p = None
    if code == LOGISTIC:
        p = expit(z)
    elif code == MULTINOMIAL:
        p = np.exp(z - logsumexp(Z, axis=1))
    return _set_derivatives(z, Y[:, k], sw, p, g[:n], h[:n])


def loss_along(datafit, Z, k, dz, t):
    """Datafit with column ``k`` of ``Z`` moved to ``Z[:, k] + t dz``.

    The whole datafit for the logistic and multinomial losses; for the
    squared loss the part of target ``k`` (the targets do not interact).
    """
    code, Y, sw = datafit
    if code != MULTINOMIAL:
        n = Z.shape[0]
        return _derivatives_along(datafit, Z, k, dz, t, np.empty(n), np.empty(n))[0]
    z = _moved(Z, k, dz, t)
    others = np.delete(Z, k, axis=1)
    lse = np.logaddexp(z, logsumexp(others, axis=1))
    dot = Y[:, k] * z + np.einsum("ij,ij->i", np.delete(Y, k, axis=1), others)
    return _weighted_sum(sw, lse - dot)


def derivatives_along(datafit, Z, k, dz, t, g, h):
    """Datafit, gradient ``g`` and Newton weights ``h`` at column ``k`` of ``Z`` moved by ``t dz``.

    What a line search needs at a trial step and what the next quadratic
    model needs once the step is taken, in one pass (one ``exp`` and one
    ``log1p`` per sample for the logistic loss). Returns ``(loss, sum(h))``;
    the loss is up to a constant in ``t`` for the multinomial loss (the other
    columns' terms are left out), exact otherwise. ``Z`` is not changed;
    ``t = 0`` reads ``Z`` only (``dz`` may hold anything).
    """
    if datafit.code != MULTINOMIAL:
        return _derivatives_along(datafit, Z, k, dz, t, g, h)
    Y, sw = datafit.Y, datafit.sw
    n = Z.shape[0]
    z = _moved(Z, k, dz, t)
    y = Y[:, k]
    lse = np.logaddexp(z, logsumexp(np.delete(Z, k, axis=1), axis=1))
    loss = _weighted_sum(sw, lse - y * z)
    return loss, _set_derivatives(z, y, sw, np.exp(z - lse), g[:n], h[:n])


@njit(cache=True, nogil=True)
def _derivatives_along(datafit, Z, k, dz, t, g, h):
    """:func:`derivatives_along` of the logistic and squared losses: one compiled pass.

    The solvers call it for every line-search trial, where numpy's
    temporaries would cost several passes over the samples.
    """
    code, Y, sw = datafit.code, datafit.Y, datafit.sw
    total = 0.0
    sum_h = 0.0
    for i in range(Z.shape[0]):
        zk = Z[i, k] + t * dz[i] if t != 0.0 else Z[i, k]
        y = Y[i, k]
        s = sw[i]
        if code == SQUARED:
            r = zk - y
            loss = 0.5 * r * r
            g[i] = s * r
            h[i] = s
        else:
            e = np.exp(-abs(zk))
            if zk > 0.0:
                loss = zk + np.log1p(e) - y * zk
                p = 1.0 / (1.0 + e)
            else:
                loss = np.log1p(e) - y * zk
                p = e / (1.0 + e)
            g[i] = s * (p - y)
            h[i] = s * max(p * (1.0 - p), _HESS_FLOOR)
        if s != 0.0:
            total += s * loss
        sum_h += h[i]
    return total, sum_h


def gradient(datafit, Z, G):
    """``G[i, k]``: derivative of the datafit w.r.t. ``Z[i, k]``."""
    code, Y, sw = datafit
    np.multiply(sw[:, None], mean_response(code, Z) - Y, out=G)


# ---------------------------------------------------------------------------
# Whole-array versions (numpy): values, refits and held-out scores.
# ---------------------------------------------------------------------------


def sample_losses(code, Z, Y):
    """Loss of every sample at ``Z`` (n,)."""
    if code == SQUARED:
        return 0.5 * np.sum((Z - Y) ** 2, axis=1)
    if code == LOGISTIC:
        z = Z[:, 0]
        return np.logaddexp(0.0, z) - Y[:, 0] * z
    # The true class's logit by index: Y * Z would turn an infinite logit into NaN.
    return logsumexp(Z, axis=1) - Z[np.arange(Z.shape[0]), np.argmax(Y, axis=1)]


def value(datafit, Z):
    """The datafit (weighted mean loss) at ``Z``."""
    return float(datafit.sw @ sample_losses(datafit.code, Z, datafit.Y))


def mean_response(code, Z):
    """``E[y | z]``: probabilities (logistic, multinomial) or ``Z`` itself (squared)."""
    if code == SQUARED:
        return Z
    if code == LOGISTIC:
        return expit(Z)
    return softmax(Z, axis=1)


def hessian_weights(code, P, sw, k, l):
    """Per-sample weights of the Hessian block of columns ``k``, ``l`` of ``Z`` (``P``: mean response)."""
    if code == SQUARED:
        return sw if k == l else np.zeros_like(sw)
    if code == LOGISTIC:
        return sw * P[:, 0] * (1.0 - P[:, 0])
    return sw * P[:, k] * ((k == l) - P[:, l])


def intercept_only(datafit):
    """Optimal intercepts of the model ``W = 0``, or None when they are not finite.

    The weighted mean target (squared), the log-odds of the weighted class
    frequencies (logistic; None if a class has no weight), or the centred
    log-frequencies (multinomial).
    """
    prior = datafit.sw @ datafit.Y
    if datafit.code == SQUARED:
        return prior
    if not np.all(prior > 0.0):
        return None
    if datafit.code == LOGISTIC:
        if prior[0] >= 1.0:
            return None
        return np.array([np.log(prior[0]) - np.log1p(-prior[0])])
    return np.log(prior) - np.log(prior).mean()


def mean_at_zero(datafit, fit_intercept):
    """The mean response of the model ``W = 0`` with the intercepts at their optimum (n-free, (K,))."""
    K = datafit.Y.shape[1]
    if fit_intercept:
        return datafit.sw @ datafit.Y  # also the class frequencies for the logistic losses
    if datafit.code == SQUARED:
        return np.zeros(K)
    return np.full(K, 0.5 if datafit.code == LOGISTIC else 1.0 / K)


def has_no_minimiser(datafit, Z):
    """Whether the unpenalized datafit has no finite minimiser because ``Z`` separates the classes."""
    if datafit.code == SQUARED:
        return False
    return separates(Z, datafit.Y, datafit.sw, datafit.code == MULTINOMIAL)
