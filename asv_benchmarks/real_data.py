"""fastmtl's CV estimators against what a user would otherwise fit, on real data.

    python asv_benchmarks/real_data.py [--seeds 3] [--only Exam,Hsb82,nlschools,Contraception]

For each real multi-level data set (one school, class or district = one
task) and seed: 30% of each task's rows train (``TaskShuffleSplit``), the
rest test; every model standardises the features on the training rows. The
baselines are tuned as a user would tune them: per-task ``RidgeCV`` /
``LogisticRegressionCV``, one pooled ``RidgeCV`` / ``LogisticRegressionCV``,
and the pooled model with a one-hot column per task. Prints pooled test RMSE
(regression) or log loss and accuracy (classification), and fit times, as
Markdown (means over seeds).
"""
import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmtl import (
    SharedCodebookClassifierCV,
    SharedCodebookRegressorCV,
    SharedLatentClassifierCV,
    SharedLatentRegressorCV,
)
from fastmtl.datasets import load_contraception, load_exam, load_hsb82, load_nlschools
from fastmtl.metrics import accuracy_score, log_loss, root_mean_squared_error
from fastmtl.model_selection import TaskShuffleSplit

REGRESSION = {"Exam": load_exam, "Hsb82": load_hsb82, "nlschools": load_nlschools}
CLASSIFICATION = {"Contraception": load_contraception}
ALPHAS = np.logspace(-3, 4, 15)


def _task_of(Y):
    return np.argmax(~np.isnan(Y), axis=1)


def _pooled(X, Y):
    return X, Y[~np.isnan(Y)]


class PerTask:
    """One model per task (a task's mean, or its one class, where it cannot fit)."""

    def __init__(self, make):
        self.make = make

    def fit(self, X, Y):
        task = _task_of(Y)
        self.models_ = {}
        for t in range(Y.shape[1]):
            rows = task == t
            y = Y[rows, t]
            try:
                self.models_[t] = self.make().fit(X[rows], y)
            except ValueError:  # too few rows or a single class
                self.models_[t] = float(np.mean(y)) if y.size else 0.0
        return self

    def decision(self, X, task, proba):
        out = np.empty(X.shape[0])
        for t in np.unique(task):
            rows = task == t
            model = self.models_[t]
            if isinstance(model, float):
                out[rows] = np.clip(model, 1e-3, 1 - 1e-3) if proba else model
            elif proba:
                out[rows] = model.predict_proba(X[rows])[:, 1]
            else:
                out[rows] = model.predict(X[rows])
        return out


def _one_hot(X, task, n_tasks):
    return np.hstack([X, np.eye(n_tasks)[task]])


def regression_row(X, Y, seed):
    train, test = next(TaskShuffleSplit(1, train_size=0.3, random_state=seed).split(X, Y))
    scaler = StandardScaler().fit(X[train])
    Xtr, Xte = scaler.transform(X[train]), scaler.transform(X[test])
    Ytr, Yte = Y[train], Y[test]
    ttr, tte = _task_of(Ytr), _task_of(Yte)
    y_test = Yte[np.arange(len(test)), tte]
    T = Y.shape[1]
    result = {}

    def timed(name, fit, predict):
        tic = time.perf_counter()
        model = fit()
        result[name] = (float(np.sqrt(np.mean((predict(model) - y_test) ** 2))),
                        time.perf_counter() - tic)

    y_train = Ytr[np.arange(len(train)), ttr]
    timed("per-task RidgeCV", lambda: PerTask(lambda: RidgeCV(alphas=ALPHAS)).fit(Xtr, Ytr),
          lambda m: m.decision(Xte, tte, False))
    timed("pooled RidgeCV", lambda: RidgeCV(alphas=ALPHAS).fit(Xtr, y_train),
          lambda m: m.predict(Xte))
    timed("RidgeCV + task one-hot",
          lambda: RidgeCV(alphas=ALPHAS).fit(_one_hot(Xtr, ttr, T), y_train),
          lambda m: m.predict(_one_hot(Xte, tte, T)))
    for name, cls in (("SharedLatentRegressorCV", SharedLatentRegressorCV),
                      ("SharedCodebookRegressorCV", SharedCodebookRegressorCV)):
        timed(name, lambda: cls(random_state=0).fit(Xtr, Ytr),
              lambda m: m.predict(Xte)[np.arange(len(test)), tte])
    assert np.isclose(result["SharedLatentRegressorCV"][0], root_mean_squared_error(
        Yte, SharedLatentRegressorCV(random_state=0).fit(Xtr, Ytr).predict(Xte)))
    return result


def classification_row(X, Y, seed):
    train, test = next(TaskShuffleSplit(1, train_size=0.3, random_state=seed).split(X, Y))
    scaler = StandardScaler().fit(X[train])
    Xtr, Xte = scaler.transform(X[train]), scaler.transform(X[test])
    Ytr, Yte = Y[train], Y[test]
    ttr, tte = _task_of(Ytr), _task_of(Yte)
    y_train = Ytr[np.arange(len(train)), ttr]
    y_test = Yte[np.arange(len(test)), tte]
    T = Y.shape[1]
    result = {}

    def timed(name, fit, proba):
        tic = time.perf_counter()
        model = fit()
        p = np.clip(proba(model), 1e-15, 1 - 1e-15)
        elapsed = time.perf_counter() - tic
        loss = -np.mean(y_test * np.log(p) + (1 - y_test) * np.log(1 - p))
        result[name] = (float(loss), float(np.mean((p > 0.5) == y_test)), elapsed)

    timed("per-task LogisticRegressionCV",
          lambda: PerTask(lambda: LogisticRegressionCV(max_iter=1000)).fit(Xtr, Ytr),
          lambda m: m.decision(Xte, tte, True))
    timed("pooled LogisticRegressionCV",
          lambda: LogisticRegressionCV(max_iter=1000).fit(Xtr, y_train),
          lambda m: m.predict_proba(Xte)[:, 1])
    timed("LogisticRegressionCV + task one-hot",
          lambda: LogisticRegressionCV(max_iter=1000).fit(_one_hot(Xtr, ttr, T), y_train),
          lambda m: m.predict_proba(_one_hot(Xte, tte, T))[:, 1])
    for name, cls in (("SharedLatentClassifierCV", SharedLatentClassifierCV),
                      ("SharedCodebookClassifierCV", SharedCodebookClassifierCV)):
        timed(name, lambda: cls(random_state=0).fit(Xtr, Ytr),
              lambda m: np.column_stack(
                  [p[:, 1] for p in _as_list(m.predict_proba(Xte))])[np.arange(len(test)),
                                                                    tte])
    return result


def _as_list(proba):
    if isinstance(proba, list):
        return proba
    return [np.column_stack([1 - proba[:, t], proba[:, t]]) for t in range(proba.shape[1])]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", default="Exam,Hsb82,nlschools,Contraception")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.filterwarnings("ignore", message=".*no observed training target")
    only = args.only.split(",")
    for name, loader in REGRESSION.items():
        if name not in only:
            continue
        X, Y = loader(return_X_y=True)
        rows = [regression_row(X, Y, seed) for seed in range(args.seeds)]
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
        rows = [classification_row(X, Y, seed) for seed in range(args.seeds)]
        print(f"\n{name} ({Y.shape[1]} tasks, {X.shape[0]} rows): pooled test log loss "
              f"and accuracy, mean of seeds 0-{args.seeds - 1}")
        print("| model | log loss | accuracy | fit time (s) |\n|---|---|---|---|")
        for model in rows[0]:
            loss = np.mean([r[model][0] for r in rows])
            acc = np.mean([r[model][1] for r in rows])
            seconds = np.median([r[model][2] for r in rows])
            print(f"| {model} | {loss:.4f} | {acc:.4f} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
