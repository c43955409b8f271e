"""The network classifier: softmax / logistic outputs, or independent logistic outputs."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d, validate_data

from .._validation import FLOAT_DTYPES, keep_fitted_state_on_error
from ._base import BaseElasticNetMLP, Targets
from ._docs import compose

_TEMPLATE = """Multi-layer perceptron classifier trained by proximal SGD / Adam.

    A feed-forward network (``hidden_layer_sizes``, ``activation``) with a
    softmax output (one logistic output for two classes; one independent
    logistic output per label for a multilabel indicator ``y``) whose weight
    matrices carry an L1, L2 or elastic-net penalty. The L1 part is applied
    by its proximal operator, so weights become **exactly zero**. On top of
    it: dropout, max-norm constraints, gradient clipping, batch
    normalization, Gaussian input noise and early stopping with restoration
    of the best weights.

    Objective, with normalized sample weights ``s_i``::

        F(W, b) = sum_i s_i * loss(y_i, f(x_i; W, b)) / sum_i s_i
                  + alpha * sum_l [ l1_ratio * ||W_l||_1 + (1 - l1_ratio) / 2 * ||W_l||_F^2 ]
                  + group_alpha * sum_j ||W_0[j, :]||_2

    ``loss`` is the softmax cross-entropy of the network's logits (the
    logistic loss for two classes; for a multilabel ``y`` the sum over the
    labels of their logistic losses).

    {update_rule}

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for a multilabel ``y``, ``arange(n_labels)``).
    {attributes}
    n_outputs_ : int
        Number of output units (1 for two classes, one per label for a
        multilabel ``y``).
    out_activation_ : str
        ``"logistic"`` or ``"softmax"``.

    Notes
    -----
    {notes}

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

#: Infinite logits become the largest float before the softmax (inf - inf would be nan).
_MAX_LOGIT = np.finfo(np.float64).max


class ElasticNetMLPClassifier(ClassifierMixin, BaseElasticNetMLP):
    __doc__ = compose(
        _TEMPLATE, stratified="; it is stratified by class",
        scoring_options='{"loss", "accuracy"}',
        scoring_text=(
            '``"loss"`` (the default, ``None``) is minus\n'
            "    the mean training loss (no penalty) on the held-out rows, ``\"accuracy\"``\n"
            "    the accuracy (subset accuracy for a multilabel ``y``), which is what\n"
            "    scikit-learn's ``MLPClassifier`` scores. The loss is the default because on the\n"
            "    typical 10% held out, accuracy moves in steps of several percent: it stops\n"
            "    improving, and so stops training, long before the fit has converged."),
    )

    _parameter_constraints: dict = {
        **BaseElasticNetMLP._parameter_constraints,
        "scoring": [StrOptions({"loss", "accuracy"}), None],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_fitted_state_on_error
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch over ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Its labels.
        classes : array-like of shape (n_classes,), default=None
            Every class that can appear; required on the first call (for a
            multilabel ``y``: ``arange(n_labels)``).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : ElasticNetMLPClassifier
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    # --------------------------------------------------------- targets

    def _validate_training_data(self, X, y, reset):
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=FLOAT_DTYPES,
                             multi_output=True, reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _encode_targets(self, y, first, incremental, classes, dtype):
        check_classification_targets(y)
        target_type = type_of_target(y)
        if target_type not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(
                "ElasticNetMLPClassifier supports binary, multiclass and multilabel-indicator "
                f"targets, got {target_type}."
            )
        multilabel = target_type == "multilabel-indicator"
        if first and incremental and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if multilabel:
            return self._encode_multilabel(y, first, dtype)
        if first:
            all_classes = np.unique(np.asarray(classes) if incremental else y)
            if all_classes.shape[0] < 2:
                raise ValueError(
                    "ElasticNetMLPClassifier needs samples of at least 2 classes in the data; "
                    f"got 1 class: {all_classes!r}."
                )
        else:
            if self._multilabel:
                raise ValueError("The estimator was fitted on a multilabel y; got a 1-D y.")
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
        n_out = 1 if all_classes.shape[0] == 2 else all_classes.shape[0]
        return Targets(y_idx, n_out, "log_loss", y_idx, all_classes)

    def _encode_multilabel(self, y, first, dtype):
        Y = y.toarray() if sp.issparse(y) else np.asarray(y)
        if not first and (not self._multilabel or Y.shape[1] != self.classes_.shape[0]):
            raise ValueError(
                f"y is a multilabel indicator with {Y.shape[1]} labels; the estimator was "
                "fitted on other targets."
            )
        labels = np.arange(Y.shape[1])
        # no stratification for multilabel y (as scikit-learn): one stratum
        return Targets(np.ascontiguousarray(Y, dtype=dtype), Y.shape[1], "binary_log_loss",
                       np.zeros(Y.shape[0], dtype=np.int64), labels)

    def _commit_targets(self, targets):
        self.classes_ = targets.classes
        self._multilabel = targets.loss == "binary_log_loss"
        softmax = targets.n_outputs > 1 and not self._multilabel
        self.out_activation_ = "softmax" if softmax else "logistic"

    def _validation_score(self, raw, targets, sample_weight):
        """Minus the weighted mean loss, or the weighted (subset) accuracy, of the raw outputs."""
        if self.scoring == "accuracy":
            per_row = np.all(self._indicator(raw) == targets, axis=1) if targets.ndim == 2 \
                else self._class_index(raw) == targets
        elif targets.ndim == 2:  # multilabel: sum of the labels' logistic losses
            per_row = -np.sum(np.logaddexp(0.0, raw) - targets * raw, axis=1)
        elif raw.shape[1] == 1:
            per_row = -np.logaddexp(0.0, np.where(targets == 1, -raw[:, 0], raw[:, 0]))
        else:
            Z = raw - raw.max(axis=1, keepdims=True)
            per_row = Z[np.arange(Z.shape[0]), targets] - np.log(np.exp(Z).sum(axis=1))
        return float(np.sum(sample_weight * per_row) / np.sum(sample_weight))

    # ------------------------------------------------------------- predict

    @staticmethod
    def _class_index(raw):
        return (raw[:, 0] > 0).astype(np.int64) if raw.shape[1] == 1 else raw.argmax(axis=1)

    @staticmethod
    def _indicator(raw):
        return (raw > 0).astype(np.int64)

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
        Z = self._raw_output(X)
        if self._multilabel:
            return -np.logaddexp(0.0, -Z)
        if Z.shape[1] == 1:
            z = Z[:, 0]
            return np.column_stack([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)])
        Z = np.clip(Z, -_MAX_LOGIT, _MAX_LOGIT)
        Z = Z - Z.max(axis=1, keepdims=True)
        return Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns ordered as ``classes_``; rows sum to one
            (for a multilabel fit: each label's probability).
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The class of highest probability (for a multilabel fit: the 0/1
            indicator of the labels of probability above 0.5).
        """
        Z = self._raw_output(X)
        if self._multilabel:
            return self._indicator(Z)
        return self.classes_[self._class_index(Z)]
