"""skreg's command line (``skreg ...`` or ``python -m skreg ...``).

Commands
--------
demo
    Both estimators on scikit-learn's bundled breast-cancer and digits data:
    the logistic model with ``alpha`` chosen by RegularizedLogisticRegressionCV,
    the elastic-net MLP with ``alpha`` chosen by GridSearchCV; prints a table
    and, with ``--out DIR``, saves the regularization paths as PNG files.
select
    Feature selection on a CSV or svmlight file: encode text columns and
    missing values, standardize, choose ``alpha`` by cross-validation, print
    the features kept (by their column in the file) and their coefficients.

Every failure (a missing file, an unknown format, a bad column, data beyond the
memory limit, ...) prints one line ``skreg: error: ...`` on stderr and exits
with status 2. Everything printed is escaped: names read from a file cannot
put control characters (ANSI escapes, ...) on the terminal.
"""

import argparse
import csv
import difflib
import os
import re
import sys
import time
import warnings

import numpy as np

from ._io import InputError, default_memory_limit, escape, parse_size, preview, read_dataset

#: ``l1_ratio`` (the L0 share) of ``select --penalty l0`` without ``--l1-ratio``:
#: L0L2, whose ridge term keeps the solution finite when the data are separable
#: (pure L0, l1_ratio=1, has no finite solution then, e.g. whenever p >> n).
L0_L1_RATIO = 0.5
#: Default grid sizes of ``select``: L0 solutions change at few alphas and each
#: L0 point costs a few exact coordinate sweeps, so its grid is coarser.
N_ALPHAS = 50
L0_N_ALPHAS = 20
#: ``l1_ratio`` values cross-validated by ``select --penalty elasticnet``.
ELASTICNET_L1_RATIOS = (0.2, 0.5, 0.8, 0.95)
#: Cell starts a spreadsheet reads as a formula (OWASP's CSV injection list).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Environment variable: show the traceback of an unexpected failure.
TRACEBACK_ENV = "SKREG_TRACEBACK"


def _say(*args):
    """Print one line on stdout, control characters escaped."""
    print(escape(" ".join(str(a) for a in args)), flush=True)


def _fmt_label(label):
    return escape(label.item() if hasattr(label, "item") else label)


def _version():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("skreg")
    except PackageNotFoundError:  # run from a source checkout
        from . import __version__

        return __version__


def _check_classes(y, cv, path, target):
    from sklearn.utils.multiclass import type_of_target

    what = f"the target column {target!r}" if target else "the labels"
    path = escape(path)
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise InputError(
            f"{path}: {what} holds a single class ({_fmt_label(classes[0])}); "
            f"selection needs at least two"
        )
    kind = type_of_target(y)
    if kind == "continuous":
        raise InputError(
            f"{path}: {what} is continuous ({classes.size} distinct values); "
            f"select needs class labels"
        )
    smallest = int(counts.min())
    label = _fmt_label(classes[np.argmin(counts)])
    if smallest < 2:
        raise InputError(
            f"{path}: class {label} has a single sample; cross-validation needs at least two "
            f"per class"
        )
    if smallest < cv:
        raise InputError(
            f"{path}: class {label} has {smallest} samples, fewer than the {cv} "
            f"cross-validation folds (use --cv {smallest} or fewer)"
        )
    return classes, counts


# ---------------------------------------------------------------------------
# select
# ---------------------------------------------------------------------------


def _cv_estimator(penalty, cv, n_alphas, l1_ratios=None, **kwargs):
    """RegularizedLogisticRegressionCV; ``l1_ratios`` are cross-validated (elastic net, L0)."""
    from .linear_model import RegularizedLogisticRegressionCV

    if penalty in ("elasticnet", "l0"):
        kwargs["l1_ratios"] = list(l1_ratios)
    return RegularizedLogisticRegressionCV(penalty=penalty, n_alphas=n_alphas, cv=cv, **kwargs)


def score_label(scoring):
    """How a CV score is shown: RegularizedLogisticRegressionCV's default (None) is log-loss."""
    if scoring is None:
        return "log-loss"
    return scoring.removeprefix("neg_")


def _cv_summary(cv_est, scoring=None):
    """(mean, std) of the CV score at the chosen point, ``neg_*`` scores shown as losses."""
    res = cv_est.cv_results_
    i = cv_est.best_index_
    sign = -1.0 if scoring is None or scoring.startswith("neg_") else 1.0
    return sign * float(res["mean_test_score"][i]), float(res["std_test_score"][i])


def kept_features(coef, classes, terms, origins=None):
    """Rows ``(class, feature, term, coefficient)`` of the non-zero coefficients.

    ``terms`` name the model's columns and ``origins`` the file's column each
    comes from (a one-hot column its text column, a missing-value indicator
    its numeric column; default: ``terms``). Per class, features come by their
    largest |coefficient|, and each feature's terms by |coefficient|. A binary
    model has one row of coefficients, attributed to ``classes[1]`` (a
    positive coefficient favours it).
    """
    origins = terms if origins is None else origins
    coef = np.atleast_2d(coef)
    row_classes = [classes[1]] if coef.shape[0] == 1 else list(classes)
    out = []
    for label, row in zip(row_classes, coef):
        by_feature = {}
        for j in np.flatnonzero(row):
            by_feature.setdefault(origins[j], []).append(j)
        ranked = sorted(by_feature.values(), key=lambda js: -np.abs(row[js]).max())
        for js in ranked:
            for j in sorted(js, key=lambda j: -abs(row[j])):
                out.append((label, origins[j], terms[j], float(row[j])))
    return out


_SCALING_TEXT = {
    ("standard", False): "standardizing (zero mean, unit variance)",
    ("standard", True): "standardizing (unit variance without centring: sparse input)",
    ("maxabs", False): "scaling each feature by its maximum absolute value",
    ("maxabs", True): "scaling each feature by its maximum absolute value",
    ("none", False): "no scaling",
    ("none", True): "no scaling",
}
_SCALED_NAME = {"standard": "standardized", "maxabs": "max-abs scaled", "none": "raw"}


def _scaler(scaling, sparse):
    from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler, StandardScaler

    if scaling == "standard":
        return StandardScaler(with_mean=not sparse)
    if scaling == "maxabs":
        return MaxAbsScaler()
    return FunctionTransformer(accept_sparse=True)


def _one_hot_name(feature, level):
    return f"{feature}={level}"


def _preprocessor(data, scaling):
    """The steps before the classifier.

    The scaler alone for numeric data; with text columns or missing values a
    ColumnTransformer: numeric columns with missing values are imputed by
    their median plus a missing-value indicator, text columns one-hot
    encoded (missing values as their own level), each part scaled (one-hot
    columns without centring: with an unpenalized intercept, centring changes
    no coefficient).
    """
    import scipy.sparse as sp
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    if not data.categorical and not data.missing:
        return _scaler(scaling, sp.issparse(data.X))
    numeric = [c for c in data.names if c not in data.categorical]
    parts = []
    complete = [c for c in numeric if c not in data.missing]
    if complete:
        parts.append(("numeric", _scaler(scaling, False), complete))
    imputed = [c for c in numeric if c in data.missing]
    if imputed:
        parts.append(("imputed", make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True), _scaler(scaling, False)
        ), imputed))
    for k, name in enumerate(data.categorical):
        steps = [SimpleImputer(strategy="constant", fill_value="(missing)")] if (
            name in data.missing) else []
        steps += [OneHotEncoder(handle_unknown="ignore", feature_name_combiner=_one_hot_name),
                  _scaler(scaling, True)]
        parts.append((f"text{k}", make_pipeline(*steps), [name]))
    return ColumnTransformer(parts)


def _model_columns(preprocessor, names):
    """``(terms, origins)``: the name of each column the model sees and its column in the file."""
    from sklearn.compose import ColumnTransformer

    if not isinstance(preprocessor, ColumnTransformer):
        return list(names), list(names)
    terms, origins = [], []
    for part, transformer, columns in preprocessor.transformers_:
        if part == "remainder":
            continue
        columns = list(columns)
        if part == "numeric":
            new = list(zip(columns, columns))
        elif part == "imputed":
            flagged = [columns[i] for i in transformer[0].indicator_.features_]
            new = list(zip(columns, columns)) + [(f"{c} (missing)", c) for c in flagged]
        else:
            levels = transformer.named_steps["onehotencoder"].categories_[0]
            new = [(_one_hot_name(columns[0], level), columns[0]) for level in levels]
        span = preprocessor.output_indices_[part]
        if len(new) != span.stop - span.start:
            raise RuntimeError(f"{part}: {len(new)} names for {span.stop - span.start} columns")
        terms += [t for t, _ in new]
        origins += [o for _, o in new]
    return terms, origins


def _group_warnings(caught):
    """``[(count, category name, message)]``: warnings that differ only in numbers, grouped."""
    groups = {}
    for w in caught:
        message = " ".join(str(w.message).split())
        key = (w.category.__name__, re.sub(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?", "#", message))
        if key in groups:
            groups[key][0] += 1
        else:
            groups[key] = [1, w.category.__name__, message]
    return sorted((tuple(g) for g in groups.values()), key=lambda g: -g[0])


def _n_path_points(est):
    """Path points solved: every (l1_ratio, fold, alpha) of the CV, plus the refit's.

    The refit walks down the grid to ``alpha_`` when it is one of the grid's
    first ``_REFIT_PATH_POINTS`` points, else solves ``alpha_`` alone.
    """
    from ._cv import _REFIT_PATH_POINTS as first

    grid = est.alphas_[list(est.l1_ratios_).index(est.l1_ratio_)]
    i = int(np.argmin(np.abs(grid - est.alpha_)))
    return int(est.n_iter_.size) + (i + 1 if i < first else 1)


def _check_out(out, data_path):
    """Refuse an ``--out`` that is the input file (under any path) or a directory."""
    if os.path.isdir(out):
        raise InputError(f"--out {escape(out)} is a directory; give a file name (e.g. kept.csv)")
    same = os.path.realpath(out) == os.path.realpath(data_path)
    if not same and os.path.exists(out) and os.path.exists(data_path):
        same = os.path.samefile(out, data_path)
    if same:
        raise InputError(f"--out {escape(out)} is the input file; it would be overwritten "
                         "(write the kept features to another file)")


def _l1_ratios(args):
    if args.l1_ratio is None:
        return {"l0": [L0_L1_RATIO], "elasticnet": list(ELASTICNET_L1_RATIOS)}.get(args.penalty)
    if args.penalty == "l1":
        raise InputError("--l1-ratio applies to --penalty elasticnet and l0 (l1 is l1_ratio=1)")
    try:
        ratios = [float(r) for r in args.l1_ratio.split(",")]
    except ValueError:
        ratios = []
    if not ratios or not all(0.0 <= r <= 1.0 for r in ratios):
        raise InputError(f"--l1-ratio {args.l1_ratio!r}: give values in [0, 1], "
                         "comma-separated (e.g. 0.5 or 0.2,0.5,0.9)")
    return ratios


def _check_select_args(args):
    if args.n_alphas is None:
        args.n_alphas = L0_N_ALPHAS if args.penalty == "l0" else N_ALPHAS
    if args.cv < 2:
        raise InputError(f"--cv must be at least 2, got {args.cv}")
    if args.n_alphas < 1:
        raise InputError(f"--n-alphas must be at least 1, got {args.n_alphas}")
    if args.top < 0:
        raise InputError(f"--top must be 0 (all) or more, got {args.top}")
    if args.scoring is not None:
        from sklearn.metrics import get_scorer, get_scorer_names

        try:
            get_scorer(args.scoring)
        except ValueError:
            close = difflib.get_close_matches(args.scoring, get_scorer_names(), n=3)
            raise InputError(
                f"--scoring {args.scoring!r} is not a scikit-learn scorer name"
                + (f" (did you mean {', '.join(close)}?)" if close else
                   " (e.g. accuracy, balanced_accuracy, roc_auc, neg_log_loss, f1)")
            ) from None
    if args.sep is not None:
        sep = {"\\t": "\t", "tab": "\t"}.get(args.sep, args.sep)
        if len(sep) != 1 or sep in "\r\n\"":
            raise InputError(f"--sep {args.sep!r}: give one character (e.g. ';', "
                             "'\\t' or tab)")
        args.sep = sep
    if args.out:
        _check_out(args.out, args.file)
    max_bytes = (default_memory_limit() if args.max_memory is None
                 else parse_size(args.max_memory))
    return _l1_ratios(args), max_bytes


def _select(args):
    import scipy.sparse as sp
    from sklearn.pipeline import make_pipeline

    l1_ratios, max_bytes = _check_select_args(args)
    start = time.perf_counter()
    data = read_dataset(args.file, args.target, sep=args.sep, encoding=args.encoding,
                        decimal=args.decimal, drop=args.drop or (), max_bytes=max_bytes)
    for notice in data.notices:
        _say(f"note: {notice}")
    classes, counts = _check_classes(data.y, args.cv, args.file, args.target)
    sparse = sp.issparse(data.X)
    n_samples, n_features = data.X.shape[0], len(data.names)
    encoded = ""
    if data.categorical:
        encoded += f", {len(data.categorical)} text"
    if data.missing:
        encoded += f", {len(data.missing)} with missing values"
    _say(
        f"read {args.file}: {n_samples} samples x {n_features} features "
        f"({'sparse' if sparse else 'dense'}{encoded}), "
        f"{'target ' + repr(args.target) + ', ' if args.target else ''}"
        f"classes: {preview([f'{_fmt_label(c)} ({n})' for c, n in zip(classes, counts)], 10)} "
        f"[{time.perf_counter() - start:.1f} s]"
    )
    if data.categorical:
        _say(f"one-hot encoding the text columns {preview(data.categorical, 5)} "
             "(a missing value is a level of its own)")
    if set(data.missing) - set(data.categorical):
        numeric_missing = [c for c in data.missing if c not in data.categorical]
        n_values = sum(data.missing[c] for c in numeric_missing)
        _say(f"imputing {n_values} missing values in {preview(numeric_missing, 5)} by the "
             "column's median, with a missing-value indicator column each")
    penalty = args.penalty
    if penalty == "l0":
        penalty += (f" (L0L2: l1_ratio={','.join(f'{r:g}' for r in l1_ratios)}, the L0 share; "
                    "the rest is a ridge term)")
    _say(
        f"{_SCALING_TEXT[(args.scaling, sparse)]}; "
        f"choosing alpha by {args.cv}-fold cross-validation over {args.n_alphas} values, "
        f"penalty={penalty} ..."
    )
    preprocessor = _preprocessor(data, args.scaling)
    pipe = make_pipeline(
        preprocessor,
        _cv_estimator(args.penalty, args.cv, args.n_alphas, l1_ratios, scoring=args.scoring,
                      n_jobs=args.n_jobs, class_weight=args.class_weight,
                      one_standard_error=args.one_se),
    )
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            pipe.fit(data.X, data.y)
        except ValueError as exc:
            raise InputError(f"{escape(args.file)}: cannot fit: {str(exc).splitlines()[0]}") from None
        except MemoryError:
            raise InputError(
                f"{escape(args.file)}: not enough memory to fit {n_samples} x "
                f"{n_features} (the fit keeps a few copies of the data)"
            ) from None
    elapsed = time.perf_counter() - start
    est = pipe[-1]
    terms, origins = _model_columns(pipe[0], data.names)
    mean, std = _cv_summary(est, args.scoring)
    rows = kept_features(est.coef_, est.classes_, terms, origins)
    n_kept = len({origin for _, origin, _, _ in rows})
    detail = ""
    if len(terms) != n_features:
        nonzero = int(np.count_nonzero(np.any(np.atleast_2d(est.coef_) != 0, axis=0)))
        detail = f" ({nonzero} of {len(terms)} encoded columns)"
    ratio = f", l1_ratio = {est.l1_ratio_:g}" if args.penalty in ("elasticnet", "l0") else ""
    _say(
        f"chosen alpha = {est.alpha_:.4g}{ratio}{' (one-standard-error rule)' if args.one_se else ''}: "
        f"CV {score_label(args.scoring)} {mean:.3g} +/- {std:.2g}, "
        f"{n_kept} of {n_features} features kept{detail} [{elapsed:.1f} s]"
    )
    n_points = _n_path_points(est)
    for count, category, message in _group_warnings(caught):
        _say(f"warning: {count} of {n_points} path points: {category}: {message}")
    binary = np.atleast_2d(est.coef_).shape[0] == 1
    _say(
        f"coefficients on the {_SCALED_NAME[args.scaling]} features"
        + (
            f" (positive favours class {_fmt_label(est.classes_[1])}, "
            f"negative class {_fmt_label(est.classes_[0])})"
            if binary else " (one set per class, multinomial)"
        )
    )
    _print_features(rows, binary, args.top)
    if args.out:
        _write_features(args.out, rows)
        _say(f"wrote {len(rows)} rows (class, feature, term, coefficient) to {args.out}")
    return 0


def _print_features(rows, binary, top):
    """The kept features per class: one line per file column (its largest term first)."""
    if not rows:
        _say("  (no feature kept: every coefficient is zero at the chosen alpha)")
        return
    groups = {}
    for label, feature, term, value in rows:
        features = groups.setdefault(_fmt_label(label), {})
        features.setdefault(escape(feature), []).append((escape(term), value))
    width = max(7, *(len(f) for features in groups.values() for f in features))
    with_terms = any(len(terms) > 1 or terms[0][0] != feature
                     for features in groups.values() for feature, terms in features.items())
    for label, features in groups.items():
        if not binary:
            _say(f"class {label}: {len(features)} features")
        _say(f"  {'rank':>4}  {'feature':<{width}}  {'coefficient':>11}"
             + ("  terms (encoded columns)" if with_terms else ""))
        items = list(features.items())
        shown = items if not top else items[:top]
        for rank, (feature, terms) in enumerate(shown, 1):
            line = f"  {rank:4d}  {feature:<{width}}  {terms[0][1]:11.4g}"
            if len(terms) > 1 or terms[0][0] != feature:
                line += "  " + ", ".join(f"{t} {v:.4g}" for t, v in terms)
            _say(line)
        if len(shown) < len(items):
            _say(f"  ... and {len(items) - len(shown)} more (--top 0 shows all, --out writes all)")


def _spreadsheet_safe(text):
    """``text`` made inert in a spreadsheet: a formula-like start gets a ``'`` prefix.

    Cells starting with ``= + - @``, a tab or a carriage return are read as
    formulas by spreadsheet programs (CSV injection, OWASP); plain numbers
    such as ``-1`` are left as they are.
    """
    text = str(text)
    if text.startswith(_FORMULA_STARTS):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def _write_features(path, rows):
    parent = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(parent, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["class", "feature", "term", "coefficient"])
            for label, feature, term, value in rows:
                label = label.item() if hasattr(label, "item") else label
                writer.writerow([_spreadsheet_safe(label), _spreadsheet_safe(feature),
                                 _spreadsheet_safe(term), repr(value)])
    except OSError as exc:
        raise InputError(f"cannot write {escape(path)}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------


def _check_matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise InputError(
            "--out needs matplotlib for the path plots: pip install matplotlib "
            "(or skreg[plot]), or run the demo without --out"
        ) from None
    matplotlib.use("Agg")


def _demo(args):
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV, train_test_split
    from sklearn.preprocessing import StandardScaler

    from .neural_network import ElasticNetMLPClassifier

    if args.out:
        _check_matplotlib()
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create {args.out}: {exc.strerror or exc}") from None

    quick = args.quick
    cv = 3 if quick else 5
    n_alphas = 10 if quick else 20
    mlp_penalty = args.penalty
    mlp_alphas = [1e-3, 1e-2] if quick else [1e-4, 1e-3, 1e-2]
    mlp_params = {
        "hidden_layer_sizes": (16,) if quick else (32,),
        "penalty": mlp_penalty,
        "max_iter": 30 if quick else 100,
        "learning_rate_init": 1e-2 if quick else 3e-3,
        "batch_size": 64,
        "random_state": 0,
    }
    datasets = [("breast cancer", load_breast_cancer), ("digits", load_digits)]
    n_stages = 2 * len(datasets) + (1 if args.out else 0)
    stage = 0
    results, fitted = [], []
    _say(
        f"skreg demo: penalty={args.penalty}, {cv}-fold CV"
        + (" (--quick)" if quick else "")
    )
    for name, loader in datasets:
        bunch = loader()
        X, y = bunch.data, bunch.target
        feature_names = [str(f) for f in bunch.feature_names]
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=0, stratify=y
        )
        # Standardize once on the training split; both models and the path plot see the same data.
        scaler = StandardScaler().fit(X_train)
        Xs_train, Xs_test = scaler.transform(X_train), scaler.transform(X_test)

        stage += 1
        _say(
            f"[{stage}/{n_stages}] {name} ({X_train.shape[0]} train / {X_test.shape[0]} test, "
            f"{X.shape[1]} features, {np.unique(y).size} classes): logistic regression, "
            f"alpha by RegularizedLogisticRegressionCV over {n_alphas} values ..."
        )
        # One l1_ratio (the CV estimator's default, 0.5) keeps the elastic-net demo fast.
        logit = _cv_estimator(args.penalty, cv, n_alphas, l1_ratios=[0.5])
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            logit.fit(Xs_train, y_train)
        elapsed = time.perf_counter() - start
        mean, _ = _cv_summary(logit)
        results.append((f"logistic {args.penalty}", name, logit.alpha_, mean,
                        logit.score(Xs_test, y_test), int(np.count_nonzero(logit.coef_)),
                        logit.coef_.size, elapsed))
        _say(f"      done in {elapsed:.1f} s: alpha={logit.alpha_:.3g}")

        stage += 1
        _say(
            f"[{stage}/{n_stages}] {name}: ElasticNetMLPClassifier{mlp_params['hidden_layer_sizes']}, "
            f"alpha by GridSearchCV over {mlp_alphas} ..."
        )
        # Both models choose alpha on the held-out log-loss (the CV estimator's default score).
        search = GridSearchCV(ElasticNetMLPClassifier(**mlp_params), {"alpha": mlp_alphas},
                              cv=cv, scoring="neg_log_loss")
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(Xs_train, y_train)
        elapsed = time.perf_counter() - start
        mlp = search.best_estimator_
        n_weights = sum(W.size for W in mlp.coefs_)
        results.append((f"MLP {mlp_penalty}", name, search.best_params_["alpha"],
                         -search.best_score_, mlp.score(Xs_test, y_test),
                         n_weights - mlp.n_zero_weights_, n_weights, elapsed))
        _say(f"      done in {elapsed:.1f} s: alpha={search.best_params_['alpha']:.3g}")
        fitted.append((name, logit, mlp, Xs_train, y_train, feature_names))

    if args.out:
        stage += 1
        _say(f"[{stage}/{n_stages}] plots (regularization paths, MLP sparsity) -> {args.out}")
        for path in _save_plots(fitted, args.out):
            _say(f"      wrote {path}")

    _say("")
    _print_table(results)
    _say(
        "alpha: chosen by CV on the held-out log-loss (mean over folds); test acc: accuracy on "
        "the held-out 25%;"
    )
    _say(
        "non-zero: coefficients (logistic) or weights (MLP) that are not "
        "exactly 0; fit: the whole search (CV over the grid + refit)"
    )
    return 0


def _save_plots(fitted, out):
    """Save the path of every logistic CV fit and the sparsity of every MLP to ``out``."""
    import matplotlib.pyplot as plt

    from .plotting import MLPSparsityDisplay, RegularizationPathDisplay

    written = []
    for name, logit, mlp, X, y, feature_names in fitted:
        slug = name.replace(" ", "_")
        display = RegularizationPathDisplay.from_estimator(
            logit, X, y, feature_names=feature_names
        )
        display.figure_.suptitle(f"{name}: alpha chosen by CV = {logit.alpha_:.3g}")
        path = os.path.join(out, f"path_{slug}.png")
        display.figure_.savefig(path, dpi=100)
        plt.close(display.figure_)
        written.append(path)
        display = MLPSparsityDisplay.from_estimator(mlp)
        display.figure_.suptitle(f"{name}: MLP weights, alpha = {mlp.alpha:.3g}")
        path = os.path.join(out, f"mlp_sparsity_{slug}.png")
        display.figure_.savefig(path, dpi=100)
        plt.close(display.figure_)
        written.append(path)
    return written


def _print_table(results):
    width = max(len("model"), *(len(r[0]) for r in results))
    header = (f"{'model':<{width}} {'dataset':<14} {'alpha':>9} {'CV log-loss':>11} "
              f"{'test acc':>8} {'non-zero':>12} {'fit (s)':>8}")
    _say(header)
    _say("-" * len(header))
    for model, data, alpha, cv_score, test, nnz, total, elapsed in results:
        nz = f"{nnz}/{total}"
        _say(f"{model:<{width}} {data:<14} {alpha:9.3g} {cv_score:11.4f} {test:8.3f} {nz:>12} "
             f"{elapsed:8.2f}")

# ---------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------


def build_parser():
    """The argparse parser of the ``skreg`` command."""
    parser = argparse.ArgumentParser(
        prog="skreg",
        description="Regularized estimators with lambda chosen by cross-validation.",
        epilog="Errors print one line 'skreg: error: ...' and exit with status 2.",
    )
    parser.add_argument("--version", action="version", version=f"skreg {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{demo,select}")
    demo = sub.add_parser(
        "demo",
        help="both estimators on bundled data (breast cancer, digits), alpha chosen by CV",
        description="Fit the logistic model (alpha by RegularizedLogisticRegressionCV) and the "
        "elastic-net MLP (alpha by GridSearchCV) on scikit-learn's breast-cancer and digits "
        "data (standardized), and print alpha, CV and test accuracy, non-zeros and fit time.",
    )
    demo.add_argument("--penalty", default="l1", choices=["l1", "l2", "elasticnet"],
                      help="penalty of both models; default l1 (for L0 models use 'skreg "
                      "select --penalty l0')")
    demo.add_argument("--out", metavar="DIR",
                      help="save the regularization paths (with the CV score) and the MLPs' weight "
                      "sparsity to DIR as PNG files (needs matplotlib)")
    demo.add_argument("--quick", action="store_true",
                      help="smaller grids, folds, network and epochs: a smoke test in a few "
                      "seconds (used by the test suite)")
    select = sub.add_parser(
        "select",
        help="select features of a CSV or svmlight file by cross-validated L1 / elastic net / L0",
        description="Read FILE (.csv or .csv.gz with a header row; svmlight .svm/.svmlight/"
        ".libsvm, optionally .gz), one-hot encode text columns and impute missing values, "
        "standardize the features (sparse: scale without centring), choose alpha by "
        "cross-validation with RegularizedLogisticRegressionCV and print the features kept, "
        "sorted by |coefficient| (per class for more than two classes).",
    )
    select.add_argument("file", metavar="FILE", help="data file (.csv, .svm, .svmlight, .libsvm, "
                        "optionally .gz)")
    select.add_argument("--target", metavar="COLUMN",
                        help="name of the class column (required for CSV files); labels are "
                        "kept as written (integers exactly, else text)")
    select.add_argument("--penalty", default="l1", choices=["l1", "elasticnet", "l0"],
                        help="default l1; l0 is L0L2 (an L0 penalty plus a ridge term, "
                        f"l1_ratio={L0_L1_RATIO:g} unless --l1-ratio says otherwise)")
    select.add_argument("--l1-ratio", metavar="R[,R...]",
                        help="l1_ratio values to cross-validate: the L1 share (elasticnet, "
                        f"default {','.join(map(str, ELASTICNET_L1_RATIOS))}) or the L0 share "
                        f"(l0, default {L0_L1_RATIO:g}; 1 is pure L0)")
    select.add_argument("--cv", type=int, default=5, metavar="K",
                        help="number of stratified cross-validation folds (default 5)")
    select.add_argument("--n-alphas", type=int, default=None, metavar="N",
                        help="size of the alpha grid, from alpha_max down (default 50; 20 for "
                        "l0, whose solutions change at few alphas and cost more per point)")
    select.add_argument("--scoring", metavar="NAME",
                        help="CV score, a scikit-learn scorer name, e.g. balanced_accuracy, "
                        "roc_auc, accuracy (default: log-loss, the objective's own loss)")
    select.add_argument("--class-weight", choices=["balanced"], default=None,
                        help="weight classes inversely to their frequency (imbalanced data)")
    select.add_argument("--one-se", action="store_true",
                        help="one-standard-error rule: the largest alpha whose CV score is "
                        "within one standard error of the best (fewer features)")
    select.add_argument("--n-jobs", type=int, default=None, metavar="N",
                        help="(l1_ratio, fold) paths solved in parallel threads (default 1)")
    select.add_argument("--scaling", choices=["standard", "maxabs", "none"], default="standard",
                        help="feature scaling before the fit: standard (default; sparse input "
                        "is scaled without centring), maxabs (keeps 0/1 features as they are: "
                        "often better for sparse binary data) or none")
    select.add_argument("--top", type=int, default=0, metavar="N",
                        help="print only the N largest coefficients per class (default: all)")
    select.add_argument("--out", metavar="FILE.csv",
                        help="write the kept features as CSV: class,feature,term,coefficient "
                        "(one row per non-zero encoded column; cells that a spreadsheet would "
                        "read as a formula get a ' prefix); never the input file")
    csv_options = select.add_argument_group("CSV files")
    csv_options.add_argument("--sep", metavar="CHAR",
                             help="field delimiter (default: detected among , ; tab |); "
                             "'\\t' or tab for tabs")
    csv_options.add_argument("--decimal", choices=[".", ","], default=None,
                             help="decimal mark (default: ',' for a ';'-separated file whose "
                             "numbers have decimal commas, else '.')")
    csv_options.add_argument("--encoding", default="utf-8",
                             help="text encoding, e.g. latin-1, cp1252, utf-16 (default utf-8)")
    csv_options.add_argument("--drop", metavar="COLUMN", action="append",
                             help="leave a column out (repeat for several), e.g. an identifier")
    select.add_argument("--max-memory", metavar="SIZE",
                        help="stop with an error once the data read take more than SIZE "
                        "(e.g. 500M, 4G; default: a quarter of the memory available)")
    return parser


def main(argv=None):
    """Run the ``skreg`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        Exit status: 0 on success, 2 for a usage or input error or any other
        failure (reported in one line), 130 when interrupted.
    """
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args)
        return _select(args)
    except InputError as exc:
        message = str(exc)
    except MemoryError:
        message = ("out of memory (the data, or the fit's copies of them, need more than "
                   "this machine has; --max-memory stops a read early)")
    except KeyboardInterrupt:
        print("skreg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into e.g. `head`: stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:  # noqa: BLE001  (one line, never a traceback; see TRACEBACK_ENV)
        if os.environ.get(TRACEBACK_ENV):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        message = (f"unexpected {type(exc).__name__}: {first} (please report it; "
                   f"{TRACEBACK_ENV}=1 shows the traceback)")
    print(f"skreg: error: {escape(message)}", file=sys.stderr, flush=True)
    return 2
