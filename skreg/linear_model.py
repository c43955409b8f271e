"""Penalized linear models: logistic regression (+CV), least squares (+CV) and their paths.

The least-squares estimators live in :mod:`skreg._regression` and are
re-exported here; both kinds solve through the same core
(:mod:`skreg.datafits`, :mod:`skreg.penalties`, :mod:`skreg._path`,
:mod:`skreg._cv`).
"""

import inspect
from contextlib import closing
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.base import BaseEstimator, _fit_context
from sklearn.linear_model._base import LinearClassifierMixin, SparseCoefMixin
from sklearn.metrics import check_scoring, get_scorer, get_scorer_names, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_method_params,
    _check_sample_weight,
    check_array,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from ._cv import PathCVMixin
from ._path import alpha_max_scale, checked_alphas, default_alphas, fit_point, path_points
from ._regression import (  # noqa: F401  (public here)
    RegularizedLinearRegression,
    RegularizedLinearRegressionCV,
    regression_targets,
)
from ._validation import (
    FLOAT_DTYPES,
    as_csc,
    check_numeric_input,
    check_path_arguments,
    keep_fitted_state_on_error,
    normalized_sample_weight,
    to_design,
)
from .datafits import make_datafit, sample_losses
from .penalties import make_penalty

def _encode_targets(y):
    """Classes, their indices and the target matrix: the 0/1 column (two classes) or one-hot."""
    check_classification_targets(y)
    classes, y_index = np.unique(y, return_inverse=True)
    if classes.shape[0] < 2:
        raise ValueError(
            "RegularizedLogisticRegression needs samples of at least 2 classes in the "
            f"data, but the data contain only one class: {classes[0]!r}."
        )
    if classes.shape[0] > 2:
        Y = np.zeros((y_index.shape[0], classes.shape[0]))
        Y[np.arange(y_index.shape[0]), y_index] = 1.0
    else:
        Y = y_index.astype(np.float64).reshape(-1, 1)
    return classes, y_index, Y


def _class_weights(class_weight, classes, y_index, sample_weight, X):
    """Weight of every class in ``classes`` order, as scikit-learn's ``LogisticRegression``.

    "balanced" is ``sum(s) / (n_classes * sum of s over the class)`` with the
    sample weights ``s``, so integer weights give what repeated rows give (a
    class without weight gets weight 0: its samples count for nothing anyway).
    A dict must name only classes of ``y`` (like ``LogisticRegressionCV``);
    classes it leaves out weigh 1.
    """
    if isinstance(class_weight, dict):
        known = set(classes.tolist())
        unknown = [key for key in class_weight if key not in known]
        if unknown:
            raise ValueError(
                "The given class_weight dict must have the class labels as keys; "
                f"classes={classes} but the keys {unknown} are not classes of y."
            )
        return np.array([float(class_weight.get(c, 1.0)) for c in classes.tolist()])
    sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    counts = np.bincount(y_index, weights=sw, minlength=classes.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = counts.sum() / (classes.shape[0] * counts)
    return np.where(counts > 0.0, weights, 0.0)


def regularization_path(X, y, *, loss="log_loss", penalty="l1", l1_ratio=1.0, alphas=None,
                        n_alphas=100, eps=1e-3, fit_intercept=True, sample_weight=None, tol=1e-4,
                        max_iter=None):
    """Solutions of a penalized linear model along a grid of ``alpha``.

    The model is :class:`RegularizedLogisticRegression` (``loss="log_loss"``)
    or :class:`RegularizedLinearRegression` (``loss="squared_error"``).
    The grid runs from ``alpha_max``, the smallest ``alpha`` whose solution is
    all zeros (computed exactly: ``||grad loss(W=0)||_inf / l1_ratio`` with
    the intercepts at their optimum; for the squared loss
    ``||X^T (s * (y - ybar_s))||_inf / (l1_ratio * sum s)``, ``ybar_s`` the
    weighted mean target, or ``y`` itself without an intercept), down to
    ``eps * alpha_max``,
    geometrically. Each point starts from the previous solution (warm start)
    and the solver's working sets keep its cost close to that of its active
    set. Every point is certified like a single fit (KKT violation at most
    ``tol * alpha_max``); a point that is not gets a ConvergenceWarning.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Class labels (``loss="log_loss"``) or real targets
        (``loss="squared_error"``, one or more columns).
    loss : {"log_loss", "squared_error"}, default="log_loss"
        The datafit: the weighted mean logistic (binary or multinomial)
        loss, or half the weighted mean squared error.
    penalty : {"l1", "elasticnet", "l2", "l0"}, default="l1"
        The penalty. "l2" and "l0" use the L1 ``alpha_max`` as the grid's
        scale. Each "l0" point is solved as a single L0 fit is: coordinate
        descent started from the L1 solution at the same ``alpha`` (taken
        from an L1 path run alongside); it is coordinate-wise optimal, not
        certified by a KKT bound.
    l1_ratio : float, default=1.0
        Elastic-net mixing for ``penalty="elasticnet"``; the L0 share for
        ``penalty="l0"`` (the rest is a ridge term, see the estimator).
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
        Binary logistic L1 / elastic-net points on data with more features
        than samples go further (there a KKT violation of ``tol * alpha_max``
        can leave the objective 1e-5 above its minimum): each stops once its
        duality gap is at most ``tol / 100`` times the objective (1e-6
        relative at the default), or its KKT violation at most
        ``tol / 10 * alpha_max``.
    max_iter : int, default=None
        Iterations allowed per point: proximal Newton steps (default 100)
        for the logistic loss, coordinate-descent epochs (default 1000) for
        the squared loss; epochs for "l0".

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The grid, decreasing.
    coefs : ndarray of shape (n_alphas, n_rows, n_features)
        Coefficients at each alpha; ``n_rows`` is 1 for two classes, else
        the number of classes (rows in ``np.unique(y)`` order); for the
        squared loss the number of targets (1 for 1-D ``y``).
    intercepts : ndarray of shape (n_alphas, n_rows)
        Intercepts at each alpha.
    n_iter : ndarray of shape (n_alphas,)
        Iterations (see ``max_iter``) taken at each alpha.
    """
    if loss not in ("log_loss", "squared_error"):
        raise ValueError(f"loss must be 'log_loss' or 'squared_error', got {loss!r}.")
    if penalty not in ("l1", "elasticnet", "l2", "l0"):
        raise ValueError(f"penalty must be 'l1', 'elasticnet', 'l2' or 'l0', got {penalty!r}.")
    if max_iter is None:
        max_iter = 100 if loss == "log_loss" else 1000
    if not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio!r}.")
    check_path_arguments(X, l1_ratio=l1_ratio, n_alphas=n_alphas, eps=eps, tol=tol,
                         max_iter=max_iter)
    X = check_array(X, accept_sparse=["csc", "csr"], dtype=list(FLOAT_DTYPES), order="F",
                    accept_large_sparse=True)
    if loss == "log_loss":
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        _, y_index, Y = _encode_targets(y)
    else:
        check_consistent_length(X, y)
        Y, _ = regression_targets(y)
        y_index = None
    sw = normalized_sample_weight(sample_weight, X, y_index=y_index)
    design = to_design(X)
    datafit = make_datafit(loss, Y, sw)
    template = make_penalty(penalty, 1.0, l1_ratio)
    if alphas is None:
        scale = alpha_max_scale(design, datafit, fit_intercept)
        alphas = default_alphas(scale, template, n_alphas, eps)
    else:
        alphas = checked_alphas(alphas)
    n_rows = Y.shape[1]
    coefs = np.zeros((alphas.shape[0], n_rows, X.shape[1]))
    intercepts = np.zeros((alphas.shape[0], n_rows))
    n_iter = np.zeros(alphas.shape[0], dtype=np.int64)
    with closing(path_points(design, datafit, template, alphas, fit_intercept, tol,
                             max_iter)) as points:
        for i, (W, b, steps, _, _) in enumerate(points):
            coefs[i], intercepts[i], n_iter[i] = W, b, steps
    return alphas, coefs, intercepts, n_iter


class RegularizedLogisticRegression(LinearClassifierMixin, SparseCoefMixin, BaseEstimator):
    r"""Logistic regression with an L1, L2, elastic-net or no penalty.

    Minimises the weighted mean logistic loss plus a penalty on the
    coefficients (never on the intercept):

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
      solution at the same ``alpha``, each epoch followed by a Newton refit
      of the smooth part on the support; the result is coordinate-wise
      optimal. ``max_iter`` counts epochs, and ``kkt_violation_`` is NaN (no
      convex certificate exists).
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
        Weights multiplying ``sample_weight`` per class; a dict maps class
        labels (only classes of ``y``) to weights, 1 for classes it omits.
        "balanced" uses ``sum(s) / (n_classes * S_c)`` with ``S_c`` the sum of
        ``sample_weight`` over class c (``n_samples / (n_classes *
        np.bincount(y))`` without weights), as scikit-learn does.
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
    multinomial problems the model is the full softmax Hessian (all classes
    in one step, one line search); the coefficients of each feature are
    moved to their penalty-optimal shift across classes. Dense input is used in Fortran order (C-ordered input is
    copied once), float32 is read without an upcast copy (X whose float64 copy takes at most
    1 MB is read as float64: the same fit, without compiling float32 kernels), sparse input is
    converted to CSC and never densified.

    Extreme inputs (tests/test_bad_input.py): the solver squares the entries
    of X, so magnitudes up to ~1e150 are exact, while ~1e300 raises a
    ValueError naming extreme values; entries ~1e-300 give the exact all-zero
    solution under a penalty, and a ConvergenceWarning without one (the
    curvature underflows). String X, negative or non-finite weights and class
    weights, and weight on a single class are rejected with a ValueError. A
    fit that raises leaves the estimator as it was.

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

    def _validated_problem(self, X, y, sample_weight):
        """Validate the data and return ``X, y, classes, y_index, Y, sw``.

        ``Y`` is the 0/1 column (binary) or the one-hot matrix, ``sw`` the
        sample weights times ``class_weight``, normalized to sum to one.
        """
        check_numeric_input(X)
        X, y = validate_data(
            self, X, y, accept_sparse=["csc", "csr"], dtype=list(FLOAT_DTYPES), order="F",
            accept_large_sparse=True,
        )
        classes, y_index, Y = _encode_targets(y)
        class_weight_per_sample = None
        if self.class_weight is not None:
            class_weight_per_sample = _class_weights(self.class_weight, classes, y_index,
                                                     sample_weight, X)[y_index]
        sw = normalized_sample_weight(sample_weight, X, class_weight_per_sample, y_index)
        return X, y, classes, y_index, Y, sw

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
        X, y, classes, y_index, Y, sw = self._validated_problem(X, y, sample_weight)

        W = np.zeros((Y.shape[1], X.shape[1]))
        b = np.zeros(Y.shape[1])
        if (
            self.warm_start
            and hasattr(self, "coef_")
            and self.coef_.shape == W.shape
            and np.array_equal(self.classes_, classes)
        ):
            W[:] = self.coef_.toarray() if sp.issparse(self.coef_) else self.coef_
            if self.fit_intercept:
                b[:] = self.intercept_

        datafit = make_datafit("log_loss", Y, sw)
        penalty = make_penalty(self.penalty, self.alpha, self.l1_ratio)
        W, b, n_iter, _, kkt = fit_point(to_design(X), datafit, penalty,
                                         bool(self.fit_intercept), W, b, float(self.tol),
                                         int(self.max_iter), bool(self.verbose))
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


class RegularizedLogisticRegressionCV(PathCVMixin, RegularizedLogisticRegression):
    r"""Regularized logistic regression with ``alpha`` (and ``l1_ratio``) chosen by cross-validation.

    The objective is :class:`RegularizedLogisticRegression`'s. For each
    ``l1_ratio`` and each cross-validation fold, a :func:`regularization_path`
    (warm starts and working sets, every point certified) is solved on the
    training part over one grid of ``alpha`` shared by all folds, and each
    point is scored on the held-out part. The ``alpha`` (and ``l1_ratio``)
    with the best mean score is chosen, or, with ``one_standard_error=True``,
    the largest ``alpha`` whose mean score is within one standard error of
    the best; the model is then refitted on all the data at the chosen
    ``alpha`` (down the grid when it is one of the first ten points, else
    from zero, whichever costs less). A whole grid costs a few single fits,
    where :class:`~sklearn.model_selection.GridSearchCV` refits from scratch
    at every point.

    A training fold may lack a class of ``y`` (group splitters, unshuffled
    folds on sorted labels). As in ``LogisticRegressionCV``, the fold is
    still fitted and scored in all the classes: the present classes are
    fitted as usual and an absent class gets zero coefficients and an
    intercept of -1e300, i.e. probability exactly 0. Held out, its samples
    then cost ``-log(eps)`` (about 36) under the default log-loss, as in
    :func:`sklearn.metrics.log_loss`, which clips probabilities at ``eps``;
    ``scoring`` sees the fold's model and every class (metrics taking
    ``labels``, like ``"neg_log_loss"``, get ``labels=classes_``). A fold
    with a single class predicts it with probability 1 at every ``alpha``.
    With ``refit=False`` such a fold's -1e300 intercept enters the average,
    so the averaged model never predicts that class: keep ``refit=True``
    with such splitters.

    Parameters
    ----------
    penalty : {"l1", "elasticnet", "l2", "l0"}, default="l1"
        The penalty (see :class:`RegularizedLogisticRegression`).
    alphas : array-like of shape (n_alphas,), default=None
        The grid of ``alpha`` for every ``l1_ratio``, in any order. Default:
        ``n_alphas`` values from ``alpha_max`` (the smallest ``alpha`` with an
        all-zero solution, computed on the whole training data, divided by
        ``l1_ratio`` for the elastic net) down to ``eps * alpha_max``. "l2"
        and "l0" use the L1 ``alpha_max`` as their scale.
    n_alphas : int, default=100
        Grid size when ``alphas`` is None.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` when ``alphas`` is None.
    l1_ratios : array-like of float in [0, 1], default=None
        Values of ``l1_ratio`` to cross-validate for ``penalty="elasticnet"``
        (default ``[0.5]``) and ``penalty="l0"`` (its L0 share; default
        ``[1.0]``, pure L0). Ignored by "l1" (1) and "l2" (0).
    cv : int, cross-validation generator or iterable, default=None
        Splitting strategy, as in scikit-learn: None is 5-fold, an int is
        the number of folds (stratified), or a splitter / an iterable of
        ``(train, test)`` index arrays.
    scoring : str, callable or None, default=None
        Score of each path point on a held-out fold (higher is better).
        None is the negative weighted mean log-loss (the objective's own
        loss, smooth in ``alpha``: scikit-learn's ``LogisticRegressionCV``
        moves its default to it in 1.11); otherwise a scorer name or callable
        ``scorer(estimator, X, y)``, as in
        :class:`~sklearn.model_selection.GridSearchCV`. Held-out samples
        count with their ``sample_weight`` (times ``class_weight``).
        :meth:`score` uses it too (accuracy when None).
    refit : bool, default=True
        Refit on all the data at the chosen ``alpha``. If False, ``coef_``
        and ``intercept_`` are the averages over the folds of the fold
        solutions at the chosen ``alpha`` (as in ``LogisticRegressionCV``).
    one_standard_error : bool, default=False
        Choose the largest ``alpha`` (for the best ``l1_ratio``) whose mean
        score is at least the best mean score minus its standard error (the
        standard deviation over folds divided by ``sqrt(n_folds)``): the
        sparsest model statistically indistinguishable from the best
        (Hastie, Tibshirani & Friedman, The Elements of Statistical
        Learning, §7.10).
    n_jobs : int, default=None
        Number of (l1_ratio, fold) paths solved in parallel by joblib. The
        kernels release the GIL, so threads are used by default; a joblib
        backend set with ``joblib.parallel_config`` (e.g. dask) is honoured.
    fit_intercept : bool, default=True
        Whether to fit unpenalized intercepts.
    tol : float, default=1e-4
        Relative KKT certificate of every path point (see
        :class:`RegularizedLogisticRegression`). With more features than
        samples, binary L1 / elastic-net path points (the refit included)
        stop once their duality gap is at most ``tol / 100`` times the
        objective or their KKT violation a tenth of that target (see
        :func:`regularization_path`).
    max_iter : int, default=100
        Proximal Newton steps (L0: epochs) allowed per path point.
    class_weight : dict, "balanced" or None, default=None
        Weights multiplying ``sample_weight`` per class (see
        :class:`RegularizedLogisticRegression`), computed once on all of ``y``
        and ``sample_weight`` and used in every fold.
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
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients at the chosen point.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts at the chosen point.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_iter_ : ndarray of shape (n_l1_ratios, n_folds, n_alphas)
        Full passes over the fold's data (each computes the certificate; at
        least one per point, however close the warm start) at every path
        point of every fold; epochs for "l0"; 0 for a fold with one class.
    kkt_violation_ : float
        Certificate of the refitted model (NaN for "l0" or ``refit=False``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X has string column names.

    See Also
    --------
    RegularizedLogisticRegression : The estimator at one ``alpha``.
    regularization_path : The path on one data set.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreg import RegularizedLogisticRegressionCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(),
    ...                     RegularizedLogisticRegressionCV(n_alphas=20)).fit(X, y)
    >>> clf[-1].alphas_.shape
    (1, 20)
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
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        penalty="l1",
        alphas=None,
        n_alphas=100,
        eps=1e-3,
        l1_ratios=None,
        cv=None,
        scoring=None,
        refit=True,
        one_standard_error=False,
        n_jobs=None,
        fit_intercept=True,
        tol=1e-4,
        max_iter=100,
        class_weight=None,
        verbose=0,
    ):
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
        self.class_weight = class_weight
        self.verbose = verbose

    def _point_scorer(self, classes, y, Y, sw, n_features, score_params):
        """Return ``score_point(W, b, X_test, test)`` for the chosen ``scoring``."""
        if self.scoring is None:
            code = make_datafit("log_loss", Y[:1], sw[:1]).code
            # As sklearn.metrics.log_loss: probabilities clipped below at eps, so a
            # sample of a class absent from the training fold costs -log(eps).
            max_loss = -np.log(np.finfo(np.float64).eps)

            def neg_log_loss(W, b, X_test, test):
                Z = np.asarray(X_test @ W.T) + b
                losses = np.minimum(sample_losses(code, Z, Y[test]), max_loss)
                return -np.average(losses, weights=sw[test])
            return neg_log_loss

        scorer = _with_all_labels(check_scoring(self, scoring=self.scoring), classes)
        uniform = np.all(sw == sw[0])

        def score(W, b, X_test, test):
            model = RegularizedLogisticRegression()
            model.coef_, model.intercept_, model.classes_ = W, b, classes
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
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, used in training and in held-out scores.
        **params : dict
            ``groups`` (array-like of shape (n_samples,)): group labels for a
            group splitter given as ``cv``. With metadata routing enabled
            (``sklearn.set_config(enable_metadata_routing=True)``), the
            metadata the splitter and the scorer request, routed to them as
            by ``LogisticRegressionCV`` (the held-out scores always use
            ``sample_weight``); without it, only ``groups``.

        Returns
        -------
        self : RegularizedLogisticRegressionCV
            The fitted estimator.
        """
        split_params, score_params = self._routed_fit_params(sample_weight, params)
        X, y, classes, y_index, Y, sw = self._validated_problem(X, y, sample_weight)
        if sp.issparse(X):
            X = as_csc(X)
        splits = list(check_cv(self.cv, y, classifier=True).split(X, y, **split_params))
        score_point = self._point_scorer(classes, y, Y, sw, X.shape[1], score_params)
        W, b = self._fit_paths(X, make_datafit("log_loss", Y, sw), splits, score_point)
        self.classes_ = classes
        self.coef_, self.intercept_ = W, b
        return self

    def _get_scorer(self):
        """The scorer of :meth:`score`: ``scoring``, or accuracy when it is None."""
        return get_scorer(self.scoring if self.scoring is not None else "accuracy")


def _with_all_labels(scorer, classes):
    """``scorer`` told every class, for metrics taking ``labels`` (log-loss, Brier).

    A test fold may lack a class that the model knows; such metrics would
    then infer the wrong label set. The scorer is rebuilt with
    ``labels=classes`` (and ``pos_label`` for two classes), as
    ``LogisticRegressionCV`` does.
    """
    score_func = getattr(scorer, "_score_func", None)
    if score_func is None:
        return scorer
    parameters = inspect.signature(score_func).parameters
    if "labels" not in parameters:
        return scorer
    kwargs = dict(getattr(scorer, "_kwargs", {}))
    kwargs["labels"] = classes
    if classes.shape[0] == 2 and "pos_label" in parameters:
        kwargs["pos_label"] = classes[-1]
    return make_scorer(score_func, greater_is_better=scorer._sign == 1,
                       response_method=scorer._response_method, **kwargs)
