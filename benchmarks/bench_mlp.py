"""Benchmark ElasticNetMLPClassifier against scikit-learn's MLPClassifier and PyTorch (CPU).

Same network everywhere: hidden layers (256, 128), ReLU, Adam with lr 1e-3, batch 128, a fixed
number of epochs, no early stopping. One process, interleaved repeats, medians.

Estimators
----------
* ``sklearn L2``       -- scikit-learn ``MLPClassifier(alpha=1e-4)``, float64 and float32 input.
* ``torch L1+dropout`` -- PyTorch, float32, dropout 0.1 after each hidden layer, Adam, then after
  each Adam step the L1 prox by hand: soft-thresholding with Adam's per-weight step
  ``lr / (sqrt(v_hat) + eps)``, the update skreg makes.
* ``skreg L2``         -- the same objective as scikit-learn's: sklearn adds
  ``alpha / (2 * batch_size) * ||W||^2`` to each batch mean loss, i.e. skreg's
  ``alpha = 1e-4 / 128`` (the penalty is not divided by the batch size).
* ``skreg L1+dropout`` -- the same model as the torch peer (``penalty="l1"``, ``alpha=1e-5``,
  ``dropout=0.1``).

Columns: seconds per epoch (median over repeats, fit time / epochs; numba compilation is
excluded by a warm-up fit and reported separately), the ratio to the fastest peer on that
problem and thread count, the ratio to the GEMM floor (the time numpy takes for the epoch's
matrix products alone, same shapes, same dtype, measured in the same run), test accuracy,
the share of exactly-zero weights, and the peak resident-memory growth during the fit.

Usage::

    python benchmarks/bench_mlp.py                       # full run, 1 and 2 threads
    python benchmarks/bench_mlp.py --quick               # CI smoke run (seconds)
    python benchmarks/bench_mlp.py --markdown benchmarks/results_mlp.md

Peers are optional (``pip install skreg[bench]``); missing ones are skipped.
"""

import argparse
import gzip
import os
import platform
import subprocess
import sys
import threading
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from skreg.neural_network import ElasticNetMLPClassifier  # noqa: E402

try:
    import torch
except ImportError:  # torch is a benchmark extra
    torch = None
try:
    import onnxruntime

    from skreg.onnx import to_onnx
except ImportError:  # the onnx extra
    onnxruntime = None

HIDDEN = (256, 128)
#: The peer that fits the same model as each skreg configuration.
SAME_MODEL_PEER = {"skreg L2": "sklearn L2", "skreg L1+dropout": "torch L1+dropout"}
LR = 1e-3
BATCH = 128
SK_ALPHA = 1e-4
L1_ALPHA = 1e-5
DROPOUT = 0.1


# ---------------------------------------------------------------------------
# problems
# ---------------------------------------------------------------------------


def load_mnist(data_dir):
    img = data_dir / "mnist_t10k-images-idx3-ubyte.gz"
    lab = data_dir / "mnist_t10k-labels-idx1-ubyte.gz"
    if not (img.exists() and lab.exists()):
        return None
    X = np.frombuffer(gzip.open(img).read(), np.uint8, offset=16).reshape(-1, 784) / 255.0
    y = np.frombuffer(gzip.open(lab).read(), np.uint8, offset=8).astype(np.int64)
    return X, y


def problems(quick, data_dir):
    out = []
    X, y = load_digits(return_X_y=True)
    if quick:
        out.append(("digits", X / 16.0, y, 2))
        Xs, ys = make_classification(2000, 20, n_informative=10, n_classes=5, random_state=0)
        out.append(("synthetic 2k x 20", Xs, ys, 2))
        return out
    out.append(("digits", X / 16.0, y, 30))
    mnist = load_mnist(data_dir)
    if mnist is not None:
        out.append(("MNIST-10k", mnist[0], mnist[1], 10))
    else:
        print(f"MNIST files not found in {data_dir}; skipped", file=sys.stderr)
    Xs, ys = make_classification(100000, 200, n_informative=40, n_classes=5, random_state=0)
    out.append(("synthetic 100k x 200", Xs, ys, 3))
    return out


# ---------------------------------------------------------------------------
# measurement helpers
# ---------------------------------------------------------------------------


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _busy_ticks():
    """(CPU ticks busy on the whole machine, CPU ticks used by this process), or None."""
    try:
        with open("/proc/stat") as f:
            vals = [int(v) for v in f.readline().split()[1:9]]
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return sum(vals) - vals[3] - vals[4], int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return None


def foreign_share(before, after, seconds):
    """Share of the machine's CPU time used by *other* processes between two ``_busy_ticks``."""
    if before is None or after is None or seconds <= 0:
        return 0.0
    hz = os.sysconf("SC_CLK_TCK")
    foreign = (after[0] - before[0]) - (after[1] - before[1])
    return max(foreign, 0) / (seconds * hz * os.cpu_count())


def wait_quiet(max_wait=120.0, threshold=0.1):
    """Wait (up to ``max_wait`` s) until other processes use under ``threshold`` of the CPUs.

    The machine may be shared: BLAS thread pools that busy-wait collapse when another process
    takes a core, which would make a 2-thread timing meaningless.
    """
    t_end = time.perf_counter() + max_wait
    while time.perf_counter() < t_end:
        b = _busy_ticks()
        time.sleep(0.5)
        if foreign_share(b, _busy_ticks(), 0.5) < threshold:
            return True
    return False


#: Waiting for a quiet machine (off in --quick mode: CI must finish in seconds).
QUIET = {"max_wait": 60.0, "retries": 2}


def free_cpu_threshold(n_threads):
    """Largest share of the CPUs other processes may take without stealing one of our cores."""
    return max(0.05, (os.cpu_count() - n_threads + 0.2) / os.cpu_count())


def measure(fn, threshold=0.1):
    """Run ``fn()`` on a quiet machine.

    Returns (seconds, result, peak RSS growth in MB, share of CPU used by other processes).
    A run during which other processes took more than ``threshold`` of the CPUs is retried
    (after waiting for quiet) up to ``QUIET["retries"]`` times; the last share is reported.
    """
    for _ in range(QUIET["retries"] + 1):
        if QUIET["max_wait"] > 0:
            wait_quiet(QUIET["max_wait"], threshold)
        base = _rss_bytes() if os.path.exists("/proc/self/statm") else 0
        peak = [base]
        stop = threading.Event()

        def sample():
            while base and not stop.is_set():
                peak[0] = max(peak[0], _rss_bytes())
                stop.wait(0.005)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        b = _busy_ticks()
        t0 = time.perf_counter()
        res = fn()
        dt = time.perf_counter() - t0
        share = foreign_share(b, _busy_ticks(), dt)
        stop.set()
        th.join()
        if base:
            peak[0] = max(peak[0], _rss_bytes())
        if share < threshold:
            break
    return dt, res, (peak[0] - base) / 2**20, share


def gemm_floor(n_train, sizes, dtype, reps=3):
    """Seconds numpy needs for one epoch's matrix products (forward, dW, dA; no dX)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_train, sizes[0])).astype(dtype)
    Ws = [rng.standard_normal((sizes[l], sizes[l + 1])).astype(dtype) * 0.01
          for l in range(len(sizes) - 1)]
    best = np.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        for s in range(0, n_train, BATCH):
            A = [X[s:s + BATCH]]
            for W in Ws:
                A.append(A[-1] @ W)
            G = A[-1]
            for l in range(len(Ws) - 1, -1, -1):
                A[l].T @ G  # dW
                if l > 0:
                    G = G @ Ws[l].T  # dA
        best = min(best, time.perf_counter() - t0)
    return best


def zero_fraction(coefs):
    total = sum(W.size for W in coefs)
    return sum(int(np.count_nonzero(W == 0)) for W in coefs) / total


# ---------------------------------------------------------------------------
# runners: each returns (fit seconds, test accuracy, zero fraction)
# ---------------------------------------------------------------------------


def run_skreg(params, Xtr, ytr, Xte, yte, epochs, seed=0):
    clf = ElasticNetMLPClassifier(
        hidden_layer_sizes=HIDDEN, learning_rate_init=LR, batch_size=BATCH, max_iter=epochs,
        tol=0.0, n_iter_no_change=epochs + 1, random_state=seed, **params,
    )
    t0 = time.perf_counter()
    clf.fit(Xtr, ytr)
    fit_time = time.perf_counter() - t0
    return fit_time, clf.score(Xte, yte), clf.zero_weight_fraction_


def run_sklearn(Xtr, ytr, Xte, yte, epochs, seed=0):
    clf = MLPClassifier(
        hidden_layer_sizes=HIDDEN, alpha=SK_ALPHA, learning_rate_init=LR, batch_size=BATCH,
        max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, random_state=seed,
    )
    t0 = time.perf_counter()
    clf.fit(Xtr, ytr)
    fit_time = time.perf_counter() - t0
    return fit_time, clf.score(Xte, yte), zero_fraction(clf.coefs_)


def run_torch(Xtr, ytr, Xte, yte, epochs, seed=0):
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    n_classes = int(ytr.max()) + 1
    Xt = torch.from_numpy(np.ascontiguousarray(Xtr, dtype=np.float32))
    yt = torch.from_numpy(ytr.astype(np.int64))
    sizes = [Xtr.shape[1], *HIDDEN, n_classes]
    layers = []
    for l in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[l], sizes[l + 1]))
        if l < len(sizes) - 2:
            layers += [torch.nn.ReLU(), torch.nn.Dropout(DROPOUT)]
    model = torch.nn.Sequential(*layers)
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    beta2, eps = opt.defaults["betas"][1], opt.defaults["eps"]
    gen = torch.Generator().manual_seed(seed)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    n = Xt.shape[0]
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for s in range(0, n, BATCH):
            idx = perm[s:s + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            with torch.no_grad():  # L1 prox with Adam's per-weight step
                for W in weights:
                    st = opt.state[W]
                    bc2 = 1.0 - beta2 ** float(st["step"])
                    thr = (st["exp_avg_sq"] / bc2).sqrt_().add_(eps).reciprocal_().mul_(LR * L1_ALPHA)
                    W.copy_(W.sign() * (W.abs() - thr).clamp_min_(0.0))
    fit_time = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(np.ascontiguousarray(Xte, dtype=np.float32))).argmax(1)
    acc = float((pred.numpy() == yte).mean())
    return fit_time, acc, zero_fraction([W.detach().numpy() for W in weights])


def predict_timings(Xtr, ytr, Xte, n_threads, reps, threshold):
    """Seconds of ``predict_proba`` on ``Xte``: skreg, scikit-learn and onnxruntime, same weights.

    One skreg L2 network per dtype (one epoch on up to 2000 training rows: the weights do not
    change the time); scikit-learn's ``MLPClassifier`` gets its weights, onnxruntime runs
    its ``skreg.onnx.to_onnx`` graph (``intra_op_num_threads = n_threads``). Interleaved
    repeats, medians. Returns rows ``(dtype, {runner: seconds}, max |proba - skreg's|, share)``.
    """
    out = []
    m = min(2000, Xtr.shape[0])
    for dt in (np.float64, np.float32):
        Xfit, Xe = np.ascontiguousarray(Xtr[:m], dtype=dt), np.ascontiguousarray(Xte, dtype=dt)
        clf = ElasticNetMLPClassifier(HIDDEN, max_iter=1, random_state=0).fit(Xfit, ytr[:m])
        sk = MLPClassifier(HIDDEN, max_iter=1, random_state=0).fit(Xfit, ytr[:m])
        sk.coefs_ = [W.copy() for W in clf.coefs_]
        sk.intercepts_ = [b.copy() for b in clf.intercepts_]
        runners = {"skreg": lambda: clf.predict_proba(Xe), "sklearn": lambda: sk.predict_proba(Xe)}
        if onnxruntime is not None:
            opts = onnxruntime.SessionOptions()
            opts.intra_op_num_threads, opts.inter_op_num_threads = n_threads, 1
            sess = onnxruntime.InferenceSession(to_onnx(clf, Xe[:1]).SerializeToString(), opts,
                                                providers=["CPUExecutionProvider"])
            runners["onnxruntime"] = lambda: sess.run(["probabilities"], {"X": Xe})[0]
        ref = clf.predict_proba(Xe)
        diff = max(float(np.abs(f() - ref).max()) for f in runners.values())
        t0 = time.perf_counter()
        clf.predict_proba(Xe)
        calls = max(1, int(0.05 / max(time.perf_counter() - t0, 1e-6)))  # >= ~50 ms a timing

        def repeat(f):
            for _ in range(calls):
                f()

        times, share = {k: [] for k in runners}, 0.0
        for _ in range(reps):
            for k, f in runners.items():
                dt_s, _, _, sh = measure(partial(repeat, f), threshold=threshold)
                times[k].append(dt_s / calls)
                share = max(share, sh)
        out.append((dt, {k: float(np.median(v)) for k, v in times.items()}, diff, share))
    return out


def configs(quick):
    """(name, kind, dtype, runner)."""
    out = [
        ("sklearn L2", "peer", np.float64, run_sklearn),
        ("sklearn L2", "peer", np.float32, run_sklearn),
    ]
    if torch is not None:
        out.append(("torch L1+dropout", "peer", np.float32, run_torch))
    skreg_l2 = dict(penalty="l2", alpha=SK_ALPHA / BATCH)
    skreg_l1 = dict(penalty="l1", alpha=L1_ALPHA, dropout=DROPOUT)
    dtypes = (np.float64,) if quick else (np.float64, np.float32)
    for dt in dtypes:
        out.append(("skreg L2", "skreg", dt, partial(run_skreg, skreg_l2)))
        out.append(("skreg L1+dropout", "skreg", dt, partial(run_skreg, skreg_l1)))
    return out


# ---------------------------------------------------------------------------
# compile time
# ---------------------------------------------------------------------------

_COMPILE_SNIPPET = """
import time, warnings
t0 = time.perf_counter()
import numpy as np
from skreg.neural_network import ElasticNetMLPClassifier
warnings.simplefilter("ignore")
X = np.random.RandomState(0).rand(50, 5)
y = np.arange(50) % 3
ElasticNetMLPClassifier((8,), max_iter=1).fit(X, y).predict(X)
t1 = time.perf_counter()
ElasticNetMLPClassifier((8,), max_iter=1).fit(X, y).predict(X)
print(t1 - t0, time.perf_counter() - t1)
"""


def compile_times():
    """First fit (import + fit + predict, float64) in fresh processes: cold, then warm cache."""
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(ROOT))
        res = []
        for _ in range(2):
            out = subprocess.run([sys.executable, "-c", _COMPILE_SNIPPET], env=env,
                                 capture_output=True, text=True, check=True).stdout.split()
            res.append((float(out[0]), float(out[1])))
    return res


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (CI)")
    parser.add_argument("--threads", type=int, nargs="+", default=None)
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="seconds to wait for other processes to go idle before a timing")
    parser.add_argument("--quiet-retries", type=int, default=2,
                        help="re-runs of a timing during which other processes took a core")
    args = parser.parse_args(argv)
    quick = args.quick
    threads = args.threads or ([1] if quick else [1, 2])
    reps = args.reps or (1 if quick else 3)
    QUIET.update(max_wait=args.quiet_wait, retries=args.quiet_retries)
    if quick:
        QUIET.update(max_wait=0.0, retries=0)
    warnings.simplefilter("ignore", ConvergenceWarning)

    load_before = os.getloadavg()
    lines = []
    header = ("| problem | threads | estimator | dtype | s/epoch | ÷ fastest peer | ÷ GEMM floor "
              "| test acc | exact zeros | peak ΔRSS MB | other procs' CPU |")
    lines += [header, "|" + "---|" * 11]
    summary = []
    contaminated = 0
    pred_lines = [
        "| problem | threads | rows | dtype | skreg ms | sklearn ms | onnxruntime ms "
        "| skreg ÷ onnxruntime | max abs Δproba | other procs' CPU |",
        "|" + "---|" * 10,
    ]
    for pname, X, y, epochs in problems(quick, args.data_dir):
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
        cfgs = configs(quick)
        sizes = [Xtr.shape[1], *HIDDEN, len(np.unique(y))]
        data = {dt: (np.ascontiguousarray(Xtr, dtype=dt), ytr, np.ascontiguousarray(Xte, dtype=dt),
                     yte) for dt in (np.float64, np.float32)}
        # warm-up (numba compilation or cache load, torch/BLAS start-up) outside the timings
        for name, kind, dt, runner in cfgs:
            Xw, yw = data[dt][0][:300], data[dt][1][:300]
            runner(Xw, yw, Xw, yw, 1)
        for nt in threads:
            if torch is not None:
                torch.set_num_threads(nt)
            times = {i: [] for i in range(len(cfgs))}
            results = {}
            with threadpool_limits(limits=nt):
                floors = {}
                thr = free_cpu_threshold(nt)
                shares = {}
                for dt in (np.float64, np.float32):
                    _, floors[dt], _, share = measure(
                        lambda: gemm_floor(Xtr.shape[0], sizes, dt), threshold=thr)
                    shares[("floor", dt)] = share
                for rep in range(reps):  # repeat r uses seed r for every estimator
                    for i, (name, kind, dt, runner) in enumerate(cfgs):
                        _, (fit_s, acc, zeros), mem, share = measure(
                            lambda: runner(*data[dt], epochs, seed=rep), threshold=thr)
                        times[i].append(fit_s / epochs)
                        results.setdefault(i, []).append((acc, zeros, mem))
                        shares[i] = max(shares.get(i, 0.0), share)
                    print(f"  {pname} threads={nt}: repeat done", file=sys.stderr, flush=True)
            med = {i: float(np.median(v)) for i, v in times.items()}
            fastest_peer = min(med[i] for i, c in enumerate(cfgs) if c[1] == "peer")
            peer_acc = {}
            for i, c in enumerate(cfgs):
                if c[1] == "peer":
                    peer_acc[c[0]] = max(peer_acc.get(c[0], 0.0),
                                         np.mean([r[0] for r in results[i]]))
            best_peer_acc = max(peer_acc.values())
            for i, (name, kind, dt, _) in enumerate(cfgs):
                acc, zeros, mem = np.asarray(results[i]).T
                acc, zeros, mem = acc.mean(), zeros.mean(), mem.max()
                ratio = med[i] / fastest_peer
                floor_ratio = med[i] / floors[dt]
                flag = "" if shares[i] < thr else " (!)"
                contaminated += bool(flag)
                lines.append(
                    f"| {pname} | {nt} | {name} | {np.dtype(dt).name} | {med[i]:.4f} | "
                    f"{ratio:.2f} | {floor_ratio:.2f} | {acc:.4f} | {zeros:.3f} | {mem:.0f} "
                    f"| {100 * shares[i]:.0f}%{flag} |"
                )
                if kind == "skreg":
                    twin = SAME_MODEL_PEER[name]
                    twin_acc = peer_acc.get(twin, np.nan)
                    summary.append((pname, nt, name, np.dtype(dt).name, ratio,
                                    100 * (acc - best_peer_acc), 100 * (acc - twin_acc),
                                    floor_ratio))
            for dt in (np.float64, np.float32):
                share = shares[("floor", dt)]
                flag = "" if share < thr else " (!)"
                contaminated += bool(flag)
                lines.append(f"| {pname} | {nt} | GEMM floor (numpy) | {np.dtype(dt).name} | "
                             f"{floors[dt]:.4f} | | 1.00 | | | | {100 * share:.0f}%{flag} |")
            print("\n".join(lines[-len(cfgs) - 2:]), file=sys.stderr, flush=True)
            with threadpool_limits(limits=nt):
                for dt, secs, diff, share in predict_timings(Xtr, ytr, Xte, nt, max(reps, 5),
                                                             free_cpu_threshold(nt)):
                    flag = "" if share < free_cpu_threshold(nt) else " (!)"
                    contaminated += bool(flag)
                    ort = secs.get("onnxruntime")
                    pred_lines.append(
                        f"| {pname} | {nt} | {Xte.shape[0]} | {np.dtype(dt).name} | "
                        f"{1e3 * secs['skreg']:.1f} | {1e3 * secs['sklearn']:.1f} | "
                        + (f"{1e3 * ort:.1f} | {secs['skreg'] / ort:.2f}" if ort else "- | -")
                        + f" | {diff:.1e} | {100 * share:.0f}%{flag} |")
    load_after = os.getloadavg()

    out = ["\n".join(lines), ""]
    out += [
        "Targets per skreg configuration: epoch time <= 0.5 x the fastest peer, test accuracy "
        ">= the better peer's - 0.5 points, epoch time <= 1.6 x the GEMM floor.",
        "",
        "| problem | threads | skreg config | dtype | ÷ fastest peer | Δacc vs better peer (pts) "
        "| Δacc vs same-model peer (pts) | ÷ GEMM floor | met |",
        "|" + "---|" * 9,
    ]
    for pname, nt, name, dt, ratio, dacc, dtwin, fl in summary:
        met = [ratio <= 0.5, dacc >= -0.5, fl <= 1.6]
        tags = "all" if all(met) else "missed: " + ", ".join(
            t for t, ok in zip(["speed", "accuracy", "floor"], met) if not ok)
        out.append(f"| {pname} | {nt} | {name} | {dt} | {ratio:.2f} | {dacc:+.2f} | {dtwin:+.2f} "
                   f"| {fl:.2f} | {tags} |")
    out.append("")
    out += ["predict_proba on the test rows (same weights in the three; median of interleaved "
            "repeats):", ""] + pred_lines + [""]
    if not quick:
        ct = compile_times()
        out.append(
            f"Compilation (fresh process, import + first fit + predict, float64): cold cache "
            f"{ct[0][0]:.1f} s, warm on-disk cache {ct[1][0]:.1f} s; steady-state second fit "
            f"{ct[1][1]:.3f} s."
        )
    out.append(
        "s/epoch: median over the repeats; test acc and exact zeros: mean over the repeats "
        "(repeat r seeds every estimator with r); peak ΔRSS: max over the repeats."
    )
    out.append(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
        f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}. "
        "Last column: largest share of the machine's CPU time used by *other* processes during "
        f"a kept timing; a timing is retried up to {QUIET['retries']} times (after waiting up "
        f"to {QUIET['max_wait']:.0f} s for quiet) when others "
        "take one of the cores this run needs; (!) marks the "
        f"{contaminated} rows where that never happened (treat them with caution); "
        f"numpy {np.__version__}, torch {getattr(torch, '__version__', 'absent')}; "
        f"repeats: {reps}."
    )
    text = "\n".join(out)
    print(text)
    if args.markdown is not None:
        cmd = "python benchmarks/bench_mlp.py " + " ".join(argv if argv is not None else sys.argv[1:])
        args.markdown.write_text(f"Command: `{cmd.strip()}`\n\n{text}\n")
    return summary


if __name__ == "__main__":
    main()
