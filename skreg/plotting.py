"""Displays (scikit-learn style) for regularization paths and MLP weight sparsity.

matplotlib is optional: it is imported inside the plotting functions only, and
a missing matplotlib raises an :class:`ImportError` that says how to install it
(``pip install "skreg[plot]"``).

Each display follows scikit-learn's visualization API (see
:class:`sklearn.metrics.RocCurveDisplay`): a class holding the numbers to
draw, a ``plot(ax=...)`` method that draws them and stores the matplotlib
artists as attributes ending in ``_`` (``ax_``, ``figure_``, ``lines_``, ...),
and ``from_*`` class methods that compute the numbers and plot in one call.

Classes
-------
RegularizationPathDisplay
    Coefficients against ``alpha`` (log scale), optionally with a
    cross-validation score band in a second panel and the chosen ``alpha``
    marked by a vertical line.
MLPSparsityDisplay
    Per layer of an :class:`~skreg.ElasticNetMLPClassifier` (or regressor), the fraction of
    weights that are exactly zero (bars) and/or the zero pattern (images).
GroupPathDisplay
    A network's inputs along a group-lasso path: each input's first-layer
    group norm against ``group_alpha`` and the number of inputs kept.
"""

import numbers
from numbers import Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["RegularizationPathDisplay", "MLPSparsityDisplay", "GroupPathDisplay"]

_INSTALL_HINT = 'pip install "skreg[plot]"'


def _import_pyplot():
    """Import and return ``matplotlib.pyplot``, or raise an ImportError naming the fix."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"skreg.plotting needs matplotlib, which is not installed. Install it with: "
            f"{_INSTALL_HINT}  (or pip install matplotlib)"
        ) from exc
    return plt


def _log_axis_grid(values, name):
    """``values`` as a 1-D float array drawable on a log axis, or a ValueError naming ``name``."""
    grid = np.asarray(values, dtype=np.float64).ravel()
    if grid.size == 0:
        raise ValueError(f"{name} must not be empty.")
    if not np.all(np.isfinite(grid)) or np.any(grid <= 0):
        raise ValueError(f"{name} must be finite and > 0 to be drawn on a log axis "
                         f"(got min {grid.min()!r}).")
    return grid


def _default_name(estimator):
    return type(estimator).__name__


# ---------------------------------------------------------------------------
# Regularization path
# ---------------------------------------------------------------------------


class RegularizationPathDisplay:
    """Regularization path: coefficients against ``alpha``, with an optional CV score band.

    The x axis is ``alpha`` on a log scale and is **inverted**: ``alpha``
    decreases from left to right, so the model grows from the empty model
    (all coefficients zero, at ``alpha_max``) on the left to the least
    regularized one on the right, as coefficients enter the model one by one.
    This is the orientation of scikit-learn's Lasso path examples (which plot
    ``-log(alpha)``); the tick labels show ``alpha`` itself.

    Create it with :meth:`from_estimator` (computes the path with
    :func:`skreg.regularization_path`) or :meth:`from_path` (from arrays you
    already have), or build it with the constructor and call :meth:`plot`.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
        The grid, every value > 0 (any order; drawn on a log axis).
    coefs : array-like of shape (n_alphas, n_features) or (n_alphas, n_rows, n_features)
        Coefficients at each ``alpha``, e.g. the second output of
        :func:`skreg.regularization_path`. With ``n_rows > 1`` (multinomial),
        every (row, feature) pair is one line, labelled with the row index.
    scores : array-like of shape (n_alphas,) or (n_alphas, n_folds), default=None
        Validation scores at each ``alpha`` (higher is better), e.g. one
        ``scores_[i]`` of :class:`skreg.RegularizedLogisticRegressionCV`.
        With folds, the mean is drawn as a line and mean ± std (over the
        folds) as a band.
    alpha : float, default=None
        The chosen ``alpha``, marked by a vertical dashed line.
    feature_names : array-like of str of shape (n_features,), default=None
        Names for the legend (default ``"x0"``, ``"x1"``, ...).
    estimator_name : str, default=None
        Shown in the title.
    score_name : str, default=None
        Label of the score axis (default ``"score"``).

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One line per drawn coefficient path (see ``plot``'s ``show_zero``).
    line_features_ : list of str
        The label of each line in ``lines_`` (same order).
    labelled_features_ : list of str
        The labels of the paths named in the legend, largest ``|coef|`` first
        (see ``plot``'s ``n_labels``).
    legend_ : matplotlib Legend or None
        The legend of the labelled paths (None when no path is labelled).
    count_text_ : matplotlib Text or None
        "k non-zero paths of p; ..." when not every drawn path is labelled
        (None otherwise).
    alpha_lines_ : list of matplotlib Line2D
        The vertical line(s) marking ``alpha`` (one per panel), empty when
        ``alpha`` is None.
    score_line_ : matplotlib Line2D or None
        The mean score against ``alpha``.
    score_band_ : matplotlib PolyCollection or None
        The mean ± std band (None without folds).
    ax_ : matplotlib Axes
        The coefficient panel.
    score_ax_ : matplotlib Axes or None
        The score panel (None without ``scores``).
    figure_ : matplotlib Figure
        The figure holding the panels.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreg import RegularizedLogisticRegression
    >>> from skreg.plotting import RegularizationPathDisplay
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = RegularizedLogisticRegression(penalty="l1", alpha=0.02).fit(X, y)
    >>> disp = RegularizationPathDisplay.from_estimator(clf, X, y, n_alphas=20)
    >>> len(disp.lines_) <= X.shape[1]
    True
    """

    def __init__(self, *, alphas, coefs, scores=None, alpha=None, feature_names=None,
                 estimator_name=None, score_name=None):
        self.alphas = alphas
        self.coefs = coefs
        self.scores = scores
        self.alpha = alpha
        self.feature_names = feature_names
        self.estimator_name = estimator_name
        self.score_name = score_name

    # -- validation ----------------------------------------------------------

    def _checked_arrays(self):
        alphas = _log_axis_grid(self.alphas, "alphas")
        coefs = np.asarray(self.coefs, dtype=np.float64)
        if coefs.ndim == 2:
            coefs = coefs[:, None, :]
        if coefs.ndim != 3 or coefs.shape[0] != alphas.size:
            raise ValueError(
                "coefs must have shape (n_alphas, n_features) or (n_alphas, n_rows, n_features) "
                f"with n_alphas={alphas.size}; got shape {np.shape(self.coefs)}."
            )
        scores = None
        if self.scores is not None:
            scores = np.asarray(self.scores, dtype=np.float64)
            if scores.ndim == 1:
                scores = scores[:, None]
            if scores.ndim != 2 or scores.shape[0] != alphas.size:
                raise ValueError(
                    "scores must have shape (n_alphas,) or (n_alphas, n_folds) with "
                    f"n_alphas={alphas.size}; got shape {np.shape(self.scores)}."
                )
        n_features = coefs.shape[2]
        if self.feature_names is None:
            names = [f"x{j}" for j in range(n_features)]
        else:
            names = [str(name) for name in self.feature_names]
            if len(names) != n_features:
                raise ValueError(
                    f"feature_names has {len(names)} entries but coefs has {n_features} features."
                )
        if self.alpha is not None and not (isinstance(self.alpha, Real) and self.alpha > 0):
            raise ValueError(f"alpha must be a number > 0 or None, got {self.alpha!r}.")
        return alphas, coefs, scores, names

    # -- drawing -------------------------------------------------------------

    def plot(self, ax=None, *, show_zero=False, n_labels=10, line_kwargs=None,
             score_ax=None):
        """Draw the path (and the score band, if any).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes for the coefficients. If None, a new figure is created: with
            ``scores``, two panels sharing the x axis (coefficients on top,
            scores below); otherwise one.
        show_zero : bool, default=False
            Also draw the coefficients that are zero at every ``alpha`` (flat
            lines at 0). By default only the paths that leave zero somewhere
            are drawn, which keeps a 7000-feature path readable.
        n_labels : int, default=10
            Name at most this many paths in the legend: the largest in
            absolute value at ``alpha`` (at the grid point nearest to it; at
            the smallest ``alpha`` of the grid when ``alpha`` is None), ties
            broken by the absolute value at the smallest ``alpha``. They are
            drawn in colour, in the legend's order; the other paths are drawn
            thin and grey, unlabelled, and a note says how many paths there
            are. 0 draws every path in colour without a legend.
        line_kwargs : dict, default=None
            Extra keyword arguments for every coefficient line.
        score_ax : matplotlib Axes, default=None
            Axes for the scores when ``ax`` is given. Default: a twin of
            ``ax`` (``ax.twinx()``) with its own y axis on the right.

        Returns
        -------
        display : RegularizationPathDisplay
            ``self``, with the artists stored as attributes.
        """
        if not (isinstance(n_labels, numbers.Integral) and n_labels >= 0):
            raise ValueError(f"n_labels must be an integer >= 0, got {n_labels!r}.")
        plt = _import_pyplot()
        alphas, coefs, scores, names = self._checked_arrays()
        n_alphas, n_rows, n_features = coefs.shape

        if ax is None:
            if scores is not None:
                fig, (ax, score_ax) = plt.subplots(
                    2, 1, sharex=True, figsize=(6.4, 6.0),
                    gridspec_kw={"height_ratios": [2, 1]}, constrained_layout=True,
                )
            else:
                fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
        elif scores is not None and score_ax is None:
            score_ax = ax.twinx()
        fig = ax.figure

        order = np.argsort(alphas)[::-1]  # decreasing, left to right after inversion
        a = alphas[order]
        paths = coefs[order].reshape(n_alphas, n_rows * n_features)  # column k * p + j
        labels = [names[j] if n_rows == 1 else f"{names[j]} [{k}]"
                  for k in range(n_rows) for j in range(n_features)]
        drawn = [c for c in range(paths.shape[1]) if show_zero or np.any(paths[:, c] != 0)]
        # Rank the drawn paths by |coef| at the chosen alpha (nearest grid point in log
        # scale), then at the smallest alpha; np.lexsort sorts by its last key first.
        ref = (n_alphas - 1 if self.alpha is None
               else int(np.argmin(np.abs(np.log(a) - np.log(float(self.alpha))))))
        cols = np.asarray(drawn, dtype=np.int64)
        rank = cols[np.lexsort((-np.abs(paths[-1, cols]), -np.abs(paths[ref, cols])))]
        labelled = [int(c) for c in rank[:n_labels]] if n_labels else []
        colour = {c: f"C{i % 10}" for i, c in enumerate(labelled if n_labels else drawn)}

        self.lines_ = []
        self.line_features_ = []
        by_column = {}
        for c in drawn:
            if c in colour:
                kwargs = {"linewidth": 1.4, "color": colour[c], "label": labels[c], "zorder": 2.5}
            else:  # unlabelled: present but in the background
                kwargs = {"linewidth": 0.8, "color": "0.7", "label": "_" + labels[c],
                          "zorder": 2.0}
            kwargs.update(line_kwargs or {})
            (line,) = ax.plot(a, paths[:, c], **kwargs)
            by_column[c] = line
            self.lines_.append(line)
            self.line_features_.append(labels[c])
        self.labelled_features_ = [labels[c] for c in labelled]
        ax.axhline(0.0, color="0.6", linewidth=0.6, zorder=0)
        ax.set_xscale("log")
        if not ax.xaxis_inverted():
            ax.invert_xaxis()
        ax.set_ylabel("coefficient")
        n_drawn = len(self.lines_)
        title = "Regularization path"
        if self.estimator_name:
            title += f" ({self.estimator_name})"
        ax.set_title(title)
        self.legend_ = None
        if labelled:
            where = "smallest alpha" if self.alpha is None else f"alpha = {a[ref]:.3g}"
            self.legend_ = ax.legend(
                handles=[by_column[c] for c in labelled], loc="upper left",
                bbox_to_anchor=(1.01, 1.0), fontsize="small", title_fontsize="small",
                title=f"largest |coef| at\n{where}" if len(labelled) < n_drawn else None)
        self.count_text_ = None
        if len(labelled) < n_drawn:
            note = f"{n_drawn} {'' if show_zero else 'non-zero '}paths of {n_rows * n_features}"
            if labelled:
                note += f"; {len(labelled)} labelled, the rest grey"
            self.count_text_ = ax.text(0.02, 0.96, note, transform=ax.transAxes, va="top",
                                       fontsize="small")

        self.score_line_ = None
        self.score_band_ = None
        self.score_ax_ = None
        if scores is not None:
            s = scores[order]
            mean = s.mean(axis=1)
            (self.score_line_,) = score_ax.plot(a, mean, color="k", linewidth=1.5,
                                                label="mean score")
            if s.shape[1] > 1:
                std = s.std(axis=1)
                self.score_band_ = score_ax.fill_between(
                    a, mean - std, mean + std, color="0.5", alpha=0.3,
                    label=f"± std over {s.shape[1]} folds",
                )
            score_ax.set_ylabel(self.score_name or "score")
            if score_ax.get_xscale() != "log":
                score_ax.set_xscale("log")
            if not score_ax.xaxis_inverted():
                score_ax.invert_xaxis()
            self.score_ax_ = score_ax
        # A separate score panel (not a twin sharing ax's box) gets its own marker.
        separate = (self.score_ax_ is not None
                    and self.score_ax_.get_position().bounds != ax.get_position().bounds)
        panels = [ax, self.score_ax_] if separate else [ax]
        panels[-1].set_xlabel("alpha (log scale, decreasing →)")

        self.alpha_lines_ = []
        if self.alpha is not None:
            for panel in panels:
                self.alpha_lines_.append(panel.axvline(
                    float(self.alpha), color="tab:red", linestyle="--", linewidth=1.2,
                    label=f"alpha = {self.alpha:.3g}",
                ))
        if self.score_ax_ is not None:
            self.score_ax_.legend(loc="best", fontsize="small")

        self.ax_ = ax
        self.figure_ = fig
        return self

    # -- constructors --------------------------------------------------------

    @classmethod
    def from_path(cls, alphas, coefs, *, scores=None, alpha=None, feature_names=None,
                  estimator_name=None, score_name=None, ax=None, **plot_kwargs):
        """Plot a path from arrays.

        Parameters
        ----------
        alphas, coefs, scores, alpha, feature_names, estimator_name, score_name
            See the class parameters.
        ax : matplotlib Axes, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot` (``show_zero``, ``n_labels``,
            ``line_kwargs``, ``score_ax``).

        Returns
        -------
        display : RegularizationPathDisplay
        """
        disp = cls(alphas=alphas, coefs=coefs, scores=scores, alpha=alpha,
                   feature_names=feature_names, estimator_name=estimator_name,
                   score_name=score_name)
        return disp.plot(ax=ax, **plot_kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, alphas=None, n_alphas=100, eps=1e-3,
                       sample_weight=None, feature_names=None, ax=None, **plot_kwargs):
        """Compute the regularization path of a fitted estimator's penalty and plot it.

        The path is computed on ``(X, y)`` by :func:`skreg.regularization_path`
        with the estimator's loss (``"squared_error"`` for a regressor,
        ``"log_loss"`` otherwise), ``penalty``, ``l1_ratio``, ``fit_intercept``,
        ``tol`` and ``max_iter`` (``class_weight`` becomes sample weights).

        - A fitted :class:`~skreg.RegularizedLogisticRegression` or
          :class:`~skreg.RegularizedLinearRegression`: the grid
          (unless ``alphas`` is given) runs from ``alpha_max`` down to
          ``eps * alpha_max`` -- extended down to half the estimator's
          ``alpha`` if that is smaller -- and the estimator's ``alpha`` is
          marked.
        - A fitted :class:`~skreg.RegularizedLogisticRegressionCV` or
          :class:`~skreg.RegularizedLinearRegressionCV` (anything
          with ``alphas_``, ``scores_`` and ``alpha_``): the grid is its
          ``alphas_`` row of the chosen ``l1_ratio_``, the score band is the
          matching ``scores_`` row (mean ± std over the folds) and ``alpha_``
          is marked.
        - A :class:`~sklearn.pipeline.Pipeline` ending in either: ``X`` is
          transformed by the fitted steps before the last one.

        Parameters
        ----------
        estimator : fitted estimator or Pipeline
            See above.
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Data to compute the path on (usually the training data).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Labels, or a regressor's targets.
        alphas : array-like, default=None
            Grid to use instead of the default (ignored for a CV estimator,
            whose grid is used).
        n_alphas : int, default=100
            Grid size when ``alphas`` is None.
        eps : float, default=1e-3
            ``alpha_min / alpha_max`` of the default grid.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights for the path.
        feature_names : array-like of str, default=None
            Default: the estimator's ``feature_names_in_`` (or a pipeline's
            ``get_feature_names_out``) when available.
        ax : matplotlib Axes, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : RegularizationPathDisplay
        """
        _import_pyplot()  # fail early, before computing a path
        from sklearn.base import is_regressor
        from sklearn.pipeline import Pipeline
        from sklearn.utils.class_weight import compute_sample_weight

        from .linear_model import regularization_path

        if isinstance(estimator, Pipeline):
            check_is_fitted(estimator)
            final = estimator[-1]
            check_is_fitted(final)
            if len(estimator) > 1:
                head = estimator[:-1]
                X = head.transform(X)
                if feature_names is None:
                    try:
                        feature_names = head.get_feature_names_out()
                    except (AttributeError, ValueError, TypeError):
                        feature_names = None
        else:
            final = estimator
            check_is_fitted(final)
        if feature_names is None and hasattr(final, "feature_names_in_"):
            feature_names = final.feature_names_in_
        if feature_names is None and hasattr(X, "columns"):
            feature_names = np.asarray(X.columns, dtype=object)

        penalty = final.get_params().get("penalty", "l1")
        if penalty is None:
            raise ValueError("The estimator has penalty=None: there is no regularization path.")
        regression = is_regressor(final)
        is_cv = all(hasattr(final, a) for a in ("alphas_", "scores_", "alpha_"))
        scores = None
        if is_cv:
            l1_ratios = np.atleast_1d(np.asarray(getattr(final, "l1_ratios_", [1.0]), float))
            l1_ratio = float(getattr(final, "l1_ratio_", l1_ratios[0]))
            i = int(np.argmin(np.abs(l1_ratios - l1_ratio)))
            grid = np.atleast_2d(np.asarray(final.alphas_, dtype=np.float64))[i]
            all_scores = np.asarray(final.scores_, dtype=np.float64)
            scores = all_scores[i] if all_scores.ndim == 3 else all_scores
            alpha = float(final.alpha_)
            n_folds = scores.shape[1] if scores.ndim == 2 else 1
            scoring = final.get_params().get("scoring")
            if scoring is None:  # the CV estimators' default scores
                scoring = "neg. MSE" if regression else "neg. log-loss"
            score_name = (f"CV {scoring if isinstance(scoring, str) else 'score'}"
                          f" ({n_folds} folds)")
        else:
            l1_ratio = float(final.get_params().get("l1_ratio", 1.0) or 0.0)
            alpha = float(final.alpha)
            grid = alphas
            score_name = None
        l1_ratio_path = l1_ratio if penalty in ("elasticnet", "l0") else 1.0

        sw = None
        class_weight = final.get_params().get("class_weight")
        if class_weight is not None:
            sw = compute_sample_weight(class_weight, y)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            sw = sample_weight if sw is None else sw * sample_weight

        params = final.get_params()
        common = dict(loss="squared_error" if regression else "log_loss",
                      penalty=penalty, l1_ratio=l1_ratio_path,
                      fit_intercept=params.get("fit_intercept", True), sample_weight=sw,
                      tol=params.get("tol", 1e-4), max_iter=params.get("max_iter", 100))
        if grid is None and alpha > 0:
            # Find alpha_max (a one-point path: the all-zero solution, cheap) and
            # make sure the grid reaches the estimator's alpha.
            # The L1 (or elastic-net) alpha_max is the scale of every penalty's grid.
            scale = penalty == "elasticnet" and l1_ratio_path > 0
            alpha_max = regularization_path(X, y, n_alphas=1, **{
                **common, "penalty": "elasticnet" if scale else "l1",
                "l1_ratio": l1_ratio_path if scale else 1.0})[0][0]
            lowest = min(eps * alpha_max, 0.5 * alpha)
            grid = alpha_max * np.geomspace(1.0, lowest / alpha_max, n_alphas)
        path_alphas, coefs, _, _ = regularization_path(
            X, y, alphas=grid, n_alphas=n_alphas, eps=eps, **common)
        if scores is not None:
            # regularization_path returns its grid decreasing; align the scores.
            src = np.asarray(grid, dtype=np.float64)
            scores = scores[np.argsort(src)[::-1]]
        return cls.from_path(
            path_alphas, coefs, scores=scores, alpha=alpha if alpha > 0 else None,
            feature_names=feature_names, estimator_name=_default_name(final),
            score_name=score_name, ax=ax, **plot_kwargs)


# ---------------------------------------------------------------------------
# MLP sparsity
# ---------------------------------------------------------------------------


class MLPSparsityDisplay:
    """Exact zeros in the weight matrices of an MLP, per layer.

    Two views, chosen by ``kind`` in :meth:`plot`:

    - ``"bars"``: one bar per weight matrix (layer ``l`` to ``l + 1``) with the
      fraction of its entries that are exactly 0.0;
    - ``"pattern"``: one image per weight matrix, a pixel per weight, dark
      where the weight is non-zero (rows: input units, columns: output units);
    - ``"both"`` (default): the bars and the images side by side.

    Parameters
    ----------
    coefs : list of array-like of shape (n_in, n_out)
        The weight matrices, e.g. ``coefs_`` of a fitted
        :class:`~skreg.ElasticNetMLPClassifier` or
        :class:`~skreg.ElasticNetMLPRegressor`.
    estimator_name : str, default=None
        Shown in the title.

    Attributes
    ----------
    zero_fractions_ : ndarray of shape (n_layers,)
        Fraction of exact zeros per weight matrix (set by ``plot``).
    n_zeros_ : ndarray of shape (n_layers,)
        Number of exact zeros per weight matrix.
    bars_ : matplotlib BarContainer or None
        The bars (None for ``kind="pattern"``).
    images_ : list of matplotlib AxesImage
        The zero patterns (empty for ``kind="bars"``).
    ax_ : matplotlib Axes
        The bar axes, or the first pattern axes for ``kind="pattern"``.
    pattern_axes_ : list of matplotlib Axes
        The axes of the images (integer ticks: the units' indices).
    key_ : matplotlib Legend or None
        The key of the images ("non-zero weight" / "weight = 0", in
        the colormap's colours), next to the last one; None for
        ``kind="bars"``.
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skreg import ElasticNetMLPClassifier
    >>> from skreg.plotting import MLPSparsityDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> mlp = ElasticNetMLPClassifier(hidden_layer_sizes=(32,), penalty="l1", alpha=1e-3,
    ...                               max_iter=5, random_state=0).fit(X / 16, y)
    >>> disp = MLPSparsityDisplay.from_estimator(mlp)
    >>> len(disp.bars_), len(disp.images_)
    (2, 2)
    """

    def __init__(self, *, coefs, estimator_name=None):
        self.coefs = coefs
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, kind="both", cmap="Greys"):
        """Draw the bars and/or the zero patterns.

        Parameters
        ----------
        ax : matplotlib Axes or list of Axes, default=None
            ``kind="bars"``: one Axes. ``kind="pattern"``: one Axes per weight
            matrix. ``kind="both"``: one Axes for the bars followed by one per
            weight matrix. If None, a new figure is created.
        kind : {"both", "bars", "pattern"}, default="both"
            What to draw.
        cmap : str or matplotlib Colormap, default="Greys"
            Colormap of the images (non-zero = 1, zero = 0; with "Greys",
            black is a non-zero weight, white an exact zero, as the key says).

        Returns
        -------
        display : MLPSparsityDisplay
        """
        if kind not in ("both", "bars", "pattern"):
            raise ValueError(f"kind must be 'both', 'bars' or 'pattern', got {kind!r}.")
        plt = _import_pyplot()
        mats = [np.asarray(c) for c in self.coefs]
        if not mats or any(m.ndim != 2 for m in mats):
            raise ValueError("coefs must be a non-empty list of 2-D weight matrices.")
        n_layers = len(mats)
        self.n_zeros_ = np.array([int(np.count_nonzero(m == 0)) for m in mats])
        sizes = np.array([m.size for m in mats])
        self.zero_fractions_ = self.n_zeros_ / np.maximum(sizes, 1)

        n_axes = {"bars": 1, "pattern": n_layers, "both": n_layers + 1}[kind]
        if ax is None:
            widths = ([1.6] if kind != "pattern" else []) + (
                [1.0] * n_layers if kind != "bars" else [])
            fig, axes = plt.subplots(
                1, n_axes, figsize=(min(3.0 + 2.6 * n_axes, 16), 3.6), squeeze=False,
                gridspec_kw={"width_ratios": widths}, constrained_layout=True)
            axes = list(axes[0])
        else:
            axes = list(np.ravel(np.asarray(ax, dtype=object)))
            if len(axes) != n_axes:
                raise ValueError(f"kind={kind!r} with {n_layers} weight matrices needs "
                                 f"{n_axes} Axes, got {len(axes)}.")
            fig = axes[0].figure

        labels = [f"{l}→{l + 1}\n{m.shape[0]}×{m.shape[1]}" for l, m in enumerate(mats)]
        self.bars_ = None
        self.images_ = []
        self.pattern_axes_ = []
        if kind in ("bars", "both"):
            bar_ax = axes.pop(0)
            self.bars_ = bar_ax.bar(np.arange(n_layers), self.zero_fractions_,
                                    color="tab:blue")
            for i, (frac, nz, size) in enumerate(zip(self.zero_fractions_, self.n_zeros_,
                                                     sizes)):
                bar_ax.text(i, min(frac, 1.0) + 0.02, f"{frac:.0%}\n({nz}/{size})",
                            ha="center", va="bottom", fontsize="small")
            bar_ax.set_xticks(np.arange(n_layers), labels, fontsize="small")
            bar_ax.set_ylim(0, 1.25)
            bar_ax.set_ylabel("fraction of weights exactly 0")
            bar_ax.set_xlabel("weight matrix (layer → layer)")
            self.ax_ = bar_ax
        from matplotlib.patches import Patch
        from matplotlib.ticker import MaxNLocator

        colormap = plt.get_cmap(cmap)
        for l, (pax, m) in enumerate(zip(axes, mats)):
            img = pax.imshow((m != 0).astype(float), cmap=colormap, vmin=0, vmax=1,
                             aspect="auto", interpolation="nearest")
            pax.set_title(f"W{l}: {m.shape[0]}×{m.shape[1]}, {self.zero_fractions_[l]:.0%} zero",
                          fontsize="small")
            pax.set_xlabel("unit of layer %d" % (l + 1), fontsize="small")
            pax.set_ylabel("unit of layer %d" % l, fontsize="small")
            # Pixels are units: integer ticks only (a 30 x 1 matrix got ticks at -0.4 ... 0.4).
            pax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
            pax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
            self.images_.append(img)
            self.pattern_axes_.append(pax)
        self.key_ = None
        if self.pattern_axes_:
            # The key, with the colormap's own colours for 1 (non-zero) and 0 (zero).
            handles = [Patch(facecolor=colormap(1.0), edgecolor="0.3", label="non-zero weight"),
                       Patch(facecolor=colormap(0.0), edgecolor="0.3", label="weight = 0")]
            self.key_ = self.pattern_axes_[-1].legend(
                handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                fontsize="small", frameon=False)
        if kind == "pattern":
            self.ax_ = self.pattern_axes_[0]
        title = "Exact zeros per weight matrix"
        if self.estimator_name:
            title += f" ({self.estimator_name})"
        fig.suptitle(title)
        self.figure_ = fig
        return self

    @classmethod
    def from_weights(cls, coefs, *, estimator_name=None, ax=None, **plot_kwargs):
        """Plot the sparsity of a list of weight matrices.

        Parameters
        ----------
        coefs : list of array-like of shape (n_in, n_out)
            The weight matrices.
        estimator_name : str, default=None
            Shown in the title.
        ax : matplotlib Axes or list of Axes, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot` (``kind``, ``cmap``).

        Returns
        -------
        display : MLPSparsityDisplay
        """
        return cls(coefs=coefs, estimator_name=estimator_name).plot(ax=ax, **plot_kwargs)

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, **plot_kwargs):
        """Plot the sparsity of a fitted MLP's ``coefs_``.

        Parameters
        ----------
        estimator : fitted ElasticNetMLPClassifier or ElasticNetMLPRegressor (anything
            with ``coefs_``), or a Pipeline ending in one.
        ax : matplotlib Axes or list of Axes, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot` (``kind``, ``cmap``).

        Returns
        -------
        display : MLPSparsityDisplay
        """
        _import_pyplot()
        from sklearn.pipeline import Pipeline

        if isinstance(estimator, Pipeline):
            estimator = estimator[-1]
        check_is_fitted(estimator, "coefs_")
        return cls.from_weights(estimator.coefs_, estimator_name=_default_name(estimator),
                                ax=ax, **plot_kwargs)


# ---------------------------------------------------------------------------
# Group-lasso path of a network's inputs
# ---------------------------------------------------------------------------


class GroupPathDisplay:
    """Inputs leaving a network along a group-lasso path: group norms against ``group_alpha``.

    The group of input ``j`` is row ``j`` of a network's first weight matrix
    (its outgoing weights); the penalty ``group_alpha * sum_j ||W_0[j, :]||_2``
    sets whole rows exactly to zero, so inputs leave the network one by one
    as ``group_alpha`` grows. The top panel draws each input's group norm
    ``||W_0[j, :]||_2``; the bottom one the number of inputs still connected
    (and, if given, a score on a second y axis). As in
    :class:`RegularizationPathDisplay`, the x axis is log scale and inverted:
    ``group_alpha`` decreases from left to right, so inputs *enter* from the
    left and read the path right to left to see them leave.

    Create it with :meth:`from_estimator` (runs the estimator's
    ``group_path``, e.g. :meth:`skreg.ElasticNetMLPClassifier.group_path`) or
    :meth:`from_path` (arrays you already have), or build it with the
    constructor and call :meth:`plot`.

    Parameters
    ----------
    group_alphas : array-like of shape (n_alphas,)
        The grid, every value > 0 (any order).
    group_norms : array-like of shape (n_alphas, n_features)
        ``||W_0[j, :]||_2`` of every input at every ``group_alpha`` (exactly 0
        for an input the network dropped).
    scores : array-like of shape (n_alphas,), default=None
        A score at each ``group_alpha`` (e.g. held-out accuracy or R^2),
        drawn on the bottom panel's second y axis.
    group_alpha : float, default=None
        A value to mark with a vertical line (e.g. the one chosen).
    feature_names : array-like of str, default=None
        Names of the inputs (default ``x0, x1, ...``).
    estimator_name : str, default=None
        Shown in the title.
    score_name : str, default=None
        Label of the score axis (default ``"score"``).

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One group-norm path per input that is non-zero somewhere on the grid.
    line_features_ : list of str
        The input name of each line.
    labelled_features_ : list of str
        The inputs named in the legend (drawn in colour), those that stay
        connected longest first.
    legend_ : matplotlib Legend or None
    n_kept_ : ndarray of shape (n_alphas,)
        Number of inputs with a non-zero group, in the order of the x axis
        (decreasing ``group_alpha``).
    exit_alphas_ : ndarray of shape (n_features,)
        For each input, the smallest ``group_alpha`` of the grid from which
        its group stays exactly zero at every larger one (``inf``: kept
        everywhere; the smallest grid value: never connected).
    count_line_ : matplotlib Line2D
        The number of inputs kept.
    score_line_ : matplotlib Line2D or None
    alpha_lines_ : list of matplotlib Line2D
        The ``group_alpha`` markers (one per panel), empty if not given.
    ax_, count_ax_ : matplotlib Axes
        The group-norm and the count panels.
    score_ax_ : matplotlib Axes or None
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skreg.plotting import GroupPathDisplay
    >>> norms = np.array([[2.0, 1.0, 0.5], [1.5, 0.4, 0.0], [1.0, 0.0, 0.0]])
    >>> disp = GroupPathDisplay.from_path([0.01, 0.1, 1.0], norms, feature_names=["a", "b", "c"])
    >>> disp.exit_alphas_.tolist()
    [inf, 1.0, 0.1]
    """

    def __init__(self, *, group_alphas, group_norms, scores=None, group_alpha=None,
                 feature_names=None, estimator_name=None, score_name=None):
        self.group_alphas = group_alphas
        self.group_norms = group_norms
        self.scores = scores
        self.group_alpha = group_alpha
        self.feature_names = feature_names
        self.estimator_name = estimator_name
        self.score_name = score_name

    def _checked_arrays(self):
        alphas = _log_axis_grid(self.group_alphas, "group_alphas")
        norms = np.asarray(self.group_norms, dtype=np.float64)
        if norms.ndim != 2 or norms.shape[0] != alphas.size:
            raise ValueError("group_norms must have shape (n_alphas, n_features) with "
                             f"n_alphas={alphas.size}; got shape {np.shape(self.group_norms)}.")
        if np.any(norms < 0) or not np.all(np.isfinite(norms)):
            raise ValueError("group_norms must be finite and >= 0 (they are Euclidean norms).")
        scores = None
        if self.scores is not None:
            scores = np.asarray(self.scores, dtype=np.float64).ravel()
            if scores.size != alphas.size:
                raise ValueError(f"scores must have n_alphas={alphas.size} entries; got "
                                 f"{scores.size}.")
        n_features = norms.shape[1]
        if self.feature_names is None:
            names = [f"x{j}" for j in range(n_features)]
        else:
            names = [str(name) for name in self.feature_names]
            if len(names) != n_features:
                raise ValueError(f"feature_names has {len(names)} entries but group_norms has "
                                 f"{n_features} inputs.")
        if self.group_alpha is not None and not (
                isinstance(self.group_alpha, Real) and self.group_alpha > 0):
            raise ValueError(f"group_alpha must be a number > 0 or None, got {self.group_alpha!r}.")
        return alphas, norms, scores, names

    @staticmethod
    def _exit_alphas(alphas, norms):
        """Per input, the smallest grid value from which its group stays zero (inf: never)."""
        order = np.argsort(alphas)
        a, nz = alphas[order], norms[order] != 0
        exit_alphas = np.full(norms.shape[1], np.inf)
        for j in range(norms.shape[1]):
            alive = np.flatnonzero(nz[:, j])
            if alive.size == 0:
                exit_alphas[j] = a[0]
            elif alive[-1] < a.size - 1:
                exit_alphas[j] = a[alive[-1] + 1]
        return exit_alphas

    def plot(self, ax=None, *, n_labels=10, line_kwargs=None, count_ax=None):
        """Draw the group norms and the number of inputs kept.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes for the group norms. If None, a new figure with two panels
            sharing the x axis is created (norms on top, count below).
        n_labels : int, default=10
            Name at most this many inputs in the legend: those that stay
            connected up to the largest ``group_alpha`` (ties broken by the
            group norm at the smallest ``group_alpha``). They are drawn in
            colour; the other inputs thin and grey, unlabelled. 0 draws every
            input in colour without a legend.
        line_kwargs : dict, default=None
            Extra keyword arguments for every group-norm line.
        count_ax : matplotlib Axes, default=None
            Axes for the count when ``ax`` is given (default: a twin of ``ax``).

        Returns
        -------
        display : GroupPathDisplay
            ``self``, with the artists stored as attributes.
        """
        if not (isinstance(n_labels, numbers.Integral) and n_labels >= 0):
            raise ValueError(f"n_labels must be an integer >= 0, got {n_labels!r}.")
        plt = _import_pyplot()
        alphas, norms, scores, names = self._checked_arrays()
        if ax is None:
            fig, (ax, count_ax) = plt.subplots(
                2, 1, sharex=True, figsize=(6.4, 6.0), gridspec_kw={"height_ratios": [2, 1]},
                constrained_layout=True)
        elif count_ax is None:
            count_ax = ax.twinx()
        fig = ax.figure
        order = np.argsort(alphas)[::-1]
        a = alphas[order]
        self.exit_alphas_ = self._exit_alphas(alphas, norms)
        drawn = np.flatnonzero(np.any(norms != 0, axis=0))
        # the inputs that leave last first; np.lexsort sorts by its last key first
        rank = drawn[np.lexsort((-norms[order[-1], drawn], -self.exit_alphas_[drawn]))]
        labelled = [int(j) for j in rank[:n_labels]]
        colour = {j: f"C{i % 10}" for i, j in enumerate(labelled if n_labels else drawn)}
        self.lines_, self.line_features_, by_input = [], [], {}
        for j in drawn:
            if j in colour:
                kwargs = {"linewidth": 1.4, "color": colour[j], "label": names[j], "zorder": 2.5}
            else:
                kwargs = {"linewidth": 0.8, "color": "0.7", "label": "_" + names[j],
                          "zorder": 2.0}
            kwargs.update(line_kwargs or {})
            (line,) = ax.plot(a, norms[order, j], **kwargs)
            by_input[j] = line
            self.lines_.append(line)
            self.line_features_.append(names[j])
        self.labelled_features_ = [names[j] for j in labelled]
        for panel in (ax, count_ax):
            panel.set_xscale("log")
            if not panel.xaxis_inverted():
                panel.invert_xaxis()
        ax.set_ylabel("group norm ||W0[j, :]||")
        title = "Inputs along the group-lasso path"
        if self.estimator_name:
            title += f" ({self.estimator_name})"
        ax.set_title(title)
        self.legend_ = None
        if labelled:
            self.legend_ = ax.legend(
                handles=[by_input[j] for j in labelled], loc="upper left",
                bbox_to_anchor=(1.01, 1.0), fontsize="small", title_fontsize="small",
                title="connected longest" if len(labelled) < len(drawn) else None)
        if len(labelled) < len(drawn):
            ax.text(0.02, 0.96, f"{len(drawn)} inputs connected somewhere"
                    + (f"; {len(labelled)} labelled, the rest grey" if labelled else ""),
                    transform=ax.transAxes, va="top", fontsize="small")

        self.n_kept_ = np.count_nonzero(norms[order] != 0, axis=1)
        (self.count_line_,) = count_ax.step(a, self.n_kept_, where="mid", color="k",
                                            label="inputs kept")
        count_ax.set_ylabel("inputs kept")
        count_ax.set_ylim(bottom=0)
        count_ax.set_xlabel("group_alpha (log scale, decreasing →)")
        self.score_ax_, self.score_line_ = None, None
        if scores is not None:
            self.score_ax_ = count_ax.twinx()
            (self.score_line_,) = self.score_ax_.plot(a, scores[order], color="tab:red",
                                                      marker="o", markersize=3,
                                                      label=self.score_name or "score")
            self.score_ax_.set_ylabel(self.score_name or "score", color="tab:red")
        self.alpha_lines_ = []
        if self.group_alpha is not None:
            for panel in (ax, count_ax):
                self.alpha_lines_.append(panel.axvline(
                    float(self.group_alpha), color="tab:red", linestyle="--", linewidth=1.2,
                    label=f"group_alpha = {self.group_alpha:.3g}"))
        self.ax_, self.count_ax_, self.figure_ = ax, count_ax, fig
        return self

    @classmethod
    def from_path(cls, group_alphas, group_norms, *, scores=None, group_alpha=None,
                  feature_names=None, estimator_name=None, score_name=None, ax=None,
                  **plot_kwargs):
        """Plot a group-lasso path from arrays.

        Parameters
        ----------
        group_alphas, group_norms, scores, group_alpha, feature_names, estimator_name, score_name
            See the class parameters.
        ax : matplotlib Axes, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot` (``n_labels``, ``line_kwargs``, ``count_ax``).

        Returns
        -------
        display : GroupPathDisplay
        """
        disp = cls(group_alphas=group_alphas, group_norms=group_norms, scores=scores,
                   group_alpha=group_alpha, feature_names=feature_names,
                   estimator_name=estimator_name, score_name=score_name)
        return disp.plot(ax=ax, **plot_kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, group_alphas=None, n_group_alphas=12,
                       sample_weight=None, X_test=None, y_test=None, feature_names=None,
                       ax=None, **plot_kwargs):
        """Run a network estimator's ``group_path`` on ``(X, y)`` and plot it.

        Parameters
        ----------
        estimator : ElasticNetMLPClassifier or ElasticNetMLPRegressor
            Its parameters define the networks of the path (it need not be
            fitted and is not modified).
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data of the path.
        y : array-like
            Targets.
        group_alphas : array-like, default=None
            Grid (default: the estimator's, see its ``group_path``).
        n_group_alphas : int, default=12
            Grid size when ``group_alphas`` is None.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights of the fits.
        X_test, y_test : array-like, default=None
            If given, each network of the path is scored on them (its
            ``score`` method) and the scores are drawn.
        feature_names : array-like of str, default=None
            Default: ``X``'s column names when it has them.
        ax : matplotlib Axes, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : GroupPathDisplay
        """
        _import_pyplot()  # fail early, before fitting a path
        from sklearn.base import is_classifier

        if (X_test is None) != (y_test is None):
            raise ValueError("Pass both X_test and y_test, or neither.")
        path = estimator.group_path(X, y, group_alphas=group_alphas,
                                    n_group_alphas=n_group_alphas, sample_weight=sample_weight)
        if feature_names is None and hasattr(X, "columns"):
            feature_names = np.asarray(X.columns, dtype=object)
        scores, score_name = None, None
        if X_test is not None:
            scores = [est.score(X_test, y_test) for est in path.estimators]
            score_name = "test " + ("accuracy" if is_classifier(estimator) else "R^2")
        return cls.from_path(path.group_alphas, path.group_norms, scores=scores,
                             feature_names=feature_names, estimator_name=_default_name(estimator),
                             score_name=score_name, ax=ax, **plot_kwargs)
