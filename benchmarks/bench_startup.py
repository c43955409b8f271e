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

With ``--paths`` it measures instead what touching every code path costs
with an empty numba cache, as a user meets them one after the other: one
process runs the steps of :data:`PATHS` in order, and each step also runs
alone in its own process with its own empty cache. The steps (fit, then
predict or predict_proba; breast cancer for binary logistic, digits for
multinomial and the MLP classifiers, diabetes for regression):
``logistic-l1``, ``logistic-l2``; ``float32`` (L1 and L2 on float32 X; X this
small is read as float64, so this step compiles nothing);
``multinomial`` (L1, L2); ``l0`` (logistic and squared loss, L0L2);
``squared`` (L1, L2); ``mlp`` (``(100,)``, 10 epochs of Adam); ``mlp-float32``;
``mlp-regressor``; ``read-only`` (the linear fits and both MLPs again, X and
y read-only memory maps in each model's no-copy layout); ``group-lasso``
(MLP with ``group_alpha``); ``cv`` (logistic and linear CV, 3 folds);
``sparse`` (CSR input); ``float32-large`` (L1 and L2 on breast cancer
repeated 8 times as float32, 1.1 MB as float64: read as float32, the
kernels' float32 twins). Per step it
reports the CPU seconds of the process (``resource.getrusage``: steadier than
wall time on a shared machine; numba compiles on one thread) and the numba
signatures compiled (``cache_misses`` of skreg's dispatchers) or loaded from
the cache (``cache_hits``). A second pass over the cache of the cumulative
run shows the warm cost. Target (issue [8]): all steps together at most 15 s
cold; read-only input compiles nothing new.

Usage::

    python benchmarks/bench_startup.py                  # 3 repeats, writes results_startup.md
    python benchmarks/bench_startup.py --quick          # CI: 1 repeat, nothing written
    python benchmarks/bench_startup.py --repeats 5 --out benchmarks/results_startup.md
    python benchmarks/bench_startup.py --paths          # per-path cold CPU time and signatures
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


# --paths: the steps a user meets, in order. Each is code run with the data sets of
# ``write_path_data`` in scope (``Xc, yc``: breast cancer; ``Xd, yd``: digits; ``Xr, yr``:
# diabetes; ``*32``: float32 copies; ``*_ro``: read-only memmaps of the same arrays, Fortran-
# ordered for the linear models, ``*_rc`` C-ordered for the MLP: each model's no-copy layout).
_LOGISTIC = "RegularizedLogisticRegression({}, alpha=0.01).fit({X}, {y}).predict_proba({X})"
_LINEAR = "RegularizedLinearRegression({}, alpha=0.01).fit({X}, {y}).predict({X})"
_MLP = ("ElasticNetMLPClassifier((100,), max_iter=10, tol=0.0, random_state=0{}).fit({X}, {y})"
        ".predict_proba({X})")
_MLP_REG = ("ElasticNetMLPRegressor((100,), max_iter=10, tol=0.0, random_state=0).fit({X}, {y})"
            ".predict({X})")


def _step(*lines):
    return "\n".join(lines)


PATHS = {
    "logistic-l1": _step(_LOGISTIC.format("'l1'", X="Xc", y="yc")),
    "logistic-l2": _step(_LOGISTIC.format("'l2'", X="Xc", y="yc")),
    "float32": _step(_LOGISTIC.format("'l1'", X="Xc32", y="yc"),
                     _LOGISTIC.format("'l2'", X="Xc32", y="yc")),
    "multinomial": _step(_LOGISTIC.format("'l1'", X="Xd", y="yd"),
                         _LOGISTIC.format("'l2'", X="Xd", y="yd")),
    "l0": _step(_LOGISTIC.format("'l0', l1_ratio=0.5", X="Xc", y="yc"),
                _LINEAR.format("'l0', l1_ratio=0.5", X="Xr", y="yr")),
    "squared": _step(_LINEAR.format("'l1'", X="Xr", y="yr"),
                     _LINEAR.format("'l2'", X="Xr", y="yr")),
    "mlp": _step(_MLP.format("", X="Xd", y="yd")),
    "mlp-float32": _step(_MLP.format("", X="Xd32", y="yd")),
    "mlp-regressor": _step(_MLP_REG.format(X="Xr", y="yr")),
    "read-only": _step(_LOGISTIC.format("'l1'", X="Xc_ro", y="yc_ro"),
                       _LOGISTIC.format("'l2'", X="Xc_ro", y="yc_ro"),
                       _LOGISTIC.format("'l1'", X="Xd_ro", y="yd_ro"),
                       _LOGISTIC.format("'l0', l1_ratio=0.5", X="Xc_ro", y="yc_ro"),
                       _LINEAR.format("'l1'", X="Xr_ro", y="yr_ro"),
                       _LINEAR.format("'l0', l1_ratio=0.5", X="Xr_ro", y="yr_ro"),
                       _MLP.format("", X="Xd_rc", y="yd_ro"),
                       _MLP_REG.format(X="Xr_rc", y="yr_ro")),
    "group-lasso": _step(_MLP.format(", group_alpha=1e-3", X="Xd", y="yd")),
    "cv": _step("RegularizedLogisticRegressionCV(penalty='l1', cv=3).fit(Xc, yc)",
                "RegularizedLinearRegressionCV(penalty='l1', cv=3).fit(Xr, yr)"),
    "sparse": _step(_LOGISTIC.format("'l1'", X="Xc_sp", y="yc"),
                    _LOGISTIC.format("'l2'", X="Xc_sp", y="yc"),
                    _LINEAR.format("'l1'", X="Xr_sp", y="yr"),
                    _MLP.format("", X="Xd_sp", y="yd")),
    "float32-large": _step(_LOGISTIC.format("'l1'", X="Xc32_large", y="yc_large"),
                           _LOGISTIC.format("'l2'", X="Xc32_large", y="yc_large")),
}
#: The steps of the issue's 15 s budget (the rest are reported beside them).
BUDGET_STEPS = list(PATHS)[:10]
PATH_TARGET = 15.0

# The --paths child: import skreg, then run the given steps in order, reporting per step the
# process CPU time, wall time and the numba signatures compiled (cache misses) and loaded
# (cache hits) over skreg's dispatchers. With ``profile`` it also records the exclusive
# compile CPU time of every kernel (numba's "numba:compile" events, nested compiles subtracted).
_PATHS_CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def counts():
    seen, misses, hits = set(), 0, 0
    for name, mod in list(sys.modules.items()):
        if name != "skreg" and not name.startswith("skreg."):
            continue
        for fn in list(vars(mod).values()):
            if id(fn) in seen or not hasattr(fn, "py_func") or not hasattr(fn, "stats"):
                continue
            seen.add(id(fn))
            misses += sum(fn.stats.cache_misses.values())
            hits += sum(fn.stats.cache_hits.values())
    return misses, hits

profile = {profile}
kernel_time = {{}}
kernel_sigs = {{}}
if profile:
    from numba.core import event
    stack = []
    class Recorder(event.Listener):
        def on_start(self, ev):
            stack.append([time.process_time(), 0.0])
        def on_end(self, ev):
            t0, inner = stack.pop()
            total = time.process_time() - t0
            if stack:
                stack[-1][1] += total
            disp = ev.data["dispatcher"]
            key = disp.py_func.__module__.split(".")[-1] + "." + disp.py_func.__name__
            kernel_time[key] = kernel_time.get(key, 0.0) + total - inner
            sig = ", ".join(str(a) for a in ev.data["args"])
            kernel_sigs.setdefault(key, []).append(f"{{total - inner:.2f}} s: ({{sig}})")
    event.register("numba:compile", Recorder())

d = np.load({data!r})
Xc, yc, Xd, yd, Xr, yr = (d[k] for k in ("Xc", "yc", "Xd", "yd", "Xr", "yr"))
Xc32, Xd32 = Xc.astype(np.float32), Xd.astype(np.float32)
# float32 X above skreg._validation.SMALL_FLOAT32_BYTES as float64 (smaller is read as float64)
Xc32_large, yc_large = np.tile(Xc32, (8, 1)), np.tile(yc, 8)
Xc_ro, Xd_ro, Xr_ro, Xd_rc, Xr_rc, yc_ro, yd_ro, yr_ro = (
    np.load(path, mmap_mode="r") for path in {memmaps!r})
import scipy.sparse as sp
Xc_sp, Xd_sp, Xr_sp = sp.csr_matrix(Xc), sp.csr_matrix(Xd), sp.csr_matrix(Xr)
warnings.simplefilter("ignore")
c0, w0 = cpu(), time.perf_counter()
from skreg import (RegularizedLogisticRegression, RegularizedLogisticRegressionCV,
                   RegularizedLinearRegression, RegularizedLinearRegressionCV,
                   ElasticNetMLPClassifier, ElasticNetMLPRegressor)
steps = [dict(step="import", cpu=cpu() - c0, wall=time.perf_counter() - w0, compiled=0,
              loaded=0)]
for name, code in {steps!r}:
    before = counts()
    c0, w0 = cpu(), time.perf_counter()
    exec(code)
    c1, w1 = cpu(), time.perf_counter()
    after = counts()
    steps.append(dict(step=name, cpu=c1 - c0, wall=w1 - w0, compiled=after[0] - before[0],
                      loaded=after[1] - before[1]))
print(json.dumps(dict(steps=steps, kernels=kernel_time, signatures=kernel_sigs)))
"""


def write_path_data(tmp):
    """The --paths data sets: one ``.npz``, and ``.npy`` files to memory-map read-only."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits

    Xc, yc = load_breast_cancer(return_X_y=True)
    Xc = (Xc - Xc.mean(0)) / Xc.std(0)
    Xd, yd = load_digits(return_X_y=True)
    Xd = Xd / 16.0
    Xr, yr = load_diabetes(return_X_y=True)
    paths = {"data": os.path.join(tmp, "paths.npz")}
    np.savez(paths["data"], Xc=Xc, yc=yc, Xd=Xd, yd=yd, Xr=Xr, yr=yr)
    paths["memmaps"] = []
    for key, X in (("Xc", np.asfortranarray(Xc)), ("Xd", np.asfortranarray(Xd)),
                   ("Xr", np.asfortranarray(Xr)), ("Xd_c", Xd), ("Xr_c", Xr), ("yc", yc),
                   ("yd", yd), ("yr", yr)):
        paths["memmaps"].append(os.path.join(tmp, key + ".npy"))
        np.save(paths["memmaps"][-1], X)
    return paths


def run_paths_child(paths, steps, cache_dir, profile=False):
    code = _PATHS_CHILD.format(data=paths["data"], memmaps=paths["memmaps"],
                               steps=[(s, PATHS[s]) for s in steps], profile=profile)
    env = {"PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "NUMBA_CACHE_DIR": cache_dir}
    return run_fresh(code, env, timeout=1800)


def bench_paths(steps, separate, profile, log):
    """Cold cumulative run, warm cumulative run and (``separate``) one cold process per step."""
    tmp = tempfile.mkdtemp(prefix="skreg_paths_")
    try:
        paths = write_path_data(tmp)
        cache = tempfile.mkdtemp(prefix="cache_", dir=tmp)
        runs = {}
        for kind in ("cold", "warm"):
            out = run_paths_child(paths, steps, cache, profile=profile and kind == "cold")
            if "error" in out:
                raise RuntimeError(f"{kind} run failed: {out['error']}")
            runs[kind] = out
            log(f"  cumulative {kind}: " + ", ".join(
                f"{s['step']} {s['cpu']:.2f} s / {s['compiled']}" for s in out["steps"]))
        alone = {}
        if separate:
            for step in steps:
                cache = tempfile.mkdtemp(prefix="cache_", dir=tmp)
                out = run_paths_child(paths, [step], cache)
                if "error" in out:
                    log(f"  alone {step}: failed: {out['error']}")
                    continue
                imp, first = out["steps"]
                alone[step] = dict(first, import_cpu=imp["cpu"])
                log(f"  alone {step}: import {imp['cpu']:.2f} s CPU, step {first['cpu']:.2f} s "
                    f"CPU, {first['compiled']} signatures compiled")
        return runs, alone
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def paths_table(steps, runs, alone):
    cold = {s["step"]: s for s in runs["cold"]["steps"]}
    warm = {s["step"]: s for s in runs["warm"]["steps"]}
    rows = []
    total = dict(cpu=0.0, compiled=0, warm=0.0, budget=0.0)
    for step in ["import"] + steps:
        c, w = cold[step], warm[step]
        a = alone.get(step)
        rows.append([step, fmt(c["cpu"], ".2f"), fmt(c["wall"], ".2f"), c["compiled"],
                     fmt(w["cpu"], ".2f"), w["loaded"],
                     fmt(a["cpu"], ".2f") if a else "", a["compiled"] if a else ""])
        total["cpu"] += c["cpu"]
        total["warm"] += w["cpu"]
        total["compiled"] += c["compiled"]
        if step == "import" or step in BUDGET_STEPS:
            total["budget"] += c["cpu"]
    rows.append(["**total**", f"**{total['cpu']:.2f}**", "", f"**{total['compiled']}**",
                 f"**{total['warm']:.2f}**", "", "", ""])
    headers = ["step (cumulative, one process)", "cold CPU (s)", "cold wall (s)",
               "signatures compiled", "warm CPU (s)", "signatures loaded",
               "alone: cold CPU (s)", "alone: compiled"]
    return markdown_table(headers, rows), total


def main_paths(args, argv, versions, log):
    steps = [s.strip() for s in args.steps.split(",") if s.strip()] if args.steps else list(PATHS)
    for s in steps:
        if s not in PATHS:
            raise SystemExit(f"unknown step {s!r}; known: {', '.join(PATHS)}")
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    runs, alone = bench_paths(steps, not args.no_separate, args.profile, log)
    load_after = os.getloadavg()
    text, total = paths_table(steps, runs, alone)
    log("\n" + text)
    budget = [s for s in steps if s in BUDGET_STEPS]
    log(f"\nimport + {', '.join(budget)}: {total['budget']:.2f} s CPU cold "
        f"(target <= {PATH_TARGET:g} s: {'met' if total['budget'] <= PATH_TARGET else 'missed'})")
    if args.profile:
        kernels = sorted(runs["cold"]["kernels"].items(), key=lambda kv: -kv[1])
        log("\nexclusive compile time per kernel (cold cumulative run, CPU s):")
        for k, v in kernels:
            log(f"  {v:7.3f}  {k}")
            if args.profile > 1:
                for sig in runs["cold"]["signatures"][k]:
                    log(f"             {sig}")
    log(f"\nload average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}; "
        f"total {time.perf_counter() - t0:.0f} s")
    out = args.out or os.path.join(ROOT, "benchmarks", "results_startup_paths.md")
    cmd = "python benchmarks/bench_startup.py " + " ".join(argv)
    with open(out, "w") as f:
        f.write(
            "# skreg cold start, path by path: compile cost of every code path\n\n"
            f"Command: `{cmd.strip()}`  \n{versions}; {platform.platform()}.  \n"
            f"Load average before/after {load_before[0]:.2f} / {load_after[0]:.2f} (the machine "
            "is shared: CPU seconds of the measured process, which move less with load than "
            "wall time; wall time shown for reference).\n\n"
            "Cumulative: one process with an empty `NUMBA_CACHE_DIR` runs the steps in order "
            "(as a user meets them); warm: a second process over the cache the first wrote; "
            "alone: each step in its own process with its own empty cache (import excluded). "
            "Signatures: numba signatures of skreg's kernels compiled (cache misses) or loaded "
            "(cache hits) during the step.\n\n" + text + "\n\n"
            f"import + {', '.join(budget)}: {total['budget']:.2f} s CPU cold (target <= "
            f"{PATH_TARGET:g} s: {'met' if total['budget'] <= PATH_TARGET else 'missed'}).\n")
    log(f"wrote {out}")
    return 0


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
                        help="markdown file (default benchmarks/results_startup.md, with --paths "
                             "results_startup_paths.md; none in quick)")
    parser.add_argument("--paths", action="store_true",
                        help="per-path cold CPU time and compiled signatures (see above)")
    parser.add_argument("--steps", default=None,
                        help="--paths: comma-separated subset of the steps (default: all)")
    parser.add_argument("--no-separate", action="store_true",
                        help="--paths: skip the one-process-per-step runs")
    parser.add_argument("--profile", action="count", default=0,
                        help="--paths: print the compile time of every kernel (twice: of "
                             "every signature)")
    args = parser.parse_args(argv)
    if args.paths:
        import numba
        import sklearn

        versions = (f"Python {platform.python_version()}, numpy {np.__version__}, scikit-learn "
                    f"{sklearn.__version__}, numba {numba.__version__}; {os.cpu_count()} CPUs")
        return main_paths(args, argv if argv is not None else sys.argv[1:], versions, print)
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
