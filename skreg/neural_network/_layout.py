"""Where every trainable parameter of a network lives in the flat parameter vector.

:class:`Layout` is the only place that knows the layout; the training loop,
the optimizer, inference and the estimators' fitted attributes all go
through it. Every trainable parameter lives in one flat vector ``theta`` (the
training dtype)::

    [ W_0 | W_1 | ... | W_{L-1} | b_0 | ... | b_{L-1} | gamma_0 beta_0 | ... ]
      ^---- penalized prefix ----^  (biases and batch-norm scale/shift are not)

``W_l`` has shape ``(sizes[l], sizes[l + 1])`` in C order, so row ``j`` of
``W_0`` holds input feature ``j``'s outgoing weights. The gradient and the
optimizer's moment vectors share the layout: the optimizer step and the L1
prox are fused loops over vector segments, and the penalty only touches the
weight prefix ``theta[:n_weights]``. The running batch-norm statistics are a
second vector, ``running = [mean_0 | mean_1 | ... | var_0 | var_1 | ...]``.
"""

from typing import NamedTuple

import numpy as np


class Params(NamedTuple):
    """Per-layer views (or copies) of a vector in the ``theta`` layout."""

    coefs: list
    intercepts: list
    bn_scales: list
    bn_shifts: list


class Running(NamedTuple):
    """Per-hidden-layer views (or copies) of the running batch-norm statistics."""

    means: list
    variances: list


class Layout:
    """Offsets of the parameter blocks of a network with layer widths ``sizes``.

    Parameters
    ----------
    sizes : sequence of int
        Widths of every layer, input and output included.
    batch_norm : bool
        Whether every hidden layer has a batch-norm scale and shift.
    """

    def __init__(self, sizes, batch_norm):
        self.sizes = [int(s) for s in sizes]
        self.batch_norm = bool(batch_norm)
        self.n_layers = len(self.sizes) - 1  # weight layers
        self.n_hidden_units = sum(self.sizes[1:-1])
        self.w_off, self.b_off, self.bn_off = [], [], []
        pos = 0
        for fan_in, fan_out in self._pairs():
            self.w_off.append(pos)
            pos += fan_in * fan_out
        self.n_weights = pos
        for _, fan_out in self._pairs():
            self.b_off.append(pos)
            pos += fan_out
        if self.batch_norm:
            for n in self.sizes[1:-1]:
                self.bn_off.append(pos)
                pos += 2 * n
        self.n_params = pos

    def _pairs(self):
        return list(zip(self.sizes[:-1], self.sizes[1:]))

    # ------------------------------------------------------------- views

    def views(self, vec):
        """:class:`Params` of views into ``vec`` (``theta``, its gradient or a moment)."""
        coefs = [vec[o:o + a * b].reshape(a, b) for o, (a, b) in zip(self.w_off, self._pairs())]
        intercepts = [vec[o:o + b] for o, (_, b) in zip(self.b_off, self._pairs())]
        hidden = self.sizes[1:-1]
        scales = [vec[o:o + n] for o, n in zip(self.bn_off, hidden)]
        shifts = [vec[o + n:o + 2 * n] for o, n in zip(self.bn_off, hidden)]
        return Params(coefs, intercepts, scales, shifts)

    def running_views(self, running):
        """:class:`Running` of views into the running-statistics vector."""
        if not self.batch_norm:
            return Running([], [])
        H = self.n_hidden_units
        means, variances, pos = [], [], 0
        for n in self.sizes[1:-1]:
            means.append(running[pos:pos + n])
            variances.append(running[H + pos:H + pos + n])
            pos += n
        return Running(means, variances)

    # ------------------------------------------------------ create / convert

    def initialize(self, activation, dtype, rng):
        """Glorot-uniform weights and biases (scikit-learn's scheme), gamma = 1, beta = 0.

        Returns ``(theta, running)``: running means 0, running variances 1.
        """
        theta = np.zeros(self.n_params, dtype=np.float64)
        p = self.views(theta)
        factor = 2.0 if activation == "logistic" else 6.0
        for l, (fan_in, fan_out) in enumerate(self._pairs()):
            bound = np.sqrt(factor / (fan_in + fan_out))
            p.coefs[l][:] = rng.uniform(-bound, bound, fan_in * fan_out).reshape(fan_in, fan_out)
            bias = rng.uniform(-bound, bound, fan_out)
            if not (self.batch_norm and l < self.n_layers - 1):
                p.intercepts[l][:] = bias  # with batch norm the hidden bias stays 0
        for g in p.bn_scales:
            g[:] = 1.0
        running = np.zeros(2 * self.n_hidden_units if self.batch_norm else 0, dtype=dtype)
        running[self.n_hidden_units:] = 1.0
        return theta.astype(dtype), running

    def pack(self, params, running, dtype):
        """Flat copies ``(theta, running)`` of per-layer :class:`Params` and :class:`Running`."""
        theta = np.empty(self.n_params, dtype=dtype)
        for dst, src in zip(self.views(theta), params):
            for d, s in zip(dst, src):
                d[...] = s
        flat = np.empty(2 * self.n_hidden_units if self.batch_norm else 0, dtype=dtype)
        for dst, src in zip(self.running_views(flat), running):
            for d, s in zip(dst, src):
                d[...] = s
        return theta, flat

    def unpack(self, theta, running):
        """Per-layer copies ``(Params, Running)`` of the flat vectors."""
        params = Params(*([a.copy() for a in block] for block in self.views(theta)))
        stats = Running(*([a.copy() for a in block] for block in self.running_views(running)))
        return params, stats
