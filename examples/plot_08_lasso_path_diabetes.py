"""The Lasso path on diabetes, with the cross-validated choice of alpha marked.

Claim. As ``alpha`` decreases from ``alpha_max`` (the smallest value with an
all-zero solution) the Lasso admits the features one at a time, each when its
correlation with the current residual reaches ``alpha``; the path is piecewise
linear in ``alpha``. Cross-validation chooses a point on that path:

- ``RegularizedLinearRegressionCV`` (one warm-started path per fold) chooses the
  same ``alpha`` as scikit-learn's ``LassoCV`` on the same grid and folds, and
  its path is scikit-learn's ``lasso_path``: the objective is the same,
  ``1/(2n) ||y - Xw - b||^2 + alpha ||w||_1``;
- the one-standard-error rule picks a larger ``alpha`` with fewer features, at a
  CV error within one standard error (std over folds / sqrt(K)) of the best.

Data: scikit-learn's ``load_diabetes`` (442 patients, 10 standardized
features, a disease progression score), 5 shuffled folds, a 100-point grid
from ``alpha_max`` down to ``alpha_max / 1000``.

Run::

    python examples/plot_08_lasso_path_diabetes.py [--fast] [--out DIR]

writes ``plot_08_lasso_path_diabetes.png`` into ``DIR`` (default: the current
directory). ``main(fast=True, out=...)`` returns the measured numbers.
"""

import argparse
import os
import warnings

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LassoCV, lasso_path
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedLinearRegressionCV, regularization_path
from skreg.plotting import RegularizationPathDisplay


def save_png(fig, path, dpi=80):
    """Save ``fig`` as a small PNG: 80 dpi, quantized to a 128-colour palette (Pillow)."""
    from PIL import Image

    fig.savefig(path, dpi=dpi)
    Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)


def kkt_violation(X, y, w, b, alpha):
    """max_j dist(-grad_j, alpha * d|w_j|) and |grad_b| of the Lasso objective, in numpy."""
    r = y - X @ w - b
    g = -(X.T @ r) / len(y)
    viol = np.where(w != 0, np.abs(g + alpha * np.sign(w)), np.maximum(np.abs(g) - alpha, 0.0))
    return max(viol.max(), abs(r.mean()))


def main(fast=False, out="."):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = load_diabetes()
    X = StandardScaler().fit_transform(data.data)
    y = data.target
    names = np.asarray(data.feature_names)
    n_alphas = 40 if fast else 100
    splits = list(KFold(5, shuffle=True, random_state=0).split(X))

    cv = RegularizedLinearRegressionCV(penalty="l1", n_alphas=n_alphas, eps=1e-3, cv=splits,
                                       tol=1e-8).fit(X, y)
    one_se = RegularizedLinearRegressionCV(penalty="l1", n_alphas=n_alphas, eps=1e-3,
                                           cv=splits, tol=1e-8,
                                           one_standard_error=True).fit(X, y)
    grid = cv.alphas_[0]
    alphas, coefs, intercepts, _ = regularization_path(X, y, loss="squared_error", alphas=grid,
                                                       tol=1e-8)
    coefs = coefs[:, 0, :]
    # The same grid and folds in scikit-learn.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ref = LassoCV(alphas=grid, cv=splits, tol=1e-10, max_iter=100000).fit(X, y)
        Xc, yc = X - X.mean(axis=0), y - y.mean()
        _, ref_coefs, _ = lasso_path(Xc, yc, alphas=grid, tol=1e-12, max_iter=100000)

    mse = -cv.scores_[0]                       # (n_alphas, n_folds) held-out MSE
    mean, se = mse.mean(axis=1), mse.std(axis=1) / np.sqrt(mse.shape[1])
    i_best = int(np.flatnonzero(grid == cv.alpha_)[0])
    i_se = int(np.flatnonzero(grid == one_se.alpha_)[0])
    # Order in which the features enter the path.
    first = [int(np.flatnonzero(coefs[:, j])[0]) if np.any(coefs[:, j]) else n_alphas
             for j in range(X.shape[1])]
    entry = [str(names[j]) for j in np.argsort(first, kind="stable")]
    kkt = max(kkt_violation(X, y, c, b[0], a) for a, c, b in zip(alphas, coefs, intercepts))
    scale = np.abs(ref_coefs).max()
    res = {
        "alpha_max": float(grid[0]),
        "cv_alpha": float(cv.alpha_),
        "cv_alpha_index": i_best,
        "cv_nnz": int(np.count_nonzero(cv.coef_)),
        "cv_mse": float(mean[i_best]),
        "one_se_alpha": float(one_se.alpha_),
        "one_se_alpha_index": i_se,
        "one_se_nnz": int(np.count_nonzero(one_se.coef_)),
        "one_se_mse": float(mean[i_se]),
        "one_se_threshold": float(mean[i_best] + se[i_best]),
        "lassocv_alpha_index": int(np.flatnonzero(grid == ref.alpha_)[0]),
        "lassocv_mse_max_rel_diff": float(np.max(np.abs(ref.mse_path_.mean(axis=1) - mean)
                                                 / mean)),
        "path_max_diff_vs_lasso_path": float(np.abs(coefs - ref_coefs.T).max() / scale),
        "path_max_kkt_over_alpha_max": float(kkt / grid[0]),
        "entry_order": entry,
        "kept_at_cv_alpha": [str(n) for n in names[cv.coef_ != 0]],
        "kept_at_one_se_alpha": [str(n) for n in names[one_se.coef_ != 0]],
    }

    fig, (ax, score_ax) = plt.subplots(2, 1, figsize=(8, 7), sharex=True,
                                       constrained_layout=True,
                                       gridspec_kw={"height_ratios": [3, 2]})
    disp = RegularizationPathDisplay.from_path(
        alphas, coefs, scores=-mse, alpha=cv.alpha_, feature_names=names,
        estimator_name="Lasso, diabetes", score_name="neg. held-out MSE", ax=ax,
        score_ax=score_ax)
    for a in (ax, score_ax):
        a.axvline(one_se.alpha_, color="tab:green", linestyle=":", linewidth=1.5)
    score_ax.axhline(-(mean[i_best] + se[i_best]), color="tab:green", linestyle=":",
                     linewidth=1)
    ax.set_title(f"CV choice alpha = {cv.alpha_:.3g} ({res['cv_nnz']} features, dashed); "
                 f"one-SE rule {one_se.alpha_:.3g} ({res['one_se_nnz']} features, dotted)",
                 fontsize="medium")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "plot_08_lasso_path_diabetes.png")
    save_png(disp.figure_, path)
    plt.close(fig)
    res["png"] = path
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a 40-point grid (tests)")
    parser.add_argument("--out", default=".", help="directory for the PNG (default: .)")
    args = parser.parse_args()
    for key, value in main(fast=args.fast, out=args.out).items():
        print(f"{key}: {value}")
