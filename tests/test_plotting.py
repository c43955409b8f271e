"""Tests of skreg.plotting: what the displays draw, and their errors."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skreg
from skreg import ElasticNetMLPClassifier, RegularizedLogisticRegression, regularization_path
from skreg.plotting import GroupPathDisplay, MLPSparsityDisplay, RegularizationPathDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X)[:, :8], y


def _toy_path():
    alphas = np.geomspace(1.0, 1e-2, 6)
    coefs = np.zeros((6, 1, 4))
    coefs[2:, 0, 0] = np.linspace(0.1, 1.0, 4)  # enters at the third alpha
    coefs[4:, 0, 2] = [-0.2, -0.5]               # enters at the fifth
    return alphas, coefs                          # features 1 and 3 stay zero


# ---------------------------------------------------------------------------
# RegularizationPathDisplay.from_path
# ---------------------------------------------------------------------------


def test_from_path_draws_nonzero_paths_only_by_default():
    alphas, coefs = _toy_path()
    disp = RegularizationPathDisplay.from_path(alphas, coefs, feature_names=list("abcd"))
    assert len(disp.lines_) == 2
    assert disp.line_features_ == ["a", "c"]
    np.testing.assert_allclose(disp.lines_[0].get_xdata(), alphas)
    np.testing.assert_allclose(disp.lines_[0].get_ydata(), coefs[:, 0, 0])
    assert disp.ax_.get_xscale() == "log"
    assert disp.ax_.xaxis_inverted()  # alpha decreases left to right
    assert disp.score_ax_ is None and disp.score_line_ is None and disp.score_band_ is None
    assert disp.alpha_lines_ == []
    assert disp.figure_ is disp.ax_.figure
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == ["a", "c"]
    assert disp.count_text_ is None
    disp = RegularizationPathDisplay.from_path(alphas, coefs, feature_names=list("abcd"),
                                               n_labels=1)
    # Only the larger path at the smallest alpha ("a": 1.0 vs "c": -0.5) is named.
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == ["a"]
    assert disp.labelled_features_ == ["a"]
    assert disp.count_text_.get_text().startswith("2 non-zero paths of 4")
    disp = RegularizationPathDisplay.from_path(alphas, coefs, n_labels=0)
    assert disp.ax_.get_legend() is None and disp.legend_ is None
    assert disp.count_text_.get_text() == "2 non-zero paths of 4"
    # Without a legend, the paths keep distinct colours.
    assert len({line.get_color() for line in disp.lines_}) == 2


def test_from_path_show_zero_and_2d_coefs():
    alphas, coefs = _toy_path()
    disp = RegularizationPathDisplay.from_path(alphas, coefs[:, 0, :], show_zero=True)
    assert len(disp.lines_) == 4
    assert disp.line_features_ == ["x0", "x1", "x2", "x3"]


def test_from_path_multinomial_one_line_per_row_and_feature():
    alphas = np.geomspace(1, 0.1, 3)
    coefs = np.arange(3 * 3 * 2, dtype=float).reshape(3, 3, 2) + 1.0
    disp = RegularizationPathDisplay.from_path(alphas, coefs, feature_names=["u", "v"])
    assert len(disp.lines_) == 6
    assert disp.line_features_[:2] == ["u [0]", "v [0]"]


def test_from_path_increasing_grid_is_drawn_sorted():
    alphas, coefs = _toy_path()
    disp = RegularizationPathDisplay.from_path(alphas[::-1], coefs[::-1])
    np.testing.assert_allclose(disp.lines_[0].get_xdata(), alphas)
    np.testing.assert_allclose(disp.lines_[0].get_ydata(), coefs[:, 0, 0])


def test_from_path_scores_band_and_alpha_marker():
    alphas, coefs = _toy_path()
    rng = np.random.default_rng(0)
    scores = rng.uniform(0.6, 0.9, size=(6, 5))
    chosen = alphas[3]
    disp = RegularizationPathDisplay.from_path(alphas, coefs, scores=scores, alpha=chosen)
    # Two stacked panels, the chosen alpha marked on both.
    assert disp.score_ax_ is not None and disp.score_ax_ is not disp.ax_
    assert len(disp.figure_.axes) == 2
    assert len(disp.alpha_lines_) == 2
    for line in disp.alpha_lines_:
        np.testing.assert_allclose(line.get_xdata(), [chosen, chosen])
    np.testing.assert_allclose(disp.score_line_.get_ydata(), scores.mean(axis=1))
    # The band spans mean - std .. mean + std.
    verts = disp.score_band_.get_paths()[0].vertices
    lo, hi = scores.mean(1) - scores.std(1), scores.mean(1) + scores.std(1)
    assert verts[:, 1].min() == pytest.approx(lo.min())
    assert verts[:, 1].max() == pytest.approx(hi.max())
    assert disp.score_ax_.get_xscale() == "log" and disp.score_ax_.xaxis_inverted()


def test_from_path_1d_scores_no_band():
    alphas, coefs = _toy_path()
    disp = RegularizationPathDisplay.from_path(alphas, coefs, scores=np.linspace(0, 1, 6))
    assert disp.score_band_ is None
    np.testing.assert_allclose(disp.score_line_.get_ydata(), np.linspace(0, 1, 6))


def test_plot_on_given_ax_uses_twin_axis_for_scores():
    alphas, coefs = _toy_path()
    fig, ax = plt.subplots()
    disp = RegularizationPathDisplay.from_path(alphas, coefs, scores=np.ones((6, 3)),
                                               alpha=alphas[2], ax=ax)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert disp.score_ax_ is not ax
    assert disp.score_ax_.get_position().bounds == ax.get_position().bounds  # a twin
    assert len(disp.alpha_lines_) == 1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"alphas": [1.0, 0.0]}, "> 0"),
        ({"alphas": []}, "empty"),
        ({"coefs": np.zeros((5, 4))}, "n_alphas=6"),
        ({"scores": np.zeros((5, 2))}, "scores must have shape"),
        ({"feature_names": ["a"]}, "feature_names has 1"),
        ({"alpha": -1.0}, "alpha must be"),
    ],
)
def test_from_path_errors(kwargs, match):
    alphas, coefs = _toy_path()
    args = {"alphas": alphas, "coefs": coefs, **kwargs}
    with pytest.raises(ValueError, match=match):
        RegularizationPathDisplay.from_path(args.pop("alphas"), args.pop("coefs"), **args)


def test_from_path_labels_the_largest_paths_at_the_chosen_alpha():
    alphas = np.geomspace(1.0, 1e-3, 8)
    # 12 paths: path j is j * t along the grid, except path 0, which is the largest up to
    # alphas[3] and then shrinks back to 0.05, and path 1, which stays 0.
    t = np.linspace(0.0, 1.0, 8)
    coefs = t[:, None] * np.arange(12)[None, :]
    coefs[:, 0] = [0, 20, 30, 40, 3, 1, 0.5, 0.05]
    coefs[:, 1] = 0.0
    names = [f"f{j}" for j in range(12)]
    disp = RegularizationPathDisplay.from_path(alphas, coefs, alpha=alphas[3] * 1.1,
                                               feature_names=names, n_labels=4)
    legend = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert legend == disp.labelled_features_ == ["f0", "f11", "f10", "f9"]
    assert f"alpha = {alphas[3]:.3g}" in disp.legend_.get_title().get_text()  # grid point
    assert len(disp.lines_) == 11  # every non-zero path drawn (f0, f2 ... f11)
    colours = {name: line.get_color() for name, line in zip(disp.line_features_, disp.lines_)}
    labelled = {colours[name] for name in legend}
    assert len(labelled) == 4 and "0.7" not in labelled
    assert {colours[n] for n in colours if n not in legend} == {"0.7"}  # the rest: grey
    assert disp.count_text_.get_text() == "11 non-zero paths of 12; 4 labelled, the rest grey"
    # Without a chosen alpha the ranking is at the smallest alpha, where f0 is tiny.
    disp = RegularizationPathDisplay.from_path(alphas, coefs, feature_names=names, n_labels=4)
    assert disp.labelled_features_ == ["f11", "f10", "f9", "f8"]
    assert "smallest alpha" in disp.legend_.get_title().get_text()


def test_from_path_n_labels_must_be_a_count():
    alphas, coefs = _toy_path()
    for bad in (-1, 2.5, None):
        with pytest.raises(ValueError, match="n_labels"):
            RegularizationPathDisplay.from_path(alphas, coefs, n_labels=bad)


def test_breast_cancer_path_names_the_ten_largest_coefficients():
    """The 30-feature L1 path: every path drawn, the 10 largest at alpha named."""
    data = load_breast_cancer()
    X = StandardScaler().fit_transform(data.data)
    clf = RegularizedLogisticRegression(penalty="l1", alpha=0.002).fit(X, data.target)
    disp = RegularizationPathDisplay.from_estimator(clf, X, data.target, n_alphas=20,
                                                    feature_names=data.feature_names)
    assert len(disp.lines_) > 20
    ref = int(np.argmin(np.abs(np.log(disp.lines_[0].get_xdata()) - np.log(clf.alpha))))
    at_alpha = {name: abs(line.get_ydata()[ref])
                for name, line in zip(disp.line_features_, disp.lines_)}
    top = sorted(at_alpha, key=at_alpha.get, reverse=True)[:10]
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == top
    assert min(at_alpha[n] for n in top) > 0


# ---------------------------------------------------------------------------
# RegularizationPathDisplay.from_estimator
# ---------------------------------------------------------------------------


def test_from_estimator_matches_regularization_path(cancer):
    X, y = cancer
    clf = RegularizedLogisticRegression(penalty="l1", alpha=0.02).fit(X, y)
    disp = RegularizationPathDisplay.from_estimator(clf, X, y, n_alphas=15, show_zero=True)
    alphas = disp.lines_[0].get_xdata()
    assert len(alphas) == 15
    assert np.all(np.diff(alphas) < 0)
    ref_alphas, ref_coefs, _, _ = regularization_path(X, y, penalty="l1", alphas=alphas)
    assert len(disp.lines_) == X.shape[1]
    for j, line in enumerate(disp.lines_):
        np.testing.assert_allclose(line.get_ydata(), ref_coefs[:, 0, j], atol=1e-8)
    # The grid starts at alpha_max (all zeros) and the fitted alpha is marked.
    assert np.all(ref_coefs[0] == 0)
    assert len(disp.alpha_lines_) == 1
    np.testing.assert_allclose(disp.alpha_lines_[0].get_xdata(), [0.02, 0.02])
    # The solution at the marked alpha is the estimator's: the path's coefficients at
    # a grid containing 0.02 match coef_.
    _, c, _, _ = regularization_path(X, y, penalty="l1", alphas=[alphas[0], 0.02])
    np.testing.assert_allclose(c[-1], clf.coef_, atol=1e-3)


def test_from_estimator_grid_reaches_a_small_alpha(cancer):
    X, y = cancer
    clf = RegularizedLogisticRegression(penalty="l1", alpha=1e-5).fit(X, y)
    disp = RegularizationPathDisplay.from_estimator(clf, X, y, n_alphas=10, eps=1e-2)
    assert disp.lines_[0].get_xdata().min() <= 1e-5


def test_from_estimator_pipeline_and_feature_names(cancer):
    pd = pytest.importorskip("pandas")
    X, y = cancer
    frame = pd.DataFrame(X, columns=[f"gene{j}" for j in range(X.shape[1])])
    pipe = make_pipeline(StandardScaler(), RegularizedLogisticRegression(penalty="l1",
                                                                        alpha=0.05))
    pipe.fit(frame, y)
    disp = RegularizationPathDisplay.from_estimator(pipe, frame, y, n_alphas=8, n_labels=50)
    assert all(name.startswith("gene") for name in disp.line_features_)
    assert "RegularizedLogisticRegression" in disp.ax_.get_title()


def test_from_estimator_elasticnet_uses_l1_ratio(cancer):
    X, y = cancer
    clf = RegularizedLogisticRegression(penalty="elasticnet", alpha=0.05, l1_ratio=0.5,
                                        fit_intercept=False).fit(X, y)
    disp = RegularizationPathDisplay.from_estimator(clf, X, y, n_alphas=6, show_zero=True)
    alphas = disp.lines_[0].get_xdata()
    _, ref, _, _ = regularization_path(X, y, penalty="elasticnet", l1_ratio=0.5,
                                       fit_intercept=False, alphas=alphas)
    np.testing.assert_allclose(disp.lines_[1].get_ydata(), ref[:, 0, 1], atol=1e-8)


def test_from_estimator_l0(cancer):
    X, y = cancer
    clf = RegularizedLogisticRegression(penalty="l0", alpha=0.01, l1_ratio=1.0).fit(X, y)
    disp = RegularizationPathDisplay.from_estimator(clf, X, y, n_alphas=4, show_zero=True)
    alphas = disp.lines_[0].get_xdata()
    _, ref, _, _ = regularization_path(X, y, penalty="l0", l1_ratio=1.0, alphas=alphas)
    for j, line in enumerate(disp.lines_):
        np.testing.assert_allclose(line.get_ydata(), ref[:, 0, j], atol=1e-8)


def test_from_estimator_unfitted_raises(cancer):
    X, y = cancer
    with pytest.raises(NotFittedError):
        RegularizationPathDisplay.from_estimator(RegularizedLogisticRegression(), X, y)


def test_from_estimator_no_penalty_raises(cancer):
    X, y = cancer
    clf = RegularizedLogisticRegression(penalty=None).fit(X, y)
    with pytest.raises(ValueError, match="no regularization path"):
        RegularizationPathDisplay.from_estimator(clf, X, y)


class _FakeCV(RegularizedLogisticRegression):
    """Stands in for a fitted RegularizedLogisticRegressionCV (its documented attributes)."""

    def fit(self, X, y):
        self.l1_ratios_ = np.array([1.0])
        self.l1_ratio_ = 1.0
        a, _, _, _ = regularization_path(X, y, n_alphas=7)
        self.alphas_ = a[None, :]
        rng = np.random.default_rng(0)
        self.scores_ = rng.uniform(0.8, 1.0, size=(1, 7, 4))
        self.alpha_ = float(a[3])
        self.alpha = self.alpha_
        return super().fit(X, y)


def test_from_estimator_cv_like_uses_its_grid_scores_and_alpha(cancer):
    X, y = cancer
    cv = _FakeCV(penalty="l1").fit(X, y)
    disp = RegularizationPathDisplay.from_estimator(cv, X, y)
    np.testing.assert_allclose(disp.lines_[0].get_xdata(), cv.alphas_[0])
    np.testing.assert_allclose(disp.score_line_.get_ydata(), cv.scores_[0].mean(axis=1))
    assert disp.score_band_ is not None
    np.testing.assert_allclose(disp.alpha_lines_[0].get_xdata(), [cv.alpha_] * 2)
    assert "4 folds" in disp.score_ax_.get_ylabel()


@pytest.mark.skipif(not hasattr(skreg, "RegularizedLogisticRegressionCV"),
                    reason="RegularizedLogisticRegressionCV not available")
def test_from_estimator_real_cv_estimator(cancer):
    X, y = cancer
    cv = skreg.RegularizedLogisticRegressionCV(penalty="l1", n_alphas=10, cv=3).fit(X, y)
    disp = RegularizationPathDisplay.from_estimator(cv, X, y)
    i = int(np.argmin(np.abs(cv.l1_ratios_ - cv.l1_ratio_)))
    np.testing.assert_allclose(disp.lines_[0].get_xdata(), cv.alphas_[i])
    np.testing.assert_allclose(disp.score_line_.get_ydata(), cv.scores_[i].mean(axis=1))
    np.testing.assert_allclose(disp.alpha_lines_[0].get_xdata(), [cv.alpha_] * 2)
    assert len(disp.alpha_lines_) == 2


def test_from_estimator_linear_regression_uses_the_squared_loss():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    reg = skreg.RegularizedLinearRegression(penalty="l1", alpha=0.05).fit(X, y)
    disp = RegularizationPathDisplay.from_estimator(reg, X, y, n_alphas=12, show_zero=True)
    alphas = disp.lines_[0].get_xdata()
    _, ref, _, _ = regularization_path(X, y, loss="squared_error", penalty="l1", alphas=alphas)
    for j, line in enumerate(disp.lines_):
        np.testing.assert_allclose(line.get_ydata(), ref[:, 0, j], atol=1e-8)
    # The path through the estimator's alpha ends at its coef_ (not at a logistic fit).
    _, c, _, _ = regularization_path(X, y, loss="squared_error", penalty="l1",
                                     alphas=[alphas[0], 0.05])
    np.testing.assert_allclose(c[-1, 0], reg.coef_, atol=1e-4)
    cv = skreg.RegularizedLinearRegressionCV(n_alphas=8, cv=3).fit(X, y)
    disp = RegularizationPathDisplay.from_estimator(cv, X, y)
    assert disp.score_ax_.get_ylabel() == "CV neg. MSE (3 folds)"
    np.testing.assert_allclose(disp.alpha_lines_[0].get_xdata(), [cv.alpha_] * 2)


# ---------------------------------------------------------------------------
# MLPSparsityDisplay
# ---------------------------------------------------------------------------


def test_sparsity_from_weights_counts_zeros():
    W0 = np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 0.0]])  # 4 of 6 zero
    W1 = np.array([[1.0], [0.0], [3.0]])               # 1 of 3 zero
    disp = MLPSparsityDisplay.from_weights([W0, W1], estimator_name="net")
    np.testing.assert_allclose(disp.zero_fractions_, [4 / 6, 1 / 3])
    np.testing.assert_array_equal(disp.n_zeros_, [4, 1])
    assert len(disp.bars_) == 2
    np.testing.assert_allclose([b.get_height() for b in disp.bars_], [4 / 6, 1 / 3])
    assert len(disp.images_) == 2
    np.testing.assert_array_equal(disp.images_[0].get_array(), (W0 != 0).astype(float))
    assert len(disp.figure_.axes) == 3
    assert "net" in disp.figure_.get_suptitle()


@pytest.mark.parametrize("kind, n_axes", [("bars", 1), ("pattern", 2)])
def test_sparsity_kinds(kind, n_axes):
    W = [np.eye(3), np.zeros((3, 2))]
    disp = MLPSparsityDisplay.from_weights(W, kind=kind)
    assert len(disp.figure_.axes) == n_axes
    assert (disp.bars_ is None) == (kind == "pattern")
    assert len(disp.images_) == (0 if kind == "bars" else 2)


def test_sparsity_given_axes_and_errors():
    W = [np.eye(3), np.zeros((3, 2))]
    fig, axes = plt.subplots(1, 3)
    disp = MLPSparsityDisplay.from_weights(W, ax=axes)
    assert disp.ax_ is axes[0] and disp.pattern_axes_ == list(axes[1:])
    with pytest.raises(ValueError, match="needs 3 Axes"):
        MLPSparsityDisplay.from_weights(W, ax=axes[:2])
    with pytest.raises(ValueError, match="kind must be"):
        MLPSparsityDisplay.from_weights(W, kind="pie")
    with pytest.raises(ValueError, match="2-D"):
        MLPSparsityDisplay.from_weights([np.zeros(3)])


def test_sparsity_from_estimator():
    X, y = make_classification(n_samples=120, n_features=10, random_state=0)
    mlp = ElasticNetMLPClassifier(hidden_layer_sizes=(8,), penalty="l1", alpha=0.05,
                                  max_iter=30, learning_rate_init=0.05, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    disp = MLPSparsityDisplay.from_estimator(mlp)
    n_zero = sum(int(np.sum(W == 0)) for W in mlp.coefs_)
    assert n_zero == mlp.n_zero_weights_
    assert int(disp.n_zeros_.sum()) == n_zero
    assert len(disp.bars_) == len(mlp.coefs_) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = make_pipeline(StandardScaler(), mlp).fit(X, y)
    disp = MLPSparsityDisplay.from_estimator(pipe)
    assert len(disp.images_) == 2


def test_sparsity_pattern_integer_ticks_and_key():
    W = [np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]]), np.arange(3.0).reshape(3, 1)]
    disp = MLPSparsityDisplay.from_weights(W)
    disp.figure_.canvas.draw()
    for pax, m in zip(disp.pattern_axes_, W):
        for axis, n in ((pax.xaxis, m.shape[1]), (pax.yaxis, m.shape[0])):
            ticks = [t for t in axis.get_majorticklocs() if -0.5 <= t <= n - 0.5]
            assert ticks and all(float(t).is_integer() for t in ticks)
            labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
            assert all(label.lstrip("−-").isdigit() for label in labels)
    # The n x 1 matrix has the single column tick 0.
    x_ticks = disp.pattern_axes_[1].get_xticks()
    assert [t for t in x_ticks if -0.5 <= t <= 0.5] == [0]
    # The key says what black and white mean, in the colormap's colours.
    assert [t.get_text() for t in disp.key_.get_texts()] == ["non-zero weight",
                                                            "weight = 0"]
    cmap = plt.get_cmap("Greys")
    np.testing.assert_allclose(disp.key_.legend_handles[0].get_facecolor(), cmap(1.0))
    np.testing.assert_allclose(disp.key_.legend_handles[1].get_facecolor(), cmap(0.0))
    assert MLPSparsityDisplay.from_weights(W, kind="bars").key_ is None


def test_sparsity_from_regressor():
    X, y = load_diabetes(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = skreg.ElasticNetMLPRegressor(hidden_layer_sizes=(6,), penalty="l1", alpha=0.05,
                                           max_iter=20, random_state=0).fit(X / 0.1, y / 100)
    disp = MLPSparsityDisplay.from_estimator(reg)
    np.testing.assert_array_equal(disp.n_zeros_, [np.sum(W == 0) for W in reg.coefs_])
    assert "ElasticNetMLPRegressor" in disp.figure_.get_suptitle()


def test_sparsity_unfitted_raises():
    with pytest.raises(NotFittedError):
        MLPSparsityDisplay.from_estimator(ElasticNetMLPClassifier())


# ---------------------------------------------------------------------------
# matplotlib missing
# ---------------------------------------------------------------------------


@pytest.fixture
def no_matplotlib(monkeypatch):
    # A None entry in sys.modules makes `import matplotlib.pyplot` raise ImportError.
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)


def test_missing_matplotlib_path_display(no_matplotlib, cancer):
    alphas, coefs = _toy_path()
    with pytest.raises(ImportError, match=r'pip install "skreg\[plot\]"'):
        RegularizationPathDisplay.from_path(alphas, coefs)
    X, y = cancer
    clf = RegularizedLogisticRegression(penalty="l1", alpha=0.1).fit(X, y)
    with pytest.raises(ImportError, match=r"skreg\[plot\]"):
        RegularizationPathDisplay.from_estimator(clf, X, y)


def test_missing_matplotlib_sparsity_display(no_matplotlib):
    with pytest.raises(ImportError, match=r"skreg\[plot\]"):
        MLPSparsityDisplay.from_weights([np.eye(2)])


def test_importing_skreg_plotting_does_not_import_matplotlib():
    import subprocess

    code = ("import sys, skreg, skreg.plotting; "
            "print(any(m == 'matplotlib' or m.startswith('matplotlib.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------
# GroupPathDisplay
# ---------------------------------------------------------------------------


def _toy_group_path():
    alphas = np.array([0.001, 0.01, 0.1, 1.0])
    norms = np.array([
        [3.0, 1.0, 0.5, 0.0],
        [2.5, 0.6, 0.0, 0.0],
        [2.0, 0.0, 0.2, 0.0],  # input 2 comes back once: it leaves for good at 1.0
        [1.0, 0.0, 0.0, 0.0],
    ])
    return alphas, norms


def test_group_path_display_from_path():
    alphas, norms = _toy_group_path()
    disp = GroupPathDisplay.from_path(alphas, norms, feature_names=list("abcd"),
                                      group_alpha=0.01)
    assert disp.line_features_ == ["a", "b", "c"]  # d is never connected: not drawn
    # x axis: decreasing group_alpha, log scale, shared by both panels
    np.testing.assert_allclose(disp.lines_[0].get_xdata(), alphas[::-1])
    np.testing.assert_allclose(disp.lines_[1].get_ydata(), norms[::-1, 1])
    for panel in (disp.ax_, disp.count_ax_):
        assert panel.get_xscale() == "log" and panel.xaxis_inverted()
    np.testing.assert_array_equal(disp.n_kept_, [1, 2, 2, 3])
    np.testing.assert_array_equal(disp.count_line_.get_ydata(), [1, 2, 2, 3])
    np.testing.assert_array_equal(disp.exit_alphas_, [np.inf, 0.1, 1.0, 0.001])
    assert len(disp.alpha_lines_) == 2
    assert disp.score_ax_ is None and disp.score_line_ is None
    # the legend lists the inputs that stay connected longest first, in colour
    assert disp.labelled_features_ == ["a", "c", "b"]
    assert [t.get_text() for t in disp.legend_.get_texts()] == ["a", "c", "b"]
    grey = GroupPathDisplay.from_path(alphas, norms, n_labels=1)
    assert grey.labelled_features_ == ["x0"]
    colours = [matplotlib.colors.to_hex(line.get_color()) for line in grey.lines_]
    assert colours[0] != colours[1] == colours[2] == matplotlib.colors.to_hex("0.7")


def test_group_path_display_scores_and_given_axes():
    alphas, norms = _toy_group_path()
    fig, ax = plt.subplots()
    disp = GroupPathDisplay(group_alphas=alphas, group_norms=norms,
                            scores=[0.9, 0.95, 0.8, 0.6], score_name="test accuracy").plot(ax=ax)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert disp.count_ax_ is not ax and disp.count_ax_.figure is fig
    np.testing.assert_allclose(disp.score_line_.get_ydata(), [0.6, 0.8, 0.95, 0.9])
    assert disp.score_ax_.get_ylabel() == "test accuracy"


@pytest.mark.parametrize("kwargs, match", [
    (dict(group_alphas=[], group_norms=np.zeros((0, 2))), "must not be empty"),
    (dict(group_alphas=[0.0, 1.0], group_norms=np.ones((2, 2))), "finite and > 0"),
    (dict(group_alphas=[0.1, 1.0], group_norms=np.ones((3, 2))), "shape"),
    (dict(group_alphas=[0.1, 1.0], group_norms=-np.ones((2, 2))), ">= 0"),
    (dict(group_alphas=[0.1, 1.0], group_norms=np.ones((2, 2)), scores=[1.0]), "scores"),
    (dict(group_alphas=[0.1, 1.0], group_norms=np.ones((2, 2)), feature_names=["a"]),
     "feature_names"),
    (dict(group_alphas=[0.1, 1.0], group_norms=np.ones((2, 2)), group_alpha=-1.0),
     "group_alpha"),
])
def test_group_path_display_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GroupPathDisplay(**kwargs).plot()
    with pytest.raises(ValueError, match="n_labels"):
        GroupPathDisplay(group_alphas=[1.0], group_norms=[[1.0]]).plot(n_labels=-1)


def test_group_path_display_from_estimator():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 6))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    est = ElasticNetMLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=3e-3, max_iter=50,
                                  random_state=0)
    grid = [0.001, 0.03, 0.3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        disp = GroupPathDisplay.from_estimator(est, X, y, group_alphas=grid, X_test=X[:100],
                                               y_test=y[:100])
        path = est.group_path(X, y, group_alphas=grid)
    assert not hasattr(est, "coefs_")
    np.testing.assert_allclose(disp.count_line_.get_ydata(),
                               (path.group_norms[::-1] > 0).sum(axis=1))
    np.testing.assert_allclose(disp.score_line_.get_ydata(),
                               [e.score(X[:100], y[:100]) for e in path.estimators[::-1]])
    assert disp.score_ax_.get_ylabel() == "test accuracy"
    assert "ElasticNetMLPClassifier" in disp.ax_.get_title()
    with pytest.raises(ValueError, match="X_test"):
        GroupPathDisplay.from_estimator(est, X, y, X_test=X)
