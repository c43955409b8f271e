"""Numba leaf kernels of the network estimators (:mod:`skreg.neural_network`).

Structure (chosen for cold-start time)
--------------------------------------
An epoch (``skreg.neural_network._training.train_epoch``) runs, for every
mini-batch, the forward pass, the loss, the backward pass, the optimizer
step, the proximal step and the max-norm projection. The mini-batch loop is
plain Python; the matrix products are numpy GEMMs (``np.dot(..., out=...)``
into preallocated buffers); numba compiles only the *leaf* kernels here, the
fused elementwise loops that numpy would need several passes for:

* activation + bias (one kernel per activation) and its derivative,
* the output loss and its gradient (softmax / logistic for class indices,
  independent logistic outputs for 0/1 targets, squared error),
* the Adam / SGD step fused with the L1 prox,
* dropout masks and input noise (counter-based random numbers),
* batch normalization (training mode), the sparse first layer.

No kernel calls another large kernel, and each is compiled only when a fit
uses it (a ReLU / Adam / dense fit never compiles the tanh, SGD, dropout,
batch-norm or sparse kernels): numba re-optimizes and re-emits every callee
inside each caller's module, so a tree of kernels pays the machine code of
its leaves once per level. The Python loop costs a few microseconds per
mini-batch (see ``benchmarks/bench_startup.py`` and ``bench_mlp.py``).
Inference and the row hashes (:func:`row_keys`) are numpy only.

The parameter vectors the optimizer kernels update are laid out by
``skreg.neural_network._layout.Layout``; the kernels here only see
per-layer views or contiguous segments of them.

Randomness
----------
Dropout masks and input noise come from a counter-based generator
(splitmix64): the draw for unit ``j`` of sample ``i`` in layer ``l`` at epoch
``e`` is a hash of ``(seed, e, l, key_i, j)`` where ``key_i`` is a hash of the
*content* of row ``i`` (:func:`row_keys`). Hence the same ``random_state``
gives the same model bit for bit, and a row of integer weight ``k`` sees
exactly the masks that ``k`` repeated copies of it see: sample weights are
equivalent to repetition even with dropout and noise.

Dense and sparse input share everything but the first layer's product: dense
rows are gathered into a buffer (and perturbed there) before a GEMM, sparse X
is read as CSR by two kernels and never densified.

Compiled signatures
-------------------
Every kernel is called with one fixed set of argument types per float dtype
(arrays C-contiguous, integer scalars int64, penalties in the parameters'
dtype), so a fit compiles each kernel it uses once per dtype; see
``tests/test_cache.py`` for the on-disk cache.
"""

import numpy as np
from numba import njit

from . import _cache  # noqa: F401  (numba's cache locations: before any kernel is defined)
from ._losses import log1pexp, sigmoid
from ._prox import group_soft_threshold, soft_threshold

#: ``error_model="numpy"``: float division follows IEEE (inf/nan, no Python
#: ZeroDivisionError branch), which lets LLVM vectorize the fused optimizer
#: loops (4-8x faster); non-finite values are caught by the loss check.
_JIT = dict(cache=True, nogil=True, error_model="numpy")

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_LAYER_MIX = np.uint64(0xD6E8FEB86659FD93)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
#: Offset of the Gaussian draws in a row's random stream (the uniform draws use 1..d).
_NOISE_OFFSET = 1_000_003


# ---------------------------------------------------------------------------
# Counter-based random numbers (scalar helpers, inlined by LLVM into the kernels)
# ---------------------------------------------------------------------------


@njit(**_JIT)
def _mix64(x):
    """splitmix64 finalizer: a bijective 64-bit hash."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(**_JIT)
def _stream(key, seed, epoch, layer):
    """Seed of the random stream of one sample (``key``) in one layer and epoch."""
    h = _mix64(seed + _GOLDEN * np.uint64(epoch + 1))
    h = _mix64(h ^ (_LAYER_MIX * np.uint64(layer + 1)))
    return _mix64(h ^ key)


@njit(**_JIT)
def _perturb_value(v, stream, j, p, inv_keep, noise):
    """Dropout (rate ``p``, inverted) then additive Gaussian noise for unit / feature ``j``.

    Returns the new value and its dropout scale (0 or ``inv_keep``). The
    uniform draw is the ``j``-th of the stream, the Gaussian (Box-Muller) uses
    draws ``2 (j + _NOISE_OFFSET) + 1`` and ``+ 2``.
    """
    keep = 1.0
    if p > 0.0:
        u = (_mix64(stream + _GOLDEN * np.uint64(j + 1)) >> np.uint64(11)) * _TO_UNIT
        keep = 0.0 if u < p else inv_keep
        v = v * keep
    if noise > 0.0:
        k = 2 * (j + _NOISE_OFFSET)
        u1 = (_mix64(stream + _GOLDEN * np.uint64(k + 2)) >> np.uint64(11)) * _TO_UNIT
        u2 = (_mix64(stream + _GOLDEN * np.uint64(k + 3)) >> np.uint64(11)) * _TO_UNIT
        v = v + noise * (np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * np.pi * u2))
    return v, keep


@njit(**_JIT)
def _perturb_rows(M, D, keys, rows, seed, epoch, layer, p, noise, record):
    """Dropout / noise on the batch matrix ``M`` (row ``r`` is sample ``rows[r]``), in place.

    With ``record`` the dropout scales are written to ``D`` (for the backward pass).
    """
    b, n = M.shape
    inv_keep = 1.0 / (1.0 - p)
    for r in range(b):
        s = _stream(keys[rows[r]], seed, epoch, layer)
        for j in range(n):
            v, keep = _perturb_value(M[r, j], s, j, p, inv_keep, noise)
            M[r, j] = v
            if record:
                D[r, j] = keep


def _mix64_np(x):
    """:func:`_mix64` on a uint64 numpy array (wrapping arithmetic)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def row_keys(X, data, indices, indptr, is_sparse):
    """64-bit hash of the content of every row (its nonzero ``(column, value)`` pairs).

    Dense and sparse input with the same values get the same keys; so do
    float32 and float64 input (values are hashed as float64). Identical rows
    get identical keys, which is what makes sample weights equal repetition
    under dropout and noise. numpy only (uint64 arithmetic wraps modulo 2**64).
    """
    if is_sparse:
        n = indptr.shape[0] - 1
        sums = np.empty(n, dtype=np.uint64)
        a = 0
        while a < n:  # blocks of rows with ~64k stored entries: small temporaries
            b = int(np.searchsorted(indptr, indptr[a] + (1 << 16), side="right")) - 1
            b = min(max(b, a + 1), n)
            lo = indptr[a]
            vals = np.asarray(data[lo:indptr[b]], dtype=np.float64)
            cols = indices[lo:indptr[b]].astype(np.uint64) + np.uint64(1)
            h = _mix64_np(vals.view(np.uint64) ^ _mix64_np(_GOLDEN * cols))
            h[vals == 0.0] = 0
            csum = np.zeros(h.shape[0] + 1, dtype=np.uint64)
            np.cumsum(h, out=csum[1:])
            ptr = indptr[a:b + 1] - lo
            sums[a:b] = csum[ptr[1:]] - csum[ptr[:-1]]
            a = b
    else:
        n, d = X.shape
        col_hash = _mix64_np(_GOLDEN * np.arange(1, d + 1, dtype=np.uint64))
        sums = np.empty(n, dtype=np.uint64)
        step = max(1, (1 << 16) // max(d, 1))  # rows per block: ~0.5 MB temporaries each
        for a in range(0, n, step):
            V = np.ascontiguousarray(X[a:a + step], dtype=np.float64)
            H = _mix64_np(V.view(np.uint64) ^ col_hash)
            H[V == 0.0] = 0
            sums[a:a + step] = H.sum(axis=1, dtype=np.uint64)
    return _mix64_np(sums)


# ---------------------------------------------------------------------------
# Forward kernels
# ---------------------------------------------------------------------------


@njit(**_JIT)
def _relu_forward(Z, A, bias):
    """``Z += bias``, ``A = max(Z, 0)`` in one pass."""
    b, n = Z.shape
    for r in range(b):
        for u in range(n):
            z = Z[r, u] + bias[u]
            Z[r, u] = z
            A[r, u] = 0.0 if z < 0.0 else z  # max(z, 0) (NaN kept), not the max builtin


@njit(**_JIT)
def _tanh_forward(Z, A, bias):
    """``Z += bias``, ``A = tanh(Z)`` in one pass."""
    b, n = Z.shape
    for r in range(b):
        for u in range(n):
            z = Z[r, u] + bias[u]
            Z[r, u] = z
            A[r, u] = np.tanh(z)


@njit(**_JIT)
def _logistic_forward(Z, A, bias):
    """``Z += bias``, ``A = sigmoid(Z)`` in one pass."""
    b, n = Z.shape
    for r in range(b):
        for u in range(n):
            z = Z[r, u] + bias[u]
            Z[r, u] = z
            A[r, u] = sigmoid(z)


@njit(**_JIT)
def _batch_norm_train(Z, XH, stats, gamma, beta, wb, run_mean, run_var, momentum, eps):
    """Weighted batch statistics, normalize ``Z`` in place, update the running averages.

    ``wb`` are the batch's sample weights normalized to sum to one, so an
    integer weight counts as that many repeated rows.
    """
    b, n = Z.shape
    for u in range(n):
        mu = 0.0
        for r in range(b):
            mu += wb[r] * Z[r, u]
        var = 0.0
        for r in range(b):
            c = Z[r, u] - mu
            var += wb[r] * c * c
        istd = 1.0 / np.sqrt(var + eps)
        stats[u] = mu
        stats[n + u] = istd
        g = gamma[u]
        be = beta[u]
        for r in range(b):
            xh = (Z[r, u] - mu) * istd
            XH[r, u] = xh
            Z[r, u] = g * xh + be
        run_mean[u] = (1.0 - momentum) * run_mean[u] + momentum * mu
        run_var[u] = (1.0 - momentum) * run_var[u] + momentum * var


@njit(**_JIT)
def _sparse_forward(data, indices, indptr, rows, W0, Z0, xv, keys, seed, epoch, p_in, noise,
                    perturb):
    """``Z0 = X[rows] @ W0`` straight from CSR, after input dropout / noise when ``perturb``.

    Perturbed values are written to ``xv`` at their CSR position for the backward pass.
    """
    n1 = W0.shape[1]
    inv_keep = 1.0 / (1.0 - p_in)
    s = np.uint64(0)
    for r in range(rows.shape[0]):
        i = rows[r]
        for u in range(n1):
            Z0[r, u] = 0.0
        if perturb:
            s = _stream(keys[i], seed, epoch, np.int64(0))  # not a literal: one signature
        for k in range(indptr[i], indptr[i + 1]):
            v = data[k]
            col = np.int64(indices[k])
            if perturb:
                v, _ = _perturb_value(v, s, col, p_in, inv_keep, noise)
                xv[k] = v
            if v != 0.0:
                for u in range(n1):
                    Z0[r, u] += v * W0[col, u]


# ---------------------------------------------------------------------------
# Loss and backward kernels
# ---------------------------------------------------------------------------


@njit(**_JIT)
def _output_loss_grad(Zout, bias, G, gb, y, w, rows, scale):
    """Add the output bias; weighted softmax cross-entropy of the batch; ``G = scale * w_i * (p_i - y_i)``.

    ``y`` are class indices. ``G`` is the gradient wrt the logits, ``gb``
    (its column sums) the output bias gradient. (One logistic output for two
    classes is :func:`_sigmoid_loss_grad` on a 0/1 column: one kernel less
    to compile.)
    """
    b, K = Zout.shape
    loss = 0.0
    for k in range(K):
        gb[k] = 0.0
    for r in range(b):
        i = rows[r]
        wi = w[i]
        c = scale * wi
        yi = y[i]
        m = -np.inf
        for k in range(K):
            z = Zout[r, k] + bias[k]
            Zout[r, k] = z
            m = z if z > m else m  # not max(): a builtin's implementation compiles apart
        s = 0.0
        for k in range(K):
            e = np.exp(Zout[r, k] - m)
            G[r, k] = e
            s += e
        loss += wi * (m + np.log(s) - Zout[r, yi])
        cs = c / s
        for k in range(K):
            g = G[r, k] * cs
            G[r, k] = g
            gb[k] += g
        G[r, yi] -= c
        gb[yi] -= c
    return loss


@njit(**_JIT)
def _sigmoid_loss_grad(Zout, bias, G, gb, Y, w, rows, scale):
    """Independent logistic outputs (multilabel): like :func:`_output_loss_grad` for 0/1 ``Y``.

    The loss of a sample is the sum over its outputs of the logistic loss;
    ``G = scale * w_i * (sigmoid(z_ik) - Y_ik)``.
    """
    b, K = Zout.shape
    loss = 0.0
    for k in range(K):
        gb[k] = 0.0
    for r in range(b):
        i = rows[r]
        wi = w[i]
        c = scale * wi
        for k in range(K):
            z = Zout[r, k] + bias[k]
            Zout[r, k] = z
            yy = Y[i, k]
            loss += wi * (log1pexp(z) - yy * z)
            g = c * (sigmoid(z) - yy)
            G[r, k] = g
            gb[k] += g
    return loss


@njit(**_JIT)
def _squared_loss_grad(Zout, bias, G, gb, Y, w, rows, scale):
    """Identity outputs: halved squared error averaged over the ``K`` outputs.

    The loss of a sample is ``sum_k (z_ik - Y_ik)^2 / (2 K)``;
    ``G = scale * w_i * (z_ik - Y_ik) / K``.
    """
    b, K = Zout.shape
    inv_k = 1.0 / K
    loss = 0.0
    for k in range(K):
        gb[k] = 0.0
    for r in range(b):
        i = rows[r]
        wi = w[i] * inv_k
        c = scale * wi
        for k in range(K):
            z = Zout[r, k] + bias[k]
            Zout[r, k] = z
            d = z - Y[i, k]
            loss += 0.5 * wi * d * d
            g = c * d
            G[r, k] = g
            gb[k] += g
    return loss


@njit(**_JIT)
def _relu_backward(G, Z, D, gb, use_d, want_gb):
    """``G *= D * relu'(Z)`` in place (``D``: dropout scales, if ``use_d``); ``gb`` = column sums.

    The column sums (the bias gradient) are taken in the same pass, when ``want_gb``.
    """
    b, n = G.shape
    for u in range(n):
        gb[u] = 0.0
    for r in range(b):
        for u in range(n):
            g = G[r, u] * D[r, u] if use_d else G[r, u]
            g = g if Z[r, u] > 0.0 else 0.0
            G[r, u] = g
            if want_gb:
                gb[u] += g


@njit(**_JIT)
def _tanh_backward(G, Z, D, gb, use_d, want_gb):
    """``G *= D * tanh'(Z)`` in place (``D``: dropout scales, if ``use_d``); ``gb`` = column sums."""
    b, n = G.shape
    for u in range(n):
        gb[u] = 0.0
    for r in range(b):
        for u in range(n):
            t = np.tanh(Z[r, u])
            g = G[r, u] * D[r, u] if use_d else G[r, u]
            g = g * (1.0 - t * t)
            G[r, u] = g
            if want_gb:
                gb[u] += g


@njit(**_JIT)
def _logistic_backward(G, Z, D, gb, use_d, want_gb):
    """``G *= D * sigmoid'(Z)`` in place (``D``: dropout scales, if ``use_d``); ``gb`` = sums."""
    b, n = G.shape
    for u in range(n):
        gb[u] = 0.0
    for r in range(b):
        for u in range(n):
            sg = sigmoid(Z[r, u])
            g = G[r, u] * D[r, u] if use_d else G[r, u]
            g = g * (sg * (1.0 - sg))
            G[r, u] = g
            if want_gb:
                gb[u] += g


@njit(**_JIT)
def _gather_rows(X, rows, XB):
    """``XB = X[rows]`` (the dense input batch)."""
    d = X.shape[1]
    for r in range(rows.shape[0]):
        i = rows[r]
        for j in range(d):
            XB[r, j] = X[i, j]


@njit(**_JIT)
def _batch_norm_backward(G, XH, stats, gamma, ggamma, gbeta, wb):
    """dLoss/d(normalized output) -> dLoss/d(pre-batch-norm Z) in place, plus gamma/beta grads.

    ``y = gamma * xh + beta``, ``xh = (z - mu) * istd`` with weighted batch statistics:
    ``dz_i = istd * (dxh_i - wb_i * sum_j dxh_j - wb_i * xh_i * sum_j dxh_j xh_j)``.
    """
    b, n = G.shape
    for u in range(n):
        sg = 0.0
        sgx = 0.0
        for r in range(b):
            sg += G[r, u]
            sgx += G[r, u] * XH[r, u]
        gbeta[u] = sg
        ggamma[u] = sgx
        gm = gamma[u]
        istd = stats[n + u]
        for r in range(b):
            G[r, u] = istd * gm * (G[r, u] - wb[r] * sg - wb[r] * XH[r, u] * sgx)


@njit(**_JIT)
def _sparse_backward(vals, indices, indptr, rows, G, GW):
    """``GW = X[rows]^T G`` from CSR (``vals``: the stored or the perturbed values)."""
    GW[:, :] = 0.0
    n1 = G.shape[1]
    for r in range(rows.shape[0]):
        i = rows[r]
        for k in range(indptr[i], indptr[i + 1]):
            v = vals[k]
            if v != 0.0:
                col = indices[k]
                for u in range(n1):
                    GW[col, u] += v * G[r, u]


# ---------------------------------------------------------------------------
# Optimizer step + proximal step
# ---------------------------------------------------------------------------


@njit(**_JIT)
def _adam_prox_segment(theta, grad, m, v, lo, hi, sc, l2, l1):
    """Adam on ``f + l2/2 ||w||^2``, then soft-thresholding by ``l1`` times each weight's step.

    The step Adam takes for weight ``j`` is ``lr / (sqrt(v_hat_j) + eps)``; the
    L1 prox uses exactly that step: ``w_j <- S(w_j - step_j * m_hat_j, step_j * l1)``.
    ``sc`` holds ``lr, beta_1, 1 - beta_1, beta_2, 1 - beta_2, eps, 1 / bc1, 1 / bc2``
    in the parameters' dtype, so float32 training computes in float32.
    The loops run over views from index 0 (provably non-negative indices, no
    wraparound checks), which is what lets LLVM vectorize them.
    """
    th = theta[lo:hi]
    gr = grad[lo:hi]
    mm = m[lo:hi]
    vv = v[lo:hi]
    lr = sc[0]
    b1 = sc[1]
    omb1 = sc[2]
    b2 = sc[3]
    omb2 = sc[4]
    eps = sc[5]
    ibc1 = sc[6]
    ibc2 = sc[7]
    # one loop for every l1: x - clip(x, -t, t) is S(x, t), and x itself (NaN included) at
    # t = 0; the clip by comparisons (min/max builtins would compile apart)
    for j in range(th.shape[0]):
        g = gr[j] + l2 * th[j]
        mj = b1 * mm[j] + omb1 * g
        vj = b2 * vv[j] + omb2 * g * g
        mm[j] = mj
        vv[j] = vj
        step = lr / (np.sqrt(vj * ibc2) + eps)
        x = th[j] - step * (mj * ibc1)
        t = step * l1
        c = x if x < t else t
        c = c if c > -t else -t
        th[j] = x - c


@njit(**_JIT)
def _sgd_prox_segment(theta, grad, vel, lo, hi, lr, mom, nesterov, l2, l1):
    """SGD with (Nesterov) momentum on ``f + l2/2 ||w||^2``, then ``S(., lr * l1)``."""
    th = theta[lo:hi]
    gr = grad[lo:hi]
    ve = vel[lo:hi]
    for j in range(th.shape[0]):
        g = gr[j] + l2 * th[j]
        vj = mom * ve[j] - lr * g
        ve[j] = vj
        if nesterov:
            x = th[j] + mom * vj - lr * g
        else:
            x = th[j] + vj
        if l1 > 0.0:
            x = soft_threshold(x, lr * l1)
        th[j] = x


@njit(**_JIT)
def _group_prox_rows(W, V, lr, eps, ibc2, group_alpha, adaptive):
    """Block soft-thresholding of every row of ``W`` by ``step_j * group_alpha``, in place.

    Row ``j`` (input ``j``'s outgoing weights) gets the prox of
    ``step_j * group_alpha * ||W[j, :]||_2``: it shrinks along its own
    direction and becomes exactly zero when its norm is at most the
    threshold. ``step_j`` is the step the optimizer takes: ``lr`` for SGD;
    for Adam (``adaptive``) the group prox needs one step per row, and the
    row's is Adam's step for the mean of its weights' second moments,
    ``lr / (sqrt(mean_k V[j, k] * ibc2) + eps)`` (between the row's smallest
    and largest per-weight steps; a hidden unit whose weights see no
    gradient does not blow it up, as a mean of per-weight steps would).
    ``V`` is ignored without ``adaptive``. Returns the number of zero rows.
    """
    n_in, n_out = W.shape
    n_zero = 0
    for j in range(n_in):
        step = lr
        if adaptive:
            s = 0.0
            for k in range(n_out):
                s += V[j, k]
            step = lr / (np.sqrt(s / n_out * ibc2) + eps)
        if group_soft_threshold(W[j], step * group_alpha) == 0.0:
            n_zero += 1
    return n_zero
