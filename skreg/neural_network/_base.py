"""What the network classifier and regressor share: parameters, the training loop, inference."""

import copy
import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import FLOAT_DTYPES, as_csr, check_numeric_input, fit_blas_threads
from .._validation import fit_thread_budget, keep_fitted_state_on_error, kernel_view
from .._validation import normalized_sample_weight, resolve_penalty
from ._layout import Layout, Params, Running
from ._optimizer import OptimizerSettings, OptimizerState
from ._stopping import StoppingRule
from ._training import InputArrays, NetworkSettings, loss_and_gradient, predict_raw, train_epoch
from ._training import use_two_threads

#: Rows per chunk at predict time (bounds the memory of the activations).
PREDICT_CHUNK = 512
#: Mini-batches of at most this many rows train with single-threaded BLAS: their GEMMs are
#: too small to split across threads (measured on the benchmark machine: no gain even for the
#: bare products), and idle BLAS workers that busy-wait steal cycles from the fused
#: elementwise loops in between.
SINGLE_THREAD_BATCH = 256


class Targets(NamedTuple):
    """The training targets as the loss kernel reads them (see ``_training._OUTPUT_LOSS``)."""

    values: np.ndarray  #: int64 class indices (1-D) or 2-D targets in the training dtype
    n_outputs: int
    loss: str
    strata: np.ndarray  #: int64 group of every row for the stratified validation split
    classes: object  #: the classifier's ``classes_`` (None for regression)


class ValidationSet(NamedTuple):
    inputs: InputArrays
    targets: np.ndarray
    sample_weight: np.ndarray


def input_arrays(X):
    """``X`` (validated: ndarray or sparse) as :class:`InputArrays`."""
    if sp.issparse(X):
        X = as_csr(X)
        # kernel_view: read-only input reuses the writeable signatures, without a copy
        data, indices, indptr = (kernel_view(a) for a in (X.data, X.indices, X.indptr))
        return InputArrays(np.empty((0, X.shape[1]), dtype=data.dtype), data, indices, indptr,
                           True)
    X = np.ascontiguousarray(X)
    if X.dtype not in FLOAT_DTYPES:
        X = X.astype(np.float64)
    return InputArrays(kernel_view(X), np.empty(0, dtype=X.dtype), np.empty(0, dtype=np.int32),
                       np.zeros(1, dtype=np.int32), False)


class _TrainingState:
    """Everything a fit continues from: parameters, optimizer, counters, curves."""

    def __init__(self, seed, theta, running, optimizer, n_epochs, t, loss_curve,
                 validation_scores, best_loss):
        self.seed, self.theta, self.running, self.optimizer = seed, theta, running, optimizer
        self.n_epochs = n_epochs  # epochs ever run: keys the shuffles and the random masks
        self.t = t
        self.loss_curve, self.validation_scores = loss_curve, validation_scores
        self.best_loss = best_loss

    def snapshot(self):
        """Copies of the parameters and the optimizer's state (the best epoch so far)."""
        opt = self.optimizer
        return (self.theta.copy(), self.running.copy(),
                OptimizerState(opt.first_moment.copy(), opt.second_moment.copy(), opt.n_steps))

    def restore(self, snapshot):
        self.theta, self.running, self.optimizer = snapshot

    @classmethod
    def fresh(cls, est, layout, dtype):
        seed = int(check_random_state(est.random_state).randint(np.iinfo(np.int32).max))
        theta, running = layout.initialize(est.activation, dtype, np.random.default_rng(seed))
        return cls(seed, theta, running, OptimizerState.zeros(layout.n_params, dtype), 0, 0, [],
                   [], np.inf)

    @classmethod
    def resume(cls, est, layout, dtype):
        """Copies of the fitted state, so that a failed fit leaves ``est`` intact."""
        theta, running = layout.pack(est._fitted_params(), est._fitted_running(), dtype)
        best_loss = est.best_loss_ if est.best_loss_ is not None else np.inf
        return cls(est._seed, theta, running,
                   OptimizerState(*est._optimizer_state).matching(layout.n_params, dtype),
                   est._n_epochs,
                   est.t_, list(est.loss_curve_), list(est.validation_scores_ or []), best_loss)


class BaseElasticNetMLP(BaseEstimator):
    """Shared parameters, training loop and inference of the network estimators.

    Subclasses define the targets (:meth:`_encode_targets`), the validation
    score of early stopping (:meth:`_validation_score`) and the predictions.
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
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "group_alpha": [Interval(Real, 0, None, closed="left")],
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
        max_grad_norm=None,
        group_alpha=0.0,
        batch_norm=False,
        input_noise=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        scoring=None,
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
        self.max_grad_norm = max_grad_norm
        self.group_alpha = group_alpha
        self.batch_norm = batch_norm
        self.input_noise = input_noise
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.scoring = scoring

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -------------------------------------------------------- settings

    def _check_numeric(self):
        for name in ("alpha", "learning_rate_init", "epsilon", "input_noise", "group_alpha"):
            value = getattr(self, name)
            if not np.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}.")
        for name in ("max_norm", "max_grad_norm"):
            value = getattr(self, name)
            if value is not None and not np.isfinite(value):
                raise ValueError(f"{name} must be finite or None, got {value!r}.")

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

    def _network_settings(self, loss, n_hidden, seed):
        return NetworkSettings(
            activation=self.activation, loss=loss, batch_norm=bool(self.batch_norm),
            dropout=self._dropout_rates(n_hidden), input_noise=float(self.input_noise),
            seed=int(seed),
        )

    def _optimizer_settings(self):
        alpha, l1_ratio = resolve_penalty(self.penalty, self.alpha, self.l1_ratio)
        return OptimizerSettings(
            solver=self.solver, learning_rate=float(self.learning_rate_init),
            beta_1=float(self.beta_1), beta_2=float(self.beta_2), epsilon=float(self.epsilon),
            momentum=float(self.momentum), nesterov=bool(self.nesterovs_momentum),
            l1=alpha * l1_ratio, l2=alpha * (1.0 - l1_ratio),
            max_norm=None if self.max_norm is None else float(self.max_norm),
            max_grad_norm=None if self.max_grad_norm is None else float(self.max_grad_norm),
            group_alpha=float(self.group_alpha),
        )

    def _penalty_value(self, theta, layout):
        alpha, l1_ratio = resolve_penalty(self.penalty, self.alpha, self.l1_ratio)
        value = 0.0
        if alpha > 0.0:
            w = theta[:layout.n_weights].astype(np.float64, copy=False)
            value += alpha * (l1_ratio * np.abs(w).sum() + 0.5 * (1.0 - l1_ratio) * (w @ w))
        if self.group_alpha > 0.0:
            W0 = layout.views(theta).coefs[0].astype(np.float64, copy=False)
            value += self.group_alpha * np.linalg.norm(W0, axis=1).sum()
        return float(value)

    def _batch_size(self, n_train):
        if self.batch_size == "auto":
            return min(200, n_train)
        if self.batch_size > n_train:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n_train} training samples;"
                " it is clipped to that.",
                UserWarning,
            )
        return min(self.batch_size, n_train)

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_fitted_state_on_error
    def fit(self, X, y, sample_weight=None):
        """Fit the network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 trains in float32. Sparse input as CSR.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (any type) or a 0/1 multilabel indicator matrix for
            the classifier; real targets for the regressor.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights equal repeated rows.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _validation_split(self, strata, sw, keys, seed):
        """Boolean mask of the held-out rows: stratified, by content, by weight.

        Within each stratum (a class, or all rows) the rows are ordered by a
        seeded hash of their content; whole groups of identical rows are
        moved to the validation set while the stratum's held-out weight is
        below ``validation_fraction`` of its weight. The last group of each
        stratum stays in training, and zero-weight rows always do, so the
        split of a weighted data set is the split of its repeated version.
        """
        val = np.zeros(strata.shape[0], dtype=bool)
        salt = np.uint64((int(seed) * 0x9E3779B97F4A7C15) % (1 << 64))
        for c in np.unique(strata):
            idx = np.flatnonzero((strata == c) & (sw > 0))
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
            n = int(np.count_nonzero(sw > 0))
            raise ValueError(
                "early_stopping=True but validation_fraction="
                f"{self.validation_fraction} leaves no validation sample out of {n} sample(s) "
                "of positive weight (every class needs at least two distinct samples); use "
                "more data or early_stopping=False."
            )
        return val

    def _split(self, X, targets, sw, keys, seed, dtype, early_stopping):
        """Training rows, their weights, and the :class:`ValidationSet` (or None)."""
        if not early_stopping:
            return np.arange(X.shape[0]), sw, None
        val = self._validation_split(targets.strata, sw, keys, seed)
        train_rows, val_rows = np.flatnonzero(~val), np.flatnonzero(val)
        Xv = X[val_rows]
        w_train = np.zeros_like(sw)
        w_train[train_rows] = sw[train_rows] / sw[train_rows].sum()
        validation = ValidationSet(input_arrays(Xv if sp.issparse(Xv) else Xv.astype(dtype)),
                                   targets.values[val_rows], sw[val_rows])
        return train_rows, w_train, validation

    def _diverged(self, epoch):
        return ValueError(
            f"The training loss became non-finite (nan or inf) at epoch {epoch}: "
            f"learning_rate_init={self.learning_rate_init} is probably too large for "
            f"this problem (or alpha={self.alpha} is, or the inputs are badly scaled). "
            "Lower learning_rate_init or alpha, set max_grad_norm, or standardize X. The "
            "estimator's previous fitted state is left unchanged."
        )

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        """Train (``max_iter`` epochs, or one for ``partial_fit``) and commit the result.

        The shape of scikit-learn's ``_fit_stochastic``: the training state
        (fresh or continued), the validation split, the epochs
        (:meth:`_train_epochs`), then the commit: nothing on ``self``
        changes before it, so a failed fit leaves the estimator as it was.
        """
        self._check_numeric()
        first = not hasattr(self, "coefs_") or not (incremental or self.warm_start)
        check_numeric_input(X)
        X, y = self._validate_training_data(X, y, reset=first)
        inputs = input_arrays(X)
        targets = self._encode_targets(y, first, incremental, classes, inputs.dtype)
        sw = normalized_sample_weight(sample_weight, X)
        hidden = self._hidden_sizes()
        layout = Layout([X.shape[1], *hidden, targets.n_outputs], self.batch_norm)
        if first:
            state = _TrainingState.fresh(self, layout, inputs.dtype)
        else:
            self._check_architecture(layout)
            state = _TrainingState.resume(self, layout, inputs.dtype)
        early_stopping = self.early_stopping and not incremental
        settings = self._network_settings(targets.loss, len(hidden), state.seed)
        # the rows' content hashes key the random masks and the validation split; without
        # either (a hashing pass over X, as long as 0.4 epoch on MNIST) all keys are 0
        if early_stopping or settings.dropout.any() or settings.input_noise > 0.0:
            keys = inputs.row_keys()
        else:
            keys = np.zeros(inputs.n_samples, dtype=np.uint64)
        train_rows, w_train, validation = self._split(X, targets, sw, keys, state.seed,
                                                      inputs.dtype, early_stopping)
        n_iter, best_score = self._train_epochs(
            state, layout, settings, inputs, keys, targets.values, train_rows, w_train,
            validation, incremental)
        self._commit(layout, state, n_iter, targets, early_stopping, best_score)
        return self

    def _train_epochs(self, state, layout, settings, inputs, keys, targets, train_rows, w_train,
                      validation, incremental):
        """Epochs from ``state`` (updated in place); returns ``(n_iter, best score)``.

        ``max_iter`` epochs, stopped early by the :class:`StoppingRule` on the
        validation score (with a ``validation`` set, whose best epoch's state
        is restored at the end) or on the training objective; one epoch for
        ``partial_fit`` (``incremental``).
        """
        n_epochs = 1 if incremental else self.max_iter
        batch = self._batch_size(train_rows.shape[0])
        opt_settings = self._optimizer_settings()
        best = -np.inf if validation is not None else -state.best_loss
        rule = StoppingRule(self.tol, self.n_iter_no_change, best=best)
        best_state, n_iter = None, 0
        # The second core: mini-batches split across two threads, each with one BLAS thread
        # (multi-threaded BLAS on mini-batch products collapses when another process holds a
        # core: 6-15x slower than one thread on the loaded 2-core machine, the split 1.3x).
        two_threads = use_two_threads(fit_thread_budget(), batch, layout, settings)
        with fit_blas_threads(single_thread=batch <= SINGLE_THREAD_BATCH or two_threads):
            while n_iter < n_epochs:
                loss, state.optimizer, finite = train_epoch(
                    inputs, keys, targets, w_train, self._epoch_order(train_rows, batch, state),
                    settings, layout, state.theta, state.running, opt_settings, state.optimizer,
                    batch, state.n_epochs, two_threads)
                n_iter += 1
                if not finite:
                    raise self._diverged(n_iter)
                state.n_epochs += 1
                state.t += train_rows.shape[0]
                state.loss_curve.append(float(loss) + self._penalty_value(state.theta, layout))
                if validation is not None:
                    raw = predict_raw(validation.inputs, layout.views(state.theta),
                                      layout.running_views(state.running), self.activation,
                                      PREDICT_CHUNK, two_threads)
                    state.validation_scores.append(self._validation_score(
                        raw, validation.targets, validation.sample_weight))
                    if rule.update(state.validation_scores[-1]):
                        best_state = state.snapshot()
                else:
                    rule.update(-state.loss_curve[-1])
                    state.best_loss = min(state.best_loss, state.loss_curve[-1])
                self._report_epoch(n_iter, state, validation is not None)
                if not incremental and rule.should_stop:
                    break
            else:
                if not incremental:
                    warnings.warn(
                        f"{type(self).__name__}: maximum number of epochs ({self.max_iter}) "
                        "reached and the optimization hasn't converged yet.",
                        ConvergenceWarning,
                    )
        if best_state is not None:  # early stopping: the best epoch's weights
            state.restore(best_state)
        return n_iter, rule.best

    def _epoch_order(self, train_rows, batch, state):
        """The rows of the next epoch, reshuffled by ``(seed, epoch)`` for mini-batches."""
        n_train = train_rows.shape[0]
        if self.shuffle and batch < n_train:
            perm = np.random.default_rng([state.seed, state.n_epochs]).permutation(n_train)
            return np.ascontiguousarray(train_rows[perm])
        return train_rows

    def _report_epoch(self, n_iter, state, early_stopping):
        if self.verbose:
            msg = f"Epoch {n_iter}, loss = {state.loss_curve[-1]:.8f}"
            if early_stopping:
                msg += f", validation score = {state.validation_scores[-1]:.6f}"
            print(msg)

    def _check_architecture(self, layout):
        if (layout.sizes[1:] != [W.shape[1] for W in self.coefs_]
                or len(self.batch_norm_scales_) != (len(layout.sizes) - 2 if self.batch_norm
                                                    else 0)):
            raise ValueError(
                "The network's architecture (hidden_layer_sizes, batch_norm, the number of "
                "outputs) changed since the previous fit; warm_start / partial_fit need the "
                "same architecture."
            )

    def _commit(self, layout, state, n_iter, targets, early_stopping, best_score):
        """Replace the fitted attributes (only now does the estimator change)."""
        params, running = layout.unpack(state.theta, state.running)
        self.coefs_, self.intercepts_ = params.coefs, params.intercepts
        self.batch_norm_scales_, self.batch_norm_shifts_ = params.bn_scales, params.bn_shifts
        self.batch_norm_running_means_ = running.means
        self.batch_norm_running_vars_ = running.variances
        # a plain tuple (arrays, int): the fitted state holds no skreg-defined helper types
        self._optimizer_state = (state.optimizer.first_moment, state.optimizer.second_moment,
                                 int(state.optimizer.n_steps))
        self._seed = state.seed
        self._n_epochs = state.n_epochs
        self.n_iter_ = n_iter
        self.t_ = state.t
        self.loss_curve_ = state.loss_curve
        self.loss_ = state.loss_curve[-1]
        if early_stopping:
            self.validation_scores_ = state.validation_scores
            self.best_validation_score_ = best_score
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = state.best_loss
        self.n_layers_ = len(layout.sizes)
        self.n_outputs_ = targets.n_outputs
        self._commit_targets(targets)
        n_total = sum(W.size for W in self.coefs_)
        self.n_zero_weights_ = int(sum(np.count_nonzero(W == 0.0) for W in self.coefs_))
        self.zero_weight_fraction_ = self.n_zero_weights_ / n_total

    # ------------------------------------------------- feature selection

    @property
    def input_support_(self):
        """Boolean mask of the inputs still connected to the network.

        Input ``j`` is connected when row ``j`` of ``coefs_[0]`` (its outgoing
        weights) has a non-zero entry; ``group_alpha`` (or an L1 penalty)
        disconnects inputs by setting whole rows exactly to zero.
        """
        check_is_fitted(self)
        return np.any(self.coefs_[0] != 0.0, axis=1)

    @property
    def feature_importances_(self):
        """Group norms ``||coefs_[0][j, :]||_2`` of the inputs, normalized to sum to 1.

        Zero exactly for the disconnected inputs (all zeros if no input is
        left), so :class:`sklearn.feature_selection.SelectFromModel` can
        select on them (``threshold`` just above 0 keeps ``input_support_``).
        """
        check_is_fitted(self)
        norms = np.linalg.norm(self.coefs_[0].astype(np.float64), axis=1)
        total = norms.sum()
        return norms / total if total > 0.0 else norms

    def _group_alpha_scale(self, y):
        """Scale of the default ``group_path`` grid (the loss gradients' scale)."""
        return 1.0

    def group_path(self, X, y, group_alphas=None, *, n_group_alphas=12, sample_weight=None):
        """Fit networks along increasing ``group_alpha``, each warm-started from the previous.

        The estimator's parameters define every network of the path; only
        ``group_alpha`` changes. The first ``group_alpha`` is fitted from the
        initialization, each next one continues from the previous network's
        weights and optimizer state (as ``warm_start=True``) with a fresh
        stopping rule (the objective changed). Inputs leave the network one
        by one as ``group_alpha`` grows. Starting from the less penalized end
        matters: a large ``group_alpha`` from a random initialization can
        disconnect every input before the network has learnt what they do.
        The estimator itself is not modified.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (standardize dense features: the penalty weighs
            every input's weights alike).
        y : array-like
            Targets, as for ``fit``.
        group_alphas : array-like of float, default=None
            The values to fit, each ``>= 0``; fitted in increasing order. By
            default ``n_group_alphas`` values spaced evenly on a log scale
            from ``1e-3 * s`` to ``s``, where ``s`` is 1 for the classifier
            and the targets' standard deviation for the regressor (the scale
            of the loss gradients, hence of the ``group_alpha`` at which an
            input leaves); the path then stops at the first value that
            leaves no input.
        n_group_alphas : int, default=12
            Size of the default grid.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights of every fit.

        Returns
        -------
        path : sklearn.utils.Bunch
            ``group_alphas`` (ndarray of shape (n_fits,), increasing): the
            values fitted; ``group_norms`` (ndarray of shape (n_fits,
            n_features)): ``||coefs_[0][j, :]||_2`` of every input after each
            fit (exactly 0 for a disconnected input); ``n_iter`` (ndarray of
            int): epochs of each fit; ``estimators`` (list): the fitted
            networks (independent copies, with this estimator's
            ``warm_start``).
        """
        from sklearn.base import clone
        from sklearn.utils import Bunch

        if not (isinstance(n_group_alphas, Integral) and n_group_alphas >= 1):
            raise ValueError(f"n_group_alphas must be an int >= 1, got {n_group_alphas!r}.")
        stop_when_empty = group_alphas is None
        if group_alphas is None:
            grid = self._group_alpha_scale(y) * np.geomspace(1e-3, 1.0, n_group_alphas)
        else:
            grid = np.sort(np.asarray(group_alphas, dtype=np.float64).ravel())
            if grid.size == 0 or not np.all(np.isfinite(grid)) or grid[0] < 0:
                raise ValueError("group_alphas must be a non-empty array of finite values >= 0, "
                                 f"got {group_alphas!r}.")
        est = clone(self).set_params(warm_start=True)
        norms, n_iter, estimators = [], [], []
        for value in grid:
            est.set_params(group_alpha=float(value))
            if hasattr(est, "best_loss_"):
                est.best_loss_ = None  # the objective changed: restart the stopping rule
            est.fit(X, y, sample_weight=sample_weight)
            fitted = copy.deepcopy(est).set_params(warm_start=self.warm_start)
            estimators.append(fitted)
            norms.append(np.linalg.norm(fitted.coefs_[0].astype(np.float64), axis=1))
            n_iter.append(fitted.n_iter_)
            if stop_when_empty and not fitted.input_support_.any():
                break
        return Bunch(group_alphas=grid[:len(norms)], group_norms=np.array(norms),
                     n_iter=np.array(n_iter), estimators=estimators)

    # ------------------------------------------------------------- predict

    def _fitted_params(self):
        return Params(self.coefs_, self.intercepts_, self.batch_norm_scales_,
                      self.batch_norm_shifts_)

    def _fitted_running(self):
        return Running(self.batch_norm_running_means_, self.batch_norm_running_vars_)

    def _fitted_layout(self):
        return Layout([self.n_features_in_] + [W.shape[1] for W in self.coefs_],
                      len(self.batch_norm_scales_) > 0)

    def _smooth_loss(self, X, y, sample_weight=None):
        """The data term of the objective on ``(X, y)`` as a function of the flat parameters.

        A small internal API for checking the math against independent
        references (gradients, optimality conditions). Returns ``(theta,
        layout, evaluate)``: the fitted parameters as one flat vector, its
        :class:`Layout` (``theta[:layout.n_weights]`` are the penalized
        weights), and ``evaluate(theta, epoch=0, dropout=None) -> (loss,
        grad)``, the full-batch training-mode loss (the dropout masks and
        noise of epoch ``epoch``, or the rates ``dropout`` instead of the
        fitted ones; batch statistics for batch norm) and its gradient.
        """
        check_is_fitted(self)
        X, y = self._validate_training_data(X, y, reset=False)
        dtype = self.coefs_[0].dtype
        inputs = input_arrays(X.astype(dtype, copy=False))
        targets = self._encode_targets(y, False, False, None, dtype)
        sw = normalized_sample_weight(sample_weight, X)
        layout = self._fitted_layout()
        theta, running = layout.pack(self._fitted_params(), self._fitted_running(), dtype)
        settings = self._network_settings(targets.loss, layout.n_layers - 1, self._seed)

        def evaluate(th, epoch=0, dropout=None):
            s = settings if dropout is None else settings._replace(dropout=np.asarray(dropout))
            return loss_and_gradient(inputs, targets.values, sw, s, layout, th, running.copy(),
                                     epoch)

        return theta, layout, evaluate

    def _raw_output(self, X):
        """The output layer's pre-activations (float64) on validated ``X``."""
        check_is_fitted(self)
        check_numeric_input(X)
        X = validate_data(self, X, accept_sparse="csr", dtype=FLOAT_DTYPES, reset=False)
        dtype = self.coefs_[0].dtype
        inputs = input_arrays(X.astype(dtype, copy=False))
        args = (self._fitted_params(), self._fitted_running(), self.activation, PREDICT_CHUNK)
        # the second core: the row chunks shared by two threads, each with one BLAS thread
        # (multi-threaded BLAS collapses when another process holds a core, see _train_epochs)
        if X.shape[0] >= 2 * PREDICT_CHUNK and fit_thread_budget() >= 2:
            with fit_blas_threads(single_thread=True):
                raw = predict_raw(inputs, *args, two_threads=True)
        else:
            raw = predict_raw(inputs, *args)
        bad = np.flatnonzero(np.isnan(raw).any(axis=1))
        if bad.size:
            raise ValueError(
                f"The network's output is undefined (nan) for {bad.size} row(s) of X, e.g. row "
                f"{bad[0]}: their values overflow the {dtype} arithmetic of the layers (an "
                "entry near the largest float, such as 1e308). Scale X as the training data "
                "was scaled."
            )
        return raw.astype(np.float64)
