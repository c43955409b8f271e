"""Benchmark: cold start of skreg's estimators (import + first fit in a fresh process) vs scikit-learn.

What a user pays before the first result, measured in three states:

* **cold**: a new Python process with an empty numba cache (``NUMBA_CACHE_DIR``
  pointed at a new temporary directory): import + compilation + first fit;
* **warm**: a new process with the same cache directory again (the on-disk
  cache written by the cold run is loaded, nothing is compiled);
* **scikit-learn**: the equivalent estimator in a new process (no numba).

Cases (each process loads its data from a ``.npy`` file written by this
script, so the measured import is the estimator's own import, scikit-learn
included):

* ``logistic l1`` / ``logistic l2``: ``RegularizedLogisticRegression`` on the
  standardized breast-cancer data (569 x 30), ``alpha = 0.01``, against
  ``LogisticRegression`` (liblinear for L1, lbfgs for L2) at
  ``C = 1 / (alpha * n_samples)`` (the same objective);
* ``mlp``: ``ElasticNetMLPClassifier((100,))`` on digits (1797 x 64, 10
  classes), 10 epochs of Adam (``tol=0``), then ``predict``; against
  ``MLPClassifier`` with the same settings.

Every repeat runs all processes round-robin (cold, warm, peer for each case);
the table shows medians, the difference to scikit-learn in seconds and the
ratio. Targets (issue #5): warm start at most 1 s above scikit-learn, cold
start (import + first fit) at most 5 s.

Usage::

    python benchmarks/bench_startup.py                  # 3 repeats, writes results_startup.md
    python benchmarks/bench_startup.py --quick          # CI: 1 repeat, nothing written
    python benchmarks/bench_startup.py --repeats 5 --out benchmarks/results_startup.md
"""

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ROOT, fmt, markdown_table, median, run_fresh  # noqa: E402

#: Targets of issue #5 (seconds).
WARM_MARGIN = 1.0
COLD_LIMIT = 5.0
ALPHA = 0.01
MLP_EPOCHS = 10

# The child process: load the data (numpy only), then time the estimator's import, its first
# fit and its first predict. With ``count`` it also reports how many numba signatures skreg
# compiled or loaded (``fn.signatures`` over skreg's jitted functions).
_CHILD = r"""
import json, time, warnings
import numpy as np
d = np.load({data!r})
X, y = d["X"], d["y"]
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
warnings.simplefilter("ignore")
clf = {make}
clf.fit(X, y)
t2 = time.perf_counter()
clf.predict(X)
t3 = time.perf_counter()
out = dict(import_time=t1 - t0, fit=t2 - t1, predict=t3 - t2, score=float(clf.score(X, y)))
if {count}:
    import sys
    sigs = {{}}
    for name, mod in list(sys.modules.items()):
        if name.startswith("skreg"):
            for fn in vars(mod).values():
                if hasattr(fn, "signatures") and hasattr(fn, "py_func") and fn.signatures:
                    key = fn.py_func.__module__.split(".")[-1] + "." + fn.py_func.__name__
                    sigs[key] = len(fn.signatures)
    out["signatures"] = sigs
print(json.dumps(out))
"""

CASES = {
    "logistic l1": dict(
        data="cancer",
        skreg=("from skreg import RegularizedLogisticRegression",
               f"RegularizedLogisticRegression(penalty='l1', alpha={ALPHA})"),
        peer_name="LogisticRegression liblinear",
        peer=("from sklearn.linear_model import LogisticRegression",
              "LogisticRegression(solver='liblinear', {pen}, C={C!r})"),
        l1_ratio=1.0,
    ),
    "logistic l2": dict(
        data="cancer",
        skreg=("from skreg import RegularizedLogisticRegression",
               f"RegularizedLogisticRegression(penalty='l2', alpha={ALPHA})"),
        peer_name="LogisticRegression lbfgs",
        peer=("from sklearn.linear_model import LogisticRegression",
              "LogisticRegression(solver='lbfgs', {pen}, C={C!r})"),
        l1_ratio=0.0,
    ),
    "mlp": dict(
        data="digits",
        skreg=("from skreg import ElasticNetMLPClassifier",
               f"ElasticNetMLPClassifier((100,), max_iter={MLP_EPOCHS}, tol=0.0, "
               "random_state=0)"),
        peer_name="MLPClassifier",
        peer=("from sklearn.neural_network import MLPClassifier",
              f"MLPClassifier((100,), max_iter={MLP_EPOCHS}, tol=0.0, random_state=0)"),
    ),
}


def _peer_penalty(l1_ratio):
    """scikit-learn >= 1.8 selects the penalty by ``l1_ratio`` (``penalty`` is deprecated)."""
    from sklearn.linear_model import LogisticRegression

    if LogisticRegression().get_params()["penalty"] == "deprecated":
        return f"l1_ratio={l1_ratio!r}"
    return "penalty='l1'" if l1_ratio == 1.0 else "penalty='l2'"


def write_data(tmp):
    """The data sets as ``.npy`` archives (so a child's timed import is the estimator's own)."""
    from sklearn.datasets import load_breast_cancer, load_digits

    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    paths = {"cancer": os.path.join(tmp, "cancer.npz")}
    np.savez(paths["cancer"], X=X, y=y)
    Xd, yd = load_digits(return_X_y=True)
    paths["digits"] = os.path.join(tmp, "digits.npz")
    np.savez(paths["digits"], X=Xd / 16.0, y=yd)
    return paths, {"cancer": X.shape[0], "digits": Xd.shape[0]}


def run_child(data, imports, make, cache_dir, count=False):
    code = _CHILD.format(data=data, imports=imports, make=make, count=count)
    env = {"PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    return run_fresh(code, env)


def bench(cases, repeats, log):
    tmp = tempfile.mkdtemp(prefix="skreg_startup_")
    try:
        paths, n_samples = write_data(tmp)
        res = {(c, kind): [] for c in cases for kind in ("cold", "warm", "peer")}
        signatures = {}
        for rep in range(repeats):
            for case in cases:
                spec = CASES[case]
                data = paths[spec["data"]]
                cache = tempfile.mkdtemp(prefix="cache_", dir=tmp)
                for kind in ("cold", "warm", "peer"):
                    if kind == "peer":
                        imports, make = spec["peer"]
                        if "l1_ratio" in spec:
                            C = 1.0 / (ALPHA * n_samples[spec["data"]])
                            make = make.format(pen=_peer_penalty(spec["l1_ratio"]), C=C)
                        out = run_child(data, imports, make, None)
                    else:
                        imports, make = spec["skreg"]
                        out = run_child(data, imports, make, cache, count=kind == "cold")
                    if "error" in out:
                        log(f"  {case} {kind}: failed: {out['error']}")
                        continue
                    out["total"] = out["import_time"] + out["fit"]
                    res[(case, kind)].append(out)
                    if "signatures" in out:
                        signatures[case] = out.pop("signatures")
                    log(f"  repeat {rep + 1}/{repeats} {case:12s} {kind:5s} import "
                        f"{out['import_time']:.2f} s, first fit {out['fit']:.2f} s, predict "
                        f"{out['predict']:.3f} s, total {out['total']:.2f} s, "
                        f"train score {out['score']:.3f}")
                shutil.rmtree(cache, ignore_errors=True)
        return res, signatures
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def table(cases, res):
    rows = []
    verdicts = []
    for case in cases:
        peer = {k: median([r[k] for r in res[(case, "peer")]])
                for k in ("import_time", "fit", "total")}
        for kind in ("cold", "warm", "peer"):
            runs = res[(case, kind)]
            if not runs:
                continue
            m = {k: median([r[k] for r in runs]) for k in ("import_time", "fit", "predict",
                                                           "total")}
            if kind == "peer":
                name, cache, diff, ratio, target = CASES[case]["peer_name"], "-", "", "", ""
            else:
                name, cache = "skreg", kind
                diff = f"{m['total'] - peer['total']:+.2f}"
                ratio = f"{m['total'] / peer['total']:.1f}"
                if kind == "warm":
                    ok = m["total"] - peer["total"] <= WARM_MARGIN
                    target = f"<= sklearn + {WARM_MARGIN:g} s: {'met' if ok else 'missed'}"
                else:
                    ok = m["total"] <= COLD_LIMIT
                    target = f"<= {COLD_LIMIT:g} s: {'met' if ok else 'missed'}"
                verdicts.append((case, kind, ok))
            rows.append([case, name, cache, fmt(m["import_time"], ".2f"), fmt(m["fit"], ".2f"),
                         fmt(m["total"], ".2f"), diff, ratio, fmt(m["predict"], ".3f"), target])
    headers = ["case", "estimator", "numba cache", "import (s)", "first fit (s)",
               "import + fit (s)", "- sklearn (s)", "÷ sklearn", "first predict (s)", "target"]
    return markdown_table(headers, rows), verdicts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, nothing written (CI)")
    parser.add_argument("--repeats", type=int, default=None, help="default 3, quick 1")
    parser.add_argument("--cases", default=",".join(CASES),
                        help=f"comma-separated subset of {', '.join(CASES)}")
    parser.add_argument("--out", default=None,
                        help="markdown file (default benchmarks/results_startup.md; none in quick)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    for c in cases:
        if c not in CASES:
            parser.error(f"unknown case {c!r}")
    out = args.out or (None if args.quick else os.path.join(ROOT, "benchmarks",
                                                            "results_startup.md"))
    log = print
    import numba
    import sklearn

    versions = (f"Python {platform.python_version()}, numpy {np.__version__}, scikit-learn "
                f"{sklearn.__version__}, numba {numba.__version__}; {os.cpu_count()} CPUs")
    load_before = os.getloadavg()
    log(f"bench_startup: {versions}; load average {load_before[0]:.2f}")
    t0 = time.perf_counter()
    res, signatures = bench(cases, repeats, log)
    load_after = os.getloadavg()
    text, _ = table(cases, res)
    sig_lines = [f"- {case}: {sum(s.values())} signatures in {len(s)} kernels "
                 f"({', '.join(f'{k}' + (f' x{v}' if v > 1 else '') for k, v in sorted(s.items()))})"
                 for case, s in signatures.items()]
    log("\n" + text)
    log("\nnumba signatures compiled by the cold first fit + predict:\n" + "\n".join(sig_lines))
    elapsed = time.perf_counter() - t0
    log(f"\nload average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}; "
        f"total {elapsed:.0f} s")
    if out:
        cmd = "python benchmarks/bench_startup.py " + " ".join(
            argv if argv is not None else sys.argv[1:])
        with open(out, "w") as f:
            f.write(
                "# skreg cold start: import + first fit in a fresh process\n\n"
                f"Command: `{cmd.strip()}`  \n{versions}; {platform.platform()}.  \n"
                f"Median of {repeats} interleaved repeats; load average before/after "
                f"{load_before[0]:.2f} / {load_after[0]:.2f} (the machine is shared: read "
                "differences and ratios, not absolute seconds).\n\n"
                "Cold: new process, empty `NUMBA_CACHE_DIR`. Warm: new process, the cache the "
                "cold run wrote. scikit-learn: new process. `- sklearn`: difference of import "
                "+ first fit to scikit-learn's; targets: warm <= scikit-learn + 1 s, cold <= 5 s."
                "\n\n" + text + "\n\n"
                "numba signatures compiled by the cold first fit + predict:\n\n"
                + "\n".join(sig_lines) + "\n"
            )
        log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
