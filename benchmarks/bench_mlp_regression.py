"""Benchmark ElasticNetMLPRegressor against scikit-learn's MLPRegressor and a PyTorch MLP (CPU).

Same network everywhere: hidden layers (256, 128), ReLU, Adam with lr 1e-3, batch 128, a fixed
number of epochs, no early stopping, the same objective: the mean halved squared error plus
``alpha / 2 ||W||^2`` (scikit-learn adds ``alpha / (2 * batch_size) ||W||^2`` to each batch
mean, i.e. skreg's ``alpha = 1e-4 / 128``; torch: ``0.5 * MSELoss`` and Adam's
``weight_decay`` on the weight matrices). The targets are standardized with the training
mean and deviation for every estimator (R^2 does not change).

Problems
--------
* ``friedman1 100k x 105``: ``make_friedman1`` with 100 noise features (5 informative),
  100 000 training rows, 20 000 test rows, noise 1.0.
* ``diabetes``: scikit-learn's bundled diabetes data (442 x 10, real measurements;
  standardized features), 80/20 split, 30 epochs (the networks overfit it beyond). It is
  tiny: its epoch times measure per-batch overheads, not arithmetic. At least 10 repeats:
  its test R^2 varies by about 0.02 from seed to seed, so the mean of fewer has a standard
  error near the 0.01 tolerance.

One process; repeats are interleaved (every estimator once per repeat, repeat ``r`` seeds
everything with ``r``), so a loaded machine slows every estimator alike and the ratios stay
meaningful. Columns: seconds per epoch (median; numba compilation excluded by a warm-up),
the ratio to the faster peer per repeat (median), test R^2 (mean over repeats).

Usage::

    python benchmarks/bench_mlp_regression.py                 # full run
    python benchmarks/bench_mlp_regression.py --quick         # seconds (CI smoke)
    python benchmarks/bench_mlp_regression.py --markdown benchmarks/results_mlp_regression.md
"""

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from skreg.neural_network import ElasticNetMLPRegressor  # noqa: E402

try:
    import torch
except ImportError:  # torch is a benchmark extra
    torch = None

HIDDEN = (256, 128)
LR = 1e-3
BATCH = 128
SK_ALPHA = 1e-4


def problems(quick):
    """(name, X_train, X_test, y_train, y_test, epochs, minimum repeats)."""
    out = []
    n = 5000 if quick else 100_000
    X, y = make_friedman1(n_samples=n + n // 5, n_features=105, noise=1.0, random_state=0)
    out.append((f"friedman1 {n // 1000}k x 105", X[:n], X[n:], y[:n], y[n:], 2 if quick else 5,
                1))
    X, y = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0)
    sc = StandardScaler().fit(Xtr)
    out.append(("diabetes", sc.transform(Xtr), sc.transform(Xte), ytr, yte, 10 if quick else 30,
                1 if quick else 10))
    return out


def run_skreg(dtype, Xtr, ytr, Xte, epochs, seed):
    reg = ElasticNetMLPRegressor(
        hidden_layer_sizes=HIDDEN, alpha=SK_ALPHA / BATCH, learning_rate_init=LR,
        batch_size=BATCH, max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1,
        random_state=seed)
    Xtr, Xte = Xtr.astype(dtype), Xte.astype(dtype)
    t0 = time.perf_counter()
    reg.fit(Xtr, ytr)
    return time.perf_counter() - t0, reg.predict(Xte)


def run_sklearn(dtype, Xtr, ytr, Xte, epochs, seed):
    reg = MLPRegressor(
        hidden_layer_sizes=HIDDEN, alpha=SK_ALPHA, learning_rate_init=LR, batch_size=BATCH,
        max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, random_state=seed)
    Xtr, Xte = Xtr.astype(dtype), Xte.astype(dtype)
    t0 = time.perf_counter()
    reg.fit(Xtr, ytr)
    return time.perf_counter() - t0, reg.predict(Xte)


def run_torch(dtype, Xtr, ytr, Xte, epochs, seed):
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    Xt = torch.from_numpy(np.ascontiguousarray(Xtr, dtype=np.float32))
    yt = torch.from_numpy(np.ascontiguousarray(ytr, dtype=np.float32)).reshape(-1, 1)
    sizes = [Xtr.shape[1], *HIDDEN, 1]
    layers = []
    for l in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[l], sizes[l + 1]))
        if l < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    biases = [m.bias for m in model if isinstance(m, torch.nn.Linear)]
    opt = torch.optim.Adam([{"params": weights, "weight_decay": SK_ALPHA / BATCH},
                            {"params": biases, "weight_decay": 0.0}], lr=LR)
    gen = torch.Generator().manual_seed(seed)
    mse = torch.nn.MSELoss()
    model.train()
    n = Xt.shape[0]
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for s in range(0, n, BATCH):
            idx = perm[s:s + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = 0.5 * mse(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    fit_time = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(np.ascontiguousarray(Xte, dtype=np.float32)))
    return fit_time, pred.numpy().ravel().astype(np.float64)


def configs():
    """(name, kind, dtype, runner)."""
    out = [("sklearn MLPRegressor", "peer", np.float64, run_sklearn),
           ("sklearn MLPRegressor", "peer", np.float32, run_sklearn)]
    if torch is not None:
        out.append(("torch", "peer", np.float32, run_torch))
    out += [("skreg ElasticNetMLPRegressor", "skreg", np.float64, run_skreg),
            ("skreg ElasticNetMLPRegressor", "skreg", np.float32, run_skreg)]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--problems", nargs="+", default=None,
                        help="run only the problems whose names start with these")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    args = parser.parse_args(argv)
    reps = args.reps or (1 if args.quick else 3)
    warnings.simplefilter("ignore", ConvergenceWarning)
    if torch is not None:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    lines = ["| problem | estimator | dtype | s/epoch | ÷ faster peer | test R^2 | ΔR^2 vs better "
             "peer |", "|" + "---|" * 7]
    summary = []
    cfgs = configs()
    with threadpool_limits(limits=args.threads):
        for pname, Xtr, Xte, ytr, yte, epochs, min_reps in problems(args.quick):
            if args.problems and not any(pname.startswith(p) for p in args.problems):
                continue
            mu, sd = ytr.mean(), ytr.std()
            ys = (ytr - mu) / sd
            for name, kind, dt, runner in cfgs:  # warm-up: compilation, BLAS / torch start-up
                runner(dt, Xtr[:300], ys[:300], Xte[:10], 1, 0)
            times = {i: [] for i in range(len(cfgs))}
            r2 = {i: [] for i in range(len(cfgs))}
            n_reps = max(reps, min_reps)
            for rep in range(n_reps):
                for i, (name, kind, dt, runner) in enumerate(cfgs):
                    fit_s, pred = runner(dt, Xtr, ys, Xte, epochs, rep)
                    times[i].append(fit_s / epochs)
                    r2[i].append(r2_score(yte, pred * sd + mu))
                print(f"  {pname}: repeat {rep + 1}/{n_reps} done", file=sys.stderr, flush=True)
            peers = [i for i, c in enumerate(cfgs) if c[1] == "peer"]
            faster_peer = np.min([times[i] for i in peers], axis=0)  # per repeat
            best_peer_r2 = max(np.mean(r2[i]) for i in peers)
            for i, (name, kind, dt, _) in enumerate(cfgs):
                ratio = float(np.median(np.asarray(times[i]) / faster_peer))
                d = np.mean(r2[i]) - best_peer_r2
                lines.append(f"| {pname} | {name} | {np.dtype(dt).name} | "
                             f"{np.median(times[i]):.4f} | {ratio:.2f} | {np.mean(r2[i]):.4f} | "
                             f"{d:+.4f} |")
                if kind == "skreg":
                    summary.append((pname, np.dtype(dt).name, ratio, d))
            print("\n".join(lines[-len(cfgs):]), file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    out = ["\n".join(lines), "",
           "Targets: s/epoch <= 0.5 x the faster peer, test R^2 >= the better peer's - 0.01.", "",
           "| problem | skreg dtype | ÷ faster peer | ΔR^2 | met |", "|---|---|---|---|---|"]
    for pname, dt, ratio, d in summary:
        met = [ratio <= 0.5, d >= -0.01]
        tag = "all" if all(met) else "missed: " + ", ".join(
            t for t, ok in zip(["speed", "R^2"], met) if not ok)
        out.append(f"| {pname} | {dt} | {ratio:.2f} | {d:+.4f} | {tag} |")
    more = "" if args.quick else ", diabetes at least 10"
    out += ["", f"Threads: {args.threads}; repeats: {reps}{more} (interleaved). Machine: "
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average "
            f"before/after {load_before[0]:.2f} / {load_after[0]:.2f} (shared machine: absolute "
            "times are under that load, the ratios are the result); numpy "
            f"{np.__version__}, torch {getattr(torch, '__version__', 'absent')}."]
    text = "\n".join(out)
    print(text)
    if args.markdown is not None:
        cmd = "python benchmarks/bench_mlp_regression.py " + " ".join(
            argv if argv is not None else sys.argv[1:])
        args.markdown.write_text(f"Command: `{cmd.strip()}`\n\n{text}\n")
    return summary


if __name__ == "__main__":
    main()
