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

import importlib

#: Where each public name lives. They are imported on first use (PEP 562), so
#: ``import skreg`` and the command line (``skreg --help``, ``python -m skreg``)
#: do not pay for scikit-learn, numba and the kernels until an estimator is used.
_LAZY = {
    "RegularizedLinearRegression": "linear_model",
    "RegularizedLinearRegressionCV": "linear_model",
    "RegularizedLogisticRegression": "linear_model",
    "RegularizedLogisticRegressionCV": "linear_model",
    "regularization_path": "linear_model",
    "ElasticNetMLPClassifier": "neural_network",
    "ElasticNetMLPRegressor": "neural_network",
}
_SUBMODULES = ("datasets", "linear_model", "neural_network", "plotting")

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


def _trusted_types():
    """Type names of skreg's estimators, for loading a model saved with skops.

    ``skops.io.load(path, trusted=skreg.SKOPS_TRUSTED_TYPES)`` trusts nothing
    else. A fitted skreg estimator holds only these, builtins and numpy
    arrays, so ``skops.io.get_untrusted_types(file=path)`` of a saved skreg
    model (alone or in a pipeline of scikit-learn steps skops trusts) lists
    only names from this list.
    """
    return [
        f"{obj.__module__}.{obj.__qualname__}"
        for obj in (__getattr__(name) for name in __all__)
        if isinstance(obj, type)
    ]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    elif name == "SKOPS_TRUSTED_TYPES":
        value = _trusted_types()
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES) | {"SKOPS_TRUSTED_TYPES"})
