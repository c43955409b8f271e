"""Choosing ``alpha`` (and ``l1_ratio``) by cross-validated regularization paths.

One driver for every cross-validated linear model
(:class:`skreg.RegularizedLogisticRegressionCV`,
:class:`skreg.RegularizedLinearRegressionCV`): for each ``l1_ratio`` and each
fold, a warm-started path (:func:`skreg._path.path_points`) is solved on the
training part over one grid of ``alpha`` shared by all folds, and every path
point is scored on the held-out part. The estimators only supply the datafit,
the folds and the score of a point.
"""

from contextlib import closing

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed, effective_n_jobs
from scipy.stats import rankdata
from sklearn.utils import metadata_routing
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)

from ._path import alpha_max_scale, checked_alphas, default_alphas, path_points
from ._validation import cancel_jobs_on_error, fit_blas_threads, job_running, to_design
from .datafits import LOGISTIC, MULTINOMIAL, Datafit, is_classification
from .penalties import make_penalty

#: The refit runs down the grid when the chosen alpha is one of the grid's
#: first points, else from zero (a scratch fit costs about as much as ten
#: warm-started path points on w8a).
_REFIT_PATH_POINTS = 10
#: Intercept of a class absent from a training fold: exp() of it is exactly 0,
#: so the fold's model gives the class no probability mass, while decision
#: values stay finite for scorers that reject infinities (e.g. ROC AUC).
ABSENT_INTERCEPT = -1e300


def l1_ratio_grid(penalty, l1_ratios):
    """The ``l1_ratio`` values to try: 1 for "l1", 0 for "l2", else ``l1_ratios``.

    The default is 0.5 for "elasticnet" and 1 (pure L0) for "l0".
    """
    if penalty == "l1":
        return np.array([1.0])
    if penalty == "l2":
        return np.array([0.0])
    if l1_ratios is None:
        return np.array([0.5 if penalty == "elasticnet" else 1.0])
    ratios = np.asarray(l1_ratios, dtype=np.float64).ravel()
    if ratios.size == 0 or np.any(~np.isfinite(ratios)) or np.any(ratios < 0) or np.any(
        ratios > 1
    ):
        raise ValueError(f"l1_ratios must be non-empty values in [0, 1], got {l1_ratios!r}.")
    return ratios


def _rows(X, index):
    """Rows ``index`` of validated X, in the layout :func:`to_design` reads without a copy."""
    if sp.issparse(X):
        return X.tocsr()[index].tocsc()
    return np.asfortranarray(X[index])


def _fold_points(design, fold, penalty, alphas, fit_intercept, tol, max_iter):
    """Path points of one training fold as ``(W, b, n_passes)``, in all the data's classes.

    Classes without (weighted) samples in the fold are left out of the fit,
    as their intercept's optimum is at minus infinity: they get zero
    coefficients and the intercept ``ABSENT_INTERCEPT``, i.e. probability 0.
    With a single class left, the fold's model predicts it with probability 1
    at every ``alpha`` (no pass over the data, ``n_passes`` 0). With two of
    several classes left, the binary fit is written as the equivalent softmax
    rows ``(-w/2, w/2)``.
    """
    n_rows = fold.Y.shape[1]
    if is_classification(fold):
        Y01 = np.column_stack([1.0 - fold.Y[:, 0], fold.Y[:, 0]]) if n_rows == 1 else fold.Y
        present = np.flatnonzero(fold.sw @ Y01 > 0.0)
    if not is_classification(fold) or present.shape[0] == max(2, n_rows):
        with closing(path_points(design, fold, penalty, alphas, fit_intercept, tol,
                                 max_iter)) as points:
            for W, b, _, passes, _ in points:
                yield W, b, passes
        return
    W_full = np.zeros((n_rows, design.n_features))
    b_full = np.full(n_rows, ABSENT_INTERCEPT)
    if present.shape[0] == 1:
        if n_rows == 1:  # the column of classes_[1]: +-"infinity"
            b_full[0] = -ABSENT_INTERCEPT if present[0] == 1 else ABSENT_INTERCEPT
        else:
            b_full[present[0]] = 0.0
        for _ in alphas:
            yield W_full, b_full, 0
        return
    sub_multinomial = present.shape[0] > 2
    sub = Datafit(MULTINOMIAL if sub_multinomial else LOGISTIC,
                  np.ascontiguousarray(fold.Y[:, present] if sub_multinomial
                                       else fold.Y[:, present[1:]]), fold.sw)
    with closing(path_points(design, sub, penalty, alphas, fit_intercept, tol,
                             max_iter)) as points:
        for W, b, _, passes, _ in points:
            if sub_multinomial:
                W_full[present], b_full[present] = W, b
            else:
                W_full[present] = np.vstack([-0.5 * W[0], 0.5 * W[0]])
                b_full[present] = [-0.5 * b[0], 0.5 * b[0]]
            yield W_full, b_full, passes


def fold_path(X, datafit, train, test, penalty, alphas, fit_intercept, tol, max_iter, score_point,
              keep_coefs, batch):
    """One (l1_ratio, fold) job: a path on ``train``, scored on ``test``.

    Returns the test scores and certificate passes at every alpha, and the
    coefficients at every alpha when ``keep_coefs`` (for ``refit=False``).
    Stops between path points once the fit's ``batch`` of jobs is cancelled.
    """
    with job_running(batch) as check_cancelled:
        sw_train = datafit.sw[train]
        if not sw_train.sum() > 0.0:
            raise ValueError("A cross-validation training fold has no sample of positive "
                             "weight; use fewer folds or another splitter.")
        fold = Datafit(datafit.code, datafit.Y[train],
                       np.ascontiguousarray(sw_train / sw_train.sum()))
        design = to_design(_rows(X, train))
        X_test = X[test] if not sp.issparse(X) else X.tocsr()[test]
        n_rows = datafit.Y.shape[1]
        scores = np.empty(alphas.shape[0])
        n_iter = np.empty(alphas.shape[0], dtype=np.int64)
        coefs = np.zeros((alphas.shape[0], n_rows, X.shape[1])) if keep_coefs else None
        intercepts = np.zeros((alphas.shape[0], n_rows)) if keep_coefs else None
        # Closed on the way out: a path left between points (cancelled, a failed
        # score) would otherwise keep its BLAS registration until collected.
        with closing(_fold_points(design, fold, penalty, alphas, fit_intercept, tol,
                                  max_iter)) as points:
            for i, (W, b, passes) in enumerate(points):
                check_cancelled()
                scores[i] = score_point(W, b, X_test, test)
                n_iter[i] = passes
                if keep_coefs:
                    coefs[i], intercepts[i] = W, b
        return scores, n_iter, coefs, intercepts


class PathCVMixin:
    """Cross-validated paths for an estimator with the CV estimators' parameters.

    The estimator calls :meth:`_fit_paths` from its ``fit`` with validated
    data and gets the chosen coefficients; the CV attributes (``alpha_``,
    ``l1_ratio_``, ``l1_ratios_``, ``alphas_``, ``scores_``, ``n_iter_``,
    ``best_index_``, ``cv_results_``, ``kkt_violation_``) are set here.
    """

    # score() passes sample_weight on to the scorer (routed when routing is on).
    __metadata_request__score = {"sample_weight": metadata_routing.UNUSED}

    def _routed_fit_params(self, sample_weight, params):
        """The metadata of ``fit(X, y, sample_weight, **params)`` for the splitter and the scorer.

        With metadata routing enabled, whatever the splitter and the scorer
        request, routed as by scikit-learn's ``LogisticRegressionCV`` (the
        held-out scores always use ``sample_weight``); without it, only
        ``groups`` for the splitter. Returns ``(split_params, score_params)``.
        """
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
            score_params = {key: value for key, value in routed.scorer.get("score", {}).items()
                            if key != "sample_weight"}
            return routed.splitter.split, score_params
        _raise_for_params({k: v for k, v in params.items() if k != "groups"}, self, "fit")
        return {"groups": params.get("groups")}, {}

    def score(self, X, y, sample_weight=None, **score_params):
        """Score of the model on test data by ``scoring`` (the estimator's default when None).

        As ``LogisticRegressionCV.score``: the same scorer as the one that
        chose ``alpha`` when ``scoring`` is given; with ``scoring=None``,
        scikit-learn's convention for the estimator type (mean accuracy for a
        classifier, R^2 for a regressor).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            True labels or targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        **score_params : dict
            Further parameters for the scorer; only with metadata routing
            enabled, as in scikit-learn.

        Returns
        -------
        score : float
            The score (higher is better).
        """
        _raise_for_params(score_params, self, "score")
        if sample_weight is not None:
            score_params["sample_weight"] = sample_weight
        if _routing_enabled():
            kwargs = process_routing(self, "score", **score_params).scorer.score
        else:
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return self._get_scorer()(self, X, y, **kwargs)

    def get_metadata_routing(self):
        """Metadata routing of this estimator, as ``LogisticRegressionCV``'s.

        ``fit`` routes to the splitter's ``split`` (e.g. ``groups``) and, when
        ``scoring`` is given, to the scorer; ``score`` routes to the scorer.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        scorer_mapping = MethodMapping().add(caller="score", callee="score")
        if self.scoring is not None:
            scorer_mapping.add(caller="fit", callee="score")
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(splitter=self.cv, method_mapping=MethodMapping().add(caller="fit",
                                                                       callee="split"))
            .add(scorer=self._get_scorer(), method_mapping=scorer_mapping)
        )

    def _fit_paths(self, X, datafit, splits, score_point):
        """Solve, score and select; return the chosen ``(W, b)`` (refitted or fold-averaged).

        ``splits`` is the list of ``(train, test)`` index arrays and
        ``score_point(W, b, X_test, test)`` the held-out score of a point.
        """
        ratios = l1_ratio_grid(self.penalty, self.l1_ratios)
        fit_intercept, tol, max_iter = bool(self.fit_intercept), float(self.tol), int(self.max_iter)
        penalties = [make_penalty(self.penalty, 1.0, rho) for rho in ratios]
        if self.alphas is None:
            scale = alpha_max_scale(to_design(X), datafit, fit_intercept)
            grids = np.array([default_alphas(scale, pen, self.n_alphas, self.eps)
                              for pen in penalties])
        else:
            grids = np.tile(checked_alphas(self.alphas), (ratios.shape[0], 1))

        keep_coefs = not self.refit
        jobs = [(r, k) for r in range(ratios.shape[0]) for k in range(len(splits))]
        # A failed or interrupted fit stops the fold paths still running in threads.
        # Fold paths in parallel threads run BLAS on one thread, limited once
        # here, in the calling thread, for the whole parallel section. Limited
        # and restored only by the worker threads as their paths start and end,
        # BLAS was left at one thread after the fit and digits' multinomial CV
        # (n_jobs=2) took 7-10x the CPU time of n_jobs=1 (OpenBLAS 0.3.31).
        # The limit is lifted here too, after a failure once the jobs have stopped.
        parallel = effective_n_jobs(self.n_jobs) > 1 and len(jobs) > 1
        with fit_blas_threads(single_thread=parallel), cancel_jobs_on_error() as batch:
            results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(fold_path)(X, datafit, splits[k][0], splits[k][1], penalties[r],
                                   grids[r], fit_intercept, tol, max_iter, score_point,
                                   keep_coefs, batch)
                for r, k in jobs
            )
        n_folds = len(splits)
        scores = np.empty((ratios.shape[0], grids.shape[1], n_folds))
        n_iter = np.empty((ratios.shape[0], n_folds, grids.shape[1]), dtype=np.int64)
        for (r, k), (fold_scores, fold_iter, _, _) in zip(jobs, results):
            scores[r, :, k] = fold_scores
            n_iter[r, k] = fold_iter
            if self.verbose:
                print(f"l1_ratio={ratios[r]:.3g} fold {k}: best held-out score "
                      f"{fold_scores.max():.4g}")

        r, i = self._select(scores)
        self.l1_ratios_ = ratios
        self.alphas_ = grids
        self.scores_ = scores
        self.n_iter_ = n_iter
        self.l1_ratio_ = float(ratios[r])
        self.alpha_ = float(grids[r, i])
        self.best_index_ = int(r * grids.shape[1] + i)
        self.cv_results_ = self._cv_results(ratios, grids, scores)

        if self.refit:
            # Down the grid when the chosen alpha is near its top (a few cheap
            # warm-started points), else one fit from zero at alpha_ (cheaper
            # than a long path); both are deterministic and certified.
            grid = grids[r, : i + 1] if i < _REFIT_PATH_POINTS else grids[r, i:i + 1]
            points = path_points(to_design(X), datafit, penalties[r], grid, fit_intercept, tol,
                                 max_iter)
            for W, b, _, _, kkt in points:
                pass
            self.kkt_violation_ = float(kkt)
            return W.copy(), b.copy()
        fold_results = [res for (rr, _), res in zip(jobs, results) if rr == r]
        self.kkt_violation_ = np.nan
        return (np.mean([res[2][i] for res in fold_results], axis=0),
                np.mean([res[3][i] for res in fold_results], axis=0))

    def _select(self, scores):
        """Indices (l1_ratio, alpha) of the chosen point; see ``one_standard_error``."""
        # An undefined score (NaN, e.g. ROC AUC on a one-class test fold) ranks last.
        mean = np.nan_to_num(scores.mean(axis=2), nan=-np.inf)
        # Scores equal up to round-off count as ties, broken towards the larger alpha
        # (and the first l1_ratio), so weighted and repeated rows choose alike.
        best = mean.max()
        slack = 1e-10 * max(1.0, abs(best))
        r = int(np.argmax((mean >= best - slack).any(axis=1)))
        if self.one_standard_error:
            i_best = int(np.argmax(mean[r]))
            n_folds = scores.shape[2]
            se = scores[r, i_best].std() / np.sqrt(n_folds)
            threshold = mean[r, i_best] - se - slack
        else:
            threshold = best - slack
        return r, int(np.argmax(mean[r] >= threshold))

    @staticmethod
    def _cv_results(ratios, grids, scores):
        n_ratios, n_alphas, n_folds = scores.shape
        flat = scores.reshape(n_ratios * n_alphas, n_folds)
        mean = flat.mean(axis=1)
        results = {
            "param_l1_ratio": np.repeat(ratios, n_alphas),
            "param_alpha": grids.ravel().copy(),
        }
        for k in range(n_folds):
            results[f"split{k}_test_score"] = flat[:, k].copy()
        results["mean_test_score"] = mean
        results["std_test_score"] = flat.std(axis=1)
        # rank 1 is best; equal means share the lowest rank and NaN ranks last, as in
        # GridSearchCV.
        results["rank_test_score"] = rankdata(-np.nan_to_num(mean, nan=-np.inf),
                                              method="min").astype(np.int32)
        return results
