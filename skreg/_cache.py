"""Where numba keeps skreg's compiled kernels (the on-disk cache of ``@njit(cache=True)``).

Imported by every kernel module before its first ``@njit`` decorator, so it
is in place before any decorator runs (``import skreg`` itself loads the
estimators, and with them numba, only on first use).

What numba already does (``numba/core/caching.py``, numba 0.68)
---------------------------------------------------------------
* **Where.** For every cached function the locators are tried in order and
  the first usable one wins: ``NUMBA_CACHE_DIR`` if set
  (``UserProvidedCacheLocator``); the ``__pycache__`` directory beside the
  module (``InTreeCacheLocator``); the user-wide cache directory,
  ``$XDG_CACHE_HOME/numba`` or ``~/.cache/numba`` (``UserWideCacheLocator``).
  "Usable" is decided by ``_CacheLocator.ensure_cache_path``: create the
  directory and a temporary file in it. So an installation in a read-only
  directory (a system site-packages, a read-only container image) falls back
  to the user's cache directory, under a subdirectory named after the
  package directory and a SHA-1 of its path.
* **Which CPU.** The index (``*.nbi``) maps a key to a data file (``*.nbc``);
  the key (``CacheImpl._index_key``) is ``(signature, codegen.magic_tuple(),
  bytecode hashes)`` and ``magic_tuple()`` is ``(target triple, CPU name,
  CPU feature string)`` of the process (``NUMBA_CPU_NAME`` /
  ``NUMBA_CPU_FEATURES`` when set, else the host's). Machine code compiled
  for one CPU is therefore never loaded on another: a different CPU misses,
  compiles, and adds its own entry beside the first in the same index. The
  index also stores a hash of the source file; an edited module invalidates
  its entries.

What this module adds
---------------------
A last-resort locator. When neither the package directory nor the
user-wide cache directory is writable (a read-only install run by a user
whose home is missing or read-only, e.g. ``nobody`` in a container), numba
has no locator left and raises ``RuntimeError("cannot cache function ...:
no locator available")`` *while the decorator runs*: ``import skreg`` would
fail. :class:`_TempDirCacheLocator` then uses a private per-user directory
under the system temporary directory (``tempfile.gettempdir()``, mode 0700,
used only if owned by this user and closed to others, because cache files
are unpickled on load). It only answers for skreg's own source files and
only after numba's own locators declined, so nothing changes for other
packages or where numba already found a place.

It also heals unreadable cache files. A zero-length or truncated ``.nbi`` /
``.nbc`` file (a power loss, a partial copy of a cache directory) makes
numba's load raise (``EOFError: Ran out of input`` from pickle) in every
later process, and the file is never rewritten. For skreg's kernels,
:class:`_HealingFunctionCache` catches a failed load, deletes the unreadable
file (the index, or the entry's data file), warns once per file with its
path, and lets numba compile and save the kernel again.

Not covered: the index key does not include ``NUMBA_BOUNDSCHECK``, ``NUMBA_OPT``
or fastmath settings, so a bounds-checked run must use its own
``NUMBA_CACHE_DIR`` (CI does); see ``tests/test_cache.py``.
"""

import os
import tempfile
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _temp_cache_root():
    uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return os.path.join(tempfile.gettempdir(), f"skreg-numba-cache-{uid}")


def _install():
    """Append :class:`_TempDirCacheLocator` to numba's locators (once; never raises)."""
    try:
        from numba.core import caching

        base = (caching._SourceFileBackedLocatorMixin, caching._CacheLocator)
        classes = caching.CacheImpl._locator_classes
    except (ImportError, AttributeError):  # numba internals moved: keep numba's behaviour
        return None

    class _TempDirCacheLocator(*base):
        """skreg's kernels cached in a private directory under the system temp dir."""

        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._root = _temp_cache_root()
            self._cache_path = os.path.join(self._root,
                                            self.get_suitable_cache_subpath(py_file))

        def get_cache_path(self):
            return self._cache_path

        def ensure_cache_path(self):
            os.makedirs(self._root, mode=0o700, exist_ok=True)
            if hasattr(os, "getuid"):
                st = os.stat(self._root)
                if st.st_uid != os.getuid() or st.st_mode & 0o077:
                    raise OSError(f"{self._root} is not private to this user")
            super().ensure_cache_path()

        @classmethod
        def from_function(cls, py_func, py_file):
            if os.path.dirname(os.path.abspath(py_file)) != _PACKAGE_DIR:
                return None
            return super().from_function(py_func, py_file)

    for cls in classes:
        if cls.__name__ == "_TempDirCacheLocator":  # a reloaded module: already there
            return cls
    classes.append(_TempDirCacheLocator)
    return _TempDirCacheLocator


TempDirCacheLocator = _install()


def _in_package(py_func):
    code = getattr(py_func, "__code__", None)
    filename = getattr(code, "co_filename", "")
    return os.path.dirname(os.path.abspath(filename)) == _PACKAGE_DIR


def _discard_unreadable(cache, sig, target_context, error):
    """Delete the cache file behind a failed load of ``cache`` (numba internals) and warn."""
    cache_file = cache._cache_file
    try:
        overloads = cache_file._load_index()
    except Exception:  # the index itself is unreadable: numba would fail to save into it too
        path = cache_file._index_path
    else:
        name = overloads.get(cache._index_key(sig, target_context.codegen()))
        if name is None:
            return
        path = cache_file._data_path(name)
    try:
        os.remove(path)
    except FileNotFoundError:  # another process discarded it first
        pass
    warnings.warn(
        f"skreg: the numba cache file {path} could not be read "
        f"({type(error).__name__}: {error}; truncated or corrupt?). It was deleted and "
        "the kernel is compiled again.",
        RuntimeWarning,
        stacklevel=2,
    )


def _install_healing():
    """Make numba's dispatchers create :class:`_HealingFunctionCache` (once; never raises)."""
    try:
        from numba.core import caching, dispatcher
    except ImportError:
        return None
    if getattr(dispatcher.FunctionCache, "_skreg_healing", False):  # a reloaded module
        return dispatcher.FunctionCache

    class _HealingFunctionCache(dispatcher.FunctionCache):
        """numba's function cache that, for skreg's kernels, recompiles over unreadable files.

        Other packages' functions behave exactly as with numba's own class.
        """

        _skreg_healing = True

        def load_overload(self, sig, target_context):
            try:
                return super().load_overload(sig, target_context)
            except Exception as error:
                if not _in_package(self._py_func):
                    raise
                try:
                    _discard_unreadable(self, sig, target_context, error)
                except (AttributeError, OSError):  # numba internals moved, or no access
                    raise error from None
                return None  # numba compiles, then saves a fresh entry

    if not (issubclass(_HealingFunctionCache, caching.Cache)
            and hasattr(caching, "IndexDataCacheFile")):
        return None
    dispatcher.FunctionCache = _HealingFunctionCache
    return _HealingFunctionCache


HealingFunctionCache = _install_healing()
