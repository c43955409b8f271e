"""glmnet (R) as a benchmark peer, driven through ``Rscript`` on files this module writes.

The data, the lambda grid, the weights and the fold ids go to raw little-endian binary files
in a temporary directory; an R script reads them, runs ``glmnet`` (a path) or ``cv.glmnet``
(cross-validation on the given folds), and writes the coefficients back. The time reported
is measured inside R around the ``glmnet`` / ``cv.glmnet`` call only (R's start-up and the
file transfer are not counted: that is glmnet's best case).

Objectives (``standardize=FALSE`` always), with ``a = l1_ratio`` and weights normalised to
sum to ``n`` by glmnet:

* gaussian: ``1/(2n) sum_i w_i (y_i - b - x_i.beta)^2 + lambda*((1-a)/2 |beta|^2 + a |beta|_1)``,
  skreg's squared-loss objective with ``alpha = lambda``, **provided the response has unit
  (weighted, 1/n) standard deviation**: glmnet divides y by its standard deviation ``sd_y``
  internally and scales lambda by ``1/sd_y``, which leaves the L1 term as stated but divides the
  ridge term by ``sd_y``. The benchmarks therefore standardize y (``check_gaussian_scaling``
  verifies the mapping numerically, and that it fails without the standardization).
* binomial / multinomial (``type.multinomial="ungrouped"``): ``-1/n loglik + lambda * penalty``,
  skreg's mean logistic / softmax loss with ``alpha = lambda``.

Skipped (``available()`` returns the reason) when ``Rscript`` or the R package glmnet is
missing (Debian: ``apt-get install r-cran-glmnet``).
"""

import os
import shutil
import subprocess
import tempfile

import numpy as np
import scipy.sparse as sp

R_SCRIPT = r"""
suppressPackageStartupMessages({library(glmnet); library(Matrix)})
# Solve every lambda of the grid (by default glmnet stops once the deviance saturates).
glmnet.control(fdev = 0, devmax = 1)
args <- commandArgs(trailingOnly = TRUE)
d <- args[1]
rd <- function(name, what = "double") {
  f <- file.path(d, name); n <- file.size(f) / (if (what == "double") 8 else 4)
  readBin(f, what = what, n = n, size = if (what == "double") 8 else 4, endian = "little")
}
meta <- read.dcf(file.path(d, "meta.dcf"))
num <- function(k) as.numeric(meta[1, k])
n <- num("n"); p <- num("p"); family <- meta[1, "family"]
if (meta[1, "sparse"] == "1") {
  X <- sparseMatrix(i = rd("Xi", "integer") + 1L, j = rd("Xj", "integer") + 1L, x = rd("Xx"),
                    dims = c(n, p))
} else {
  X <- matrix(rd("X"), nrow = n, ncol = p)
}
y <- rd("y")
if (family != "gaussian") y <- factor(y)
w <- rd("w"); lambda <- rd("lambda")
common <- list(x = X, y = y, family = family, weights = w, lambda = lambda,
               alpha = num("l1_ratio"), standardize = FALSE, intercept = meta[1, "intercept"] == "1",
               thresh = num("thresh"), maxit = as.integer(num("maxit")))
if (family == "multinomial") common$type.multinomial <- "ungrouped"
if (meta[1, "mode"] == "cv") {
  common$foldid <- rd("foldid", "integer")
  common$type.measure <- if (family == "gaussian") "mse" else "deviance"
  t0 <- proc.time()[["elapsed"]]
  res <- do.call(cv.glmnet, common)
  elapsed <- proc.time()[["elapsed"]] - t0
  fit <- res$glmnet.fit
  writeBin(as.double(res$cvm), file.path(d, "cvm.bin"), endian = "little")
} else {
  t0 <- proc.time()[["elapsed"]]
  fit <- do.call(glmnet, common)
  elapsed <- proc.time()[["elapsed"]] - t0
}
betas <- if (is.list(fit$beta)) fit$beta else list(fit$beta)
a0 <- if (is.matrix(fit$a0)) fit$a0 else matrix(fit$a0, nrow = 1)
nl <- length(fit$lambda)
coefs <- array(0, dim = c(p, length(betas), nl))  # written in R order: p fastest
for (k in seq_along(betas)) coefs[, k, ] <- as.matrix(betas[[k]])
writeBin(as.double(coefs), file.path(d, "coefs.bin"), endian = "little")
writeBin(as.double(a0), file.path(d, "a0.bin"), endian = "little")
writeBin(as.double(fit$lambda), file.path(d, "lambda_out.bin"), endian = "little")
writeLines(c(sprintf("%.9f", elapsed), as.character(nl), as.character(length(betas)),
             as.character(fit$npasses)), file.path(d, "out.txt"))
"""


def available():
    """``None`` when ``Rscript`` and the R package glmnet can run, else the reason (a string)."""
    if shutil.which("Rscript") is None:
        return "Rscript not found (install R and r-cran-glmnet)"
    try:
        proc = subprocess.run(["Rscript", "-e", "cat(as.character(packageVersion('glmnet')))"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Rscript failed: {exc}"
    if proc.returncode != 0:
        return "the R package glmnet is not installed (apt-get install r-cran-glmnet)"
    return None


def version():
    """glmnet's version string (``None`` if unavailable)."""
    if available() is not None:
        return None
    return subprocess.run(["Rscript", "-e", "cat(as.character(packageVersion('glmnet')))"],
                          capture_output=True, text=True).stdout.strip()


def _write(d, name, a, dtype):
    np.ascontiguousarray(a, dtype=dtype).astype(dtype.newbyteorder("<")).tofile(
        os.path.join(d, name))


def run(X, y, *, family, lambdas, l1_ratio=1.0, fit_intercept=True, sample_weight=None,
        foldid=None, thresh=1e-7, maxit=10**7, timeout=3600):
    """Run ``glmnet`` (``foldid=None``) or ``cv.glmnet`` on the given grid; returns a dict.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Real targets (gaussian) or labels (binomial / multinomial; any values, as a factor).
    family : {"gaussian", "binomial", "multinomial"}
    lambdas : array-like
        The decreasing lambda grid (glmnet's ``lambda`` = skreg's ``alpha``).
    l1_ratio : float
        glmnet's ``alpha``.
    fit_intercept : bool
    sample_weight : array-like or None
    foldid : array-like of int in 1..K, or None
        Fold of every sample: runs ``cv.glmnet`` (score: mse / deviance).
    thresh, maxit : glmnet's convergence threshold and pass budget.

    Returns
    -------
    dict with ``time`` (s, inside R), ``lambdas`` (the grid glmnet solved: all of it, the
    early stop on a saturated deviance is switched off), ``coefs`` (n_lambdas, n_rows, n_features) where n_rows is
    1 (gaussian, binomial) or n_classes, ``intercepts`` (n_lambdas, n_rows), ``npasses`` and,
    for CV, ``cv_mean`` (glmnet's mean held-out mse / deviance per lambda).
    Binomial coefficients model the log-odds of the larger label, as skreg's binary ones.
    """
    n, p = X.shape
    d = tempfile.mkdtemp(prefix="skreg_glmnet_")
    try:
        if sp.issparse(X):
            coo = sp.coo_matrix(X)
            _write(d, "Xi", coo.row, np.dtype(np.int32))
            _write(d, "Xj", coo.col, np.dtype(np.int32))
            _write(d, "Xx", coo.data, np.dtype(np.float64))
        else:
            _write(d, "X", np.asarray(X, dtype=np.float64).T, np.dtype(np.float64))  # column-major
        _write(d, "y", y, np.dtype(np.float64))
        w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        _write(d, "w", w, np.dtype(np.float64))
        _write(d, "lambda", lambdas, np.dtype(np.float64))
        mode = "path"
        if foldid is not None:
            _write(d, "foldid", foldid, np.dtype(np.int32))
            mode = "cv"
        meta = {"n": n, "p": p, "family": family, "sparse": int(sp.issparse(X)),
                "l1_ratio": repr(float(l1_ratio)), "intercept": int(bool(fit_intercept)),
                "thresh": repr(float(thresh)), "maxit": int(maxit), "mode": mode}
        with open(os.path.join(d, "meta.dcf"), "w") as fh:
            fh.write("".join(f"{k}: {v}\n" for k, v in meta.items()))
        script = os.path.join(d, "run.R")
        with open(script, "w") as fh:
            fh.write(R_SCRIPT)
        proc = subprocess.run(["Rscript", script, d], capture_output=True, text=True,
                              timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError("glmnet failed: " + " | ".join(proc.stderr.strip().splitlines()[-3:]))
        with open(os.path.join(d, "out.txt")) as fh:
            elapsed, n_lambda, n_rows, npasses = fh.read().split()
        n_lambda, n_rows = int(n_lambda), int(n_rows)
        coefs = np.fromfile(os.path.join(d, "coefs.bin"), dtype="<f8")
        coefs = coefs.reshape(n_lambda, n_rows, p)
        a0 = np.fromfile(os.path.join(d, "a0.bin"), dtype="<f8").reshape(n_lambda, n_rows)
        out = dict(time=float(elapsed), coefs=coefs, intercepts=a0, npasses=int(npasses),
                   lambdas=np.fromfile(os.path.join(d, "lambda_out.bin"), dtype="<f8"))
        if mode == "cv":
            out["cv_mean"] = np.fromfile(os.path.join(d, "cvm.bin"), dtype="<f8")
        return out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def fold_ids(splits, n_samples):
    """glmnet's ``foldid`` (1..K) from a list of (train, test) index pairs."""
    foldid = np.zeros(n_samples, dtype=np.int32)
    for k, (_, test) in enumerate(splits):
        foldid[test] = k + 1
    if np.any(foldid == 0):
        raise ValueError("the splits do not cover every sample once")
    return foldid
