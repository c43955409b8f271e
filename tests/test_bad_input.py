"""Malformed and extreme inputs and parameters, run against every estimator (issue #5).

Every case ends in one of two ways, and the test checks which:

* a correct fit, CHECKED against the clean equivalent input (same coefficients
  and probabilities), or against a property the exact solution must have; or
* a ``ValueError`` / ``TypeError`` whose message names the problem.

Never a crash, a hang, NaN coefficients or a silently wrong answer. A fit that
fails leaves an earlier fitted model exactly as it was (and an unfitted
estimator unfitted). ``regularization_path`` is run through the same cases
where they apply.

Behaviours chosen where the issue is silent (see also the estimators' docstrings):

* ``alpha=0`` (or ``penalty=None``) on perfectly separable data: the loss has
  no finite minimiser. The logistic model stops where its KKT certificate is
  met, returns finite coefficients that separate the data, and raises a
  ``ConvergenceWarning`` that says the data are separable.
* Entries so large that the solver's curvature terms overflow (|x| ~ 1e300;
  float64 squares overflow above ~1e154): the logistic model raises a
  ``ValueError`` naming extreme values; up to 1e150 the fit is exact (checked
  by scale invariance). Entries ~1e-300: a penalized fit is the exact all-zero
  solution; an unpenalized one cannot be certified (its curvature underflows)
  and says so with a ``ConvergenceWarning``. The MLP (Adam steps are scale
  free) returns finite weights on both.
* Sample weights whose sum overflows (1e308 each) or is subnormal (1e-320
  each) are valid: only ratios matter, and the fit equals the unweighted one.
* String / bytes X is rejected with a message naming strings (scikit-learn's
  numeric estimators do the same); object arrays of numbers are converted.
"""

import copy
import functools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

import skreg
from skreg import ElasticNetMLPClassifier, RegularizedLogisticRegression, regularization_path

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# ---------------------------------------------------------------------------
# Every estimator, in the configurations that take different code paths.
# ``exact`` lists the equivalences a configuration guarantees beyond "same
# values in another layout gives the same model bit for bit":
#   "float32"   float32 input gives (nearly) the float64 model;
#   "weights"   zero weight equals removing the row (full-batch / deterministic);
#   "convex"    a certified convex solution (the independent checks apply).
# ---------------------------------------------------------------------------


class Spec:
    def __init__(self, name, make, exact=(), kind="linear", min_per_class=1):
        self.name, self.make, self.exact, self.kind = name, make, set(exact), kind
        self.min_per_class = min_per_class

    def __repr__(self):
        return self.name


LR = RegularizedLogisticRegression
SPECS = [
    Spec("logreg-l2", lambda: LR(penalty="l2", alpha=1e-2, tol=1e-8, max_iter=300),
         ["float32", "weights", "convex"]),
    Spec("logreg-l1", lambda: LR(penalty="l1", alpha=1e-2, tol=1e-8, max_iter=300),
         ["float32", "weights", "convex"]),
    Spec("logreg-enet", lambda: LR(penalty="elasticnet", alpha=1e-2, l1_ratio=0.5, tol=1e-8,
                                   max_iter=300), ["float32", "weights", "convex"]),
    Spec("logreg-l0", lambda: LR(penalty="l0", alpha=1e-2, l1_ratio=0.5, tol=1e-8,
                                 max_iter=300), ["weights"]),
    Spec("logreg-none", lambda: LR(penalty=None, tol=1e-8, max_iter=300),
         ["float32", "weights", "convex"]),
    Spec("mlp-adam", lambda: ElasticNetMLPClassifier(
        (5,), penalty="elasticnet", alpha=1e-3, l1_ratio=0.5, max_iter=30, random_state=0),
        ["float32", "weights"], kind="mlp"),
    Spec("mlp-sgd-bn-dropout", lambda: ElasticNetMLPClassifier(
        (5, 3), solver="sgd", batch_norm=True, dropout=0.2, batch_size=16,
        learning_rate_init=0.05, max_iter=15, random_state=0), [], kind="mlp"),
]
if hasattr(skreg, "RegularizedLogisticRegressionCV"):  # lands on main concurrently
    SPECS.append(Spec(
        "logreg-cv", lambda: skreg.RegularizedLogisticRegressionCV(
            penalty="l1", n_alphas=4, cv=2, tol=1e-8, max_iter=300),
        # Zero-weight rows still take their place in the folds: not "weights".
        [], min_per_class=2,
    ))

every_estimator = pytest.mark.parametrize("spec", SPECS, ids=repr)


def linear_only(spec):
    if spec.kind != "linear":
        pytest.skip("logistic-model specific")


# ---------------------------------------------------------------------------
# Data and helpers
# ---------------------------------------------------------------------------


@functools.lru_cache
def _data(n_classes=2):
    X, y = make_classification(n_samples=40 if n_classes == 2 else 60, n_features=4,
                               n_informative=3, n_redundant=0, n_classes=n_classes,
                               flip_y=0.1, random_state=0)
    return X, y


def data(n_classes=2):
    X, y = _data(n_classes)
    return X.copy(), y.copy()


def fitted_arrays(est):
    if hasattr(est, "coefs_"):
        return list(est.coefs_) + list(est.intercepts_)
    return [est.coef_, est.intercept_]


def fit(spec, X, y, **kwargs):
    return spec.make().fit(X, y, **kwargs)


def assert_finite_model(est, X):
    for a in fitted_arrays(est):
        assert np.all(np.isfinite(a)), "non-finite fitted parameters"
    proba = est.predict_proba(X)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def assert_same_model(a, b, X, atol=1e-9, rtol=1e-7):
    np.testing.assert_array_equal(a.classes_, b.classes_)
    for pa, pb in zip(fitted_arrays(a), fitted_arrays(b)):
        np.testing.assert_allclose(np.asarray(pa, float), np.asarray(pb, float), rtol=rtol,
                                   atol=atol)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=rtol, atol=atol)


def state(est):
    """Deep copy of everything fit sets (public fitted and private attributes)."""
    return {k: copy.deepcopy(v) for k, v in vars(est).items()
            if k.endswith("_") or k.startswith("_")}


def assert_same_state(s1, s2):
    assert s1.keys() == s2.keys()
    for k in s1:
        _assert_equal(s1[k], s2[k], k)


def _assert_equal(a, b, where):
    if isinstance(a, dict):  # e.g. the CV estimator's cv_results_
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_equal(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for x, y in zip(a, b):
            _assert_equal(x, y, where)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, where


def _unsorted(S):
    S = sp.csr_matrix(S, copy=True)
    for i in range(S.shape[0]):
        lo, hi = S.indptr[i], S.indptr[i + 1]
        S.indices[lo:hi] = S.indices[lo:hi][::-1].copy()
        S.data[lo:hi] = S.data[lo:hi][::-1].copy()
    S.has_sorted_indices = False
    assert not S.has_sorted_indices
    return S


def _with_duplicates(X):
    """CSR with every entry stored twice (1/4 + 3/4 of it): sums to X."""
    coo = sp.coo_matrix(X)
    rows = np.r_[coo.row, coo.row]
    order = np.argsort(rows, kind="stable")
    data = np.r_[coo.data * 0.25, coo.data * 0.75][order]
    cols = np.r_[coo.col, coo.col][order]
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=X.shape[0]))]
    S = sp.csr_matrix((data, cols, indptr), shape=X.shape)
    assert not S.has_canonical_format and S.nnz == 2 * coo.nnz
    return S


def _int64(X):
    S = sp.csr_matrix(X)
    S.indices, S.indptr = S.indices.astype(np.int64), S.indptr.astype(np.int64)
    return S


def _explicit_zeros(X):
    S = sp.csr_matrix(X)
    S.data[::3] = 0.0  # stored zeros, not eliminated
    assert np.count_nonzero(S.data == 0.0) > 0
    return S


def _memmap(X, tmp_path, order):
    path = tmp_path / f"X_{order}.dat"
    m = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape, order=order)
    m[:] = X
    m.flush()
    del m
    r = np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape, order=order)
    assert not r.flags.writeable
    return r


def _read_only_sparse(X):
    S = sp.csr_matrix(X)
    for a in (S.data, S.indices, S.indptr):
        a.setflags(write=False)
    return S


def _strided(X):
    big = np.zeros((2 * X.shape[0], 3 * X.shape[1]))
    big[::2, ::3] = X
    view = big[::2, ::3]
    assert not view.flags.c_contiguous and not view.flags.f_contiguous
    return view


# ---------------------------------------------------------------------------
# 1. Rejected inputs: a ValueError/TypeError that names the problem, and the
#    estimator is left as it was (unfitted, or with its earlier model).
# ---------------------------------------------------------------------------


def _set(a, idx, value):
    a = np.array(a, dtype=float)
    a[idx] = value
    return a


def _sw(value_at_0=None, fill=1.0, n=40):
    sw = np.full(n, fill)
    if value_at_0 is not None:
        sw[0] = value_at_0
    return sw


def _object_with_text(X):
    Xo = X.astype(object)
    Xo[2, 1] = "abc"
    return Xo


# (id, make (X, y) -> (X, y, fit kwargs), match)
BAD_DATA = [
    ("nan-in-X", lambda X, y: (_set(X, (3, 1), np.nan), y, {}), "NaN"),
    ("inf-in-X", lambda X, y: (_set(X, (3, 1), np.inf), y, {}), "infinity"),
    ("-inf-in-X", lambda X, y: (_set(X, (0, 0), -np.inf), y, {}), "infinity"),
    ("nan-in-sparse-X", lambda X, y: (sp.csr_matrix(_set(X, (3, 1), np.nan)), y, {}), "NaN"),
    ("inf-in-sparse-csc-X", lambda X, y: (sp.csc_matrix(_set(X, (3, 1), np.inf)), y, {}),
     "infinity"),
    ("nan-in-y", lambda X, y: (X, _set(y, 5, np.nan), {}), "NaN"),
    ("inf-in-y", lambda X, y: (X, _set(y, 5, np.inf), {}), "infinity"),
    ("nan-in-sample_weight", lambda X, y: (X, y, {"sample_weight": _sw(np.nan)}), "NaN"),
    ("inf-in-sample_weight", lambda X, y: (X, y, {"sample_weight": _sw(np.inf)}), "infinity"),
    ("negative-sample_weight", lambda X, y: (X, y, {"sample_weight": _sw(-1.0)}), "Negative"),
    ("all-zero-sample_weight", lambda X, y: (X, y, {"sample_weight": _sw(fill=0.0)}),
     "non-zero|sum to zero"),
    ("sample_weight-wrong-length", lambda X, y: (X, y, {"sample_weight": np.ones(7)}),
     "sample_weight"),
    ("sample_weight-2d", lambda X, y: (X, y, {"sample_weight": np.ones((40, 2))}),
     "1D|sample_weight"),
    ("empty-X", lambda X, y: (X[:0], y[:0], {}), "0 sample"),
    ("no-features", lambda X, y: (X[:, :0], y, {}), "0 feature"),
    ("one-sample", lambda X, y: (X[:1], y[:1], {}), "2 classes|one class|1 class"),
    ("one-class", lambda X, y: (X, np.zeros_like(y), {}), "2 classes|one class|1 class"),
    ("3d-X", lambda X, y: (X[:, :, None], y, {}), "dim 3"),
    ("1d-X", lambda X, y: (X[:, 0], y, {}), "Expected 2D array"),
    ("2d-y", lambda X, y: (X, np.c_[y, y], {}), "1d array"),
    ("X-y-length-mismatch", lambda X, y: (X, y[:-3], {}), "inconsistent numbers of samples"),
    ("string-X", lambda X, y: (X.astype(str), y, {}), "string"),
    ("bytes-X", lambda X, y: (X.astype(str).astype(bytes), y, {}), "string|bytes"),
    ("object-X-with-text", lambda X, y: (_object_with_text(X), y, {}), "could not convert"),
    ("complex-X", lambda X, y: (X + 1j, y, {}), "Complex"),
    ("continuous-y", lambda X, y: (X, np.linspace(0, 1, len(y)), {}), "continuous"),
    # Floats that are not integers are "continuous" for scikit-learn: rejected
    # (integer-valued floats are labels, see test_label_types).
    ("non-integer-float-labels", lambda X, y: (X, np.where(y == 1, 2.5, -0.5), {}),
     "continuous"),
    ("multilabel-y", lambda X, y: (X, np.c_[y, 1 - y].astype(int), {}), "1d array"),
]

# Values outside a parameter's declared range (negative alpha or tol, l1_ratio outside
# [0, 1], max_iter 0) are rejected before fit starts, by _parameter_constraints, and
# tests/test_common.py checks that for every parameter of every estimator
# (check_param_validation). Here: one such value (for the state-kept check) and the
# values that no declared interval excludes (NaN, an infinite alpha).
BAD_PARAMS = [
    ("negative-alpha", {"alpha": -1.0}, "alpha"),
    ("nan-alpha", {"alpha": np.nan}, "alpha"),
    ("inf-alpha", {"alpha": np.inf}, "alpha"),
    ("nan-tol", {"tol": np.nan}, "tol"),
]


def _params_for(spec, params):
    """The CV estimator has no ``alpha``/``l1_ratio``: it takes ``alphas``/``l1_ratios``."""
    est = spec.make()
    valid = est.get_params()
    out = {}
    for k, v in params.items():
        if k in valid:
            out[k] = v
        elif k == "alpha" and "alphas" in valid:
            out["alphas"] = [v]
        elif k == "l1_ratio" and "l1_ratios" in valid:
            out["l1_ratios"] = [v]
            out["penalty"] = "elasticnet"
    return out


def _check_rejected_and_state_kept(spec, fit_bad, exc=(ValueError, TypeError), match=None):
    # A fresh estimator stays unfitted.
    fresh = spec.make()
    with pytest.raises(exc, match=match):
        fit_bad(fresh)
    with pytest.raises(NotFittedError):
        check_is_fitted(fresh)
    # A fitted one keeps its model: attributes and predictions.
    X, y = data()
    est = spec.make().fit(X, y)
    before, proba = state(est), est.predict_proba(X)
    with pytest.raises(exc, match=match):
        fit_bad(est)
    assert_same_state(before, state(est))
    np.testing.assert_array_equal(est.predict_proba(X), proba)


@every_estimator
@pytest.mark.parametrize("case", BAD_DATA, ids=[c[0] for c in BAD_DATA])
def test_bad_data_is_rejected_and_leaves_the_model_intact(spec, case):
    _, make, match = case
    if spec.kind == "mlp" and case[0] in ("2d-y", "multilabel-y"):
        pytest.skip("a 0/1 indicator y is a multilabel target for the MLP (test_neural_network)")
    X, y = data()
    # Different feature count too: a failed fit must not re-set n_features_in_.
    Xb, yb, kwargs = make(np.c_[X, X[:, :2]], y)
    _check_rejected_and_state_kept(spec, lambda est: est.fit(Xb, yb, **kwargs), match=match)


@every_estimator
@pytest.mark.parametrize("case", BAD_PARAMS, ids=[c[0] for c in BAD_PARAMS])
def test_bad_parameter_is_rejected_and_leaves_the_model_intact(spec, case):
    _, params, match = case
    params = _params_for(spec, params)
    if not params:
        pytest.skip("parameter not used by this estimator")
    X, y = data()
    _check_rejected_and_state_kept(spec, lambda est: est.set_params(**params).fit(X, y),
                                   match=match)


@every_estimator
def test_one_class_after_a_good_fit_keeps_n_features_in(spec):
    """Regression: validate_data(reset=True) used to overwrite n_features_in_ before the
    one-class error, so the earlier model could no longer predict."""
    X, y = data()
    est = spec.make().fit(X, y)
    with pytest.raises(ValueError, match="class"):
        est.fit(np.c_[X, X], np.ones_like(y))
    assert est.n_features_in_ == X.shape[1]
    est.predict(X)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda X: X[:, :3], "features"),
        (lambda X: np.c_[X, X[:, 0]], "features"),
        (lambda X: sp.csr_matrix(X[:, :3]), "features"),
        (lambda X: _set(X, (0, 0), np.nan), "NaN"),
        (lambda X: _set(X, (0, 0), np.inf), "infinity"),
        (lambda X: X.astype(str), "string"),
        (lambda X: X[:, :, None], "dim 3"),
        (lambda X: X + 1j, "Complex"),
        (lambda X: X[:0], "0 sample"),
    ],
    ids=["fewer-features", "more-features", "sparse-fewer-features", "nan", "inf", "string",
         "3d", "complex", "empty"],
)
@every_estimator
def test_bad_data_at_predict_time(spec, make, match):
    X, y = data()
    est = spec.make().fit(X, y)
    before = state(est)
    for method in ("predict", "predict_proba", "predict_log_proba"):
        with pytest.raises((ValueError, TypeError), match=match):
            getattr(est, method)(make(X))
    assert_same_state(before, state(est))


@every_estimator
@pytest.mark.parametrize(
    "class_weight, match",
    [
        ({0: -0.5, 1: 1.0}, "class_weight"),
        ({0: np.nan, 1: 1.0}, "class_weight"),
        ({0: np.inf, 1: 1.0}, "class_weight"),
        ({0: 0.0, 1: 1.0}, "Only one class"),
    ],
    ids=["negative", "nan", "inf", "zero-for-a-class"],
)
def test_bad_class_weight(spec, class_weight, match):
    if "class_weight" not in spec.make().get_params():
        pytest.skip("no class_weight parameter")
    X, y = data()
    _check_rejected_and_state_kept(
        spec, lambda est: est.set_params(class_weight=class_weight).fit(X, y), match=match)


@every_estimator
def test_all_weight_on_one_class(spec):
    """The logistic loss has no finite minimiser when only one class carries weight
    (the intercept runs to infinity): rejected like one class. The MLP, which
    trains for a fixed budget of epochs, returns a finite network."""
    X, y = data()
    sw = np.where(y == 0, 0.0, 1.0)
    if spec.kind == "linear":
        _check_rejected_and_state_kept(spec, lambda est: est.fit(X, y, sample_weight=sw),
                                       match="Only one class")
    else:
        assert_finite_model(fit(spec, X, y, sample_weight=sw), X)


@pytest.mark.parametrize("make, match", [
    (lambda X, y: (_set(X, (0, 0), np.nan), y), "NaN"),
    (lambda X, y: (X[:, :3], y), "features"),
    (lambda X, y: (X, y + 7), "not among the fitted classes"),
    (lambda X, y: (X.astype(str), y), "string"),
], ids=["nan", "fewer-features", "unseen-label", "string"])
def test_mlp_failed_partial_fit_keeps_the_model(make, match):
    X, y = data()
    est = ElasticNetMLPClassifier((5,), random_state=0)
    for chunk in np.array_split(np.arange(len(y)), 2):
        est.partial_fit(X[chunk], y[chunk], classes=[0, 1])
    before, proba = state(est), est.predict_proba(X)
    Xb, yb = make(X, y)
    with pytest.raises(ValueError, match=match):
        est.partial_fit(Xb, yb)
    assert_same_state(before, state(est))
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    est.partial_fit(X, y)  # and it can go on
    assert len(est.loss_curve_) == len(before["loss_curve_"]) + 1
    assert est.t_ == before["t_"] + len(y)


@every_estimator
def test_dataframe_feature_names_checked_at_predict(spec):
    pd = pytest.importorskip("pandas")
    X, y = data()
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    est = spec.make().fit(df, y)
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c", "d"])
    np.testing.assert_allclose(est.predict_proba(df), fit(spec, X, y).predict_proba(X), atol=1e-12)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df.rename(columns={"a": "z"}))
    with_na = df.astype({"a": "Float64"})
    with_na.loc[0, "a"] = pd.NA  # a nullable column's missing value
    with pytest.raises(ValueError, match="NaN"):
        spec.make().fit(with_na, y)


def test_unfitted_predict_raises_not_fitted():
    X, _ = data()
    for spec in SPECS:
        with pytest.raises(NotFittedError):
            spec.make().predict(X)


# ---------------------------------------------------------------------------
# 2. Accepted inputs: the same values in another layout or dtype give the
#    same model as the clean input.
# ---------------------------------------------------------------------------

# (id, make X' from X, the clean equivalent of X')
SAME_VALUES = [
    ("sparse-unsorted-indices", _unsorted, None),
    ("sparse-duplicate-entries", _with_duplicates, None),
    ("sparse-int64-indices", _int64, None),
    ("sparse-explicit-zeros", _explicit_zeros, lambda X: _explicit_zeros(X).toarray()),
    ("sparse-csc", sp.csc_matrix, None),
    ("sparse-coo", sp.coo_matrix, None),
    ("sparse-lil", sp.lil_matrix, None),
    ("sparse-csr_array", sp.csr_array, None),
    ("sparse-read-only", _read_only_sparse, None),
    ("non-contiguous-view", _strided, None),
    ("C-ordered", np.ascontiguousarray, None),
    ("F-ordered", np.asfortranarray, None),
    ("float16", lambda X: X.astype(np.float16), lambda X: X.astype(np.float16).astype(float)),
    ("longdouble", lambda X: X.astype(np.longdouble), None),
    ("int64-X", lambda X: np.round(3 * X).astype(np.int64), lambda X: np.round(3 * X)),
    ("bool-X", lambda X: X > 0, lambda X: (X > 0).astype(float)),
    ("object-X-of-numbers", lambda X: X.astype(object), None),
    ("list-of-lists", lambda X: X.tolist(), None),
]


@every_estimator
@pytest.mark.parametrize("case", SAME_VALUES, ids=[c[0] for c in SAME_VALUES])
def test_same_values_in_another_layout_give_the_same_model(spec, case):
    _, make, clean = case
    X, y = data()
    ref_X = X if clean is None else clean(X)
    a = fit(spec, make(X), y)
    b = fit(spec, ref_X, y)
    # Sparse and dense products round differently in the last bit (L0's keep/drop
    # test and the networks amplify that a little); layouts of dense data do not.
    assert_same_model(a, b, ref_X, atol=1e-8, rtol=1e-6)
    assert_finite_model(a, ref_X)


@every_estimator
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_read_only_memmap(spec, order, dtype, tmp_path):
    X, y = data()
    X = X.astype(dtype)
    a = fit(spec, _memmap(X, tmp_path, order), y)
    b = fit(spec, X.copy(), y)
    assert_same_model(a, b, X)


@every_estimator
def test_float32_is_close_to_float64(spec):
    if "float32" not in spec.exact:
        pytest.skip("mini-batch SGD with batch norm amplifies float32 rounding")
    X, y = data()
    a = fit(spec, X.astype(np.float32), y)
    b = fit(spec, X, y)
    assert_finite_model(a, X)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-4)


@every_estimator
def test_y_column_vector_warns_and_is_raveled(spec):
    X, y = data()
    with pytest.warns(DataConversionWarning):
        a = fit(spec, X, y[:, None])
    assert_same_model(a, fit(spec, X, y), X)


@every_estimator
@pytest.mark.parametrize(
    "relabel",
    [
        lambda y: np.where(y == 1, "yes", "no"),
        lambda y: np.where(y == 1, "yes", "no").astype(object),
        lambda y: y.astype(bool),
        lambda y: np.where(y == 1, 2.0, -1.0),
        lambda y: np.where(y == 1, 10**12, -3),
    ],
    ids=["str", "object-str", "bool", "float", "big-int"],
)
def test_label_types(spec, relabel):
    X, y = data()
    labels = relabel(y)
    a = fit(spec, X, labels)
    b = fit(spec, X, y)
    # np.unique orders every relabelling as it orders (0, 1): the same model.
    np.testing.assert_array_equal(a.classes_, np.unique(labels))
    for pa, pb in zip(fitted_arrays(a), fitted_arrays(b)):
        np.testing.assert_array_equal(pa, pb)
    np.testing.assert_array_equal(a.predict(X), a.classes_[b.predict(X)])
    assert a.predict(X).dtype == a.classes_.dtype


@every_estimator
def test_multiclass_string_labels(spec):
    X, y = data(3)
    names = np.array(["cat", "dog", "emu"])
    a = fit(spec, X, names[y])
    b = fit(spec, X, y)
    np.testing.assert_array_equal(a.predict(X), names[b.predict(X)])
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-12)


# ---------------------------------------------------------------------------
# 3. Sample weights at the edges
# ---------------------------------------------------------------------------


@every_estimator
@pytest.mark.parametrize("value", [1e308, 1e-320, 7], ids=["huge-1e308", "subnormal-1e-320",
                                                            "int"])
def test_constant_sample_weight_equals_unweighted(spec, value):
    X, y = data()
    sw = np.full(len(y), value)
    a = fit(spec, X, y, sample_weight=sw)
    b = fit(spec, X, y)
    assert_same_model(a, b, X, atol=1e-10)


@every_estimator
def test_zero_weight_equals_removing_the_rows(spec):
    if "weights" not in spec.exact:
        pytest.skip("mini-batches differ once rows are removed")
    X, y = data()
    sw = np.ones(len(y))
    sw[:6] = 0.0
    a = fit(spec, X, y, sample_weight=sw)
    b = fit(spec, X[6:], y[6:])
    assert_same_model(a, b, X, atol=1e-7, rtol=1e-6)


# ---------------------------------------------------------------------------
# 4. Degenerate columns, magnitudes, separable data, parameter edges
# ---------------------------------------------------------------------------


@every_estimator
@pytest.mark.parametrize("value", [0.0, 3.0], ids=["zero-column", "constant-column"])
def test_constant_column(spec, value):
    X, y = data()
    Xc = np.c_[X[:, :2], np.full(len(y), value), X[:, 2:]]
    est = fit(spec, Xc, y)
    assert_finite_model(est, Xc)
    if spec.kind != "linear" or "convex" not in spec.exact:
        return
    # With an unpenalized intercept the optimum puts no weight on a constant
    # column (its gradient is value * the intercept's, zero at the optimum).
    ref = fit(spec, X, y)
    np.testing.assert_allclose(est.coef_[:, 2], 0.0, atol=1e-7)
    np.testing.assert_allclose(est.coef_[:, [0, 1, 3, 4]], ref.coef_, atol=1e-6)
    np.testing.assert_allclose(est.predict_proba(Xc), ref.predict_proba(X), atol=1e-7)


@every_estimator
def test_duplicated_column(spec):
    X, y = data()
    Xd = np.c_[X, X[:, 1]]
    est = fit(spec, Xd, y)
    assert_finite_model(est, Xd)
    if spec.kind != "linear" or spec.name == "logreg-cv":
        return
    penalty = est.penalty
    if penalty in ("l1", None):
        # The decision function is unique (strictly convex loss in Xw); only the
        # split of the weight between the copies is not.
        ref = fit(spec, X, y)
        np.testing.assert_allclose(est.decision_function(Xd), ref.decision_function(X),
                                   atol=1e-6)
        np.testing.assert_allclose(est.coef_[:, 1] + est.coef_[:, 4], ref.coef_[:, 1],
                                   atol=1e-6)
    elif penalty == "l2":
        # Ridge splits evenly: equivalent to one copy scaled by sqrt(2).
        Xs = X.copy()
        Xs[:, 1] *= np.sqrt(2.0)
        ref = fit(spec, Xs, y)
        np.testing.assert_allclose(est.coef_[:, 1], est.coef_[:, 4], atol=1e-7)
        np.testing.assert_allclose(est.coef_[:, 1] * np.sqrt(2.0), ref.coef_[:, 1], atol=1e-6)
        np.testing.assert_allclose(est.decision_function(Xd), ref.decision_function(Xs),
                                   atol=1e-6)
    elif penalty == "elasticnet":
        # The ridge part makes the split unique and even. The objective is nearly
        # flat along the split (curvature alpha * (1 - l1_ratio)), so the
        # certificate tol=1e-8 pins it to ~1e-6 only.
        np.testing.assert_allclose(est.coef_[:, 1], est.coef_[:, 4], atol=1e-5)


@every_estimator
def test_huge_values_1e300(spec):
    X, y = data()
    Xh = X * 1e300
    if spec.kind == "linear":
        # Squares of 1e300 overflow: a clear error, never NaN coefficients.
        with pytest.raises(ValueError, match=r"extreme values \(the largest \|X\| entry is 3.21e\+300"):
            fit(spec, Xh, y)
        # One huge column among normal ones: the same.
        Xc = X.copy()
        Xc[:, 0] *= 1e200
        with pytest.raises(ValueError, match="extreme values"):
            fit(spec, Xc, y)
        return
    try:
        est = fit(spec, Xh, y)
    except ValueError as exc:  # the documented non-finite-loss error
        assert "learning_rate_init" in str(exc)
        return
    assert_finite_model(est, Xh)


@every_estimator
def test_largest_safe_scale_is_exact(spec):
    """Up to |x| ~ 1e150 the logistic fit is exact: with no penalty the decision
    function does not depend on the scale of X (coefficients scale by 1/s)."""
    linear_only(spec)
    X, y = data()
    est = LR(penalty=None, tol=1e-10).fit(X * 1e150, y)
    ref = LR(penalty=None, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(est.coef_ * 1e150, ref.coef_, rtol=1e-6)
    np.testing.assert_allclose(est.decision_function(X * 1e150), ref.decision_function(X),
                               atol=1e-6)


@every_estimator
def test_tiny_values_1e_300(spec):
    X, y = data()
    Xt = X * 1e-300
    if spec.name == "logreg-cv":
        # Its grid is relative to alpha_max ~ 1e-300: the unpenalized difficulty.
        est = fit(spec, Xt, y)
        assert_finite_model(est, Xt)
        return
    if spec.kind != "linear" or getattr(spec.make(), "penalty", None) is None:
        if spec.kind == "linear":
            # Unpenalized: the exact solution needs coefficients ~1e300 whose
            # curvature underflows. Not silent: a ConvergenceWarning.
            with pytest.warns(ConvergenceWarning):
                est = fit(spec, Xt, y)
        else:
            est = fit(spec, Xt, y)
        assert_finite_model(est, Xt)
        return
    # Penalized: alpha_max ~ 1e-300 << alpha, so the exact solution is W = 0 (to
    # ~1e-298 for ridge) and the intercept is the log-odds of the class prior.
    est = fit(spec, Xt, y)
    assert_finite_model(est, Xt)
    assert np.abs(est.coef_).max() < 1e-290
    prior = np.mean(y == est.classes_[1])
    np.testing.assert_allclose(est.predict_proba(Xt)[:, 1], prior, atol=1e-6)


def _separable():
    X, _ = data()
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


@every_estimator
def test_separable_data_without_penalty(spec):
    X, y = _separable()
    if spec.kind == "mlp":
        est = spec.make().set_params(alpha=0.0, max_iter=200, learning_rate_init=0.01)
        est.fit(X, y)
        assert_finite_model(est, X)
        return
    if spec.name == "logreg-cv":
        pytest.skip("the CV estimator chooses alpha > 0")
    est = spec.make().set_params(alpha=0.0)
    with pytest.warns(ConvergenceWarning, match="separable"):
        est.fit(X, y)
    assert_finite_model(est, X)
    assert est.score(X, y) == 1.0


def test_separable_data_pure_l0_warns_and_is_finite():
    """Pure L0 (no ridge) does not bound the coefficients either: the epochs run out
    while one grows, and the warning says the data are separable."""
    X, y = _separable()
    with pytest.warns(ConvergenceWarning, match="separable"):
        est = LR(penalty="l0", alpha=1e-2, l1_ratio=1.0, max_iter=50).fit(X, y)
    assert_finite_model(est, X)
    assert est.score(X, y) == 1.0
    # With a ridge share the L0L2 problem has a finite solution: no such warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LR(penalty="l0", alpha=1e-2, l1_ratio=0.5, tol=1e-8).fit(X, y)
    assert_finite_model(est, X)


@every_estimator
def test_separable_data_with_penalty_is_finite_and_silent(spec):
    linear_only(spec)
    X, y = _separable()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LR(penalty="l1", alpha=1e-3, tol=1e-8).fit(X, y)
    assert_finite_model(est, X)
    assert est.score(X, y) == 1.0


@every_estimator
def test_two_samples(spec):
    X, y = data()
    Xs, ys = X[[0, 1]], np.array([0, 1])
    if spec.min_per_class > 1:
        with pytest.raises(ValueError):
            fit(spec, Xs, ys)
        return
    est = fit(spec, Xs, ys)
    assert_finite_model(est, Xs)


@every_estimator
def test_max_iter_1_warns_and_is_finite(spec):
    X, y = data()
    with pytest.warns(ConvergenceWarning):
        est = spec.make().set_params(max_iter=1).fit(X, y)
    assert_finite_model(est, X)


@every_estimator
def test_tol_zero_terminates(spec):
    X, y = data()
    est = spec.make().set_params(tol=0.0, max_iter=20).fit(X, y)
    assert_finite_model(est, X)


@every_estimator
def test_huge_alpha_gives_the_prior(spec):
    X, y = data()
    params = _params_for(spec, {"alpha": 1e300})
    est = spec.make().set_params(**params)
    if spec.kind == "mlp" and est.solver == "sgd":
        # Plain SGD's ridge step w -= lr * alpha * w diverges: the documented
        # non-finite-loss error, naming alpha, and no model.
        with pytest.raises(ValueError, match="alpha=1e[+]300"):
            est.fit(X, y)
        return
    est.fit(X, y)
    assert_finite_model(est, X)
    if spec.kind == "linear" and "alpha" in params and est.penalty is not None:
        assert np.abs(est.coef_).max() < 1e-290
        prior = np.mean(y == est.classes_[1])
        np.testing.assert_allclose(est.predict_proba(X)[:, 1], prior, atol=1e-6)


@every_estimator
def test_many_classes_few_samples(spec):
    """Ten classes with three samples each (multinomial on a tiny problem)."""
    rng = np.random.RandomState(0)
    X = rng.randn(30, 4)
    y = np.repeat(np.arange(10), 3)
    est = fit(spec, X, y)
    assert_finite_model(est, X)
    assert est.predict_proba(X).shape == (30, 10)


# ---------------------------------------------------------------------------
# 5. regularization_path through the same cases
# ---------------------------------------------------------------------------


def path(X, y, **kwargs):
    kwargs.setdefault("n_alphas", 4)
    kwargs.setdefault("tol", 1e-8)
    return regularization_path(X, y, **kwargs)


PATH_BAD = [
    ("nan-in-X", lambda X, y: (_set(X, (3, 1), np.nan), y, {}), "NaN"),
    ("inf-in-X", lambda X, y: (_set(X, (3, 1), np.inf), y, {}), "infinity"),
    ("nan-in-y", lambda X, y: (X, _set(y, 5, np.nan), {}), "NaN"),
    ("nan-in-sample_weight", lambda X, y: (X, y, {"sample_weight": _sw(np.nan)}), "NaN"),
    ("negative-sample_weight", lambda X, y: (X, y, {"sample_weight": _sw(-1.0)}), "Negative"),
    ("all-zero-sample_weight", lambda X, y: (X, y, {"sample_weight": _sw(fill=0.0)}),
     "non-zero|sum to zero"),
    ("weight-on-one-class", lambda X, y: (X, y, {"sample_weight": (y == 1).astype(float)}),
     "Only one class"),
    ("empty-X", lambda X, y: (X[:0], y[:0], {}), "0 sample"),
    ("one-class", lambda X, y: (X, np.zeros_like(y), {}), "class"),
    ("3d-X", lambda X, y: (X[:, :, None], y, {}), "dim 3"),
    ("2d-y", lambda X, y: (X, np.c_[y, y], {}), "1d array"),
    ("length-mismatch", lambda X, y: (X, y[:-1], {}), "inconsistent"),
    ("string-X", lambda X, y: (X.astype(str), y, {}), "string"),
    ("complex-X", lambda X, y: (X + 1j, y, {}), "Complex"),
    ("continuous-y", lambda X, y: (X, np.linspace(0, 1, len(y)), {}), "continuous"),
    ("huge-1e300", lambda X, y: (X * 1e300, y, {}), "extreme values"),
    ("l1_ratio-above-1", lambda X, y: (X, y, {"penalty": "elasticnet", "l1_ratio": 1.5}),
     "l1_ratio"),
    ("l1_ratio-nan", lambda X, y: (X, y, {"penalty": "elasticnet", "l1_ratio": np.nan}),
     "l1_ratio"),
    ("negative-alphas", lambda X, y: (X, y, {"alphas": [0.1, -1.0]}), "alphas"),
    ("inf-alphas", lambda X, y: (X, y, {"alphas": [np.inf]}), "alphas"),
    ("empty-alphas", lambda X, y: (X, y, {"alphas": []}), "alphas"),
    ("max_iter-0", lambda X, y: (X, y, {"max_iter": 0}), "max_iter"),
    ("negative-tol", lambda X, y: (X, y, {"tol": -1.0}), "tol"),
    ("nan-tol", lambda X, y: (X, y, {"tol": np.nan}), "tol"),
    ("n_alphas-0", lambda X, y: (X, y, {"n_alphas": 0}), "n_alphas"),
    ("n_alphas-float", lambda X, y: (X, y, {"n_alphas": 2.5}), "n_alphas"),
    ("eps-0", lambda X, y: (X, y, {"eps": 0.0}), "eps"),
    ("eps-negative", lambda X, y: (X, y, {"eps": -1e-3}), "eps"),
    ("eps-above-1", lambda X, y: (X, y, {"eps": 2.0}), "eps"),
    ("unknown-penalty", lambda X, y: (X, y, {"penalty": "l3"}), "penalty"),
]


@pytest.mark.parametrize("case", PATH_BAD, ids=[c[0] for c in PATH_BAD])
def test_path_rejects_bad_input(case):
    _, make, match = case
    X, y = data()
    Xb, yb, kwargs = make(X, y)
    with pytest.raises((ValueError, TypeError), match=match):
        path(Xb, yb, **kwargs)


def _path_data(loss):
    return data() if loss == "log_loss" else reg_data()


@pytest.mark.parametrize(
    "case", SAME_VALUES + [("memmap", None, None)], ids=[c[0] for c in SAME_VALUES] + ["memmap"]
)
@pytest.mark.parametrize("penalty", ["l1", "l0"])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_path_same_values_in_another_layout(case, penalty, loss, tmp_path):
    _, make, clean = case
    X, y = _path_data(loss)
    ref_X = X if clean is None else clean(X)
    Xa = _memmap(X, tmp_path, "F") if make is None else make(X)
    a = path(Xa, y, penalty=penalty, loss=loss)
    b = path(ref_X, y, penalty=penalty, loss=loss)
    for pa, pb in zip(a, b):
        np.testing.assert_allclose(pa, pb, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("value", [1e308, 1e-320])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_path_extreme_constant_weights(value, loss):
    X, y = _path_data(loss)
    a = path(X, y, sample_weight=np.full(len(y), value), loss=loss)
    b = path(X, y, loss=loss)
    for pa, pb in zip(a, b):
        np.testing.assert_allclose(pa, pb, rtol=1e-10, atol=1e-12)


def test_path_separable_alpha_zero_warns_and_is_finite():
    X, y = _separable()
    with pytest.warns(ConvergenceWarning, match="separable"):
        _, coefs, intercepts, _ = path(X, y, alphas=[1e-2, 0.0])
    assert np.all(np.isfinite(coefs)) and np.all(np.isfinite(intercepts))


# ---------------------------------------------------------------------------
# 6. The regression estimators through the same cases (squared loss: any real
#    y is a valid target, 2-D y is multi-output; no classes, no probabilities).
# ---------------------------------------------------------------------------

RLR, RLRCV = skreg.RegularizedLinearRegression, skreg.RegularizedLinearRegressionCV
REG_SPECS = [
    Spec("linreg-l2", lambda: RLR(penalty="l2", alpha=1e-2, tol=1e-10, max_iter=1000),
         ["float32", "weights", "convex"], kind="regressor"),
    Spec("linreg-l1", lambda: RLR(penalty="l1", alpha=1e-2, tol=1e-10, max_iter=1000),
         ["float32", "weights", "convex"], kind="regressor"),
    Spec("linreg-enet", lambda: RLR(penalty="elasticnet", alpha=1e-2, l1_ratio=0.5, tol=1e-10,
                                    max_iter=1000), ["float32", "weights", "convex"],
         kind="regressor"),
    Spec("linreg-l0", lambda: RLR(penalty="l0", alpha=1e-2, l1_ratio=0.5, tol=1e-10,
                                  max_iter=1000), ["weights"], kind="regressor"),
    Spec("linreg-none", lambda: RLR(penalty=None, tol=1e-10, max_iter=1000),
         ["float32", "weights", "convex"], kind="regressor"),
    # Zero-weight rows still take their place in the folds: not "weights".
    Spec("linreg-cv", lambda: RLRCV(penalty="l1", n_alphas=4, cv=2, tol=1e-10, max_iter=1000),
         [], kind="regressor"),
]
every_regressor = pytest.mark.parametrize("spec", REG_SPECS, ids=repr)


def reg_data():
    X, _ = data()
    y = X @ np.array([1.5, -2.0, 0.0, 0.7]) + 0.3 * np.random.RandomState(0).randn(len(X)) + 1.0
    return X, y


def reg_fitted(est):
    return [np.asarray(est.coef_, float), np.asarray(est.intercept_, float)]


def assert_finite_regressor(est, X):
    for a in reg_fitted(est):
        assert np.all(np.isfinite(a)), "non-finite fitted parameters"
    assert np.all(np.isfinite(est.predict(X)))


def assert_same_regressor(a, b, X, atol=1e-9, rtol=1e-7):
    for pa, pb in zip(reg_fitted(a), reg_fitted(b)):
        np.testing.assert_allclose(pa, pb, rtol=rtol, atol=atol)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=rtol, atol=atol)


def _check_regressor_rejected_and_state_kept(spec, fit_bad, match):
    fresh = spec.make()
    with pytest.raises((ValueError, TypeError), match=match):
        fit_bad(fresh)
    with pytest.raises(NotFittedError):
        check_is_fitted(fresh)
    X, y = reg_data()
    est = spec.make().fit(X, y)
    before, pred = state(est), est.predict(X)
    with pytest.raises((ValueError, TypeError), match=match):
        fit_bad(est)
    assert_same_state(before, state(est))
    np.testing.assert_array_equal(est.predict(X), pred)


_NOT_FOR_REGRESSION = {"one-sample", "one-class", "2d-y", "continuous-y",
                       "non-integer-float-labels", "multilabel-y"}
REG_BAD_DATA = [c for c in BAD_DATA if c[0] not in _NOT_FOR_REGRESSION] + [
    ("string-y", lambda X, y: (X, np.array([f"v{v:.2f}" for v in y]), {}),
     "string|convert|numeric"),
    ("complex-y", lambda X, y: (X, y + 1j, {}), "Complex"),
    ("3d-y", lambda X, y: (X, y[:, None, None], {}), "dim|shape|2D|1D"),
]


@every_regressor
@pytest.mark.parametrize("case", REG_BAD_DATA, ids=[c[0] for c in REG_BAD_DATA])
def test_regressor_bad_data_is_rejected_and_leaves_the_model_intact(spec, case):
    _, make, match = case
    X, y = reg_data()
    # Different feature count too: a failed fit must not re-set n_features_in_.
    Xb, yb, kwargs = make(np.c_[X, X[:, :2]], y)
    _check_regressor_rejected_and_state_kept(spec, lambda est: est.fit(Xb, yb, **kwargs), match)


@every_regressor
@pytest.mark.parametrize("case", BAD_PARAMS, ids=[c[0] for c in BAD_PARAMS])
def test_regressor_bad_parameter_is_rejected_and_leaves_the_model_intact(spec, case):
    _, params, match = case
    params = _params_for(spec, params)
    if not params:
        pytest.skip("parameter not used by this estimator")
    X, y = reg_data()
    _check_regressor_rejected_and_state_kept(
        spec, lambda est: est.set_params(**params).fit(X, y), match)


@every_regressor
@pytest.mark.parametrize(
    "make, match",
    [
        (lambda X: X[:, :3], "features"),
        (lambda X: sp.csr_matrix(X[:, :3]), "features"),
        (lambda X: _set(X, (0, 0), np.nan), "NaN"),
        (lambda X: _set(X, (0, 0), np.inf), "infinity"),
        (lambda X: X.astype(str), "string"),
        (lambda X: X + 1j, "Complex"),
        (lambda X: X[:0], "0 sample"),
    ],
    ids=["fewer-features", "sparse-fewer-features", "nan", "inf", "string", "complex", "empty"],
)
def test_regressor_bad_data_at_predict_time(spec, make, match):
    X, y = reg_data()
    est = spec.make().fit(X, y)
    before = state(est)
    with pytest.raises((ValueError, TypeError), match=match):
        est.predict(make(X))
    assert_same_state(before, state(est))


@every_regressor
def test_regressor_dataframe_feature_names_and_unfitted_predict(spec):
    pd = pytest.importorskip("pandas")
    X, y = reg_data()
    with pytest.raises(NotFittedError):
        spec.make().predict(X)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    est = spec.make().fit(df, y)
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c", "d"])
    np.testing.assert_allclose(est.predict(df), spec.make().fit(X, y).predict(X), atol=1e-12)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df.rename(columns={"a": "z"}))


@every_regressor
@pytest.mark.parametrize("case", SAME_VALUES, ids=[c[0] for c in SAME_VALUES])
def test_regressor_same_values_in_another_layout_give_the_same_model(spec, case):
    _, make, clean = case
    X, y = reg_data()
    ref_X = X if clean is None else clean(X)
    a = spec.make().fit(make(X), y)
    b = spec.make().fit(ref_X, y)
    assert_same_regressor(a, b, ref_X, atol=1e-8, rtol=1e-6)
    assert_finite_regressor(a, ref_X)


@every_regressor
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_regressor_read_only_memmap(spec, order, dtype, tmp_path):
    X, y = reg_data()
    X = X.astype(dtype)
    a = spec.make().fit(_memmap(X, tmp_path, order), y)
    b = spec.make().fit(X.copy(), y)
    assert_same_regressor(a, b, X)


@every_regressor
def test_regressor_float32_is_close_to_float64(spec):
    if "float32" not in spec.exact:
        pytest.skip("L0's keep/drop test and the CV choice may flip on float32 rounding")
    X, y = reg_data()
    a = spec.make().fit(X.astype(np.float32), y)
    b = spec.make().fit(X, y)
    assert_finite_regressor(a, X)
    np.testing.assert_allclose(a.predict(X), b.predict(X), atol=1e-4 * np.abs(y).max())


@every_regressor
@pytest.mark.parametrize("value", [1e308, 1e-320, 7], ids=["huge-1e308", "subnormal-1e-320",
                                                            "int"])
def test_regressor_constant_sample_weight_equals_unweighted(spec, value):
    X, y = reg_data()
    a = spec.make().fit(X, y, sample_weight=np.full(len(y), value))
    b = spec.make().fit(X, y)
    assert_same_regressor(a, b, X, atol=1e-10)


@every_regressor
def test_regressor_zero_weight_equals_removing_the_rows(spec):
    if "weights" not in spec.exact:
        pytest.skip("zero-weight rows still take their place in the CV folds")
    X, y = reg_data()
    sw = np.ones(len(y))
    sw[:6] = 0.0
    a = spec.make().fit(X, y, sample_weight=sw)
    b = spec.make().fit(X[6:], y[6:])
    assert_same_regressor(a, b, X, atol=1e-7, rtol=1e-6)


@every_regressor
@pytest.mark.parametrize("value", [0.0, 3.0], ids=["zero-column", "constant-column"])
def test_regressor_constant_column(spec, value):
    X, y = reg_data()
    Xc = np.c_[X[:, :2], np.full(len(y), value), X[:, 2:]]
    est = spec.make().fit(Xc, y)
    assert_finite_regressor(est, Xc)
    if "convex" not in spec.exact:
        return
    # With an unpenalized intercept the optimum puts no weight on a constant column.
    # (Unpenalized least squares: the column is collinear with the intercept, any split
    # of the mean between them is optimal; the predictions are unique.)
    ref = spec.make().fit(X, y)
    np.testing.assert_allclose(est.predict(Xc), ref.predict(X), atol=1e-7)
    if est.penalty is not None:
        np.testing.assert_allclose(est.coef_[2], 0.0, atol=1e-8)
        np.testing.assert_allclose(est.coef_[[0, 1, 3, 4]], ref.coef_, atol=1e-7)


@every_regressor
def test_regressor_duplicated_column(spec):
    X, y = reg_data()
    Xd = np.c_[X, X[:, 1]]
    # Coordinate descent moves the split between the copies by a factor of about
    # 1 - alpha * (1 - l1_ratio) per epoch: give it the epochs.
    est = spec.make().set_params(max_iter=100000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(Xd, y)
    assert_finite_regressor(est, Xd)
    if spec.name == "linreg-cv":
        return
    penalty = est.penalty
    if penalty in ("l1", None):
        # The predictions are unique (the loss is strictly convex in Xw); only the split
        # of the weight between the copies is not.
        ref = spec.make().set_params(max_iter=100000).fit(X, y)
        np.testing.assert_allclose(est.predict(Xd), ref.predict(X), atol=1e-6)
        np.testing.assert_allclose(est.coef_[1] + est.coef_[4], ref.coef_[1], atol=1e-6)
    elif penalty == "l2":
        # Ridge splits evenly: equivalent to one copy scaled by sqrt(2).
        Xs = X.copy()
        Xs[:, 1] *= np.sqrt(2.0)
        ref = spec.make().set_params(max_iter=100000).fit(Xs, y)
        np.testing.assert_allclose(est.coef_[1], est.coef_[4], atol=1e-7)
        np.testing.assert_allclose(est.coef_[1] * np.sqrt(2.0), ref.coef_[1], atol=1e-6)
    elif penalty == "elasticnet":
        # The ridge part makes the split unique and even.
        np.testing.assert_allclose(est.coef_[1], est.coef_[4], atol=1e-6)


@every_regressor
def test_regressor_huge_values(spec):
    """|X| ~ 1e300: squares overflow. Either a clear error naming extreme values, or the
    exact answer (the predictions of an unpenalized or tiny-alpha fit do not depend on the
    scale of X): never NaN coefficients or a silently wrong model."""
    X, y = reg_data()
    try:
        est = spec.make().fit(X * 1e300, y)
    except ValueError as exc:
        assert "extreme values" in str(exc)
        return
    assert_finite_regressor(est, X * 1e300)


@every_regressor
def test_regressor_tiny_values_give_the_mean(spec):
    X, y = reg_data()
    Xt = X * 1e-300
    est = spec.make()
    if getattr(est, "penalty", "l1") is None:
        pytest.skip("unpenalized: the exact coefficients (~1e300) are the overflow case")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(Xt, y)
    assert_finite_regressor(est, Xt)
    # alpha_max ~ 1e-300 << alpha: W = 0 (to ~1e-298 for ridge), b = mean(y).
    assert np.abs(est.coef_).max() < 1e-290
    np.testing.assert_allclose(est.predict(Xt), y.mean(), rtol=1e-10)


@every_regressor
def test_regressor_huge_alpha_gives_the_mean(spec):
    X, y = reg_data()
    params = _params_for(spec, {"alpha": 1e300})
    est = spec.make().set_params(**params).fit(X, y)
    assert_finite_regressor(est, X)
    if getattr(est, "penalty", "l1") is not None:
        assert np.abs(est.coef_).max() < 1e-290
        np.testing.assert_allclose(est.predict(X), y.mean(), rtol=1e-10)


@every_regressor
def test_regressor_max_iter_1_warns_and_tol_0_terminates(spec):
    X, y = reg_data()
    Xn = X + 0.3 * np.random.RandomState(1).randn(*X.shape) @ np.ones((4, 4))  # correlated
    # Without an L1 part the squared loss is solved by one exact Newton step,
    # which meets tol=1e-15 up to round-off; tol=0 no floating-point step meets.
    smooth = getattr(spec.make(), "penalty", "l1") in (None, "l2")
    tol = 0.0 if smooth else 1e-15
    with pytest.warns(ConvergenceWarning,
                      match="after max_iter=1 " + ("Newton steps" if smooth else "")):
        est = spec.make().set_params(max_iter=1, tol=tol).fit(Xn, y)
    assert_finite_regressor(est, Xn)
    est = spec.make().set_params(tol=0.0, max_iter=20).fit(X, y)
    assert_finite_regressor(est, X)


@every_regressor
def test_regressor_two_samples(spec):
    """Two samples (for the CV estimator: two folds of one training sample each)."""
    X, y = reg_data()
    Xs, ys = X[[0, 1]], y[[0, 1]]
    est = spec.make().fit(Xs, ys)
    assert_finite_regressor(est, Xs)
    if getattr(est, "penalty", "l1") in (None, "l2"):
        # Interpolation (None) or close to it: the training residuals are small.
        assert np.abs(est.predict(Xs) - ys).max() < 0.5 * np.abs(ys - ys.mean()).max() + 1e-12


def sq_path(X, y, **kwargs):
    return path(X, y, loss="squared_error", **kwargs)


SQ_PATH_BAD = [c for c in PATH_BAD if c[0] not in {
    "weight-on-one-class", "one-class", "2d-y", "continuous-y"}] + [
    ("string-y", lambda X, y: (X, np.array([f"v{v:.2f}" for v in y]), {}),
     "string|convert|numeric"),
]


@pytest.mark.parametrize("case", SQ_PATH_BAD, ids=[c[0] for c in SQ_PATH_BAD])
def test_squared_path_rejects_bad_input(case):
    _, make, match = case
    if case[0] == "huge-1e300":
        pytest.skip("covered by test_regressor_huge_values (an error or an exact fit)")
    X, y = reg_data()
    Xb, yb, kwargs = make(X, y)
    with pytest.raises((ValueError, TypeError), match=match):
        sq_path(Xb, yb, **kwargs)
