"""Command line entry point: ``python -m skreg demo`` (also the ``skreg`` console script)."""

import argparse
import sys
import time
import warnings

import numpy as np


def _demo(args):
    from sklearn.datasets import load_breast_cancer
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .linear_model import RegularizedLogisticRegression

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                        stratify=y)
    print(f"breast cancer: {X_train.shape[0]} train / {X_test.shape[0]} test samples, "
          f"{X.shape[1]} features")
    print(f"stage 1/2: GridSearchCV (5-fold) over alpha, penalty={args.penalty}")
    pipe = make_pipeline(StandardScaler(), RegularizedLogisticRegression(penalty=args.penalty))
    alphas = np.geomspace(0.3, 1e-4, 8)
    search = GridSearchCV(pipe, {"regularizedlogisticregression__alpha": alphas}, cv=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)

    print("stage 2/2: refit at each alpha on the training set")
    header = f"{'alpha':>10} {'CV score':>9} {'test':>6} {'non-zero':>9} {'fit time (s)':>13}"
    print(header)
    print("-" * len(header))
    for alpha, score in zip(alphas, search.cv_results_["mean_test_score"]):
        model = make_pipeline(
            StandardScaler(), RegularizedLogisticRegression(penalty=args.penalty, alpha=alpha)
        )
        start = time.perf_counter()
        model.fit(X_train, y_train)
        elapsed = time.perf_counter() - start
        clf = model[-1]
        mark = " <- chosen" if alpha == search.best_params_["regularizedlogisticregression__alpha"] else ""
        print(f"{alpha:10.4g} {score:9.4f} {model.score(X_test, y_test):6.3f} "
              f"{np.count_nonzero(clf.coef_):5d}/{clf.coef_.size:<3d} {elapsed:13.4f}{mark}")
    best = search.best_estimator_
    print(f"chosen alpha={search.best_params_['regularizedlogisticregression__alpha']:.4g}: "
          f"test accuracy {best.score(X_test, y_test):.3f}, "
          f"KKT certificate {best[-1].kkt_violation_:.1e}")
    return 0


def main(argv=None):
    """Run the skreg command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        Exit status.
    """
    parser = argparse.ArgumentParser(prog="skreg", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="choose alpha by cross-validation on bundled data")
    demo.add_argument("--penalty", default="l1", choices=["l1", "l2", "elasticnet"])
    args = parser.parse_args(argv)
    if args.command == "demo":
        return _demo(args)
    return 2  # pragma: no cover (argparse rejects other commands)


if __name__ == "__main__":
    sys.exit(main())
