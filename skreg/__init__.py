"""skreg: scikit-learn compatible regularized estimators with numba kernels.

Estimators
----------
RegularizedLogisticRegression
    L1 / L2 / elastic-net penalized logistic regression (binary and
    multinomial, dense and sparse input) solved by certified proximal-Newton
    coordinate descent.
RegularizedLogisticRegressionCV
    The same with alpha (and l1_ratio) chosen by cross-validated
    regularization paths.
RegularizedLinearRegression
    L1 / L2 / elastic-net / L0 penalized least squares (scikit-learn's
    ElasticNet scaling), single and multi-target, dense and sparse input.
RegularizedLinearRegressionCV
    The same with alpha (and l1_ratio) chosen by cross-validated paths.
ElasticNetMLPClassifier
    Multilayer perceptron trained by proximal SGD / Adam with an elastic-net
    penalty (exact zeros), dropout, max-norm, batch norm, early stopping and
    input noise.
ElasticNetMLPRegressor
    The same network with identity outputs and the halved squared error
    (multi-output y).

Constants
---------
SKOPS_TRUSTED_TYPES
    The type names to trust when loading a skreg model saved with skops:
    ``skops.io.load(path, trusted=skreg.SKOPS_TRUSTED_TYPES)``.

Functions
---------
regularization_path
    Warm-started solutions along a geometric grid of alpha from alpha_max.

Submodules
----------
datasets
    Bundled real data sets (``load_leukemia``).
plotting
    Displays: ``RegularizationPathDisplay``, ``MLPSparsityDisplay``, ``GroupPathDisplay``
    (matplotlib optional: ``pip install "skreg[plot]"``).
onnx
    ONNX export: ``import skreg.onnx`` registers skl2onnx converters for
    every estimator; ``skreg.onnx.to_onnx`` (``pip install "skreg[onnx]"``;
    not imported by ``import skreg``).
"""

from . import _cache  # noqa: F401  (numba cache locations: before any kernel module)
from .linear_model import (
    RegularizedLinearRegression,
    RegularizedLinearRegressionCV,
    RegularizedLogisticRegression,
    RegularizedLogisticRegressionCV,
    regularization_path,
)
from .neural_network import ElasticNetMLPClassifier, ElasticNetMLPRegressor
from . import datasets, plotting  # light: plotting imports matplotlib lazily

__all__ = [
    "RegularizedLinearRegression",
    "RegularizedLinearRegressionCV",
    "RegularizedLogisticRegression",
    "RegularizedLogisticRegressionCV",
    "ElasticNetMLPClassifier",
    "ElasticNetMLPRegressor",
    "regularization_path",
]
__version__ = "0.1.0"

#: Type names of skreg's estimators, for loading a model saved with skops without
#: trusting anything else: ``skops.io.load(path, trusted=skreg.SKOPS_TRUSTED_TYPES)``.
#: A fitted skreg estimator holds only these, builtins and numpy arrays, so
#: ``skops.io.get_untrusted_types(file=path)`` of a saved skreg model (alone or in a
#: pipeline of scikit-learn steps skops trusts) lists only names from this list.
SKOPS_TRUSTED_TYPES = [
    f"{obj.__module__}.{obj.__qualname__}"
    for obj in (globals()[name] for name in __all__)
    if isinstance(obj, type)
]
