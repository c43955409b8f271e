"""Numerically stable losses shared by every solver in skreg.

Ground floor: imports nothing from skreg. The logistic loss is written for
labels ``y01`` in {0, 1} and a linear predictor (logit) ``z``; the
multinomial loss for a row of logits. Every function avoids overflow for
logits of any magnitude (``exp`` is only ever taken of non-positive numbers).
"""

import numpy as np
from numba import njit

from . import _cache  # noqa: F401  (numba's cache locations: before any kernel is defined)

# Inlined into their callers: compiled on their own, each small function would add its
# own compilation (module, wrappers, cache file) per dtype to the cold start.
_JIT = dict(cache=True, nogil=True, inline="always")


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


def separates(Z, Y, sw, multinomial):
    """Whether logits ``Z`` classify every sample of positive weight strictly right.

    Then (with no ridge term) the logistic loss has no finite minimiser: it
    decreases towards 0 as the coefficients grow along that direction.
    ``Y`` is the (n, 1) 0/1 column or the (n, K) one-hot matrix.
    """
    if multinomial:
        true = Y.argmax(axis=1)
        others = np.where(Y > 0.0, -np.inf, Z).max(axis=1)
        margin = Z[np.arange(Z.shape[0]), true] - others
    else:
        margin = np.where(Y[:, 0] > 0.5, Z[:, 0], -Z[:, 0])
    return bool(np.all(margin[sw > 0.0] > 0.0))
