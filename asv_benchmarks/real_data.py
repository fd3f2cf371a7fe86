"""fastmtl's CV estimators against what a user would otherwise fit, on real data.

    python asv_benchmarks/real_data.py [--seeds 3] [--only Exam,Hsb82,nlschools,Contraception,synthetic]

For each real multi-level data set (one school, class or district = one
task) and seed: 30% of each task's rows train (``TaskShuffleSplit``), the
rest test; every model standardises the features on the training rows. The
baselines are tuned as a user would tune them (see ``fastmtl/_comparison.py``):
per-task ``RidgeCV`` / ``LogisticRegression``, one pooled ``RidgeCV`` /
``LogisticRegressionCV``, and the pooled model with a one-hot column per
task. Prints pooled test RMSE (regression) or log loss and accuracy
(classification), and median fit times, as Markdown (means over seeds).
"""

import numpy as np

from fastmtl._comparison import benchmark_arguments, classification, regression
from fastmtl.datasets import load_contraception, load_exam, load_hsb82, load_nlschools

REGRESSION = {"Exam": load_exam, "Hsb82": load_hsb82, "nlschools": load_nlschools}


def low_rank(seed):
    """Tasks that differ in slope along a few directions (synthetic, rank 3):
    {model: test RMSE}; the low-rank model should keep its lead over the
    mean-regularised special case (free deviations)."""
    from sklearn.linear_model import RidgeCV
    from sklearn.preprocessing import StandardScaler

    from fastmtl import SharedLatentRegressorCV
    from fastmtl.datasets import make_multitask_regression, unstack_tasks
    from fastmtl.metrics import root_mean_squared_error

    X, Y = make_multitask_regression(40, 30, 60, rank=3, noise=0.5, random_state=seed)
    rows = np.arange(len(X)) % 40 < 20  # half of each task's rows train
    scaler = StandardScaler().fit(X[rows])
    Xtr, Xte = scaler.transform(X[rows]), scaler.transform(X[~rows])
    result = {}
    for name, model in [("SharedLatentRegressorCV(n_components=3)",
                         SharedLatentRegressorCV(3, cv=3, random_state=0)),
                        ("SharedLatentRegressorCV() (free deviations)",
                         SharedLatentRegressorCV())]:
        result[name] = root_mean_squared_error(Y[~rows], model.fit(Xtr, Y[rows]).predict(Xte))
    pred = np.full_like(Y[~rows], np.nan)
    for t, (Xt, yt) in enumerate(zip(*unstack_tasks(Xtr, Y[rows]))):
        seen = ~np.isnan(Y[~rows][:, t])
        pred[seen, t] = RidgeCV(alphas=np.logspace(-3, 4, 15)).fit(Xt, yt).predict(Xte[seen])
    result["per-task RidgeCV"] = root_mean_squared_error(Y[~rows], pred)
    return result
CLASSIFICATION = {"Contraception": load_contraception}


def main(argv=None):
    seeds, only = benchmark_arguments(__doc__, argv)
    if "synthetic" in only:
        rows = [low_rank(seed) for seed in range(seeds)]
        print(f"\nSynthetic rank-3 tasks (30 tasks x 20 training rows, 60 features): "
              f"test RMSE, mean of seeds 0-{seeds - 1}")
        print("| model | test RMSE |\n|---|---|")
        for model in rows[0]:
            print(f"| {model} | {np.mean([r[model] for r in rows]):.4f} |")
    tables = [(REGRESSION, regression, "pooled test RMSE", ["test RMSE"]),
              (CLASSIFICATION, classification, "pooled test log loss and accuracy",
               ["log loss", "accuracy"])]
    for loaders, compare, what, columns in tables:
        for name, loader in loaders.items():
            if name not in only:
                continue
            X, Y = loader(return_X_y=True)
            rows = [compare(X, Y, seed) for seed in range(seeds)]
            print(f"\n{name} ({Y.shape[1]} tasks, {X.shape[0]} rows): {what}, "
                  f"mean of seeds 0-{seeds - 1}")
            print("| model | " + " | ".join(columns) + " | fit time (s) |")
            print("|---" * (len(columns) + 2) + "|")
            for model in rows[0]:
                scores = [np.mean([r[model][c] for r in rows]) for c in range(len(columns))]
                seconds = np.median([r[model][-1] for r in rows])
                print(f"| {model} | " + " | ".join(f"{v:.4f}" for v in scores)
                      + f" | {seconds:.3f} |")


if __name__ == "__main__":
    main()
