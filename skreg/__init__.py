"""skreg: scikit-learn compatible regularized estimators with numba kernels.

Estimators
----------
RegularizedLogisticRegression
    L1 / L2 / elastic-net penalized logistic regression (binary and
    multinomial, dense and sparse input) solved by certified proximal-Newton
    coordinate descent.
"""

from .linear_model import RegularizedLogisticRegression

__all__ = ["RegularizedLogisticRegression"]
__version__ = "0.1.0"
