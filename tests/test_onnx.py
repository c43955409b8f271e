"""ONNX export (skreg.onnx): onnxruntime's labels and probabilities equal skreg's."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_wine,
    make_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import (
    ElasticNetMLPClassifier,
    ElasticNetMLPRegressor,
    RegularizedLinearRegression,
    RegularizedLinearRegressionCV,
    RegularizedLogisticRegression,
    RegularizedLogisticRegressionCV,
)

# Skip only when the onnx extra is genuinely missing; skreg.onnx itself must import.
pytest.importorskip("onnx")
skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")
import skreg.onnx as skreg_onnx  # noqa: E402

#: float32 graphs against skreg's float64 predict_proba on the same input values.
ATOL32 = 1e-5


def _session(onx):
    return ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])


def _run(onx, X):
    return _session(onx).run(None, {"X": X})


@pytest.fixture(scope="module")
def binary():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X).astype(np.float32), y


@pytest.fixture(scope="module")
def multiclass():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X).astype(np.float32), y


def _sparse(n_classes):
    X, y = make_classification(n_samples=300, n_features=40, n_informative=8,
                               n_classes=n_classes, n_clusters_per_class=1, random_state=0)
    X[np.random.default_rng(0).random(X.shape) < 0.7] = 0.0
    return sp.csr_matrix(X.astype(np.float32)), y


def _data(request, kind):
    if kind == "binary":
        return request.getfixturevalue("binary")
    if kind == "multiclass":
        return request.getfixturevalue("multiclass")
    return _sparse(2 if kind == "sparse-binary" else 3)


def _assert_same_predictions(model, onx, X32):
    """onnxruntime on float32 rows vs skreg on the same values (as float64)."""
    X64 = X32.astype(np.float64)
    dense32 = X32.toarray() if sp.issparse(X32) else X32
    label, proba = _run(onx, dense32)
    expected = model.predict_proba(X64)
    assert proba.dtype == np.float32 and proba.shape == expected.shape
    np.testing.assert_allclose(proba, expected, rtol=0, atol=ATOL32)
    np.testing.assert_array_equal(label, model.predict(X64))
    return proba


# ---------------------------------------------------------------------------
# Linear classifiers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["binary", "multiclass", "sparse-binary", "sparse-multiclass"])
@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 1.0), ("l2", 1.0), ("elasticnet", 0.5),
                                               ("l0", 0.5)])
def test_logistic_regression_matches_onnxruntime(request, kind, penalty, l1_ratio):
    X, y = _data(request, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RegularizedLogisticRegression(penalty=penalty, l1_ratio=l1_ratio,
                                            alpha=0.02).fit(X, y)
    proba = _assert_same_predictions(clf, skreg_onnx.to_onnx(clf, X[:1]), X)
    # The data exercise the whole sigmoid / softmax, where an off-by-a-factor score
    # (softmax of (-z, z), i.e. sigmoid(2 z)) errs by up to 0.15.
    assert np.any((proba > 0.2) & (proba < 0.8))


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_logistic_regression_cv_matches_onnxruntime(request, kind):
    X, y = _data(request, kind)
    clf = RegularizedLogisticRegressionCV(n_alphas=5, cv=3).fit(X, y)
    _assert_same_predictions(clf, skreg_onnx.to_onnx(clf, X[:1]), X)


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_string_labels(request, kind):
    X, y = _data(request, kind)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = RegularizedLogisticRegression(alpha=0.02).fit(X, names)
    onx = skreg_onnx.to_onnx(clf, X[:1])
    label, _ = _run(onx, X)
    assert label.dtype == object
    _assert_same_predictions(clf, onx, X)


def test_float64_graph_is_exact(binary):
    X, y = binary
    X64 = X.astype(np.float64)
    clf = RegularizedLogisticRegression(alpha=0.01).fit(X64, y)
    onx = skreg_onnx.to_onnx(clf, X64[:1])
    label, proba = _run(onx, X64)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, clf.predict_proba(X64), rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(label, clf.predict(X64))


def test_skl2onnx_to_onnx_converts_a_pipeline_with_zipmap(binary):
    """Importing skreg.onnx is enough for skl2onnx's own to_onnx (default zipmap output)."""
    X, y = binary
    raw = X * 10.0 + 3.0
    pipe = make_pipeline(StandardScaler(), RegularizedLogisticRegression(alpha=0.02)).fit(raw, y)
    onx = skl2onnx.to_onnx(pipe, raw[:1])
    sess = _session(onx)
    assert [o.name for o in sess.get_outputs()] == ["output_label", "output_probability"]
    label, dicts = sess.run(None, {"X": raw})
    proba = np.array([[d[c] for c in pipe.classes_] for d in dicts])
    expected = pipe.predict_proba(raw.astype(np.float64))
    np.testing.assert_allclose(proba, expected, rtol=0, atol=ATOL32)
    np.testing.assert_array_equal(label, pipe.predict(raw.astype(np.float64)))


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_raw_scores_option_gives_the_decision_function(request, kind):
    X, y = _data(request, kind)
    clf = RegularizedLogisticRegression(alpha=0.02).fit(X, y)
    onx = skreg_onnx.to_onnx(clf, X[:1], options={id(clf): {"raw_scores": True}})
    _, scores = _run(onx, X)
    expected = clf.decision_function(X.astype(np.float64))
    if expected.ndim == 1:
        expected = np.column_stack([-expected, expected])
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-4)


def test_int64_input_graph(multiclass):
    X, y = multiclass
    Xi = np.round(X * 4).astype(np.int64)
    clf = RegularizedLogisticRegression(alpha=0.02).fit(Xi, y)
    onx = skl2onnx.to_onnx(clf, Xi[:1], options={"zipmap": False})
    label, proba = _run(onx, Xi)
    np.testing.assert_allclose(proba, clf.predict_proba(Xi), rtol=0, atol=ATOL32)
    np.testing.assert_array_equal(label, clf.predict(Xi))


def test_x_sample_must_be_2d(binary):
    X, y = binary
    clf = RegularizedLogisticRegression(alpha=0.02).fit(X, y)
    with pytest.raises(ValueError, match="2-D"):
        skreg_onnx.to_onnx(clf, X[0])


# ---------------------------------------------------------------------------
# MLP classifier
# ---------------------------------------------------------------------------


def _mlp(X, y, **params):
    params = {"hidden_layer_sizes": (16, 8), "alpha": 1e-3, "max_iter": 40,
              "random_state": 0, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ElasticNetMLPClassifier(**params).fit(X, y)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "sparse-binary", "sparse-multiclass"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
def test_mlp_matches_onnxruntime(request, kind, activation):
    X, y = _data(request, kind)
    mlp = _mlp(X, y, activation=activation, penalty="l1")
    proba = _assert_same_predictions(mlp, skreg_onnx.to_onnx(mlp, X[:1]), X)
    assert np.any((proba > 0.2) & (proba < 0.8))


@pytest.mark.parametrize("kind", ["binary", "multiclass", "sparse-multiclass"])
def test_mlp_batch_norm_matches_onnxruntime(request, kind):
    X, y = _data(request, kind)
    mlp = _mlp(X, y, batch_norm=True)
    # The running statistics are not the identity: the folded scale/shift matter.
    assert not np.allclose(mlp.batch_norm_running_vars_[0], 1.0)
    _assert_same_predictions(mlp, skreg_onnx.to_onnx(mlp, X[:1]), X)


def test_mlp_string_labels_and_float64_graph(multiclass):
    X, y = multiclass
    X64 = X.astype(np.float64)
    names = np.array(["a", "b", "c"])[y]
    mlp = _mlp(X64, names, batch_norm=True)
    label, proba = _run(skreg_onnx.to_onnx(mlp, X64[:1]), X64)
    np.testing.assert_allclose(proba, mlp.predict_proba(X64), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(label, mlp.predict(X64))


def test_mlp_multilabel_matches_onnxruntime(multiclass):
    X, y = multiclass
    Y = np.column_stack([y == 0, y != 1, X[:, 0] > 0]).astype(np.int64)
    mlp = _mlp(X, Y, batch_norm=True)
    label, proba = _run(skreg_onnx.to_onnx(mlp, X[:1]), X)
    X64 = X.astype(np.float64)
    assert label.shape == proba.shape == Y.shape and label.dtype == np.int64
    np.testing.assert_allclose(proba, mlp.predict_proba(X64), rtol=0, atol=ATOL32)
    np.testing.assert_array_equal(label, mlp.predict(X64))
    with pytest.raises(ValueError, match="zipmap=False"):
        skl2onnx.to_onnx(mlp, X[:1])


def test_mlp_in_pipeline_with_skl2onnx(multiclass):
    X, y = multiclass
    raw = X * 3.0 - 1.0
    pipe = make_pipeline(StandardScaler(), ElasticNetMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=30, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(raw, y)
    onx = skl2onnx.to_onnx(pipe, raw[:1], options={"zipmap": False})
    label, proba = _session(onx).run(None, {"X": raw})
    np.testing.assert_allclose(proba, pipe.predict_proba(raw.astype(np.float64)), atol=ATOL32)
    np.testing.assert_array_equal(label, pipe.predict(raw.astype(np.float64)))


# ---------------------------------------------------------------------------
# Regressors
# ---------------------------------------------------------------------------


def _regression(kind):
    """float32 X and targets: diabetes (one target), or three targets; sparse on request."""
    if kind.endswith("multi-target"):
        X, Y = make_regression(n_samples=200, n_features=20, n_informative=6, n_targets=3,
                               noise=1.0, random_state=0)
        y = Y / Y.std(axis=0)
    else:
        X, y = load_diabetes(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        y = (y - y.mean()) / y.std()
    X = X.astype(np.float32)
    if kind.startswith("sparse"):
        X[np.random.default_rng(0).random(X.shape) < 0.6] = 0.0
        X = sp.csr_matrix(X)
    return X, y


def _assert_same_regression(model, onx, X32, y):
    X64 = X32.astype(np.float64)
    (prediction,) = _run(onx, X32.toarray() if sp.issparse(X32) else X32)
    expected = model.predict(X64)
    # skl2onnx's regressor convention: (n_samples, n_targets), one column for one target.
    assert prediction.shape == (X32.shape[0], 1 if expected.ndim == 1 else expected.shape[1])
    assert prediction.dtype == np.float32
    np.testing.assert_allclose(prediction.reshape(expected.shape), expected, rtol=0,
                               atol=ATOL32 * max(1.0, np.abs(expected).max()))


@pytest.mark.parametrize("kind", ["one-target", "multi-target", "sparse-one-target",
                                  "sparse-multi-target"])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l0"])
def test_linear_regression_matches_onnxruntime(kind, penalty):
    X, y = _regression(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = RegularizedLinearRegression(penalty=penalty, alpha=0.01).fit(X, y)
    _assert_same_regression(reg, skreg_onnx.to_onnx(reg, X[:1]), X, y)


@pytest.mark.parametrize("kind", ["one-target", "multi-target"])
def test_linear_regression_cv_matches_onnxruntime(kind):
    X, y = _regression(kind)
    reg = RegularizedLinearRegressionCV(n_alphas=5, cv=3).fit(X, y)
    _assert_same_regression(reg, skreg_onnx.to_onnx(reg, X[:1]), X, y)


def test_linear_regression_float64_pipeline_with_skl2onnx():
    X, y = _regression("one-target")
    raw = X.astype(np.float64) * 5.0 + 2.0
    pipe = make_pipeline(StandardScaler(), RegularizedLinearRegression(alpha=0.01)).fit(raw, y)
    (prediction,) = _session(skl2onnx.to_onnx(pipe, raw[:1])).run(None, {"X": raw})
    assert prediction.dtype == np.float64
    np.testing.assert_allclose(prediction[:, 0], pipe.predict(raw), rtol=1e-12, atol=1e-12)


def test_missing_skl2onnx_names_the_extra(monkeypatch):
    import importlib
    import sys

    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # import skl2onnx -> ImportError
    monkeypatch.delitem(sys.modules, "skreg.onnx")
    with pytest.raises(ImportError, match=r'pip install "skreg\[onnx\]"'):
        importlib.import_module("skreg.onnx")


@pytest.mark.parametrize("kind", ["one-target", "multi-target", "sparse-one-target",
                                  "sparse-multi-target"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
def test_mlp_regressor_matches_onnxruntime(kind, activation):
    X, y = _regression(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = ElasticNetMLPRegressor(hidden_layer_sizes=(16, 8), activation=activation,
                                     batch_norm=activation == "relu", alpha=1e-3,
                                     max_iter=40, random_state=0).fit(X, y)
    _assert_same_regression(reg, skreg_onnx.to_onnx(reg, X[:1]), X, y)
