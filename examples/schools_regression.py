"""Exam scores in 65 schools: multi-task regression against the usual baselines.

Each school is a task. We train on 30% of every school's pupils and compare
the test RMSE (pooled over all test pupils) of

* a ridge regression per school (``RidgeCV``, what fits each task alone),
* one pooled ridge regression (ignores the schools),
* a pooled ridge regression with one indicator column per school,
* ``SharedLatentRegressorCV``: shared weights plus a penalised deviation per
  school and shrunken school intercepts, penalties tuned by leave-one-out.

Run it with ``python examples/schools_regression.py``.
"""
import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmtl import SharedLatentRegressorCV
from fastmtl.datasets import load_exam
from fastmtl.metrics import root_mean_squared_error
from fastmtl.model_selection import TaskShuffleSplit

X, Y = load_exam(return_X_y=True)            # one column per school, NaN elsewhere
school = np.argmax(~np.isnan(Y), axis=1)     # the school of each pupil
y = Y[np.arange(len(Y)), school]             # every pupil's own score
n_schools = Y.shape[1]

train, test = next(TaskShuffleSplit(1, train_size=0.3, random_state=0).split(X, Y))
Y_test = Y[test]


def stacked(prediction_per_row, rows):
    """Put each row's prediction in its school's column, as ``Y`` is laid out."""
    out = np.full((len(rows), n_schools), np.nan)
    out[np.arange(len(rows)), school[rows]] = prediction_per_row
    return out


def per_school_ridge():
    prediction = np.empty(len(test))
    # RidgeCV's leave-one-out divides by zero on the schools with very few
    # training pupils (a row's leverage is 1); it still picks a penalty.
    np.seterr(divide="ignore", invalid="ignore")
    for t in range(n_schools):
        fit_rows, test_rows = train[school[train] == t], school[test] == t
        model = make_pipeline(StandardScaler(), RidgeCV(np.logspace(-3, 3, 13)))
        prediction[test_rows] = model.fit(X[fit_rows], y[fit_rows]).predict(X[test][test_rows])
    np.seterr(divide="warn", invalid="warn")
    return stacked(prediction, test)


def pooled_ridge(indicators):
    def features(rows):
        if not indicators:
            return X[rows]
        return np.hstack([X[rows], np.eye(n_schools)[school[rows]]])
    model = make_pipeline(StandardScaler(), RidgeCV(np.logspace(-3, 3, 13)))
    model.fit(features(train), y[train])
    return stacked(model.predict(features(test)), test)


def multi_task():
    model = make_pipeline(StandardScaler(), SharedLatentRegressorCV())
    return model.fit(X[train], Y[train]).predict(X[test])


results = {
    "ridge per school": per_school_ridge(),
    "pooled ridge": pooled_ridge(indicators=False),
    "pooled ridge + school indicators": pooled_ridge(indicators=True),
    "SharedLatentRegressorCV": multi_task(),
}
print(f"{n_schools} schools, {len(train)} training pupils, {len(test)} test pupils")
for name, prediction in results.items():
    rmse = root_mean_squared_error(Y_test, prediction, multioutput="pooled")
    print(f"  {name:34s} test RMSE {rmse:.4f}")
