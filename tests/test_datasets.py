"""Tests of skreg.datasets: the bundled leukemia data set."""

import gzip
import hashlib
from importlib import resources

import numpy as np
import pytest

from skreg.datasets import load_leukemia

LEUKEMIA_SHA256 = "c1a1926e52b63f0814c7d86aa013f4b7cd17d5b222ecc53d7a86a45f377e8473"


def test_leukemia_file_is_the_published_copy():
    blob = resources.files("skreg.datasets.data").joinpath("leukemia_golub.csv.gz").read_bytes()
    assert hashlib.sha256(blob).hexdigest() == LEUKEMIA_SHA256
    assert len(blob) < 1_000_000


def test_load_leukemia_bunch():
    bunch = load_leukemia()
    assert bunch.data.shape == (72, 7129)
    assert bunch.data.dtype == np.float64
    assert bunch.data.flags.f_contiguous  # the coordinate-descent layout, no copy at fit
    assert np.all(np.isfinite(bunch.data))
    assert np.all(bunch.data == np.round(bunch.data))  # raw integer intensities
    assert bunch.target.shape == (72,)
    assert bunch.target.dtype == np.int64
    assert np.bincount(bunch.target).tolist() == [47, 25]  # 47 ALL, 25 AML
    assert list(bunch.target_names) == ["ALL", "AML"]
    assert bunch.feature_names.shape == (7129,)
    assert bunch.feature_names[0] == "AFFX-BioB-5_at"
    assert len(set(bunch.feature_names)) == 7129
    assert "Golub" in bunch.DESCR and "Science" in bunch.DESCR
    assert bunch.frame is None
    # Spot-check against the header and first row of the raw file.
    with gzip.open(resources.files("skreg.datasets.data").joinpath(
            "leukemia_golub.csv.gz").open("rb"), "rt") as f:
        header = f.readline().strip().split(",")
        first = np.array(f.readline().strip().split(","), dtype=float)
    assert header[-1] == "CLASS"
    assert list(bunch.feature_names) == header[:-1]
    np.testing.assert_array_equal(bunch.data[0], first[:-1])
    assert bunch.target[0] == first[-1]


def test_load_leukemia_return_X_y():
    X, y = load_leukemia(return_X_y=True)
    bunch = load_leukemia()
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)


def test_load_leukemia_as_frame():
    pd = pytest.importorskip("pandas")
    bunch = load_leukemia(as_frame=True)
    assert isinstance(bunch.data, pd.DataFrame)
    assert isinstance(bunch.target, pd.Series)
    assert bunch.target.name == "CLASS"
    assert bunch.frame.shape == (72, 7130)
    assert list(bunch.data.columns) == list(bunch.feature_names)
    X, y = load_leukemia(return_X_y=True, as_frame=True)
    assert X.shape == (72, 7129) and y.shape == (72,)


def test_leukemia_is_learnable_with_few_genes():
    # The data set's reason to exist: an L1 logistic regression separates ALL
    # from AML with a handful of genes (after standardization).
    from sklearn.preprocessing import StandardScaler

    from skreg import RegularizedLogisticRegression

    X, y = load_leukemia(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = RegularizedLogisticRegression(penalty="l1", alpha=0.05).fit(X, y)
    n_kept = np.count_nonzero(clf.coef_)
    assert 1 <= n_kept <= 40
    assert clf.score(X, y) >= 0.95
