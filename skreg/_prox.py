"""Proximal operators shared by every solver in skreg.

This is the ground floor of the package: it imports nothing from skreg.
Every function is a small, pure ``@njit`` function on scalars or arrays so
that the coordinate-descent kernels and the MLP kernels apply exactly the
same operators:

* :func:`soft_threshold` -- prox of ``t * |x|`` (L1);
* :func:`prox_elastic_net` -- prox of
  ``step * alpha * (l1_ratio |x| + (1 - l1_ratio) / 2 x^2)``;
* :func:`group_soft_threshold` -- prox of ``t * ||v||_2`` (group lasso,
  block soft-thresholding);
* :func:`max_norm_project` -- projection of each unit's incoming weights on
  a ball (the max-norm constraint).

The penalties built on them (values, optimality conditions, and the hard
threshold of L0) live in :mod:`skreg.penalties`.
"""

import numpy as np
from numba import njit

from . import _cache  # noqa: F401  (numba's cache locations: before any kernel is defined)

# Inlined into their callers: compiled on their own, each small function would add its
# own compilation (module, wrappers, cache file) per dtype to the cold start.
_JIT = dict(cache=True, nogil=True, inline="always")


@njit(**_JIT)
def soft_threshold(x, threshold):
    """Proximal operator of ``threshold * |x|``: shrink ``x`` toward 0 by ``threshold``."""
    if x > threshold:
        return x - threshold
    if x < -threshold:
        return x + threshold
    return 0.0


@njit(**_JIT)
def prox_elastic_net(x, step, alpha, l1_ratio):
    """Proximal operator of ``step * alpha * (l1_ratio |x| + (1 - l1_ratio) / 2 x^2)``."""
    return soft_threshold(x, step * alpha * l1_ratio) / (1.0 + step * alpha * (1.0 - l1_ratio))


@njit(**_JIT)
def group_soft_threshold(v, threshold):
    """Proximal operator of ``threshold * ||v||_2``, in place on the vector ``v``.

    Shrinks ``v`` toward 0 along its own direction by ``threshold``: the
    whole block becomes exactly zero when ``||v||_2 <= threshold``. Returns
    the norm of the result.
    """
    sq = 0.0
    for i in range(v.shape[0]):
        sq += v[i] * v[i]
    norm = np.sqrt(sq)
    if norm <= threshold:
        for i in range(v.shape[0]):
            v[i] = 0.0
        return 0.0
    scale = 1.0 - threshold / norm
    for i in range(v.shape[0]):
        v[i] *= scale
    return norm - threshold


@njit(**_JIT)
def max_norm_project(W, max_norm):
    """Project every column of ``W`` (one unit's incoming weights) onto the ball of radius ``max_norm``.

    ``W`` has shape ``(n_inputs, n_units)`` and is modified in place.
    """
    n_in, n_units = W.shape
    for k in range(n_units):
        sq = 0.0
        for i in range(n_in):
            sq += W[i, k] * W[i, k]
        norm = np.sqrt(sq)
        if norm > max_norm:
            scale = max_norm / norm
            for i in range(n_in):
                W[i, k] *= scale
