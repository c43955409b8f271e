"""The shared proximal operators minimise their defining objective."""

import numpy as np
import pytest
from scipy.optimize import minimize

from skreg._prox import group_soft_threshold, prox_elastic_net, soft_threshold


@pytest.mark.parametrize("x", [-2.0, -0.3, 0.0, 0.4, 5.0])
@pytest.mark.parametrize("t", [0.0, 0.5, 1.0])
def test_soft_threshold_is_prox_of_l1(x, t):
    grid = np.linspace(-6, 6, 240001)
    best = grid[np.argmin(t * np.abs(grid) + 0.5 * (grid - x) ** 2)]
    assert soft_threshold(x, t) == pytest.approx(best, abs=1e-4)


@pytest.mark.parametrize("x", [-2.0, 0.1, 3.0])
def test_prox_elastic_net_is_prox(x):
    step, alpha, l1_ratio = 0.7, 1.3, 0.4
    grid = np.linspace(-6, 6, 240001)
    obj = step * alpha * (l1_ratio * np.abs(grid) + 0.5 * (1 - l1_ratio) * grid**2)
    best = grid[np.argmin(obj + 0.5 * (grid - x) ** 2)]
    assert prox_elastic_net(x, step, alpha, l1_ratio) == pytest.approx(best, abs=1e-4)


@pytest.mark.parametrize("threshold", [0.0, 0.5, 2.0, 10.0])
def test_group_soft_threshold_is_prox_of_group_norm(threshold):
    rng = np.random.default_rng(0)
    x = rng.normal(size=5) * 2.0
    v = x.copy()
    norm = group_soft_threshold(v, threshold)

    def objective(u):
        return threshold * np.linalg.norm(u) + 0.5 * np.sum((u - x) ** 2)

    ref = minimize(objective, x, method="Nelder-Mead",
                   options=dict(xatol=1e-10, fatol=1e-14, maxiter=20000)).x
    assert objective(v) <= objective(ref) + 1e-9
    assert norm == pytest.approx(np.linalg.norm(v), abs=1e-12)
    if threshold >= np.linalg.norm(x):
        assert np.all(v == 0.0)  # the whole group is exactly zero
    else:
        # Shrunk along its own direction.
        assert np.allclose(v / np.linalg.norm(v), x / np.linalg.norm(x))
