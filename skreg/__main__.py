"""skreg's command line (``skreg ...`` or ``python -m skreg ...``).

Commands
--------
demo
    Both estimators on scikit-learn's bundled breast-cancer and digits data:
    the logistic model with ``alpha`` chosen by RegularizedLogisticRegressionCV,
    the elastic-net MLP with ``alpha`` chosen by GridSearchCV; prints a table
    and, with ``--out DIR``, saves the regularization paths as PNG files.
select
    Feature selection on a CSV or svmlight file: standardize, choose ``alpha``
    by cross-validation, print the features kept and their coefficients.

User errors (a missing file, an unknown format, a bad column, ...) print one
line ``skreg: error: ...`` on stderr and exit with status 2.
"""

import argparse
import csv
import difflib
import gzip
import os
import sys
import time
import warnings

import numpy as np

#: File name endings (after an optional ``.gz``) that ``select`` reads.
CSV_EXTENSIONS = (".csv",)
SVMLIGHT_EXTENSIONS = (".svm", ".svmlight", ".libsvm")
#: Cell values read as missing in a CSV file.
_MISSING = {"", "na", "nan", "null", "none", "?", "n/a"}


class CLIError(Exception):
    """A problem with the user's input: reported as one line on stderr, exit status 2."""


def _say(*args):
    print(*args, flush=True)


def _preview(items, limit=8):
    """``a, b, c, ..., y, z (N in all)``: a short listing of possibly many names."""
    items = [str(i) for i in items]
    if len(items) <= limit:
        return ", ".join(items)
    head, tail = items[: limit - 3], items[-3:]
    return ", ".join(head) + ", ..., " + ", ".join(tail) + f" ({len(items)} in all)"


def _fmt_label(label):
    return str(label.item() if hasattr(label, "item") else label)


# ---------------------------------------------------------------------------
# reading data files
# ---------------------------------------------------------------------------


def file_kind(path):
    """``"csv"`` or ``"svmlight"`` from the file name (``.gz`` allowed), else CLIError."""
    name = os.path.basename(path).lower()
    name = name.removesuffix(".gz")
    ext = os.path.splitext(name)[1]
    if ext in CSV_EXTENSIONS:
        return "csv"
    if ext in SVMLIGHT_EXTENSIONS:
        return "svmlight"
    known = ", ".join(CSV_EXTENSIONS + SVMLIGHT_EXTENSIONS)
    raise CLIError(
        f"{path}: unknown file type {ext or '(no extension)'!r}; expected one of {known} "
        f"(optionally gzipped, ending in .gz)"
    )


def _labels(values):
    """Class labels from strings or floats: integers when every value is a whole number."""
    values = np.asarray(values)
    if values.dtype.kind in "US":
        try:
            numeric = values.astype(np.float64)
        except ValueError:
            return values
    else:
        numeric = values.astype(np.float64)
    if np.all(np.isfinite(numeric)) and np.all(numeric == np.round(numeric)):
        return numeric.astype(np.int64)
    return numeric


def _read_csv(path, target):
    """Read a CSV file: a header row, then one sample per row; ``target`` names the label column."""
    opener = gzip.open if path.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", newline="", encoding="utf-8-sig") as f:
            rows = [row for row in csv.reader(f) if row and any(cell.strip() for cell in row)]
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise CLIError(f"cannot read {path} as CSV: {exc}") from None
    if not rows:
        raise CLIError(f"{path}: the file is empty (expected a header row, then data rows)")
    header = [name.strip() for name in rows[0]]
    data = rows[1:]
    if target is None:
        raise CLIError(
            f"{path}: a CSV file needs --target COLUMN naming the class column "
            f"(columns: {_preview(header)})"
        )
    if target not in header:
        close = difflib.get_close_matches(target, header, n=1)
        folded = [h for h in header if h.lower() == target.lower()]
        hint = f" (did you mean {(folded or close)[0]!r}?)" if folded or close else ""
        raise CLIError(
            f"{path}: no column named {target!r}{hint}; columns: {_preview(header)}"
        )
    if header.count(target) > 1:
        raise CLIError(f"{path}: {header.count(target)} columns are named {target!r}")
    if not data:
        raise CLIError(f"{path}: the file has a header but no data rows")
    for i, row in enumerate(data):
        if len(row) != len(header):
            raise CLIError(
                f"{path}: line {i + 2} has {len(row)} fields but the header has {len(header)}"
            )
    table = np.array(data, dtype=str)
    t = header.index(target)
    feature_idx = [j for j in range(len(header)) if j != t]
    names = [header[j] for j in feature_idx]
    if not names:
        raise CLIError(f"{path}: no feature columns besides the target {target!r}")

    y_raw = np.char.strip(table[:, t])
    n_missing = int(np.isin(np.char.lower(y_raw), list(_MISSING)).sum())
    if n_missing:
        raise CLIError(f"{path}: the target column {target!r} has {n_missing} missing values")

    cells = table[:, feature_idx]
    try:
        X = cells.astype(np.float64)
    except ValueError:
        X = None
    if X is None:
        non_numeric, with_missing = [], []
        for k, name in enumerate(names):
            col = np.char.strip(cells[:, k])
            try:
                col.astype(np.float64)
                continue
            except ValueError:
                pass
            bad = [v for v in col if not _is_float(v)]
            if all(v.lower() in _MISSING for v in bad):
                with_missing.append(name)
            else:
                non_numeric.append(f"{name} (e.g. {bad[0][:20]!r})")
        if non_numeric:
            raise CLIError(
                f"{path}: non-numeric feature columns: {_preview(non_numeric, 5)}; "
                f"select needs numbers (encode them, or drop those columns)"
            )
        raise CLIError(f"{path}: missing values in feature columns: {_preview(with_missing, 5)}")
    bad = ~np.isfinite(X)
    if bad.any():
        cols = [names[k] for k in np.flatnonzero(bad.any(axis=0))]
        raise CLIError(
            f"{path}: missing or infinite values in feature columns: {_preview(cols, 5)}"
        )
    return X, _labels(y_raw), names


def _is_float(value):
    try:
        float(value)
    except ValueError:
        return False
    return True


def _read_svmlight(path):
    """Read an svmlight / libsvm file (sparse CSR); features are named ``x<index in the file>``."""
    from sklearn.datasets import load_svmlight_file

    try:
        # zero_based=True keeps the file's own indices as column numbers; an empty
        # column 0 then means the usual one-based file and is dropped below.
        X, y = load_svmlight_file(path, zero_based=True)
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CLIError(f"cannot read {path} as svmlight: {msg}") from None
    offset = 0
    if X.shape[1] > 0 and X.indptr[-1] > 0 and X.indices.min() > 0:
        X = X[:, 1:]
        offset = 1
    if X.shape[0] == 0:
        raise CLIError(f"{path}: no samples in the file")
    names = [f"x{j + offset}" for j in range(X.shape[1])]
    return X, _labels(y), names


def read_dataset(path, target=None):
    """Read ``path`` (CSV or svmlight, optionally gzipped).

    Returns
    -------
    X : ndarray or scipy.sparse.csr_matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    names : list of str
        Feature names: the CSV header, or ``x<index>`` for svmlight.
    """
    if not os.path.exists(path):
        raise CLIError(f"{path}: no such file")
    if os.path.isdir(path):
        raise CLIError(f"{path}: is a directory, not a data file")
    kind = file_kind(path)
    if kind == "csv":
        return _read_csv(path, target)
    if target is not None:
        raise CLIError(
            f"{path}: --target applies to CSV files only (an svmlight file holds its labels "
            f"in the first field of each line)"
        )
    return _read_svmlight(path)


def _check_classes(y, cv, path, target):
    from sklearn.utils.multiclass import type_of_target

    what = f"the target column {target!r}" if target else "the labels"
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise CLIError(
            f"{path}: {what} holds a single class ({_fmt_label(classes[0])}); "
            f"selection needs at least two"
        )
    kind = type_of_target(y)
    if kind == "continuous":
        raise CLIError(
            f"{path}: {what} is continuous ({classes.size} distinct values); "
            f"select needs class labels"
        )
    smallest = int(counts.min())
    label = _fmt_label(classes[np.argmin(counts)])
    if smallest < 2:
        raise CLIError(
            f"{path}: class {label} has a single sample; cross-validation needs at least two "
            f"per class"
        )
    if smallest < cv:
        raise CLIError(
            f"{path}: class {label} has {smallest} samples, fewer than the {cv} "
            f"cross-validation folds (use --cv {smallest} or fewer)"
        )
    return classes, counts


# ---------------------------------------------------------------------------
# select
# ---------------------------------------------------------------------------


def _cv_estimator(penalty, cv, n_alphas, l1_ratios=(0.2, 0.5, 0.8, 0.95), **kwargs):
    """RegularizedLogisticRegressionCV; ``l1_ratios`` are cross-validated for the elastic net."""
    from .linear_model import RegularizedLogisticRegressionCV

    if penalty == "elasticnet":
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


def kept_features(coef, classes, names):
    """Rows ``(class, feature, coefficient)`` of the non-zero coefficients, by class then |coef|.

    A binary model has one row of coefficients, attributed to ``classes[1]`` (a
    positive coefficient favours it).
    """
    coef = np.atleast_2d(coef)
    row_classes = [classes[1]] if coef.shape[0] == 1 else list(classes)
    out = []
    for label, row in zip(row_classes, coef):
        nz = np.flatnonzero(row)
        order = nz[np.argsort(-np.abs(row[nz]), kind="stable")]
        out.extend((label, names[j], float(row[j])) for j in order)
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


def _select(args):
    import scipy.sparse as sp
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.pipeline import make_pipeline

    if args.cv < 2:
        raise CLIError(f"--cv must be at least 2, got {args.cv}")
    if args.n_alphas < 1:
        raise CLIError(f"--n-alphas must be at least 1, got {args.n_alphas}")
    if args.scoring is not None:
        from sklearn.metrics import get_scorer, get_scorer_names

        try:
            get_scorer(args.scoring)
        except ValueError:
            close = difflib.get_close_matches(args.scoring, get_scorer_names(), n=3)
            raise CLIError(
                f"--scoring {args.scoring!r} is not a scikit-learn scorer name"
                + (f" (did you mean {', '.join(close)}?)" if close else
                   " (e.g. accuracy, balanced_accuracy, roc_auc, neg_log_loss, f1)")
            ) from None
    start = time.perf_counter()
    X, y, names = read_dataset(args.file, args.target)
    sparse = sp.issparse(X)
    classes, counts = _check_classes(y, args.cv, args.file, args.target)
    _say(
        f"read {args.file}: {X.shape[0]} samples x {X.shape[1]} features "
        f"({'sparse' if sparse else 'dense'}), "
        f"{'target ' + repr(args.target) + ', ' if args.target else ''}"
        f"classes: {_preview([f'{_fmt_label(c)} ({n})' for c, n in zip(classes, counts)], 10)} "
        f"[{time.perf_counter() - start:.1f} s]"
    )
    _say(
        f"{_SCALING_TEXT[(args.scaling, sparse)]}; "
        f"choosing alpha by {args.cv}-fold cross-validation over {args.n_alphas} values, "
        f"penalty={args.penalty} ..."
    )
    pipe = make_pipeline(
        _scaler(args.scaling, sparse),
        _cv_estimator(args.penalty, args.cv, args.n_alphas, scoring=args.scoring,
                      n_jobs=args.n_jobs,
                      class_weight=args.class_weight, one_standard_error=args.one_se),
    )
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            pipe.fit(X, y)
        except ValueError as exc:
            raise CLIError(f"{args.file}: cannot fit: {str(exc).splitlines()[0]}") from None
    elapsed = time.perf_counter() - start
    n_warn = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    est = pipe[-1]
    mean, std = _cv_summary(est, args.scoring)
    rows = kept_features(est.coef_, est.classes_, names)
    n_kept = int(np.count_nonzero(np.any(np.atleast_2d(est.coef_) != 0, axis=0)))
    ratio = ""
    if args.penalty == "elasticnet":
        ratio = f", l1_ratio = {est.l1_ratio_:g}"
    _say(
        f"chosen alpha = {est.alpha_:.4g}{ratio}{' (one-standard-error rule)' if args.one_se else ''}: "
        f"CV {score_label(args.scoring)} {mean:.3g} +/- {std:.2g}, "
        f"{n_kept} of {X.shape[1]} features kept [{elapsed:.1f} s]"
    )
    if n_warn:
        _say(f"note: {n_warn} fits stopped at max_iter before reaching tol (ConvergenceWarning)")
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
        _say(f"wrote {len(rows)} rows (class, feature, coefficient) to {args.out}")
    return 0


def _print_features(rows, binary, top):
    if not rows:
        _say("  (no feature kept: every coefficient is zero at the chosen alpha)")
        return
    width = max(7, max(len(name) for _, name, _ in rows))
    groups = {}
    for label, name, value in rows:
        groups.setdefault(_fmt_label(label), []).append((name, value))
    for label, items in groups.items():
        if not binary:
            _say(f"class {label}: {len(items)} features")
        _say(f"  {'rank':>4}  {'feature':<{width}}  {'coefficient':>11}")
        shown = items if not top else items[:top]
        for rank, (name, value) in enumerate(shown, 1):
            _say(f"  {rank:4d}  {name:<{width}}  {value:11.4g}")
        if len(shown) < len(items):
            _say(f"  ... and {len(items) - len(shown)} more (--top 0 shows all, --out writes all)")


def _write_features(path, rows):
    parent = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(parent, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["class", "feature", "coefficient"])
            for label, name, value in rows:
                writer.writerow([_fmt_label(label), name, repr(value)])
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------


def _check_matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise CLIError(
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
            raise CLIError(f"cannot create {args.out}: {exc.strerror or exc}") from None

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
        "the held-out 25%;\nnon-zero: coefficients (logistic) or weights (MLP) that are not "
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
        epilog="Errors in the input print one line 'skreg: error: ...' and exit with status 2.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{demo,select}")
    demo = sub.add_parser(
        "demo",
        help="both estimators on bundled data (breast cancer, digits), alpha chosen by CV",
        description="Fit the logistic model (alpha by RegularizedLogisticRegressionCV) and the "
        "elastic-net MLP (alpha by GridSearchCV) on scikit-learn's breast-cancer and digits "
        "data (standardized), and print alpha, CV and test accuracy, non-zeros and fit time.",
    )
    demo.add_argument("--penalty", default="l1", choices=["l1", "l2", "elasticnet"],
                      help="penalty of both models; default l1 (for l0 use 'skreg select "
                      "--penalty l0': its cross-validated multinomial path on digits takes "
                      "minutes)")
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
        ".libsvm, optionally .gz), standardize the features (sparse: scale without centring), "
        "choose alpha by cross-validation with RegularizedLogisticRegressionCV and print the "
        "features kept, sorted by |coefficient| (per class for more than two classes).",
    )
    select.add_argument("file", metavar="FILE", help="data file (.csv, .svm, .svmlight, .libsvm, "
                        "optionally .gz)")
    select.add_argument("--target", metavar="COLUMN",
                        help="name of the class column (required for CSV files)")
    select.add_argument("--penalty", default="l1", choices=["l1", "elasticnet", "l0"],
                        help="default l1")
    select.add_argument("--cv", type=int, default=5, metavar="K",
                        help="number of stratified cross-validation folds (default 5)")
    select.add_argument("--n-alphas", type=int, default=50, metavar="N",
                        help="size of the alpha grid, from alpha_max down (default 50)")
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
                        help="write the kept features as CSV: class,feature,coefficient")
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
        Exit status: 0 on success, 2 for a usage or input error.
    """
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args)
        return _select(args)
    except CLIError as exc:
        print(f"skreg: error: {exc}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print("skreg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into e.g. `head`: stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
