"""Penalties on the coefficients of a linear model, written once per penalty.

A penalty is a :data:`Penalty` named tuple ``(code, alpha, l1_ratio)``; the
penalty term of the objective is ``alpha * R(W)`` with

* ``NONE``: ``R = 0`` (``alpha`` is 0);
* ``L1``: ``R(W) = ||W||_1``;
* ``L2``: ``R(W) = 1/2 ||W||_2^2``;
* ``ELASTIC_NET``: ``R(W) = rho ||W||_1 + (1 - rho)/2 ||W||_2^2``, ``rho = l1_ratio``;
* ``L0L2``: ``R(W) = rho ||W||_0 + (1 - rho)/2 ||W||_2^2`` (best subset plus
  a ridge term, as in L0Learn).

The first four are elastic nets: :func:`make_penalty` stores them with
``l1_ratio`` set to 1 (L1), 0 (L2) or the user's value, so the kernels need
one formula for all of them and branch on ``code`` only for L0L2. Each
penalty knows its value (:func:`value`), its prox (:func:`prox`, hard
thresholding for L0L2), the distance of ``-grad_j`` to ``alpha * dR(w_j)``
(:func:`coordinate_violation`, the KKT certificate of the convex ones) and
its ``alpha_max`` (:func:`alpha_max`).
"""

from collections import namedtuple

import numpy as np
from numba import njit

from . import _cache  # noqa: F401  (numba's cache locations: before any kernel is defined)
from ._prox import prox_elastic_net

# Inlined into the solver kernels that call them (a separately compiled
# function adds to the cold start).
_INLINE = dict(cache=True, nogil=True, inline="always")

NONE = 0
L1 = 1
L2 = 2
ELASTIC_NET = 3
L0L2 = 4

#: ``alpha * R(W)``: ``code`` (one of the constants above), ``alpha >= 0`` and
#: ``l1_ratio`` in [0, 1] (the L1 share of an elastic net, the L0 share of L0L2).
Penalty = namedtuple("Penalty", ["code", "alpha", "l1_ratio"])

#: Every penalty by the estimators' name for it (tests/test_core.py checks
#: each against a numpy reference).
CODES = {None: NONE, "l1": L1, "l2": L2, "elasticnet": ELASTIC_NET, "l0": L0L2}


def make_penalty(penalty, alpha, l1_ratio=1.0):
    """The :data:`Penalty` for an estimator's ``penalty``, ``alpha`` and ``l1_ratio``.

    ``alpha = 0`` (or ``penalty=None``) is no penalty at all.
    """
    if penalty not in CODES:
        raise ValueError(f"Unknown penalty {penalty!r}.")
    code = CODES[penalty]
    if code == NONE or alpha == 0.0:
        return Penalty(NONE, 0.0, 1.0)
    rho = {L1: 1.0, L2: 0.0}.get(code, float(l1_ratio))
    return Penalty(code, float(alpha), rho)


def with_alpha(penalty, alpha):
    """The same penalty at another ``alpha``."""
    if penalty.code == NONE or alpha == 0.0:
        return Penalty(NONE, 0.0, 1.0)
    return penalty._replace(alpha=float(alpha))


def is_smooth(penalty):
    """Whether the penalty is differentiable (no L1 or L0 part)."""
    return penalty.code != L0L2 and (penalty.alpha == 0.0 or penalty.l1_ratio == 0.0)


def value(penalty, W):
    """``alpha * R(W)``."""
    code, alpha, rho = penalty
    if alpha == 0.0:
        return 0.0
    ridge = 0.5 * (1.0 - rho) * float(np.sum(W * W))
    if code == L0L2:
        return alpha * (rho * float(np.count_nonzero(W)) + ridge)
    return alpha * (rho * float(np.abs(W).sum()) + ridge)


def alpha_max(penalty, grad_inf):
    """The smallest ``alpha`` whose solution is zero, from ``grad_inf = ||grad loss(W=0)||_inf``.

    That is ``grad_inf / l1_ratio`` for an L1 part; penalties without one
    (and L0L2, whose zero threshold depends on the data) use ``grad_inf``,
    the L1 ``alpha_max``, as their scale.
    """
    if penalty.code in (L1, ELASTIC_NET) and penalty.l1_ratio > 0.0:
        return grad_inf / penalty.l1_ratio
    return grad_inf


@njit(**_INLINE)
def prox(code, x, step, alpha, l1_ratio):
    """Proximal operator of ``step * alpha * R`` at the scalar ``x``.

    For L0L2 it is hard thresholding: the minimiser of
    ``(w - x)^2 / (2 step) + alpha * R(w)`` is ``x / c``
    (``c = 1 + step * alpha * (1 - l1_ratio)``, the ridge shrinkage) when
    that beats ``w = 0``, i.e. when ``|x| > sqrt(2 step alpha l1_ratio c)``,
    else 0.
    """
    if code == L0L2:
        c = 1.0 + step * alpha * (1.0 - l1_ratio)
        if abs(x) > np.sqrt(2.0 * step * alpha * l1_ratio * c):
            return x / c
        return 0.0
    return prox_elastic_net(x, step, alpha, l1_ratio)


@njit(**_INLINE)
def coordinate_violation(code, wj, grad_j, alpha, l1_ratio):
    """Distance from ``-grad_j`` to ``alpha * dR(wj)``: 0 exactly when coordinate ``j`` is optimal.

    For L0L2 this is the stationarity of the smooth part on the support (0
    off the support, where optimality is a comparison of values, not a
    subgradient condition).
    """
    smooth = grad_j + alpha * (1.0 - l1_ratio) * wj
    if code == L0L2:
        return abs(smooth) if wj != 0.0 else 0.0
    if wj != 0.0:
        sign = 1.0 if wj > 0.0 else -1.0
        return abs(smooth + alpha * l1_ratio * sign)
    excess = abs(grad_j) - alpha * l1_ratio
    return excess if excess > 0.0 else 0.0


def violations(penalty, W, grad):
    """:func:`coordinate_violation` of every entry of ``W`` at once (numpy)."""
    code, alpha, rho = penalty
    smooth = grad + alpha * (1.0 - rho) * W
    if code == L0L2:
        return np.where(W != 0.0, np.abs(smooth), 0.0)
    return np.where(
        W != 0.0,
        np.abs(smooth + alpha * rho * np.sign(W)),
        np.maximum(np.abs(smooth) - alpha * rho, 0.0),
    )
