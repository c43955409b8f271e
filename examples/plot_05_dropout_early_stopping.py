"""Dropout and early stopping against overfitting.

Claim. A large unregularized network trained long enough on a small noisy
training set memorizes it: the training loss goes to zero while the loss on
held-out data, after a minimum early in training, climbs again (overfitting).

- **Dropout** (0.5 on the hidden units, 0.2 on the inputs, the setting of
  Srivastava et al. 2014) keeps the training loss away from zero and the
  held-out loss close to its minimum for the whole run.
- **Early stopping** watches a validation split (its loss, the default
  ``scoring``), stops once it has not improved for ``n_iter_no_change``
  epochs and returns the best epoch's weights: it stops long before
  ``max_iter``, near the minimum of the held-out loss.

Data: ``make_classification`` with 30 features (5 informative) and 15% flipped
labels; 200 training samples, 1000 held-out samples. Network: two hidden
layers of 128 ReLU units, Adam, no penalty, full-batch epochs.

Run::

    python examples/plot_05_dropout_early_stopping.py [--fast] [--out DIR]

writes ``plot_05_dropout_early_stopping.png`` into ``DIR`` (default: the
current directory). ``main(fast=True, out=...)`` returns the measured numbers.
"""

import argparse
import os
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss

from skreg import ElasticNetMLPClassifier

COMMON = dict(hidden_layer_sizes=(128, 128), penalty=None, learning_rate_init=1e-3,
              random_state=0)


def curves(mlp, X, y, X_val, y_val, n_epochs, every):
    """Train epoch by epoch (partial_fit); log losses every ``every`` epochs."""
    epochs, train, val = [], [], []
    for epoch in range(1, n_epochs + 1):
        mlp.partial_fit(X, y, classes=[0, 1])
        if epoch % every == 0:
            epochs.append(epoch)
            train.append(log_loss(y, mlp.predict_proba(X)))
            val.append(log_loss(y_val, mlp.predict_proba(X_val)))
    return np.array(epochs), np.array(train), np.array(val)


def save_png(fig, path, dpi=80):
    """Save ``fig`` as a small PNG: 80 dpi, quantized to a 128-colour palette (Pillow)."""
    from PIL import Image

    fig.savefig(path, dpi=dpi)
    Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)


def main(fast=False, out="."):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = make_classification(n_samples=1200, n_features=30, n_informative=5,
                               n_redundant=0, flip_y=0.15, random_state=0)
    X_train, y_train, X_val, y_val = X[:200], y[:200], X[200:], y[200:]
    n_epochs, every = (80, 4) if fast else (150, 2)

    runs = {
        "plain": ElasticNetMLPClassifier(**COMMON),
        "dropout": ElasticNetMLPClassifier(dropout=0.5, input_dropout=0.2, **COMMON),
    }
    res = {"n_epochs": n_epochs}
    data = {}
    for name, mlp in runs.items():
        ep, tr, va = curves(mlp, X_train, y_train, X_val, y_val, n_epochs, every)
        data[name] = (ep, tr, va)
        res[f"{name}_final_train_loss"] = float(tr[-1])
        res[f"{name}_final_val_loss"] = float(va[-1])
        res[f"{name}_min_val_loss"] = float(va.min())
        res[f"{name}_min_val_epoch"] = int(ep[va.argmin()])
        res[f"{name}_final_val_accuracy"] = float(mlp.score(X_val, y_val))

    es = ElasticNetMLPClassifier(early_stopping=True, validation_fraction=0.2,
                                 n_iter_no_change=10, max_iter=n_epochs, **COMMON)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        es.fit(X_train, y_train)
    best_epoch = int(np.argmax(es.validation_scores_)) + 1
    res.update({
        "early_stopping_n_iter": int(es.n_iter_),
        "early_stopping_best_epoch": best_epoch,
        "early_stopping_best_validation_loss": -float(es.best_validation_score_),
        "early_stopping_val_loss": float(log_loss(y_val, es.predict_proba(X_val))),
        "early_stopping_val_accuracy": float(es.score(X_val, y_val)),
    })

    fig, axes = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
    for ax, name, title in [(axes[0], "plain", "no regularization"),
                            (axes[1], "dropout", "dropout 0.5 (inputs 0.2)")]:
        ep, tr, va = data[name]
        ax.plot(ep, tr, label="training loss", color="tab:blue")
        ax.plot(ep, va, label="held-out loss", color="tab:orange")
        ax.axvline(res[f"{name}_min_val_epoch"], color="tab:orange", linestyle=":",
                   linewidth=1)
        ax.set_yscale("log")
        ax.set_ylim(1e-3, 3)
        ax.set_xlabel("epoch")
        ax.set_title(f"{title}: final held-out loss {va[-1]:.2f}", fontsize="medium")
        ax.legend(fontsize="small")
    axes[0].set_ylabel("log loss")
    ax = axes[2]
    ep, tr, va = data["plain"]
    ax.plot(ep, va, color="tab:orange", alpha=0.5, label="held-out loss, no regularization")
    ax.axvline(res["early_stopping_n_iter"], color="k", linestyle="--",
               label=f"early stopping stops (epoch {res['early_stopping_n_iter']})")
    ax.plot([best_epoch], [res["early_stopping_val_loss"]], "o", color="tab:green",
            label=f"returned (best) epoch {best_epoch}: held-out loss "
                  f"{res['early_stopping_val_loss']:.2f}")
    ax.set_xlabel("epoch")
    ax.set_title("early stopping on a 20% validation split", fontsize="medium")
    ax.plot(np.arange(1, len(es.validation_scores_) + 1), -np.asarray(es.validation_scores_),
            color="tab:green", linewidth=1, label="validation-split loss (early stopping)")
    ax.legend(fontsize="x-small", loc="lower right")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "plot_05_dropout_early_stopping.png")
    save_png(fig, path)
    plt.close(fig)
    res["png"] = path
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fewer epochs (tests)")
    parser.add_argument("--out", default=".", help="directory for the PNG (default: .)")
    args = parser.parse_args()
    for key, value in main(fast=args.fast, out=args.out).items():
        print(f"{key}: {value}")
