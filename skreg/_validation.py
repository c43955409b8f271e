"""Input validation and conversion shared by every estimator in skreg.

Ground floor: imports nothing from skreg. The estimators call
:func:`sklearn.utils.validation.validate_data` for the scikit-learn checks
(finite values, shapes, dtypes, ``n_features_in_``) and then the helpers here
turn the validated data into the exact layout the numba kernels read:

* dense: Fortran-ordered float64 or float32, passed to kernels as a flat
  column-major view (no copy when it already is Fortran-ordered);
* sparse: CSC (coordinate descent) or CSR (mini-batches) with sorted int32
  indices and no duplicate entries, never densified;
* read-only arrays (memory maps, pandas' copy-on-write arrays) are passed as
  writeable-typed views of the same memory (:func:`kernel_view`): numba
  compiles a separate signature for a read-only array, and no kernel writes
  its input.
"""

import functools
import itertools
import threading
from collections import namedtuple
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import _check_sample_weight
from threadpoolctl import ThreadpoolController

#: Floating dtypes the kernels are compiled for; anything else is cast to float64.
FLOAT_DTYPES = (np.float64, np.float32)

#: What the coordinate-descent kernels read. Dense X lives in ``X_flat``
#: (column j is ``X_flat[j * n_samples:(j + 1) * n_samples]``) and the three
#: sparse arrays are empty; sparse X lives in CSC ``data/indices/indptr`` and
#: ``X_flat`` is empty. One kernel signature serves both layouts.
Design = namedtuple(
    "Design", ["X_flat", "data", "indices", "indptr", "is_sparse", "n_samples", "n_features"]
)


class _WriteableAlias:
    """Exposes the memory of a read-only array as writeable, and keeps the array alive."""

    def __init__(self, array):
        self._array = array  # the view's ``base`` chain ends here: the memory stays mapped
        interface = dict(array.__array_interface__)
        interface["data"] = (interface["data"][0], False)  # (address, read-only flag)
        self.__array_interface__ = interface


def kernel_view(array):
    """``array`` itself, or for a read-only ndarray a writeable-flagged view of its memory.

    numba types a read-only array apart from a writeable one, so every
    kernel a read-only input (a ``np.memmap`` opened with ``mode="r"``, an
    array pandas hands out under copy-on-write, ``np.load(mmap_mode="r")``)
    reaches would be compiled a second time. The kernels never write their
    input arrays, so they get a view typed as writeable instead: no copy,
    no second compilation. The view is for the kernels only; it must never
    be written to or handed back to the user.
    """
    if array.flags.writeable:
        return array
    return np.asarray(_WriteableAlias(array))


def resolve_penalty(penalty, alpha, l1_ratio):
    """Map ``penalty``/``alpha``/``l1_ratio`` to the elastic-net pair the kernels use.

    Returns
    -------
    alpha_eff : float
        ``0`` when ``penalty is None``.
    l1_ratio_eff : float
        ``1`` for "l1" (and "l0", whose kernel reads ``l1_ratio`` as its
        ridge share), ``0`` for "l2", ``l1_ratio`` for "elasticnet".
    """
    if penalty is None or alpha == 0.0:
        return 0.0, 1.0
    if penalty == "l1":
        return float(alpha), 1.0
    if penalty == "l2":
        return float(alpha), 0.0
    if penalty == "elasticnet":
        return float(alpha), float(l1_ratio)
    if penalty == "l0":
        return float(alpha), float(l1_ratio)
    raise ValueError(f"Unknown penalty {penalty!r}.")


def _sorted_int32_sparse(X, fmt):
    """Return ``X`` in format ``fmt`` with sorted, summed, int32 indices (copy only if needed)."""
    X = X.asformat(fmt)
    if X.nnz >= np.iinfo(np.int32).max:
        raise ValueError(
            f"Sparse input with {X.nnz} stored entries is too large: at most 2**31 - 1 are supported."
        )
    if X.indices.dtype != np.int32 or X.indptr.dtype != np.int32:
        X = X.copy()
        X.indices = X.indices.astype(np.int32)
        X.indptr = X.indptr.astype(np.int32)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()  # also sorts the indices
    if X.dtype not in FLOAT_DTYPES:
        X = X.astype(np.float64)
    return X


def as_csc(X):
    """Sparse ``X`` as CSC with sorted int32 indices and no duplicates."""
    return _sorted_int32_sparse(X, "csc")


def as_csr(X):
    """Sparse ``X`` as CSR with sorted int32 indices and no duplicates."""
    return _sorted_int32_sparse(X, "csr")


#: Float32 X whose float64 copy takes at most this many bytes is read as
#: float64: the copy costs less than compiling the kernels' float32 signatures
#: (seconds of cold start), and the fit is the same (every float32 value is
#: exact in float64; the kernels accumulate in float64 either way). Larger
#: float32 X is read as it is, without a copy.
SMALL_FLOAT32_BYTES = 1 << 20


def to_design(X):
    """Wrap validated dense or sparse ``X`` into a :data:`Design` for the CD kernels.

    Dense input that is already Fortran-ordered float32/float64 is used
    without any copy (also when it is read-only, see :func:`kernel_view`);
    C-ordered input is copied once to Fortran order (the kernels read
    columns). Small float32 input is read as float64
    (:data:`SMALL_FLOAT32_BYTES`).
    """
    n_samples, n_features = X.shape
    if sp.issparse(X):
        X = as_csc(X)
        data = X.data
        if data.dtype == np.float32 and 2 * data.nbytes <= SMALL_FLOAT32_BYTES:
            data = data.astype(np.float64)
        empty = np.empty(0, dtype=data.dtype)
        data, indices, indptr = (kernel_view(a) for a in (data, X.indices, X.indptr))
        return Design(empty, data, indices, indptr, True, n_samples, n_features)
    if X.dtype not in FLOAT_DTYPES or (X.dtype == np.float32
                                       and 2 * X.nbytes <= SMALL_FLOAT32_BYTES):
        X = X.astype(np.float64)
    X = np.asfortranarray(X)
    flat = kernel_view(X).ravel(order="F")  # a view for Fortran-ordered X
    empty_idx = np.empty(0, dtype=np.int32)
    return Design(flat, np.empty(0, dtype=X.dtype), empty_idx, empty_idx, False, n_samples, n_features)


def normalized_sample_weight(sample_weight, X, class_weight_per_sample=None, y_index=None):
    """Validated sample weights, multiplied by class weights, normalized to sum to one.

    The objective is the weighted *mean* loss ``sum_i s_i loss_i / sum_i s_i``, so the kernels work
    with ``s_i / sum(s)``.

    Parameters
    ----------
    y_index : ndarray of int, default=None
        Class index of every sample. When given, at least two classes must
        carry positive weight: with all the weight on one class the logistic
        loss has no finite minimiser (its intercept runs to infinity).

    Raises
    ------
    ValueError
        If a weight or class weight is negative or non-finite, if all weights
        are zero, or (with ``y_index``) if fewer than two classes have weight.
    """
    n_samples = X.shape[0]
    if sample_weight is None and class_weight_per_sample is None and n_samples > 0:
        # Equal weights: nothing to validate, and every class present has weight.
        if y_index is not None and not np.any(y_index != y_index[0]):
            raise ValueError(_ONE_CLASS_MESSAGE)
        return np.full(n_samples, 1.0 / n_samples)
    sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    if class_weight_per_sample is not None:
        cw = np.asarray(class_weight_per_sample, dtype=np.float64)
        if not np.all(np.isfinite(cw)) or np.any(cw < 0.0):
            raise ValueError(
                "class_weight must give every class a finite weight >= 0; got "
                f"{np.unique(cw)!r} for the classes present."
            )
        sw = sw * cw
    with np.errstate(over="ignore"):
        total = sw.sum()
    if not np.isfinite(total) or total < np.finfo(np.float64).tiny:
        # Finite weights whose sum overflows (e.g. 1e308 each) or is subnormal
        # (e.g. 1e-320 each): only their ratios matter, so bring the largest
        # to one first. Other weights take the plain path, bit for bit.
        top = sw.max(initial=0.0)
        if np.isfinite(top) and top > 0.0:
            sw = sw / top
            total = sw.sum()
    if not np.isfinite(total) or total <= 0.0:
        raise ValueError(
            "The sample weights (times the class weights) sum to zero or to a non-finite "
            "value; at least one sample needs a positive finite weight."
        )
    if y_index is not None and np.unique(y_index[sw > 0.0]).shape[0] < 2:
        raise ValueError(_ONE_CLASS_MESSAGE)
    return np.ascontiguousarray(sw / total)


_ONE_CLASS_MESSAGE = (
    "Only one class has samples of positive weight (sample_weight times class_weight); "
    "at least 2 classes need some weight."
)


def check_scalar_finite(value, name):
    """Raise a ValueError naming ``name`` if ``value`` is not a finite real number."""
    if not isinstance(value, Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}.")


def check_numeric_input(X, name="X"):
    """Reject string or bytes arrays before they are converted to floats.

    scikit-learn's ``validate_data`` with an explicit float dtype would parse
    ``np.array([["1.5", "2"]])`` into numbers, while the estimators' predict
    (``dtype="numeric"``) rejects it: refuse strings everywhere, like
    scikit-learn's numeric estimators do.
    """
    if sp.issparse(X):
        return
    dtype = getattr(X, "dtype", None)
    if dtype is None and isinstance(X, (list, tuple)):
        try:
            dtype = np.asarray(X).dtype
        except (ValueError, TypeError):  # ragged: check_array reports it
            return
    if isinstance(dtype, np.dtype) and dtype.kind in "USV":
        raise ValueError(
            f"{name} holds strings or bytes (dtype {dtype}); convert it to numbers "
            "explicitly (e.g. with a OneHotEncoder for categories)."
        )


def check_path_arguments(X, *, l1_ratio, n_alphas, eps, tol, max_iter):
    """Validate :func:`skreg.regularization_path`'s scalar arguments and reject string X."""
    check_numeric_input(X)
    check_scalar_finite(l1_ratio, "l1_ratio")
    if isinstance(n_alphas, bool) or not isinstance(n_alphas, Integral) or n_alphas < 1:
        raise ValueError(f"n_alphas must be an integer >= 1, got {n_alphas!r}.")
    check_scalar_finite(eps, "eps")
    if not 0.0 < eps <= 1.0:
        raise ValueError(f"eps (alpha_min / alpha_max) must be in (0, 1], got {eps!r}.")
    check_scalar_finite(tol, "tol")
    if tol < 0.0:
        raise ValueError(f"tol must be >= 0, got {tol!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}.")


def keep_fitted_state_on_error(fit):
    """Decorate a ``fit``/``partial_fit`` so that a failure leaves the estimator as it was.

    ``validate_data(reset=True)`` sets ``n_features_in_`` and
    ``feature_names_in_`` before the fit can still fail (one class, bad
    weights, a non-finite solution), which would leave an earlier fitted
    model unable to predict. The estimators replace (never mutate in place)
    their fitted attributes, so a shallow copy of ``__dict__`` restores them.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        saved = dict(self.__dict__)
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    return wrapper


_BLAS_LOCK = threading.Lock()
#: ``fits`` maps a token per running fit to its ``single_thread`` wish; ``saved``
#: holds ``(library, original thread count)`` while BLAS is limited.
_BLAS_STATE = {"fits": {}, "saved": None, "controller": None}


def _update_blas_limit():
    """Limit BLAS to one thread exactly while the running fits want it.

    Idempotent, and the original counts are recorded before any is changed
    and forgotten only after all are restored, so an update cut short (by a
    Ctrl-C) is completed by simply running it again.
    """
    fits = _BLAS_STATE["fits"]
    want = len(fits) >= 2 or any(fits.values())
    if want and _BLAS_STATE["saved"] is None:
        if _BLAS_STATE["controller"] is None:  # one scan of the loaded libraries (~4 ms)
            _BLAS_STATE["controller"] = ThreadpoolController()
        libraries = _BLAS_STATE["controller"].select(user_api="blas").lib_controllers
        _BLAS_STATE["saved"] = [(lib, lib.num_threads) for lib in libraries]
        for lib, _ in _BLAS_STATE["saved"]:
            lib.set_num_threads(1)
    elif not want and _BLAS_STATE["saved"] is not None:
        for lib, num_threads in _BLAS_STATE["saved"]:
            lib.set_num_threads(num_threads)
        _BLAS_STATE["saved"] = None


def _blas_bookkeeping(change):
    """Apply ``change`` to the running fits and update the limit, even across a Ctrl-C.

    A KeyboardInterrupt can arrive in the main thread at any bytecode, also
    while this runs (or waits for the lock): both steps are idempotent, so
    they are redone until they complete, and the interrupt is raised after.
    """
    interrupt = None
    while True:
        try:
            with _BLAS_LOCK:
                change(_BLAS_STATE["fits"])
                _update_blas_limit()
            break
        except KeyboardInterrupt as exc:
            interrupt = exc
    if interrupt is not None:
        raise interrupt


@contextmanager
def fit_blas_threads(single_thread=False):
    """BLAS threads during one fit, arbitrated between every fit of the process.

    BLAS is limited to one thread while two or more fits run at once (the
    threads of ``GridSearchCV(n_jobs=2)`` under joblib's threading backend,
    the CV estimator's fold paths), or while a fit asks for it with
    ``single_thread`` (the MLP's small mini-batch products). Otherwise two
    fits times the machine's BLAS threads oversubscribe the cores, and
    OpenBLAS serialises concurrent callers: measured on 2 cores, a threaded
    search ran at 0.90x the sequential one instead of 1.73x. The limit is
    lifted as soon as a fit runs alone again, also when fits end by an
    exception or a KeyboardInterrupt. ``threadpool_limits`` sets a
    process-wide value and restores the one it saw on entry, so overlapping
    uses of it would leave BLAS wrong: one shared record serves all fits.
    """
    token = object()
    try:
        _blas_bookkeeping(lambda fits: fits.__setitem__(token, bool(single_thread)))
        yield
    finally:
        _blas_bookkeeping(lambda fits: fits.pop(token, None))


def fit_thread_budget():
    """Threads a fit starting now may use: the BLAS pool's size, or 1 beside other fits.

    Read before :func:`fit_blas_threads` registers the fit. While another fit
    runs (a threaded search, the CV estimator's fold paths) the answer is 1,
    as BLAS's limit then is; a user's ``threadpool_limits(1)`` makes it 1 too.
    """
    with _BLAS_LOCK:
        if _BLAS_STATE["fits"]:
            return 1
        if _BLAS_STATE["controller"] is None:  # one scan of the loaded libraries (~4 ms)
            _BLAS_STATE["controller"] = ThreadpoolController()
        libraries = _BLAS_STATE["controller"].select(user_api="blas").lib_controllers
        return max((lib.num_threads for lib in libraries), default=1)


def fits_running():
    """How many fits :func:`fit_blas_threads` has registered right now (no lock: a hint)."""
    return len(_BLAS_STATE["fits"])


class JobCancelled(Exception):
    """Raised inside a job of a batch that :func:`cancel_jobs_on_error` cancelled."""


_JOBS = threading.Condition()
#: Tokens of cancelled batches (one small int per failed fit, kept so that a
#: job dequeued late still sees it) and the jobs of each batch running here.
_CANCELLED = set()
_RUNNING = {}
_BATCHES = itertools.count()


@contextmanager
def cancel_jobs_on_error():
    """Yield a token for a batch of parallel jobs; on an exception, stop them first.

    joblib cannot stop a job that a thread has started: after an exception
    (a failed fold, a KeyboardInterrupt) the threads would run their current
    jobs to the end. The jobs call :func:`job_running` with the token and
    check it between steps; when the block raises, the batch is marked
    cancelled and the exception propagates once no job of the batch runs in
    this process any more (a second Ctrl-C stops the wait). Jobs in other
    processes (dask, loky) never see the mark and are left to their backend.
    """
    token = next(_BATCHES)
    try:
        yield token
    except BaseException:
        with _JOBS:
            _CANCELLED.add(token)
            _JOBS.wait_for(lambda: _RUNNING.get(token, 0) == 0)
        raise


@contextmanager
def job_running(token):
    """Count a job of batch ``token`` as running; yield ``check()``, which raises if cancelled.

    Raises
    ------
    JobCancelled
        On entry or from ``check()`` once the batch is cancelled.
    """
    def check():
        if token in _CANCELLED:
            raise JobCancelled(f"batch {token} was cancelled")

    with _JOBS:
        check()
        _RUNNING[token] = _RUNNING.get(token, 0) + 1
    try:
        yield check
    finally:
        with _JOBS:
            _RUNNING[token] -= 1
            if _RUNNING[token] == 0:
                del _RUNNING[token]
            _JOBS.notify_all()
