"""New school classes from five pupils each: ``fit_new_tasks``.

The nlschools data hold language test scores of pupils in 133 Dutch school
classes. We fit a multi-task model on 100 classes, then add the other 33 with
only five pupils' scores each: ``fit_new_tasks`` fits just their heads and
intercepts on the frozen shared part, in milliseconds. We compare with a ridge
regression fitted on each new class's five pupils alone and with refitting the
whole model on everything.

Run it with ``python examples/new_classes.py``.
"""
from time import perf_counter

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.preprocessing import StandardScaler

from fastmtl import SharedLatentRegressorCV
from fastmtl.datasets import load_nlschools
from fastmtl.metrics import root_mean_squared_error

X, Y = load_nlschools(return_X_y=True)
X = StandardScaler().fit_transform(X)
task = np.argmax(~np.isnan(Y), axis=1)
n_old = 100
old_rows = np.flatnonzero(task < n_old)
rng = np.random.default_rng(0)
few = {t: rng.permutation(np.flatnonzero(task == t))[:5] for t in range(n_old, Y.shape[1])}
few_rows = np.concatenate(list(few.values()))
test_rows = np.setdiff1d(np.flatnonzero(task >= n_old), few_rows)
Y_test = Y[test_rows][:, n_old:]

model = SharedLatentRegressorCV().fit(X[old_rows], Y[old_rows][:, :n_old])
start = perf_counter()
model.fit_new_tasks(X[few_rows], Y[few_rows][:, n_old:])
new_seconds = perf_counter() - start
new_tasks = model.predict(X[test_rows])[:, n_old:]

start = perf_counter()
rows = np.concatenate([old_rows, few_rows])
refit = SharedLatentRegressorCV().fit(X[rows], Y[rows]).predict(X[test_rows])[:, n_old:]
refit_seconds = perf_counter() - start

alone = np.full_like(Y_test, np.nan)
for t, fit_rows in few.items():
    test_of_t = task[test_rows] == t
    ridge = RidgeCV(np.logspace(-3, 3, 13)).fit(X[fit_rows], Y[fit_rows, t])
    alone[test_of_t, t - n_old] = ridge.predict(X[test_rows][test_of_t])

print(f"{Y.shape[1] - n_old} new classes, 5 pupils each; test RMSE over "
      f"{len(test_rows)} of their other pupils")
for name, prediction in [("fit_new_tasks", new_tasks), ("refit the whole model", refit),
                         ("ridge per new class", alone)]:
    print(f"  {name:22s} {root_mean_squared_error(Y_test, prediction, multioutput='pooled'):.4f}")
print(f"fit_new_tasks took {new_seconds * 1e3:.1f} ms, the refit {refit_seconds:.2f} s")
