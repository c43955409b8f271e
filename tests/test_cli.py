"""Tests of the command line (skreg/cli.py, skreg/_io.py): ``python -m skreg`` and ``main()``.

The data files are generated in tmp_path: a logistic problem whose labels depend on three
planted features among twenty, written as CSV, gzipped CSV and svmlight files, plus files that
real users have: semicolon-separated, latin-1, with an index column, text columns and missing
values, hostile names, and inputs that expand hugely.
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


def run_cli(*args, timeout=900):
    """Run ``python -m skreg ARGS`` with this checkout first on the path."""
    env = dict(os.environ)
    paths = [str(ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("MPLBACKEND", "Agg")
    return subprocess.run(
        [sys.executable, "-m", "skreg", *map(str, args)],
        capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT, check=False,
    )


def run_main(capsys, *args):
    """``main(ARGS)`` in this process: (status, stdout, stderr)."""
    from skreg.cli import main

    capsys.readouterr()
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_in_process(capsys, *args):
    """``main(ARGS)`` in this process, as the CompletedProcess that :func:`run_cli` returns.

    The tests of what the command prints run here (no interpreter start-up, no
    second load of the compiled kernels); a few tests run ``python -m skreg`` itself.
    """
    status, out, err = run_main(capsys, *args)
    return subprocess.CompletedProcess(list(args), status, out, err)


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
def test_select_csv_keeps_planted_features(tmp_path, capsys, name):
    path = planted_csv(tmp_path / name)
    out = tmp_path / "sub" / "kept.csv"
    result = run_in_process(capsys, "select", path, "--target", "diagnosis", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "300 samples x 20 features" in result.stdout
    assert "positive favours class yes" in result.stdout
    assert_planted_kept(result.stdout, [FEATURE_NAMES[j] for j in PLANTED])

    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["class", "feature", "term", "coefficient"]
    printed = parse_features(result.stdout)
    assert [r[1] for r in rows[1:]] == [name for name, _ in printed]
    assert [r[2] for r in rows[1:]] == [name for name, _ in printed]  # numeric: term = column
    np.testing.assert_allclose([float(r[3]) for r in rows[1:]], [c for _, c in printed],
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
def test_select_svmlight_keeps_planted_features(tmp_path, capsys, name, zero_based, options):
    path = planted_svmlight(tmp_path / name, zero_based)
    result = run_in_process(capsys, "select", path, "--cv", "4", *options)
    assert result.returncode == 0, result.stderr
    assert "(sparse)" in result.stdout and "without centring" in result.stdout
    # Names carry the file's own feature indices (1-based files: index + 1).
    offset = 0 if zero_based else 1
    assert_planted_kept(result.stdout, [f"x{j + offset}" for j in PLANTED])
    if options:
        assert "(one-standard-error rule): CV balanced_accuracy 0." in result.stdout
    else:
        assert ": CV log-loss 0." in result.stdout


def test_select_multiclass_prints_per_class(tmp_path, capsys):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((240, 12))
    y = np.argmax(4.0 * X[:, [1, 5, 9]] + 0.3 * rng.standard_normal((240, 3)), axis=1)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    names = [f"m{j}" for j in range(12)]
    path = write_csv(tmp_path / "three.csv", names + ["species"],
                     [[f"{v:.17g}" for v in x] + [lab] for x, lab in zip(X, labels)])
    out = tmp_path / "kept.csv"
    result = run_in_process(capsys, "select", path, "--target", "species", "--top", "2",
                            "--out", out)
    assert result.returncode == 0, result.stderr
    for label, feature in zip(["setosa", "versicolor", "virginica"], ["m1", "m5", "m9"]):
        section = result.stdout.split(f"class {label}:")[1]
        assert parse_features(section)[0][0] == feature, result.stdout
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["class"] for r in rows} == {"setosa", "versicolor", "virginica"}


def test_select_scaling_options(tmp_path, capsys):
    """--scaling maxabs / none on the planted CSV (features on scales from 0.01 to 100)."""
    path = planted_csv(tmp_path / "planted.csv")
    result = run_in_process(capsys, "select", path, "--target", "diagnosis", "--scaling",
                            "maxabs", "--cv", "3")
    assert result.returncode == 0, result.stderr
    assert "maximum absolute value" in result.stdout
    assert "coefficients on the max-abs scaled features" in result.stdout
    assert_planted_kept(result.stdout, [FEATURE_NAMES[j] for j in PLANTED])


def test_select_l0_and_elasticnet(tmp_path, capsys):
    path = planted_csv(tmp_path / "planted.csv")
    for penalty in ["l0", "elasticnet"]:
        result = run_in_process(capsys, "select", path, "--target", "diagnosis", "--penalty",
                                penalty, "--cv", "3", "--n-alphas", "15")
        assert result.returncode == 0, (penalty, result.stderr)
        assert f"penalty={penalty}" in result.stdout
        kept = [name for name, _ in parse_features(result.stdout)]
        assert {FEATURE_NAMES[j] for j in PLANTED} <= set(kept), result.stdout
        assert "l1_ratio = " in result.stdout
        if penalty == "l0":
            # L0L2 by default: pure L0 has no finite solution on separable data.
            assert "penalty=l0 (L0L2: l1_ratio=0.5" in result.stdout
            assert "l1_ratio = 0.5:" in result.stdout


def separable_csv(path, n=40):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((n, 4))
    y = (X[:, 0] > 0).astype(int)
    return write_csv(path, ["a", "b", "c", "d", "y"],
                     [[*(f"{v:.17g}" for v in x), label] for x, label in zip(X, y)])


def test_select_l0_defaults_and_truthful_warnings(tmp_path, capsys):
    """Warnings are grouped, with their real category and message, counted over path points."""
    path = separable_csv(tmp_path / "separable.csv")
    status, out, err = run_main(capsys, "select", path, "--target", "y", "--penalty", "l0",
                                "--l1-ratio", "1", "--cv", "2", "--n-alphas", "6")
    assert status == 0, err
    warned = re.findall(r"^warning: (\d+) of (\d+) path points: (\w+): (.*)$", out, re.MULTILINE)
    assert warned, out
    n_points = 2 * 6
    for count, total, category, message in warned:
        assert n_points < int(total) <= n_points + 6 and 1 <= int(count) <= int(total)
    assert any(cat == "ConvergenceWarning" and "separable" in msg for _, _, cat, msg in warned)
    assert "stopped at max_iter" not in out
    # Numbers differ between points (alpha=...), the message is the same: one line per kind.
    assert len({(cat, re.sub(r"[\d.e+-]+", "#", msg)) for _, _, cat, msg in warned}) == len(warned)

    # The default: L0L2 over a 20-point grid.
    status, out, err = run_main(capsys, "select", path, "--target", "y", "--penalty", "l0",
                                "--cv", "2")
    assert status == 0, err
    assert "over 20 values, penalty=l0 (L0L2: l1_ratio=0.5" in out
    assert "warning:" not in out


# ---------------------------------------------------------------------------
# select: files as users have them
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("sep, decimal, options", [
    (";", ",", []), (";", ".", []), ("\t", ".", []), ("|", ".", []), (";", ".", ["--sep", ";"]),
    ("\t", ".", ["--sep", "\\t"]),
])
def test_select_csv_delimiters(tmp_path, capsys, sep, decimal, options):
    X, y = planted_problem()
    header = FEATURE_NAMES + ["diagnosis"]
    path = tmp_path / "planted.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, delimiter=sep)
        writer.writerow(header)
        for x, label in zip(X, y):
            writer.writerow([f"{v:.17g}".replace(".", decimal) for v in x] + [["no", "yes"][label]])
    status, out, err = run_main(capsys, "select", path, "--target", "diagnosis", *options)
    assert status == 0, err
    assert "300 samples x 20 features (dense)" in out
    assert_planted_kept(out, [FEATURE_NAMES[j] for j in PLANTED])
    assert ("columns separated by" in out) == (sep != "," and not options)
    assert ("decimal comma" in out) == (decimal == ",")


def test_select_encoding(tmp_path, capsys):
    X, y = _numeric_rows(40)
    rows = [[*map(str, x.tolist()), ["malade", "guéri"][label]] for x, label in zip(X, y)]
    path = tmp_path / "latin.csv"
    with open(path, "w", newline="", encoding="latin-1") as f:
        writer = csv.writer(f)
        writer.writerow(["café", "b", "c", "état"])
        writer.writerows(rows)
    status, out, err = run_main(capsys, "select", path, "--target", "état")
    assert_one_line_error(subprocess.CompletedProcess([], status, out, err),
                          "not valid utf-8", "--encoding latin-1")
    status, out, err = run_main(capsys, "select", path, "--target", "état",
                                "--encoding", "latin-1", "--cv", "3")
    assert status == 0, err
    assert "classes: guéri (20), malade (20)" in out


@pytest.mark.parametrize("shuffle", [False, True])
def test_select_drops_unnamed_index_column(tmp_path, capsys, shuffle):
    """DataFrame.to_csv() writes the index unnamed; on class-sorted rows it would leak the label."""
    pd = pytest.importorskip("pandas")
    X, y = planted_problem()
    frame = pd.DataFrame(X, columns=FEATURE_NAMES)
    frame["diagnosis"] = np.where(y == 1, "yes", "no")
    frame = frame.sort_values("diagnosis", kind="stable")
    if not shuffle:
        frame = frame.reset_index(drop=True)  # index 0..n-1, still class-sorted
    path = tmp_path / "indexed.csv"
    frame.to_csv(path)
    status, out, err = run_main(capsys, "select", path, "--target", "diagnosis")
    assert status == 0, err
    assert "note: dropped the first column: no name and " in out
    assert ("the row numbers 0..299" in out) != shuffle
    assert "300 samples x 20 features" in out
    assert "Unnamed" not in out
    assert_planted_kept(out, [FEATURE_NAMES[j] for j in PLANTED])

    # An unnamed column that is not an index (floats) stays a feature.
    from skreg._io import read_dataset

    frame.insert(0, "", np.linspace(0.0, 1.0, len(frame)))
    frame.to_csv(tmp_path / "unnamed_feature.csv", index=False)
    data = read_dataset(str(tmp_path / "unnamed_feature.csv"), "diagnosis")
    assert data.names[0] == "Unnamed: 0" and len(data.names) == 21 and not data.notices


def mixed_frame(n=400, seed=4):
    """Numeric columns (g0 with missing values), a text column that matters, one that does not."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5))
    colour = rng.choice(["red", "green", "blue"], n)
    logits = 3.0 * X[:, 0] - 3.0 * X[:, 3] + 3.0 * (colour == "red") - 1.0
    y = rng.random(n) < 1.0 / (1.0 + np.exp(-logits))
    frame = pd.DataFrame(X, columns=[f"g{j}" for j in range(5)])
    frame["colour"] = colour
    frame["site"] = rng.choice(["north", "south", "east", "west"], n)
    frame.loc[rng.random(n) < 0.1, "g0"] = np.nan
    frame.loc[rng.random(n) < 0.05, "site"] = np.nan
    frame["label"] = np.where(y, "yes", "no")
    return frame


def test_select_one_hot_and_imputation_report_original_columns(tmp_path, capsys):
    frame = mixed_frame()
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    out_csv = tmp_path / "kept.csv"
    status, out, err = run_main(capsys, "select", path, "--target", "label", "--out", out_csv)
    assert status == 0, err
    assert "400 samples x 7 features (dense, 2 text, 2 with missing values)" in out
    assert "one-hot encoding the text columns colour, site" in out
    n_missing = int(frame["g0"].isna().sum())
    assert f"imputing {n_missing} missing values in g0 by the column's median" in out
    with open(out_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    features = [r["feature"] for r in rows]
    assert {"g0", "g3", "colour"} <= set(features)
    # Each file column comes once in the ranking, its terms together.
    ranked = list(dict.fromkeys(features))
    assert [r["feature"] for r in rows] == [f for f in ranked for r in rows if r["feature"] == f]
    coef = {r["term"]: float(r["coefficient"]) for r in rows}
    for r in rows:
        if r["feature"] == "colour":
            assert r["term"].startswith("colour=")
        elif r["feature"] == "g0":
            assert r["term"] in ("g0", "g0 (missing)")
    # Signs of the planted effects (positive favours class "yes").
    assert coef["g0"] > 0 and coef["g3"] < 0 and coef["colour=red"] > 0
    assert max(abs(v) for t, v in coef.items() if t.startswith("colour=")) == abs(coef["colour=red"])
    n_kept = int(re.search(r"(\d+) of 7 features kept", out).group(1))
    assert n_kept == len(ranked)


def test_preprocessor_columns_map_back_to_the_file():
    """The ColumnTransformer's output columns, named and traced to their file column."""
    from skreg._io import Dataset
    from skreg.cli import _model_columns, _preprocessor

    frame = mixed_frame(60).drop(columns="label")
    names = list(frame.columns)
    missing = {c: int(n) for c, n in frame.isna().sum().items() if n}
    data = Dataset(frame, None, names, ["colour", "site"], missing, [])
    prep = _preprocessor(data, "none")
    Z = prep.fit_transform(frame)
    Z = Z.toarray() if hasattr(Z, "toarray") else Z
    terms, origins = _model_columns(prep, names)
    assert len(terms) == Z.shape[1] == len(origins)
    levels = {"colour": ["blue", "green", "red"], "site": ["(missing)", "east", "north", "south",
                                                          "west"]}
    for j, (term, origin) in enumerate(zip(terms, origins)):
        if origin in levels:
            level = term.split("=", 1)[1]
            assert level in levels[origin]
            expected = (frame[origin].fillna("(missing)") == level).to_numpy(float)
            np.testing.assert_array_equal(Z[:, j], expected)
        elif term.endswith(" (missing)"):
            np.testing.assert_array_equal(Z[:, j], frame[origin].isna().to_numpy(float))
        else:
            column = frame[origin].to_numpy()
            filled = np.where(np.isnan(column), np.nanmedian(column), column)
            np.testing.assert_allclose(Z[:, j], filled)
    assert sorted(set(origins)) == sorted(names)


def test_labels_kept_as_read(tmp_path, capsys):
    """64-bit IDs that float64 cannot tell apart stay two classes (CSV and svmlight)."""
    from skreg._io import read_dataset

    big = 2**62
    X, _ = _numeric_rows(20)
    labels = [big + (i % 2) for i in range(20)]
    path = write_csv(tmp_path / "ids.csv", ["a", "b", "c", "id"],
                     [[*map(str, x.tolist()), str(lab)] for x, lab in zip(X, labels)])
    data = read_dataset(str(path), "id")
    assert data.y.dtype == np.int64 and data.y.tolist() == labels
    status, out, err = run_main(capsys, "select", path, "--target", "id", "--cv", "3")
    assert status == 0, err
    assert f"classes: {big} (10), {big + 1} (10)" in out

    svm = tmp_path / "ids.svm"
    svm.write_text("".join(f"{lab} 1:{x[0]:.17g} 2:{x[1]:.17g}\n" for x, lab in zip(X, labels)))
    data = read_dataset(str(svm))
    assert data.y.dtype == np.int64 and data.y.tolist() == labels
    # Labels beyond int64 stay text; floats and "1.0"-style integers as usual.
    svm.write_text("".join(f"{lab} 1:1\n" for lab in ["18446744073709551617", "3", "1.0"]))
    assert read_dataset(str(svm)).y.tolist() == ["18446744073709551617", "3", "1.0"]
    svm.write_text("1.0 1:1\n-1 2:1\n")
    assert read_dataset(str(svm)).y.tolist() == [1, -1]


def test_svmlight_stray_index_takes_no_memory(tmp_path, capsys):
    """One bad index (1000000000:1) adds one column, not a billion."""
    from skreg._io import read_dataset

    path = planted_svmlight(tmp_path / "planted.svm", zero_based=False)
    with open(path, "a") as f:
        f.write("1 3:0.5 1000000000:1\n")
    data = read_dataset(str(path))
    assert data.X.shape == (301, 21)
    assert data.names == [f"x{j}" for j in range(1, 21)] + ["x1000000000"]
    assert data.X[300, 20] == 1.0 and data.X[300, 2] == 0.5
    assert any("x1000000000" in notice for notice in data.notices)
    status, out, err = run_main(capsys, "select", path, "--cv", "3", "--n-alphas", "10")
    assert status == 0, err
    assert "301 samples x 21 features (sparse)" in out
    assert_planted_kept(out, [f"x{j + 1}" for j in PLANTED])


def test_names_are_escaped_on_the_terminal_and_in_spreadsheets(tmp_path, capsys):
    hostile = ["\x1b[31mred\x1b[0m", "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0"]
    X, y = planted_problem()
    header = list(FEATURE_NAMES)
    for j, name in zip(PLANTED, hostile):
        header[j] = name
    rows = [[f"{v:.17g}" for v in x] + [["-1", "=1+2"][label]] for x, label in zip(X, y)]
    path = write_csv(tmp_path / "hostile.csv", header + ["label"], rows)
    out_csv = tmp_path / "kept.csv"
    status, out, err = run_main(capsys, "select", path, "--target", "label", "--out", out_csv)
    assert status == 0, err
    assert "\x1b" not in out and "\\x1b[31mred\\x1b[0m" in out
    with open(out_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    features = {r["feature"] for r in rows}
    assert {"\x1b[31mred\x1b[0m", "'=HYPERLINK(\"http://x\")", "'+cmd|' /C calc'!A0"} <= features
    assert all(not f.startswith(("=", "+", "-", "@")) for f in features)
    assert {r["class"] for r in rows} == {"'=1+2"}  # "-1" is a number: left as it is
    assert all(float(r["coefficient"]) for r in rows)  # coefficients stay plain numbers
    from skreg.cli import _spreadsheet_safe

    assert [_spreadsheet_safe(v) for v in ["@SUM(A1)", "\tx", "-2.5e-3", "+1", "a=b"]] == [
        "'@SUM(A1)", "'\tx", "-2.5e-3", "+1", "a=b"]

    # Error lines stay one line, control characters escaped.
    status, out, err = run_main(capsys, "select", path, "--target", "lab\x1b[2Jel\nx")
    assert_one_line_error(subprocess.CompletedProcess([], status, out, err),
                          "'lab\\x1b[2Jel\\nx'")
    assert "\x1b" not in err


def test_out_never_overwrites_the_input(tmp_path, capsys):
    path = planted_csv(tmp_path / "planted.csv")
    before = path.read_bytes()
    (tmp_path / "sub").mkdir()
    os.symlink(path, tmp_path / "link.csv")
    for out in [path, tmp_path / "sub" / ".." / "planted.csv", tmp_path / "link.csv"]:
        status, stdout, err = run_main(capsys, "select", path, "--target", "diagnosis",
                                       "--out", out)
        assert_one_line_error(subprocess.CompletedProcess([], status, stdout, err),
                              "is the input file")
        assert stdout == ""  # refused before reading or fitting
    os.link(path, tmp_path / "hardlink.csv")
    status, stdout, err = run_main(capsys, "select", tmp_path / "hardlink.csv", "--target",
                                   "diagnosis", "--out", path)
    assert status == 2 and "is the input file" in err
    assert path.read_bytes() == before


def test_version(capsys):
    from importlib.metadata import PackageNotFoundError, version

    import skreg
    from skreg.cli import main

    try:
        expected = version("skreg")
    except PackageNotFoundError:
        expected = skreg.__version__
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"skreg {expected}"


# ---------------------------------------------------------------------------
# inputs that expand hugely: streamed, bounded, one-line errors
# ---------------------------------------------------------------------------


def gzip_repeat(path, unit, count):
    with gzip.open(path, "wb", compresslevel=1) as f:
        block = unit * max(1, 2**20 // len(unit))
        for _ in range(count * len(unit) // len(block)):
            f.write(block)
    return path


@pytest.mark.parametrize("case", ["csv rows", "svmlight rows", "csv NUL", "svmlight NUL",
                                  "csv blank", "svmlight blank", "csv long line",
                                  "svmlight long line"])
def test_huge_expansion_is_refused_in_one_line(tmp_path, capsys, monkeypatch, case):
    """Generated .gz files of a few kB expanding to ~8 MB take the same paths as 1 GB ones.

    Limits are lowered here (--max-memory, the longest line) so that small files reach them.
    """
    import skreg._io

    monkeypatch.setattr(skreg._io, "MAX_LINE_CHARS", 2**20)
    kind, what = case.split(" ", 1)
    ext = ".csv.gz" if kind == "csv" else ".svm.gz"
    unit = {"rows": b"0,0,1\n" if kind == "csv" else b"1 1:0.5 2:1\n", "NUL": b"\0",
            "blank": b"\n", "long line": b"1:1 " if kind == "svmlight" else b"0,"}[what]
    path = gzip_repeat(tmp_path / f"big{ext}", unit, 8 * 2**20 // len(unit))
    if what == "rows" and kind == "csv":
        path = tmp_path / "rows.csv.gz"
        with gzip.open(path, "wb") as f:
            f.write(b"a,b,y\n" + b"0,0,1\n1,0,0\n" * 2**20)
    args = ["select", path, "--max-memory", "1M"] + (["--target", "y"] if kind == "csv" else [])
    status, out, err = run_main(capsys, *args)
    fragments = {
        "rows": ["memory limit of 1 MB", "--max-memory"],
        "NUL": ["NUL"], "blank": ["empty" if kind == "csv" else "no samples"],
        "long line": ["longer than 1 MB"],
    }[what]
    assert_one_line_error(subprocess.CompletedProcess([], status, out, err), *fragments)


def test_memory_limit_default_and_sizes():
    from skreg._io import InputError, default_memory_limit, parse_size

    assert parse_size("1M") == 2**20 and parse_size("1.5GB") == 3 * 2**29
    assert parse_size("100k") == 102400 and parse_size("12345") == 12345
    with pytest.raises(InputError, match="not a size"):
        parse_size("12Q")
    limit = default_memory_limit()
    assert limit is None or 0 < limit


@pytest.mark.parametrize("failure", [RuntimeError("boom\nsecond line"), MemoryError()])
def test_unexpected_failures_are_one_line(tmp_path, capsys, monkeypatch, failure):
    import skreg.cli

    def broken(*args, **kwargs):
        raise failure

    monkeypatch.setattr(skreg.cli, "read_dataset", broken)
    monkeypatch.delenv(skreg.cli.TRACEBACK_ENV, raising=False)
    path = planted_csv(tmp_path / "planted.csv")
    status, out, err = run_main(capsys, "select", path, "--target", "diagnosis")
    fragments = (["unexpected RuntimeError: boom", "SKREG_TRACEBACK=1"]
                 if isinstance(failure, RuntimeError) else ["out of memory"])
    assert_one_line_error(subprocess.CompletedProcess([], status, out, err), *fragments)


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
    if case == "numbers with text":
        rows = [[*map(str, x.tolist()), lab] for x, lab in zip(X, y)]
        rows[5][1] = "1.5x"
        path = write_csv(tmp_path / "typo.csv", ["a", "b", "c", "label"], rows)
        return ["select", path, "--target", "label"], ["numeric columns with a few text",
                                                        "b (1 of 20", "'1.5x'"]
    if case == "identifier column":
        X30, y30 = _numeric_rows(30)
        rows = [[f"patient-{i}", *map(str, x.tolist()), lab]
                for i, (x, lab) in enumerate(zip(X30, y30))]
        path = write_csv(tmp_path / "ids.csv", ["pid", "a", "b", "c", "label"], rows)
        return ["select", path, "--target", "label"], ["'pid'", "identifier", "--drop 'pid'"]
    if case == "single class":
        path = write_csv(tmp_path / "one.csv.gz", ["a", "b", "c", "label"],
                         [[*map(str, x.tolist()), "sick"] for x in X])
        return ["select", path, "--target", "label"], ["single class", "sick"]
    if case == "missing labels":
        rows = [[*map(str, x.tolist()), lab] for x, lab in zip(X, y)]
        rows[3][3] = ""
        path = write_csv(tmp_path / "holes.csv", ["a", "b", "c", "label"], rows)
        return ["select", path, "--target", "label"], ["target column 'label' has 1 missing"]
    if case == "infinite values":
        rows = [[*map(str, x.tolist()), lab] for x, lab in zip(X, y)]
        rows[3][2] = "inf"
        path = write_csv(tmp_path / "inf.csv", ["a", "b", "c", "label"], rows)
        return ["select", path, "--target", "label"], ["infinite values", "c"]
    if case == "ragged row":
        rows = [[*map(str, x.tolist()), lab] for x, lab in zip(X, y)]
        rows[4].append("7")
        path = write_csv(tmp_path / "ragged.csv", ["a", "b", "c", "label"], rows)
        return ["select", path, "--target", "label"], ["line 6", "5 fields", "header has 4"]
    if case == "header only":
        (tmp_path / "header.csv").write_text("a,b,label\n\n")
        return ["select", tmp_path / "header.csv", "--target", "label"], ["no data rows"]
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
    if case == "unknown encoding":
        return ["select", good, "--target", "label", "--encoding", "klingon"], [
            "'klingon'", "unknown encoding"]
    if case == "bad sep":
        return ["select", good, "--target", "label", "--sep", ";;"], ["--sep", "one character"]
    if case == "drop the target":
        return ["select", good, "--target", "label", "--drop", "label"], [
            "--drop 'label' is the target"]
    if case == "bad l1 ratio":
        return ["select", good, "--target", "label", "--penalty", "l0", "--l1-ratio", "0.5,2"], [
            "--l1-ratio '0.5,2'", "[0, 1]"]
    if case == "l1 ratio with l1":
        return ["select", good, "--target", "label", "--l1-ratio", "0.5"], [
            "--l1-ratio applies to --penalty elasticnet and l0"]
    if case == "bad memory size":
        return ["select", good, "--target", "label", "--max-memory", "lots"], [
            "--max-memory 'lots' is not a size"]
    if case == "out is a directory":
        return ["select", good, "--target", "label", "--out", tmp_path], ["is a directory"]
    if case == "too few samples per fold":
        return ["select", good, "--target", "label", "--cv", "12"], ["10 samples", "--cv 10"]
    if case == "unknown scorer":
        return ["select", good, "--target", "label", "--scoring", "balanced_acc"], [
            "'balanced_acc' is not a scikit-learn scorer", "balanced_accuracy"]
    if case == "continuous target":
        return ["select", good, "--target", "a"], ["continuous"]
    raise AssertionError(case)


ERROR_CASES = ["missing file", "unknown extension", "no target for csv", "missing target column",
               "numbers with text", "identifier column", "single class", "missing labels",
               "infinite values", "ragged row", "header only", "target with svmlight",
               "bad svmlight", "not gzip", "unknown encoding", "bad sep", "drop the target",
               "bad l1 ratio", "l1 ratio with l1", "bad memory size", "out is a directory",
               "too few samples per fold", "continuous target", "unknown scorer"]


@pytest.mark.parametrize("case", ERROR_CASES)
def test_select_errors_are_one_line_with_status_2(tmp_path, case, capsys):
    """Every case in-process through main() (what the console script runs: cheap)."""
    args, fragments = make_error_case(case, tmp_path)
    status, out, err = run_main(capsys, *args)
    assert_one_line_error(subprocess.CompletedProcess(args, status, out, err), *fragments)


def test_python_m_skreg_end_to_end(tmp_path):
    """``python -m skreg`` itself (one interpreter start-up; the in-process tests check
    the rest, errors included: ``__main__`` exits with what ``main`` returns)."""
    path = planted_csv(tmp_path / "planted.csv")
    out = tmp_path / "kept.csv"
    result = run_cli("select", path, "--target", "diagnosis", "--cv", "3", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert_planted_kept(result.stdout, [FEATURE_NAMES[j] for j in PLANTED])
    with open(out, newline="") as f:
        assert len(list(csv.reader(f))) == len(parse_features(result.stdout)) + 1


def test_read_dataset_in_process(tmp_path):
    """The reader itself: header BOM and spaces, integer-looking labels, gzipped CSV."""
    from skreg._io import InputError, file_kind, read_dataset

    path = tmp_path / "bom.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8-sig", newline="") as f:
        f.write("\n\n a , b ,y\n1.5, 2,1.0\n-3,4e1,0\n\n")
    data = read_dataset(str(path), "y")
    assert data.names == ["a", "b"]
    np.testing.assert_array_equal(data.X, [[1.5, 2.0], [-3.0, 40.0]])
    assert data.y.dtype.kind == "i" and data.y.tolist() == [1, 0]
    assert file_kind("D.LIBSVM.GZ") == "svmlight" and file_kind("x.CSV") == "csv"
    with pytest.raises(InputError, match="unknown file type"):
        file_kind("x.csv.bz2")
    # Duplicate names are numbered; --drop leaves columns out.
    (tmp_path / "dup.csv").write_text("a,a,b,y\n1,2,3,0\n4,5,6,1\n")
    data = read_dataset(str(tmp_path / "dup.csv"), "y", drop=["b"])
    assert data.names == ["a", "a.1"] and "duplicate column names" in data.notices[0]


# ---------------------------------------------------------------------------
# demo and entry points
# ---------------------------------------------------------------------------


def test_demo_quick_writes_plots_and_table(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "plots" / "nested"
    result = run_in_process(capsys, "demo", "--quick", "--out", out)
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


def test_demo_out_without_matplotlib(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    result = run_in_process(capsys, "demo", "--quick", "--out", tmp_path / "plots")
    assert_one_line_error(result, "matplotlib")
    assert not (tmp_path / "plots").exists()


def test_help_and_usage_errors(capsys):
    from skreg.__main__ import main

    for argv, words in [(["--help"], ["demo", "select"]),
                        (["demo", "--help"], ["--quick", "--out", "--penalty"]),
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
