"""Contraceptive use in 60 districts: tuning a multi-task classifier.

Each district is a binary task (does the woman use contraception?), stacked
one after another with NaN for the other districts' labels. Several districts
have few women and some see only one class in training. ``GridSearchCV``
works on this layout with fastmtl's task-aware splitter (every district in
every fold) and its NaN-aware scorers; several metrics at once, refitting on
the log loss.

Run it with ``python examples/districts_grid_search.py``.
"""
import warnings

import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmtl import SharedLatentClassifier
from fastmtl.datasets import load_contraception
from fastmtl.metrics import get_scorer, log_loss
from fastmtl.model_selection import TaskKFold, TaskShuffleSplit

X, Y = load_contraception(return_X_y=True)
train, test = next(TaskShuffleSplit(1, train_size=0.5, random_state=0).split(X, Y))

one_class = [t for t in range(Y.shape[1])
             if len(np.unique(Y[train, t][~np.isnan(Y[train, t])])) == 1]
print(f"{Y.shape[1]} districts; {len(one_class)} see a single class in training")

# A district with a single woman in the training half is in one fold only:
# fitting the other folds warns that it is predicted by the shared part of the
# model. That is expected here.
warnings.filterwarnings("ignore", message=".*no observed training target")

model = make_pipeline(StandardScaler(), SharedLatentClassifier())
grid = {"sharedlatentclassifier__alpha": [0.1, 1.0, 10.0],
        "sharedlatentclassifier__intercept_alpha": [0.01, 0.1]}
scoring = {"log_loss": get_scorer("neg_pooled_log_loss"),
           "accuracy": get_scorer("pooled_accuracy")}
search = GridSearchCV(model, grid, cv=TaskKFold(3), scoring=scoring, refit="log_loss")
search.fit(X[train], Y[train])

best = search.best_index_
print("best penalties:", search.best_params_)
print(f"cross-validated log loss {-search.cv_results_['mean_test_log_loss'][best]:.4f}, "
      f"accuracy {search.cv_results_['mean_test_accuracy'][best]:.4f}")

# Every district has the same two classes, so (as scikit-learn's multi-label
# classifiers do) predict_proba gives one column per district: the probability
# of class 1. The districts that saw one class still get probabilities off 0
# and 1, so no test woman costs an infinite log loss.
probability = search.predict_proba(X[test])          # (n_test, 60)
observed = ~np.isnan(Y[test])
surest = np.minimum(probability, 1 - probability)[observed].min()
print(f"test log loss {log_loss(Y[test], probability, classes=search.classes_):.4f}; "
      f"smallest predicted class probability {surest:.3g}")
