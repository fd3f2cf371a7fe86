"""fastmtl's CV estimators against what a user would otherwise fit, on real
multi-level data: the demo (``python -m fastmtl``) and the benchmark script
``asv_benchmarks/real_data.py`` both run these comparisons.

Protocol: 30% of each task's rows train (``TaskShuffleSplit``), the rest
test; the features are standardised on the training rows. Baselines, tuned
as a user would tune them: per-task ``RidgeCV`` / ``LogisticRegression``, one
pooled model, and the pooled model with a one-hot column per task (group
indicators). Scores are pooled over all test rows: RMSE for regression, log
loss and accuracy for classification.
"""
import time
import warnings

import numpy as np

ALPHAS = np.logspace(-3, 4, 15)
_CLIP = 1e-15


def quiet_baselines():
    """Silence the warnings the comparisons expect: baselines that stop at
    their iteration limit, ``RidgeCV``'s leave-one-out on one-row tasks,
    tasks a split leaves without a training target."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", RuntimeWarning)
    warnings.simplefilter("ignore", FutureWarning)  # LogisticRegressionCV's options
    warnings.filterwarnings("ignore", message=".*no observed training target")


def benchmark_arguments(doc, argv=None):
    """``(seeds, data sets)`` of a real-data benchmark script's command line
    (``--seeds``, ``--only``), the warnings of the baselines silenced."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", default="Exam,Hsb82,nlschools,Contraception")
    args = parser.parse_args(argv)
    quiet_baselines()
    return args.seeds, args.only.split(",")


def _task_of(Y):
    """The task each stacked row observes."""
    return np.argmax(~np.isnan(Y), axis=1)


def _one_hot(X, task, n_tasks):
    return np.hstack([X, np.eye(n_tasks)[task]])


class PerTask:
    """One model per task; a task it cannot fit (too few rows, one class) is
    predicted by its training mean (clipped away from 0 and 1 as a probability)."""

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
            except ValueError:
                self.models_[t] = float(np.mean(y)) if y.size else 0.0
        return self

    def predict(self, X, task, proba):
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


def split(X, Y, seed):
    """Training and test parts, features standardised on the training rows:
    (X_train, Y_train, X_test, task of each test row, its target)."""
    from sklearn.preprocessing import StandardScaler

    from .model_selection import TaskShuffleSplit

    train, test = next(TaskShuffleSplit(1, train_size=0.3, random_state=seed).split(X, Y))
    scaler = StandardScaler().fit(X[train])
    task = _task_of(Y[test])
    return (scaler.transform(X[train]), Y[train], scaler.transform(X[test]), task,
            Y[test][np.arange(len(test)), task])


def _timed(fit, predict):
    tic = time.perf_counter()
    model = fit()
    seconds = time.perf_counter() - tic
    return predict(model), seconds


def regression(X, Y, seed, codebook=True):
    """{model: (pooled test RMSE, fit seconds)} on one split."""
    from sklearn.linear_model import RidgeCV

    from .linear_model import SharedCodebookRegressorCV, SharedLatentRegressorCV

    X_train, Y_train, X_test, task, y_test = split(X, Y, seed)
    train_task = _task_of(Y_train)
    y_train = Y_train[np.arange(len(Y_train)), train_task]
    T = Y.shape[1]
    runs = {
        "per-task RidgeCV": _timed(
            lambda: PerTask(lambda: RidgeCV(alphas=ALPHAS)).fit(X_train, Y_train),
            lambda m: m.predict(X_test, task, False)),
        "pooled RidgeCV": _timed(lambda: RidgeCV(alphas=ALPHAS).fit(X_train, y_train),
                                 lambda m: m.predict(X_test)),
        "RidgeCV + task one-hot": _timed(
            lambda: RidgeCV(alphas=ALPHAS).fit(_one_hot(X_train, train_task, T), y_train),
            lambda m: m.predict(_one_hot(X_test, task, T))),
    }
    models = [("SharedLatentRegressorCV", SharedLatentRegressorCV)]
    if codebook:
        models.append(("SharedCodebookRegressorCV", SharedCodebookRegressorCV))
    for name, cls in models:
        runs[name] = _timed(lambda: cls(random_state=0).fit(X_train, Y_train),
                            lambda m: m.predict(X_test)[np.arange(len(task)), task])
    return {name: (float(np.sqrt(np.mean((pred - y_test) ** 2))), seconds)
            for name, (pred, seconds) in runs.items()}


def _positive_probability(model, X, task):
    proba = model.predict_proba(X)
    if isinstance(proba, list):  # tasks with different classes
        return np.array([proba[t][i, -1] for i, t in enumerate(task)])
    return proba[np.arange(len(task)), task]


def classification(X, Y, seed, codebook=True):
    """{model: (pooled test log loss, accuracy, fit seconds)} on one split of
    binary tasks labelled 0 / 1."""
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

    from .linear_model import SharedCodebookClassifierCV, SharedLatentClassifierCV

    X_train, Y_train, X_test, task, y_test = split(X, Y, seed)
    train_task = _task_of(Y_train)
    y_train = Y_train[np.arange(len(Y_train)), train_task]
    T = Y.shape[1]
    runs = {
        "per-task LogisticRegression": _timed(
            lambda: PerTask(lambda: LogisticRegression()).fit(X_train, Y_train),
            lambda m: m.predict(X_test, task, True)),
        "pooled LogisticRegressionCV": _timed(
            lambda: LogisticRegressionCV(scoring="neg_log_loss", max_iter=1000).fit(X_train, y_train),
            lambda m: m.predict_proba(X_test)[:, 1]),
        "LogisticRegressionCV + task one-hot": _timed(
            lambda: LogisticRegressionCV(scoring="neg_log_loss", max_iter=1000).fit(
                _one_hot(X_train, train_task, T), y_train),
            lambda m: m.predict_proba(_one_hot(X_test, task, T))[:, 1]),
    }
    models = [("SharedLatentClassifierCV", SharedLatentClassifierCV)]
    if codebook:
        models.append(("SharedCodebookClassifierCV", SharedCodebookClassifierCV))
    for name, cls in models:
        runs[name] = _timed(lambda: cls(random_state=0).fit(X_train, Y_train),
                            lambda m: _positive_probability(m, X_test, task))
    result = {}
    for name, (p, seconds) in runs.items():
        p = np.clip(p, _CLIP, 1 - _CLIP)
        loss = -np.mean(y_test * np.log(p) + (1 - y_test) * np.log(1 - p))
        result[name] = (float(loss), float(np.mean((p > 0.5) == y_test)), seconds)
    return result
