"""scikit-learn's estimator checks over every estimator of skreg, with no expected failures."""

import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from skreg import (
    ElasticNetMLPClassifier,
    ElasticNetMLPRegressor,
    RegularizedLinearRegression,
    RegularizedLinearRegressionCV,
    RegularizedLogisticRegression,
    RegularizedLogisticRegressionCV,
)

MLP_SWITCHES = [
    {},
    {"early_stopping": True},
    {"batch_norm": True},
    {"dropout": 0.2},
    {"penalty": "l1"},
    {"input_noise": 0.1},
    {"max_norm": 3.0},
    {"max_grad_norm": 1.0},
    {"solver": "sgd"},
    {"group_alpha": 0.01},
]

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
    RegularizedLinearRegression(),
    RegularizedLinearRegression(penalty="l1", alpha=1e-3),
    RegularizedLinearRegression(penalty="elasticnet", alpha=1e-3, l1_ratio=0.5),
    RegularizedLinearRegression(penalty="l0", alpha=1e-2, l1_ratio=0.5),
    RegularizedLinearRegression(penalty=None),
    RegularizedLinearRegressionCV(n_alphas=10),
    RegularizedLinearRegressionCV(penalty="elasticnet", l1_ratios=[0.3, 0.9], n_alphas=5,
                                  scoring="r2", one_standard_error=True),
    RegularizedLinearRegressionCV(penalty="l0", l1_ratios=[0.5], n_alphas=5),
    RegularizedLinearRegressionCV(penalty="l2", n_alphas=5, refit=False),
    # The networks: every default, then each switch turned on alone at otherwise default settings.
    *[
        network(**switch)
        for network in (ElasticNetMLPClassifier, ElasticNetMLPRegressor)
        for switch in MLP_SWITCHES
    ],
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
