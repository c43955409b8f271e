"""Penalized least squares: :class:`RegularizedLinearRegression` and its cross-validated version."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin, _fit_context
from sklearn.metrics import check_scoring, get_scorer, get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_method_params, check_is_fitted, validate_data

from ._cd import x_dot
from ._cv import PathCVMixin
from ._path import fit_point
from ._validation import (
    FLOAT_DTYPES,
    as_csc,
    check_numeric_input,
    keep_fitted_state_on_error,
    normalized_sample_weight,
    to_design,
)
from .datafits import make_datafit
from .penalties import make_penalty


def regression_targets(y):
    """Targets as a float64 (n, n_targets) matrix, and whether ``y`` was 1-D."""
    y = np.asarray(y, dtype=np.float64)
    one_d = y.ndim == 1
    Y = y.reshape(-1, 1) if one_d else y
    if Y.ndim != 2:
        raise ValueError(f"y must be 1-D or 2-D, got an array of shape {y.shape}.")
    if not np.all(np.isfinite(Y)):
        raise ValueError("y contains NaN or infinity.")
    return np.ascontiguousarray(Y), one_d


class _PenalizedLeastSquares(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """What the single and the cross-validated regression estimators share: predict and tags."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _validated_problem(self, X, y, sample_weight):
        """Validate the data; return ``X``, the targets (n, K), whether y was 1-D, and ``sw``.

        ``sw`` is normalized to sum to one (the loss is a weighted mean).
        """
        check_numeric_input(X)
        X, y = validate_data(
            self, X, y, accept_sparse=["csc", "csr"], dtype=list(FLOAT_DTYPES), order="F",
            accept_large_sparse=True, multi_output=True, y_numeric=True,
        )
        Y, one_d = regression_targets(y)
        sw = normalized_sample_weight(sample_weight, X)
        return X, Y, one_d, sw

    def _set_coefficients(self, W, b, one_d):
        """Store the fit in scikit-learn's ``ElasticNet`` shapes.

        ``coef_`` is (n_features,) for one target (1-D ``y`` or a single
        column), else (n_targets, n_features); ``intercept_`` is a float for a
        1-D ``y``, else (n_targets,).
        """
        self.coef_ = W[0].copy() if W.shape[0] == 1 else W
        self.intercept_ = float(b[0]) if one_d else b

    def predict(self, X):
        """Predict the targets: ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions (one column per target for a 2-D ``coef_``).
        """
        check_is_fitted(self)
        check_numeric_input(X)
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=list(FLOAT_DTYPES),
                          reset=False)
        coef = np.atleast_2d(self.coef_)
        pred = np.asarray(x_dot(X, coef.T), dtype=np.float64) + self.intercept_
        return pred[:, 0] if np.ndim(self.coef_) == 1 else pred


class RegularizedLinearRegression(_PenalizedLeastSquares):
    r"""Linear least squares with an L1, L2, elastic-net, L0 or no penalty.

    Minimises half the weighted mean squared error plus a penalty on the
    coefficients (never on the intercept):

    .. math::

        F(W, b) = \frac{1}{2 \sum_i s_i} \sum_i s_i \|y_i - W x_i - b\|_2^2
                  + \alpha\, R(W)

    with :math:`s_i` = ``sample_weight`` (integer weights are the same as
    repeated rows) and

    - ``penalty="elasticnet"``: :math:`R(W) = \rho \|W\|_1 + \frac{1-\rho}{2}\|W\|_2^2`
      with :math:`\rho` = ``l1_ratio``;
    - ``penalty="l1"``: :math:`R(W) = \|W\|_1`;
    - ``penalty="l2"``: :math:`R(W) = \frac12 \|W\|_2^2`;
    - ``penalty="l0"``: :math:`R(W) = \rho \|W\|_0 + \frac{1-\rho}{2}\|W\|_2^2`,
      the number of non-zero coefficients plus a ridge term (L0L2, as in
      L0Learn); solved by coordinate descent that sets each coordinate to
      its exact minimiser and keeps it only if that beats zero by more than
      ``alpha * l1_ratio``, started from the L1 solution at the same
      ``alpha``, each epoch followed by an exact refit on the support. The
      result is coordinate-wise optimal; ``kkt_violation_`` is NaN.
    - ``penalty=None``: :math:`R = 0`.

    This is scikit-learn's scaling: the same ``alpha`` and ``l1_ratio`` give
    the solution of :class:`~sklearn.linear_model.ElasticNet` (and
    :class:`~sklearn.linear_model.Lasso` for "l1"), and "l2" is
    :class:`~sklearn.linear_model.Ridge` with ``alpha * sum_i s_i``.

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet", "l0"} or None, default="l2"
        The penalty ``R``. "l1", "elasticnet" and "l0" give exact zeros in
        ``coef_``.
    alpha : float, default=1e-4
        Regularization strength, ``>= 0`` (0 is no penalty).
    l1_ratio : float, default=0.15
        Mixing in ``[0, 1]``: for "elasticnet" 1 is L1 and 0 is L2; for "l0"
        1 is pure L0. Not used by the other penalties.
    fit_intercept : bool, default=True
        Whether to fit an unpenalized intercept per target. Sparse X is
        never centred: the intercept is eliminated inside the solver.
    tol : float, default=1e-4
        Stopping certificate: the fit stops when the largest KKT violation,
        ``max_j dist(-grad_j, alpha * dR(w_j))`` over every coefficient (and
        ``|grad_b|`` for the intercept), computed from a full pass over the
        data, is at most ``tol * alpha_max``, where
        ``alpha_max = ||X^T (s * (y - ybar_s))||_inf / sum_i s_i`` (``ybar_s``
        the weighted mean target; ``y`` itself without an intercept) is the
        smallest L1 ``alpha`` with an all-zero solution. For "l0": the
        largest relative move of a coefficient in the last epoch.
    max_iter : int, default=1000
        Maximum number of coordinate-descent epochs (for "l0": of L0 epochs).
        A :class:`~sklearn.exceptions.ConvergenceWarning` is raised if the
        certificate has not reached ``tol`` by then.
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_`` when they fit the
        data's shape.
    verbose : int, default=0
        Print the certificate after each full pass.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients (float64); 1-D when ``y`` has one target.
    intercept_ : float or ndarray of shape (n_targets,)
        Intercepts; zero when ``fit_intercept=False``.
    n_iter_ : int
        Coordinate-descent epochs (over working sets) or, for large smooth
        problems solved by Newton-CG, Newton steps; L0 epochs for "l0".
    kkt_violation_ : float
        The optimality certificate at the returned solution, absolute (see
        ``tol``); NaN for "l0".
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X has string column names.

    See Also
    --------
    RegularizedLinearRegressionCV : ``alpha`` (and ``l1_ratio``) chosen by
        cross-validated paths.
    regularization_path : Solutions along a grid of ``alpha``
        (``loss="squared_error"``).

    Notes
    -----
    Solver: coordinate descent on the residual with working sets. Each full
    pass computes the gradient ``X^T (s * (Xw + b - y))`` and the KKT
    certificate; a working set (support plus the worst violators, growing
    4x per pass) is solved by cyclic coordinate descent with
    soft-thresholding, the intercept eliminated exactly. Without an L1 part
    large designs are solved by conjugate gradient on the normal equations
    (Newton-CG). A 2-D ``y`` is solved target by target: the objective is
    a sum over targets, so this is also the joint solution, for every
    penalty. Dense input is used in Fortran order (C-ordered input is copied
    once), float32 is read without an upcast copy (X whose float64 copy takes at most
    1 MB is read as float64: the same fit, without compiling float32 kernels), sparse input as CSC and
    never densified.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skreg import RegularizedLinearRegression
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = RegularizedLinearRegression(penalty="l1", alpha=0.5).fit(X, y)
    >>> int((reg.coef_ != 0).sum())
    2
    """

    _parameter_constraints = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet", "l0"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(self, penalty="l2", *, alpha=1e-4, l1_ratio=0.15, fit_intercept=True, tol=1e-4,
                 max_iter=1000, warm_start=False, verbose=0):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_fitted_state_on_error
    def fit(self, X, y, sample_weight=None):
        """Fit the model to the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Fortran-ordered float64/float32 is used without a
            copy; sparse input is used as CSC.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; the loss is their weighted mean.

        Returns
        -------
        self : RegularizedLinearRegression
            The fitted estimator.
        """
        X, Y, one_d, sw = self._validated_problem(X, y, sample_weight)
        W = np.zeros((Y.shape[1], X.shape[1]))
        b = np.zeros(Y.shape[1])
        if self.warm_start and hasattr(self, "coef_"):
            coef = np.atleast_2d(self.coef_)
            if coef.shape == W.shape:
                W[:] = coef
                if self.fit_intercept:
                    b[:] = self.intercept_
        datafit = make_datafit("squared_error", Y, sw)
        penalty = make_penalty(self.penalty, self.alpha, self.l1_ratio)
        W, b, n_iter, _, kkt = fit_point(to_design(X), datafit, penalty,
                                         bool(self.fit_intercept), W, b, float(self.tol),
                                         int(self.max_iter), bool(self.verbose))
        self._set_coefficients(W, b, one_d)
        self.n_iter_ = int(n_iter)
        self.kkt_violation_ = float(kkt)
        return self


class RegularizedLinearRegressionCV(PathCVMixin, _PenalizedLeastSquares):
    r"""Penalized least squares with ``alpha`` (and ``l1_ratio``) chosen by cross-validation.

    The objective is :class:`RegularizedLinearRegression`'s,

    .. math::

        F(W, b) = \frac{1}{2 \sum_i s_i} \sum_i s_i \|y_i - W x_i - b\|_2^2
                  + \alpha\, R(W).

    For each ``l1_ratio`` and each cross-validation fold, a
    :func:`regularization_path` (warm starts and working sets, every point
    certified) is solved on the training part over one grid of ``alpha``
    shared by all folds, and each point is scored on the held-out part. The
    ``alpha`` (and ``l1_ratio``) with the best mean score is chosen, or, with
    ``one_standard_error=True``, the largest ``alpha`` whose mean score is
    within one standard error of the best; the model is then refitted on all
    the data at the chosen ``alpha``. The same driver serves
    :class:`RegularizedLogisticRegressionCV`.

    Parameters
    ----------
    penalty : {"l1", "elasticnet", "l2", "l0"}, default="l1"
        The penalty (see :class:`RegularizedLinearRegression`).
    alphas : array-like of shape (n_alphas,), default=None
        The grid of ``alpha`` for every ``l1_ratio``, in any order. Default:
        ``n_alphas`` values from ``alpha_max`` (the smallest ``alpha`` with an
        all-zero solution on the whole training data,
        ``||X^T (s * (y - ybar_s))||_inf / (l1_ratio * sum_i s_i)``) down to
        ``eps * alpha_max``. "l2" and "l0" use the L1 ``alpha_max`` as their
        scale.
    n_alphas : int, default=100
        Grid size when ``alphas`` is None.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` when ``alphas`` is None.
    l1_ratios : array-like of float in [0, 1], default=None
        Values of ``l1_ratio`` to cross-validate for "elasticnet" (default
        ``[0.5]``) and "l0" (its L0 share; default ``[1.0]``, pure L0).
        Ignored by "l1" (1) and "l2" (0).
    cv : int, cross-validation generator or iterable, default=None
        Splitting strategy: None is 5-fold :class:`~sklearn.model_selection.KFold`
        (not shuffled), an int the number of such folds, or a splitter / an
        iterable of ``(train, test)`` index arrays.
    scoring : str, callable or None, default=None
        Score of each path point on a held-out fold (higher is better).
        None is the negative weighted mean squared error (averaged over
        targets); otherwise a scorer name or callable
        ``scorer(estimator, X, y)``, as in
        :class:`~sklearn.model_selection.GridSearchCV`. Held-out samples
        count with their ``sample_weight``.
    refit : bool, default=True
        Refit on all the data at the chosen ``alpha``. If False, ``coef_``
        and ``intercept_`` are the averages over the folds of the fold
        solutions at the chosen ``alpha``.
    one_standard_error : bool, default=False
        Choose the largest ``alpha`` (for the best ``l1_ratio``) whose mean
        score is at least the best mean score minus its standard error (the
        standard deviation over folds divided by ``sqrt(n_folds)``).
    n_jobs : int, default=None
        Number of (l1_ratio, fold) paths solved in parallel by joblib
        (threads by default: the kernels release the GIL).
    fit_intercept : bool, default=True
        Whether to fit unpenalized intercepts.
    tol : float, default=1e-4
        Relative KKT certificate of every path point (see
        :class:`RegularizedLinearRegression`).
    max_iter : int, default=1000
        Coordinate-descent epochs (L0: epochs) allowed per path point.
    verbose : int, default=0
        Print one line per finished (l1_ratio, fold) path.

    Attributes
    ----------
    alpha_ : float
        The chosen ``alpha``.
    l1_ratio_ : float
        The chosen ``l1_ratio`` (1 for "l1", 0 for "l2").
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
        The ``l1_ratio`` values tried.
    alphas_ : ndarray of shape (n_l1_ratios, n_alphas)
        The grid for each ``l1_ratio``, decreasing.
    scores_ : ndarray of shape (n_l1_ratios, n_alphas, n_folds)
        Held-out score of every path point on every fold.
    cv_results_ : dict of ndarray
        GridSearchCV-style results flattened over (l1_ratio, alpha):
        ``param_l1_ratio``, ``param_alpha``, ``split{k}_test_score``,
        ``mean_test_score``, ``std_test_score``, ``rank_test_score``.
    best_index_ : int
        Index of the chosen point in ``cv_results_``.
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients at the chosen point.
    intercept_ : float or ndarray of shape (n_targets,)
        Intercepts at the chosen point.
    n_iter_ : ndarray of shape (n_l1_ratios, n_folds, n_alphas)
        Full passes over the fold's data (each computes the certificate) at
        every path point of every fold; epochs for "l0".
    kkt_violation_ : float
        Certificate of the refitted model (NaN for "l0" or ``refit=False``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X has string column names.

    See Also
    --------
    RegularizedLinearRegression : The estimator at one ``alpha``.
    regularization_path : The path on one data set (``loss="squared_error"``).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skreg import RegularizedLinearRegressionCV
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = RegularizedLinearRegressionCV(n_alphas=30).fit(X, y)
    >>> reg.alphas_.shape, reg.scores_.shape
    ((1, 30), (1, 30, 5))
    """

    _parameter_constraints = {
        "penalty": [StrOptions({"l1", "l2", "elasticnet", "l0"})],
        "alphas": ["array-like", None],
        "n_alphas": [Interval(Integral, 1, None, closed="left")],
        "eps": [Interval(Real, 0, 1, closed="right")],
        "l1_ratios": ["array-like", None],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "refit": ["boolean"],
        "one_standard_error": ["boolean"],
        "n_jobs": [Integral, None],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(self, penalty="l1", *, alphas=None, n_alphas=100, eps=1e-3, l1_ratios=None,
                 cv=None, scoring=None, refit=True, one_standard_error=False, n_jobs=None,
                 fit_intercept=True, tol=1e-4, max_iter=1000, verbose=0):
        self.penalty = penalty
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.eps = eps
        self.l1_ratios = l1_ratios
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.one_standard_error = one_standard_error
        self.n_jobs = n_jobs
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose

    def _get_scorer(self):
        """The scorer of :meth:`score`: ``scoring``, or R^2 when it is None."""
        return get_scorer(self.scoring if self.scoring is not None else "r2")

    def _point_scorer(self, y, Y, sw, one_d, n_features, score_params):
        """Return ``score_point(W, b, X_test, test)`` for the chosen ``scoring``."""
        if self.scoring is None:
            def neg_mean_squared_error(W, b, X_test, test):
                residual = np.asarray(x_dot(X_test, W.T)) + b - Y[test]
                return -np.average(np.mean(residual ** 2, axis=1), weights=sw[test])
            return neg_mean_squared_error

        scorer = check_scoring(self, scoring=self.scoring)
        uniform = np.all(sw == sw[0])

        def score(W, b, X_test, test):
            model = RegularizedLinearRegression()
            model._set_coefficients(W, b, one_d)
            model.n_features_in_ = n_features
            params = _check_method_params(y, params=score_params, indices=test)
            if not uniform:
                params["sample_weight"] = sw[test]
            return scorer(model, X_test, y[test], **params)
        return score

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_fitted_state_on_error
    def fit(self, X, y, sample_weight=None, **params):
        """Choose ``alpha`` (and ``l1_ratio``) by cross-validated paths, then refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, used in training and in held-out scores.
        **params : dict
            ``groups`` (array-like of shape (n_samples,)): group labels for a
            group splitter given as ``cv``. With metadata routing enabled
            (``sklearn.set_config(enable_metadata_routing=True)``), the
            metadata the splitter and the scorer request, routed to them
            (the held-out scores always use ``sample_weight``); without it,
            only ``groups``.

        Returns
        -------
        self : RegularizedLinearRegressionCV
            The fitted estimator.
        """
        split_params, score_params = self._routed_fit_params(sample_weight, params)
        X, Y, one_d, sw = self._validated_problem(X, y, sample_weight)
        if sp.issparse(X):
            X = as_csc(X)
        y = Y[:, 0] if Y.shape[1] == 1 else Y  # as predict() returns it
        splits = list(check_cv(self.cv, y, classifier=False).split(X, y, **split_params))
        for train, _ in splits:
            if not np.any(sw[train] > 0.0):
                raise ValueError("A cross-validation training fold has no sample of positive "
                                 "weight; use fewer folds or fewer zero weights.")
        score_point = self._point_scorer(y, Y, sw, one_d, X.shape[1], score_params)
        W, b = self._fit_paths(X, make_datafit("squared_error", Y, sw), splits, score_point)
        self._set_coefficients(W, b, one_d)
        return self
