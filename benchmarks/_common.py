"""Shared helpers for skreg's benchmarks: timing, fresh-process runs, objectives, tables.

Nothing here imports skreg, so the helpers can time skreg's own import.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
#: The shared data sets live beside the project root (see its README).
DATA_DIR = os.environ.get("SKREG_DATA_DIR", os.path.join(os.path.dirname(ROOT), "shared", "data"))


@contextmanager
def stopwatch(out):
    """``with stopwatch(d): ...`` stores the elapsed wall time in ``d["time"]``."""
    t0 = time.perf_counter()
    try:
        yield out
    finally:
        out["time"] = time.perf_counter() - t0


def median(values):
    """Median of a non-empty list (``nan`` when empty)."""
    return statistics.median(values) if values else float("nan")


def rel_gap(value, best):
    """``(value - best) / |best|``: the relative excess of an objective over the best one.

    Element-wise for arrays (the points of a path).
    """
    return (value - best) / np.maximum(np.abs(best), 1e-300)


# ---------------------------------------------------------------------------
# The skreg objective, computed independently of every solver.
# ---------------------------------------------------------------------------


def logits(X, coef, intercept):
    """``X @ coef + intercept`` for dense or sparse X, as a float64 vector."""
    return np.asarray(X @ np.asarray(coef, dtype=np.float64)).ravel() + float(intercept)


def logistic_objective(X, y01, coef, intercept, alpha, l1_ratio):
    """Mean logistic loss + ``alpha * (l1_ratio |w|_1 + (1 - l1_ratio)/2 |w|^2)``.

    ``y01`` holds labels in {0, 1}; the intercept is not penalized.
    """
    z = logits(X, coef, intercept)
    loss = np.mean(np.logaddexp(0.0, z) - y01 * z)
    pen = l1_ratio * np.abs(coef).sum() + 0.5 * (1.0 - l1_ratio) * np.dot(coef, coef)
    return float(loss + alpha * pen)


def kkt_violation(X, y01, coef, intercept, alpha, l1_ratio, fit_intercept):
    """Largest distance from ``-grad_j`` (mean loss) to ``alpha * dR(w_j)`` over coordinates.

    The same certificate skreg stops on, computed here from scratch so that
    every solver is measured by the same rule.
    """
    z = logits(X, coef, intercept)
    resid = (0.5 * (1.0 + np.tanh(0.5 * z)) - y01) / y01.shape[0]
    grad = np.asarray(X.T @ resid).ravel() + alpha * (1.0 - l1_ratio) * coef
    lam = alpha * l1_ratio
    nz = coef != 0.0
    viol = np.where(nz, np.abs(grad + lam * np.sign(coef)), np.maximum(np.abs(grad) - lam, 0.0))
    kkt = float(viol.max()) if viol.size else 0.0
    if fit_intercept:
        kkt = max(kkt, abs(float(resid.sum())))
    return kkt


def alpha_max(X, y01, fit_intercept):
    """Smallest alpha at which the L1 solution is all zeros (mean-loss scaling).

    ``||X^T (y01 - ybar)||_inf / n`` with an intercept, ``||X^T (y01 - 1/2)||_inf / n``
    without one.
    """
    center = y01.mean() if fit_intercept else 0.5
    return float(np.max(np.abs(np.asarray(X.T @ (y01 - center)).ravel())) / X.shape[0])


# ---------------------------------------------------------------------------
# Fresh processes (cold / warm numba caches).
# ---------------------------------------------------------------------------


def run_fresh(code, env_extra=None, timeout=600):
    """Run ``code`` in a fresh Python process; it must print one JSON line last.

    Returns the decoded dict, or ``{"error": ...}`` when the process fails.
    """
    env = dict(os.environ)
    env.update(env_extra or {})
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env,
            timeout=timeout, cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": " | ".join(tail) or f"exit code {proc.returncode}"}
    return json.loads(lines[-1])


def fresh_numba_cache_dir():
    """A new empty directory for ``NUMBA_CACHE_DIR`` (the caller removes it)."""
    return tempfile.mkdtemp(prefix="skreg_numba_cache_")


# ---------------------------------------------------------------------------
# Output.
# ---------------------------------------------------------------------------


def markdown_table(headers, rows):
    """A GitHub markdown table from a header list and rows of already formatted cells."""
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def fmt(x, spec=".3g"):
    """Format a float, leaving ``None``/``nan`` as a dash."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    return format(x, spec)


# ---------------------------------------------------------------------------
# The squared-loss objective, computed independently of every solver.
# ---------------------------------------------------------------------------


def squared_objective(X, y, coef, intercept, alpha, l1_ratio):
    """``1/(2n) |y - X coef - b|^2 + alpha * (l1_ratio |w|_1 + (1 - l1_ratio)/2 |w|^2)``."""
    coef = np.asarray(coef, dtype=np.float64).ravel()
    r = y - logits(X, coef, intercept)
    pen = l1_ratio * np.abs(coef).sum() + 0.5 * (1.0 - l1_ratio) * np.dot(coef, coef)
    return float(0.5 * np.mean(r * r) + alpha * pen)


def squared_kkt_violation(X, y, coef, intercept, alpha, l1_ratio, fit_intercept):
    """Largest distance from ``-grad_j`` (squared loss) to ``alpha * dR(w_j)`` over coordinates."""
    coef = np.asarray(coef, dtype=np.float64).ravel()
    resid = (logits(X, coef, intercept) - y) / y.shape[0]
    grad = np.asarray(X.T @ resid).ravel() + alpha * (1.0 - l1_ratio) * coef
    lam = alpha * l1_ratio
    viol = np.where(coef != 0.0, np.abs(grad + lam * np.sign(coef)),
                    np.maximum(np.abs(grad) - lam, 0.0))
    kkt = float(viol.max()) if viol.size else 0.0
    if fit_intercept:
        kkt = max(kkt, abs(float(resid.sum())))
    return kkt


def squared_alpha_max(X, y, fit_intercept):
    """Smallest alpha with an all-zero Lasso solution: ``|X^T (y - ybar)|_inf / n``."""
    center = y.mean() if fit_intercept else 0.0
    return float(np.max(np.abs(np.asarray(X.T @ (y - center)).ravel())) / X.shape[0])


# ---------------------------------------------------------------------------
# Running a method under a time cap.
# ---------------------------------------------------------------------------


def _capped_child(fn, args, queue):
    import traceback

    try:
        queue.put(("ok", fn(*args)))
    except Exception:  # report, do not hang the parent
        queue.put(("error", traceback.format_exc().strip().splitlines()[-1]))


def run_capped(fn, args, cap):
    """``fn(*args)`` in a forked process; ``None`` when it runs past ``cap`` seconds.

    An exception in the child is raised again in the parent as a ``RuntimeError``.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_capped_child, args=(fn, args, queue))
    proc.start()
    try:
        status, value = queue.get(timeout=cap)
    except Exception:
        return None
    finally:
        proc.terminate()
        proc.join()
    if status == "error":
        raise RuntimeError(value)
    return value
