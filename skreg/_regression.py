"""Penalized least squares: :class:`RegularizedLinearRegression`."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._cd import x_dot
from ._path import fit_point
from ._validation import (
    FLOAT_DTYPES,
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
        return X, Y, one_d or Y.shape[1] == 1, sw

    def _set_coefficients(self, W, b, one_d):
        """``coef_`` (n_features,) and a float ``intercept_`` for one target, else 2-D / 1-D."""
        self.coef_ = W[0].copy() if one_d else W
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
    once), float32 is read without an upcast copy, sparse input as CSC and
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
