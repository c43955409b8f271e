"""Set-up shared by the test modules.

* ``metadata_routing``: scikit-learn's metadata routing switched on for one test
  and reset afterwards (also when the test fails).
* pytest-xdist: the suite runs with ``-n auto --dist loadgroup`` (pyproject.toml,
  .ci/run); a module that starts something expensive once per module (the dask
  cluster of test_distributed.py) marks itself ``xdist_group`` so that one worker
  runs it whole. Every test that writes files uses ``tmp_path``, and the
  subprocess tests give their children their own ``NUMBA_CACHE_DIR`` whenever
  they change what is compiled, so workers never share a writable location
  other than numba's in-tree cache (whose files numba writes atomically).
"""

import pytest
import sklearn


@pytest.fixture
def metadata_routing():
    """``sklearn.set_config(enable_metadata_routing=True)`` for the test only."""
    with sklearn.config_context(enable_metadata_routing=True):
        yield
