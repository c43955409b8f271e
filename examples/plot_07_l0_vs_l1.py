"""L0 against L1: support recovery and loss at equal sparsity.

Claim. L1 is a convex stand-in for the number of non-zero weights, paid for
with *shrinkage*: to keep the true features large enough it must let
irrelevant ones in, and at a given number of non-zeros its weights are biased
toward zero. L0 (``penalty="l0"``, best-subset style: ``alpha * ||w||_0``)
charges each non-zero weight a fixed price and does not shrink the ones it
keeps. Hence, at equal sparsity:

- L0 recovers the true support exactly when it keeps as many features as
  there are true ones, where L1 picks up correlated impostors;
- L0 reaches a lower training loss than L1 with the same number of non-zeros,
  and at the true sparsity a lower held-out loss too. (Far past the true
  sparsity the unshrunk L0 weights overfit, and L1's held-out loss wins.)

Data: 250 training samples (2000 held out), 30 features with Toeplitz
correlation ``0.7^|i-j|``, 5 true features with weights +-1.5.
L1: ``regularization_path``; L0: ``RegularizedLogisticRegression(penalty="l0",
l1_ratio=1.0)`` on a grid of ``alpha`` (each fit starts from the L1 solution
at the same ``alpha`` and ends coordinate-wise optimal).

Run::

    python examples/plot_07_l0_vs_l1.py [--fast] [--out DIR]

writes ``plot_07_l0_vs_l1.png`` into ``DIR`` (default: the current
directory). ``main(fast=True, out=...)`` returns the measured numbers.
"""

import argparse
import os
import warnings

import numpy as np
from scipy.linalg import toeplitz
from sklearn.exceptions import ConvergenceWarning

from skreg import RegularizedLogisticRegression, regularization_path

N_TRAIN, N_FEATURES, N_TRUE = 250, 30, 5
L0_ALPHAS = np.geomspace(0.08, 2e-3, 12)
FAST_L0_ALPHAS = np.array([0.04, 0.02, 0.0107, 0.0055])


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    cov = toeplitz(0.7 ** np.arange(N_FEATURES))
    X = rng.multivariate_normal(np.zeros(N_FEATURES), cov, N_TRAIN + 2000)
    support = np.sort(rng.choice(N_FEATURES, N_TRUE, replace=False))
    w = np.zeros(N_FEATURES)
    w[support] = 1.5 * rng.choice([-1.0, 1.0], N_TRUE)
    y = (rng.random(len(X)) < 1.0 / (1.0 + np.exp(-(X @ w)))).astype(int)
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:], support


def mean_loss(X, y, w, b):
    z = X @ w + b
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def save_png(fig, path, dpi=80):
    """Save ``fig`` as a small PNG: 80 dpi, quantized to a 128-colour palette (Pillow)."""
    from PIL import Image

    fig.savefig(path, dpi=dpi)
    Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)


def main(fast=False, out="."):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y, X_test, y_test, support = make_data()
    true = set(support.tolist())

    # L1: the whole path; keep, for each number of non-zeros, the first (largest-alpha) point.
    alphas, coefs, intercepts, _ = regularization_path(X, y, n_alphas=60 if fast else 100,
                                                       eps=1e-3)
    l1 = {}
    for a, w, b in zip(alphas, coefs[:, 0], intercepts[:, 0]):
        s = int(np.count_nonzero(w))
        if s not in l1:
            kept = set(np.flatnonzero(w).tolist())
            l1[s] = dict(alpha=float(a), train=mean_loss(X, y, w, b),
                         test=mean_loss(X_test, y_test, w, b), tp=len(kept & true),
                         support=sorted(kept))
    # L0: one fit per alpha; keep, for each number of non-zeros, the lowest training loss.
    l0 = {}
    for a in (FAST_L0_ALPHAS if fast else L0_ALPHAS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = RegularizedLogisticRegression(penalty="l0", l1_ratio=1.0, alpha=a).fit(X, y)
        w, b = clf.coef_[0], clf.intercept_[0]
        s = int(np.count_nonzero(w))
        train = mean_loss(X, y, w, b)
        if s not in l0 or train < l0[s]["train"]:
            kept = set(np.flatnonzero(w).tolist())
            l0[s] = dict(alpha=float(a), train=train, test=mean_loss(X_test, y_test, w, b),
                         tp=len(kept & true), support=sorted(kept))

    common = sorted(set(l1) & set(l0) - {0})
    # The smallest L1 model that contains every true feature.
    l1_full = min((s for s in l1 if l1[s]["tp"] == N_TRUE), default=None)
    res = {
        "true_support": support.tolist(),
        "l0_support_at_k": l0.get(N_TRUE, {}).get("support"),
        "l0_true_positives_at_k": l0.get(N_TRUE, {}).get("tp"),
        "l1_max_true_positives_with_at_most_k": max(v["tp"] for s, v in l1.items()
                                                    if s <= N_TRUE),
        "l1_nnz_needed_for_full_support": l1_full,
        "common_sparsities": common,
        "l0_train_loss": {s: l0[s]["train"] for s in common},
        "l1_train_loss": {s: l1[s]["train"] for s in common},
        "l0_test_loss": {s: l0[s]["test"] for s in common},
        "l1_test_loss": {s: l1[s]["test"] for s in common},
        "l0_by_nnz": {s: (v["train"], v["tp"]) for s, v in sorted(l0.items())},
    }

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    s1 = sorted(s for s in l1 if s <= 15)
    s0 = sorted(s for s in l0 if s <= 15)
    ax = axes[0]
    ax.plot(s1, [l1[s]["train"] for s in s1], "o-", color="tab:blue", label="L1, training")
    ax.plot(s0, [l0[s]["train"] for s in s0], "s-", color="tab:red", label="L0, training")
    ax.plot(s1, [l1[s]["test"] for s in s1], "o:", color="tab:blue", alpha=0.6,
            label="L1, held-out")
    ax.plot(s0, [l0[s]["test"] for s in s0], "s:", color="tab:red", alpha=0.6,
            label="L0, held-out")
    ax.axvline(N_TRUE, color="0.5", linestyle="--", linewidth=1)
    ax.set_xlabel("number of non-zero weights")
    ax.set_ylabel("mean logistic loss")
    ax.set_title("loss at equal sparsity (L1 shrinks, L0 does not)", fontsize="medium")
    ax.legend(fontsize="small")
    ax = axes[1]
    ax.plot(s1, [l1[s]["tp"] for s in s1], "o-", color="tab:blue", label="L1")
    ax.plot(s0, [l0[s]["tp"] for s in s0], "s-", color="tab:red", label="L0")
    ideal = np.arange(0, 16)
    ax.plot(ideal, np.minimum(ideal, N_TRUE), color="0.6", linestyle="--", linewidth=1,
            label="perfect selection")
    ax.set_xlabel("number of non-zero weights")
    ax.set_ylabel(f"true features kept (of {N_TRUE})")
    ax.set_title("support recovery", fontsize="medium")
    ax.legend(fontsize="small")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "plot_07_l0_vs_l1.png")
    save_png(fig, path)
    plt.close(fig)
    res["png"] = path
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fewer L0 fits (tests)")
    parser.add_argument("--out", default=".", help="directory for the PNG (default: .)")
    args = parser.parse_args()
    for key, value in main(fast=args.fast, out=args.out).items():
        print(f"{key}: {value}")
