"""Multi-layer perceptron classifier with elastic-net penalties and the classic regularizers."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _mlp_kernels as K
from ._validation import FLOAT_DTYPES, as_csr, normalized_sample_weight, resolve_penalty
from ._validation import check_numeric_input, fit_blas_threads, keep_fitted_state_on_error

__all__ = ["ElasticNetMLPClassifier"]

_ACTIVATIONS = {"relu": K.ACT_RELU, "tanh": K.ACT_TANH, "logistic": K.ACT_LOGISTIC}
_SOLVERS = {"adam": K.SOLVER_ADAM, "sgd": K.SOLVER_SGD}
#: Momentum of the batch-norm running averages (PyTorch's convention) and the
#: variance floor inside the square root.
_BN_MOMENTUM = 0.1
_BN_EPS = 1e-5
#: Rows per chunk at predict time (bounds the memory of the activations).
_PREDICT_CHUNK = 512
#: Mini-batches of at most this many rows train with single-threaded BLAS: their GEMMs are
#: too small to split across threads (measured on the benchmark machine: no gain even for the
#: bare products), and idle BLAS workers that busy-wait steal cycles from the fused
#: elementwise loops in between.
_SINGLE_THREAD_BATCH = 256

def _layout(sizes, batch_norm):
    """Offsets of every parameter block in the flat parameter vector (see ``_mlp_kernels``)."""
    L = len(sizes) - 1
    w_off = np.empty(L, dtype=np.int64)
    b_off = np.empty(L, dtype=np.int64)
    bn_off = np.full(max(L - 1, 0), -1, dtype=np.int64)
    pos = 0
    for l in range(L):
        w_off[l] = pos
        pos += sizes[l] * sizes[l + 1]
    n_weights = pos
    for l in range(L):
        b_off[l] = pos
        pos += sizes[l + 1]
    if batch_norm:
        for l in range(L - 1):
            bn_off[l] = pos
            pos += 2 * sizes[l + 1]
    return w_off, b_off, bn_off, n_weights, pos


class ElasticNetMLPClassifier(ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier trained by proximal SGD / Adam.

    A feed-forward network (``hidden_layer_sizes``, ``activation``) with a
    softmax output (one logistic output for two classes) whose weight
    matrices carry an L1, L2 or elastic-net penalty. The L1 part is applied
    by its proximal operator, so weights become **exactly zero**. On top of
    it: dropout, max-norm constraints, batch normalization, Gaussian input
    noise and early stopping with restoration of the best weights.

    Objective (DESIGN §2), with normalized sample weights ``s_i``::

        F(W, b) = sum_i s_i * loss(y_i, f(x_i; W, b)) / sum_i s_i
                  + alpha * sum_l [ l1_ratio * ||W_l||_1 + (1 - l1_ratio) / 2 * ||W_l||_F^2 ]

    ``loss`` is the softmax cross-entropy of the network's logits (logistic
    loss for two classes). Biases and batch-norm scale/shift are never
    penalized.

    Update rule. Each mini-batch gives the gradient ``g`` of its loss
    (``(n / b) * sum_batch s_i grad loss_i``, unbiased for the weighted mean)
    plus the L2 part ``alpha * (1 - l1_ratio) * w``. Then, per weight:

    * ``solver="adam"``: ``m <- beta_1 m + (1 - beta_1) g``,
      ``v <- beta_2 v + (1 - beta_2) g^2``, with bias-corrected ``m_hat``,
      ``v_hat`` the step actually taken is ``eta_j = lr / (sqrt(v_hat_j) + epsilon)``
      and ``w_j <- S(w_j - eta_j * m_hat_j, eta_j * alpha * l1_ratio)``;
    * ``solver="sgd"``: ``u <- momentum * u - lr * g``, ``w <- w + u`` (or the
      Nesterov form ``w <- w + momentum * u - lr * g``), then
      ``w_j <- S(w_j, lr * alpha * l1_ratio)``;

    where ``S(x, c) = sign(x) * max(|x| - c, 0)`` is soft-thresholding (the
    prox of ``c |x|``). Thresholding with Adam's own per-weight step (not
    ``lr * alpha``) is what produces exact zeros under Adam. After the prox,
    if ``max_norm`` is set, every unit's incoming weight vector (a column of
    each ``coefs_[l]``, output layer included) is projected onto the ball of
    radius ``max_norm``. With plain full-batch SGD (``momentum=0``, no
    dropout/noise) the fixed points are exactly those of proximal gradient
    descent on ``F``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Number of units of each hidden layer.
    activation : {"relu", "tanh", "logistic"}, default="relu"
        Activation of the hidden layers.
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        Penalty on the weight matrices. ``None`` means no penalty.
    alpha : float, default=1e-4
        Penalty strength (lambda), ``>= 0``.
    l1_ratio : float, default=0.15
        Elastic-net mixing, ``0 <= l1_ratio <= 1``; used with
        ``penalty="elasticnet"`` only.
    solver : {"adam", "sgd"}, default="adam"
        Optimizer of the smooth part.
    learning_rate_init : float, default=1e-3
        Step size ``lr`` (constant).
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``.
    nesterovs_momentum : bool, default=True
        Nesterov momentum for ``solver="sgd"``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates of the first and second moment estimates.
    epsilon : float, default=1e-8
        Adam's denominator offset.
    batch_size : int or "auto", default="auto"
        Mini-batch size; ``"auto"`` is ``min(200, n_samples)``. Clipped to the
        number of training samples. A batch that covers the whole training
        set makes the solver full-batch and independent of the row order.
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Improvement threshold of the stopping rule: training stops when the
        training objective (or, with ``early_stopping``, the validation
        accuracy) has not improved by ``tol`` for ``n_iter_no_change``
        consecutive epochs.
    n_iter_no_change : int, default=10
        Patience of the stopping rule, in epochs.
    shuffle : bool, default=True
        Reshuffle the training rows before each epoch (mini-batches only).
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the shuffling, the validation split, the
        dropout masks and the input noise. An int gives the same model bit
        for bit.
    warm_start : bool, default=False
        Continue from the previous fit's weights and optimizer state.
    verbose : bool, default=False
        Print the loss (and validation score) of every epoch.
    dropout : float or array-like of float, default=0.0
        Dropout rate ``p`` of the hidden layers' outputs: one rate for every
        hidden layer or one per hidden layer, ``0 <= p < 1``. Inverted
        dropout: kept units are scaled by ``1 / (1 - p)`` at training time;
        nothing is dropped at predict time.
    input_dropout : float, default=0.0
        Dropout rate of the input features (same rules as ``dropout``).
    max_norm : float or None, default=None
        If set, after every step each unit's incoming weight vector is
        projected onto the Euclidean ball of this radius.
    batch_norm : bool, default=False
        Batch normalization of every hidden layer's pre-activations (before
        the activation). Training uses the (weighted) batch statistics and
        updates running averages (momentum 0.1, variance floor 1e-5); predict
        uses the running averages. The hidden layers' biases are then
        redundant and kept at zero; the learnt shift is in
        ``batch_norm_shifts_``.
    input_noise : float, default=0.0
        Standard deviation of the Gaussian noise added to the inputs at
        training time (data augmentation). For sparse input the noise is
        added to the stored entries only, so sparsity is kept.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, score the
        (weighted) accuracy on it after every epoch, stop after
        ``n_iter_no_change`` epochs without an improvement of ``tol``, and
        restore the weights of the best epoch. Ignored by ``partial_fit``.
    validation_fraction : float, default=0.1
        Share of the training weight held out for early stopping. The split
        is stratified and made on the rows' content (identical rows fall on
        the same side), so that integer sample weights equal repetition.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coefs_ : list of ndarray
        ``coefs_[l]`` is the weight matrix from layer ``l`` to layer ``l + 1``,
        of shape ``(n_units_l, n_units_{l+1})``; column ``k`` is unit ``k``'s
        incoming weight vector. Same float dtype as the training data.
    intercepts_ : list of ndarray
        Bias vectors (zero for hidden layers with ``batch_norm``).
    batch_norm_scales_, batch_norm_shifts_ : list of ndarray
        Batch-norm ``gamma`` and ``beta`` of every hidden layer (empty lists
        without ``batch_norm``).
    batch_norm_running_means_, batch_norm_running_vars_ : list of ndarray
        Running batch statistics used at predict time.
    n_zero_weights_ : int
        Number of weights (entries of ``coefs_``) that are exactly 0.0.
    zero_weight_fraction_ : float
        ``n_zero_weights_`` over the number of weights.
    n_iter_ : int
        Number of epochs run (accumulates over ``warm_start`` and
        ``partial_fit``, like scikit-learn's ``MLPClassifier``).
    t_ : int
        Number of training samples seen by the solver.
    loss_ : float
        Training objective ``F`` of the last epoch (loss averaged over the
        epoch's mini-batches, with dropout/noise active, plus the penalty).
    loss_curve_ : list of float
        ``loss_`` of every epoch.
    best_loss_ : float or None
        Best ``loss_`` (None with early stopping).
    validation_scores_ : list of float or None
        Validation accuracy of every epoch (None without early stopping).
    best_validation_score_ : float or None
        Best validation accuracy: the returned weights are that epoch's.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units (1 for two classes).
    out_activation_ : str
        ``"logistic"`` or ``"softmax"``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Feature names, when ``X`` has string column names.

    Notes
    -----
    The dtype of ``X`` (float32 or float64) is the training dtype: float32
    input trains in float32 (half the GEMM cost). Sparse input is read as
    CSR; the first layer is a sparse-dense product and is never densified.

    Randomness (dropout masks, input noise) is drawn from a counter-based
    generator keyed by the seed, the epoch, the layer and a hash of the
    row's content. Two identical rows in an epoch therefore share their
    masks; in exchange a row of integer weight ``k`` is exactly ``k``
    repeated rows, and the same ``random_state`` reproduces a fit bit for bit.
    With a batch covering the whole training set (the default ``"auto"`` on
    fewer than 200 samples) weighted and repeated fits coincide.

    A fit whose loss becomes non-finite raises a ``ValueError`` naming
    ``learning_rate_init`` and leaves the previous fitted state untouched.

    Threads: the work is the GEMMs of every mini-batch (BLAS) plus fused
    numba loops. Mini-batches of at most 256 rows train with BLAS limited to
    one thread (``threadpoolctl``), because splitting such small products
    across threads costs more than it gains; larger batches use the BLAS
    thread pool as configured.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skreg.neural_network import ElasticNetMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = ElasticNetMLPClassifier(hidden_layer_sizes=(64,), penalty="l1",
    ...                               alpha=1e-4, dropout=0.1, max_iter=20,
    ...                               random_state=0).fit(X / 16, y)
    >>> clf.score(X / 16, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"relu", "tanh", "logistic"})],
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "solver": [StrOptions({"adam", "sgd"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "max_norm": [Interval(Real, 0, None, closed="neither"), None],
        "batch_norm": ["boolean"],
        "input_noise": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        penalty="l2",
        alpha=1e-4,
        l1_ratio=0.15,
        solver="adam",
        learning_rate_init=1e-3,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        shuffle=True,
        random_state=None,
        warm_start=False,
        verbose=False,
        dropout=0.0,
        input_dropout=0.0,
        max_norm=None,
        batch_norm=False,
        input_noise=0.0,
        early_stopping=False,
        validation_fraction=0.1,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.max_norm = max_norm
        self.batch_norm = batch_norm
        self.input_noise = input_noise
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_fitted_state_on_error
    def fit(self, X, y, sample_weight=None):
        """Fit the network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 trains in float32. Sparse input as CSR.
        y : array-like of shape (n_samples,)
            Class labels (any type).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights equal repeated rows.

        Returns
        -------
        self : ElasticNetMLPClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False, classes=None)

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_fitted_state_on_error
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch over ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,)
            Its labels.
        classes : array-like of shape (n_classes,), default=None
            Every class that can appear; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : ElasticNetMLPClassifier
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _hidden_sizes(self):
        hidden = self.hidden_layer_sizes
        if isinstance(hidden, Integral):
            hidden = [hidden]
        hidden = list(hidden)
        if not all(isinstance(h, Integral) and not isinstance(h, bool) and h >= 1 for h in hidden):
            raise ValueError(
                f"hidden_layer_sizes must hold positive integers, got {self.hidden_layer_sizes!r}."
            )
        return [int(h) for h in hidden]

    def _dropout_rates(self, n_hidden):
        """Per-layer dropout rates: index 0 is the input, 1..n_hidden the hidden layers."""
        rates = np.zeros(n_hidden + 1, dtype=np.float64)
        rates[0] = self.input_dropout
        if isinstance(self.dropout, Real):
            rates[1:] = self.dropout
        else:
            per_layer = np.asarray(self.dropout, dtype=np.float64).ravel()
            if per_layer.shape[0] != n_hidden:
                raise ValueError(
                    f"dropout has {per_layer.shape[0]} rates but the network has {n_hidden} "
                    "hidden layers; give one float or one rate per hidden layer."
                )
            rates[1:] = per_layer
        if not np.all(np.isfinite(rates)) or np.any(rates < 0.0) or np.any(rates >= 1.0):
            raise ValueError(f"dropout rates must be in [0, 1), got {self.dropout!r}.")
        return rates

    def _options(self, is_sparse, batch_size, seed):
        opts = np.zeros(K.N_OPTS, dtype=np.int64)
        opts[K.O_ACT] = _ACTIVATIONS[self.activation]
        opts[K.O_SOLVER] = _SOLVERS[self.solver]
        opts[K.O_NESTEROV] = int(bool(self.nesterovs_momentum))
        opts[K.O_BATCH] = batch_size
        opts[K.O_SPARSE] = int(is_sparse)
        opts[K.O_BN] = int(bool(self.batch_norm))
        opts[K.O_SEED] = seed
        alpha, l1_ratio = resolve_penalty(self.penalty, self.alpha, self.l1_ratio)
        hyper = np.zeros(K.N_HYPER, dtype=np.float64)
        hyper[K.H_LR] = self.learning_rate_init
        hyper[K.H_BETA1] = self.beta_1
        hyper[K.H_BETA2] = self.beta_2
        hyper[K.H_EPS] = self.epsilon
        hyper[K.H_MOMENTUM] = self.momentum
        hyper[K.H_ALPHA] = alpha
        hyper[K.H_L1_RATIO] = l1_ratio
        hyper[K.H_MAX_NORM] = 0.0 if self.max_norm is None else self.max_norm
        hyper[K.H_NOISE] = self.input_noise
        hyper[K.H_BN_MOMENTUM] = _BN_MOMENTUM
        hyper[K.H_BN_EPS] = _BN_EPS
        return opts, hyper

    def _penalty_value(self, theta, n_weights):
        alpha, l1_ratio = resolve_penalty(self.penalty, self.alpha, self.l1_ratio)
        if alpha == 0.0:
            return 0.0
        w = theta[:n_weights].astype(np.float64, copy=False)
        return float(alpha * (l1_ratio * np.abs(w).sum() + 0.5 * (1.0 - l1_ratio) * (w @ w)))

    def _check_numeric(self):
        for name in ("alpha", "learning_rate_init", "epsilon", "input_noise"):
            value = getattr(self, name)
            if not np.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}.")
        if self.max_norm is not None and not np.isfinite(self.max_norm):
            raise ValueError(f"max_norm must be finite or None, got {self.max_norm!r}.")

    def _initialize(self, sizes, dtype, rng):
        """Glorot-uniform weights and biases (scikit-learn's scheme), gamma=1, beta=0."""
        w_off, b_off, bn_off, n_weights, n_params = _layout(sizes, self.batch_norm)
        theta = np.zeros(n_params, dtype=np.float64)
        factor = 2.0 if self.activation == "logistic" else 6.0
        L = len(sizes) - 1
        for l in range(L):
            fan_in, fan_out = sizes[l], sizes[l + 1]
            bound = np.sqrt(factor / (fan_in + fan_out))
            theta[w_off[l]:w_off[l] + fan_in * fan_out] = rng.uniform(
                -bound, bound, fan_in * fan_out
            )
            bias = rng.uniform(-bound, bound, fan_out)
            if not (self.batch_norm and l < L - 1):
                theta[b_off[l]:b_off[l] + fan_out] = bias
        if self.batch_norm:
            for l in range(L - 1):
                theta[bn_off[l]:bn_off[l] + sizes[l + 1]] = 1.0
        n_hidden_units = sum(sizes[1:-1])
        bn_run = np.zeros(2 * n_hidden_units, dtype=dtype)
        bn_run[n_hidden_units:] = 1.0
        return theta.astype(dtype), bn_run

    def _pack(self, sizes, dtype):
        """The fitted parameters as the flat vectors the kernels use (copies)."""
        w_off, b_off, bn_off, n_weights, n_params = _layout(sizes, self._fitted_batch_norm())
        theta = np.empty(n_params, dtype=dtype)
        for l, (W, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            theta[w_off[l]:w_off[l] + W.size] = W.ravel()
            theta[b_off[l]:b_off[l] + b.size] = b
        for l, (g, be) in enumerate(zip(self.batch_norm_scales_, self.batch_norm_shifts_)):
            theta[bn_off[l]:bn_off[l] + g.size] = g
            theta[bn_off[l] + g.size:bn_off[l] + 2 * g.size] = be
        bn_run = np.concatenate(
            [np.zeros(0)] + list(self.batch_norm_running_means_)
            + list(self.batch_norm_running_vars_)
        ).astype(dtype)
        return theta, bn_run

    def _unpack(self, theta, bn_run, sizes):
        w_off, b_off, bn_off, n_weights, n_params = _layout(sizes, self.batch_norm)
        L = len(sizes) - 1
        coefs = [theta[w_off[l]:w_off[l] + sizes[l] * sizes[l + 1]].reshape(sizes[l], sizes[l + 1]).copy()
                 for l in range(L)]
        intercepts = [theta[b_off[l]:b_off[l] + sizes[l + 1]].copy() for l in range(L)]
        scales, shifts, means, variances = [], [], [], []
        if self.batch_norm:
            H = sum(sizes[1:-1])
            pos = 0
            for l in range(L - 1):
                n = sizes[l + 1]
                scales.append(theta[bn_off[l]:bn_off[l] + n].copy())
                shifts.append(theta[bn_off[l] + n:bn_off[l] + 2 * n].copy())
                means.append(bn_run[pos:pos + n].copy())
                variances.append(bn_run[H + pos:H + pos + n].copy())
                pos += n
        return coefs, intercepts, scales, shifts, means, variances

    @staticmethod
    def _kernel_arrays(X):
        """``(X_dense, data, indices, indptr, is_sparse)`` in the kernels' layout."""
        if sp.issparse(X):
            X = as_csr(X)
            data, indices, indptr = X.data, X.indices, X.indptr
            if not data.flags.writeable:  # numba types read-only arrays separately
                data = data.copy()
            if not indices.flags.writeable or not indptr.flags.writeable:
                indices, indptr = indices.copy(), indptr.copy()
            dense = np.empty((0, X.shape[1]), dtype=data.dtype)
            return dense, data, indices, indptr, True
        X = np.ascontiguousarray(X)
        if X.dtype not in FLOAT_DTYPES:
            X = X.astype(np.float64)
        if not X.flags.writeable:
            X = X.copy()
        empty_i = np.empty(0, dtype=np.int32)
        return X, np.empty(0, dtype=X.dtype), empty_i, np.zeros(1, dtype=np.int32), False

    def _validation_split(self, y_idx, sw, keys, seed):
        """Boolean mask of the held-out rows: stratified, by content, by weight.

        Within each class the rows are ordered by a seeded hash of their
        content; whole groups of identical rows are moved to the validation
        set while the class's held-out weight is below
        ``validation_fraction`` of its weight. The last group of each class
        stays in training, and zero-weight rows always do, so the split of a
        weighted data set is the split of its repeated version.
        """
        n = y_idx.shape[0]
        val = np.zeros(n, dtype=bool)
        salt = np.uint64((int(seed) * 0x9E3779B97F4A7C15) % (1 << 64))
        for c in np.unique(y_idx):
            idx = np.flatnonzero((y_idx == c) & (sw > 0))
            if idx.size == 0:
                continue
            order = idx[np.argsort(keys[idx] ^ salt, kind="stable")]
            ks = keys[order]
            starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
            ends = np.r_[starts[1:], ks.size]
            target = self.validation_fraction * sw[idx].sum()
            held = 0.0
            for s, e in zip(starts[:-1], ends[:-1]):
                if held >= target:
                    break
                val[order[s:e]] = True
                held += sw[order[s:e]].sum()
        if not np.any(val):
            raise ValueError(
                "early_stopping=True but validation_fraction="
                f"{self.validation_fraction} leaves no validation sample (every class needs "
                "at least two distinct samples); use more data or early_stopping=False."
            )
        return val

    def _fit(self, X, y, sample_weight, incremental, classes):
        self._check_numeric()
        first = not hasattr(self, "coefs_") or not (incremental or self.warm_start)
        check_numeric_input(X)
        X, y = validate_data(
            self, X, y, accept_sparse="csr", dtype=FLOAT_DTYPES, reset=first,
        )
        check_classification_targets(y)
        target_type = type_of_target(y)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(
                f"ElasticNetMLPClassifier supports binary and multiclass targets, got {target_type}."
            )
        if first:
            if incremental:
                if classes is None:
                    raise ValueError("classes must be passed on the first call to partial_fit.")
                all_classes = np.unique(np.asarray(classes))
            else:
                all_classes = np.unique(y)
            if all_classes.shape[0] < 2:
                raise ValueError(
                    "ElasticNetMLPClassifier needs samples of at least 2 classes in the data; "
                    f"got 1 class: {all_classes!r}."
                )
        else:
            all_classes = self.classes_
            if incremental and classes is not None and not np.array_equal(
                np.unique(np.asarray(classes)), self.classes_
            ):
                raise ValueError(
                    f"classes={classes!r} differs from the classes of the first partial_fit "
                    f"call, {self.classes_!r}."
                )
        unseen = np.setdiff1d(np.unique(y), all_classes)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen!r} that are not among the fitted classes "
                f"{all_classes!r}."
            )
        y_idx = np.searchsorted(all_classes, y).astype(np.int64)
        sw = normalized_sample_weight(sample_weight, X)

        hidden = self._hidden_sizes()
        drop = self._dropout_rates(len(hidden))
        n_out = 1 if all_classes.shape[0] == 2 else all_classes.shape[0]
        sizes_list = [X.shape[1]] + hidden + [n_out]
        sizes = np.asarray(sizes_list, dtype=np.int64)
        Xd, data, indices, indptr, is_sparse = self._kernel_arrays(X)
        dtype = Xd.dtype
        w_off, b_off, bn_off, n_weights, n_params = _layout(sizes_list, self.batch_norm)

        # ---- state: fresh or continued (copies, so a failed fit leaves self intact)
        if first:
            seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
            rng = np.random.default_rng(seed)
            theta, bn_run = self._initialize(sizes_list, dtype, rng)
            m = np.zeros(n_params, dtype=dtype)
            v = np.zeros(n_params, dtype=dtype)
            n_steps, n_epochs_done, n_iter, t_seen = 0, 0, 0, 0
            loss_curve, val_scores = [], []
            best_loss, best_val = np.inf, -np.inf
        else:
            expected = [W.shape[1] for W in self.coefs_[:-1]]
            if (expected != hidden or self.coefs_[-1].shape[1] != n_out
                    or len(self.batch_norm_scales_) != (len(hidden) if self.batch_norm else 0)):
                raise ValueError(
                    "The network's architecture (hidden_layer_sizes, batch_norm) changed since "
                    "the previous fit; warm_start / partial_fit need the same architecture."
                )
            seed = self._seed
            theta, bn_run = self._pack(sizes_list, dtype)
            m, v = self._opt_state
            if m.shape[0] != n_params:
                m = np.zeros(n_params, dtype=dtype)
                v = np.zeros(n_params, dtype=dtype)
            m = m.astype(dtype, copy=True)
            v = v.astype(dtype, copy=True)
            n_steps, n_epochs_done = self._n_steps, self._n_epochs_done
            n_iter, t_seen = self.n_iter_, self.t_
            loss_curve = list(self.loss_curve_)
            val_scores = list(self.validation_scores_ or [])
            best_loss = self.best_loss_ if self.best_loss_ is not None else np.inf
            best_val = (self.best_validation_score_
                        if self.best_validation_score_ is not None else -np.inf)

        keys = K.row_keys(Xd, data, indices, indptr, is_sparse)
        early_stopping = self.early_stopping and not incremental
        if early_stopping:
            val = self._validation_split(y_idx, sw, keys, seed)
            train_rows = np.flatnonzero(~val)
            val_rows = np.flatnonzero(val)
            Xv = X[val_rows]
            Xv_arrays = self._kernel_arrays(Xv.astype(dtype) if not sp.issparse(Xv) else Xv)
            yv = y_idx[val_rows]
            swv = sw[val_rows]
            w_train = np.zeros_like(sw)
            w_train[train_rows] = sw[train_rows] / sw[train_rows].sum()
            val_scores = [] if first else val_scores
        else:
            train_rows = np.arange(X.shape[0])
            w_train = sw
        n_train = train_rows.shape[0]
        if self.batch_size == "auto":
            batch = min(200, n_train)
        else:
            if self.batch_size > n_train:
                warnings.warn(
                    f"batch_size={self.batch_size} is larger than the {n_train} training samples;"
                    " it is clipped to that.",
                    UserWarning,
                )
            batch = min(self.batch_size, n_train)
        opts, hyper = self._options(is_sparse, batch, seed)

        best_state = None
        no_improve = 0
        n_epochs = 1 if incremental else self.max_iter
        stopped = False
        with fit_blas_threads(single_thread=batch <= _SINGLE_THREAD_BATCH):
            for _ in range(n_epochs):
                if self.shuffle and batch < n_train:
                    perm = np.random.default_rng([seed, n_epochs_done]).permutation(n_train)
                    order = np.ascontiguousarray(train_rows[perm])
                else:
                    order = train_rows
                loss, n_steps, status = K.train_epoch(
                    Xd, data, indices, indptr, y_idx, w_train, keys, order, theta, m, v, bn_run,
                    sizes, w_off, b_off, bn_off, n_weights, drop, opts, hyper, n_epochs_done,
                    n_steps,
                )
                if status != 0 or not np.isfinite(loss):
                    raise ValueError(
                        f"The training loss became non-finite (nan or inf) at epoch {n_iter + 1}: "
                        f"learning_rate_init={self.learning_rate_init} is probably too large for "
                        f"this problem (or alpha={self.alpha} is, or the inputs are badly scaled). "
                        "Lower learning_rate_init or alpha, or standardize X. The estimator's "
                        "previous fitted state is left unchanged."
                    )
                n_epochs_done += 1
                n_iter += 1
                t_seen += n_train
                loss = float(loss) + self._penalty_value(theta, n_weights)
                loss_curve.append(loss)
                if early_stopping:
                    logits = K.predict_logits(*Xv_arrays[:4], theta, bn_run, sizes, w_off, b_off,
                                              bn_off, self._options(Xv_arrays[4], batch, seed)[0],
                                              hyper, _PREDICT_CHUNK)
                    pred = (logits[:, 0] > 0).astype(np.int64) if n_out == 1 else logits.argmax(1)
                    score = float(np.sum(swv * (pred == yv)) / np.sum(swv))
                    val_scores.append(score)
                    if score < best_val + self.tol:
                        no_improve += 1
                    else:
                        no_improve = 0
                    if score > best_val:
                        best_val = score
                        best_state = (theta.copy(), bn_run.copy(), m.copy(), v.copy())
                else:
                    if loss > best_loss - self.tol:
                        no_improve += 1
                    else:
                        no_improve = 0
                    if loss < best_loss:
                        best_loss = loss
                if self.verbose:
                    msg = f"Epoch {n_iter}, loss = {loss:.8f}"
                    if early_stopping:
                        msg += f", validation score = {val_scores[-1]:.6f}"
                    print(msg)
                if not incremental and no_improve > self.n_iter_no_change:
                    stopped = True
                    break
        if not incremental and not stopped:
            warnings.warn(
                f"ElasticNetMLPClassifier: maximum number of epochs ({self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
        if early_stopping and best_state is not None:
            theta, bn_run, m, v = best_state

        # ---- commit: only now is the estimator's state replaced
        coefs, intercepts, scales, shifts, means, variances = self._unpack(theta, bn_run, sizes_list)
        self.classes_ = all_classes
        self.coefs_ = coefs
        self.intercepts_ = intercepts
        self.batch_norm_scales_ = scales
        self.batch_norm_shifts_ = shifts
        self.batch_norm_running_means_ = means
        self.batch_norm_running_vars_ = variances
        self._opt_state = (m, v)
        self._seed = seed
        self._n_steps = n_steps
        self._n_epochs_done = n_epochs_done
        self.n_iter_ = n_iter
        self.t_ = t_seen
        self.loss_curve_ = loss_curve
        self.loss_ = loss_curve[-1]
        if early_stopping:
            self.validation_scores_ = val_scores
            self.best_validation_score_ = best_val
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = best_loss
        self.n_layers_ = len(sizes_list)
        self.n_outputs_ = n_out
        self.out_activation_ = "logistic" if n_out == 1 else "softmax"
        n_total = sum(W.size for W in coefs)
        self.n_zero_weights_ = int(sum(np.count_nonzero(W == 0.0) for W in coefs))
        self.zero_weight_fraction_ = self.n_zero_weights_ / n_total
        return self

    # ------------------------------------------------------------- predict

    def _fitted_batch_norm(self):
        return len(self.batch_norm_scales_) > 0

    def _logits(self, X):
        check_is_fitted(self)
        check_numeric_input(X)
        X = validate_data(self, X, accept_sparse="csr", dtype=FLOAT_DTYPES, reset=False)
        dtype = self.coefs_[0].dtype
        X = X.astype(dtype, copy=False)
        sizes_list = [self.n_features_in_] + [W.shape[1] for W in self.coefs_]
        sizes = np.asarray(sizes_list, dtype=np.int64)
        w_off, b_off, bn_off, n_weights, n_params = _layout(sizes_list, self._fitted_batch_norm())
        theta, bn_run = self._pack(sizes_list, dtype)
        Xd, data, indices, indptr, is_sparse = self._kernel_arrays(X)
        opts = np.zeros(K.N_OPTS, dtype=np.int64)
        opts[K.O_ACT] = _ACTIVATIONS[self.activation]
        opts[K.O_SPARSE] = int(is_sparse)
        opts[K.O_BN] = int(self._fitted_batch_norm())
        hyper = np.zeros(K.N_HYPER, dtype=np.float64)
        hyper[K.H_BN_EPS] = _BN_EPS
        logits = K.predict_logits(Xd, data, indices, indptr, theta, bn_run, sizes, w_off, b_off,
                                  bn_off, opts, hyper, _PREDICT_CHUNK)
        return logits.astype(np.float64)

    def predict_log_proba(self, X):
        """Log of the class probabilities (computed stably from the logits).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns ordered as ``classes_``.
        """
        Z = self._logits(X)
        if Z.shape[1] == 1:
            z = Z[:, 0]
            return np.column_stack([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)])
        zmax = Z.max(axis=1, keepdims=True)
        return Z - (zmax + np.log(np.exp(Z - zmax).sum(axis=1, keepdims=True)))

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns ordered as ``classes_``; rows sum to one.
        """
        Z = self._logits(X)
        if Z.shape[1] == 1:
            p1 = 1.0 / (1.0 + np.exp(-np.clip(Z[:, 0], -700.0, 700.0)))
            return np.column_stack([1.0 - p1, p1])
        Z = Z - Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        return P

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The class of highest probability.
        """
        Z = self._logits(X)
        if Z.shape[1] == 1:
            idx = (Z[:, 0] > 0).astype(np.int64)
        else:
            idx = Z.argmax(axis=1)
        return self.classes_[idx]
