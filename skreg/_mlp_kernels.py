"""Numba kernels of :class:`skreg.neural_network.ElasticNetMLPClassifier`.

One call of :func:`train_epoch` runs a whole epoch (every mini-batch:
forward, backward, optimizer step, proximal step, max-norm projection), so a
Python fit loop pays one call per epoch, not one per mini-batch.

Memory layout
-------------
Every trainable parameter lives in one flat vector ``theta`` (the input's
float dtype)::

    [ W_0 | W_1 | ... | W_{L-1} | b_0 | ... | b_{L-1} | gamma_0 beta_0 | ... ]
      ^---- penalized prefix ----^  (biases and batch-norm scale/shift are not)

``W_l`` (``sizes[l] x sizes[l+1]``, C order) starts at ``w_off[l]``, ``b_l`` at
``b_off[l]``; with batch norm, hidden layer ``l`` has ``gamma_l`` at
``bn_off[l]`` and ``beta_l`` right after. The optimizer state (``m``, ``v``)
has the same layout, so the Adam / SGD update and the proximal step are one
fused loop over a vector, and the L1 prox only touches the weight prefix.
Views of this vector (``theta[a:b].reshape(...)``) feed ``np.dot``, which
numba lowers to BLAS GEMM.

Randomness
----------
Dropout masks and input noise come from a counter-based generator
(splitmix64): the draw for unit ``j`` of sample ``i`` in layer ``l`` at epoch
``e`` is a hash of ``(seed, e, l, key_i, j)`` where ``key_i`` is a hash of the
*content* of row ``i`` (:func:`row_keys`). Hence the same ``random_state``
gives the same model bit for bit, and a row of integer weight ``k`` sees
exactly the masks that ``k`` repeated copies of it see: sample weights are
equivalent to repetition even with dropout and noise.

Dense and sparse input share every kernel: only the first layer's product
(:func:`_first_layer_forward` / :func:`_first_layer_backward`) branches on
``is_sparse``; sparse X is read as CSR and never densified.
"""

import numpy as np
from numba import njit

from ._losses import log1pexp, logsumexp_row, sigmoid
from ._penalties import max_norm_project, soft_threshold

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


# ---------------------------------------------------------------------------
# Counter-based random numbers
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
def _uniform(stream, j):
    """The ``j``-th uniform draw in ``[0, 1)`` of a stream (53 random bits)."""
    return (_mix64(stream + _GOLDEN * np.uint64(j + 1)) >> np.uint64(11)) * _TO_UNIT


@njit(**_JIT)
def _gauss(stream, j):
    """The ``j``-th standard normal draw of a stream (Box-Muller)."""
    u1 = _uniform(stream, 2 * j + 1)
    u2 = _uniform(stream, 2 * j + 2)
    return np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * np.pi * u2)


@njit(**_JIT)
def row_keys(X, data, indices, indptr, is_sparse):
    """64-bit hash of the content of every row (its nonzero ``(column, value)`` pairs).

    Dense and sparse input with the same values get the same keys; so do
    float32 and float64 input (values are hashed as float64). Identical rows
    get identical keys, which is what makes sample weights equal repetition
    under dropout and noise.
    """
    if is_sparse:
        n = indptr.shape[0] - 1
    else:
        n = X.shape[0]
    d = X.shape[1]
    keys = np.empty(n, dtype=np.uint64)
    tmp = np.empty(1, dtype=np.float64)
    bits = tmp.view(np.uint64)
    for i in range(n):
        h = np.uint64(0)
        if is_sparse:
            for k in range(indptr[i], indptr[i + 1]):
                v = data[k]
                if v != 0.0:
                    tmp[0] = v
                    h += _mix64(bits[0] ^ _mix64(_GOLDEN * np.uint64(indices[k] + 1)))
        else:
            for j in range(d):
                v = X[i, j]
                if v != 0.0:
                    tmp[0] = v
                    h += _mix64(bits[0] ^ _mix64(_GOLDEN * np.uint64(j + 1)))
        keys[i] = _mix64(h)
    return keys


# ---------------------------------------------------------------------------
# Workspace
# ---------------------------------------------------------------------------


@njit(**_JIT)
def _workspace_offsets(sizes, B):
    """Offsets of the per-layer buffers in one flat workspace for batches of ``B`` rows.

    Row ``l`` of ``offs`` holds, for layer ``l`` (``n = sizes[l+1]`` units):
    pre-activations ``Z`` (B*n), outputs ``A`` (B*n), dropout scales ``D`` (B*n),
    batch-norm normalized values ``XH`` (B*n), batch mean and inverse std (2n).
    Returns ``offs``, the offsets of the two gradient buffers and the total size.
    """
    L = sizes.shape[0] - 1
    offs = np.empty((L, 5), dtype=np.int64)
    pos = B * sizes[0]  # the gathered / perturbed input batch comes first
    maxn = sizes[0]
    for l in range(L):
        n = sizes[l + 1]
        if n > maxn:
            maxn = n
        for k in range(4):
            offs[l, k] = pos
            pos += B * n
        offs[l, 4] = pos
        pos += 2 * n
    g1 = pos
    g2 = pos + B * maxn
    return offs, g1, g2, g2 + B * maxn


# ---------------------------------------------------------------------------
# Forward pass
# ---------------------------------------------------------------------------


@njit(**_JIT)
def _perturb(v, stream, j, p_in, inv_keep, noise):
    """Input dropout then additive Gaussian noise for input feature ``j``."""
    if p_in > 0.0:
        if _uniform(stream, j) < p_in:
            v = 0.0
        else:
            v = v * inv_keep
    if noise > 0.0:
        v = v + noise * _gauss(stream, j + 1_000_003)
    return v


@njit(**_JIT)
def _first_layer_forward(X, data, indices, indptr, xv, order, start, b, W0, Z0, XB,
                         keys, seed, epoch, p_in, noise, perturb, is_sparse):
    """``Z0 = X_batch @ W0`` (no bias), after input dropout / noise when ``perturb``.

    Dense rows are gathered into ``XB`` (and perturbed there); sparse rows are
    multiplied straight from CSR, perturbed values are written to ``xv`` at
    their CSR position for the backward pass.
    """
    d = W0.shape[0]
    n1 = W0.shape[1]
    inv_keep = 1.0 / (1.0 - p_in)
    if not is_sparse:
        for r in range(b):
            i = order[start + r]
            for j in range(d):
                XB[r, j] = X[i, j]
            if perturb:
                s = _stream(keys[i], seed, epoch, 0)
                for j in range(d):
                    XB[r, j] = _perturb(XB[r, j], s, j, p_in, inv_keep, noise)
        np.dot(XB, W0, Z0)
    else:
        s = np.uint64(0)
        for r in range(b):
            i = order[start + r]
            for u in range(n1):
                Z0[r, u] = 0.0
            if perturb:
                s = _stream(keys[i], seed, epoch, 0)
            for k in range(indptr[i], indptr[i + 1]):
                v = data[k]
                col = indices[k]
                if perturb:
                    v = _perturb(v, s, col, p_in, inv_keep, noise)
                    xv[k] = v
                if v != 0.0:
                    for u in range(n1):
                        Z0[r, u] += v * W0[col, u]


@njit(**_JIT)
def _activate_only(Z, A, act):
    b, n = Z.shape
    if act == ACT_RELU:
        for r in range(b):
            for u in range(n):
                A[r, u] = max(Z[r, u], 0.0)
    elif act == ACT_TANH:
        for r in range(b):
            for u in range(n):
                A[r, u] = np.tanh(Z[r, u])
    else:
        for r in range(b):
            for u in range(n):
                A[r, u] = sigmoid(Z[r, u])


@njit(**_JIT)
def _bias_activate(Z, A, bias, act):
    """``Z += bias`` and ``A = act(Z)`` in one pass (one loop per activation, so it vectorizes).

    An empty ``bias`` means no bias (batch-norm layers, whose shift is ``beta``).
    """
    b, n = Z.shape
    if bias.shape[0] == 0:
        _activate_only(Z, A, act)
        return
    if act == ACT_RELU:
        for r in range(b):
            for u in range(n):
                z = Z[r, u] + bias[u]
                Z[r, u] = z
                A[r, u] = max(z, 0.0)
    elif act == ACT_TANH:
        for r in range(b):
            for u in range(n):
                z = Z[r, u] + bias[u]
                Z[r, u] = z
                A[r, u] = np.tanh(z)
    else:
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
def _batch_norm_eval(Z, gamma, beta, run_mean, run_var, eps):
    b, n = Z.shape
    for u in range(n):
        scale = gamma[u] / np.sqrt(run_var[u] + eps)
        shift = beta[u] - run_mean[u] * scale
        for r in range(b):
            Z[r, u] = Z[r, u] * scale + shift


@njit(**_JIT)
def _forward(X, data, indices, indptr, xv, order, start, b, theta, sizes, w_off, b_off,
             bn_off, bn_run, drop, keys, ws, offs, wb, opts, hyper, train, epoch):
    """Forward pass of rows ``order[start:start+b]``; logits end in the last layer's ``Z``.

    ``train`` selects dropout, input noise and batch statistics (updating
    the running averages in ``bn_run``); otherwise running statistics are
    used and nothing random happens.
    """
    L = sizes.shape[0] - 1
    d = sizes[0]
    act = opts[O_ACT]
    bn = opts[O_BN] != 0
    seed = np.uint64(opts[O_SEED])
    noise = hyper[H_NOISE] if train else 0.0
    p_in = drop[0] if train else 0.0
    perturb = p_in > 0.0 or noise > 0.0
    n_hidden_units = 0
    for l in range(L - 1):
        n_hidden_units += sizes[l + 1]
    hid = 0  # offset of the current hidden layer in the running statistics
    for l in range(L):
        n_in = sizes[l]
        n = sizes[l + 1]
        W = theta[w_off[l]:w_off[l] + n_in * n].reshape((n_in, n))
        Z = ws[offs[l, 0]:offs[l, 0] + b * n].reshape((b, n))
        if l == 0:
            XB = ws[0:b * d].reshape((b, d))
            _first_layer_forward(X, data, indices, indptr, xv, order, start, b, W, Z, XB,
                                 keys, seed, epoch, p_in, noise, perturb, opts[O_SPARSE] != 0)
        else:
            Ap = ws[offs[l - 1, 1]:offs[l - 1, 1] + b * n_in].reshape((b, n_in))
            np.dot(Ap, W, Z)
        hidden = l < L - 1
        if hidden and bn:
            gamma = theta[bn_off[l]:bn_off[l] + n]
            beta = theta[bn_off[l] + n:bn_off[l] + 2 * n]
            run_mean = bn_run[hid:hid + n]
            run_var = bn_run[n_hidden_units + hid:n_hidden_units + hid + n]
            if train:
                XH = ws[offs[l, 3]:offs[l, 3] + b * n].reshape((b, n))
                stats = ws[offs[l, 4]:offs[l, 4] + 2 * n]
                _batch_norm_train(Z, XH, stats, gamma, beta, wb, run_mean, run_var,
                                  hyper[H_BN_MOMENTUM], hyper[H_BN_EPS])
            else:
                _batch_norm_eval(Z, gamma, beta, run_mean, run_var, hyper[H_BN_EPS])
        # with batch norm the hidden bias is redundant (beta is the shift): not used, stays 0
        bias = theta[b_off[l]:b_off[l] + n] if not (hidden and bn) else theta[0:0]
        if hidden:
            A = ws[offs[l, 1]:offs[l, 1] + b * n].reshape((b, n))
            _bias_activate(Z, A, bias, act)
            p = drop[l + 1] if train else 0.0
            if p > 0.0:
                D = ws[offs[l, 2]:offs[l, 2] + b * n].reshape((b, n))
                inv_keep = 1.0 / (1.0 - p)
                for r in range(b):
                    s = _stream(keys[order[start + r]], seed, epoch, l + 1)
                    for u in range(n):
                        keep = inv_keep if _uniform(s, u) >= p else 0.0
                        D[r, u] = keep
                        A[r, u] *= keep
            hid += n
        else:
            for r in range(b):
                for u in range(n):
                    Z[r, u] += bias[u]


# ---------------------------------------------------------------------------
# Loss and backward pass
# ---------------------------------------------------------------------------


@njit(**_JIT)
def _output_loss_grad(Zout, G, y, w, order, start, b, scale):
    """Weighted loss of the batch; ``G = scale * w_i * (p_i - y_i)`` (gradient wrt logits).

    One output (binary): logistic loss; several: softmax cross-entropy.
    """
    K = Zout.shape[1]
    loss = 0.0
    for r in range(b):
        i = order[start + r]
        wi = w[i]
        c = scale * wi
        yi = y[i]
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
    return loss


@njit(**_JIT)
def _first_layer_backward(data, indices, indptr, xv, order, start, b, XB, G, GW, is_sparse,
                          perturb):
    """``GW = X_batch^T G`` for the first layer (the perturbed inputs of the forward pass)."""
    if not is_sparse:
        np.dot(XB.T, G, GW)
        return
    GW[:, :] = 0.0
    n1 = G.shape[1]
    for r in range(b):
        i = order[start + r]
        for k in range(indptr[i], indptr[i + 1]):
            v = xv[k] if perturb else data[k]
            if v != 0.0:
                col = indices[k]
                for u in range(n1):
                    GW[col, u] += v * G[r, u]


@njit(**_JIT)
def _hidden_backward(G, Z, D, XH, stats, gamma, ggamma, gbeta, wb, act, p, bn):
    """Turn ``G`` = dLoss/dA (layer output) into dLoss/d(pre-batch-norm Z), in place."""
    b, n = G.shape
    if p > 0.0:
        for r in range(b):
            for u in range(n):
                G[r, u] *= D[r, u]
    if act == ACT_RELU:
        for r in range(b):
            for u in range(n):
                if Z[r, u] <= 0.0:
                    G[r, u] = 0.0
    elif act == ACT_TANH:
        for r in range(b):
            for u in range(n):
                t = np.tanh(Z[r, u])
                G[r, u] *= 1.0 - t * t
    else:
        for r in range(b):
            for u in range(n):
                sg = sigmoid(Z[r, u])
                G[r, u] *= sg * (1.0 - sg)
    if bn:
        # y = gamma * xh + beta, xh = (z - mu) * istd with weighted batch statistics:
        # dz_i = istd * (dxh_i - wb_i * sum_j dxh_j - wb_i * xh_i * sum_j dxh_j xh_j)
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
def _backward(data, indices, indptr, xv, order, start, b, theta, grad, sizes, w_off, b_off,
              bn_off, drop, ws, offs, g1, g2, wb, opts, perturb):
    """Backward pass: gradient of the batch loss in ``grad`` (the ``theta`` layout).

    Expects the output gradient in the buffer at ``g1``.
    """
    L = sizes.shape[0] - 1
    d = sizes[0]
    act = opts[O_ACT]
    bn = opts[O_BN] != 0
    cur = g1
    other = g2
    for l in range(L - 1, -1, -1):
        n_in = sizes[l]
        n = sizes[l + 1]
        G = ws[cur:cur + b * n].reshape((b, n))
        GW = grad[w_off[l]:w_off[l] + n_in * n].reshape((n_in, n))
        if l == 0:
            XB = ws[0:b * d].reshape((b, d))
            _first_layer_backward(data, indices, indptr, xv, order, start, b, XB, G, GW,
                                  opts[O_SPARSE] != 0, perturb)
        else:
            Ap = ws[offs[l - 1, 1]:offs[l - 1, 1] + b * n_in].reshape((b, n_in))
            np.dot(Ap.T, G, GW)
        if not (bn and l < L - 1):
            gb = grad[b_off[l]:b_off[l] + n]
            for u in range(n):
                gb[u] = 0.0
            for r in range(b):
                for u in range(n):
                    gb[u] += G[r, u]
        if l > 0:
            W = theta[w_off[l]:w_off[l] + n_in * n].reshape((n_in, n))
            Gp = ws[other:other + b * n_in].reshape((b, n_in))
            np.dot(G, W.T, Gp)
            k = l - 1
            Zp = ws[offs[k, 0]:offs[k, 0] + b * n_in].reshape((b, n_in))
            Dp = ws[offs[k, 2]:offs[k, 2] + b * n_in].reshape((b, n_in))
            XHp = ws[offs[k, 3]:offs[k, 3] + b * n_in].reshape((b, n_in))
            stats = ws[offs[k, 4]:offs[k, 4] + 2 * n_in]
            if bn:
                gamma = theta[bn_off[k]:bn_off[k] + n_in]
                ggamma = grad[bn_off[k]:bn_off[k] + n_in]
                gbeta = grad[bn_off[k] + n_in:bn_off[k] + 2 * n_in]
            else:
                gamma = theta[0:0]
                ggamma = grad[0:0]
                gbeta = grad[0:0]
            _hidden_backward(Gp, Zp, Dp, XHp, stats, gamma, ggamma, gbeta, wb, act,
                             drop[l], bn)
            tmp = cur
            cur = other
            other = tmp


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


@njit(**_JIT)
def _update(theta, grad, m, v, n_weights, t, sizes, w_off, opts, hyper, sc):
    """One optimizer step (step number ``t``, 1-based) on every parameter, prox, max-norm.

    ``sc`` is a scratch vector of 8 scalars in the parameters' dtype.
    """
    alpha = hyper[H_ALPHA]
    n_params = theta.shape[0]
    sc[0] = alpha * hyper[H_L1_RATIO]
    sc[1] = alpha * (1.0 - hyper[H_L1_RATIO])
    sc[2] = 0.0
    l1 = sc[0]
    l2 = sc[1]
    zero = sc[2]
    lr = hyper[H_LR]
    if opts[O_SOLVER] == SOLVER_ADAM:
        b1 = hyper[H_BETA1]
        b2 = hyper[H_BETA2]
        sc[0] = lr
        sc[1] = b1
        sc[2] = 1.0 - b1
        sc[3] = b2
        sc[4] = 1.0 - b2
        sc[5] = hyper[H_EPS]
        sc[6] = 1.0 / (1.0 - b1 ** t)
        sc[7] = 1.0 / (1.0 - b2 ** t)
        _adam_prox_segment(theta, grad, m, v, 0, n_weights, sc, l2, l1)
        _adam_prox_segment(theta, grad, m, v, n_weights, n_params, sc, zero, zero)
    else:
        mom = hyper[H_MOMENTUM]
        nesterov = opts[O_NESTEROV] != 0
        _sgd_prox_segment(theta, grad, m, 0, n_weights, lr, mom, nesterov, l2, l1)
        _sgd_prox_segment(theta, grad, m, n_weights, n_params, lr, mom, nesterov, zero, zero)
    c = hyper[H_MAX_NORM]
    if c > 0.0:
        L = sizes.shape[0] - 1
        for l in range(L):
            W = theta[w_off[l]:w_off[l] + sizes[l] * sizes[l + 1]].reshape((sizes[l], sizes[l + 1]))
            max_norm_project(W, c)


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


@njit(**_JIT)
def _batch_weights(w, order, start, b, wb):
    """Weights of the batch normalized to sum to one (uniform if they are all zero)."""
    s = 0.0
    for r in range(b):
        s += w[order[start + r]]
    for r in range(b):
        wb[r] = w[order[start + r]] / s if s > 0.0 else 1.0 / b


@njit(**_JIT)
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
    B = min(opts[O_BATCH], n)
    offs, g1, g2, total = _workspace_offsets(sizes, B)
    ws = np.zeros(total, dtype=theta.dtype)
    grad = np.zeros_like(theta)
    wb = np.empty(B, dtype=np.float64)
    sc = np.empty(8, dtype=theta.dtype)
    is_sparse = opts[O_SPARSE] != 0
    perturb = drop[0] > 0.0 or hyper[H_NOISE] > 0.0
    if is_sparse and perturb:
        xv = np.empty_like(data)
    else:
        xv = data
    L = sizes.shape[0] - 1
    K = sizes[L]
    loss = 0.0
    for start in range(0, n, B):
        b = min(B, n - start)
        _batch_weights(w, order, start, b, wb)
        _forward(X, data, indices, indptr, xv, order, start, b, theta, sizes, w_off, b_off,
                 bn_off, bn_run, drop, keys, ws, offs, wb, opts, hyper, True, epoch)
        Zout = ws[offs[L - 1, 0]:offs[L - 1, 0] + b * K].reshape((b, K))
        G = ws[g1:g1 + b * K].reshape((b, K))
        batch_loss = _output_loss_grad(Zout, G, y, w, order, start, b, n / b)
        if not np.isfinite(batch_loss):
            return batch_loss, t, 1
        loss += batch_loss
        _backward(data, indices, indptr, xv, order, start, b, theta, grad, sizes, w_off, b_off,
                  bn_off, drop, ws, offs, g1, g2, wb, opts, perturb)
        t += 1
        _update(theta, grad, m, v, n_weights, t, sizes, w_off, opts, hyper, sc)
    if not np.isfinite(loss):
        return loss, t, 1
    for j in range(theta.shape[0]):
        if not np.isfinite(theta[j]):
            return np.nan, t, 1
    return loss, t, 0


@njit(**_JIT)
def loss_and_gradient(X, data, indices, indptr, y, w, keys, theta, bn_run, sizes, w_off, b_off,
                      bn_off, drop, opts, hyper, epoch):
    """Full-batch training-mode loss (no penalty) and its gradient wrt ``theta``.

    Used by the tests (gradient checks, the proximal fixed point). ``bn_run``
    is updated as in a training step.
    """
    n = w.shape[0]
    order = np.arange(n)
    offs, g1, g2, total = _workspace_offsets(sizes, n)
    ws = np.zeros(total, dtype=theta.dtype)
    grad = np.zeros_like(theta)
    wb = np.empty(n, dtype=np.float64)
    perturb = drop[0] > 0.0 or hyper[H_NOISE] > 0.0
    if opts[O_SPARSE] != 0 and perturb:
        xv = np.empty_like(data)
    else:
        xv = data
    L = sizes.shape[0] - 1
    K = sizes[L]
    _batch_weights(w, order, 0, n, wb)
    _forward(X, data, indices, indptr, xv, order, 0, n, theta, sizes, w_off, b_off, bn_off,
             bn_run, drop, keys, ws, offs, wb, opts, hyper, True, epoch)
    Zout = ws[offs[L - 1, 0]:offs[L - 1, 0] + n * K].reshape((n, K))
    G = ws[g1:g1 + n * K].reshape((n, K))
    loss = _output_loss_grad(Zout, G, y, w, order, 0, n, 1.0)
    _backward(data, indices, indptr, xv, order, 0, n, theta, grad, sizes, w_off, b_off, bn_off,
              drop, ws, offs, g1, g2, wb, opts, perturb)
    return loss, grad


@njit(**_JIT)
def predict_logits(X, data, indices, indptr, theta, bn_run, sizes, w_off, b_off, bn_off, opts,
                   hyper, chunk):
    """Logits of every row in inference mode (no dropout or noise, running batch-norm stats)."""
    if opts[O_SPARSE] != 0:
        n = indptr.shape[0] - 1
    else:
        n = X.shape[0]
    L = sizes.shape[0] - 1
    K = sizes[L]
    B = max(1, min(chunk, n))
    offs, g1, g2, total = _workspace_offsets(sizes, B)
    ws = np.zeros(total, dtype=theta.dtype)
    wb = np.ones(B, dtype=np.float64)
    drop = np.zeros(L, dtype=np.float64)
    keys = np.zeros(0, dtype=np.uint64)
    order = np.arange(n)
    out = np.empty((n, K), dtype=theta.dtype)
    for start in range(0, n, B):
        b = min(B, n - start)
        _forward(X, data, indices, indptr, data, order, start, b, theta, sizes, w_off, b_off,
                 bn_off, bn_run, drop, keys, ws, offs, wb, opts, hyper, False, 0)
        Zout = ws[offs[L - 1, 0]:offs[L - 1, 0] + b * K].reshape((b, K))
        for r in range(b):
            for k in range(K):
                out[start + r, k] = Zout[r, k]
    return out
