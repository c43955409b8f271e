"""Real data sets bundled with skreg, loaded like scikit-learn's ``sklearn.datasets``.

Functions
---------
load_leukemia
    Golub et al. (1999) ALL/AML gene expression: 72 samples x 7129 genes, binary target.
"""

from ._base import load_leukemia

__all__ = ["load_leukemia"]
