"""scikit-learn's estimator checks over every estimator of skreg, with no expected failures."""

import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from skreg import (
    ElasticNetMLPClassifier,
    RegularizedLogisticRegression,
    RegularizedLogisticRegressionCV,
)

ESTIMATORS = [
    RegularizedLogisticRegression(),
    RegularizedLogisticRegression(penalty="l1", alpha=1e-3),
    RegularizedLogisticRegression(penalty="elasticnet", alpha=1e-3, l1_ratio=0.5),
    RegularizedLogisticRegression(penalty=None),
    RegularizedLogisticRegression(penalty="l0", alpha=1e-2, l1_ratio=0.5),
    # cv=3: check_sparsify_coefficients fits 3 samples per class (as LogisticRegressionCV's
    # checks in scikit-learn).
    RegularizedLogisticRegressionCV(n_alphas=10, cv=3),
    RegularizedLogisticRegressionCV(penalty="elasticnet", l1_ratios=[0.3, 0.9], n_alphas=5,
                                    scoring="accuracy", one_standard_error=True, cv=3),
    RegularizedLogisticRegressionCV(penalty="l0", l1_ratios=[0.5], n_alphas=5, cv=3),
    # Small networks keep the checks fast; every other parameter at its default.
    ElasticNetMLPClassifier(hidden_layer_sizes=(16,), max_iter=100, random_state=0),
    ElasticNetMLPClassifier(
        hidden_layer_sizes=(16,), penalty="l1", alpha=1e-4, dropout=0.1, max_iter=100,
        learning_rate_init=3e-3, random_state=0,
    ),
    ElasticNetMLPClassifier(
        hidden_layer_sizes=(16, 8), batch_norm=True, early_stopping=True,
        validation_fraction=0.2, n_iter_no_change=20, max_iter=100, learning_rate_init=3e-3,
        random_state=0,
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        # Short max_iter on the checks' tiny data: a ConvergenceWarning is expected there.
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda est: repr(est))
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
