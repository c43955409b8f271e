"""ONNX export of skreg's fitted estimators (converters for skl2onnx).

Importing this module registers a converter for every skreg estimator with
:func:`skl2onnx.update_registered_converter`, so that :func:`skl2onnx.to_onnx`
and :func:`skl2onnx.convert_sklearn` convert skreg models -- alone or inside a
:class:`~sklearn.pipeline.Pipeline` with scikit-learn's own steps -- exactly
as they convert scikit-learn's::

    import skreg.onnx  # registers the converters
    from skl2onnx import to_onnx
    onx = to_onnx(pipeline, X[:1].astype("float32"))

:func:`to_onnx` here is a thin wrapper with the defaults most deployments
want (one input ``"X"``, probabilities as a plain tensor).

Needs the ``onnx`` extra: ``pip install "skreg[onnx]"`` (skl2onnx, onnx and
onnxruntime).

The graphs
----------
Classifiers have two outputs, as scikit-learn's classifiers do in skl2onnx:

- ``label``: the predicted class, shape ``(n_samples,)``; int64 for integer
  (or boolean, or integral float) ``classes_``, string for string classes;
- ``probabilities``: shape ``(n_samples, n_classes)``, columns ordered as
  ``classes_``, the values of ``predict_proba``.

Regressors have one output, ``variable``, of shape ``(n_samples, n_targets)``
(one column for a single target, skl2onnx's convention for regressors):
the values of ``predict``.

A multilabel MLP gives ``label`` as the int64 0/1 indicator matrix of
``predict`` and ``probabilities`` as each label's probability, both
``(n_samples, n_labels)``, and needs ``zipmap=False``.

With skl2onnx's default option ``zipmap=True`` the probabilities become a
list of ``{class: probability}`` dictionaries (output names ``output_label``
and ``output_probability``); :func:`to_onnx` sets ``zipmap=False`` unless told
otherwise. The options ``zipmap`` (True, False, ``"columns"``), ``nocl`` and
``output_class_labels`` behave as for scikit-learn's classifiers, and
``raw_scores=True`` outputs the decision function instead of the
probabilities (for two classes as the two columns ``(-z, z)``, skl2onnx's
convention).

The graph computes what ``predict_proba`` computes: the linear score (or the
network's forward pass, batch normalization folded into one scale and shift
per hidden unit from the running statistics), then the logistic function of
the single score for two classes -- ``p(classes_[1]) = 1 / (1 + exp(-z))`` --
and the softmax for more (one logistic per label for a multilabel MLP). The
label is ``classes_[z > 0]`` for two classes and ``classes_[argmax z]``
otherwise, so it equals ``predict`` even where the float32 probabilities tie.

Computations run in the input's precision: a float32 input (the usual ONNX
type) gives float32 outputs within about 1e-6 of skreg's float64
probabilities; a float64 input (``X_sample`` of dtype float64, or a
``DoubleTensorType``) computes in float64. Inputs are dense: a model trained on
a sparse matrix is exported the same way and is fed dense rows.

Functions
---------
to_onnx
    Convert a fitted skreg estimator (or a pipeline ending in one) to an
    ONNX ``ModelProto``.
"""

import numpy as np

try:
    from skl2onnx import update_registered_converter
    from skl2onnx import to_onnx as _skl2onnx_to_onnx
    from skl2onnx.algebra.onnx_ops import (
        OnnxAdd,
        OnnxArgMax,
        OnnxCast,
        OnnxConcat,
        OnnxGather,
        OnnxGreater,
        OnnxIdentity,
        OnnxMatMul,
        OnnxMul,
        OnnxNeg,
        OnnxRelu,
        OnnxReshape,
        OnnxSigmoid,
        OnnxSoftmax,
        OnnxTanh,
    )
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, Int64TensorType
    from skl2onnx.common.utils import check_input_and_output_numbers
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    from skl2onnx.common.utils_classifier import get_label_classes
    from onnx import TensorProto
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        'skreg.onnx needs skl2onnx and onnx, which are not installed. Install them with: '
        'pip install "skreg[onnx]"'
    ) from exc

from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline

from .linear_model import (
    RegularizedLinearRegression,
    RegularizedLinearRegressionCV,
    RegularizedLogisticRegression,
    RegularizedLogisticRegressionCV,
)
from .neural_network import _BN_EPS, ElasticNetMLPClassifier, ElasticNetMLPRegressor

__all__ = ["to_onnx"]

#: Options of the classifier converters (the parser handles zipmap / nocl /
#: output_class_labels as for scikit-learn's classifiers).
_CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [False, True],
    "output_class_labels": [False, True],
    "raw_scores": [False, True],
}


# ---------------------------------------------------------------------------
# Shared graph pieces
# ---------------------------------------------------------------------------


def _float_input(operator, opv):
    """The operator's input as a float tensor, and the numpy dtype to compute in.

    float64 inputs compute in float64; float32, int64 and boolean inputs in float32.
    """
    variable = operator.inputs[0]
    if isinstance(variable.type, DoubleTensorType):
        return variable, np.float64
    if isinstance(variable.type, FloatTensorType):
        return variable, np.float32
    return OnnxCast(variable, to=TensorProto.FLOAT, op_version=opv), np.float32


def _affine(node, weights, bias, dtype, opv):
    """``node @ weights + bias`` with the parameters as constants of ``dtype``."""
    product = OnnxMatMul(node, np.asarray(weights, dtype=dtype), op_version=opv)
    return OnnxAdd(product, np.asarray(bias, dtype=dtype).ravel(), op_version=opv)


def _linear_scores(operator, opv):
    """Decision function ``X @ coef_.T + intercept_`` of a linear model, shape (n, k)."""
    est = operator.raw_operator
    X, dtype = _float_input(operator, opv)
    coef = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
    intercept = np.broadcast_to(np.asarray(est.intercept_, dtype=np.float64), coef.shape[:1])
    return _affine(X, coef.T, intercept, dtype, opv), dtype


_ONNX_ACTIVATIONS = {"relu": OnnxRelu, "tanh": OnnxTanh, "logistic": OnnxSigmoid}


def _mlp_outputs(operator, opv):
    """Output-layer pre-activations (logits) of a fitted skreg MLP, shape (n, n_outputs).

    Hidden layers: ``act(A @ W + b)``; with batch normalization the running
    statistics are folded into one scale and shift per unit,
    ``act((A @ W) * scale + shift)`` with ``scale = gamma / sqrt(var + eps)``
    and ``shift = beta - mean * scale`` (the hidden biases are unused then),
    which is how the estimator predicts.
    """
    est = operator.raw_operator
    X, dtype = _float_input(operator, opv)
    if est.activation not in _ONNX_ACTIVATIONS:
        raise NotImplementedError(
            f"No ONNX conversion for activation={est.activation!r} "
            f"(supported: {sorted(_ONNX_ACTIVATIONS)})."
        )
    activation = _ONNX_ACTIVATIONS[est.activation]
    n_hidden = len(est.coefs_) - 1
    batch_norm = len(est.batch_norm_scales_) > 0
    node = X
    for layer, (W, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        if layer < n_hidden and batch_norm:
            variance = np.asarray(est.batch_norm_running_vars_[layer], dtype=np.float64)
            scale = np.asarray(est.batch_norm_scales_[layer], dtype=np.float64) / np.sqrt(
                variance + _BN_EPS)
            shift = (np.asarray(est.batch_norm_shifts_[layer], dtype=np.float64)
                     - np.asarray(est.batch_norm_running_means_[layer], dtype=np.float64) * scale)
            product = OnnxMatMul(node, np.asarray(W, dtype=dtype), op_version=opv)
            scaled = OnnxMul(product, scale.astype(dtype), op_version=opv)
            node = OnnxAdd(scaled, shift.astype(dtype), op_version=opv)
        else:
            node = _affine(node, W, b, dtype, opv)
        if layer < n_hidden:
            node = activation(node, op_version=opv)
    return node, dtype


def _label_constants(operator):
    """``classes_`` as an ONNX constant: int64 for numeric labels, else strings.

    Float labels are integral (scikit-learn refuses others as "continuous").
    """
    classes = np.asarray(get_label_classes(operator.scope_inst, operator.raw_operator))
    if classes.dtype.kind in "biuf":
        return classes.astype(np.int64)
    if all(isinstance(c, str) for c in classes):
        return np.array([str(c) for c in classes], dtype=object)
    raise ValueError(f"ONNX class labels must be numbers or strings; classes_ holds {classes!r}.")


def _n_outputs(est):
    """Columns of the raw output: rows of ``coef_``, or units of the network's last layer."""
    return est.coefs_[-1].shape[1] if hasattr(est, "coefs_") else np.atleast_2d(est.coef_).shape[0]


def _raw_outputs(operator, opv):
    """The model's raw outputs, shape (n, n_outputs): the linear decision function, or the
    network's output-layer pre-activations; with n_outputs and the compute dtype."""
    est = operator.raw_operator
    if hasattr(est, "coefs_"):
        node, dtype = _mlp_outputs(operator, opv)
    else:
        node, dtype = _linear_scores(operator, opv)
    return node, _n_outputs(est), dtype


def _is_multilabel(est):
    """A multilabel classifier: one independent logistic output per label."""
    return (getattr(est, "out_activation_", None) == "logistic" and len(est.classes_) > 1
            and _n_outputs(est) == len(est.classes_))


def _classifier_output_shapes(operator):
    """skl2onnx's classifier shapes; a multilabel model outputs (n, n_labels) labels."""
    calculate_linear_classifier_output_shapes(operator)
    est = operator.raw_operator
    if _is_multilabel(est):
        zipmap = operator.scope_inst.get_options(est, dict(zipmap=True))["zipmap"]
        if zipmap is not False:
            raise ValueError(
                "A multilabel model's outputs are (n_samples, n_labels) tensors: convert it "
                "with the option zipmap=False (skreg.onnx.to_onnx's default).")
        n = operator.inputs[0].get_first_dimension()
        operator.outputs[0].type = Int64TensorType([n, len(est.classes_)])


def _regressor_output_shapes(operator):
    """One (n, n_targets) output, n_targets = 1 for a single target (skl2onnx's convention)."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    n_targets = _n_outputs(operator.raw_operator)
    tensor = (DoubleTensorType if isinstance(operator.inputs[0].type, DoubleTensorType)
              else FloatTensorType)
    operator.outputs[0].type = tensor([operator.inputs[0].get_first_dimension(), n_targets])


def _add_classifier_outputs(scores, n_scores, dtype, scope, operator, container):
    """Label and probability outputs of a classifier from its scores, shape (n, n_scores).

    ``n_scores == 1``: two classes, one score per row (logistic); more: softmax, or for
    a multilabel model one logistic per label.
    """
    opv = container.target_opset
    est = operator.raw_operator
    raw_scores = container.get_options(est, dict(raw_scores=False))["raw_scores"]
    if _is_multilabel(est):
        proba = scores if raw_scores else OnnxSigmoid(scores, op_version=opv)
        positive = OnnxGreater(scores, np.array([0], dtype=dtype), op_version=opv)
        label = OnnxCast(positive, to=TensorProto.INT64, op_version=opv,
                         output_names=[operator.outputs[0]])
        label.add_to(scope, container)
        OnnxIdentity(proba, op_version=opv,
                     output_names=[operator.outputs[1]]).add_to(scope, container)
        return
    classes = _label_constants(operator)
    if n_scores == 1:
        z = OnnxReshape(scores, np.array([-1, 1], dtype=np.int64), op_version=opv)
        negated = OnnxNeg(z, op_version=opv)
        if raw_scores:
            proba = OnnxConcat(negated, z, axis=1, op_version=opv)
        else:
            # sigmoid(-z) rather than 1 - sigmoid(z): no cancellation for p near 1.
            proba = OnnxConcat(OnnxSigmoid(negated, op_version=opv),
                               OnnxSigmoid(z, op_version=opv), axis=1, op_version=opv)
        positive = OnnxGreater(z, np.array([0], dtype=dtype), op_version=opv)
        index = OnnxReshape(OnnxCast(positive, to=TensorProto.INT64, op_version=opv),
                            np.array([-1], dtype=np.int64), op_version=opv)
    else:
        proba = scores if raw_scores else OnnxSoftmax(scores, axis=1, op_version=opv)
        index = OnnxArgMax(scores, axis=1, keepdims=0, op_version=opv)
    label = OnnxGather(classes, index, axis=0, op_version=opv,
                       output_names=[operator.outputs[0]])
    proba_out = OnnxIdentity(proba, op_version=opv, output_names=[operator.outputs[1]])
    label.add_to(scope, container)
    proba_out.add_to(scope, container)


# ---------------------------------------------------------------------------
# Converters
# ---------------------------------------------------------------------------


def _convert_classifier(scope, operator, container):
    scores, n_scores, dtype = _raw_outputs(operator, container.target_opset)
    _add_classifier_outputs(scores, n_scores, dtype, scope, operator, container)


def _convert_regressor(scope, operator, container):
    prediction, _, _ = _raw_outputs(operator, container.target_opset)
    OnnxIdentity(prediction, op_version=container.target_opset,
                 output_names=[operator.outputs[0]]).add_to(scope, container)


_CLASSIFIERS = (RegularizedLogisticRegression, RegularizedLogisticRegressionCV,
                ElasticNetMLPClassifier)
_REGRESSORS = (RegularizedLinearRegression, RegularizedLinearRegressionCV,
               ElasticNetMLPRegressor)


def _register():
    for cls in _CLASSIFIERS:
        update_registered_converter(cls, f"Skreg{cls.__name__}", _classifier_output_shapes,
                                    _convert_classifier, options=_CLASSIFIER_OPTIONS)
    for cls in _REGRESSORS:
        update_registered_converter(cls, f"Skreg{cls.__name__}", _regressor_output_shapes,
                                    _convert_regressor)


_register()


# ---------------------------------------------------------------------------
# Public wrapper
# ---------------------------------------------------------------------------


def _final_step(estimator):
    while isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    return estimator


def to_onnx(estimator, X_sample, *, zipmap=False, options=None, target_opset=None,
            name=None):
    """Convert a fitted skreg estimator, or a pipeline ending in one, to ONNX.

    A wrapper of :func:`skl2onnx.to_onnx` (which also works directly once
    this module is imported) that declares one input named ``"X"`` of shape
    ``(None, n_features)`` and returns the probabilities of a classifier as a
    plain ``(n_samples, n_classes)`` tensor.

    Parameters
    ----------
    estimator : fitted estimator or Pipeline
        A skreg estimator, or a :class:`~sklearn.pipeline.Pipeline` of steps
        skl2onnx can convert ending in one.
    X_sample : array-like or sparse matrix of shape (n_samples, n_features)
        A few rows of input (e.g. ``X_train[:1]``); only its width and dtype
        are used. float64 gives a float64 graph; any other dtype a float32
        graph (the usual ONNX input). A sparse sample stands for the dense rows
        the graph will be fed.
    zipmap : bool or "columns", default=False
        skl2onnx's ``zipmap`` option of the final classifier: False gives
        the outputs ``label`` and ``probabilities`` (a tensor); True gives
        ``output_label`` and ``output_probability`` (a list of
        ``{class: probability}`` dictionaries). Ignored for regressors.
    options : dict, default=None
        Further skl2onnx options, as for :func:`skl2onnx.to_onnx` (e.g.
        ``{id(clf): {"raw_scores": True}}``); they take precedence over
        ``zipmap``.
    target_opset : int, default=None
        ONNX opset (default: the newest skl2onnx supports).
    name : str, default=None
        Name of the graph.

    Returns
    -------
    onx : onnx.ModelProto
        Run it with ``onnxruntime.InferenceSession(onx.SerializeToString())``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from skreg import RegularizedLogisticRegression
    >>> from skreg.onnx import to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = RegularizedLogisticRegression(alpha=0.01).fit(X, y)
    >>> onx = to_onnx(clf, X[:1].astype(np.float32))
    >>> [o.name for o in onx.graph.output]
    ['label', 'probabilities']
    >>> import onnxruntime as ort
    >>> sess = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    >>> label, proba = sess.run(None, {"X": X[:3].astype(np.float32)})
    >>> bool(np.allclose(proba, clf.predict_proba(X[:3]), atol=1e-5))
    True
    """
    shape = getattr(X_sample, "shape", None)
    if shape is None:
        shape = np.shape(np.asarray(X_sample))
    if len(shape) != 2:
        raise ValueError(f"X_sample must be 2-D (n_samples, n_features), got shape {shape}.")
    dtype = getattr(X_sample, "dtype", None)
    tensor_type = DoubleTensorType if dtype == np.float64 else FloatTensorType
    final = _final_step(estimator)
    all_options = {}
    if is_classifier(final):
        all_options[id(final)] = {"zipmap": zipmap}
    for key, value in (options or {}).items():
        all_options[key] = {**all_options.get(key, {}), **value}
    return _skl2onnx_to_onnx(
        estimator, initial_types=[("X", tensor_type([None, int(shape[1])]))],
        options=all_options or None, target_opset=target_opset, name=name)
