"""The on-disk numba cache of skreg's kernels: where it lands, and that it is keyed by CPU.

Every test runs fresh Python processes (the cache is only read or written
when a process compiles or first calls a kernel) and asserts on files and on
numba's own cache log (``NUMBA_DEBUG_CACHE=1`` prints ``[cache] data saved``
/ ``[cache] data loaded`` per kernel). Nothing is timed.

A read-only package directory must really be read-only for the child. As
root, permission bits do not stop writes (``CAP_DAC_OVERRIDE``), so the child
drops ``CAP_DAC_OVERRIDE``, ``CAP_DAC_READ_SEARCH`` and ``CAP_FOWNER`` from its
capability bounding set before ``exec`` (``prctl(PR_CAPBSET_DROP)``, what
``setpriv --bounding-set`` does); it then obeys the mode bits like any user,
and each child checks that it cannot create a file in the package directory.
"""

import ctypes
import json
import os
import pickle
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import skreg

PACKAGE = Path(skreg.__file__).resolve().parent
KERNEL = "_relu_forward"  # one kernel every default MLP fit compiles

_PR_CAPBSET_DROP = 24
_CAPS = {"CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_FOWNER": 3}

# The child: call one kernel (or, with CHILD_FIT set, fit a tiny MLP: a handful of kernels,
# all compiled cold in a fresh copy), report where numba put the cache of the kernel and
# which locator chose it, and whether the package directory is writable.
CHILD = r"""
import json, os, sys, tempfile, warnings
import numpy as np
import skreg
from skreg import _mlp_kernels as K
from numba.core.registry import cpu_target
pkg = os.path.dirname(os.path.abspath(skreg.__file__))
try:
    tempfile.TemporaryFile(dir=pkg).close()
    pkg_writable = True
except OSError:
    pkg_writable = False
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
X = rng.standard_normal((60, 4))
y = (X[:, 0] > 0).astype(int)
score = None
if os.environ.get("CHILD_FIT"):
    clf = skreg.ElasticNetMLPClassifier((3,), max_iter=50, learning_rate_init=0.05,
                                       random_state=0).fit(X, y)
    score = clf.score(X, y)
else:
    Z, A = np.array([[-1.0, 2.0]]), np.empty((1, 2))
    K.KERNEL(Z, A, np.zeros(2))
    assert A.tolist() == [[0.0, 2.0]]
other_error = None
if os.environ.get("OTHER_MODULE"):
    try:
        __import__(os.environ["OTHER_MODULE"])
    except RuntimeError as exc:
        other_error = str(exc)
fn = getattr(K, "KERNEL")
print(json.dumps(dict(
    package=pkg, pkg_writable=pkg_writable, score=score,
    locator=type(fn._cache._impl.locator).__name__, cache_path=fn._cache._cache_path,
    magic=list(map(str, cpu_target.target_context.codegen().magic_tuple())),
    other_error=other_error)))
""".replace("KERNEL", KERNEL)


def _drop_dac_capabilities():
    """preexec_fn: drop the capabilities that let root ignore permission bits (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in _CAPS.values():
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _root_can_drop_capabilities():
    """Whether a child can drop the DAC capabilities (needs CAP_SETPCAP, Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    code = "import sys; sys.exit(0)"
    try:
        subprocess.run([sys.executable, "-c", code], preexec_fn=_drop_dac_capabilities,
                       check=True, timeout=60)
    except (subprocess.SubprocessError, OSError):
        return False
    return True


def run_child(env_extra, cwd, read_only=False, drop=("NUMBA_CACHE_DIR",), child=None,
              kernel=KERNEL):
    """Run ``child`` (default :data:`CHILD`) in ``cwd``; return its JSON report and numba's
    cache log for ``kernel``.

    ``env_extra`` must set ``PYTHONPATH`` to the skreg to test (``-c`` puts ``cwd`` first).
    """
    env = {k: v for k, v in os.environ.items()
           if k not in drop and not k.startswith("NUMBA_")}
    env.update(NUMBA_DEBUG_CACHE="1", PYTHONDONTWRITEBYTECODE="1")
    env.update(env_extra)
    preexec = None
    if read_only and os.geteuid() == 0:
        preexec = _drop_dac_capabilities
    proc = subprocess.run([sys.executable, "-c", child or CHILD], env=env, capture_output=True,
                          text=True, timeout=600, preexec_fn=preexec, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    report = json.loads([line for line in lines if line.startswith("{")][-1])
    log = [line for line in lines if line.startswith("[cache]") and kernel in line]
    return report, log


def _saved(log):
    return [line for line in log if "data saved" in line]


def _loaded(log):
    return [line for line in log if "data loaded" in line]


def _cache_files(root):
    return sorted(p for p in Path(root).rglob("*") if p.suffix in (".nbi", ".nbc"))


def _read_only_copy(tmp_path):
    """A copy of the package (and one plain numba module) in a read-only directory."""
    if os.geteuid() == 0 and not _root_can_drop_capabilities():
        pytest.skip("running as root and prctl(PR_CAPBSET_DROP) is not permitted here "
                    "(no CAP_SETPCAP): a read-only directory cannot be enforced")
    site = tmp_path / "ro_site"
    shutil.copytree(PACKAGE, site / "skreg",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    (site / "plain_numba_module.py").write_text(
        "from numba import njit\n\n\n@njit(cache=True)\ndef f(x):\n    return x\n")
    for path in sorted(site.rglob("*"), reverse=True) + [site]:
        mode = 0o555 if path.is_dir() else 0o444
        path.chmod(mode)
    return site


def _make_writable(root):
    for path in [root] + list(Path(root).rglob("*")):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_read_only_package_caches_in_the_user_cache_dir(tmp_path):
    site = _read_only_copy(tmp_path)
    xdg = tmp_path / "xdg_cache"
    xdg.mkdir()
    # A whole fit from the read-only install (the other tests call one kernel only).
    env = dict(PYTHONPATH=str(site), XDG_CACHE_HOME=str(xdg), HOME=str(tmp_path),
               CHILD_FIT="1")
    try:
        first, log1 = run_child(env, tmp_path, read_only=True)
        second, log2 = run_child(env, tmp_path, read_only=True)
    finally:
        _make_writable(site)
    assert first["package"] == str(site / "skreg")  # the read-only copy was imported ...
    assert first["pkg_writable"] is False  # ... and the child really could not write there
    assert first["score"] > 0.8
    # numba's in-tree locator declined, the user-wide one took over
    assert first["locator"] == "UserWideCacheLocator"
    assert Path(first["cache_path"]).is_relative_to(xdg / "numba")
    assert _cache_files(site) == []
    files = _cache_files(xdg)
    assert any(KERNEL in p.name and p.suffix == ".nbi" for p in files)
    assert any(KERNEL in p.name and p.suffix == ".nbc" for p in files)
    # first process compiled and saved, the second one loaded from the user cache dir
    assert _saved(log1) and not _loaded(log1)
    assert _loaded(log2) and not _saved(log2)
    assert second["cache_path"] == first["cache_path"]


def test_no_writable_cache_dir_falls_back_to_a_private_temp_dir(tmp_path):
    site = _read_only_copy(tmp_path)
    closed = tmp_path / "closed"  # read-only home and XDG cache dir
    closed.mkdir()
    closed.chmod(0o555)
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    env = dict(PYTHONPATH=str(site), XDG_CACHE_HOME=str(closed / "xdg"), HOME=str(closed),
               TMPDIR=str(tmpdir), OTHER_MODULE="plain_numba_module")
    try:
        first, log1 = run_child(env, tmp_path, read_only=True)
        second, log2 = run_child(env, tmp_path, read_only=True)
    finally:
        _make_writable(site)
        closed.chmod(0o755)
    assert first["pkg_writable"] is False
    # plain numba has nowhere to cache a module in that directory and refuses to import it ...
    assert "no locator available" in first["other_error"]
    # ... skreg imports, fits, and caches in a private directory under TMPDIR
    assert first["locator"] == "_TempDirCacheLocator"
    root = tmpdir / f"skreg-numba-cache-{os.getuid()}"
    assert Path(first["cache_path"]).is_relative_to(root)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert any(KERNEL in p.name for p in _cache_files(root))
    assert _cache_files(site) == [] and not (closed / "xdg").exists()
    assert _saved(log1) and _loaded(log2) and not _saved(log2)
    assert second["cache_path"] == first["cache_path"]


def _index(cache_path):
    """Keys of the index of ``KERNEL``: ``{(signature, magic_tuple, hashes): data file}``."""
    (nbi,) = [p for p in Path(cache_path).glob("*.nbi") if KERNEL in p.name]
    with open(nbi, "rb") as f:
        pickle.load(f)  # numba version
        _stamp, overloads = pickle.loads(f.read())
    return overloads


def test_cache_is_not_shared_between_cpu_types(tmp_path):
    cache = tmp_path / "numba_cache"
    host = dict(NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(PACKAGE.parent))
    generic = dict(host, NUMBA_CPU_NAME="generic")
    r_host, log_host = run_child(host, tmp_path)
    r_gen, log_gen = run_child(generic, tmp_path)
    r_gen2, log_gen2 = run_child(generic, tmp_path)
    r_host2, log_host2 = run_child(host, tmp_path)
    assert r_host["package"] == str(PACKAGE)
    assert r_host["magic"][1] != "generic" and r_gen["magic"][1] == "generic"
    assert r_gen2["magic"] == r_gen["magic"] and r_host2["magic"] == r_host["magic"]
    # the generic-CPU process did not load the host's machine code: it compiled its own ...
    assert _saved(log_host) and not _loaded(log_host)
    assert _saved(log_gen) and not _loaded(log_gen)
    # ... and from then on each CPU type loads its own entry and compiles nothing
    assert _loaded(log_gen2) and not _saved(log_gen2)
    assert _loaded(log_host2) and not _saved(log_host2)
    # one index, one entry per (signature, CPU): same signature, different magic tuples and files
    overloads = _index(r_host["cache_path"])
    assert len(overloads) == 2
    (k1, f1), (k2, f2) = overloads.items()
    assert k1[0] == k2[0] and k1[1] != k2[1] and f1 != f2
    assert {k1[1][1], k2[1][1]} == {"generic", r_host["magic"][1]}


# The child: call three small kernels (cheap to compile) and report the warnings that
# mention the cache.
HEALING_CHILD = r"""
import json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import skreg
    from skreg import _losses
    values = [float(_losses.sigmoid(0.5)), float(_losses.log1pexp(0.5)),
              float(_losses.logistic_loss(1.0, 0.5))]
print(json.dumps(dict(values=values, cache_path=_losses.log1pexp._cache._cache_path,
                      warnings=[str(w.message) for w in caught if "cache" in str(w.message)])))
"""


def test_unreadable_cache_files_are_discarded_recompiled_and_reported(tmp_path):
    """A zero-length or truncated cache file (power loss, partial copy) used to make every
    later process fail with ``EOFError: Ran out of input``: the process that meets one warns
    once per file naming it, recompiles and rewrites it, and the next process loads again."""
    env = dict(NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(PACKAGE.parent))

    def run():
        report, _ = run_child(env, tmp_path, child=HEALING_CHILD, kernel="_losses.")
        return report

    def cache_file(kernel, suffix):
        (path,) = [p for p in Path(first["cache_path"]).glob(f"_losses.{kernel}-*{suffix}")]
        return path

    first = run()
    assert not first["warnings"]
    # An empty data file, an empty index, half a data file: one of each kernel.
    damaged = [cache_file("sigmoid", ".nbc"), cache_file("log1pexp", ".nbi"),
               cache_file("logistic_loss", ".nbc")]
    damaged[0].write_bytes(b"")
    damaged[1].write_bytes(b"")
    damaged[2].write_bytes(damaged[2].read_bytes()[: damaged[2].stat().st_size // 2])
    healed = run()
    assert healed["values"] == first["values"]
    assert len(healed["warnings"]) == 3  # one per damaged file
    for path in damaged:
        (message,) = [m for m in healed["warnings"] if str(path) in m]
        assert "compiled again" in message
        assert path.stat().st_size > 0  # rewritten
    assert sum("EOFError: Ran out of input" in m for m in healed["warnings"]) >= 2
    again, log = run_child(env, tmp_path, child=HEALING_CHILD, kernel="_losses.log1pexp")
    assert not again["warnings"] and _loaded(log) and not _saved(log)


# The child: a binary L1 logistic fit (the coordinate-descent kernels and those they call)
# and a small MLP, then, over skreg's dispatchers, the signatures numba compiled (cache
# misses) and loaded from the on-disk cache (cache hits).
REUSE_CHILD = r"""
import json, sys, warnings
import numpy as np
import skreg
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
X = rng.standard_normal((60, 5))
y = (X[:, 0] + 0.5 * rng.standard_normal(60) > 0).astype(int)
skreg.RegularizedLogisticRegression("l1", alpha=0.02).fit(X, y).predict_proba(X)
skreg.ElasticNetMLPClassifier((3,), max_iter=5, random_state=0).fit(X, y).predict_proba(X)
seen, misses, hits = set(), {}, {}
for name, mod in list(sys.modules.items()):
    if name.split(".")[0] != "skreg":
        continue
    for fn in list(vars(mod).values()):
        if id(fn) in seen or not hasattr(fn, "py_func") or not hasattr(fn, "stats"):
            continue
        seen.add(id(fn))
        key = fn.py_func.__module__ + "." + fn.py_func.__name__
        misses[key] = sum(fn.stats.cache_misses.values())
        hits[key] = sum(fn.stats.cache_hits.values())
print(json.dumps(dict(misses=misses, hits=hits)))
"""


def test_a_second_process_loads_every_kernel_from_the_cache(tmp_path):
    """Every signature a fit compiles is served from the on-disk cache in the next process:
    a kernel numba cannot cache (or whose cache key changes between processes, e.g. a
    global that changes) would be compiled again by every new process."""
    env = dict(NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(PACKAGE.parent))
    first, _ = run_child(env, tmp_path, child=REUSE_CHILD)
    second, _ = run_child(env, tmp_path, child=REUSE_CHILD)
    compiled = {k for k, v in first["misses"].items() if v}
    assert "skreg._cd.cd_quadratic_model" in compiled and "skreg._mlp_kernels._relu_forward" in compiled
    assert {k: v for k, v in second["misses"].items() if v} == {}
    # Kernels called from Python are loaded; those only called by other kernels are not
    # needed (their code is part of the caller's cached object).
    assert second["hits"]["skreg._cd.cd_quadratic_model"] >= 1
    assert sum(second["hits"].values()) >= 3
