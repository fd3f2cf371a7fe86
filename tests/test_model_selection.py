"""Task-aware splitters: every task in every fold, partitions, GridSearchCV."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, cross_val_predict

from fastmtl import (SharedCodebookClassifier, SharedCodebookRegressor,
                     SharedLatentClassifier, SharedLatentRegressor)
from fastmtl.datasets import make_multitask_classification, make_multitask_regression
from fastmtl.model_selection import TaskKFold, TaskShuffleSplit


def _stacked(counts, seed=0):
    """Y with tasks stacked one after another, ``counts[t]`` rows for task t."""
    rng = np.random.default_rng(seed)
    Y = np.full((sum(counts), len(counts)), np.nan)
    start = 0
    for t, c in enumerate(counts):
        Y[start:start + c, t] = rng.standard_normal(c)
        start += c
    return Y


def _fold_counts(Y, splits):
    """(n_tasks, n_folds) observed entries of each task in each test / train fold."""
    observed = ~np.isnan(Y)
    test = np.stack([observed[te].sum(axis=0) for _, te in splits], axis=1)
    train = np.stack([observed[tr].sum(axis=0) for tr, _ in splits], axis=1)
    return test, train


def _assert_partition(splits, n):
    tests = np.concatenate([te for _, te in splits])
    assert np.array_equal(np.sort(tests), np.arange(n))
    for train, test in splits:
        assert np.intersect1d(train, test).size == 0
        assert train.size + test.size == n


@pytest.mark.parametrize("shuffle", [False, True])
def test_stacked_tasks_are_in_every_train_and_test_fold(shuffle):
    counts = [3, 5, 7, 12, 40, 2, 1]
    Y = _stacked(counts)
    cv = TaskKFold(3, shuffle=shuffle, random_state=0 if shuffle else None)
    splits = list(cv.split(np.zeros((len(Y), 2)), Y))
    _assert_partition(splits, len(Y))
    test, train = _fold_counts(Y, splits)
    for t, c in enumerate(counts):
        if c >= 3:
            assert (test[t] >= 1).all() and (train[t] >= 1).all(), t
            assert test[t].max() - test[t].min() <= 1  # dealt evenly
        elif c == 2:
            assert (train[t] >= 1).all()  # spread over distinct folds
    assert cv.get_n_splits() == 3


def test_unshuffled_folds_are_contiguous_blocks_of_each_task():
    Y = _stacked([6, 6])
    fold = TaskKFold(3).folds(np.zeros((12, 1)), Y)
    assert fold[:6].tolist() == [0, 0, 1, 1, 2, 2]
    assert sorted(np.bincount(fold).tolist()) == [4, 4, 4]


def test_plain_kfold_would_drop_whole_tasks():
    # The failure the splitter exists for: default KFold on stacked tasks.
    from sklearn.model_selection import KFold

    Y = _stacked([10] * 5)
    _, train = _fold_counts(Y, list(KFold(5).split(Y)))
    assert (train == 0).any()
    _, train = _fold_counts(Y, list(TaskKFold(5).split(np.zeros((50, 1)), Y)))
    assert (train > 0).all()


def test_shuffling_is_reproducible_and_seeded():
    Y = _stacked([20, 30, 25])
    X = np.zeros((len(Y), 1))
    a = TaskKFold(4, shuffle=True, random_state=1).folds(X, Y)
    b = TaskKFold(4, shuffle=True, random_state=1).folds(X, Y)
    c = TaskKFold(4, shuffle=True, random_state=2).folds(X, Y)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_multi_output_rows_and_one_d_targets():
    X, Y = make_multitask_regression(100, 6, 3, shared_X=True, missing_rate=0.6,
                                     random_state=0)
    splits = list(TaskKFold(5, shuffle=True, random_state=0).split(X, Y))
    _assert_partition(splits, len(Y))
    test, train = _fold_counts(Y, splits)
    assert (test >= 1).all() and (train >= 1).all()
    y = Y[:, 0]  # 1-D, NaN for missing
    splits = list(TaskKFold(4).split(X, y))
    test, _ = _fold_counts(y[:, None], splits)
    assert (test >= 1).all()


@st.composite
def _masks(draw):
    n = draw(st.integers(1, 40))
    T = draw(st.integers(1, 5))
    stacked = draw(st.booleans())
    if stacked:
        task = draw(arrays(np.int64, n, elements=st.integers(-1, T - 1)))
        return np.arange(T) == task[:, None], True
    return draw(arrays(np.bool_, (n, T))), False


@settings(max_examples=80, deadline=None)
@given(_masks(), st.integers(2, 5), st.booleans())
def test_folds_partition_and_cover_every_task_they_can(mask_and_kind, k, shuffle):
    mask, stacked = mask_and_kind
    Y = np.where(mask, 1.0, np.nan)
    X = np.zeros((len(Y), 1))
    cv = TaskKFold(k, shuffle=shuffle, random_state=0 if shuffle else None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        splits = list(cv.split(X, Y))
    _assert_partition(splits, len(Y))
    test, _ = _fold_counts(Y, splits)
    uncovered = np.flatnonzero((mask.sum(axis=0) >= k) & (test == 0).any(axis=1))
    if stacked:  # one task per row: always covered, never a warning
        assert uncovered.size == 0 and not caught
    if uncovered.size:  # the warning names what it could not place
        assert any(str(uncovered[0]) in str(w.message) for w in caught)
    else:
        assert not caught


def test_shuffle_split_holds_out_a_share_of_every_task():
    counts = [10, 20, 3, 2, 1]
    Y = _stacked(counts)
    X = np.zeros((len(Y), 1))
    cv = TaskShuffleSplit(5, train_size=0.3, random_state=0)
    splits = list(cv.split(X, Y))
    assert len(splits) == 5 == cv.get_n_splits()
    test, train = _fold_counts(Y, splits)
    assert (train[0] == 3).all() and (train[1] == 6).all()
    assert ((test[:4] >= 1) & (train[:4] >= 1)).all()
    assert (test[4] == 0).all()  # a task seen once stays in training
    again = list(TaskShuffleSplit(5, train_size=0.3, random_state=0).split(X, Y))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(splits, again))


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_splits=1), "at least 2"), (dict(n_splits=2.5), "integer"),
    (dict(random_state=0), "no effect"), (dict(shuffle="yes"), "True or False"),
])
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        list(TaskKFold(**kwargs).split(np.zeros((4, 1)), np.ones(4)))


def test_missing_y_and_bad_sizes_are_errors():
    with pytest.raises(ValueError, match="need y"):
        list(TaskKFold().split(np.zeros((4, 1))))
    with pytest.raises(ValueError, match="test_size"):
        list(TaskShuffleSplit(test_size=1.5).split(np.zeros((4, 1)), np.ones(4)))


def test_missing_label_marks_missing_targets():
    Y = np.array([[0, -1], [1, -1], [0, 1], [1, 0], [-1, 1], [-1, 0]])
    fold = TaskKFold(2, missing_label=-1).folds(np.zeros((6, 1)), Y)
    for t in range(2):
        assert set(fold[Y[:, t] != -1]) == {0, 1}


# --------------------------------------------------------------------------- #
# In scikit-learn's model selection                                           #
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("Estimator, grid", [
    (SharedLatentRegressor, {"alpha": [1e-3, 1e-1]}),
    (SharedCodebookRegressor, {"sparsity": [1e-3, 1e-1]}),
])
def test_grid_search_on_stacked_regression_tasks(Estimator, grid):
    X, Y = make_multitask_regression(20, 6, 5, rank=2, random_state=0)
    search = GridSearchCV(Estimator(random_state=0, max_iter=30), grid, cv=TaskKFold(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, Y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.predict(X).shape == Y.shape


@pytest.mark.parametrize("Estimator", [SharedLatentClassifier, SharedCodebookClassifier])
def test_grid_search_on_classifiers_with_nan_labels(Estimator):
    X, Y = make_multitask_classification(30, 4, 5, rank=2, random_state=0)
    assert np.isnan(Y).any()
    search = GridSearchCV(Estimator(random_state=0, max_iter=30), {"alpha": [1e-3, 1e-1]},
                          cv=TaskKFold(3, shuffle=True, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, Y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and (scores > 0.5).all()


def test_cross_val_predict_with_the_task_splitter():
    X, Y = make_multitask_regression(15, 4, 5, rank=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        prediction = cross_val_predict(SharedLatentRegressor(random_state=0, max_iter=20),
                                       X, Y, cv=TaskKFold(3))
    assert prediction.shape == Y.shape and np.isfinite(prediction).all()



def test_scikit_learns_cross_val_predict_reads_the_classifiers_layouts():
    # Multi-label data (0/1 labels): one probability column per task, read
    # through classes_ = the labels; other multi-task labels: one array per task.
    from fastmtl import SharedLatentClassifier

    X, Y = make_multitask_classification(40, 3, 5, shared_X=True, random_state=0)
    Y = Y.astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "classes do not match"
        proba = cross_val_predict(SharedLatentClassifier(alpha=0.1), X, Y, cv=3,
                                  method="predict_proba")
    assert proba.shape == Y.shape and np.all((proba > 0) & (proba < 1))
    X3, Y3 = make_multitask_classification(40, 2, 5, n_classes=3, shared_X=True,
                                           random_state=0)
    proba3 = cross_val_predict(SharedLatentClassifier(alpha=0.1), X3, Y3.astype(int), cv=3,
                               method="predict_proba")
    assert isinstance(proba3, list) and [p.shape for p in proba3] == [(40, 3)] * 2


def test_cross_val_predict_keeps_missing_labels_missing():
    from fastmtl import SharedLatentClassifier
    from fastmtl.model_selection import cross_val_predict as task_cross_val_predict

    X, Y = make_multitask_classification(30, 4, 5, random_state=0)
    assert np.isnan(Y).any()
    model = SharedLatentClassifier(alpha=0.1)
    proba = task_cross_val_predict(model, X, Y, cv=3, method="predict_proba")
    log_proba = task_cross_val_predict(model, X, Y, cv=3, method="predict_log_proba")
    assert proba.shape == Y.shape and np.all((proba > 0) & (proba < 1))
    np.testing.assert_allclose(np.log(proba), log_proba, rtol=1e-10)
    # Each row's probability is the one its held-out fold's model gives, a
    # model fitted on the fold's targets as they are (NaN missing).
    for train, test in TaskKFold(3).split(X, Y):
        fold = clone(model).fit(X[train], Y[train])
        np.testing.assert_allclose(proba[test], fold.predict_proba(X[test]), rtol=1e-10)
    observed = ~np.isnan(Y)
    assert roc_auc_score(Y[observed], proba[observed]) > 0.7
    # scikit-learn's cross_val_predict encodes NaN as a class: not this.
    sk = cross_val_predict(model, X, Y, cv=TaskKFold(3), method="predict_proba")
    assert isinstance(sk, list) and sk[0].shape[1] == 3

    # Three classes per task, missing_label=-1, a class unseen by some folds.
    X3, Y3 = make_multitask_classification(30, 3, 5, n_classes=3, random_state=0)
    Y3 = np.where(np.isnan(Y3), -1, Y3).astype(int)
    rare = np.flatnonzero(Y3[:, 0] == 2)
    Y3[rare[1:], 0] = 1  # task 0 sees class 2 once: one fold's model never does
    model3 = SharedLatentClassifier(alpha=0.1, missing_label=-1)
    proba3 = task_cross_val_predict(model3, X3, Y3, cv=3, method="predict_proba")
    assert isinstance(proba3, list) and [p.shape for p in proba3] == [(len(X3), 3)] * 3
    for p in proba3:
        np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert np.sum(proba3[0][:, 2] == 0.0) > 0  # the fold without class 2 gives it 0
    labels = task_cross_val_predict(model3, X3, Y3, cv=3)
    assert labels.shape == Y3.shape and set(np.unique(labels)) <= {0, 1, 2}


def test_cross_val_predict_rejects_bad_arguments():
    from fastmtl import SharedLatentRegressor
    from fastmtl.model_selection import cross_val_predict as task_cross_val_predict

    X, Y = make_multitask_regression(20, 2, 3, random_state=0)
    with pytest.raises(ValueError, match="method"):
        task_cross_val_predict(SharedLatentRegressor(), X, Y, method="score")
    overlapping = [(np.arange(20), np.arange(20, 40)), (np.arange(20, 40), np.arange(30))]
    with pytest.raises(ValueError, match="every row exactly once"):
        task_cross_val_predict(SharedLatentRegressor(), X, Y, cv=overlapping)
    prediction = task_cross_val_predict(SharedLatentRegressor(), X, Y, cv=4,
                                        params={"sample_weight": np.ones(len(X))})
    assert prediction.shape == Y.shape and np.isfinite(prediction).all()
