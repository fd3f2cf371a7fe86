"""Knowledge transfer on real data: new tasks from a fitted model, and the
prediction-divergence penalty against the weight-space graph penalty.

    python asv_benchmarks/transfer.py [--seeds 3] [--only Exam,Hsb82,nlschools,Contraception]

New tasks (Exam, Hsb82, nlschools): per seed, 20% of the tasks are held out
entirely and ``SharedLatentRegressorCV`` is fitted on all rows of the others
(features standardised on them). Each held-out task then gets 2, 5 or 10
labelled rows (a task needs at least one more row to be scored), its other
rows are the test set. Compared by pooled test RMSE on those rows:
``fit_new_tasks`` (the new heads on the frozen shared part), the zero-shot
prediction (the shared part alone), per-task ``RidgeCV`` on the labelled
rows, and refitting ``SharedLatentRegressorCV`` on all training rows plus the
labelled ones. Times are medians over seeds and settings.

Prediction penalty (Contraception, binary tasks): 30% of each district's rows
train (as in ``real_data.py``). ``SharedLatentClassifierCV`` picks ``alpha``
and ``intercept_alpha``; with those, the task graph ``A`` (each pair linked
by ``exp(-D / median D)`` of the fitted model's symmetric prediction
divergence, scaled to mean degree 1) is used by ``graph_penalty`` (pulls
weights together) or ``prediction_penalty`` (pulls predicted probabilities
together), each strength chosen from a grid by 3-fold ``TaskKFold``
log loss on the training rows. Prints pooled test log loss and accuracy.
"""
import copy
import time

import numpy as np

from fastmtl import SharedLatentClassifier, SharedLatentClassifierCV, SharedLatentRegressorCV
from fastmtl._comparison import _task_of, benchmark_arguments, split
from fastmtl.datasets import load_contraception, load_exam, load_hsb82, load_nlschools
from fastmtl.relatedness import prediction_divergence, relatedness_to_graph

REGRESSION = {"Exam": load_exam, "Hsb82": load_hsb82, "nlschools": load_nlschools}
SHOTS = (2, 5, 10)
STRENGTHS = np.logspace(-3, 2, 6)


def _rmse(pred, y):
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def new_tasks(X, Y, seed):
    """{shots: {method: (test RMSE, seconds)}} for one split of the tasks."""
    from sklearn.linear_model import RidgeCV
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(seed)
    T = Y.shape[1]
    held = np.sort(rng.permutation(T)[:max(1, T // 5)])
    task = _task_of(Y)
    train_rows = ~np.isin(task, held)
    scaler = StandardScaler().fit(X[train_rows])
    Xs = scaler.transform(X)
    kept = np.setdiff1d(np.arange(T), held)
    X_fit, Y_fit = Xs[train_rows], Y[train_rows][:, kept]
    base = SharedLatentRegressorCV().fit(X_fit, Y_fit)
    out = {}
    for shots in SHOTS:
        new, labelled, tested = [], [], []
        for t in held:
            rows = rng.permutation(np.flatnonzero(task == t))
            if rows.size > shots:
                new.append(t)
                labelled.append(rows[:shots])
                tested.append(rows[shots:])
        if not labelled:
            continue
        lab, test = np.concatenate(labelled), np.concatenate(tested)
        Y_new = Y[lab][:, new]
        test_task = np.searchsorted(new, task[test])
        y_test = Y[test, task[test]]
        runs = {}
        model = copy.deepcopy(base)
        tic = time.perf_counter()
        model.fit_new_tasks(Xs[lab], Y_new)
        seconds = time.perf_counter() - tic
        pred = model.predict(Xs[test])[np.arange(test.size), len(kept) + test_task]
        runs["fit_new_tasks"] = (_rmse(pred, y_test), seconds)
        zero = copy.deepcopy(base).fit_new_tasks(Xs[:1], np.full((1, len(new)), np.nan))
        pred = zero.predict(Xs[test])[np.arange(test.size), len(kept) + test_task]
        runs["zero-shot (shared part)"] = (_rmse(pred, y_test), 0.0)
        pred = np.empty(test.size)
        tic = time.perf_counter()
        for i, (t, rows) in enumerate(zip(new, labelled)):
            mine = test_task == i
            fitted = RidgeCV(alphas=np.logspace(-3, 4, 15)).fit(Xs[rows], Y[rows, t])
            pred[mine] = fitted.predict(Xs[test[mine]])
        runs["per-task RidgeCV"] = (_rmse(pred, y_test), time.perf_counter() - tic)
        X_all = np.vstack([X_fit, Xs[lab]])
        Y_all = np.full((X_all.shape[0], len(kept) + len(new)), np.nan)
        Y_all[:len(X_fit), :len(kept)] = Y_fit
        Y_all[len(X_fit):, len(kept):] = Y_new
        tic = time.perf_counter()
        refit = SharedLatentRegressorCV().fit(X_all, Y_all)
        seconds = time.perf_counter() - tic
        pred = refit.predict(Xs[test])[np.arange(test.size), len(kept) + test_task]
        runs["refit SharedLatentRegressorCV"] = (_rmse(pred, y_test), seconds)
        out[shots] = runs
    return out


def _cv_log_loss(make, X, Y):
    """Mean held-out pooled log loss of ``make()`` over 3 TaskKFold folds."""
    from fastmtl.metrics import get_scorer
    from fastmtl.model_selection import TaskKFold

    scorer = get_scorer("neg_pooled_log_loss")
    losses = []
    for train, test in TaskKFold(3, shuffle=True, random_state=0).split(X, Y):
        losses.append(-scorer(make().fit(X[train], Y[train]), X[test], Y[test]))
    return float(np.mean(losses))


def prediction_penalty(X, Y, seed):
    """{method: (test log loss, accuracy, strength, seconds)} on one split."""
    X_train, Y_train, X_test, task, y_test = split(X, Y, seed)
    tic = time.perf_counter()
    cv = SharedLatentClassifierCV().fit(X_train, Y_train)
    runs = {"SharedLatentClassifierCV": (cv, np.nan, time.perf_counter() - tic)}
    D = prediction_divergence(cv, X_train, kind="symmetric_kl")
    graph = relatedness_to_graph(D, "divergence")
    graph *= graph.shape[0] / graph.sum()  # mean degree 1
    params = dict(alpha=cv.alpha_, intercept_alpha=cv.intercept_alpha_, task_graph=graph)
    for name, option in [("graph_penalty (weights)", "graph_penalty"),
                         ("prediction_penalty (probabilities)", "prediction_penalty")]:
        tic = time.perf_counter()
        scores = [_cv_log_loss(lambda: SharedLatentClassifier(**params, **{option: s}),
                               X_train, Y_train) for s in STRENGTHS]
        best = STRENGTHS[int(np.argmin(scores))]
        model = SharedLatentClassifier(**params, **{option: best}).fit(X_train, Y_train)
        runs[name] = (model, best, time.perf_counter() - tic)
    out = {}
    for name, (model, strength, seconds) in runs.items():
        proba = model.predict_proba(X_test)
        p = np.clip(proba[np.arange(task.size), task], 1e-15, 1 - 1e-15)
        loss = -np.mean(y_test * np.log(p) + (1 - y_test) * np.log(1 - p))
        out[name] = (float(loss), float(np.mean((p > 0.5) == y_test)), strength, seconds)
    return out


def main(argv=None):
    seeds, only = benchmark_arguments(__doc__, argv)
    for name, loader in REGRESSION.items():
        if name not in only:
            continue
        X, Y = loader(return_X_y=True)
        results = [new_tasks(X, Y, seed) for seed in range(seeds)]
        print(f"\n{name}: new tasks (20% of {Y.shape[1]} tasks held out), pooled test "
              f"RMSE, mean of seeds 0-{seeds - 1}")
        methods = list(results[0][SHOTS[0]])
        print("| method | " + " | ".join(f"{s} rows" for s in SHOTS) + " | seconds |")
        print("|---" * (len(SHOTS) + 2) + "|")
        for method in methods:
            cells = [np.mean([r[s][method][0] for r in results if s in r]) for s in SHOTS]
            seconds = np.median([r[s][method][1] for r in results for s in SHOTS if s in r])
            print(f"| {method} | " + " | ".join(f"{c:.4f}" for c in cells)
                  + f" | {seconds:.4f} |")
    if "Contraception" in only:
        X, Y = load_contraception(return_X_y=True)
        results = [prediction_penalty(X, Y, seed) for seed in range(seeds)]
        print(f"\nContraception: prediction vs weight penalty, pooled test log loss and "
              f"accuracy, mean of seeds 0-{seeds - 1} (strengths chosen per seed)")
        print("| model | log loss | accuracy | strengths | fit seconds |\n|---|---|---|---|---|")
        for method in results[0]:
            loss = np.mean([r[method][0] for r in results])
            accuracy = np.mean([r[method][1] for r in results])
            strengths = ", ".join(f"{r[method][2]:g}" for r in results)
            seconds = np.median([r[method][3] for r in results])
            print(f"| {method} | {loss:.4f} | {accuracy:.4f} | {strengths} | "
                  f"{seconds:.2f} |")


if __name__ == "__main__":
    main()
