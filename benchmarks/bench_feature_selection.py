"""Feature selection inside a network: skreg's group-lasso path against LassoNet.

Two problems with 5 informative inputs among 100 (as in
``examples/plot_10_network_feature_selection.py``): ``make_friedman1``
regression (inputs and target standardized) and an XOR-style classification,
``y = [x0 x1 + x2 x3 + x4^2 > 1]``, whose informative inputs are each
uncorrelated with ``y``. Training / validation / test rows: 2000 / 1000 / 4000
(``--quick``: 600 / 400 / 2000).

Methods (one hidden layer of 32 ReLU units each, one thread each)
----------------------------------------------------------------
* ``skreg``: ``ElasticNetMLP*.group_path`` over ``group_alpha`` in
  ``geomspace(3e-3, 0.3, 15)`` (``--quick``: 6 values), ``alpha=1e-3``, Adam
  lr 3e-3, mini-batches of 200, warm starts.
* ``lassonet``: ``LassoNetRegressor / LassoNetClassifier(hidden_dims=(32,))``
  with its defaults (full-batch training, ``path_multiplier=1.02``; ``--quick``:
  1.1), ``.path`` with the validation rows as ``X_val, y_val``. LassoNet
  selects through a linear skip connection with a hierarchy constraint
  (``M=10``); it is a PyTorch package, not a scikit-learn estimator over a
  plain MLP.

Columns: wall time of the whole path (seconds, under whatever load the
machine has: compare the two rows of a problem, run one after the other in
one process), number of path points; whether the last five inputs to leave
along the path are the informative ones; then, for two choices of the path
point -- "best": the best validation score (R^2 / accuracy), "sparse": the
sparsest point whose validation score is within ``TOLERANCE`` of the best --
the inputs kept (informative of 5 + noise of 95) and the test score.

Usage::

    python benchmarks/bench_feature_selection.py [--quick] [--markdown FILE]

LassoNet is optional (``pip install skreg[bench]``); without it only skreg runs.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from skreg.neural_network import ElasticNetMLPClassifier, ElasticNetMLPRegressor  # noqa: E402

try:
    import torch
    from lassonet import LassoNetClassifier, LassoNetRegressor
except ImportError:  # benchmark extra
    LassoNetClassifier = LassoNetRegressor = None

N_FEATURES, N_INFORMATIVE, HIDDEN = 100, 5, 32
TOLERANCE = 0.01


def problems(quick, seed=0):
    """``(name, is_classification, (train, val, test))`` with 5 informative inputs first."""
    n_tr, n_val, n_te = (600, 400, 2000) if quick else (2000, 1000, 4000)
    n = n_tr + n_val + n_te

    def split(X, y):
        return ((X[:n_tr], y[:n_tr]), (X[n_tr:n_tr + n_val], y[n_tr:n_tr + n_val]),
                (X[n_tr + n_val:], y[n_tr + n_val:]))

    X, y = make_friedman1(n, N_FEATURES, noise=1.0, random_state=seed)
    yield "friedman1 regression", False, split((X - 0.5) * np.sqrt(12.0),
                                               (y - y[:n_tr].mean()) / y[:n_tr].std())
    X = np.random.default_rng(seed).standard_normal((n, N_FEATURES))
    y = (X[:, 0] * X[:, 1] + X[:, 2] * X[:, 3] + X[:, 4] ** 2 > 1.0).astype(int)
    yield "XOR classification", True, split(X, y)


def last_to_leave_are_informative(exit_order):
    """``exit_order``: inputs sorted by when they leave the path, last to leave first."""
    return set(int(j) for j in exit_order[:N_INFORMATIVE]) == set(range(N_INFORMATIVE))


def choices(supports, val_scores, test_score):
    """The "best" and "sparse" path points: ``{rule: (n_informative, n_noise, test score)}``."""
    val_scores = np.asarray(val_scores)
    n_kept = np.array([s.sum() for s in supports])
    best = int(np.argmax(val_scores))
    near = np.flatnonzero(val_scores >= val_scores[best] - TOLERANCE)
    sparse = int(near[np.argmin(n_kept[near])])
    return {rule: (int(supports[i][:N_INFORMATIVE].sum()), int(supports[i][N_INFORMATIVE:].sum()),
                   float(test_score(i))) for rule, i in (("best", best), ("sparse", sparse))}


def run_skreg(classification, data, quick):
    (Xtr, ytr), (Xv, yv), (Xte, yte) = data
    Est = ElasticNetMLPClassifier if classification else ElasticNetMLPRegressor
    est = Est(hidden_layer_sizes=(HIDDEN,), alpha=1e-3, learning_rate_init=3e-3, max_iter=300,
              random_state=0)
    grid = np.geomspace(3e-3, 0.3, 6 if quick else 15)
    t0 = time.perf_counter()
    path = est.group_path(Xtr, ytr, group_alphas=grid)
    seconds = time.perf_counter() - t0
    scores = [e.score(Xv, yv) for e in path.estimators]
    # exit order: by the last grid point at which each input is still connected, ties by
    # the sum of its group norms along the path
    alive = path.group_norms > 0
    last_alive = np.where(alive.any(axis=0), alive.shape[0] - 1 - np.argmax(alive[::-1], axis=0),
                          -1)
    order = np.lexsort((-path.group_norms.sum(axis=0), -last_alive))
    return dict(seconds=seconds, points=len(path.estimators),
                last5=last_to_leave_are_informative(order),
                **choices([e.input_support_ for e in path.estimators], scores,
                          lambda i: path.estimators[i].score(Xte, yte)))


def run_lassonet(classification, data, quick):
    (Xtr, ytr), (Xv, yv), (Xte, yte) = data
    Est = LassoNetClassifier if classification else LassoNetRegressor
    model = Est(hidden_dims=(HIDDEN,), path_multiplier=1.1 if quick else 1.02, verbose=0,
                random_state=0, torch_seed=0)
    t0 = time.perf_counter()
    path = model.path(Xtr, ytr, X_val=Xv, y_val=yv, return_state_dicts=True)
    seconds = time.perf_counter() - t0
    # feature_importances_: the lambda at which each input leaves the path
    order = np.argsort(-model.feature_importances_.cpu().numpy(), kind="stable")
    scores = [model.load(h.state_dict).score(Xv, yv) for h in path]
    return dict(seconds=seconds, points=len(path), last5=last_to_leave_are_informative(order),
                **choices([h.selected.cpu().numpy().astype(bool) for h in path], scores,
                          lambda i: model.load(path[i].state_dict).score(Xte, yte)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, short paths (CI)")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    methods = [("skreg group_path", run_skreg)]
    if LassoNetRegressor is not None:
        torch.set_num_threads(1)
        methods.append(("lassonet path", run_lassonet))
    else:
        print("lassonet is not installed: skreg only", file=sys.stderr)
    lines = ["| problem | method | path s | points | last 5 to leave = informative "
             "| best: informative + noise kept | best: test score "
             "| sparse: informative + noise kept | sparse: test score |", "|" + "---|" * 9]
    with threadpool_limits(limits=1):
        for pname, classification, data in problems(args.quick):
            for mname, runner in methods:
                r = runner(classification, data, args.quick)
                cells = [f"{r[rule][0]}/{N_INFORMATIVE} + {r[rule][1]}/"
                         f"{N_FEATURES - N_INFORMATIVE} | {r[rule][2]:.3f}"
                         for rule in ("best", "sparse")]
                lines.append(f"| {pname} | {mname} | {r['seconds']:.1f} | {r['points']} "
                             f"| {'yes' if r['last5'] else 'no'} | {cells[0]} | {cells[1]} |")
                print(lines[-1], flush=True)
    table = "\n".join(lines)
    if args.markdown:
        args.markdown.write_text(
            "# Feature selection inside a network (`benchmarks/bench_feature_selection.py`)\n\n"
            f"Command: `python benchmarks/bench_feature_selection.py"
            f"{' --quick' if args.quick else ''}`. One thread each; wall times under the "
            "machine's load at the time (both methods of a problem run back to back in one "
            "process).\n\n" + table + "\n")
    return table


if __name__ == "__main__":
    main()
