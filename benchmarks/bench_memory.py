"""Peak memory of a fit above the data: no hidden copies, no float32 upcast, no densifying.

Every measurement runs in a fresh Python process that

1. imports scikit-learn and skreg and warms the estimator up with a fit on a
   tiny problem of the same kind (so numba's loaded machine code, BLAS
   buffers and import-time allocations are not counted);
2. builds X column by column (no temporary copy): Fortran-ordered float64
   or float32 n x p, or an n x 40p sparse matrix at 0.5% density (CSC for
   the linear models, CSR for the MLPs: each one's native sparse layout);
3. takes the resident set size (``VmRSS``) as the baseline (after
   ``malloc_trim``; the child runs with ``MALLOC_MMAP_THRESHOLD_=65536`` so
   arrays freed earlier leave the process), resets the kernel's high-water
   mark (``/proc/self/clear_refs``), fits, and reads the high-water mark
   back (``VmHWM``).

"Above data" = peak RSS during the fit - baseline: everything the fit
allocated, numba NRT allocations included (tracemalloc does not see those).
M is the size of X in bytes (data + indices + indptr for sparse). The claim
checked for skreg is ``above <= 1.25 M``: a full copy of X would be 1 M,
a float32 -> float64 upcast 2 M, densifying the sparse X (n x 40p at 0.5%) 133 M.

    python benchmarks/bench_memory.py            # M = 400 MB dense (100000 x 500)
    python benchmarks/bench_memory.py --quick    # M = 48 MB (CI)

The fits run few iterations (memory does not grow with them): skreg
``max_iter=5`` Newton steps, the MLPs one epoch, scikit-learn's solvers a
few iterations (their ConvergenceWarnings are silenced).
"""

import argparse
import json
import os
import subprocess
import sys

BOUND = 1.25
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

#: name -> (library, estimator source, inputs it is measured on)
ESTIMATORS = {
    "skreg LR l1": ("skreg", "RegularizedLogisticRegression(penalty='l1', alpha=0.01, max_iter=5)"),
    "skreg LR l2": ("skreg", "RegularizedLogisticRegression(penalty='l2', alpha=0.01, max_iter=5)"),
    "skreg MLP l1": ("skreg", "ElasticNetMLPClassifier(hidden_layer_sizes=(64,), penalty='l1', "
                              "alpha=1e-4, max_iter=1, batch_size=200, random_state=0)"),
    "sklearn LR l1 (saga)": ("sklearn", "LogisticRegression(l1_ratio=1.0, C=0.01, solver='saga', "
                                        "max_iter=1)"),
    "sklearn LR l1 (liblinear)": ("sklearn", "LogisticRegression(l1_ratio=1.0, C=0.01, "
                                             "solver='liblinear', max_iter=2)"),
    "sklearn LR l2 (lbfgs)": ("sklearn", "LogisticRegression(C=0.01, solver='lbfgs', max_iter=5)"),
    "sklearn MLP": ("sklearn", "MLPClassifier(hidden_layer_sizes=(64,), max_iter=1, "
                               "batch_size=200, random_state=0)"),
}

INPUTS = ("dense float64 F", "dense float32 F", "sparse 0.5%")
#: The MLPs read rows: C-ordered input is their copy-free layout.
MLP_INPUTS = INPUTS + ("dense float64 C",)
#: Training state a fit needs besides X, counted apart from the "above data" claim:
#: parameters, their gradient, two Adam moments, the returned copy.
STATE_COPIES = 5


def cases(quick):
    def inputs(e):
        return MLP_INPUTS if "MLP" in e else INPUTS

    if quick:
        return [("skreg LR l1", k) for k in INPUTS] + [("skreg LR l2", "dense float64 F"), ("skreg LR l2", "dense float32 F")] + \
            [("skreg MLP l1", k) for k in MLP_INPUTS] + \
            [("sklearn LR l2 (lbfgs)", "dense float64 F"), ("sklearn MLP", "dense float64 F")]
    return [(e, k) for e in ESTIMATORS for k in inputs(e)]


# ---------------------------------------------------------------------------
# The child process.
# ---------------------------------------------------------------------------


def _status(field):
    """A ``/proc/self/status`` field in bytes (VmRSS, VmHWM)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak():
    """Reset VmHWM to the current RSS (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _make_data(kind, n, p, estimator_name, seed=0):
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    w = np.zeros(p)
    w[:10] = rng.standard_normal(10)
    if kind.startswith("dense"):
        dtype = np.float32 if "float32" in kind else np.float64
        X = np.empty((n, p), dtype=dtype, order="F")
        for j in range(p):  # column by column: no temporary of the size of X
            rng.standard_normal(n, dtype=dtype, out=X[:, j])
        z = X[:, :10].astype(np.float64) @ w[:10]
        if kind.endswith(" C"):
            X = np.ascontiguousarray(X)
        nbytes = X.nbytes
    else:
        # Text-like: n x 40p at 0.5% density, p/5 stored entries per row, M = 0.3 of the
        # dense float64 n x p (densifying it would take 133 M). Built directly as int32 CSC
        # (linear models) or CSR (MLPs) with sorted, distinct indices in each column / row.
        csr = "MLP" in estimator_name
        n_major, n_minor = (n, 40 * p) if csr else (40 * p, n)
        k = max(1, int(0.005 * n_minor))
        idx = np.sort(rng.integers(0, n_minor - k + 1, size=(n_major, k)), axis=1)
        idx += np.arange(k)  # strictly increasing within each row / column
        indices = idx.ravel().astype(np.int32)
        del idx
        indptr = (np.arange(n_major + 1) * k).astype(np.int32)
        data = rng.standard_normal(indices.shape[0])
        cls = sp.csr_matrix if csr else sp.csc_matrix
        X = cls((data, indices, indptr), shape=(n, 40 * p))
        w = np.zeros(40 * p)
        w[:10] = rng.standard_normal(10)
        z = np.asarray(X @ w).ravel()
        nbytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    y = (z + 0.5 * rng.standard_normal(n) > 0).astype(np.int64)
    return X, y, nbytes


def child(spec):
    import gc
    import warnings

    warnings.simplefilter("ignore")
    import numpy as np  # noqa: F401
    from sklearn.linear_model import LogisticRegression  # noqa: F401
    from sklearn.neural_network import MLPClassifier  # noqa: F401

    from skreg import ElasticNetMLPClassifier, RegularizedLogisticRegression  # noqa: F401

    name, kind, n, p = spec["estimator"], spec["input"], spec["n"], spec["p"]
    make = ESTIMATORS[name][1]
    # Warm-up on a small problem of the same kind: loads numba's cache, BLAS buffers.
    # As many entries as needed to take the same solver path (skreg's Newton-CG for a
    # smooth penalty starts at 1e6 entries).
    n_warm = min(n, max(2000, 1_000_000 // (p if kind.startswith("dense") else 40 * p) + 100))
    Xs, ys, _ = _make_data(kind, n_warm, p, name, seed=1)
    eval(make).fit(Xs, ys)
    del Xs, ys
    X, y, nbytes = _make_data(kind, n, p, name)
    est = eval(make)
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    base = _status("VmRSS")
    _reset_peak()
    est.fit(X, y)
    peak = _status("VmHWM")
    fitted = (list(est.coefs_) + list(est.intercepts_) if hasattr(est, "coefs_")
              else [est.coef_, est.intercept_])
    return {"nbytes": nbytes, "dense_bytes": X.shape[0] * X.shape[1] * X.dtype.itemsize,
            "above": peak - base, "model": sum(a.nbytes for a in fitted),
            "baseline": base}


# ---------------------------------------------------------------------------
# The parent.
# ---------------------------------------------------------------------------


def run_case(name, kind, n, p, timeout):
    spec = json.dumps({"estimator": name, "input": kind, "n": n, "p": p})
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", ROOT)
    # Every allocation of 64 kB or more gets its own mapping, returned to the system on
    # free: memory freed before the baseline cannot be silently reused by the fit.
    env["MALLOC_MMAP_THRESHOLD_"] = "65536"
    try:
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", spec],
                              capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-2:])}
    return json.loads(lines[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="M = 48 MB, skreg + two peers (CI)")
    parser.add_argument("--n", type=int, default=None, help="rows (default 100000, quick 40000)")
    parser.add_argument("--p", type=int, default=None, help="columns (default 500, quick 150)")
    parser.add_argument("--timeout", type=float, default=900.0, help="per fresh process, s")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    if not os.path.exists("/proc/self/clear_refs"):
        print("bench_memory needs Linux (/proc/self/clear_refs to reset the peak RSS); skipped.")
        return 0
    n = args.n or (40000 if args.quick else 100000)
    p = args.p or (150 if args.quick else 500)
    mb = 1024.0 ** 2
    print(f"X: {n} x {p}; dense float64 M = {8 * n * p / mb:.0f} MB, float32 M = "
          f"{4 * n * p / mb:.0f} MB; sparse: {n} x {40 * p} at 0.5%, float64 + int32 indices, "
          f"M = {2.4 * n * p / mb:.0f} MB ({320 * n * p / mb:.0f} MB if densified)")
    print(f"claim: a skreg fit allocates at most {BOUND} M above the data, besides its "
          f"training state ({STATE_COPIES} x the fitted weights: parameters, gradient, Adam "
          "moments, result)\n")
    cols = ["estimator", "input", "M (MB)", "above data (MB)", "state (MB)",
            "(above - state) / M", "check"]
    rows = []
    failed = []
    for name, kind in cases(args.quick):
        r = run_case(name, kind, n, p, args.timeout)
        skreg_row = ESTIMATORS[name][0] == "skreg"
        if "error" in r:
            rows.append([name, kind, "error: " + r["error"][:100], "", "", "", ""])
            if skreg_row:
                failed.append((name, kind))
        else:
            state = STATE_COPIES * r["model"]
            ratio = max(r["above"] - state, 0.0) / r["nbytes"]
            check = "(peer)"
            if skreg_row:
                check = "ok" if ratio <= BOUND else "OVER"
                if ratio > BOUND:
                    failed.append((name, kind))
            rows.append([name, kind, f"{r['nbytes'] / mb:.1f}", f"{r['above'] / mb:.1f}",
                         f"{state / mb:.1f}", f"{ratio:.2f}", check])
        print(" | ".join(str(c) for c in rows[-1]), flush=True)
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(cols)]
    print()
    for i, row in enumerate([cols, ["-" * w for w in widths]] + rows):
        cells = [c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))]
        print("| " + " | ".join(cells) + " |")
    print()
    if failed:
        print(f"skreg above {BOUND} M: {failed}")
        return 1
    print(f"every skreg fit stayed within {BOUND} M above its data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
