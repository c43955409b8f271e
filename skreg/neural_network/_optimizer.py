"""The optimizer of the network estimators: Adam or SGD, fused with the proximal steps.

One :meth:`Optimizer.step` per mini-batch, on the flat vectors of
:mod:`._layout` (parameters ``theta``, gradient ``grad``, moments):

1. optional gradient clipping: ``grad`` is rescaled to global norm
   ``max_grad_norm`` when it is longer;
2. the Adam or SGD update of the smooth part (data loss plus the L2 penalty
   ``l2 / 2 ||W||^2``), fused with the L1 prox on the weights, thresholded
   by the per-weight step actually taken (see ``_mlp_kernels``);
3. the group prox on the first layer's rows (group lasso over the inputs,
   ``group_alpha * sum_j ||W_0[j, :]||_2``), thresholded by the step taken
   (see ``_mlp_kernels._group_prox_rows``);
4. the max-norm projection of every unit's incoming weights.
"""

from typing import NamedTuple, Optional

import numpy as np

from .. import _mlp_kernels as K
from .._prox import max_norm_project


class OptimizerSettings(NamedTuple):
    """What an :class:`Optimizer` does; floats in float64, cast to the training dtype on use."""

    solver: str  #: "adam" or "sgd"
    learning_rate: float
    beta_1: float
    beta_2: float
    epsilon: float
    momentum: float
    nesterov: bool
    l1: float  #: alpha * l1_ratio (the prox threshold per unit step)
    l2: float  #: alpha * (1 - l1_ratio)
    max_norm: Optional[float]
    max_grad_norm: Optional[float]
    group_alpha: float  #: group-lasso strength on the first layer's rows (0: none)


class OptimizerState(NamedTuple):
    """What an optimizer carries from one step (and one fit) to the next.

    ``first_moment`` is Adam's ``m`` or SGD's velocity, ``second_moment``
    Adam's ``v`` (unused by SGD); both in the ``theta`` layout.
    ``n_steps`` counts the steps taken (Adam's bias correction).
    """

    first_moment: np.ndarray
    second_moment: np.ndarray
    n_steps: int

    @classmethod
    def zeros(cls, n_params, dtype):
        """The state of an optimizer that has not stepped yet."""
        return cls(np.zeros(n_params, dtype=dtype), np.zeros(n_params, dtype=dtype), 0)

    def matching(self, n_params, dtype):
        """Writable copies in ``dtype``, or a fresh state when the layout changed size."""
        if self.first_moment.shape[0] != n_params:
            return OptimizerState.zeros(n_params, dtype)
        return OptimizerState(self.first_moment.astype(dtype, copy=True),
                              self.second_moment.astype(dtype, copy=True), int(self.n_steps))


class Optimizer:
    """Adam / SGD + L1 prox + max-norm on ``theta``, reading the gradient from ``grad``.

    Parameters
    ----------
    settings : OptimizerSettings
    layout : Layout
        Layout of ``theta`` (weights first: the penalized prefix).
    theta, grad : ndarray
        Parameters (updated in place) and the buffer the passes write the
        mini-batch gradient into.
    state : OptimizerState
        Its arrays are updated in place; :attr:`state` returns the current one.
    """

    def __init__(self, settings, layout, theta, grad, state):
        self.theta, self.grad = theta, grad
        self.m, self.v, self.n_steps = state.first_moment, state.second_moment, int(state.n_steps)
        self.n_weights = layout.n_weights
        self.n_params = layout.n_params
        self.coefs = layout.views(theta).coefs
        cast = theta.dtype.type
        self.l1, self.l2, self.zero = cast(settings.l1), cast(settings.l2), cast(0.0)
        self.adam = settings.solver == "adam"
        self.lr = settings.learning_rate
        self.b1, self.b2 = settings.beta_1, settings.beta_2
        # Adam's constants in the parameters' dtype; the last two are the bias corrections
        self.adam_constants = np.array(
            [self.lr, self.b1, 1.0 - self.b1, self.b2, 1.0 - self.b2, settings.epsilon, 1.0, 1.0],
            dtype=theta.dtype)
        self.momentum, self.nesterov = settings.momentum, bool(settings.nesterov)
        self.max_norm = settings.max_norm
        self.max_grad_norm = settings.max_grad_norm
        self.group_alpha = cast(settings.group_alpha)
        # first-layer blocks of theta and of Adam's v, (n_inputs, n_units) views
        self.first_v = layout.views(self.v).coefs[0]
        self.sgd_step = cast(self.lr)
        self.one = cast(1.0)

    @property
    def state(self):
        """The current :class:`OptimizerState` (arrays shared, not copied)."""
        return OptimizerState(self.m, self.v, self.n_steps)

    def step(self):
        """One update from the gradient in ``grad``."""
        gr = self.grad
        if self.max_grad_norm is not None:
            norm = float(np.sqrt(np.dot(gr, gr)))
            if norm > self.max_grad_norm:
                gr *= gr.dtype.type(self.max_grad_norm / norm)
        self.begin_step()
        self.update(0, self.n_weights)
        self.update(self.n_weights, self.n_params)
        self.end_step()

    def flush_subnormals(self):
        """Set parameters and moments smaller than the dtype's smallest normal number to 0.

        The incoming weights of a dead ReLU unit see only the L2 gradient,
        which Adam's normalized step shrinks geometrically until they hover
        among the subnormal numbers (their first moment too); the CPU
        computes with subnormal operands in microcode, ~100x slower (float32
        epochs on ``make_friedman1`` became 4x slower from the third epoch
        on, in the optimizer and in the products with those weights). At 0
        they stay 0. NaN is kept (the divergence check sees it).
        """
        tiny = np.finfo(self.theta.dtype).tiny
        for a in (self.theta, self.m, self.v):
            a[np.abs(a) < tiny] = 0.0

    def begin_step(self):
        """Start a step taken in parts: count it (Adam's bias corrections).

        :meth:`step` without the gradient clipping is ``begin_step``, then
        :meth:`update` over segments covering ``theta`` (in any order, from
        any thread: the updates are elementwise), then :meth:`end_step`.
        """
        self.n_steps += 1
        if self.adam:
            t = self.n_steps
            sc = self.adam_constants
            sc[6] = 1.0 / (1.0 - self.b1 ** t)
            sc[7] = 1.0 / (1.0 - self.b2 ** t)

    def update(self, lo, hi):
        """Adam / SGD with the L1 prox on ``theta[lo:hi]``.

        A segment lies in the penalized weights (``hi <= n_weights``) or in
        the unpenalized rest (``lo >= n_weights``).
        """
        th, gr = self.theta, self.grad
        if lo < self.n_weights:
            l2, l1 = self.l2, self.l1
        else:
            l2 = l1 = self.zero
        if self.adam:
            K._adam_prox_segment(th, gr, self.m, self.v, lo, hi, self.adam_constants, l2, l1)
        else:
            K._sgd_prox_segment(th, gr, self.m, lo, hi, self.lr, self.momentum, self.nesterov,
                                l2, l1)

    def end_step(self):
        """The steps on whole blocks: the group prox and the max-norm projection."""
        if self.group_alpha > 0.0:
            if self.adam:
                sc = self.adam_constants
                K._group_prox_rows(self.coefs[0], self.first_v, sc[0], sc[5], sc[7],
                                   self.group_alpha, True)
            else:
                K._group_prox_rows(self.coefs[0], self.first_v, self.sgd_step, self.zero,
                                   self.one, self.group_alpha, False)
        if self.max_norm is not None:
            for W in self.coefs:
                max_norm_project(W, self.max_norm)
