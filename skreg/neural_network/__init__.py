"""Multi-layer perceptrons with elastic-net penalties and the classic regularizers.

:class:`ElasticNetMLPClassifier` and :class:`ElasticNetMLPRegressor` share
their parameters, training loop and inference (``_base``); the flat
parameter vector is laid out by ``_layout``, the optimizer (Adam / SGD fused
with the proximal steps) lives in ``_optimizer``, the stopping rule in
``_stopping`` and the passes over mini-batches in ``_training``, on top of
the numba leaf kernels of ``skreg._mlp_kernels``.
"""

from ._classifier import ElasticNetMLPClassifier
from ._regressor import ElasticNetMLPRegressor
from ._training import BN_EPS as _BN_EPS  # noqa: F401  (skreg.onnx folds batch norm with it)

__all__ = ["ElasticNetMLPClassifier", "ElasticNetMLPRegressor"]
