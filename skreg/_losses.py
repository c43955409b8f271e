"""Numerically stable losses shared by every solver in skreg.

Ground floor: imports nothing from skreg. The logistic loss is written for
labels ``y01`` in {0, 1} and a linear predictor (logit) ``z``; the
multinomial loss for a row of logits. Every function avoids overflow for
logits of any magnitude (``exp`` is only ever taken of non-positive numbers).
"""

import numpy as np
from numba import njit

_JIT = dict(cache=True, nogil=True)


@njit(**_JIT)
def sigmoid(z):
    """``1 / (1 + exp(-z))`` without overflow."""
    if z >= 0.0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


@njit(**_JIT)
def log1pexp(z):
    """``log(1 + exp(z))`` without overflow or loss of precision."""
    if z > 0.0:
        return z + np.log1p(np.exp(-z))
    return np.log1p(np.exp(z))


@njit(**_JIT)
def logistic_loss(y01, z):
    """Logistic loss ``log(1 + exp(z)) - y01 * z`` of one sample (``y01`` in {0, 1})."""
    return log1pexp(z) - y01 * z


@njit(**_JIT)
def logsumexp_row(Z, i):
    """``log(sum_k exp(Z[i, k]))`` of one row of logits, shifted by its max."""
    K = Z.shape[1]
    zmax = Z[i, 0]
    for k in range(1, K):
        if Z[i, k] > zmax:
            zmax = Z[i, k]
    acc = 0.0
    for k in range(K):
        acc += np.exp(Z[i, k] - zmax)
    return zmax + np.log(acc)
