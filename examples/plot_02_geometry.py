"""The geometry of L1 and L2: loss contours, the diamond and the disc.

Claim. Minimising ``loss(w) + alpha * R(w)`` is the same as minimising
``loss(w)`` over the ball ``R(w) <= t`` for the matching radius ``t``. The
solution is where the smallest loss contour touches the ball:

- L1 (``R = ||w||_1``, a diamond): the contour tends to touch at a **corner**,
  so a coordinate is exactly zero. The KKT conditions say why: at the
  solution ``-grad loss = alpha * s`` with ``s_j = sign(w_j)`` for non-zero
  ``w_j`` and ``|s_j| <= 1`` for zero ones -- a whole interval of normals fits
  the corner.
- L2 (``R = ||w||^2 / 2``, a disc): the boundary is smooth, its normal at
  ``w`` is ``w`` itself, so ``-grad loss = alpha * w``: the solution is where
  the gradient is parallel to ``w``, and generically both coordinates are
  non-zero.

The script fits both estimators (2 features, no intercept), finds the
constrained minimum on the diamond / the circle of the matching radius by
brute force (a dense walk along the boundary), checks that they coincide
with the estimators' solutions, and checks the KKT conditions.

Run::

    python examples/plot_02_geometry.py [--fast] [--out DIR]

writes ``plot_02_geometry.png`` into ``DIR`` (default: the current
directory). ``main(fast=True, out=...)`` returns the measured numbers.
"""

import argparse
import os

import numpy as np

from skreg import RegularizedLogisticRegression, regularization_path

ALPHA = 0.15  # same alpha for L1 and L2


def make_data(n_samples=300, seed=1):
    rng = np.random.default_rng(seed)
    cov = np.array([[1.0, 0.5], [0.5, 1.0]])
    X = rng.multivariate_normal([0.0, 0.0], cov, n_samples)
    y = (rng.random(n_samples) < 1.0 / (1.0 + np.exp(-X @ np.array([2.0, 0.5])))).astype(int)
    return X, y


def mean_loss(W, X, y):
    """Mean logistic loss at each row of W (shape (m, 2)); no intercept."""
    z = X @ np.atleast_2d(W).T  # (n, m)
    return np.mean(np.logaddexp(0.0, z) - y[:, None] * z, axis=0)


def loss_grad(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ (p - y) / X.shape[0]


def diamond(t, m):
    """m points walking along the boundary |w1| + |w2| = t."""
    u = np.linspace(0.0, 4.0, m, endpoint=False)
    edge, frac = np.floor(u).astype(int), u - np.floor(u)
    corners = t * np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 0]], dtype=float)
    return corners[edge] + frac[:, None] * (corners[edge + 1] - corners[edge])


def circle(r, m):
    th = np.linspace(0.0, 2 * np.pi, m, endpoint=False)
    return r * np.column_stack([np.cos(th), np.sin(th)])


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
    m = 20_000 if fast else 100_000
    fit = dict(fit_intercept=False, tol=1e-10)
    mle = RegularizedLogisticRegression(penalty=None, **fit).fit(X, y).coef_[0]
    l1 = RegularizedLogisticRegression(penalty="l1", alpha=ALPHA, **fit).fit(X, y)
    l2 = RegularizedLogisticRegression(penalty="l2", alpha=ALPHA, **fit).fit(X, y)
    w1, w2 = l1.coef_[0], l2.coef_[0]

    # Constrained problems of the matching radius, by brute force on the boundary
    # (the unconstrained minimum, the MLE, is outside both balls, so the
    # constrained minimum is on the boundary).
    t = np.abs(w1).sum()
    r = np.linalg.norm(w2)
    D, Cc = diamond(t, m), circle(r, m)
    d_best = D[np.argmin(mean_loss(D, X, y))]
    c_best = Cc[np.argmin(mean_loss(Cc, X, y))]

    g1, g2 = loss_grad(w1, X, y), loss_grad(w2, X, y)
    nz = w1 != 0
    res = {
        "alpha": ALPHA,
        "mle": mle.tolist(),
        "mle_l1_norm": float(np.abs(mle).sum()),
        "l1_solution": w1.tolist(),
        "l1_radius_t": float(t),
        "l1_n_zero": int(np.sum(w1 == 0)),
        "l1_brute_force_on_diamond": d_best.tolist(),
        "l1_distance_to_brute_force": float(np.linalg.norm(d_best - w1)),
        "l1_loss_minus_diamond_min": float(mean_loss(w1, X, y)[0]
                                           - mean_loss(D, X, y).min()),
        # KKT: -grad = alpha * sign(w) on the support, |grad| <= alpha off it.
        "l1_kkt_support_residual": float(np.max(np.abs(g1[nz] + ALPHA * np.sign(w1[nz])))),
        "l1_kkt_zero_coord_grad_over_alpha": float(np.max(np.abs(g1[~nz])) / ALPHA)
        if np.any(~nz) else float("nan"),
        "l2_solution": w2.tolist(),
        "l2_radius_r": float(r),
        "l2_brute_force_on_circle": c_best.tolist(),
        "l2_distance_to_brute_force": float(np.linalg.norm(c_best - w2)),
        # KKT: -grad = alpha * w, so grad is anti-parallel to w.
        "l2_cos_grad_w": float(g2 @ w2 / (np.linalg.norm(g2) * np.linalg.norm(w2))),
        "l2_kkt_residual": float(np.max(np.abs(g2 + ALPHA * w2))),
        "estimator_kkt": [float(l1.kkt_violation_), float(l2.kkt_violation_)],
    }

    # Picture: contours, the two balls, the solutions and the two paths.
    n_alphas = 30 if fast else 80
    a_path, c_l1, _, _ = regularization_path(X, y, penalty="l1", fit_intercept=False,
                                             n_alphas=n_alphas, eps=1e-3)
    _, c_l2, _, _ = regularization_path(X, y, penalty="l2", fit_intercept=False,
                                        alphas=a_path * 20)
    g = 120 if fast else 250
    u, v = np.meshgrid(np.linspace(-0.9, 1.8, g), np.linspace(-0.9, 1.2, g))
    Lgrid = mean_loss(np.column_stack([u.ravel(), v.ravel()]), X, y).reshape(u.shape)
    fig, ax = plt.subplots(figsize=(6.4, 5.2), constrained_layout=True)
    L1_level, L2_level = mean_loss(np.vstack([w1, w2]), X, y)
    top = Lgrid.min() + 1.6 * (L1_level - Lgrid.min())
    ax.contour(u, v, Lgrid, levels=Lgrid.min() + (top - Lgrid.min())
               * np.linspace(0.0, 1.0, 14)[1:] ** 2, colors="0.65", linewidths=0.6)
    # The two contours that touch the balls at the solutions.
    ax.contour(u, v, Lgrid, levels=[L2_level], colors="tab:blue", linewidths=1.0,
               linestyles="--")
    ax.contour(u, v, Lgrid, levels=[L1_level], colors="tab:red", linewidths=1.0,
               linestyles="--")
    Dp, Cp = diamond(t, 400), circle(r, 400)
    ax.fill(Dp[:, 0], Dp[:, 1], color="tab:red", alpha=0.15)
    ax.plot(*np.vstack([Dp, Dp[:1]]).T, color="tab:red", label=f"L1 ball, t = {t:.2f}")
    ax.fill(Cp[:, 0], Cp[:, 1], color="tab:blue", alpha=0.12)
    ax.plot(*np.vstack([Cp, Cp[:1]]).T, color="tab:blue", label=f"L2 ball, r = {r:.2f}")
    ax.plot(c_l1[:, 0, 0], c_l1[:, 0, 1], color="tab:red", linestyle=":", linewidth=1.2,
            label="L1 path (alpha varies)")
    ax.plot(c_l2[:, 0, 0], c_l2[:, 0, 1], color="tab:blue", linestyle=":", linewidth=1.2,
            label="L2 path")
    ax.plot(*mle, "k*", markersize=12, label="unpenalized optimum")
    ax.plot(*w1, "o", color="tab:red", markersize=8, label=f"L1 solution {np.round(w1, 2)}")
    ax.plot(*w2, "s", color="tab:blue", markersize=7, label=f"L2 solution {np.round(w2, 2)}")
    for w, gr, col in [(w1, g1, "tab:red"), (w2, g2, "tab:blue")]:
        ax.annotate("", xy=w - 2.0 * gr, xytext=w,
                    arrowprops=dict(arrowstyle="->", color=col, linewidth=1.2))
    ax.axhline(0, color="0.3", linewidth=0.5)
    ax.axvline(0, color="0.3", linewidth=0.5)
    ax.set_aspect("equal")
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    ax.set_title(f"Loss contours and the balls at alpha = {ALPHA}\n"
                 "(arrows: -grad loss, normal to the ball at the solution)", fontsize="medium")
    ax.legend(fontsize="x-small", loc="lower right")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "plot_02_geometry.png")
    save_png(fig, path)
    plt.close(fig)
    res["png"] = path
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="coarser grids (for tests)")
    parser.add_argument("--out", default=".", help="directory for the PNG (default: .)")
    args = parser.parse_args()
    for key, value in main(fast=args.fast, out=args.out).items():
        print(f"{key}: {value}")
