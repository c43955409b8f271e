"""Forward / backward passes over mini-batches, one training epoch, and inference.

The mini-batch loop is plain Python; the matrix products are numpy GEMMs
into preallocated buffers (``np.dot(..., out=...)``) and the fused
elementwise work is done by the numba leaf kernels of ``skreg._mlp_kernels``
(see its docstring for why the kernels are leaves). Parameters are read
through :class:`~._layout.Layout` views of the flat vectors, so the kernels
update ``theta``, its gradient and the running statistics in place.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from .. import _mlp_kernels as K
from .._validation import fits_running
from ._optimizer import Optimizer

#: Momentum of the batch-norm running averages (PyTorch's convention) and the
#: variance floor inside the square root.
BN_MOMENTUM = 0.1
BN_EPS = 1e-5

_FORWARD = {"relu": K._relu_forward, "tanh": K._tanh_forward, "logistic": K._logistic_forward}
_BACKWARD = {"relu": K._relu_backward, "tanh": K._tanh_backward,
             "logistic": K._logistic_backward}
#: Output loss kernels. "log_loss": integer class indices (one output: logistic, see
#: :func:`kernel_targets`; several: softmax); "binary_log_loss": 2-D 0/1 targets, one
#: independent logistic output each; "squared_error": 2-D real targets, identity output.
_OUTPUT_LOSS = {"log_loss": K._output_loss_grad, "binary_log_loss": K._sigmoid_loss_grad,
                "squared_error": K._squared_loss_grad}
_ACT_NUMPY = {
    "relu": lambda Z: np.maximum(Z, 0.0, out=Z),
    "tanh": lambda Z: np.tanh(Z, out=Z),
    "logistic": lambda Z: expit(Z, out=Z),
}


class NetworkSettings(NamedTuple):
    """What the passes compute, besides the parameters."""

    activation: str  #: "relu", "tanh" or "logistic" (hidden layers)
    loss: str  #: a key of ``_OUTPUT_LOSS``
    batch_norm: bool
    dropout: np.ndarray  #: per layer: index 0 the input, 1.. the hidden layers
    input_noise: float
    seed: int  #: key of the counter-based random numbers (dropout, noise)


def kernel_targets(settings, n_outputs, targets, dtype):
    """``(settings, targets)`` as the output-loss kernels take them.

    Two classes (class indices, one logistic output) train as one
    independent logistic output on the 0/1 column ``targets == 1``: the same
    loss and gradient, from the multilabel kernel (one kernel fewer to
    compile).
    """
    if settings.loss == "log_loss" and n_outputs == 1:
        column = (targets == 1).astype(dtype).reshape(-1, 1)
        return settings._replace(loss="binary_log_loss"), column
    return settings, targets


class InputArrays(NamedTuple):
    """The training or prediction data in the kernels' layout.

    Dense X is C-ordered in ``dense`` (the sparse arrays empty); sparse X is
    CSR in ``data, indices, indptr`` (``dense`` has zero rows).
    """

    dense: np.ndarray
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    sparse: bool

    @property
    def n_samples(self):
        return self.indptr.shape[0] - 1 if self.sparse else self.dense.shape[0]

    @property
    def dtype(self):
        return self.data.dtype if self.sparse else self.dense.dtype

    def row_keys(self):
        """Hash of every row's content (the random streams' keys, see ``_mlp_kernels``)."""
        return K.row_keys(self.dense, self.data, self.indices, self.indptr, self.sparse)


class BatchPass:
    """Buffers and parameter views for training passes over batches of at most ``B`` rows.

    The views alias ``theta``, ``grad`` and ``running``, which the kernels
    update in place.
    """

    def __init__(self, inputs, keys, settings, layout, theta, grad, running, B):
        sizes = layout.sizes
        self.L = layout.n_layers
        dt = theta.dtype
        self.inputs, self.keys = inputs, keys
        self.sparse = inputs.sparse
        self.bn = settings.batch_norm
        self.params = layout.views(theta)
        self.grads = layout.views(grad)
        self.running = layout.running_views(running)
        self.drop = [float(p) for p in settings.dropout]
        self.noise = float(settings.input_noise)
        self.perturb = self.drop[0] > 0.0 or self.noise > 0.0
        self.seed = np.uint64(settings.seed)
        self.forward_act = _FORWARD[settings.activation]
        self.backward_act = _BACKWARD[settings.activation]
        self.output_loss = _OUTPUT_LOSS[settings.loss]
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
            self.xv = np.empty_like(inputs.data) if self.perturb else inputs.data
        else:
            self.XB = np.zeros((B, sizes[0]), dtype=dt)
        self.sizes = sizes
        self._cache = {}

    def _views(self, lo, hi):
        """Rows ``lo:hi`` of the buffers (cached: an epoch has at most two batch sizes)."""
        v = self._cache.get((lo, hi))
        if v is None:
            def cut(bufs):
                return [None if M is None else M[lo:hi] for M in bufs]

            v = (cut(self.Z), cut(self.G), cut(self.A), cut(self.D),
                 cut(self.XH) if self.bn else None,
                 None if self.XB is None else self.XB[lo:hi])
            self._cache[(lo, hi)] = v
        return v

    def run(self, rows, targets, w, scale, epoch):
        """Forward + backward over the batch ``rows``: returns its weighted loss.

        Leaves the gradient of ``scale * loss`` in ``grad`` (biases of
        batch-norm layers excepted: their gradient stays 0).
        """
        loss = self.forward_deltas(rows, 0, rows.shape[0], targets, w, scale, epoch,
                                   self.grads.intercepts)
        if np.isfinite(loss):
            for l in range(self.L):
                self.weight_gradient(l, rows, 0, self.sizes[l])
        return loss

    def forward_deltas(self, rows, lo, hi, targets, w, scale, epoch, bias_grads):
        """Forward and backward pass of the batch's rows ``lo:hi``, all but the weight gradients.

        Leaves every layer's pre-activation gradients ("deltas") of those rows
        in the ``G`` buffers and the rows' bias gradients in ``bias_grads``
        (per layer); returns the rows' weighted loss. Rows are independent
        here (batch norm aside, which needs ``lo:hi`` to be the whole batch),
        so two threads can each take a part of the batch.
        """
        b = hi - lo
        L = self.L
        rows = rows[lo:hi]
        Ws, bs = self.params.coefs, self.params.intercepts
        drop, bn, inp = self.drop, self.bn, self.inputs
        Zs, Gs, As, Ds, XHs, XB = self._views(lo, hi)
        wb = None
        if bn:
            wr = w[rows]
            s = wr.sum()
            wb = wr / s if s > 0.0 else np.full(b, 1.0 / b)
        # ---- forward
        if self.sparse:
            K._sparse_forward(inp.data, inp.indices, inp.indptr, rows, Ws[0], Zs[0], self.xv,
                              self.keys, self.seed, epoch, drop[0], self.noise, self.perturb)
        else:
            K._gather_rows(inp.dense, rows, XB)
            if self.perturb:
                K._perturb_rows(XB, XB, self.keys, rows, self.seed, epoch, 0, drop[0],
                                self.noise, False)
            np.dot(XB, Ws[0], out=Zs[0])
        for l in range(L - 1):
            Z = Zs[l]
            if l > 0:
                np.dot(As[l - 1], Ws[l], out=Z)
            if bn:
                K._batch_norm_train(Z, XHs[l], self.stats[l], self.params.bn_scales[l],
                                    self.params.bn_shifts[l], wb, self.running.means[l],
                                    self.running.variances[l], BN_MOMENTUM, BN_EPS)
            # with batch norm the hidden bias is redundant (beta is the shift): not used
            self.forward_act(Z, As[l], self.no_bias[l] if bn else bs[l])
            p = drop[l + 1]
            if p > 0.0:
                K._perturb_rows(As[l], Ds[l], self.keys, rows, self.seed, epoch, l + 1, p, 0.0,
                                True)
        Z = Zs[L - 1]
        if L > 1:
            np.dot(As[L - 2], Ws[L - 1], out=Z)
        loss = self.output_loss(Z, bs[L - 1], Gs[L - 1], bias_grads[L - 1], targets, w, rows,
                                scale)
        if not np.isfinite(loss):
            return loss
        # ---- backward (the deltas; the weight gradients need all rows: weight_gradient)
        for l in range(L - 1, 0, -1):
            k = l - 1
            Gp = Gs[k]
            np.dot(Gs[l], Ws[l].T, out=Gp)
            use_d = drop[l] > 0.0
            # the hidden bias gradient (column sums) comes out of the same kernel
            self.backward_act(Gp, Zs[k], Ds[k] if use_d else Gp, bias_grads[k], use_d, not bn)
            if bn:
                K._batch_norm_backward(Gp, XHs[k], self.stats[k], self.params.bn_scales[k],
                                       self.grads.bn_scales[k], self.grads.bn_shifts[k], wb)
        return loss

    def weight_gradient(self, l, rows, a, c):
        """Rows ``a:c`` of layer ``l``'s weight gradient, from every row of the batch ``rows``.

        ``grad W_l[a:c] = A_{l-1}[:, a:c]^T G_l`` (``A_{-1}`` the input batch):
        the rows of ``W_l`` are the inputs of layer ``l``, so two threads can
        each take a block of them without adding partial gradients. Sparse
        input's first layer is computed whole (``a, c`` ignored).
        """
        b = rows.shape[0]
        G = self.G[l][:b]
        GW = self.grads.coefs[l]
        if l > 0:
            np.dot(self.A[l - 1][:b, a:c].T, G, out=GW[a:c])
        elif self.sparse:
            inp = self.inputs
            K._sparse_backward(self.xv, inp.indices, inp.indptr, rows, G, GW)
        else:
            np.dot(self.XB[:b, a:c].T, G, out=GW[a:c])


class SplitPass:
    """Training steps with each mini-batch's work shared by two threads.

    A step has two parts, each shared between this thread and the helper
    thread: (1) the forward and backward passes (:meth:`BatchPass.forward_deltas`),
    rows split in halves: rows are independent until the weight gradients;
    (2) the weight gradients (:meth:`BatchPass.weight_gradient`), split by
    the rows of every weight matrix (the inputs of the layer), each thread
    then running the optimizer's update on the parameters whose gradient it
    just computed. Nothing is summed across threads but the small bias
    gradients, so the result is the one-thread step up to the rounding of
    differently blocked products. Dropout masks and input noise are keyed by
    the rows' content, hence the same as in a one-thread pass. Not for batch
    norm (its statistics need the whole batch). Each thread's products run
    on one BLAS thread: the caller pins BLAS to one. With gradient clipping
    (a norm over the whole gradient) the optimizer runs after part (2), on
    this thread. While fits run in other threads (a threaded search) both
    shares of each part run here: the same shares, hence the same result.
    """

    def __init__(self, inputs, keys, settings, layout, theta, grad, running, B, optimizer):
        self.batch = BatchPass(inputs, keys, settings, layout, theta, grad, running, B)
        self.opt = optimizer
        self.fused = optimizer.max_grad_norm is None
        self.second_bias_grads = [np.zeros_like(g) for g in self.batch.grads.intercepts]
        # part (2): (layer, first row, end row, theta offset of the first row, of the end row)
        shares = ([], [])
        for l, (off, fan_in, fan_out) in enumerate(zip(layout.w_off, layout.sizes[:-1],
                                                       layout.sizes[1:])):
            if l == 0 and inputs.sparse:  # the CSR product scatters into every row
                bounds = ((1, 0, fan_in),)
            else:
                h = fan_in // 2
                bounds = ((0, 0, h), (1, h, fan_in))
            for k, a, c in bounds:
                if c > a:
                    shares[k].append((l, a, c, off + a * fan_out, off + c * fan_out))
        self.shares = shares

    def train_step(self, rows, targets, w, scale, epoch):
        """Forward, backward and optimizer step for the batch ``rows``; returns its loss.

        The parameters are left unchanged when the loss is not finite.
        """
        bp = self.batch
        b = rows.shape[0]
        h = (b + 1) // 2
        if h == b:  # a one-row batch
            loss = bp.run(rows, targets, w, scale, epoch)
            if np.isfinite(loss):
                self.opt.step()
            return loss
        first, second = _both_threads(
            lambda: bp.forward_deltas(rows, 0, h, targets, w, scale, epoch,
                                      bp.grads.intercepts),
            lambda: bp.forward_deltas(rows, h, b, targets, w, scale, epoch,
                                      self.second_bias_grads))
        loss = first + second
        if not np.isfinite(loss):
            return loss
        for g, g2 in zip(bp.grads.intercepts, self.second_bias_grads):
            np.add(g, g2, out=g)
        opt = self.opt
        if self.fused:
            opt.begin_step()
        _both_threads(lambda: self._share(0, rows), lambda: self._share(1, rows))
        if self.fused:
            opt.end_step()
        else:
            opt.step()
        return loss

    def _share(self, k, rows):
        """Thread ``k``'s weight-gradient blocks, each followed by its optimizer update."""
        fused, opt = self.fused, self.opt
        for l, a, c, lo, hi in self.shares[k]:
            self.batch.weight_gradient(l, rows, a, c)
            if fused:
                opt.update(lo, hi)
        if fused and k == 0:  # the biases (and batch-norm parameters): gradients are ready
            opt.update(opt.n_weights, opt.n_params)


def _both_threads(first, second):
    """``(first(), second())``, the second on the helper thread when the core is free.

    While fits run in other threads (they have the other core) both run here.
    A helper that has not started yet (another process holds the core) is not
    waited for: this thread computes ``second`` itself, the same way.
    """
    if fits_running() > 1:
        return first(), second()
    other = _helper_thread().submit(second)
    a = first()
    return a, (second() if other.cancel() else other.result())


#: Optimizer steps between two flushes of subnormal parameters and moments to zero (see
#: ``Optimizer.flush_subnormals``; a pass over them costs about a tenth of a step).
FLUSH_EVERY = 32
#: Rows x weights of a mini-batch below which it is not split across two threads: the
#: hand-overs to the helper thread cost more than a share saves (measured on 2 cores, batch
#: 128, (256, 128) network: the split took 1.4-2.7x the unsplit epoch on digits at 6.5M,
#: 1.13-1.18x on 200 inputs at 10.8M, 0.79-0.82x on MNIST at 30M).
SPLIT_MIN_WORK = 1 << 24
_HELPER = []
_HELPER_LOCK = threading.Lock()


def _helper_thread():
    """The process's helper thread for :class:`SplitPass` (created on first use)."""
    with _HELPER_LOCK:
        if not _HELPER:
            _HELPER.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="skreg-mlp"))
        return _HELPER[0]


def use_two_threads(n_threads, batch_size, layout, settings):
    """Whether :func:`train_epoch` should split the mini-batches across two threads.

    With a thread budget of 2 or more (see ``_validation.fit_thread_budget``),
    no batch norm, and at least ``SPLIT_MIN_WORK`` rows x weights per batch.
    """
    return (n_threads >= 2 and not settings.batch_norm and batch_size >= 2
            and batch_size * layout.n_weights >= SPLIT_MIN_WORK)


def train_epoch(inputs, keys, targets, w, order, settings, layout, theta, running,
                optimizer_settings, optimizer_state, batch_size, epoch, two_threads=False):
    """One epoch of mini-batch proximal SGD / Adam over the rows ``order``.

    ``w`` are the sample weights normalized to sum to one over ``order``; the
    gradient of a batch of ``b`` rows is ``(n / b) * sum_batch w_i grad loss_i``
    (unbiased for the weighted mean loss, exact for a full batch). With
    ``two_threads`` (see :func:`use_two_threads`) each mini-batch is split
    across two threads (:class:`SplitPass`).

    Returns ``(loss, optimizer_state, finite)``: the weighted mean loss
    accumulated during the epoch (without penalty), the optimizer's state
    after it, and whether everything stayed finite (parameters are garbage
    when not).
    """
    n = order.shape[0]
    B = int(min(batch_size, n))
    settings, targets = kernel_targets(settings, layout.sizes[-1], targets, theta.dtype)
    grad = np.zeros_like(theta)
    opt = Optimizer(optimizer_settings, layout, theta, grad, optimizer_state)
    if two_threads:
        train_step = SplitPass(inputs, keys, settings, layout, theta, grad, running, B,
                               opt).train_step
    else:
        ps = BatchPass(inputs, keys, settings, layout, theta, grad, running, B)

        def train_step(rows, targets, w, scale, epoch):
            loss = ps.run(rows, targets, w, scale, epoch)
            if np.isfinite(loss):
                opt.step()
            return loss

    order = np.ascontiguousarray(order, dtype=np.int64)
    epoch = int(epoch)
    loss = 0.0
    # a diverging fit overflows in the GEMMs: it is reported by the loss check, not warned
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, n, B):
            rows = order[start:start + B]
            batch_loss = train_step(rows, targets, w, n / rows.shape[0], epoch)
            if not np.isfinite(batch_loss):
                return batch_loss, opt.state, False
            loss += batch_loss
            if (start // B + 1) % FLUSH_EVERY == 0:
                opt.flush_subnormals()
    opt.flush_subnormals()
    finite = bool(np.isfinite(loss) and np.all(np.isfinite(theta)))
    return loss, opt.state, finite


def loss_and_gradient(inputs, targets, w, settings, layout, theta, running, epoch=0):
    """Full-batch training-mode loss (no penalty) and its gradient wrt ``theta``.

    Dropout and noise are those of training epoch ``epoch``; ``running`` is
    updated as in a training step. A small internal API for checking the
    math (gradients, optimality conditions) against independent references.
    """
    n = inputs.n_samples
    settings, targets = kernel_targets(settings, layout.sizes[-1], targets, theta.dtype)
    grad = np.zeros_like(theta)
    ps = BatchPass(inputs, inputs.row_keys(), settings, layout, theta, grad, running, n)
    loss = ps.run(np.arange(n, dtype=np.int64), targets, w, 1.0, int(epoch))
    return loss, grad


def predict_raw(inputs, params, running, activation, chunk, two_threads=False):
    """Output-layer pre-activations of every row, in inference mode.

    ``params`` (:class:`~._layout.Params`) and ``running``
    (:class:`~._layout.Running`) are per-layer arrays: views of the flat
    training vectors or the fitted attributes; the output has their dtype.
    No dropout or noise; batch norm uses the running statistics. numpy only
    (nothing to compile): chunks of ``chunk`` rows, GEMMs and ufuncs. With
    ``two_threads`` the chunks are shared with the helper thread (for
    one-thread BLAS, see :func:`use_two_threads`); each row's output is the
    same either way.
    """
    p, L = params, len(params.coefs)
    act = _ACT_NUMPY[activation]
    if inputs.sparse:
        X = sp.csr_matrix((inputs.data, inputs.indices, inputs.indptr),
                          shape=(inputs.n_samples, p.coefs[0].shape[0]))
    else:
        X = inputs.dense
    n = inputs.n_samples
    affine = [None] * (L - 1)  # batch-norm eval as one scale and shift per hidden layer
    for l in range(len(running.means)):
        scale = p.bn_scales[l] / np.sqrt(running.variances[l] + BN_EPS)
        affine[l] = (scale, p.bn_shifts[l] - running.means[l] * scale)
    out = np.empty((n, p.coefs[-1].shape[1]), dtype=p.coefs[-1].dtype)
    B = max(1, min(int(chunk), n))

    def rows(lo, hi):
        # errstate is per thread: a diverging network's overflow is reported as nan by the caller
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(lo, hi, B):
                A = X[start:min(start + B, hi)]
                for l in range(L):
                    Z = np.asarray(A @ p.coefs[l])
                    if l < L - 1 and affine[l] is not None:
                        Z *= affine[l][0]
                        Z += affine[l][1]
                    else:
                        Z += p.intercepts[l]
                    if l < L - 1:
                        A = act(Z)
                out[start:start + Z.shape[0]] = Z

    n_chunks = -(-n // B)
    if two_threads and n_chunks >= 2:
        # both threads take the next chunk until none is left (a thread that another
        # process slows down takes fewer); the chunks are those of the one-thread loop
        taken, lock = [0], threading.Lock()

        def take_chunks():
            while True:
                with lock:
                    i = taken[0]
                    taken[0] += 1
                if i >= n_chunks:
                    return
                rows(i * B, min(n, (i + 1) * B))

        other = _helper_thread().submit(take_chunks)
        take_chunks()
        if not other.cancel():
            other.result()
    else:
        rows(0, n)
    return out
