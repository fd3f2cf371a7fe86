"""What model selection costs: fit, score, predict and a grid search against
per-task RidgeCV, on task-stacked data (4 587 x 27, 139 tasks).

    python asv_benchmarks/scoring.py [--repeat 7]

Medians of calls taken in turn in one process. The grid is 20 candidates
(alpha in 10 values x n_components in {1, 3}) x 3 folds of ``TaskKFold``
with the default (pooled R^2) score; the baseline fits scikit-learn's
``RidgeCV`` on each task's rows, the per-task model a user would write.
"""
import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV

from fastmtl import SharedLatentRegressor
from fastmtl.datasets import make_multitask_regression
from fastmtl.model_selection import TaskKFold


def per_task_ridge(X, Y):
    for t in range(Y.shape[1]):
        rows = ~np.isnan(Y[:, t])
        RidgeCV(alphas=np.logspace(-4, 2, 10)).fit(X[rows], Y[rows, t])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, Y = make_multitask_regression(33, 139, 27, random_state=0)[:2]
    model = SharedLatentRegressor(3, max_iter=200, random_state=0).fit(X, Y)
    grid = GridSearchCV(SharedLatentRegressor(random_state=0, max_iter=200),
                        {"alpha": np.logspace(-4, 1, 10), "n_components": [1, 3]},
                        cv=TaskKFold(3, shuffle=True, random_state=0))
    calls = {
        "fit": lambda: model.fit(X, Y),
        "score": lambda: model.score(X, Y),
        "predict": lambda: model.predict(X),
        "per-task RidgeCV (139 fits)": lambda: per_task_ridge(X, Y),
    }
    times = {name: [] for name in calls}
    for _ in range(args.repeat):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    grid_times, ridge_times = [], []
    for _ in range(max(1, args.repeat // 3)):
        start = time.perf_counter()
        grid.fit(X, Y)
        grid_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        per_task_ridge(X, Y)
        ridge_times.append(time.perf_counter() - start)
    print(f"# {X.shape[0]} x {X.shape[1]}, {Y.shape[1]} tasks; medians in ms")
    for name, values in times.items():
        print(f"{name:>28}: {statistics.median(values) * 1e3:9.2f}")
    grid_s, ridge_s = statistics.median(grid_times), statistics.median(ridge_times)
    print(f"{'GridSearchCV 20 x 3 folds':>28}: {grid_s * 1e3:9.2f}")
    print(f"score / fit: {statistics.median(times['score']) / statistics.median(times['fit']):.3f}")
    print(f"grid / per-task RidgeCV: {grid_s / ridge_s:.1f}")


if __name__ == "__main__":
    main()
