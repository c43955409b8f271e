"""Saving with skops and loading with ``trusted=skreg.SKOPS_TRUSTED_TYPES``."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone, is_regressor
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skreg

sio = pytest.importorskip("skops.io")

ESTIMATORS = [getattr(skreg, name) for name in skreg.__all__
              if isinstance(getattr(skreg, name), type)]

#: Small settings so every estimator fits in well under a second.
FAST = {"max_iter": 20, "n_alphas": 4, "cv": 3, "hidden_layer_sizes": (8,), "random_state": 0}


def _fast(cls, **params):
    defaults = cls().get_params()
    return cls(**{k: v for k, v in FAST.items() if k in defaults}, **params)


def _instances():
    """Every estimator, with extra variants whose fitted state differs (batch norm, L0)."""
    out = []
    for cls in ESTIMATORS:
        params = cls().get_params()
        out.append(pytest.param(_fast(cls), id=cls.__name__))
        if "batch_norm" in params:
            out.append(pytest.param(_fast(cls, batch_norm=True, early_stopping=True),
                                    id=f"{cls.__name__}-batch_norm"))
        elif "penalty" in params and "cv" not in params:  # (a CV L0 path is slow)
            out.append(pytest.param(_fast(cls, penalty="l0"),
                                    id=f"{cls.__name__}-l0"))
    return out


def _data(estimator, sparse=False):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    if is_regressor(estimator):
        y = X[:, 0] * 2.0 - X[:, 1]
        X = X[:, 1:]
    else:
        y = np.array(["setosa", "versicolor", "virginica"])[y]
    return (sp.csr_matrix(X) if sparse else X), y


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def _assert_same_model(loaded, original, X):
    assert type(loaded) is type(original)
    assert loaded.get_params() == original.get_params()
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    if hasattr(original, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X), original.predict_proba(X))


def test_trusted_types_name_every_estimator():
    assert len(skreg.SKOPS_TRUSTED_TYPES) == len(ESTIMATORS) > 0
    for cls in ESTIMATORS:
        assert f"{cls.__module__}.{cls.__name__}" in skreg.SKOPS_TRUSTED_TYPES


@pytest.mark.parametrize("estimator", _instances())
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_dump_and_load_with_trusted_types(estimator, sparse, tmp_path):
    X, y = _data(estimator, sparse)
    model = _fit(clone(estimator), X, y)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted and set(untrusted) <= set(skreg.SKOPS_TRUSTED_TYPES)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path)
    loaded = sio.load(path, trusted=skreg.SKOPS_TRUSTED_TYPES)
    _assert_same_model(loaded, model, X)
    # The loaded parameters reproduce the model when refitted.
    refit = _fit(clone(loaded), X, y)
    np.testing.assert_array_equal(refit.predict(X), model.predict(X))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_pipeline_round_trip(cls, tmp_path):
    X, y = _data(cls())
    pipe = _fit(make_pipeline(StandardScaler(), _fast(cls)), X * 3.0 + 1.0, y)
    path = tmp_path / "pipe.skops"
    sio.dump(pipe, path)
    assert set(sio.get_untrusted_types(file=path)) <= set(skreg.SKOPS_TRUSTED_TYPES)
    loaded = sio.load(path, trusted=skreg.SKOPS_TRUSTED_TYPES)
    np.testing.assert_array_equal(loaded.predict(X * 3.0 + 1.0), pipe.predict(X * 3.0 + 1.0))
