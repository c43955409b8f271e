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
