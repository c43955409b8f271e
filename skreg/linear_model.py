"""Penalized logistic regression solved by certified coordinate descent."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from ._cd import (
    design_operator,
    l0_coordinate_descent,
    linear_predictor,
    max_gradient_at_zero,
    newton_cd_solve,
    newton_cg_solve,
)
from ._validation import FLOAT_DTYPES, normalized_sample_weight, resolve_penalty, to_design
from ._validation import check_numeric_input, check_path_arguments, keep_fitted_state_on_error

#: First working-set size of the L1 / elastic-net solver (it grows 4x each outer pass).
_WS_START = 64
#: Without an L1 part, designs with at least this many entries are solved by
#: truncated Newton-CG (fewer passes over a large correlated X); smaller ones
#: by Newton coordinate descent, whose iterates for weighted and repeated rows
#: agree to round-off.
_CG_MIN_ENTRIES = 1_000_000


def _encode_targets(y):
    """Classes, their indices, the target matrix (y01 or one-hot) and whether it is multinomial."""
    check_classification_targets(y)
    classes, y_index = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            "RegularizedLogisticRegression needs samples of at least 2 classes in the "
            f"data, but the data contain only one class: {classes[0]!r}."
        )
    multinomial = classes.shape[0] > 2
    if multinomial:
        Y = np.zeros((y_index.shape[0], classes.shape[0]))
        Y[np.arange(y_index.shape[0]), y_index] = 1.0
    else:
        Y = y_index.astype(np.float64).reshape(-1, 1)
    return classes, y_index, Y, multinomial


def _warn_if_separated(design, Y, sw, multinomial, W, b):
    """ConvergenceWarning when an unpenalized fit classifies every weighted sample strictly right.

    Then the data are linearly separable and the loss has no finite minimiser:
    it tends to 0 as the coefficients grow along the separating direction.
    The solver stops where the gradient meets ``tol`` (finite coefficients
    whose scale depends on ``tol``); say so rather than return them silently.
    """
    Z = linear_predictor(design_operator(design), W, b)
    rows = np.arange(Z.shape[0])
    if multinomial:
        true = Y.argmax(axis=1)
        margin = Z[rows, true] - np.where(Y > 0.0, -np.inf, Z).max(axis=1)
    else:
        margin = np.where(Y[:, 0] > 0.5, Z[:, 0], -Z[:, 0])
    if np.all(margin[sw > 0.0] > 0.0):
        warnings.warn(
            "RegularizedLogisticRegression: alpha=0 on perfectly separable training data, "
            "where the logistic loss has no finite minimiser (it decreases towards 0 as the "
            "coefficients grow without bound). The returned coefficients are finite but their "
            "size depends on tol and max_iter; use alpha > 0 for a well-defined model.",
            ConvergenceWarning,
        )


def _solve(design, Y, sw, multinomial, alpha, l1_ratio, fit_intercept, W, b, tol, max_iter,
           verbose):
    """Fit in place in ``W``, ``b`` with the right solver; warn when the certificate is missed.

    Newton-CD with working sets whenever there is an L1 part; without one,
    truncated Newton-CG on large designs (see ``_CG_MIN_ENTRIES``).
    """
    smooth = alpha == 0.0 or l1_ratio == 0.0
    if smooth and design.n_samples * design.n_features >= _CG_MIN_ENTRIES:
        info = newton_cg_solve(design, Y, sw, multinomial, alpha, fit_intercept, W, b, tol,
                               max_iter, verbose)
    else:
        info = newton_cd_solve(design, Y, sw, multinomial, alpha, l1_ratio, fit_intercept, W, b,
                               tol, max_iter, _WS_START, verbose)
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        raise ValueError(
            "The solver produced non-finite coefficients; check the input for extreme "
            "values or use a larger alpha."
        )
    if alpha == 0.0:
        _warn_if_separated(design, Y, sw, multinomial, W, b)
    if multinomial:
        # The softmax is invariant to a shift shared by all classes: centre
        # it away. Without an L1 part the optimal coefficients are centred
        # already (alpha > 0) or defined only up to that shift (alpha = 0).
        b -= b.mean()
        if smooth:
            W -= W.mean(axis=0)
    if info.kkt > info.kkt_tol:
        reason = (
            f"after max_iter={max_iter} proximal Newton steps. Increase max_iter"
            if info.n_iter >= max_iter
            else f"after {info.n_iter} proximal Newton steps, where no step decreases the "
            "objective in floating point any more. Use a larger tol"
        )
        warnings.warn(
            f"RegularizedLogisticRegression did not converge at alpha={alpha:.4g}: the KKT "
            f"violation is {info.kkt:.3g} > tol * alpha_max = {info.kkt_tol:.3g} {reason}, "
            "or standardize the features.",
            ConvergenceWarning,
        )
    return info


def regularization_path(X, y, *, penalty="l1", l1_ratio=1.0, alphas=None, n_alphas=100,
                        eps=1e-3, fit_intercept=True, sample_weight=None, tol=1e-4,
                        max_iter=100):
    """Solutions of :class:`RegularizedLogisticRegression` along a grid of ``alpha``.

    The grid runs from ``alpha_max``, the smallest ``alpha`` whose solution is
    all zeros (computed exactly: ``||grad loss(W=0)||_inf / l1_ratio`` with
    the intercepts at their optimum), down to ``eps * alpha_max``,
    geometrically. Each point starts from the previous solution (warm start)
    and the solver's working sets keep its cost close to that of its active
    set. Every point is certified like a single fit (KKT violation at most
    ``tol * alpha_max``); a point that is not gets a ConvergenceWarning.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Class labels.
    penalty : {"l1", "elasticnet", "l2"}, default="l1"
        The penalty. For "l2" the grid uses the L1 ``alpha_max`` as its scale.
    l1_ratio : float, default=1.0
        Elastic-net mixing, used with ``penalty="elasticnet"`` (must be > 0
        when ``alphas`` is None).
    alphas : array-like, default=None
        The grid, in any order (it is solved and returned in decreasing
        order). Default: ``n_alphas`` values from ``alpha_max`` down.
    n_alphas : int, default=100
        Grid size when ``alphas`` is None.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` when ``alphas`` is None.
    fit_intercept : bool, default=True
        Fit unpenalized intercepts.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    tol : float, default=1e-4
        Relative KKT certificate of every point (see the estimator's ``tol``).
    max_iter : int, default=100
        Proximal Newton steps allowed per point.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The grid, decreasing.
    coefs : ndarray of shape (n_alphas, n_rows, n_features)
        Coefficients at each alpha; ``n_rows`` is 1 for two classes, else
        the number of classes (rows in ``np.unique(y)`` order).
    intercepts : ndarray of shape (n_alphas, n_rows)
        Intercepts at each alpha.
    n_iter : ndarray of shape (n_alphas,)
        Proximal Newton steps taken at each alpha.
    """
    if penalty not in ("l1", "elasticnet", "l2"):
        raise ValueError(f"penalty must be 'l1', 'elasticnet' or 'l2', got {penalty!r}.")
    if not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}.")
    check_path_arguments(X, l1_ratio=l1_ratio, n_alphas=n_alphas, eps=eps, tol=tol,
                         max_iter=max_iter)
    X = check_array(X, accept_sparse=["csc", "csr"], dtype=list(FLOAT_DTYPES), order="F",
                    accept_large_sparse=True)
    y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    _, _, Y, multinomial = _encode_targets(y)
    sw = normalized_sample_weight(sample_weight, X)
    design = to_design(X)
    if alphas is None:
        rho = 1.0 if penalty != "elasticnet" else l1_ratio
        if rho <= 0.0:
            raise ValueError("alphas must be given for an elastic net with l1_ratio=0.")
        alpha_max = max_gradient_at_zero(design, design_operator(design), Y, sw, multinomial,
                                         fit_intercept) / rho
        alphas = alpha_max * np.geomspace(1.0, eps, n_alphas)
    else:
        alphas = np.sort(np.asarray(alphas, dtype=np.float64).ravel())[::-1]
        if alphas.size == 0 or np.any(alphas < 0) or not np.all(np.isfinite(alphas)):
            raise ValueError("alphas must be a non-empty array of finite values >= 0.")
    n_rows = Y.shape[1]
    coefs = np.zeros((alphas.shape[0], n_rows, X.shape[1]))
    intercepts = np.zeros((alphas.shape[0], n_rows))
    n_iter = np.zeros(alphas.shape[0], dtype=np.int64)
    W = np.zeros((n_rows, X.shape[1]))
    b = np.zeros(n_rows)
    for i, alpha in enumerate(alphas):
        a, rho = resolve_penalty(penalty, alpha, l1_ratio)
        info = _solve(design, Y, sw, multinomial, a, rho, fit_intercept, W, b, tol, max_iter,
                      False)
        coefs[i], intercepts[i], n_iter[i] = W, b, info.n_iter
    return alphas, coefs, intercepts, n_iter


class RegularizedLogisticRegression(LinearClassifierMixin, BaseEstimator):
    r"""Logistic regression with an L1, L2, elastic-net or no penalty.

    Minimises the weighted mean logistic loss plus a penalty on the
    coefficients (never on the intercept), exactly as in skreg's DESIGN §2:

    .. math::

        F(W, b) = \frac{1}{\sum_i s_i} \sum_i s_i\, \ell(y_i, W x_i + b)
                  + \alpha\, R(W)

    with :math:`\ell` the binary logistic loss (two classes, one coefficient
    row) or the multinomial softmax loss (more classes, one row per class)
    and

    - ``penalty="elasticnet"``: :math:`R(W) = \rho \|W\|_1 + \frac{1-\rho}{2}\|W\|_2^2`
      with :math:`\rho` = ``l1_ratio``;
    - ``penalty="l1"``: :math:`R(W) = \|W\|_1`;
    - ``penalty="l2"``: :math:`R(W) = \frac12 \|W\|_2^2`;
    - ``penalty="l0"``: :math:`R(W) = \rho \|W\|_0 + \frac{1-\rho}{2}\|W\|_2^2`,
      the number of non-zero coefficients (best-subset style) plus a ridge
      term (L0L2, as in L0Learn); ``l1_ratio=1`` is pure L0, which has no
      finite solution on separable data. Solved by coordinate descent that
      sets each coordinate to its exact 1-D minimiser and keeps it only if
      that beats zero by more than ``alpha * l1_ratio``, started from the L1
      solution at the same ``alpha``; the result is coordinate-wise optimal.
      ``max_iter`` counts epochs, and ``kkt_violation_`` is NaN (no convex
      certificate exists).
    - ``penalty=None``: :math:`R = 0`.

    ``s_i`` is ``sample_weight`` times the ``class_weight`` of sample i, so
    integer weights are the same as repeated rows. Because the loss is a
    *mean*, ``alpha`` does not grow with the number of samples: scikit-learn's
    :class:`~sklearn.linear_model.LogisticRegression` (which minimises
    ``C * sum_i s_i loss_i + R(W)``) gives the same solution with
    ``C = 1 / (alpha * sum_i s_i)`` (``C = 1 / (alpha * n_samples)`` without
    weights), for ``l1_ratio`` the same in both.

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet", "l0"} or None, default="l2"
        The penalty ``R``. "l1", "elasticnet" and "l0" give exact zeros in
        ``coef_``.
    alpha : float, default=1e-4
        Regularization strength (lambda), ``>= 0``. ``alpha=0`` is no penalty;
        on perfectly separable data it has no finite minimiser, and the fit
        returns the finite coefficients where the certificate is met (their
        size depends on ``tol``) with a ConvergenceWarning that says so.
    l1_ratio : float, default=0.15
        Mixing in ``[0, 1]`` of the sparse part and the ridge part: for
        ``penalty="elasticnet"`` 1 is L1 and 0 is L2; for ``penalty="l0"`` 1 is
        pure L0. Not used by the other penalties.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalized) intercept per coefficient row.
    tol : float, default=1e-4
        Stopping certificate: the fit stops when the largest KKT violation,
        ``max_j dist(-grad_j F_loss, alpha * dR(w_j))`` over every coefficient
        (and ``|grad_b|`` for the intercept), computed from a full pass over
        the data, is at most ``tol * alpha_max``, where
        ``alpha_max = ||grad_W loss(W=0)||_inf`` (intercepts at their
        optimum) is the smallest L1 ``alpha`` with an all-zero solution.
        Relative to ``alpha_max`` one ``tol`` means the same accuracy whatever
        the scale of X. The final violation is ``kkt_violation_``.
    max_iter : int, default=100
        Maximum number of proximal Newton steps. A
        :class:`~sklearn.exceptions.ConvergenceWarning` is raised if the
        certificate has not reached ``tol`` by then.
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_`` when they fit the
        data's shape and classes.
    class_weight : dict, "balanced" or None, default=None
        Weights multiplying ``sample_weight`` per class. "balanced" uses
        ``n_samples / (n_classes * np.bincount(y))``.
    verbose : int, default=0
        Print the certificate after each outer pass.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients (float64). One row for binary problems (for
        ``classes_[1]``), one row per class otherwise.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts; zero when ``fit_intercept=False``. Multinomial intercepts
        (and coefficients when the penalty has no L1 part) are centred across
        classes, which leaves the model unchanged.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_iter_ : int
        Number of proximal Newton steps taken.
    kkt_violation_ : float
        The optimality certificate at the returned solution, absolute (see
        ``tol``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X has string column names.

    Notes
    -----
    Solver: proximal Newton with working sets. Each outer pass computes the
    full gradient and the KKT certificate; a working set (support plus the
    worst violators, doubling every pass) is then solved by proximal Newton
    steps, each minimising a quadratic model of the loss by cyclic coordinate
    descent with soft-thresholding, the intercept taking an exact Newton
    step on the model, followed by a backtracking line search. For
    multinomial problems each step updates one class at a time (glmnet's
    partial Newton). Dense input is used in Fortran order (C-ordered input is
    copied once), float32 is read without an upcast copy, sparse input is
    converted to CSC and never densified.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreg import RegularizedLogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(),
    ...                     RegularizedLogisticRegression(penalty="l1", alpha=0.01))
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    """

    _parameter_constraints = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet", "l0"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        penalty="l2",
        *,
        alpha=1e-4,
        l1_ratio=0.15,
        fit_intercept=True,
        tol=1e-4,
        max_iter=100,
        warm_start=False,
        class_weight=None,
        verbose=0,
    ):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.class_weight = class_weight
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_fitted_state_on_error
    def fit(self, X, y, sample_weight=None):
        """Fit the model to the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Fortran-ordered float64/float32 is used without a
            copy; sparse input is used as CSC.
        y : array-like of shape (n_samples,)
            Class labels (any type: numbers, strings, booleans).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; the loss is their weighted mean.

        Returns
        -------
        self : RegularizedLogisticRegression
            The fitted estimator.
        """
        check_numeric_input(X)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csc", "csr"],
            dtype=list(FLOAT_DTYPES),
            order="F",
            accept_large_sparse=True,
        )
        classes, y_index, Y, multinomial = _encode_targets(y)
        class_weight_per_sample = None
        if self.class_weight is not None:
            class_weight_per_sample = compute_class_weight(
                self.class_weight, classes=classes, y=y
            )[y_index]
        sw = normalized_sample_weight(sample_weight, X, class_weight_per_sample)

        W = np.zeros((Y.shape[1], X.shape[1]))
        b = np.zeros(Y.shape[1])
        if (
            self.warm_start
            and hasattr(self, "coef_")
            and self.coef_.shape == W.shape
            and np.array_equal(self.classes_, classes)
        ):
            W[:] = self.coef_
            if self.fit_intercept:
                b[:] = self.intercept_

        alpha, l1_ratio = resolve_penalty(self.penalty, self.alpha, self.l1_ratio)
        design = to_design(X)
        if self.penalty == "l0" and alpha > 0.0:
            # Start from the L1 solution at the same alpha (L0Learn's warm start).
            _solve(design, Y, sw, multinomial, alpha, 1.0, bool(self.fit_intercept), W, b,
                   float(self.tol), int(self.max_iter), False)
            n_iter = l0_coordinate_descent(design, Y, sw, multinomial, alpha, l1_ratio,
                                           bool(self.fit_intercept), W, b, float(self.tol),
                                           int(self.max_iter))
            if multinomial:
                b -= b.mean()
            if n_iter >= self.max_iter:
                warnings.warn(
                    f"RegularizedLogisticRegression (l0) did not converge: the support still "
                    f"changed after max_iter={self.max_iter} coordinate-descent epochs.",
                    ConvergenceWarning,
                )
            kkt = np.nan
        else:
            info = _solve(
                design, Y, sw, multinomial, alpha, l1_ratio, bool(self.fit_intercept), W, b,
                float(self.tol), int(self.max_iter), bool(self.verbose),
            )
            n_iter, kkt = info.n_iter, info.kkt
        self.classes_ = classes
        self.coef_ = W
        self.intercept_ = b
        self.n_iter_ = int(n_iter)
        self.kkt_violation_ = float(kkt)
        return self

    def predict_proba(self, X):
        """Class probabilities (sigmoid for two classes, softmax otherwise).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class in ``classes_`` order.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p1 = expit(scores)
            return np.column_stack([1.0 - p1, p1])
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class in ``classes_`` order.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([log_expit(-scores), log_expit(scores)])
        return log_softmax(scores, axis=1)
