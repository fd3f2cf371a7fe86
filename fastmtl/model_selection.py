"""Task-aware cross-validation splitters for multi-task targets.

scikit-learn's ``KFold`` splits rows without looking at the targets. On tasks
stacked one after another (each school's pupils, each patient's visits) an
unshuffled ``KFold`` drops whole tasks from the training folds, and a
shuffled one leaves small tasks out of some of them by chance. The splitters
here split the observed entries of each task across the folds.

Both are splitter objects with scikit-learn's API (``split(X, y, groups)``,
``get_n_splits``), so ``GridSearchCV(..., cv=TaskKFold(5))`` works for every
estimator, classifiers with NaN labels included: scikit-learn inspects the
labels only when ``cv`` is an integer.

``cross_val_predict`` gives out-of-fold predictions on such targets:
scikit-learn's own encodes each label column before fitting, which turns a
missing label into a class of its own.
"""
import numbers
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _num_samples, indexable

from ._targets import check_targets, missing_mask
from ._validation import check_option, final_step

__all__ = ["TaskKFold", "TaskShuffleSplit", "cross_val_predict"]


def _observed(X, y, missing_label):
    if y is None:
        raise ValueError("The task-aware splitters need y: they split each task's "
                         "observed targets across the folds.")
    Y, _ = check_targets(y, _num_samples(X), numeric=False, name="y")
    return ~missing_mask(Y, missing_label)


def _rarest_task(observed, rng):
    """The task each row is grouped by: its least observed task (-1: none).

    Rows of a rare task are then spread over the folds first; a row's other
    tasks have more observations and reach every fold through their own rows.
    """
    counts = observed.sum(axis=0)
    # Ties between tasks of equal counts are broken by a random (or fixed)
    # task order, so no task is always second.
    tie_break = rng.permutation(observed.shape[1]) if rng is not None else \
        np.arange(observed.shape[1])
    key = np.where(observed, counts * observed.shape[1] + tie_break, np.iinfo(np.int64).max)
    task = np.argmin(key, axis=1)
    task[~observed.any(axis=1)] = -1
    return task


def _positions(group, order):
    """Rank of each row within its group, groups visited in ``order``."""
    n = group.shape[0]
    visit = order[np.argsort(group[order], kind="stable")]
    ranked = group[visit]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, n]))
    position = np.empty(n, dtype=np.int64)
    position[visit] = np.arange(n) - first
    return position


def _task_fold_counts(observed, fold, n_folds):
    """(n_tasks, n_folds): observed entries of each task in each fold."""
    rows, tasks = np.nonzero(observed)
    flat = tasks * n_folds + fold[rows]
    return np.bincount(flat, minlength=observed.shape[1] * n_folds).reshape(-1, n_folds)


def _repair(observed, fold, n_folds, need):
    """Move rows so that every task in ``need`` has an entry in every fold.

    A row moves from a fold where the task has two or more entries, and only
    if each of the row's other tasks keeps what it needs there.
    """
    counts = _task_fold_counts(observed, fold, n_folds)
    for t in np.flatnonzero(need):
        for f in np.flatnonzero(counts[t] == 0):
            for r in np.flatnonzero(observed[:, t]):
                g = fold[r]
                row_tasks = np.flatnonzero(observed[r])
                if counts[t, g] < 2 or np.any(need[row_tasks] & (counts[row_tasks, g] < 2)):
                    continue
                counts[row_tasks, g] -= 1
                counts[row_tasks, f] += 1
                fold[r] = f
                break
    return counts


def _warn_uncovered(counts, need, where):
    missing = np.flatnonzero(need & (counts == 0).any(axis=1))
    if missing.size:
        warnings.warn(
            f"{missing.size} task(s) (first: {missing[:5].tolist()}) are missing from "
            f"{where}: their rows also observe other tasks whose own split takes "
            "precedence. Their scores are then computed on fewer folds.",
            UserWarning, stacklevel=3)


def _check_n_splits(n_splits, minimum=2):
    if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral) \
            or n_splits < minimum:
        raise ValueError(f"n_splits must be an integer of at least {minimum}; got "
                         f"{n_splits!r}.")
    return int(n_splits)


def _per_group(group, labels, values):
    """``values[g]`` of each row's group ``g`` (``labels`` sorted, as np.unique gives)."""
    return values[np.searchsorted(labels, group)]


class TaskKFold(BaseCrossValidator):
    """K-fold cross-validation that splits every task's observed targets.

    Each task's observed entries are dealt over the ``n_splits`` folds, so
    every task with at least ``n_splits`` observations is in every test fold
    and every training fold, whether the tasks are stacked one after another
    (one observed task per row) or observed on shared rows (multi-output). A
    task with fewer observations (but at least two) lands in as many distinct
    folds as it has observations: it stays in every training fold and is
    tested in some. Every row is in exactly one test fold, so
    :func:`~sklearn.model_selection.cross_val_predict` works too; a task
    observed only once is then missing from one training fold, where the
    estimators predict it by their shared part.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Shuffle each task's rows before dealing them out. Without shuffling,
        each task's rows go to the folds in contiguous blocks, in their order.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling; only with ``shuffle=True``.
    missing_label : scalar, default=None
        A label value that also marks a missing target (NaN and None always
        do), e.g. -1 for integer label matrices.

    Notes
    -----
    Rows are grouped by their least observed task and each group is spread
    over the folds in turn (offsets balance the fold sizes). On multi-output
    rows a task can end up absent from a fold when all its rows belong to
    rarer tasks' groups; a repair pass moves rows where it can, and a warning
    names the tasks it could not place.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.model_selection import TaskKFold
    >>> Y = np.full((9, 3), np.nan)  # three tasks stacked one after another
    >>> for t in range(3):
    ...     Y[3 * t:3 * t + 3, t] = [1.0, 2.0, 3.0]
    >>> for train, test in TaskKFold(3).split(np.zeros((9, 1)), Y):
    ...     print(test)
    [0 3 6]
    [1 4 7]
    [2 5 8]
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None,
                 missing_label=None):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state
        self.missing_label = missing_label

    def _check(self):
        n_splits = _check_n_splits(self.n_splits)
        if not isinstance(self.shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle must be True or False; got {self.shuffle!r}.")
        if not self.shuffle and self.random_state is not None:
            raise ValueError("Setting a random_state has no effect since shuffle is "
                             "False. Leave random_state as None or set shuffle=True.")
        return n_splits

    def folds(self, X, y=None):
        """The test fold of every row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Targets; NaN, None or ``missing_label`` marks a missing one.

        Returns
        -------
        fold : ndarray of shape (n_samples,)
            Fold index (0 to ``n_splits - 1``) of each row.
        """
        n_splits = self._check()
        observed = _observed(X, y, self.missing_label)
        rng = check_random_state(self.random_state) if self.shuffle else None
        n = observed.shape[0]
        group = _rarest_task(observed, rng)
        order = rng.permutation(n) if rng is not None else np.arange(n)
        position = _positions(group, order)
        labels, size = np.unique(group, return_counts=True)
        # Contiguous blocks of each group across the folds; a group smaller than
        # n_splits takes distinct folds. Offsets rotate so folds even out.
        offsets = np.cumsum(np.r_[0, size[:-1]]) % n_splits
        fold = (_per_group(group, labels, offsets)
                + position * n_splits // _per_group(group, labels, size)) % n_splits
        need = observed.sum(axis=0) >= n_splits
        counts = _repair(observed, fold, n_splits, need)
        _warn_uncovered(counts, need, "some test folds")
        return fold

    def split(self, X, y=None, groups=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Targets; NaN, None or ``missing_label`` marks a missing one.
        groups : ignored

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split.
        """
        X, y, groups = indexable(X, y, groups)
        fold = self.folds(X, y)
        for f in range(self.n_splits):
            yield np.flatnonzero(fold != f), np.flatnonzero(fold == f)

    def _iter_test_indices(self, X=None, y=None, groups=None):  # pragma: no cover
        fold = self.folds(X, y)
        for f in range(self.n_splits):
            yield np.flatnonzero(fold == f)

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits.

        Parameters
        ----------
        X, y, groups : ignored

        Returns
        -------
        n_splits : int
        """
        return _check_n_splits(self.n_splits)


class TaskShuffleSplit(BaseCrossValidator):
    """Random train/test splits that hold out a share of every task's targets.

    In each split, about ``test_size`` of each task's observed entries go to
    the test set and the rest to the training set; a task with two or more
    observations keeps at least one on each side, and a task observed once
    stays in training. Use it for "30% of each school's pupils for training".

    Parameters
    ----------
    n_splits : int, default=10
        Number of re-shuffled splits.
    test_size : float in (0, 1), default=None
        Share of each task's observations in the test set. None means 0.1
        unless ``train_size`` is given (then ``1 - train_size``).
    train_size : float in (0, 1), default=None
        Share in the training set; give one of the two.
    random_state : int, RandomState instance or None, default=None
    missing_label : scalar, default=None
        A label value that also marks a missing target.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.model_selection import TaskShuffleSplit
    >>> Y = np.repeat(np.eye(2), 10, axis=0)
    >>> Y[Y == 0] = np.nan  # two stacked tasks of 10 rows
    >>> train, test = next(TaskShuffleSplit(1, train_size=0.3, random_state=0)
    ...                    .split(np.zeros((20, 1)), Y))
    >>> len(train), len(test)
    (6, 14)
    """

    def __init__(self, n_splits=10, *, test_size=None, train_size=None, random_state=None,
                 missing_label=None):
        self.n_splits = n_splits
        self.test_size = test_size
        self.train_size = train_size
        self.random_state = random_state
        self.missing_label = missing_label

    def _test_share(self):
        for name in ("test_size", "train_size"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, numbers.Real)
                                      or not 0.0 < value < 1.0):
                raise ValueError(f"{name} must be a float in (0, 1); got {value!r}.")
        if self.test_size is not None and self.train_size is not None \
                and not np.isclose(self.test_size + self.train_size, 1.0):
            raise ValueError("test_size and train_size must add up to 1 when both are "
                             "given.")
        if self.test_size is not None:
            return float(self.test_size)
        return 1.0 - self.train_size if self.train_size is not None else 0.1

    def split(self, X, y=None, groups=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Targets; NaN, None or ``missing_label`` marks a missing one.
        groups : ignored

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split.
        """
        n_splits = _check_n_splits(self.n_splits, minimum=1)
        share = self._test_share()
        X, y, groups = indexable(X, y, groups)
        observed = _observed(X, y, self.missing_label)
        rng = check_random_state(self.random_state)
        n = observed.shape[0]
        for _ in range(n_splits):
            group = _rarest_task(observed, rng)
            position = _positions(group, rng.permutation(n))
            labels, size = np.unique(group, return_counts=True)
            n_test = np.rint(share * size).astype(np.int64)
            n_test = np.where(size >= 2, np.clip(n_test, 1, size - 1), 0)
            n_test[labels == -1] = np.rint(share * size[labels == -1]).astype(np.int64)
            # 1: test, 0: training.
            fold = (position < _per_group(group, labels, n_test)).astype(np.int64)
            need = observed.sum(axis=0) >= 2
            counts = _repair(observed, fold, 2, need)
            _warn_uncovered(counts, need, "the training or the test set of a split")
            yield np.flatnonzero(fold == 0), np.flatnonzero(fold == 1)

    def _iter_test_indices(self, X=None, y=None, groups=None):  # pragma: no cover
        for _, test in self.split(X, y, groups):
            yield test

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits.

        Parameters
        ----------
        X, y, groups : ignored

        Returns
        -------
        n_splits : int
        """
        return _check_n_splits(self.n_splits, minimum=1)


_PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function",
                    "transform")
# What a class a fold's model never saw gets, as in scikit-learn's
# cross_val_predict: probability 0, log-probability -inf, the lowest score.
_UNSEEN_CLASS = {"predict_proba": 0.0, "predict_log_proba": -np.inf,
                 "decision_function": np.finfo(np.float64).min}


def _fit_and_predict(estimator, X, y, train, test, method, params):
    estimator.fit(_safe_indexing(X, train), _safe_indexing(y, train), **params)
    return getattr(estimator, method)(_safe_indexing(X, test)), final_step(estimator)


def _task_columns(prediction, fold_classes, classes, method):
    """A task's per-class columns laid out on its classes in the whole ``y``."""
    if prediction.shape[1] == len(classes):
        return prediction
    out = np.full((len(prediction), len(classes)), _UNSEEN_CLASS[method])
    out[:, np.searchsorted(classes, fold_classes)] = prediction
    return out


def cross_val_predict(estimator, X, y, *, cv=None, method="predict", n_jobs=None,
                      params=None):
    """Out-of-fold predictions for multi-task targets with missing entries.

    Each row is predicted by the model fitted on the folds that do not hold
    it. Unlike ``sklearn.model_selection.cross_val_predict``, which encodes
    each label column before fitting (a NaN or ``missing_label`` then becomes
    a class of its own), the targets reach ``fit`` as they are, and the
    folds split every task's observed entries (``TaskKFold``).

    Parameters
    ----------
    estimator : estimator
        A fastmtl estimator, a Pipeline ending in one, or any estimator that
        fits ``y`` as given; cloned for every fold.
    X : array-like of shape (n_samples, n_features)
        Samples.
    y : array-like of shape (n_samples, n_tasks) or (n_samples,)
        Targets; NaN (or the estimator's ``missing_label``) marks a missing one.
    cv : int, cross-validation splitter or iterable, default=None
        None means ``TaskKFold(5)``, an integer ``TaskKFold(cv)``, with the
        estimator's ``missing_label``. The test folds must hold every row once.
    method : {"predict", "predict_proba", "predict_log_proba", \
"decision_function", "transform"}, default="predict"
        The estimator's method to call on each test fold.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib; None means 1).
    params : dict, default=None
        Parameters passed to every fold's ``fit`` (e.g. ``sample_weight``,
        split with the rows).

    Returns
    -------
    predictions : ndarray or list of ndarray
        In the layout ``method`` returns. Where it returns one array per task
        (tasks with their own classes), each task's columns follow its
        classes in the whole ``y``; a class a fold's model never saw gets
        probability 0 (log-probability ``-inf``, the lowest decision value),
        as in scikit-learn.

    See Also
    --------
    TaskKFold : The splitter used by default.
    sklearn.model_selection.cross_val_predict : The same for targets without
        missing entries.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl import SharedLatentClassifier
    >>> from fastmtl.datasets import make_multitask_classification
    >>> from fastmtl.model_selection import cross_val_predict
    >>> X, Y = make_multitask_classification(30, 4, 5, random_state=0)
    >>> bool(np.isnan(Y).any())  # four tasks stacked: NaN for the others' labels
    True
    >>> proba = cross_val_predict(SharedLatentClassifier(), X, Y, method="predict_proba")
    >>> proba.shape  # multi-label data: the probability of label 1, per task
    (120, 4)
    """
    check_option(method, "method", _PREDICT_METHODS)
    X, y = indexable(X, y)
    missing_label = getattr(final_step(estimator), "missing_label", None)
    if cv is None or isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        cv = TaskKFold(5 if cv is None else cv, missing_label=missing_label)
    splits = list(cv.split(X, y)) if hasattr(cv, "split") else list(cv)
    n = _num_samples(X)
    tested = np.concatenate([np.asarray(test, dtype=np.intp) for _, test in splits])
    if len(tested) != n or not np.array_equal(np.sort(tested), np.arange(n)):
        raise ValueError("cross_val_predict needs test folds that hold every row exactly "
                         "once; cv gave folds that do not.")
    params = dict(params or {})
    if "sample_weight" in params:
        weight = np.asarray(params["sample_weight"])
        fold_params = [dict(params, sample_weight=weight[train]) for train, _ in splits]
    else:
        fold_params = [params] * len(splits)
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_predict)(clone(estimator), X, y, train, test, method, p)
        for (train, test), p in zip(splits, fold_params))

    first = results[0][0]
    if any(isinstance(r, list) != isinstance(first, list) for r, _ in results):
        raise ValueError(
            "The folds' models returned different layouts (one array per task in some "
            "folds, one array in others): a task saw different classes in different "
            "folds. Give the estimator intercept_alpha > 0 (a task then keeps the "
            "shared classes) or use fewer folds.")
    if not isinstance(first, list):
        out = np.empty((n,) + np.shape(first)[1:], dtype=np.result_type(
            *[np.asarray(r).dtype for r, _ in results]))
        for (_, test), (prediction, _) in zip(splits, results):
            out[test] = np.asarray(prediction)
        return out
    Y, _ = check_targets(y, n, numeric=False, name="y")
    observed = ~missing_mask(Y, missing_label)
    classes = [np.unique(Y[observed[:, t], t]) for t in range(Y.shape[1])]
    out = []
    for t, task_classes in enumerate(classes):
        columns = len(task_classes) if method in _UNSEEN_CLASS else np.shape(first[t])[1]
        task_out = np.empty((n, columns), dtype=np.asarray(first[t]).dtype)
        for (_, test), (prediction, fold) in zip(splits, results):
            task_prediction = np.asarray(prediction[t])
            if method in _UNSEEN_CLASS:
                task_prediction = _task_columns(task_prediction, fold.classes_[t],
                                                task_classes, method)
            task_out[test] = task_prediction
        out.append(task_out)
    return out
