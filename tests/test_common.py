"""scikit-learn's estimator checks over every estimator of skreg, with no expected failures."""

import pytest
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from skreg import RegularizedLogisticRegression

ESTIMATORS = [
    RegularizedLogisticRegression(),
    RegularizedLogisticRegression(penalty="l1", alpha=1e-3),
    RegularizedLogisticRegression(penalty="elasticnet", alpha=1e-3, l1_ratio=0.5),
    RegularizedLogisticRegression(penalty=None),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda est: repr(est))
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
