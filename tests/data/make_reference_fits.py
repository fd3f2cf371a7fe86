"""Record the fitted parameters of a few fixed problems (run by hand).

    python tests/data/make_reference_fits.py

The estimators' internals are reorganised from time to time; this file pins
what a fixed seed gives for the original objective (per-task loss weighting,
free intercepts, no shared component, SGD), so that a reorganisation can be
shown to change nothing. ``tests/test_reference_fits.py`` refits the same
problems and compares.

Re-recorded when the objective itself changed on purpose: fixed task
weights became relative (rescaled to mean one), which changes the one problem
that uses them ("latent_regression"); the others came out as recorded.

Each problem is recorded twice, in fresh processes: once with Numba compiling
the kernels afresh (an empty cache) and once with the kernels loaded from
that cache. With reassociation allowed (``fastmtl._config.FASTMATH``) LLVM
may round a sum differently in the two builds, in the last bit.
"""
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
from llvmlite import binding

from fastmtl import (SharedCodebookClassifier, SharedCodebookRegressor,
                     SharedLatentClassifier, SharedLatentRegressor)
from fastmtl.datasets import make_multitask_classification, make_multitask_regression

HERE = pathlib.Path(__file__).parent
# The options that reproduce the model these fits were recorded with (before
# the shared component, intercept shrinkage, loss weighting and exact solver).
CLASSIC = dict(shared_alpha=None, intercept_alpha=0.0, loss_weighting="task",
               solver="sgd")


def problems():
    """(name, estimator, X, Y, sample_weight) of each recorded fit."""
    X, Y = make_multitask_regression(90, 4, 7, rank=2, shared_X=True, missing_rate=0.3,
                                     random_state=3)
    Y = 4.0 * Y + 1.5
    sw = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    graph = np.array([[0, 1, 0, 0], [1, 0, 2, 0], [0, 2, 0, 0], [0, 0, 0, 0]], float)
    yield ("latent_regression", SharedLatentRegressor(
        2, alpha=0.02, task_weights=[1.0, 2.0, 0.5, 1.0], task_graph=graph,
        graph_penalty=0.1, batch_size=32, max_iter=15, tol=None, random_state=0, **CLASSIC),
        X, Y, sw)
    yield ("latent_regression_dynamic", SharedLatentRegressor(
        3, task_weights="dynamic", batch_size=40, max_iter=12, tol=None,
        random_state=1, **CLASSIC), X, Y, None)
    yield ("codebook_regression", SharedCodebookRegressor(
        3, alpha=0.01, sparsity=0.02, task_graph=graph, graph_penalty=0.05,
        task_weights="uncertainty", batch_size=32, max_iter=15, tol=None,
        random_state=2, **CLASSIC), X, Y, sw)
    Xc, Yc = make_multitask_classification(80, 3, 6, rank=2, shared_X=True,
                                           missing_rate=0.2, random_state=4)
    Yc[:, 2] = np.digitize(Xc[:, 0] + Xc[:, 1], [-0.5, 0.5])  # a 3-class task
    Yc[::9, 2] = np.nan
    yield ("latent_classification", SharedLatentClassifier(
        2, alpha=0.01, batch_size=32, max_iter=15, tol=None, random_state=5, **CLASSIC),
        Xc, Yc, None)
    yield ("codebook_classification", SharedCodebookClassifier(
        2, sparsity=0.01, batch_size=25, max_iter=15, tol=None, random_state=6, **CLASSIC),
        Xc, Yc[:, :2], sw[:80])


ATTRIBUTES = ("coef_", "intercept_", "task_weights_", "loss_curve_")


def fitted_arrays(estimator, X, Y, sample_weight):
    estimator.fit(X, Y, sample_weight=sample_weight)
    return {name: np.asarray(getattr(estimator, name), dtype=np.float64)
            for name in ATTRIBUTES}


def record(path):
    """Fit every problem in this process; save the arrays to ``path``."""
    arrays = {}
    for name, estimator, X, Y, sw in problems():
        for attribute, value in fitted_arrays(estimator, X, Y, sw).items():
            arrays[f"{name}.{attribute}"] = value
    np.savez(path, **arrays)


def main():
    arrays = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for build in ("fresh", "cached"):  # the first run fills the empty cache
            path = pathlib.Path(cache) / f"{build}.npz"
            subprocess.run([sys.executable, __file__, "--record", str(path)], env=env,
                           check=True)
            with np.load(path) as recorded:
                arrays.update({f"{build}.{key}": recorded[key] for key in recorded})
    # Vectorised reductions depend on the SIMD width: bit-identity is promised
    # on the CPU that recorded the file.
    arrays["cpu_name"] = np.array(binding.get_host_cpu_name())
    np.savez(HERE / "reference_fits.npz", **arrays)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--record"]:
        record(sys.argv[2])
    else:
        main()
