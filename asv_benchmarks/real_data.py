"""fastmtl's CV estimators against what a user would otherwise fit, on real data.

    python asv_benchmarks/real_data.py [--seeds 3] [--only Exam,Hsb82,nlschools,Contraception]

For each real multi-level data set (one school, class or district = one
task) and seed: 30% of each task's rows train (``TaskShuffleSplit``), the
rest test; every model standardises the features on the training rows. The
baselines are tuned as a user would tune them (see ``fastmtl/_comparison.py``):
per-task ``RidgeCV`` / ``LogisticRegression``, one pooled ``RidgeCV`` /
``LogisticRegressionCV``, and the pooled model with a one-hot column per
task. Prints pooled test RMSE (regression) or log loss and accuracy
(classification), and median fit times, as Markdown (means over seeds).
"""
import argparse
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from fastmtl._comparison import classification, regression
from fastmtl.datasets import load_contraception, load_exam, load_hsb82, load_nlschools

REGRESSION = {"Exam": load_exam, "Hsb82": load_hsb82, "nlschools": load_nlschools}
CLASSIFICATION = {"Contraception": load_contraception}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", default="Exam,Hsb82,nlschools,Contraception")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", RuntimeWarning)  # RidgeCV's LOO on 1-row tasks
    warnings.filterwarnings("ignore", message=".*no observed training target")
    only = args.only.split(",")
    for name, loader in REGRESSION.items():
        if name not in only:
            continue
        X, Y = loader(return_X_y=True)
        rows = [regression(X, Y, seed) for seed in range(args.seeds)]
        print(f"\n{name} ({Y.shape[1]} tasks, {X.shape[0]} rows): pooled test RMSE, "
              f"mean of seeds 0-{args.seeds - 1}")
        print("| model | test RMSE | fit time (s) |\n|---|---|---|")
        for model in rows[0]:
            rmse = np.mean([r[model][0] for r in rows])
            seconds = np.median([r[model][1] for r in rows])
            print(f"| {model} | {rmse:.4f} | {seconds:.3f} |")
    for name, loader in CLASSIFICATION.items():
        if name not in only:
            continue
        X, Y = loader(return_X_y=True)
        rows = [classification(X, Y, seed) for seed in range(args.seeds)]
        print(f"\n{name} ({Y.shape[1]} tasks, {X.shape[0]} rows): pooled test log loss "
              f"and accuracy, mean of seeds 0-{args.seeds - 1}")
        print("| model | log loss | accuracy | fit time (s) |\n|---|---|---|---|")
        for model in rows[0]:
            loss = np.mean([r[model][0] for r in rows])
            accuracy = np.mean([r[model][1] for r in rows])
            seconds = np.median([r[model][2] for r in rows])
            print(f"| {model} | {loss:.4f} | {accuracy:.4f} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
