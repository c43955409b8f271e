"""Training and inference kernels of :class:`skreg.neural_network.ElasticNetMLPClassifier`.

Structure (chosen for cold-start time)
--------------------------------------
:func:`train_epoch` runs a whole epoch: for every mini-batch the forward
pass, the loss, the backward pass, the optimizer step, the proximal step and
the max-norm projection. The mini-batch loop is plain Python; the matrix
products are numpy GEMMs (``np.dot(..., out=...)`` into preallocated
buffers); numba compiles only *leaf* kernels, the fused elementwise loops
that numpy would need several passes for:

* activation + bias (one kernel per activation) and its derivative,
* the output loss and its gradient,
* the Adam / SGD step fused with the L1 prox,
* dropout masks and input noise (counter-based random numbers),
* batch normalization (training mode), the sparse first layer.

No kernel calls another large kernel, and each is compiled only when a fit
uses it (a ReLU / Adam / dense fit never compiles the tanh, SGD, dropout,
batch-norm or sparse kernels). numba re-optimizes and re-emits every callee
inside each caller's module, so the former design (one ``train_epoch`` kernel
calling a five-level tree of kernels) paid the machine code of the leaves
five times: about 19 s of compilation for the first fit, against about 1-2 s
now. The Python loop costs a few microseconds per mini-batch (see
``benchmarks/bench_startup.py`` and ``bench_mlp.py`` for both sides).
Inference (:func:`predict_logits`) and the row hashes (:func:`row_keys`) are
numpy only.

Memory layout
-------------
Every trainable parameter lives in one flat vector ``theta`` (the input's
float dtype)::

    [ W_0 | W_1 | ... | W_{L-1} | b_0 | ... | b_{L-1} | gamma_0 beta_0 | ... ]
      ^---- penalized prefix ----^  (biases and batch-norm scale/shift are not)

``W_l`` (``sizes[l] x sizes[l+1]``, C order) starts at ``w_off[l]``, ``b_l`` at
``b_off[l]``; with batch norm, hidden layer ``l`` has ``gamma_l`` at
``bn_off[l]`` and ``beta_l`` right after. The gradient and the optimizer
state (``m``, ``v``) have the same layout, so the Adam / SGD update and the
proximal step are one fused loop over a vector, and the L1 prox only touches
the weight prefix. The per-layer matrices are views of these vectors.

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
import scipy.sparse as sp
from numba import njit
from scipy.special import expit

from ._losses import log1pexp, logsumexp_row, sigmoid
from ._prox import max_norm_project, soft_threshold

#: ``error_model="numpy"``: float division follows IEEE (inf/nan, no Python
#: ZeroDivisionError branch), which lets LLVM vectorize the fused optimizer
#: loops (4-8x faster); non-finite values are caught by the loss check.
_JIT = dict(cache=True, nogil=True, error_model="numpy")

ACT_RELU, ACT_TANH, ACT_LOGISTIC = 0, 1, 2
SOLVER_ADAM, SOLVER_SGD = 0, 1

# Indices into the integer option vector ``opts`` (int64).
O_ACT, O_SOLVER, O_NESTEROV, O_BATCH, O_SPARSE, O_BN, O_SEED = 0, 1, 2, 3, 4, 5, 6
N_OPTS = 7
# Indices into the float hyper-parameter vector ``hyper`` (float64).
H_LR, H_BETA1, H_BETA2, H_EPS, H_MOMENTUM, H_ALPHA, H_L1_RATIO = 0, 1, 2, 3, 4, 5, 6
H_MAX_NORM, H_NOISE, H_BN_MOMENTUM, H_BN_EPS = 7, 8, 9, 10
N_HYPER = 11

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
            A[r, u] = max(z, 0.0)


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
    """Add the output bias; weighted loss of the batch; ``G = scale * w_i * (p_i - y_i)``.

    ``G`` is the gradient wrt the logits, ``gb`` (its column sums) the output
    bias gradient. One output (binary): logistic loss; several: softmax
    cross-entropy.
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
        for k in range(K):
            Zout[r, k] += bias[k]
        if K == 1:
            z = Zout[r, 0]
            yy = 1.0 if yi == 1 else 0.0
            loss += wi * (log1pexp(z) - yy * z)
            G[r, 0] = c * (sigmoid(z) - yy)
        else:
            lse = logsumexp_row(Zout, r)
            loss += wi * (lse - Zout[r, yi])
            for k in range(K):
                G[r, k] = c * np.exp(Zout[r, k] - lse)
            G[r, yi] -= c
        for k in range(K):
            gb[k] += G[r, k]
    return loss


@njit(**_JIT)
def _column_sums(G, gb):
    """``gb = G.sum(axis=0)`` (a bias gradient)."""
    b, n = G.shape
    for u in range(n):
        gb[u] = 0.0
    for r in range(b):
        for u in range(n):
            gb[u] += G[r, u]


@njit(**_JIT)
def _relu_backward(G, Z, D, gb, use_d, want_gb):
    """``G *= D * relu'(Z)`` in place (``D``: dropout scales, if ``use_d``); ``gb`` = column sums."""
    b, n = G.shape
    if use_d:
        for r in range(b):
            for u in range(n):
                G[r, u] = G[r, u] * D[r, u] if Z[r, u] > 0.0 else 0.0
    else:
        for r in range(b):
            for u in range(n):
                if Z[r, u] <= 0.0:
                    G[r, u] = 0.0
    if want_gb:
        _column_sums(G, gb)


@njit(**_JIT)
def _tanh_backward(G, Z, D, gb, use_d, want_gb):
    """``G *= D * tanh'(Z)`` in place (``D``: dropout scales, if ``use_d``); ``gb`` = column sums."""
    b, n = G.shape
    for r in range(b):
        for u in range(n):
            t = np.tanh(Z[r, u])
            g = G[r, u] * D[r, u] if use_d else G[r, u]
            G[r, u] = g * (1.0 - t * t)
    if want_gb:
        _column_sums(G, gb)


@njit(**_JIT)
def _logistic_backward(G, Z, D, gb, use_d, want_gb):
    """``G *= D * sigmoid'(Z)`` in place (``D``: dropout scales, if ``use_d``); ``gb`` = sums."""
    b, n = G.shape
    for r in range(b):
        for u in range(n):
            sg = sigmoid(Z[r, u])
            g = G[r, u] * D[r, u] if use_d else G[r, u]
            G[r, u] = g * (sg * (1.0 - sg))
    if want_gb:
        _column_sums(G, gb)


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


_FORWARD = {ACT_RELU: _relu_forward, ACT_TANH: _tanh_forward, ACT_LOGISTIC: _logistic_forward}
_BACKWARD = {ACT_RELU: _relu_backward, ACT_TANH: _tanh_backward,
             ACT_LOGISTIC: _logistic_backward}


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
    if l1 > 0.0:
        for j in range(th.shape[0]):
            g = gr[j] + l2 * th[j]
            mj = b1 * mm[j] + omb1 * g
            vj = b2 * vv[j] + omb2 * g * g
            mm[j] = mj
            vv[j] = vj
            step = lr / (np.sqrt(vj * ibc2) + eps)
            th[j] = soft_threshold(th[j] - step * (mj * ibc1), step * l1)
    else:
        for j in range(th.shape[0]):
            g = gr[j] + l2 * th[j]
            mj = b1 * mm[j] + omb1 * g
            vj = b2 * vv[j] + omb2 * g * g
            mm[j] = mj
            vv[j] = vj
            th[j] -= lr / (np.sqrt(vj * ibc2) + eps) * (mj * ibc1)


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


class _Optimizer:
    """One optimizer step (Adam or SGD) + L1 prox + max-norm on the flat vectors."""

    def __init__(self, theta, grad, m, v, n_weights, Ws, opts, hyper):
        self.theta, self.grad, self.m, self.v = theta, grad, m, v
        self.n_weights = int(n_weights)
        self.n_params = int(theta.shape[0])
        self.Ws = Ws
        cast = theta.dtype.type
        alpha, l1_ratio = float(hyper[H_ALPHA]), float(hyper[H_L1_RATIO])
        self.l1 = cast(alpha * l1_ratio)
        self.l2 = cast(alpha * (1.0 - l1_ratio))
        self.zero = cast(0.0)
        self.adam = opts[O_SOLVER] == SOLVER_ADAM
        self.lr = float(hyper[H_LR])
        self.b1, self.b2 = float(hyper[H_BETA1]), float(hyper[H_BETA2])
        self.sc = np.array([self.lr, self.b1, 1.0 - self.b1, self.b2, 1.0 - self.b2,
                            float(hyper[H_EPS]), 1.0, 1.0], dtype=theta.dtype)
        self.mom = float(hyper[H_MOMENTUM])
        self.nesterov = bool(opts[O_NESTEROV] != 0)
        self.max_norm = float(hyper[H_MAX_NORM])

    def step(self, t):
        """Step number ``t`` (1-based)."""
        th, gr, nw, n_params = self.theta, self.grad, self.n_weights, self.n_params
        if self.adam:
            sc = self.sc
            sc[6] = 1.0 / (1.0 - self.b1 ** t)
            sc[7] = 1.0 / (1.0 - self.b2 ** t)
            _adam_prox_segment(th, gr, self.m, self.v, 0, nw, sc, self.l2, self.l1)
            _adam_prox_segment(th, gr, self.m, self.v, nw, n_params, sc, self.zero, self.zero)
        else:
            _sgd_prox_segment(th, gr, self.m, 0, nw, self.lr, self.mom, self.nesterov,
                              self.l2, self.l1)
            _sgd_prox_segment(th, gr, self.m, nw, n_params, self.lr, self.mom, self.nesterov,
                              self.zero, self.zero)
        if self.max_norm > 0.0:
            for W in self.Ws:
                max_norm_project(W, self.max_norm)


# ---------------------------------------------------------------------------
# One pass over a batch (Python driver of the kernels and GEMMs)
# ---------------------------------------------------------------------------


def _param_views(vec, sizes, w_off, b_off, bn_off, bn):
    """Per-layer views ``(W, b, gamma, beta)`` of a vector in the ``theta`` layout."""
    L = len(sizes) - 1
    Ws = [vec[w_off[l]:w_off[l] + sizes[l] * sizes[l + 1]].reshape(sizes[l], sizes[l + 1])
          for l in range(L)]
    bs = [vec[b_off[l]:b_off[l] + sizes[l + 1]] for l in range(L)]
    gammas, betas = [], []
    if bn:
        for l in range(L - 1):
            n = sizes[l + 1]
            gammas.append(vec[bn_off[l]:bn_off[l] + n])
            betas.append(vec[bn_off[l] + n:bn_off[l] + 2 * n])
    return Ws, bs, gammas, betas


class _Pass:
    """Buffers and parameter views for training passes over batches of at most ``B`` rows.

    Built once per :func:`train_epoch` call; the views alias ``theta``,
    ``grad`` and ``bn_run``, which the kernels update in place.
    """

    def __init__(self, X, data, indices, indptr, keys, theta, grad, bn_run, sizes, w_off,
                 b_off, bn_off, drop, opts, hyper, B):
        sizes = [int(s) for s in sizes]
        self.sizes = sizes
        L = self.L = len(sizes) - 1
        dt = theta.dtype
        self.X, self.data, self.indices, self.indptr, self.keys = X, data, indices, indptr, keys
        self.sparse = bool(opts[O_SPARSE] != 0)
        self.bn = bool(opts[O_BN] != 0)
        self.Ws, self.bs, self.gammas, self.betas = _param_views(
            theta, sizes, w_off, b_off, bn_off, self.bn)
        self.GWs, self.gbs, self.ggammas, self.gbetas = _param_views(
            grad, sizes, w_off, b_off, bn_off, self.bn)
        self.drop = [float(p) for p in drop]
        self.noise = float(hyper[H_NOISE])
        self.perturb = self.drop[0] > 0.0 or self.noise > 0.0
        self.seed = np.uint64(opts[O_SEED])
        self.bn_momentum, self.bn_eps = float(hyper[H_BN_MOMENTUM]), float(hyper[H_BN_EPS])
        act = int(opts[O_ACT])
        self.forward_act, self.backward_act = _FORWARD[act], _BACKWARD[act]
        H = sum(sizes[1:-1])
        self.run_means, self.run_vars = [], []
        pos = 0
        for l in range(L - 1):
            n = sizes[l + 1]
            self.run_means.append(bn_run[pos:pos + n])
            self.run_vars.append(bn_run[H + pos:H + pos + n])
            pos += n
        self.Z = [np.zeros((B, n), dtype=dt) for n in sizes[1:]]
        self.G = [np.zeros((B, n), dtype=dt) for n in sizes[1:]]
        self.A = [np.zeros((B, n), dtype=dt) for n in sizes[1:-1]]
        self.D = [np.zeros((B, n), dtype=dt) if self.drop[l + 1] > 0.0 else None
                  for l, n in enumerate(sizes[1:-1])]
        if self.bn:
            self.no_bias = [np.zeros(n, dtype=dt) for n in sizes[1:-1]]
            self.XH = [np.zeros((B, n), dtype=dt) for n in sizes[1:-1]]
            self.stats = [np.zeros(2 * n, dtype=dt) for n in sizes[1:-1]]
        if self.sparse:
            self.XB = None
            self.xv = np.empty_like(data) if self.perturb else data
        else:
            self.XB = np.zeros((B, sizes[0]), dtype=dt)
        self._cache = {}

    def _views(self, b):
        """The buffers cut to ``b`` rows (cached: an epoch has at most two batch sizes)."""
        v = self._cache.get(b)
        if v is None:
            def cut(bufs):
                return [None if M is None else M[:b] for M in bufs]

            v = (cut(self.Z), cut(self.G), cut(self.A), cut(self.D),
                 cut(self.XH) if self.bn else None,
                 None if self.XB is None else self.XB[:b])
            self._cache[b] = v
        return v

    def run(self, rows, y, w, scale, epoch):
        """Forward + backward over the batch ``rows``: returns its weighted loss.

        Leaves the gradient of ``scale * loss`` in ``grad`` (biases of
        batch-norm layers excepted: their gradient stays 0).
        """
        b = rows.shape[0]
        L = self.L
        Ws, bs, drop, bn = self.Ws, self.bs, self.drop, self.bn
        Zs, Gs, As, Ds, XHs, XB = self._views(b)
        wb = None
        if bn:
            wr = w[rows]
            s = wr.sum()
            wb = wr / s if s > 0.0 else np.full(b, 1.0 / b)
        # ---- forward
        if self.sparse:
            _sparse_forward(self.data, self.indices, self.indptr, rows, Ws[0], Zs[0], self.xv,
                            self.keys, self.seed, epoch, drop[0], self.noise, self.perturb)
        else:
            _gather_rows(self.X, rows, XB)
            if self.perturb:
                _perturb_rows(XB, XB, self.keys, rows, self.seed, epoch, 0, drop[0],
                              self.noise, False)
            np.dot(XB, Ws[0], out=Zs[0])
        for l in range(L - 1):
            Z = Zs[l]
            if l > 0:
                np.dot(As[l - 1], Ws[l], out=Z)
            if bn:
                _batch_norm_train(Z, XHs[l], self.stats[l], self.gammas[l], self.betas[l], wb,
                                  self.run_means[l], self.run_vars[l], self.bn_momentum,
                                  self.bn_eps)
            # with batch norm the hidden bias is redundant (beta is the shift): not used
            self.forward_act(Z, As[l], self.no_bias[l] if bn else bs[l])
            p = drop[l + 1]
            if p > 0.0:
                _perturb_rows(As[l], Ds[l], self.keys, rows, self.seed, epoch, l + 1, p, 0.0,
                              True)
        Z = Zs[L - 1]
        if L > 1:
            np.dot(As[L - 2], Ws[L - 1], out=Z)
        loss = _output_loss_grad(Z, bs[L - 1], Gs[L - 1], self.gbs[L - 1], y, w, rows, scale)
        if not np.isfinite(loss):
            return loss
        # ---- backward
        GWs = self.GWs
        for l in range(L - 1, 0, -1):
            G = Gs[l]
            np.dot(As[l - 1].T, G, out=GWs[l])
            k = l - 1
            Gp = Gs[k]
            np.dot(G, Ws[l].T, out=Gp)
            use_d = drop[l] > 0.0
            # the hidden bias gradient (column sums) comes out of the same kernel
            self.backward_act(Gp, Zs[k], Ds[k] if use_d else Gp, self.gbs[k], use_d, not bn)
            if bn:
                _batch_norm_backward(Gp, XHs[k], self.stats[k], self.gammas[k],
                                     self.ggammas[k], self.gbetas[k], wb)
        if self.sparse:
            _sparse_backward(self.xv, self.indices, self.indptr, rows, Gs[0], GWs[0])
        else:
            np.dot(XB.T, Gs[0], out=GWs[0])
        return loss


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def train_epoch(X, data, indices, indptr, y, w, keys, order, theta, m, v, bn_run, sizes,
                w_off, b_off, bn_off, n_weights, drop, opts, hyper, epoch, t):
    """One epoch of mini-batch proximal SGD / Adam over the rows ``order``.

    ``w`` are the sample weights normalized to sum to one over ``order``; the
    gradient of a batch of ``b`` rows is ``(n / b) * sum_batch w_i grad loss_i``
    (unbiased for the weighted mean loss, exact for a full batch).

    Returns ``(loss, t, status)``: the weighted mean loss accumulated during
    the epoch (without penalty), the step counter, and ``status`` 1 if a
    non-finite loss stopped the epoch (parameters are then garbage).
    """
    n = order.shape[0]
    B = int(min(opts[O_BATCH], n))
    grad = np.zeros_like(theta)
    ps = _Pass(X, data, indices, indptr, keys, theta, grad, bn_run, sizes, w_off, b_off,
               bn_off, drop, opts, hyper, B)
    opt = _Optimizer(theta, grad, m, v, n_weights, ps.Ws, opts, hyper)
    order = np.ascontiguousarray(order, dtype=np.int64)
    epoch = int(epoch)
    t = int(t)
    loss = 0.0
    # a diverging fit overflows in the GEMMs: it is reported by the loss check, not warned
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, n, B):
            rows = order[start:start + B]
            batch_loss = ps.run(rows, y, w, n / rows.shape[0], epoch)
            if not np.isfinite(batch_loss):
                return batch_loss, t, 1
            loss += batch_loss
            t += 1
            opt.step(t)
    if not np.isfinite(loss) or not np.all(np.isfinite(theta)):
        return np.nan, t, 1
    return loss, t, 0


def loss_and_gradient(X, data, indices, indptr, y, w, keys, theta, bn_run, sizes, w_off, b_off,
                      bn_off, drop, opts, hyper, epoch):
    """Full-batch training-mode loss (no penalty) and its gradient wrt ``theta``.

    Used by the tests (gradient checks, the proximal fixed point). ``bn_run``
    is updated as in a training step.
    """
    n = w.shape[0]
    grad = np.zeros_like(theta)
    ps = _Pass(X, data, indices, indptr, keys, theta, grad, bn_run, sizes, w_off, b_off,
               bn_off, drop, opts, hyper, n)
    loss = ps.run(np.arange(n, dtype=np.int64), y, w, 1.0, int(epoch))
    return loss, grad


_ACT_NUMPY = {
    ACT_RELU: lambda Z: np.maximum(Z, 0.0, out=Z),
    ACT_TANH: lambda Z: np.tanh(Z, out=Z),
    ACT_LOGISTIC: lambda Z: expit(Z, out=Z),
}


def predict_logits(X, data, indices, indptr, theta, bn_run, sizes, w_off, b_off, bn_off, opts,
                   hyper, chunk):
    """Logits of every row in inference mode (no dropout or noise, running batch-norm stats).

    numpy only (no compilation): chunks of ``chunk`` rows, GEMMs and ufuncs.
    """
    sizes = [int(s) for s in sizes]
    L = len(sizes) - 1
    bn = opts[O_BN] != 0
    Ws, bs, gammas, betas = _param_views(theta, sizes, w_off, b_off, bn_off, bn)
    act = _ACT_NUMPY[int(opts[O_ACT])]
    eps = float(hyper[H_BN_EPS])
    if opts[O_SPARSE] != 0:
        n = indptr.shape[0] - 1
        X = sp.csr_matrix((data, indices, indptr), shape=(n, sizes[0]))
    else:
        n = X.shape[0]
    H = sum(sizes[1:-1])
    affine = []  # batch-norm eval as one scale and shift per hidden layer
    pos = 0
    for l in range(L - 1):
        if bn:
            k = sizes[l + 1]
            scale = gammas[l] / np.sqrt(bn_run[H + pos:H + pos + k] + eps)
            affine.append((scale, betas[l] - bn_run[pos:pos + k] * scale))
            pos += k
        else:
            affine.append(None)
    out = np.empty((n, sizes[L]), dtype=theta.dtype)
    B = max(1, min(int(chunk), n))
    for start in range(0, n, B):
        A = X[start:start + B]
        for l in range(L):
            Z = np.asarray(A @ Ws[l])
            if l < L - 1 and affine[l] is not None:
                Z *= affine[l][0]
                Z += affine[l][1]
            else:
                Z += bs[l]
            if l < L - 1:
                A = act(Z)
        out[start:start + B] = Z
    return out
