"""Feature selection inside a network: group lasso on the first layer.

Claim. Penalizing each input's outgoing weights as one group,
``group_alpha * sum_j ||W_0[j, :]||_2`` (``group_alpha`` of
``ElasticNetMLPRegressor`` / ``ElasticNetMLPClassifier``), disconnects whole
inputs: their rows of ``coefs_[0]`` become exactly zero. Because the selection
happens inside the network, it finds inputs that matter only *nonlinearly*:

- regression, ``make_friedman1`` with 5 informative inputs among 100
  (``10 sin(pi x0 x1) + 20 (x2 - 1/2)^2 + 10 x3 + 5 x4`` plus noise);
- classification, an XOR-style problem with 5 informative inputs among 100:
  ``y = [x0 x1 + x2 x3 + x4^2 > 1]`` with standard normal inputs. Every
  informative input is uncorrelated with ``y`` (the products and the square
  are even in each input), so a linear model sees nothing: L1 logistic
  regression (cross-validated) is no better than predicting the majority
  class and does not rank the informative inputs first.

On both, the network keeps the 5 informative inputs and drops at least 90%
of the 95 noise ones. The path over ``group_alpha`` (``group_path``: warm
starts from the less penalized end) shows the inputs leaving one by one
(``skreg.plotting.GroupPathDisplay``); the value kept is the largest whose
validation score is within ``TOLERANCE`` of the best, and the test score of
that network is reported. ``feature_importances_`` (normalized group norms)
plug into ``sklearn.feature_selection.SelectFromModel``.

Run::

    python examples/plot_10_network_feature_selection.py [--fast] [--out DIR]

writes ``plot_10_network_feature_selection.png`` into ``DIR`` (default: the
current directory). ``main(fast=True, out=...)`` returns the measured numbers.
"""

import argparse
import os
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectFromModel
from sklearn.pipeline import make_pipeline

from skreg import ElasticNetMLPClassifier, ElasticNetMLPRegressor, RegularizedLogisticRegressionCV
from skreg.plotting import GroupPathDisplay

N_TRAIN, N_VAL, N_TEST = 2000, 1000, 4000
N_FEATURES, N_INFORMATIVE = 100, 5
#: A path value is acceptable when its validation score is within this of the best.
TOLERANCE = 0.01
NETWORK = dict(hidden_layer_sizes=(32,), alpha=1e-3, learning_rate_init=3e-3, max_iter=300,
               random_state=0)


def split(X, y):
    """Training, validation and test parts."""
    a, b = N_TRAIN, N_TRAIN + N_VAL
    return (X[:a], y[:a]), (X[a:b], y[a:b]), (X[b:], y[b:])


def make_regression(seed=0):
    """``make_friedman1`` with 95 noise inputs; inputs and target standardized."""
    X, y = make_friedman1(N_TRAIN + N_VAL + N_TEST, N_FEATURES, noise=1.0, random_state=seed)
    X = (X - 0.5) * np.sqrt(12.0)  # uniform [0, 1] -> mean 0, variance 1
    return split(X, (y - y[:N_TRAIN].mean()) / y[:N_TRAIN].std())


def make_xor(seed=0):
    """``y = [x0 x1 + x2 x3 + x4^2 > 1]``, 100 standard normal inputs."""
    X = np.random.default_rng(seed).standard_normal((N_TRAIN + N_VAL + N_TEST, N_FEATURES))
    y = (X[:, 0] * X[:, 1] + X[:, 2] * X[:, 3] + X[:, 4] ** 2 > 1.0).astype(int)
    return split(X, y)


def select_on_path(model, train, val, test, group_alphas):
    """Fit the path; choose the support by the validation score of a refit on it.

    The group penalty shrinks the weights of the inputs it keeps, too; as
    in the relaxed lasso, each support found along the path is judged by a
    network refitted without the group penalty on those inputs only
    (``SelectFromModel`` on the path's network, then the network), and the
    sparsest support whose refit scores within ``TOLERANCE`` of the best is
    kept.
    """
    path = model.group_path(*train, group_alphas=group_alphas)
    refits = {}
    for est in path.estimators:
        key = tuple(np.flatnonzero(est.input_support_))
        if key and key not in refits:
            refit = make_pipeline(SelectFromModel(est, prefit=True, threshold=1e-12),
                                  clone(model)).fit(*train)
            refits[key] = (est, refit, refit.score(*val))
    best = max(score for _, _, score in refits.values())
    est, refit, _ = min((v for v in refits.values() if v[2] >= best - TOLERANCE),
                        key=lambda v: v[0].input_support_.sum())
    support = est.input_support_
    path_scores = [refits[tuple(np.flatnonzero(e.input_support_))][2]
                   if e.input_support_.any() else np.nan for e in path.estimators]
    return path, np.array(path_scores), dict(
        group_alpha=float(est.group_alpha),
        informative_kept=int(support[:N_INFORMATIVE].sum()),
        noise_kept=int(support[N_INFORMATIVE:].sum()),
        noise_dropped_fraction=float(1.0 - support[N_INFORMATIVE:].mean()),
        refit_test_score=float(refit.score(*test)),
        dense_test_score=float(clone(model).fit(*train).score(*test)),
        select_from_model_matches=bool(np.array_equal(refit[0].get_support(), support)),
    )


def save_png(fig, path, dpi=80):
    """Save ``fig`` as a small PNG: 80 dpi, quantized to a 128-colour palette (Pillow)."""
    from PIL import Image

    fig.savefig(path, dpi=dpi)
    Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)


def main(fast=False, out="."):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.geomspace(3e-3, 0.3, 8 if fast else 15)
    problems = {
        "regression": (ElasticNetMLPRegressor(**NETWORK), make_regression()),
        "xor": (ElasticNetMLPClassifier(**NETWORK), make_xor()),
    }
    res = {}
    fig, axes = plt.subplots(2, 2, figsize=(12, 6.5), sharex="col",
                             gridspec_kw={"height_ratios": [2, 1]}, constrained_layout=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for col, (name, (model, (train, val, test))) in enumerate(problems.items()):
            path, val_scores, found = select_on_path(model, train, val, test, grid)
            res.update({f"{name}_{k}": v for k, v in found.items()})
            disp = GroupPathDisplay.from_path(
                path.group_alphas, path.group_norms, scores=val_scores,
                group_alpha=found["group_alpha"], score_name="refit's validation " + (
                    "R^2" if name == "regression" else "accuracy"),
                ax=axes[0, col], count_ax=axes[1, col], n_labels=N_INFORMATIVE + 2)
            res[f"{name}_last_to_leave"] = disp.labelled_features_
            axes[0, col].set_title(
                f"{name}: {found['informative_kept']}/{N_INFORMATIVE} informative (x0-x4) and "
                f"{found['noise_kept']}/{N_FEATURES - N_INFORMATIVE} noise inputs kept",
                fontsize="medium")
        # The linear baseline on the XOR problem: L1 logistic regression, alpha by 5-fold CV.
        train, val, test = problems["xor"][1]
        lin = RegularizedLogisticRegressionCV(penalty="l1", n_alphas=20).fit(*train)
        coef = lin.coef_.ravel()
        res.update(
            xor_l1_logistic_test_accuracy=float(lin.score(*test)),
            xor_majority_test_accuracy=float(max(test[1].mean(), 1.0 - test[1].mean())),
            xor_l1_logistic_n_selected=int(np.count_nonzero(coef)),
            xor_l1_logistic_informative_selected=int(np.count_nonzero(coef[:N_INFORMATIVE])),
        )
    fig.suptitle("Group lasso on the first layer: inputs leaving the network as group_alpha "
                 "grows")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "plot_10_network_feature_selection.png")
    save_png(fig, path)
    plt.close(fig)
    res["png"] = path
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a shorter path (tests)")
    parser.add_argument("--out", default=".", help="directory for the PNG (default: .)")
    args = parser.parse_args()
    for key, value in main(fast=args.fast, out=args.out).items():
        print(f"{key}: {value}")
