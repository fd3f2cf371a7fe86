"""Which score should GridSearchCV tune on? Measured on real multi-level data.

    python asv_benchmarks/model_selection_scores.py [--seeds 3]

For each real data set (one school or class = one task) and seed: 30% of each
task's rows train (``TaskShuffleSplit(train_size=0.3)``), the rest test;
features standardised on the training rows. ``GridSearchCV`` with
``TaskKFold(3, shuffle=True)`` tunes ``SharedLatentRegressor`` over
``alpha`` x ``n_components`` once with every candidate scorer (multi-metric,
one search); the best candidate of each scorer is refitted on the training
rows and scored by pooled test RMSE. Prints a Markdown table (mean over
seeds) for docs/model_selection.md.
"""
import argparse
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmtl import SharedLatentRegressor
from fastmtl.datasets import load_exam, load_hsb82, load_nlschools
from fastmtl.metrics import get_scorer, root_mean_squared_error
from fastmtl.model_selection import TaskKFold, TaskShuffleSplit

LOADERS = {"Exam": load_exam, "Hsb82": load_hsb82, "nlschools": load_nlschools}
SCORERS = ["mean_task_r2", "pooled_r2", "neg_pooled_rmse"]
GRID = {"sharedlatentregressor__alpha": [1e-4, 1e-3, 1e-2, 1e-1, 1.0],
        "sharedlatentregressor__n_components": [1, 3]}


def tuned_test_rmse(X, Y, seed):
    train, test = next(TaskShuffleSplit(1, train_size=0.3, random_state=seed).split(X, Y))
    model = make_pipeline(StandardScaler(), SharedLatentRegressor(random_state=0))
    search = GridSearchCV(model, GRID, cv=TaskKFold(3, shuffle=True, random_state=seed),
                          scoring={name: get_scorer(name) for name in SCORERS},
                          refit=False)
    search.fit(X[train], Y[train])
    result = {}
    for name in SCORERS:
        best = int(np.argmax(search.cv_results_[f"mean_test_{name}"]))
        params = search.cv_results_["params"][best]
        fitted = clone(model).set_params(**params).fit(X[train], Y[train])
        result[name] = root_mean_squared_error(Y[test], fitted.predict(X[test]))
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    # At 30% a task with few rows can lack training rows in a fold: expected here.
    warnings.filterwarnings("ignore", message=".*no observed training target")
    print("| data (tasks) | tuned on mean per-task R² | tuned on pooled R² "
          "| tuned on pooled RMSE |")
    print("|---|---|---|---|")
    for name, load in LOADERS.items():
        X, Y = load(return_X_y=True)
        runs = [tuned_test_rmse(X, Y, seed) for seed in range(args.seeds)]
        means = {s: np.mean([r[s] for r in runs]) for s in SCORERS}
        print(f"| {name} ({Y.shape[1]}) | "
              + " | ".join(f"{means[s]:.4f}" for s in SCORERS) + " |", flush=True)


if __name__ == "__main__":
    main()
