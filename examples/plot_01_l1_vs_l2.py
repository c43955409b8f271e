"""L1 makes weights sparse, L2 makes them small and spread.

Claim (the textbook picture of the two penalties):

1. At the same ``alpha``, the L1 (lasso) fit sets most irrelevant weights to
   **exactly zero**; the L2 (ridge / weight decay) fit sets none to zero but
   shrinks them all, spreading the weight over many features.
2. On two strongly correlated copies of one signal, L1 **keeps one** copy and
   drops the other, while L2 **shares** the weight about equally between them.

Data: 400 samples, 20 standardized features; features 0 and 1 are two noisy
copies of the same latent signal (correlation about 0.998), features 2 and 3
are two more signals, features 4-19 are pure noise.

The same holds inside a network: an ``ElasticNetMLPClassifier`` (one hidden
layer of 32 units, digits data) trained with an L1 penalty has a large share
of exactly-zero weights, the same network with L2 has none. Its picture,
drawn by ``skreg.plotting.MLPSparsityDisplay``, goes to
``plot_01_mlp_sparsity.png``.

Run::

    python examples/plot_01_l1_vs_l2.py [--fast] [--out DIR]

writes ``plot_01_l1_vs_l2.png`` and ``plot_01_mlp_sparsity.png`` into ``DIR`` (default: the current directory)
and prints the measured numbers. ``main(fast=True, out=...)`` returns them.
"""

import argparse
import os

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skreg import ElasticNetMLPClassifier, RegularizedLogisticRegression, regularization_path
from skreg.plotting import MLPSparsityDisplay, RegularizationPathDisplay

ALPHA = 0.05
NAMES = ["copy A", "copy B", "signal 2", "signal 3"] + [f"noise {j}" for j in range(4, 20)]


def make_data(n_samples=400, n_features=20, seed=0):
    """Features 0/1: two noisy copies of one latent signal; 2, 3: signals; rest: noise."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n_samples, 3))
    X = rng.standard_normal((n_samples, n_features))
    X[:, 0] = Z[:, 0] + 0.05 * rng.standard_normal(n_samples)
    X[:, 1] = Z[:, 0] + 0.05 * rng.standard_normal(n_samples)
    X[:, 2] = Z[:, 1]
    X[:, 3] = Z[:, 2]
    logit = 2.0 * Z[:, 0] + 1.5 * Z[:, 1] - 1.5 * Z[:, 2]
    y = (rng.random(n_samples) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    X = (X - X.mean(0)) / X.std(0)
    return X, y


def effective_number(w):
    """||w||_1^2 / ||w||_2^2: 1 for a single weight, p for p equal weights."""
    return float(np.sum(np.abs(w)) ** 2 / np.sum(w ** 2))


def save_png(fig, path, dpi=80):
    """Save ``fig`` as a small PNG: 80 dpi, quantized to a 128-colour palette (Pillow)."""
    from PIL import Image

    fig.savefig(path, dpi=dpi)
    Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)


def main(fast=False, out="."):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = make_data()
    l1 = RegularizedLogisticRegression(penalty="l1", alpha=ALPHA, tol=1e-8).fit(X, y)
    l2 = RegularizedLogisticRegression(penalty="l2", alpha=ALPHA, tol=1e-8).fit(X, y)
    w1, w2 = l1.coef_[0], l2.coef_[0]
    res = {
        "alpha": ALPHA,
        "corr_copies": float(np.corrcoef(X[:, 0], X[:, 1])[0, 1]),
        "l1_n_zero": int(np.sum(w1 == 0)),
        "l2_n_zero": int(np.sum(w2 == 0)),
        "l1_n_zero_noise": int(np.sum(w1[4:] == 0)),
        "n_noise": X.shape[1] - 4,
        "l1_max_abs_noise": float(np.abs(w1[4:]).max()),
        "l2_max_abs_noise": float(np.abs(w2[4:]).max()),
        "l1_effective_number": effective_number(w1),
        "l2_effective_number": effective_number(w2),
        "l1_copies": [float(w1[0]), float(w1[1])],
        "l2_copies": [float(w2[0]), float(w2[1])],
        "l2_copy_ratio": float(w2[0] / w2[1]),
        "l1_kkt": float(l1.kkt_violation_),
        "l2_kkt": float(l2.kkt_violation_),
    }

    n_alphas = 20 if fast else 60
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
    idx = np.arange(X.shape[1])
    axes[0].bar(idx - 0.2, w1, width=0.4, label=f"L1: {res['l1_n_zero']} exact zeros")
    axes[0].bar(idx + 0.2, w2, width=0.4, label=f"L2: {res['l2_n_zero']} exact zeros")
    axes[0].axhline(0, color="0.5", linewidth=0.6)
    axes[0].set_xticks([0, 1, 2, 3, 10, 19], ["A", "B", "2", "3", "noise", "19"])
    axes[0].set_title(f"weights at alpha = {ALPHA}")
    axes[0].set_xlabel("feature (A, B: correlated copies)")
    axes[0].legend(fontsize="small")
    for ax, penalty in zip(axes[1:], ["l1", "l2"]):
        alphas, coefs, _, _ = regularization_path(X, y, penalty=penalty, n_alphas=n_alphas,
                                                  eps=1e-2)
        disp = RegularizationPathDisplay.from_path(
            alphas, coefs, alpha=ALPHA, feature_names=NAMES, ax=ax, n_labels=0,
            line_kwargs={"color": "0.75", "linewidth": 0.8})
        disp.count_text_.remove()
        for line, name in zip(disp.lines_, disp.line_features_):
            if name in ("copy A", "copy B"):
                line.set(color="tab:red" if name == "copy A" else "tab:blue", linewidth=2,
                         zorder=3, label=name)
        ax.legend(handles=[l for l in disp.lines_ if l.get_label().startswith("copy")],
                  fontsize="small", loc="upper left")
        ax.set_title(f"{penalty.upper()} path: the correlated copies "
                     + ("(one kept)" if penalty == "l1" else "(shared)"))
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "plot_01_l1_vs_l2.png")
    save_png(fig, path)
    plt.close(fig)
    res["png"] = path

    # The same contrast in a network (digits, 64 -> 32 -> 10).
    X_digits, y_digits = load_digits(return_X_y=True)
    X_digits = X_digits / 16.0
    fig, axes = plt.subplots(2, 3, figsize=(10, 6.4), constrained_layout=True,
                             gridspec_kw={"width_ratios": [1.4, 1, 1]})
    for row, penalty in enumerate(["l1", "l2"]):
        mlp = ElasticNetMLPClassifier(hidden_layer_sizes=(32,), penalty=penalty, alpha=1e-3,
                                      max_iter=30 if fast else 100, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(X_digits, y_digits)
        disp = MLPSparsityDisplay.from_estimator(mlp, ax=axes[row])
        disp.ax_.set_title(f"penalty={penalty!r}, alpha=1e-3: training accuracy "
                           f"{mlp.score(X_digits, y_digits):.2f}", fontsize="small")
        res[f"mlp_{penalty}_zero_fractions"] = disp.zero_fractions_.tolist()
        res[f"mlp_{penalty}_n_zero_weights"] = int(mlp.n_zero_weights_)
        res[f"mlp_{penalty}_mean_abs_weight"] = float(np.mean(np.abs(mlp.coefs_[0])))
        res[f"mlp_{penalty}_train_accuracy"] = float(mlp.score(X_digits, y_digits))
    fig.suptitle("Exact zeros per weight matrix: L1 (top) and L2 (bottom)")
    path = os.path.join(out, "plot_01_mlp_sparsity.png")
    save_png(fig, path)
    plt.close(fig)
    res["png_mlp"] = path
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="coarser grids (for tests)")
    parser.add_argument("--out", default=".", help="directory for the PNG (default: .)")
    args = parser.parse_args()
    for key, value in main(fast=args.fast, out=args.out).items():
        print(f"{key}: {value}")
