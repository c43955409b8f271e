"""Weight decay pushes tanh units into their linear range.

Claim. With an L2 penalty (weight decay, ``ElasticNetMLPClassifier`` with
``penalty="elasticnet", l1_ratio=0``) the hidden weights shrink as ``alpha``
grows, so the pre-activations ``z = x W + b`` of the tanh units concentrate
near 0, where ``tanh(z) ~ z``. A network of near-linear units composes into a
near-linear function: the decision boundary straightens, and the network's
logit becomes almost an affine function of the input.

Measured for each ``alpha`` (two-moons data, one hidden layer of 30 tanh
units): the spread (standard deviation) of the pre-activations on the
training data, the fraction of them inside ``|z| < 0.5`` (where tanh is within
8% of linear), and the R^2 of the best affine fit to the network's logit over
the input box (1 = exactly linear decision function).

Run::

    python examples/plot_04_weight_decay_tanh.py [--fast] [--out DIR]

writes ``plot_04_weight_decay_tanh.png`` into ``DIR`` (default: the current
directory). ``main(fast=True, out=...)`` returns the measured numbers.
"""

import argparse
import os
import warnings

import numpy as np
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning

from skreg import ElasticNetMLPClassifier

ALPHAS = [1e-4, 3e-3, 1e-2, 1e-1]
FAST_ALPHAS = [1e-4, 1e-2, 1e-1]


def logit(mlp, X):
    """The network's output logit, computed from coefs_ / intercepts_ (one hidden layer)."""
    H = np.tanh(X @ mlp.coefs_[0] + mlp.intercepts_[0])
    return (H @ mlp.coefs_[1] + mlp.intercepts_[1]).ravel()


def affine_r2(f, G):
    """R^2 of the least-squares affine fit of f over the points G."""
    A = np.column_stack([G, np.ones(len(G))])
    coef, *_ = np.linalg.lstsq(A, f, rcond=None)
    return float(1.0 - np.sum((f - A @ coef) ** 2) / np.sum((f - f.mean()) ** 2))


def save_png(fig, path, dpi=80):
    """Save ``fig`` as a small PNG: 80 dpi, quantized to a 128-colour palette (Pillow)."""
    from PIL import Image

    fig.savefig(path, dpi=dpi)
    Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)


def main(fast=False, out="."):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = make_moons(n_samples=300, noise=0.2, random_state=0)
    X = (X - X.mean(0)) / X.std(0)
    g = np.linspace(-2.5, 2.5, 80 if fast else 200)
    U, V = np.meshgrid(g, g)
    G = np.column_stack([U.ravel(), V.ravel()])

    alphas = FAST_ALPHAS if fast else ALPHAS
    res = {"alphas": alphas, "preact_std": [], "frac_linear": [], "logit_affine_r2": [],
           "train_accuracy": [], "weight_norm": []}
    fig, axes = plt.subplots(2, len(alphas), figsize=(2.9 * len(alphas), 5.8),
                             constrained_layout=True)
    for k, alpha in enumerate(alphas):
        mlp = ElasticNetMLPClassifier(
            hidden_layer_sizes=(30,), activation="tanh", penalty="elasticnet", l1_ratio=0.0,
            alpha=alpha, learning_rate_init=0.01, max_iter=800 if fast else 1500, tol=1e-6,
            n_iter_no_change=50, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(X, y)
        Z = X @ mlp.coefs_[0] + mlp.intercepts_[0]
        f = logit(mlp, G)
        res["preact_std"].append(float(Z.std()))
        res["frac_linear"].append(float(np.mean(np.abs(Z) < 0.5)))
        res["logit_affine_r2"].append(affine_r2(f, G))
        res["train_accuracy"].append(float(mlp.score(X, y)))
        res["weight_norm"].append(float(np.linalg.norm(mlp.coefs_[0])))

        ax = axes[0, k]
        ax.contourf(U, V, f.reshape(U.shape) > 0, levels=[-0.5, 0.5, 1.5],
                    colors=["#cfe0f3", "#f6d3c4"])
        ax.contour(U, V, f.reshape(U.shape), levels=[0.0], colors="k", linewidths=1.2)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=8, edgecolors="none")
        ax.set_title(f"alpha = {alpha:g}\ntrain acc {res['train_accuracy'][-1]:.2f}, "
                     f"affine R² {res['logit_affine_r2'][-1]:.3f}", fontsize="small")
        ax.set_xticks([])
        ax.set_yticks([])
        ax = axes[1, k]
        zz = np.linspace(-5, 5, 200)
        ax.plot(zz, np.tanh(zz), color="0.6", linewidth=1)
        ax.plot(zz, zz, color="0.8", linewidth=0.8, linestyle="--")
        zs = Z.ravel()[:: max(1, Z.size // 1500)]
        ax.plot(zs, np.tanh(zs), ".", markersize=2, color="tab:purple")
        ax.axvspan(-0.5, 0.5, color="tab:green", alpha=0.12)
        ax.set_xlim(-5, 5)
        ax.set_ylim(-1.15, 1.15)
        ax.set_title(f"pre-activations: std {res['preact_std'][-1]:.2f}, "
                     f"{res['frac_linear'][-1]:.0%} in |z|<0.5", fontsize="small")
        ax.set_xlabel("z = xW + b")
    axes[1, 0].set_ylabel("tanh(z)")
    axes[0, 0].set_ylabel("decision boundary")
    fig.suptitle("Weight decay (L2) on a tanh network: units move to the linear range, "
                 "the boundary straightens", fontsize="medium")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "plot_04_weight_decay_tanh.png")
    save_png(fig, path)
    plt.close(fig)
    res["png"] = path
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fewer alphas and epochs (tests)")
    parser.add_argument("--out", default=".", help="directory for the PNG (default: .)")
    args = parser.parse_args()
    for key, value in main(fast=args.fast, out=args.out).items():
        print(f"{key}: {value}")
