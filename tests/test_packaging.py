"""The wheel holds every module of the package.

``pip install .`` (the README's main command) copies only the packages that
``pyproject.toml`` lists; an editable install (what the tests run on) sees
the whole source tree, so a subpackage missing from that list passes every
other test and breaks ``import skreg`` for users.
"""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_source_directory_is_a_listed_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    source_dirs = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "skreg").rglob("*")
        if path.is_file() and path.suffix in {".py", ".gz", ".rst"}
        and "__pycache__" not in path.parts
    }
    assert source_dirs - listed == set()


def test_import_loads_the_estimators_on_first_use():
    """``import skreg`` (and so ``skreg --help``) loads neither scikit-learn nor numba;
    the public names, ``SKOPS_TRUSTED_TYPES`` and the submodules load on first use, and
    the kernels then find skreg's numba cache locator in place."""
    import os
    import subprocess
    import sys

    child = (
        "import sys, skreg\n"
        "assert not {'numba', 'sklearn', 'skreg.linear_model'} & set(sys.modules)\n"
        "assert set(skreg.__all__) <= set(dir(skreg))\n"
        "from skreg import _mlp_kernels\n"  # a kernel module imported first, directly
        "assert type(_mlp_kernels._mix64._cache).__name__ == '_HealingFunctionCache'\n"
        "from skreg import *\n"
        "assert RegularizedLogisticRegression.__module__ == 'skreg.linear_model'\n"
        "assert len(skreg.SKOPS_TRUSTED_TYPES) == 6\n"
        "assert skreg.plotting.RegularizationPathDisplay and skreg.datasets.load_leukemia\n"
        "assert skreg.linear_model.regularization_path is regularization_path\n"
        "try:\n"
        "    skreg.not_a_name\n"
        "except AttributeError as exc:\n"
        "    assert 'not_a_name' in str(exc)\n"
        "else:\n"
        "    raise AssertionError('no AttributeError')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                            cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
