"""How fast the exact solver and the CV estimators are, side by side with the
baseline a user would otherwise fit (RidgeCV on the features plus a one-hot
column per task), interleaved, medians.

    python asv_benchmarks/exact_solver.py [--repeat 15] [--busy] [--one-hot-2000]

Cases: one exact fit of the mean-regularised model with shrunken intercepts
on Hsb82 (7 185 x 3, 160 schools); ``SharedLatentRegressorCV`` (121
candidates, exact leave-one-out) on the same data; the same CV estimator on
synthetic stacked data of 30 000 rows x 5 features in 2 000 tasks. With
``--busy`` another process keeps one core busy throughout (a shared machine).
"""
import argparse
import subprocess
import sys
import time
import warnings

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.preprocessing import StandardScaler

from fastmtl import SharedLatentRegressor, SharedLatentRegressorCV
from fastmtl.datasets import load_hsb82


def _stacked(n_rows, n_tasks, n_features, seed=0):
    rng = np.random.default_rng(seed)
    task = rng.integers(0, n_tasks, n_rows)
    X = rng.standard_normal((n_rows, n_features))
    w = rng.standard_normal(n_features) + 0.3 * rng.standard_normal((n_tasks, n_features))
    y = np.einsum("ij,ij->i", X, w[task]) + rng.standard_normal(n_tasks)[task]
    Y = np.full((n_rows, n_tasks), np.nan)
    Y[np.arange(n_rows), task] = y + rng.standard_normal(n_rows)
    return X, Y, task


def _one_hot_ridge(X, Y, task):
    y = Y[np.arange(len(task)), task]
    design = np.hstack([X, np.eye(Y.shape[1])[task]])
    return lambda: RidgeCV(alphas=np.logspace(-3, 4, 15)).fit(design, y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--busy", action="store_true")
    parser.add_argument("--one-hot-2000", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    X, Y = load_hsb82(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    task = np.argmax(~np.isnan(Y), axis=1)
    Xs, Ys, task_s = _stacked(30_000, 2_000, 5)
    cases = {
        "Hsb82: exact fit (SharedLatentRegressor)": lambda: SharedLatentRegressor().fit(X, Y),
        "Hsb82: SharedLatentRegressorCV": lambda: SharedLatentRegressorCV().fit(X, Y),
        "Hsb82: RidgeCV + task one-hot": _one_hot_ridge(X, Y, task),
        "30000 x 5, 2000 tasks: SharedLatentRegressorCV":
            lambda: SharedLatentRegressorCV().fit(Xs, Ys),
    }
    # The one-hot RidgeCV on 2 000 tasks takes about a minute per fit (a
    # 30 000 x 2 005 design): with --one-hot-2000 it is timed once, after.
    one_hot_big = _one_hot_ridge(Xs, Ys, task_s) if args.one_hot_2000 else None
    for fit in cases.values():  # compile and warm up
        fit()
    busy = None
    if args.busy:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        times = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, fit in cases.items():  # interleaved
                tic = time.perf_counter()
                fit()
                times[name].append(time.perf_counter() - tic)
    finally:
        if busy is not None:
            busy.kill()
    state = "one core busy" if args.busy else "quiet"
    print(f"| case ({state}, median of {args.repeat}) | seconds |\n|---|---|")
    for name, values in times.items():
        print(f"| {name} | {np.median(values):.4f} |")
    if one_hot_big is not None:
        tic = time.perf_counter()
        one_hot_big()
        print(f"| 30000 x 5, 2000 tasks: RidgeCV + task one-hot (once) | "
              f"{time.perf_counter() - tic:.4f} |")


if __name__ == "__main__":
    main()
