"""Run the examples with fast settings and check the claim each one illustrates."""

import importlib.util
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(name, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarnings of deliberately short fits
        res = _load(name).main(fast=True, out=str(tmp_path))
    png = Path(res["png"])
    assert png.parent == tmp_path and png.name == f"{name}.png"
    assert png.stat().st_size > 5_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return res


def test_01_l1_sparse_l2_spread(tmp_path):
    res = _run("plot_01_l1_vs_l2", tmp_path)
    assert res["corr_copies"] > 0.99
    # L1: every noise weight exactly zero; L2: no exact zero at all, but small weights.
    assert res["l1_n_zero_noise"] == res["n_noise"]
    assert res["l2_n_zero"] == 0
    assert 0 < res["l2_max_abs_noise"] < 0.3
    assert res["l1_effective_number"] < 0.5 * res["l2_effective_number"]
    # Correlated copies: L1 keeps exactly one, L2 shares about equally.
    a, b = res["l1_copies"]
    assert (a == 0) != (b == 0)
    assert 0.9 < res["l2_copy_ratio"] < 1.1
    assert max(res["l1_kkt"], res["l2_kkt"]) < 1e-6
    # In a network: L1 gives exact zeros in every weight matrix, L2 none.
    assert Path(res["png_mlp"]).is_file()
    assert min(res["mlp_l1_zero_fractions"]) > 0
    assert res["mlp_l1_zero_fractions"][0] > 0.2
    assert res["mlp_l2_n_zero_weights"] == 0


def test_02_geometry_corner_and_tangency(tmp_path):
    res = _run("plot_02_geometry", tmp_path)
    assert res["mle_l1_norm"] > res["l1_radius_t"]  # the constraint is active
    # L1: the solution is a corner of the diamond (one coordinate exactly 0) of the
    # matching radius, and it is the constrained minimum found by brute force.
    assert res["l1_n_zero"] == 1
    assert abs(np.abs(res["l1_solution"]).sum() - res["l1_radius_t"]) < 1e-12
    assert res["l1_distance_to_brute_force"] < 1e-3
    assert res["l1_loss_minus_diamond_min"] <= 1e-12
    # KKT at the corner: -grad = alpha*sign on the support, |grad| <= alpha off it.
    assert res["l1_kkt_support_residual"] < 1e-8
    assert res["l1_kkt_zero_coord_grad_over_alpha"] <= 1.0
    # L2: both coordinates non-zero, gradient anti-parallel to w, brute force agrees.
    assert all(w != 0 for w in res["l2_solution"])
    assert res["l2_cos_grad_w"] < -1 + 1e-9
    assert res["l2_kkt_residual"] < 1e-8
    assert res["l2_distance_to_brute_force"] < 1e-3


def test_example_runs_from_any_directory(tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "plot_02_geometry.py"), "--fast"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "plot_02_geometry.png").is_file()
    assert "l1_n_zero: 1" in proc.stdout


def test_04_weight_decay_linearizes_tanh(tmp_path):
    res = _run("plot_04_weight_decay_tanh", tmp_path)
    std, lin, r2 = res["preact_std"], res["frac_linear"], res["logit_affine_r2"]
    # As alpha grows: smaller weights, narrower pre-activations, more units in the
    # linear range, a logit closer to affine.
    assert all(a > b for a, b in zip(res["weight_norm"], res["weight_norm"][1:]))
    assert all(a > b for a, b in zip(std, std[1:]))
    assert all(a < b for a, b in zip(lin, lin[1:]))
    assert all(a < b for a, b in zip(r2, r2[1:]))
    assert std[0] > 1.0 and std[-1] < 0.5
    assert lin[-1] > 0.9
    assert r2[0] < 0.9 and r2[-1] > 0.99
    # The small-alpha network fits the moons; the large-alpha one is almost linear.
    assert res["train_accuracy"][0] > 0.95


def test_05_dropout_and_early_stopping(tmp_path):
    res = _run("plot_05_dropout_early_stopping", tmp_path)
    # Without regularization: memorizes the training set, held-out loss climbs back.
    assert res["plain_final_train_loss"] < 0.05
    assert res["plain_final_val_loss"] > 1.4 * res["plain_min_val_loss"]
    # Dropout: no memorization, held-out loss stays near its minimum and far below.
    assert res["dropout_final_train_loss"] > 5 * res["plain_final_train_loss"]
    assert res["dropout_final_val_loss"] < 1.1 * res["dropout_min_val_loss"]
    assert res["dropout_final_val_loss"] < 0.7 * res["plain_final_val_loss"]
    # Early stopping: stops well before max_iter with the best epoch's weights,
    # whose held-out loss is far below the overfitted network's.
    assert res["early_stopping_n_iter"] < res["n_epochs"] / 2
    assert res["early_stopping_best_epoch"] <= res["early_stopping_n_iter"] - 10
    assert res["early_stopping_val_loss"] < 0.8 * res["plain_final_val_loss"]


def test_07_l0_vs_l1_at_equal_sparsity(tmp_path):
    res = _run("plot_07_l0_vs_l1", tmp_path)
    k = len(res["true_support"])
    # Support recovery: L0 with k non-zeros is exactly the true support; no L1 model
    # with at most k non-zeros has all of it, L1 needs more features to get it all.
    assert res["l0_support_at_k"] == res["true_support"]
    assert res["l1_max_true_positives_with_at_most_k"] < k
    assert res["l1_nnz_needed_for_full_support"] > k
    # Loss at equal sparsity: L0 lower on the training data at every common level,
    # and lower held-out at the true sparsity.
    assert k in res["common_sparsities"]
    for s in res["common_sparsities"]:
        assert res["l0_train_loss"][s] < res["l1_train_loss"][s]
    assert res["l0_test_loss"][k] < res["l1_test_loss"][k]


def test_03_leukemia_few_genes_kept(tmp_path):
    res = _run("plot_03_leukemia_feature_selection", tmp_path)
    assert (res["n_samples"], res["n_genes"]) == (72, 7129)
    # Under 1% of the genes are kept, and they are genes that separate ALL from AML
    # on their own (top of the univariate t-statistic ranking).
    assert 1 <= res["n_kept"] <= 0.01 * res["n_genes"]
    assert res["kept_genes_in_top_5_percent"] >= 0.75
    # (At the path's minima, certified to 1e-6, the kept genes' median rank is 153 of 7129.)
    assert res["kept_genes_median_t_rank"] <= 0.025 * res["n_genes"]
    # The sparse model classifies held-out patients well (selection inside the outer CV).
    assert res["outer_cv_accuracy_mean"] >= 0.85
    # The one-SE rule: a larger alpha, no more genes.
    assert res["one_se_alpha"] > res["alpha"]
    assert res["one_se_n_kept"] <= res["n_kept"]


def test_06_holdout_cv_one_standard_error(tmp_path):
    res = _run("plot_06_choosing_lambda", tmp_path)
    # The estimator's one-SE choice is the documented rule applied to its scores_.
    assert res["alpha_cv_1se"] == res["alpha_cv_1se_recomputed"]
    assert res["alpha_cv_1se"] > res["alpha_cv"]
    assert res["cv_1se_mean_score"] >= res["cv_best_mean_score"] - res["cv_best_se"]
    assert res["nnz_cv_1se"] < res["nnz_cv"]
    assert res["mean_nnz_cv_1se"] < res["mean_nnz_cv"]
    # CV's pick is close to the best on fresh data ...
    assert res["test_loss_cv"] - res["test_loss_oracle"] < 0.01
    # ... and, over repeated random splits, varies less and lands closer than one hold-out.
    assert res["std_log10_alpha_cv"] < res["std_log10_alpha_holdout"]
    assert res["mean_excess_test_loss_cv"] < res["mean_excess_test_loss_holdout"]


def test_08_lasso_path_diabetes_cv_choice(tmp_path):
    res = _run("plot_08_lasso_path_diabetes", tmp_path)
    # The path is scikit-learn's lasso_path (same objective) and every point is certified.
    assert res["path_max_diff_vs_lasso_path"] < 1e-5
    assert res["path_max_kkt_over_alpha_max"] < 1e-7
    # The features enter one at a time, bmi and s5 first (the classic diabetes path).
    assert res["entry_order"][:2] == ["bmi", "s5"]
    # The CV estimator chooses what LassoCV chooses on the same grid and folds.
    assert res["cv_alpha_index"] == res["lassocv_alpha_index"]
    assert res["lassocv_mse_max_rel_diff"] < 1e-6
    # One-SE rule: a larger alpha, fewer features, within one standard error.
    assert res["one_se_alpha"] > res["cv_alpha"]
    assert res["one_se_nnz"] < res["cv_nnz"]
    assert res["cv_mse"] <= res["one_se_mse"] <= res["one_se_threshold"]
    assert set(res["kept_at_one_se_alpha"]) <= set(res["kept_at_cv_alpha"])


def test_09_l0_recovers_the_support_where_l1_does_not(tmp_path):
    res = _run("plot_09_l0_vs_l1_regression", tmp_path)
    k = 5
    assert k in res["common_sparsities"]
    # At equal sparsity L0's training error is never above L1's (L1 shrinks).
    for s in res["common_sparsities"]:
        assert res["l0_train_mse"][s] <= res["l1_train_mse"][s] + 1e-12
    # With 5 non-zeros: L0 keeps the 5 true features and predicts fresh data better.
    assert res["l0_true_positives_at_k"] == k > res["l1_true_positives_at_k"]
    assert res["l0_test_mse_at_k"] < res["l1_test_mse_at_k"]
    # Over repeated draws L0 recovers the exact support more often.
    assert res["exact_recoveries_l0"] >= res["n_draws"] - 1
    assert res["exact_recoveries_l0"] > res["exact_recoveries_l1"]


def test_10_network_keeps_the_informative_inputs(tmp_path):
    res = _run("plot_10_network_feature_selection", tmp_path)
    informative = {f"x{j}" for j in range(5)}
    for problem in ("regression", "xor"):
        # the chosen network keeps every informative input and drops >= 90% of the noise
        assert res[f"{problem}_informative_kept"] == 5
        assert res[f"{problem}_noise_dropped_fraction"] >= 0.9
        # along the path the informative inputs are the last five to leave
        assert set(res[f"{problem}_last_to_leave"][:5]) == informative
        # SelectFromModel on feature_importances_ selects exactly input_support_
        assert res[f"{problem}_select_from_model_matches"]
        # the network refitted on the selected inputs beats the one on all 100
        assert res[f"{problem}_refit_test_score"] > res[f"{problem}_dense_test_score"] + 0.1
    assert res["regression_refit_test_score"] > 0.9 and res["xor_refit_test_score"] > 0.9
    # a linear model cannot see the XOR inputs: L1 logistic regression (CV) is no better than
    # the majority class and selects at most one of them
    assert res["xor_l1_logistic_test_accuracy"] <= res["xor_majority_test_accuracy"] + 0.02
    assert res["xor_l1_logistic_informative_selected"] <= 1
