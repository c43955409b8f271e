"""Tests of the command line (skreg/__main__.py), driven as a subprocess: ``python -m skreg``.

The data files are generated in tmp_path: a logistic problem whose labels depend on three
planted features among twenty, written as CSV, gzipped CSV and svmlight files.
"""

import csv
import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import dump_svmlight_file

ROOT = Path(__file__).resolve().parents[1]
N_FEATURES = 20
PLANTED = [2, 7, 13]
PLANTED_COEF = [3.0, -3.0, 2.5]
FEATURE_NAMES = [f"gene_{j:02d}" for j in range(N_FEATURES)]


def run_cli(*args, extra_path=None, timeout=900):
    """Run ``python -m skreg ARGS`` with this checkout first on the path."""
    env = dict(os.environ)
    paths = ([str(extra_path)] if extra_path else []) + [str(ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("MPLBACKEND", "Agg")
    return subprocess.run(
        [sys.executable, "-m", "skreg", *map(str, args)],
        capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT, check=False,
    )


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("skreg: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def planted_problem(n_samples=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, N_FEATURES))
    # Features on very different scales: select must standardize.
    X *= np.geomspace(0.01, 100.0, N_FEATURES)
    Z = X / np.geomspace(0.01, 100.0, N_FEATURES)
    logits = Z[:, PLANTED] @ PLANTED_COEF
    y = (rng.random(n_samples) < 1.0 / (1.0 + np.exp(-logits))).astype(int)
    return X, y


def write_csv(path, header, rows):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def planted_csv(path):
    """The planted problem as CSV, the target column ('diagnosis', labels no/yes) in the middle."""
    X, y = planted_problem()
    header = FEATURE_NAMES[:10] + ["diagnosis"] + FEATURE_NAMES[10:]
    rows = [
        [f"{v:.17g}" for v in x[:10]] + [["no", "yes"][label]] + [f"{v:.17g}" for v in x[10:]]
        for x, label in zip(X, y)
    ]
    return write_csv(path, header, rows)


def planted_svmlight(path, zero_based):
    X, y = planted_problem()
    y = np.where(y == 1, 1, -1)
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as f:
            dump_svmlight_file(X, y, f, zero_based=zero_based)
    else:
        dump_svmlight_file(X, y, str(path), zero_based=zero_based)
    return path


def parse_features(stdout):
    """``[(feature, coefficient), ...]`` in printed order, from the select table."""
    return [
        (m.group(1), float(m.group(2)))
        for m in re.finditer(r"^\s+\d+\s+(\S+)\s+(-?[\d.]+(?:e[-+]?\d+)?)\s*$", stdout, re.MULTILINE)
    ]


def assert_planted_kept(stdout, names):
    features = parse_features(stdout)
    kept = [name for name, _ in features]
    assert set(names) <= set(kept), stdout
    # The planted features are the three largest coefficients, with the planted signs.
    assert set(kept[:3]) == set(names), stdout
    coefs = dict(features)
    assert np.sign([coefs[n] for n in names]).tolist() == np.sign(PLANTED_COEF).tolist()
    assert re.search(r"chosen alpha = [\d.e+-]+.*: CV [\w-]+ 0\.\d+ \+/- [\d.e-]+", stdout), stdout


# ---------------------------------------------------------------------------
# select
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["planted.csv", "planted.csv.gz"])
def test_select_csv_keeps_planted_features(tmp_path, name):
    path = planted_csv(tmp_path / name)
    out = tmp_path / "sub" / "kept.csv"
    result = run_cli("select", path, "--target", "diagnosis", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "300 samples x 20 features" in result.stdout
    assert "positive favours class yes" in result.stdout
    assert_planted_kept(result.stdout, [FEATURE_NAMES[j] for j in PLANTED])

    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["class", "feature", "coefficient"]
    printed = parse_features(result.stdout)
    assert [r[1] for r in rows[1:]] == [name for name, _ in printed]
    np.testing.assert_allclose([float(r[2]) for r in rows[1:]], [c for _, c in printed],
                               rtol=1e-3)
    assert {r[0] for r in rows[1:]} == {"yes"}
    assert f"wrote {len(rows) - 1} rows" in result.stdout


@pytest.mark.parametrize(
    "name, zero_based, options",
    [("planted.svmlight", False, []), ("planted.svmlight.gz", False, []),
     ("planted.svm", True, []),
     ("planted.libsvm.gz", True,
      ["--scoring", "balanced_accuracy", "--class-weight", "balanced", "--one-se"])],
)
def test_select_svmlight_keeps_planted_features(tmp_path, name, zero_based, options):
    path = planted_svmlight(tmp_path / name, zero_based)
    result = run_cli("select", path, "--cv", "4", *options)
    assert result.returncode == 0, result.stderr
    assert "(sparse)" in result.stdout and "without centring" in result.stdout
    # Names carry the file's own feature indices (1-based files: index + 1).
    offset = 0 if zero_based else 1
    assert_planted_kept(result.stdout, [f"x{j + offset}" for j in PLANTED])
    if options:
        assert "(one-standard-error rule): CV balanced_accuracy 0." in result.stdout
    else:
        assert ": CV log-loss 0." in result.stdout


def test_select_multiclass_prints_per_class(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((240, 12))
    y = np.argmax(4.0 * X[:, [1, 5, 9]] + 0.3 * rng.standard_normal((240, 3)), axis=1)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    names = [f"m{j}" for j in range(12)]
    path = write_csv(tmp_path / "three.csv", names + ["species"],
                     [[f"{v:.17g}" for v in x] + [lab] for x, lab in zip(X, labels)])
    out = tmp_path / "kept.csv"
    result = run_cli("select", path, "--target", "species", "--top", "2", "--out", out)
    assert result.returncode == 0, result.stderr
    for label, feature in zip(["setosa", "versicolor", "virginica"], ["m1", "m5", "m9"]):
        section = result.stdout.split(f"class {label}:")[1]
        assert parse_features(section)[0][0] == feature, result.stdout
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["class"] for r in rows} == {"setosa", "versicolor", "virginica"}


def test_select_scaling_options(tmp_path):
    """--scaling maxabs / none on the planted CSV (features on scales from 0.01 to 100)."""
    path = planted_csv(tmp_path / "planted.csv")
    result = run_cli("select", path, "--target", "diagnosis", "--scaling", "maxabs", "--cv", "3")
    assert result.returncode == 0, result.stderr
    assert "maximum absolute value" in result.stdout
    assert "coefficients on the max-abs scaled features" in result.stdout
    assert_planted_kept(result.stdout, [FEATURE_NAMES[j] for j in PLANTED])


def test_select_l0_and_elasticnet(tmp_path):
    path = planted_csv(tmp_path / "planted.csv")
    for penalty in ["l0", "elasticnet"]:
        result = run_cli("select", path, "--target", "diagnosis", "--penalty", penalty,
                         "--cv", "3", "--n-alphas", "15")
        assert result.returncode == 0, (penalty, result.stderr)
        assert f"penalty={penalty}" in result.stdout
        kept = [name for name, _ in parse_features(result.stdout)]
        assert {FEATURE_NAMES[j] for j in PLANTED} <= set(kept), result.stdout
        if penalty == "elasticnet":
            assert "l1_ratio = " in result.stdout


# ---------------------------------------------------------------------------
# select: user errors give one line on stderr and exit status 2
# ---------------------------------------------------------------------------


def _numeric_rows(n=20, p=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, p)), np.arange(n) % 2


def make_error_case(case, tmp_path):
    """(arguments, fragments the error line must contain) for each error case."""
    X, y = _numeric_rows()
    good = write_csv(tmp_path / "good.csv", ["a", "b", "c", "label"],
                     [[*map(str, x.tolist()), lab] for x, lab in zip(X, y)])
    if case == "missing file":
        return ["select", tmp_path / "nope.csv", "--target", "label"], ["nope.csv", "no such file"]
    if case == "unknown extension":
        (tmp_path / "data.xlsx").write_text("a,b\n1,2\n")
        return ["select", tmp_path / "data.xlsx"], ["unknown file type '.xlsx'", ".csv", ".svmlight"]
    if case == "no target for csv":
        return ["select", good], ["--target", "a, b, c, label"]
    if case == "missing target column":
        return ["select", good, "--target", "Label"], ["no column named 'Label'", "'label'",
                                                        "a, b, c, label"]
    if case == "non-numeric columns":
        rows = [[str(x[0]), ["red", "blue"][i % 2], str(x[2]), "yes" if i % 3 else "x", lab]
                for i, (x, lab) in enumerate(zip(X, y))]
        path = write_csv(tmp_path / "text.csv", ["a", "colour", "c", "flag", "label"], rows)
        return ["select", path, "--target", "label"], ["non-numeric", "colour", "flag"]
    if case == "single class":
        path = write_csv(tmp_path / "one.csv.gz", ["a", "b", "c", "label"],
                         [[*map(str, x.tolist()), "sick"] for x in X])
        return ["select", path, "--target", "label"], ["single class", "sick"]
    if case == "missing values":
        rows = [[*map(str, x.tolist()), lab] for x, lab in zip(X, y)]
        rows[3][1] = ""
        path = write_csv(tmp_path / "holes.csv", ["a", "b", "c", "label"], rows)
        return ["select", path, "--target", "label"], ["missing values", "b"]
    if case == "ragged row":
        rows = [[*map(str, x.tolist()), lab] for x, lab in zip(X, y)]
        rows[4].append("7")
        path = write_csv(tmp_path / "ragged.csv", ["a", "b", "c", "label"], rows)
        return ["select", path, "--target", "label"], ["line 6", "5 fields", "header has 4"]
    if case == "target with svmlight":
        path = planted_svmlight(tmp_path / "p.svmlight", False)
        return ["select", path, "--target", "y"], ["--target", "CSV files only"]
    if case == "bad svmlight":
        (tmp_path / "bad.svm").write_text("1 3:1 2:x\n0 1:2\n")
        return ["select", tmp_path / "bad.svm"], ["cannot read", "as svmlight"]
    if case == "not gzip":
        (tmp_path / "fake.csv.gz").write_text("a,label\n1,0\n")
        return ["select", tmp_path / "fake.csv.gz", "--target", "label"], ["cannot read",
                                                                             "as CSV"]
    if case == "too few samples per fold":
        return ["select", good, "--target", "label", "--cv", "12"], ["10 samples", "--cv 10"]
    if case == "unknown scorer":
        return ["select", good, "--target", "label", "--scoring", "balanced_acc"], [
            "'balanced_acc' is not a scikit-learn scorer", "balanced_accuracy"]
    if case == "continuous target":
        return ["select", good, "--target", "a"], ["continuous"]
    raise AssertionError(case)


ERROR_CASES = ["missing file", "unknown extension", "no target for csv", "missing target column",
               "non-numeric columns", "single class", "missing values", "ragged row",
               "target with svmlight", "bad svmlight", "not gzip", "too few samples per fold",
               "continuous target", "unknown scorer"]


@pytest.mark.parametrize("case", ERROR_CASES)
def test_select_errors_are_one_line_with_status_2(tmp_path, case, capsys):
    """Every case in-process through main() (what the console script runs: cheap)."""
    from skreg.__main__ import main

    args, fragments = make_error_case(case, tmp_path)
    capsys.readouterr()
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    assert_one_line_error(
        subprocess.CompletedProcess(args, status, captured.out, captured.err), *fragments
    )


@pytest.mark.parametrize("case", ["missing file", "non-numeric columns", "single class"])
def test_select_errors_subprocess(tmp_path, case):
    """A few cases end to end: ``python -m skreg`` exits with status 2, no traceback."""
    args, fragments = make_error_case(case, tmp_path)
    assert_one_line_error(run_cli(*args), *fragments)


def test_read_dataset_in_process(tmp_path):
    """The reader itself: header BOM and spaces, integer-looking labels, gzipped CSV."""
    from skreg.__main__ import CLIError, file_kind, read_dataset

    path = tmp_path / "bom.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8-sig", newline="") as f:
        f.write(" a , b ,y\n1.5, 2,1.0\n-3,4e1,0\n\n")
    X, y, names = read_dataset(str(path), "y")
    assert names == ["a", "b"]
    np.testing.assert_array_equal(X, [[1.5, 2.0], [-3.0, 40.0]])
    assert y.dtype.kind == "i" and y.tolist() == [1, 0]
    assert file_kind("D.LIBSVM.GZ") == "svmlight" and file_kind("x.CSV") == "csv"
    with pytest.raises(CLIError, match="unknown file type"):
        file_kind("x.csv.bz2")


# ---------------------------------------------------------------------------
# demo and entry points
# ---------------------------------------------------------------------------


def test_demo_quick_writes_plots_and_table(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "plots" / "nested"
    result = run_cli("demo", "--quick", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    stdout = result.stdout
    # A progress line per stage.
    for stage in range(1, 6):
        assert f"[{stage}/5]" in stdout, stdout
    # The table: header and one row per model and data set.
    assert re.search(r"^model\s+dataset\s+alpha\s+CV log-loss\s+test acc\s+non-zero\s+fit \(s\)$",
                     stdout, re.MULTILINE), stdout
    rows = re.findall(r"^(logistic l1|MLP l1)\s+(breast cancer|digits)\s+([\d.e+-]+)\s+"
                      r"(\d+\.\d+)\s+(0\.\d+|1\.000)\s+(\d+)/(\d+)\s+[\d.]+$", stdout, re.MULTILINE)
    assert len(rows) == 4, stdout
    for model, data, alpha, cv_score, test, nnz, total in rows:
        assert float(alpha) > 0 and 0 < int(nnz) <= int(total)
        assert float(test) > 0.8, (model, data, test)
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["mlp_sparsity_breast_cancer.png", "mlp_sparsity_digits.png",
                    "path_breast_cancer.png", "path_digits.png"], pngs
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_out_without_matplotlib(tmp_path):
    fake = tmp_path / "fake_site" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named matplotlib')\n")
    result = run_cli("demo", "--quick", "--out", tmp_path / "plots", extra_path=fake.parent)
    assert_one_line_error(result, "matplotlib")
    assert not (tmp_path / "plots").exists()


def test_help_and_usage_errors(capsys):
    result = run_cli("--help")
    assert result.returncode == 0 and "demo" in result.stdout and "select" in result.stdout

    from skreg.__main__ import main

    for argv, words in [(["demo", "--help"], ["--quick", "--out", "--penalty"]),
                        (["select", "--help"], ["--target", "--cv", "--out", ".svmlight"])]:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        text = capsys.readouterr().out
        for word in words:
            assert word in text
    with pytest.raises(SystemExit) as exc:  # argparse: FILE missing
        main(["select"])
    assert exc.value.code == 2
    capsys.readouterr()
    assert main(["select", "x.csv", "--cv", "1", "--target", "y"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--cv must be at least 2" in err[0]


def test_console_script_entry_point():
    """The ``skreg`` console script calls the same main (installed by pip install)."""
    from importlib.metadata import entry_points

    scripts = [ep for ep in entry_points(group="console_scripts") if ep.name == "skreg"]
    if not scripts:
        pytest.skip("skreg is not installed (no console script)")
    assert scripts[0].value == "skreg.__main__:main"
    from skreg.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert main(["select", "missing.csv", "--target", "y"]) == 2
