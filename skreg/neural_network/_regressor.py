"""The network regressor: identity outputs, halved squared error."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import validate_data

from .._validation import FLOAT_DTYPES, keep_fitted_state_on_error, kernel_view
from ._base import BaseElasticNetMLP, Targets
from ._docs import compose

_TEMPLATE = """Multi-layer perceptron regressor trained by proximal SGD / Adam.

    A feed-forward network (``hidden_layer_sizes``, ``activation``) with
    identity outputs (one per target) whose weight matrices carry an L1, L2
    or elastic-net penalty. The L1 part is applied by its proximal operator,
    so weights become **exactly zero**. On top of it: dropout, max-norm
    constraints, gradient clipping, batch normalization, Gaussian input
    noise and early stopping on the held-out R^2 with restoration of the
    best weights. Parameters are named as in the classifier and as in
    scikit-learn's ``MLPRegressor``.

    Objective, with normalized sample weights ``s_i`` and ``K`` targets::

        F(W, b) = sum_i s_i * sum_k (f_k(x_i; W, b) - y_ik)^2 / (2 K) / sum_i s_i
                  + alpha * sum_l [ l1_ratio * ||W_l||_1 + (1 - l1_ratio) / 2 * ||W_l||_F^2 ]
                  + group_alpha * sum_j ||W_0[j, :]||_2

    the weighted mean of the halved squared error (averaged over the
    targets, as scikit-learn's ``MLPRegressor`` does).

    {update_rule}

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    {attributes}
    n_outputs_ : int
        Number of targets (output units).
    out_activation_ : str
        ``"identity"``.

    Notes
    -----
    {notes}

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from skreg.neural_network import ElasticNetMLPRegressor
    >>> X, y = make_friedman1(n_samples=2000, noise=0.5, random_state=0)
    >>> reg = ElasticNetMLPRegressor(hidden_layer_sizes=(64,), learning_rate_init=1e-2,
    ...                              max_iter=100, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.7
    True
    """


def _weighted_r2(Y, P, w):
    """R^2 of the columns of ``P`` for ``Y`` with weights ``w``, averaged over the columns.

    ``sklearn.metrics.r2_score`` gives nan for one row but 0 for several
    identical ones; here a held-out set of ``k`` copies of one row and that
    row with weight ``k`` score the same: a constant target scores 1 when
    predicted exactly, else 0 (``r2_score``'s ``force_finite`` convention).
    """
    w = w / w.sum()
    ss_res = w @ (Y - P) ** 2
    ss_tot = w @ (Y - w @ Y) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0.0, 1.0 - ss_res / ss_tot, np.where(ss_res == 0.0, 1.0, 0.0))
    return float(np.mean(r2))


class ElasticNetMLPRegressor(RegressorMixin, BaseElasticNetMLP):
    __doc__ = compose(
        _TEMPLATE, stratified="",
        scoring_options='{"r2", "loss"}',
        scoring_text=(
            '``"r2"`` (the default, ``None``) is the\n'
            "    coefficient of determination R^2 (averaged over the targets), as\n"
            "    scikit-learn's ``MLPRegressor`` scores; ``\"loss\"`` is minus the mean training\n"
            "    loss (no penalty) on the held-out rows."),
    )

    _parameter_constraints: dict = {
        **BaseElasticNetMLP._parameter_constraints,
        "scoring": [StrOptions({"r2", "loss"}), None],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_fitted_state_on_error
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch over ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Its targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : ElasticNetMLPRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _validate_training_data(self, X, y, reset):
        return validate_data(self, X, y, accept_sparse="csr", dtype=FLOAT_DTYPES,
                             multi_output=True, y_numeric=True, reset=reset)

    def _group_alpha_scale(self, y):
        # the halved squared error's gradients scale with the targets' spread
        spread = float(np.mean(np.std(np.asarray(y, dtype=np.float64), axis=0)))
        return spread if spread > 0.0 and np.isfinite(spread) else 1.0

    def _encode_targets(self, y, first, incremental, classes, dtype):
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if not np.all(np.isfinite(Y.astype(dtype))):
            raise ValueError(f"y has values that overflow the training dtype {np.dtype(dtype)}.")
        values = kernel_view(np.ascontiguousarray(Y, dtype=dtype))  # no read-only signatures
        return Targets(values, Y.shape[1], "squared_error",
                       np.zeros(Y.shape[0], dtype=np.int64), None)

    def _commit_targets(self, targets):
        self.out_activation_ = "identity"

    def _validation_score(self, raw, targets, sample_weight):
        """Weighted R^2 (averaged over the targets), or minus the weighted mean loss."""
        if self.scoring == "loss":
            per_row = -0.5 * np.mean((raw - targets) ** 2, axis=1)
            return float(np.sum(sample_weight * per_row) / np.sum(sample_weight))
        return _weighted_r2(targets, raw, sample_weight)

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            One column per target; 1-D for a single target.
        """
        Z = self._raw_output(X)
        return Z.ravel() if Z.shape[1] == 1 else Z
