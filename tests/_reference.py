"""The objective of skreg's linear models and its optimality conditions, in numpy only.

Written from the formulas alone (nothing here calls skreg), and shared by the
test modules that check solutions against it::

    F(W, b) = sum_i s_i loss(y_i, W x_i + b) + alpha * R(W),   s = sample weights / their sum

with the losses (``name``)

* "logistic": ``log(1 + exp(z)) - y z``, ``Y`` the (n, 1) 0/1 column;
* "multinomial": ``logsumexp(z) - y . z``, ``Y`` one-hot (n, K);
* "squared": ``1/2 ||y - z||^2``, ``Y`` the (n, K) targets,

and the penalties ``R`` (``penalty``, with ``rho = l1_ratio``): None (0), "l1"
``||W||_1``, "l2" ``1/2 ||W||^2``, "elasticnet" ``rho ||W||_1 + (1 - rho)/2 ||W||^2``
and "l0" ``rho ||W||_0 + (1 - rho)/2 ||W||^2``.
"""

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logsumexp, softmax


def _logistic(Z, Y):
    z = Z[:, :1]
    return (np.logaddexp(0.0, z) - Y * z)[:, 0], expit(z) - Y


def _multinomial(Z, Y):
    return logsumexp(Z, axis=1) - np.sum(Y * Z, axis=1), softmax(Z, axis=1) - Y


def _squared(Z, Y):
    return 0.5 * np.sum((Z - Y) ** 2, axis=1), Z - Y


#: Per-sample loss (n,) and its derivative in Z (n, K), by name.
LOSSES = {"logistic": _logistic, "multinomial": _multinomial, "squared": _squared}

#: The penalty of each coefficient, ``alpha * r(w)`` elementwise as ``f(W, alpha, rho)``
#: (``alpha * R(W)`` is its sum).
PENALTIES = {
    None: lambda W, alpha, rho: 0.0 * W,
    "l1": lambda W, alpha, rho: alpha * np.abs(W),
    "l2": lambda W, alpha, rho: 0.5 * alpha * W * W,
    "elasticnet": lambda W, alpha, rho: alpha * (rho * np.abs(W) + 0.5 * (1.0 - rho) * W * W),
    "l0": lambda W, alpha, rho: alpha * (rho * (W != 0.0) + 0.5 * (1.0 - rho) * W * W),
}

#: The convex penalties as ``(l1 share, l2 share)`` of ``alpha``, by name and ``rho``.
CONVEX = {
    None: lambda rho: (0.0, 0.0),
    "l1": lambda rho: (1.0, 0.0),
    "l2": lambda rho: (0.0, 1.0),
    "elasticnet": lambda rho: (rho, 1.0 - rho),
}


def dense(X):
    """``X`` as a float64 ndarray."""
    return (X.toarray() if sp.issparse(X) else np.asarray(X)).astype(np.float64)


def weights(sample_weight, n):
    """The sample weights ``s``, summing to one (uniform when None)."""
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    return s / s.sum()


def targets(y, classes):
    """``(name, Y)`` of a classifier: the 0/1 column for two classes, else one-hot."""
    y, classes = np.asarray(y), np.asarray(classes)
    if len(classes) == 2:
        return "logistic", (y == classes[1]).astype(float)[:, None]
    return "multinomial", (y[:, None] == classes[None, :]).astype(float)


def _arrays(X, Y, W, b):
    X = dense(X)
    Y = np.asarray(Y, dtype=np.float64).reshape(X.shape[0], -1)
    W = np.atleast_2d(np.asarray(W, dtype=np.float64))
    b = np.atleast_1d(np.asarray(b, dtype=np.float64))
    return X, Y, W, b


def loss_and_grad(name, X, Y, W, b, sample_weight=None):
    """The weighted mean loss and its gradients in ``W`` (K, p) and ``b`` (K,)."""
    X, Y, W, b = _arrays(X, Y, W, b)
    s = weights(sample_weight, X.shape[0])
    losses, dZ = LOSSES[name](X @ W.T + b, Y)
    R = s[:, None] * dZ
    return float(s @ losses), R.T @ X, R.sum(axis=0)


def objective(name, X, Y, W, b, penalty, alpha, l1_ratio=1.0, sample_weight=None):
    """``F(W, b)``."""
    loss, _, _ = loss_and_grad(name, X, Y, W, b, sample_weight)
    return loss + float(np.sum(PENALTIES[penalty](np.asarray(W, float), alpha, l1_ratio)))


def kkt_violation(name, X, Y, W, b, penalty, alpha, l1_ratio=1.0, sample_weight=None,
                  fit_intercept=True):
    """``max_j dist(-grad_j, alpha * dR(w_j))`` over the coefficients, and ``|grad_b|``.

    For a convex ``penalty`` (zero exactly at a minimiser).
    """
    _, G, gb = loss_and_grad(name, X, Y, W, b, sample_weight)
    W = np.atleast_2d(np.asarray(W, dtype=np.float64))
    l1, l2 = CONVEX[penalty](l1_ratio)
    smooth = G + alpha * l2 * W
    viol = np.where(W != 0.0, np.abs(smooth + alpha * l1 * np.sign(W)),
                    np.maximum(np.abs(smooth) - alpha * l1, 0.0))
    v = viol.max()
    if fit_intercept:
        v = max(v, np.abs(gb).max())
    return v


def alpha_max(name, X, Y, sample_weight=None, fit_intercept=True):
    """The smallest L1 ``alpha`` with ``W = 0``: ``||grad_W F(0, b)||_inf``.

    ``b`` is the intercepts' optimum at ``W = 0`` (the weighted mean of
    ``Y`` is where the gradient in ``b`` vanishes), or zero without intercept.
    """
    X = dense(X)
    Y = np.asarray(Y, dtype=np.float64).reshape(X.shape[0], -1)
    s = weights(sample_weight, X.shape[0])
    if fit_intercept:
        mean = s @ Y
    else:  # the derivative at Z = 0 plus Y
        mean = {"logistic": 0.5, "multinomial": 1.0 / Y.shape[1], "squared": 0.0}[name]
    return np.abs(X.T @ (s[:, None] * (mean - Y))).max()
