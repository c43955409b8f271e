"""Choosing lambda: hold-out, cross-validation and the one-standard-error rule.

Claim. ``alpha`` (lambda) is a hyper-parameter: choose it on data the model
was not fitted on.

- A single **hold-out** split scores each ``alpha`` on a few samples; its
  choice depends a lot on which samples were held out.
- **K-fold cross-validation** averages K held-out scores: over repeated random
  splits its choice of ``alpha`` varies less, and the model it picks is, on
  average, closer to the best possible on fresh data.
- The **one-standard-error rule** picks the largest ``alpha`` whose mean CV
  score is within one standard error (std over folds / sqrt(K)) of the best:
  a sparser model whose score is statistically indistinguishable.

Data: ``make_classification``, 50 features (5 informative), 200 training
samples, 5000 fresh test samples that play the role of the truth. Score:
held-out log-loss. Hold-out: 25% of the training set; CV: 5 folds. The
repeated comparison uses ``n_repeats`` random splits / fold shuffles.

Run::

    python examples/plot_06_choosing_lambda.py [--fast] [--out DIR]

writes ``plot_06_choosing_lambda.png`` into ``DIR`` (default: the current
directory). ``main(fast=True, out=...)`` returns the measured numbers.
"""

import argparse
import os

import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import StratifiedKFold, train_test_split

from skreg import RegularizedLogisticRegressionCV, regularization_path
from skreg.plotting import RegularizationPathDisplay


def save_png(fig, path, dpi=80):
    """Save ``fig`` as a small PNG: 80 dpi, quantized to a 128-colour palette (Pillow)."""
    from PIL import Image

    fig.savefig(path, dpi=dpi)
    Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)


def log_losses(X, y, coefs, intercepts):
    """Mean log-loss on (X, y) of every path point (binary)."""
    Z = X @ coefs[:, 0, :].T + intercepts[:, 0]
    return np.mean(np.logaddexp(0.0, Z) - y[:, None] * Z, axis=0)


def one_se_index(scores):
    """Index (in a decreasing grid) of the largest alpha within one SE of the best mean."""
    mean = scores.mean(axis=1)
    se = scores.std(axis=1) / np.sqrt(scores.shape[1])
    best = int(np.argmax(mean))
    return int(np.flatnonzero(mean >= mean[best] - se[best])[0]), best


def main(fast=False, out="."):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X_all, y_all = make_classification(n_samples=5200, n_features=50, n_informative=5,
                                       n_redundant=0, flip_y=0.05, class_sep=0.8,
                                       random_state=0)
    X, y, X_test, y_test = X_all[:200], y_all[:200], X_all[200:], y_all[200:]
    n_alphas = 30 if fast else 50
    n_repeats = 5 if fast else 20

    # The grid and the "truth": the path on all 200 samples, scored on 5000 fresh ones.
    alphas, coefs, intercepts, _ = regularization_path(X, y, n_alphas=n_alphas, eps=1e-3)
    test_loss = log_losses(X_test, y_test, coefs, intercepts)
    nnz = np.count_nonzero(coefs[:, 0, :], axis=1)
    i_oracle = int(np.argmin(test_loss))

    # One cross-validation, with and without the one-SE rule.
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    cv = RegularizedLogisticRegressionCV(alphas=alphas, cv=folds).fit(X, y)
    cv_1se = RegularizedLogisticRegressionCV(alphas=alphas, cv=folds,
                                             one_standard_error=True).fit(X, y)
    scores = cv.scores_[0]
    i_1se, i_best = one_se_index(scores)
    mean, se = scores.mean(1), scores.std(1) / np.sqrt(scores.shape[1])

    # One hold-out split.
    def holdout_curve(seed):
        X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=0.25, stratify=y,
                                                      random_state=seed)
        _, c, b, _ = regularization_path(X_fit, y_fit, alphas=alphas)
        return -log_losses(X_val, y_val, c, b)

    ho = holdout_curve(0)
    i_ho = int(np.argmax(ho))

    # Repeated: how much does each choice vary, and how good is it on fresh data?
    picks = {"holdout": [], "cv": [], "cv_1se": []}
    for r in range(n_repeats):
        picks["holdout"].append(int(np.argmax(holdout_curve(100 + r))))
        rep = RegularizedLogisticRegressionCV(
            alphas=alphas, cv=StratifiedKFold(5, shuffle=True, random_state=100 + r),
            refit=False).fit(X, y)
        i1, ib = one_se_index(rep.scores_[0])
        picks["cv"].append(ib)
        picks["cv_1se"].append(i1)
    log_a = np.log10(alphas)
    res = {
        "alpha_oracle": float(alphas[i_oracle]),
        "alpha_cv": float(cv.alpha_),
        "alpha_cv_1se": float(cv_1se.alpha_),
        "alpha_cv_1se_recomputed": float(alphas[i_1se]),
        "alpha_holdout": float(alphas[i_ho]),
        "nnz_cv": int(np.count_nonzero(cv.coef_)),
        "nnz_cv_1se": int(np.count_nonzero(cv_1se.coef_)),
        "cv_best_mean_score": float(mean[i_best]),
        "cv_best_se": float(se[i_best]),
        "cv_1se_mean_score": float(mean[i_1se]),
        "test_loss_oracle": float(test_loss[i_oracle]),
        "test_loss_cv": float(test_loss[i_best]),
        "test_loss_cv_1se": float(test_loss[i_1se]),
        "n_repeats": n_repeats,
        "std_log10_alpha_holdout": float(np.std(log_a[picks["holdout"]])),
        "std_log10_alpha_cv": float(np.std(log_a[picks["cv"]])),
        "mean_excess_test_loss_holdout": float(np.mean(test_loss[picks["holdout"]])
                                               - test_loss[i_oracle]),
        "mean_excess_test_loss_cv": float(np.mean(test_loss[picks["cv"]])
                                          - test_loss[i_oracle]),
        "mean_excess_test_loss_cv_1se": float(np.mean(test_loss[picks["cv_1se"]])
                                              - test_loss[i_oracle]),
        "mean_nnz_cv": float(np.mean(nnz[picks["cv"]])),
        "mean_nnz_cv_1se": float(np.mean(nnz[picks["cv_1se"]])),
    }

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), constrained_layout=True)
    ax = axes[0]
    ax.plot(alphas, -test_loss, color="k", linewidth=2, label="fresh data (5000 samples)")
    ax.plot(alphas, ho, color="tab:orange", label="one hold-out split (50 samples)")
    ax.plot(alphas, mean, color="tab:blue", label="5-fold CV mean")
    ax.fill_between(alphas, mean - se, mean + se, color="tab:blue", alpha=0.2,
                    label="± one standard error")
    for a, col, lab in [(alphas[i_ho], "tab:orange", "hold-out pick"),
                        (cv.alpha_, "tab:blue", "CV pick"),
                        (cv_1se.alpha_, "tab:purple", "one-SE pick")]:
        ax.axvline(a, color=col, linestyle="--", linewidth=1, label=f"{lab}: {a:.3g}")
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_ylim(-0.9, -0.28)
    ax.set_xlabel("alpha (log scale, decreasing →)")
    ax.set_ylabel("score (neg. log-loss)")
    ax.set_title("the same grid scored three ways", fontsize="medium")
    ax.legend(fontsize="x-small", loc="lower right")
    ax = axes[1]
    bins = np.arange(n_alphas + 1) - 0.5
    for key, col, lab in [("holdout", "tab:orange", "hold-out"), ("cv", "tab:blue", "5-fold CV"),
                          ("cv_1se", "tab:purple", "CV + one-SE")]:
        ax.hist(picks[key], bins=bins, color=col, alpha=0.5,
                label=f"{lab}: excess test loss {res['mean_excess_test_loss_' + key]:.3f}")
    ax.axvline(i_oracle, color="k", linewidth=2, label="best on fresh data")
    ticks = np.arange(0, n_alphas, max(1, n_alphas // 6))
    ax.set_xticks(ticks, [f"{alphas[i]:.2g}" for i in ticks])
    ax.set_xlabel("chosen alpha (grid, decreasing →)")
    ax.set_ylabel(f"times chosen in {n_repeats} repeats")
    ax.set_title("choices over repeated random splits", fontsize="medium")
    ax.legend(fontsize="x-small")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "plot_06_choosing_lambda.png")
    save_png(fig, path)
    plt.close(fig)
    res["png"] = path
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="coarser grid, fewer repeats")
    parser.add_argument("--out", default=".", help="directory for the PNG (default: .)")
    args = parser.parse_args()
    for key, value in main(fast=args.fast, out=args.out).items():
        print(f"{key}: {value}")
