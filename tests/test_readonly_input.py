"""Read-only input (memory maps, pandas' copy-on-write arrays) reuses the kernels of writeable input.

numba compiles a separate signature for a read-only array, so without care every
kernel a memory-mapped X reaches would be compiled twice (seconds of cold start).
The estimators hand the kernels writeable-typed views of the same memory instead.
Checked by counting compiled signatures in a fresh process (never by timing), by
comparing the fits, and by the memory a fit allocates (no copy of X).
"""

import json
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from test_linear_model import _fit_peak_memory

from skreg import (
    ElasticNetMLPClassifier,
    ElasticNetMLPRegressor,
    RegularizedLinearRegression,
    RegularizedLogisticRegression,
)

# The child fits each model on writeable data, then on read-only memory maps of the same
# data (X in the layout the model reads without a copy, y too), and reports the number of
# numba signatures skreg's dispatchers hold before and after the read-only fit.
CHILD = r"""
import json, os, sys, warnings
import numpy as np
import scipy.sparse as sp
import skreg

warnings.simplefilter("ignore")
tmp = sys.argv[1]


def n_signatures():
    seen, total = set(), 0
    for name, mod in list(sys.modules.items()):
        if name == "skreg" or name.startswith("skreg."):
            for fn in list(vars(mod).values()):
                if hasattr(fn, "py_func") and hasattr(fn, "signatures") and id(fn) not in seen:
                    seen.add(id(fn))
                    total += len(fn.signatures)
    return total


def read_only(name, a):
    path = os.path.join(tmp, name + ".npy")
    np.save(path, a)
    out = np.load(path, mmap_mode="r")
    assert not out.flags.writeable
    return out


def read_only_sparse(name, A):
    A = A.copy()
    A.data, A.indices, A.indptr = (read_only(name + part, getattr(A, part))
                                   for part in ("data", "indices", "indptr"))
    return A


rng = np.random.default_rng(0)
X = np.asfortranarray(rng.standard_normal((300, 8)))
y_bin = (X[:, 0] + 0.5 * rng.standard_normal(300) > 0).astype(np.int64)
y_multi = np.digitize(X[:, 1] + 0.5 * rng.standard_normal(300), [-0.5, 0.5])
y_real = X @ np.arange(8.0) + rng.standard_normal(300)
X_c = np.ascontiguousarray(X)
mlp = dict(hidden_layer_sizes=(6,), max_iter=3, tol=0.0, random_state=0)
cases = {
    "logistic l1": (skreg.RegularizedLogisticRegression("l1", alpha=0.01), X, y_bin),
    "logistic l2": (skreg.RegularizedLogisticRegression("l2", alpha=0.01), X, y_bin),
    "multinomial l1": (skreg.RegularizedLogisticRegression("l1", alpha=0.01), X, y_multi),
    "logistic l0": (skreg.RegularizedLogisticRegression("l0", alpha=0.01, l1_ratio=0.5),
                    X, y_bin),
    "regression l1": (skreg.RegularizedLinearRegression("l1", alpha=0.01), X, y_real),
    "regression l0": (skreg.RegularizedLinearRegression("l0", alpha=0.01, l1_ratio=0.5),
                      X, y_real),
    "logistic l1 csc": (skreg.RegularizedLogisticRegression("l1", alpha=0.01),
                        sp.csc_matrix(X * (np.abs(X) > 0.5)), y_bin),
    "mlp classifier": (skreg.ElasticNetMLPClassifier(**mlp), X_c, y_multi),
    "mlp regressor": (skreg.ElasticNetMLPRegressor(**mlp), X_c, y_real),
    "mlp classifier csr": (skreg.ElasticNetMLPClassifier(**mlp),
                           sp.csr_matrix(X_c * (np.abs(X_c) > 0.5)), y_multi),
}
try:
    import pandas as pd
except ImportError:
    pd = None
if pd is not None:  # under copy-on-write (pandas >= 3) a frame's values are read-only
    cases["logistic l1 pandas"] = cases["logistic l1"]


def params(est):
    arrays = (est.coefs_ + est.intercepts_ if hasattr(est, "coefs_")
              else [est.coef_, est.intercept_])
    return [np.array(a, dtype=np.float64) for a in arrays]


out = {}
for i, (name, (est, Xw, y)) in enumerate(cases.items()):
    if name.endswith("pandas"):
        Xr, yr = pd.DataFrame(Xw), pd.Series(y)
    elif sp.issparse(Xw):
        Xr, yr = read_only_sparse(f"X{i}", Xw), read_only(f"y{i}", y)
    else:
        Xr, yr = read_only(f"X{i}", Xw), read_only(f"y{i}", y)
    ref = params(est.fit(Xw, y))
    ref_pred = est.predict(Xw)
    before = n_signatures()
    est.fit(Xr, yr)
    pred = est.predict(Xr)
    after = n_signatures()
    same = all(np.array_equal(a, b) for a, b in zip(ref, params(est)))
    out[name] = dict(before=before, after=after, same=same,
                     pred_equal=bool(np.array_equal(pred, ref_pred)))
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def child_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("readonly")
    proc = subprocess.run([sys.executable, "-c", CHILD, str(tmp)], capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


CASES = ["logistic l1", "logistic l2", "multinomial l1", "logistic l0", "regression l1",
         "regression l0", "logistic l1 csc", "mlp classifier", "mlp regressor",
         "mlp classifier csr", "logistic l1 pandas"]


@pytest.mark.parametrize("case", CASES)
def test_read_only_input_compiles_no_new_signature(child_report, case):
    if case not in child_report:
        pytest.skip("pandas is not installed")
    report = child_report[case]
    assert report["before"] > 0  # the writeable fit did reach numba kernels
    assert report["after"] == report["before"]


@pytest.mark.parametrize("case", CASES)
def test_read_only_input_gives_the_same_fit(child_report, case):
    if case not in child_report:
        pytest.skip("pandas is not installed")
    assert child_report[case]["same"]
    assert child_report[case]["pred_equal"]


@pytest.mark.parametrize("make, order, target", [
    (lambda: RegularizedLogisticRegression("l1", alpha=0.01), "F", "classes"),
    (lambda: RegularizedLinearRegression("l2", alpha=0.01), "F", "real"),
    (lambda: ElasticNetMLPClassifier((4,), max_iter=1, tol=0.0, random_state=0), "C", "classes"),
    (lambda: ElasticNetMLPRegressor((4,), max_iter=1, tol=0.0, random_state=0), "C", "real"),
])
def test_read_only_memory_map_is_not_copied(tmp_path, make, order, target):
    rng = np.random.RandomState(0)
    X = np.asarray(rng.randn(20000, 50), order=order)
    y = X[:, 0] + rng.randn(20000)
    y = (y > 0).astype(int) if target == "classes" else y
    np.save(tmp_path / "X.npy", X)
    X_ro = np.load(tmp_path / "X.npy", mmap_mode="r")
    assert not X_ro.flags.writeable
    # A copy of X (to make it writeable, or to reorder it) would allocate X.nbytes.
    assert _fit_peak_memory(make(), X_ro, y) < 0.5 * X.nbytes
    assert np.array_equal(X_ro, X)  # and nothing wrote into the mapped memory
