"""Loaders of the data files shipped in ``skreg/datasets/data``."""

import gzip
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_leukemia"]

_DATA_MODULE = "skreg.datasets.data"
_DESCR_MODULE = "skreg.datasets.descr"
_LEUKEMIA_FILE = "leukemia_golub.csv.gz"


def _read_text(module, name):
    return resources.files(module).joinpath(name).read_text(encoding="utf-8")


def load_leukemia(*, return_X_y=False, as_frame=False):
    """Load the Golub et al. (1999) leukemia gene expression data set (classification).

    72 samples (47 acute lymphoblastic leukemia, ALL; 25 acute myeloid
    leukemia, AML) described by the raw expression intensities of 7129 genes
    (Affymetrix probe sets). Target 0 is ALL, 1 is AML. The file ships with
    skreg (about 0.9 MB, gzipped CSV): nothing is downloaded.

    =================   ==============
    Classes                          2
    Samples per class    47 ALL, 25 AML
    Samples total                   72
    Dimensionality                7129
    Features            integer intensities, about -28400 to 71369
    =================   ==============

    The features are on very different scales: standardize them (e.g.
    :class:`~sklearn.preprocessing.StandardScaler`) before fitting a penalized
    model.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame with one column per gene (named
        by its probe set id), ``target`` a Series named ``"CLASS"`` and the
        Bunch also has ``frame`` (features and target together). Needs pandas.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes

        data : ndarray of shape (72, 7129), float64, or DataFrame
            The expression intensities.
        target : ndarray of shape (72,), int64, or Series
            0 (ALL) or 1 (AML).
        feature_names : ndarray of shape (7129,), str
            Probe set identifiers.
        target_names : ndarray of shape (2,), str
            ``["ALL", "AML"]``.
        frame : DataFrame of shape (72, 7130) or None
            Only with ``as_frame=True``.
        DESCR : str
            Full description, with the reference.
        filename : str
            Name of the data file inside ``skreg.datasets.data``.

    (data, target) : tuple if ``return_X_y`` is True

    References
    ----------
    T. R. Golub et al. (1999). Molecular classification of cancer: class
    discovery and class prediction by gene expression monitoring.
    *Science* 286(5439):531-537.

    Examples
    --------
    >>> from skreg.datasets import load_leukemia
    >>> bunch = load_leukemia()
    >>> bunch.data.shape, int(bunch.target.sum()), list(bunch.target_names)
    ((72, 7129), 25, ['ALL', 'AML'])
    """
    with resources.files(_DATA_MODULE).joinpath(_LEUKEMIA_FILE).open("rb") as raw:
        with gzip.open(raw, "rt", encoding="ascii") as f:
            header = f.readline().rstrip("\n").split(",")
            values = np.loadtxt(f, delimiter=",", dtype=np.float64, ndmin=2)
    feature_names = np.asarray(header[:-1], dtype=object)
    data = np.asfortranarray(values[:, :-1])
    target = values[:, -1].astype(np.int64)
    target_names = np.asarray(["ALL", "AML"], dtype=object)
    frame = None
    if as_frame:
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "load_leukemia(as_frame=True) needs pandas: pip install pandas"
            ) from exc
        data = pd.DataFrame(data, columns=list(feature_names))
        target = pd.Series(target, name=header[-1])
        frame = pd.concat([data, target], axis=1)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        feature_names=feature_names,
        target_names=target_names,
        DESCR=_read_text(_DESCR_MODULE, "leukemia.rst"),
        filename=_LEUKEMIA_FILE,
    )
