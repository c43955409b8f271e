"""The stopping rule of the network estimators (scikit-learn's MLP rule)."""

import numpy as np


class StoppingRule:
    """Stop after more than ``patience`` epochs without an improvement of ``tol``.

    Tracks a value to *maximize* (a validation score; the training loss is
    passed negated). An epoch counts as no improvement when its value is
    below ``best + tol``; the best value is updated whenever it is exceeded,
    by however little.

    Parameters
    ----------
    tol : float
    patience : int
        ``n_iter_no_change``.
    best : float, default=-inf
        Best value so far (continued fits).
    """

    def __init__(self, tol, patience, best=-np.inf):
        self.tol = tol
        self.patience = patience
        self.best = best
        self.n_no_improvement = 0

    def update(self, value):
        """Record one epoch's value; returns whether it is the best so far."""
        if value < self.best + self.tol:
            self.n_no_improvement += 1
        else:
            self.n_no_improvement = 0
        if value > self.best:
            self.best = value
            return True
        return False

    @property
    def should_stop(self):
        """Whether the patience is exhausted."""
        return self.n_no_improvement > self.patience
