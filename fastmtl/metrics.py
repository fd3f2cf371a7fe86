"""NaN-aware metrics and scorers for multi-task targets.

Multi-task targets are ``(n_samples, n_tasks)`` matrices with missing entries
(NaN, ``None``, or a ``missing_label``); scikit-learn's metrics return NaN on
them. The metrics here score the observed entries only, in three ways chosen
by ``multioutput``:

``"pooled"``
    One sum over every observed entry, whatever its task: every observation
    counts once. The pooled R² divides the pooled squared error by the pooled
    squared deviation of each target from its own task's mean. A pooled score
    is far less noisy than a mean of per-task scores when tasks are small.
``"uniform_average"``
    The mean over tasks of each task's own score (tasks where the score is
    undefined, e.g. R² of a task with one observation, are left out).
``"raw_values"``
    Each task's score, NaN where undefined.

The regression and classification metrics are computed from per-task
sufficient statistics (:class:`RegressionStatistics`,
:class:`ClassificationStatistics`) that add up across chunks of rows, so the
same numbers come out of one call on all the data, of an estimator's
``score``, and of :func:`fastmtl.distributed.score` on chunked data.

:func:`get_scorer` returns ready scorers for ``scoring=`` in
:class:`~sklearn.model_selection.GridSearchCV`,
:func:`~sklearn.model_selection.cross_validate` and friends, alone or in a
dict of several metrics.
"""
import textwrap

import numpy as np

from ._targets import check_targets, missing_mask
from ._validation import final_step

MULTIOUTPUT = ("pooled", "uniform_average", "raw_values")

__all__ = [
    "ClassificationStatistics",
    "RegressionStatistics",
    "SCORERS",
    "accuracy_score",
    "get_scorer",
    "get_scorer_names",
    "log_loss",
    "mean_absolute_error",
    "mean_squared_error",
    "r2_score",
    "roc_auc_score",
    "root_mean_squared_error",
]


def _check_multioutput(multioutput, allowed=MULTIOUTPUT):
    if not isinstance(multioutput, str) or multioutput not in allowed:
        raise ValueError(f"multioutput must be one of {', '.join(map(repr, allowed))}; "
                         f"got {multioutput!r}.")
    return multioutput


def _sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n_samples,):
        raise ValueError(f"sample_weight has shape {w.shape}; expected ({n_samples},).")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("sample_weight must be finite and non-negative.")
    return w


def _predictions(y_pred, n_samples, n_tasks, name="y_pred"):
    P = np.asarray(y_pred)
    if P.ndim == 1:
        P = P[:, None]
    if P.shape != (n_samples, n_tasks):
        raise ValueError(f"{name} has shape {np.shape(y_pred)}; y_true has {n_samples} "
                         f"samples and {n_tasks} task(s).")
    return P


def _by_task(values, task, n_tasks):
    return np.bincount(task, weights=values, minlength=n_tasks)


def _reduce(scores, pooled_value, multioutput):
    """Finish a per-task metric: the pooled value, the mean of defined tasks, or all."""
    if multioutput == "pooled":
        return pooled_value
    if multioutput == "raw_values":
        return scores
    defined = ~np.isnan(scores)
    if not defined.any():
        raise ValueError("No task of y_true has enough observed targets to be scored.")
    return float(scores[defined].mean())


# --------------------------------------------------------------------------- #
# Regression                                                                  #
# --------------------------------------------------------------------------- #
_MULTIOUTPUT_SECTIONS = """
Parameters
----------
multioutput : {"pooled", "raw_values", "uniform_average"}, default="pooled"
    One value over all observed targets, one per task, or the mean of the
    tasks' values.

Returns
-------
score : float or ndarray of shape (n_tasks,)
    An array for ``"raw_values"``, else a float.
"""


def _multioutput_doc(method):
    """Append the Parameters and Returns sections every per-task statistic shares."""
    method.__doc__ = (method.__doc__.rstrip() + "\n"
                      + textwrap.indent(_MULTIOUTPUT_SECTIONS, "        ") + "        ")
    return method


class RegressionStatistics:
    """Per-task sufficient statistics of regression errors, mergeable across chunks.

    Parameters
    ----------
    weight, mean, m2, sse, sae, count : ndarray of shape (n_tasks,)
        Per task, over its observed targets: total sample weight, weighted
        mean of the targets, weighted sum of squared deviations from that
        mean, weighted sums of squared and of absolute errors, and the number
        of observed targets.

    Notes
    -----
    ``a + b`` merges the statistics of two disjoint sets of rows exactly
    (Chan, Golub and LeVeque's pairwise update of the mean and ``m2``).

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.metrics import RegressionStatistics
    >>> Y = np.array([[1.0, np.nan], [2.0, 5.0], [np.nan, 7.0]])
    >>> P = np.array([[1.5, 0.0], [2.0, 5.5], [0.0, 6.0]])
    >>> whole = RegressionStatistics.from_predictions(Y, P)
    >>> parts = (RegressionStatistics.from_predictions(Y[:2], P[:2])
    ...          + RegressionStatistics.from_predictions(Y[2:], P[2:]))
    >>> bool(np.isclose(whole.r2(), parts.r2()))
    True
    """

    _FIELDS = ("weight", "mean", "m2", "sse", "sae", "count")

    def __init__(self, weight, mean, m2, sse, sae, count):
        self.weight, self.mean, self.m2 = weight, mean, m2
        self.sse, self.sae, self.count = sse, sae, count

    @classmethod
    def from_predictions(cls, y_true, y_pred, sample_weight=None):
        """Statistics of predictions ``y_pred`` against targets ``y_true`` (NaN = missing).

        Parameters
        ----------
        y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
        y_pred : array-like of the same shape
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        stats : RegressionStatistics
        """
        Y, _ = check_targets(y_true, None, numeric=True, name="y_true")
        n, T = Y.shape
        P = _predictions(y_pred, n, T).astype(np.float64, copy=False)
        w = _sample_weight(sample_weight, n)
        Y = Y.astype(np.float64, copy=False)
        rows, task = np.nonzero(~np.isnan(Y))
        y, p = Y[rows, task], P[rows, task]
        if not np.all(np.isfinite(p)):
            bad = np.flatnonzero(~np.isfinite(p))[0]
            raise ValueError(f"y_pred has a non-finite prediction {p[bad]!r} at sample "
                             f"{rows[bad]}, task {task[bad]}, where y_true is observed.")
        wt = np.ones_like(y) if w is None else w[rows]
        weight = _by_task(wt, task, T)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(weight > 0, _by_task(wt * y, task, T) / weight, 0.0)
        deviation = y - mean[task]
        return cls(weight=weight, mean=mean,
                   m2=_by_task(wt * deviation * deviation, task, T),
                   sse=_by_task(wt * (y - p) ** 2, task, T),
                   sae=_by_task(wt * np.abs(y - p), task, T),
                   count=np.bincount(task, minlength=T).astype(np.float64))

    def __add__(self, other):
        total = self.weight + other.weight
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, other.weight / total, 0.0)
        delta = other.mean - self.mean
        return RegressionStatistics(
            weight=total, mean=self.mean + delta * share,
            m2=self.m2 + other.m2 + delta * delta * self.weight * share,
            sse=self.sse + other.sse, sae=self.sae + other.sae,
            count=self.count + other.count)

    def _require_observations(self):
        if not np.any(self.weight > 0):
            raise ValueError("y_true has no observed target (with a positive "
                             "sample_weight) to score.")

    @_multioutput_doc
    def r2(self, multioutput="pooled"):
        """R²: pooled over all observed targets, per task, or their mean.

        The pooled R² is ``1 - sum(squared errors) / sum((y - task mean)^2)``,
        both sums over every observed target. A task's own R² is undefined
        (NaN) with fewer than two observed targets; for a constant task it is
        1 for a perfect prediction and 0 otherwise, as in scikit-learn.

        """
        _check_multioutput(multioutput)
        self._require_observations()
        with np.errstate(invalid="ignore", divide="ignore"):
            per_task = np.where(self.m2 > 0, 1.0 - self.sse / self.m2,
                                np.where(self.sse == 0, 1.0, 0.0))
        per_task[self.count < 2] = np.nan
        sse, m2 = self.sse.sum(), self.m2.sum()
        pooled = 1.0 - sse / m2 if m2 > 0 else (1.0 if sse == 0 else 0.0)
        return _reduce(per_task, float(pooled), multioutput)

    @_multioutput_doc
    def mean_squared_error(self, multioutput="pooled"):
        """Weighted mean squared error: pooled, per task, or their mean.

        """
        _check_multioutput(multioutput)
        self._require_observations()
        with np.errstate(invalid="ignore", divide="ignore"):
            per_task = np.where(self.weight > 0, self.sse / self.weight, np.nan)
        return _reduce(per_task, float(self.sse.sum() / self.weight.sum()),
                       multioutput)

    @_multioutput_doc
    def mean_absolute_error(self, multioutput="pooled"):
        """Weighted mean absolute error: pooled, per task, or their mean.

        """
        _check_multioutput(multioutput)
        self._require_observations()
        with np.errstate(invalid="ignore", divide="ignore"):
            per_task = np.where(self.weight > 0, self.sae / self.weight, np.nan)
        return _reduce(per_task, float(self.sae.sum() / self.weight.sum()),
                       multioutput)


def r2_score(y_true, y_pred, *, sample_weight=None, multioutput="pooled"):
    """R² of multi-task predictions on the observed targets.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
        Targets; NaN marks a missing one.
    y_pred : array-like of the same shape
        Predictions (all entries; those where ``y_true`` is missing are ignored).
    sample_weight : array-like of shape (n_samples,), default=None
    multioutput : {"pooled", "uniform_average", "raw_values"}, default="pooled"
        "pooled": ``1 - sum(squared errors) / sum((y - task mean)^2)`` over
        every observed target, so each observation counts once and each is
        compared with its own task's mean; "uniform_average": the mean of
        each task's R² (tasks with fewer than two targets left out);
        "raw_values": each task's R² (NaN for those).

    Returns
    -------
    score : float or ndarray of shape (n_tasks,)

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.metrics import r2_score
    >>> Y = np.array([[1.0, np.nan], [2.0, 10.0], [3.0, 12.0], [np.nan, 14.0]])
    >>> P = np.array([[1.0, 0.0], [2.5, 10.0], [3.0, 12.5], [0.0, 14.0]])
    >>> round(r2_score(Y, P), 4)
    0.95
    >>> r2_score(Y, P, multioutput="raw_values").round(4)
    array([0.875 , 0.9688])
    """
    return RegressionStatistics.from_predictions(y_true, y_pred, sample_weight).r2(
        multioutput)


def mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="pooled"):
    """Mean squared error on the observed targets.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
        Targets; NaN marks a missing one.
    y_pred : array-like of the same shape
    sample_weight : array-like of shape (n_samples,), default=None
    multioutput : {"pooled", "uniform_average", "raw_values"}, default="pooled"
        See :func:`r2_score`.

    Returns
    -------
    loss : float or ndarray of shape (n_tasks,)

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.metrics import mean_squared_error
    >>> mean_squared_error([[1.0, np.nan], [2.0, 4.0]], [[0.0, 9.0], [2.0, 6.0]])
    1.6666666666666667
    """
    return RegressionStatistics.from_predictions(
        y_true, y_pred, sample_weight).mean_squared_error(multioutput)


def root_mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="pooled"):
    """Square root of :func:`mean_squared_error` (per task for "raw_values").

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
        Targets; NaN marks a missing one.
    y_pred : array-like of the same shape
    sample_weight : array-like of shape (n_samples,), default=None
    multioutput : {"pooled", "uniform_average", "raw_values"}, default="pooled"
        "uniform_average" is the mean of the tasks' RMSE.

    Returns
    -------
    loss : float or ndarray of shape (n_tasks,)

    Examples
    --------
    >>> from fastmtl.metrics import root_mean_squared_error
    >>> root_mean_squared_error([[3.0], [5.0]], [[3.0], [3.0]])
    1.4142135623730951
    """
    _check_multioutput(multioutput)
    stats = RegressionStatistics.from_predictions(y_true, y_pred, sample_weight)
    if multioutput == "pooled":
        return float(np.sqrt(stats.mean_squared_error()))
    return _reduce(np.sqrt(stats.mean_squared_error("raw_values")), None, multioutput)


def mean_absolute_error(y_true, y_pred, *, sample_weight=None, multioutput="pooled"):
    """Mean absolute error on the observed targets.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
        Targets; NaN marks a missing one.
    y_pred : array-like of the same shape
    sample_weight : array-like of shape (n_samples,), default=None
    multioutput : {"pooled", "uniform_average", "raw_values"}, default="pooled"
        See :func:`r2_score`.

    Returns
    -------
    loss : float or ndarray of shape (n_tasks,)

    Examples
    --------
    >>> from fastmtl.metrics import mean_absolute_error
    >>> mean_absolute_error([[1.0], [2.0]], [[2.0], [2.0]])
    0.5
    """
    return RegressionStatistics.from_predictions(
        y_true, y_pred, sample_weight).mean_absolute_error(multioutput)


# --------------------------------------------------------------------------- #
# Classification                                                              #
# --------------------------------------------------------------------------- #
def _labels(y_true, missing_label):
    Y, _ = check_targets(y_true, None, numeric=False, name="y_true")
    return Y, ~missing_mask(Y, missing_label)


class ClassificationStatistics:
    """Per-task counts of correct predictions, mergeable across chunks.

    Parameters
    ----------
    weight, hits, count : ndarray of shape (n_tasks,)
        Per task: total sample weight of the observed labels, weight of the
        correctly predicted ones, and the number of observed labels.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.metrics import ClassificationStatistics
    >>> Y = np.array([[0.0, 1.0], [1.0, np.nan], [1.0, 0.0]])
    >>> stats = ClassificationStatistics.from_predictions(Y, [[0, 1], [0, 0], [1, 1]])
    >>> stats.accuracy(), stats.accuracy("raw_values").tolist()
    (0.6, [0.6666666666666666, 0.5])
    """

    def __init__(self, weight, hits, count):
        self.weight, self.hits, self.count = weight, hits, count

    @classmethod
    def from_predictions(cls, y_true, y_pred, sample_weight=None, missing_label=None):
        """Statistics of predicted labels against observed labels.

        Parameters
        ----------
        y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
            Labels; NaN, None or ``missing_label`` marks a missing one.
        y_pred : array-like of the same shape
            Predicted labels.
        sample_weight : array-like of shape (n_samples,), default=None
        missing_label : scalar, default=None

        Returns
        -------
        stats : ClassificationStatistics
        """
        Y, observed = _labels(y_true, missing_label)
        n, T = Y.shape
        P = _predictions(y_pred, n, T)
        w = _sample_weight(sample_weight, n)
        rows, task = np.nonzero(observed)
        hit = (P[rows, task] == Y[rows, task]).astype(np.float64)
        wt = np.ones(rows.shape[0]) if w is None else w[rows]
        return cls(weight=_by_task(wt, task, T), hits=_by_task(wt * hit, task, T),
                   count=np.bincount(task, minlength=T).astype(np.float64))

    def __add__(self, other):
        return ClassificationStatistics(self.weight + other.weight,
                                        self.hits + other.hits,
                                        self.count + other.count)

    @_multioutput_doc
    def accuracy(self, multioutput="pooled"):
        """Weighted share of correct labels: pooled, per task, or their mean.

        """
        _check_multioutput(multioutput)
        if not np.any(self.weight > 0):
            raise ValueError("y_true has no observed label (with a positive "
                             "sample_weight) to score.")
        with np.errstate(invalid="ignore", divide="ignore"):
            per_task = np.where(self.weight > 0, self.hits / self.weight, np.nan)
        return _reduce(per_task,
                       float(self.hits.sum() / self.weight.sum()), multioutput)


def accuracy_score(y_true, y_pred, *, sample_weight=None, missing_label=None,
                   multioutput="pooled"):
    """Accuracy of multi-task label predictions on the observed labels.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
        Labels; NaN, None or ``missing_label`` marks a missing one.
    y_pred : array-like of the same shape
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
    missing_label : scalar, default=None
        A label value that also marks a missing label (e.g. -1).
    multioutput : {"pooled", "uniform_average", "raw_values"}, default="pooled"
        "pooled": the share of all observed labels predicted correctly.

    Returns
    -------
    score : float or ndarray of shape (n_tasks,)

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.metrics import accuracy_score
    >>> accuracy_score([[0, 1], [1, np.nan], [1, 0]], [[0, 1], [0, 0], [1, 1]])
    0.6
    """
    return ClassificationStatistics.from_predictions(
        y_true, y_pred, sample_weight, missing_label).accuracy(multioutput)


def _task_classes(classes, n_tasks, y_proba=None):
    """``classes`` as one array of labels per task."""
    if (isinstance(classes, np.ndarray) and n_tasks >= 2
            and isinstance(y_proba, np.ndarray) and y_proba.shape[1:] == (n_tasks,)
            and np.array_equal(classes, np.arange(n_tasks))):
        # A multi-label classifier's classes_ are its labels (one per task,
        # as MLPClassifier's), and each label's classes are 0 and 1.
        classes = np.array([0, 1])
    if classes is None:
        raise ValueError("classes is needed to read probabilities: one array of labels "
                         "per task (an estimator's classes_), or one array for all.")
    if isinstance(classes, (list, tuple)) and len(classes) and np.ndim(classes[0]) == 1:
        per_task = [np.asarray(c) for c in classes]
    else:
        per_task = [np.asarray(classes)] * n_tasks
    if len(per_task) != n_tasks:
        raise ValueError(f"classes has {len(per_task)} entries for {n_tasks} task(s).")
    return per_task


def _task_probabilities(y_proba, classes, n_samples):
    """Probabilities as one (n_samples, n_classes_t) array per task.

    Accepts what classifiers return: a list of per-task arrays, one array for
    a single task, or an (n_samples, n_tasks) array of the probability of each
    task's second class (scikit-learn's multi-label convention).
    """
    if isinstance(y_proba, (list, tuple)):
        probas = [np.asarray(p, dtype=np.float64) for p in y_proba]
    else:
        p = np.asarray(y_proba, dtype=np.float64)
        if p.ndim != 2:
            raise ValueError(f"y_proba must be 2-D or a list of 2-D arrays; got shape "
                             f"{p.shape}.")
        if len(classes) == 1 and p.shape[1] == len(classes[0]):
            probas = [p]
        else:
            probas = [np.column_stack([1.0 - p[:, t], p[:, t]]) for t in range(p.shape[1])]
    if len(probas) != len(classes):
        raise ValueError(f"y_proba has {len(probas)} task(s); y_true has {len(classes)}.")
    for t, (p, c) in enumerate(zip(probas, classes)):
        if p.shape != (n_samples, len(c)):
            raise ValueError(f"y_proba of task {t} has shape {p.shape}; expected "
                             f"({n_samples}, {len(c)}) for its classes {list(c)}.")
    return probas


def _class_index(labels, classes, task):
    """Column of each observed label in its task's probabilities."""
    order = np.argsort(classes, kind="stable")
    position = np.searchsorted(classes, labels, sorter=order)
    position = np.minimum(position, len(classes) - 1)
    index = order[position]
    unknown = classes[index] != labels
    if np.any(unknown):
        raise ValueError(f"Task {task} has label {labels[unknown][0]!r}, which is not "
                         f"among its classes {list(classes)}.")
    return index


def log_loss(y_true, y_proba, *, classes, sample_weight=None, missing_label=None,
             multioutput="pooled"):
    """Cross-entropy of predicted class probabilities on the observed labels.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
        Labels; NaN, None or ``missing_label`` marks a missing one.
    y_proba : list of arrays of shape (n_samples, n_classes_t), or ndarray
        What a classifier's ``predict_proba`` returns: one array per task, one
        array for a single task, or an ``(n_samples, n_tasks)`` array holding
        the probability of each task's second class.
    classes : list of arrays, or array
        The labels of each task's probability columns (a classifier's
        ``classes_``); one array stands for every task.
    sample_weight : array-like of shape (n_samples,), default=None
    missing_label : scalar, default=None
    multioutput : {"pooled", "uniform_average", "raw_values"}, default="pooled"
        "pooled": the mean over all observed labels of ``-log p(label)``.

    Returns
    -------
    loss : float or ndarray of shape (n_tasks,)

    Notes
    -----
    Probabilities are clipped to ``[eps, 1 - eps]`` (float64 ``eps``), as
    scikit-learn's ``log_loss`` does, so a confident wrong prediction costs
    about 36 nats, not infinity.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.metrics import log_loss
    >>> proba = [np.array([[0.8, 0.2], [0.3, 0.7]])]
    >>> round(log_loss([0, 1], proba, classes=[0, 1]), 4)
    0.2899
    """
    _check_multioutput(multioutput)
    Y, observed = _labels(y_true, missing_label)
    n, T = Y.shape
    per_task_classes = _task_classes(classes, T, y_proba)
    probas = _task_probabilities(y_proba, per_task_classes, n)
    w = _sample_weight(sample_weight, n)
    eps = np.finfo(np.float64).eps
    weight, loss = np.zeros(T), np.zeros(T)
    for t in range(T):
        rows = np.flatnonzero(observed[:, t])
        column = _class_index(Y[rows, t], per_task_classes[t], t)
        p = np.clip(probas[t][rows, column], eps, 1.0 - eps)
        wt = np.ones(rows.shape[0]) if w is None else w[rows]
        weight[t], loss[t] = wt.sum(), -(wt * np.log(p)).sum()
    if not np.any(weight > 0):
        raise ValueError("y_true has no observed label to score.")
    with np.errstate(invalid="ignore", divide="ignore"):
        per_task = np.where(weight > 0, loss / weight, np.nan)
    return _reduce(per_task, float(loss.sum() / weight.sum()), multioutput)


def _binary_auc(positive, score, weight):
    from sklearn.metrics import roc_auc_score as sk_auc

    return sk_auc(positive, score, sample_weight=weight)


def roc_auc_score(y_true, y_proba, *, classes, sample_weight=None, missing_label=None,
                  multioutput="uniform_average"):
    """Area under the ROC curve of each task, on its observed labels.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_tasks) or (n_samples,)
        Labels; NaN, None or ``missing_label`` marks a missing one.
    y_proba : list of arrays, or ndarray
        Class probabilities as :func:`log_loss` takes them.
    classes : list of arrays, or array
        The labels of each task's probability columns.
    sample_weight : array-like of shape (n_samples,), default=None
    missing_label : scalar, default=None
    multioutput : {"uniform_average", "raw_values"}, default="uniform_average"
        The mean over tasks, or each task's AUC. Scores of different tasks
        are not comparable, so there is no pooled AUC. A multiclass task's
        AUC is the mean one-vs-rest AUC of its observed classes; a task whose
        observed labels are all one class has no AUC (NaN, left out of the
        mean).

    Returns
    -------
    score : float or ndarray of shape (n_tasks,)

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.metrics import roc_auc_score
    >>> proba = np.array([[0.9, 0.2], [0.1, 0.6], [0.8, 0.7], [0.3, 0.1]])
    >>> roc_auc_score([[1, 0], [0, 1], [1, 1], [0, np.nan]], proba, classes=[0, 1])
    1.0
    """
    _check_multioutput(multioutput, ("uniform_average", "raw_values"))
    Y, observed = _labels(y_true, missing_label)
    n, T = Y.shape
    per_task_classes = _task_classes(classes, T, y_proba)
    probas = _task_probabilities(y_proba, per_task_classes, n)
    w = _sample_weight(sample_weight, n)
    scores = np.full(T, np.nan)
    for t in range(T):
        rows = np.flatnonzero(observed[:, t])
        if rows.size == 0:
            continue
        column = _class_index(Y[rows, t], per_task_classes[t], t)
        present = np.unique(column)
        if present.size < 2:
            continue
        wt = None if w is None else w[rows]
        if probas[t].shape[1] == 2:
            scores[t] = _binary_auc(column == 1, probas[t][rows, 1], wt)
        else:
            scores[t] = np.mean([_binary_auc(column == c, probas[t][rows, c], wt)
                                 for c in present])
    return _reduce(scores, None, multioutput)


# --------------------------------------------------------------------------- #
# Scorers                                                                     #
# --------------------------------------------------------------------------- #
class TaskScorer:
    """A scorer for ``scoring=``: ``scorer(estimator, X, y) -> float``, greater is better.

    Calls the estimator's ``predict`` (or ``predict_proba``) on ``X`` and
    scores the observed entries of ``y`` with a metric of this module; the
    estimator's ``missing_label`` (or its final step's) marks missing labels.
    Create them with :func:`get_scorer`.
    """

    def __init__(self, name, metric, response_method, sign, **kwargs):
        self.name, self._metric, self._response_method = name, metric, response_method
        self._sign, self._kwargs = sign, kwargs

    def __call__(self, estimator, X, y_true, sample_weight=None):
        final = final_step(estimator)
        kwargs = dict(self._kwargs)
        if self._metric in (accuracy_score, log_loss, roc_auc_score):
            kwargs["missing_label"] = getattr(final, "missing_label", None)
        prediction = getattr(estimator, self._response_method)(X)
        if self._response_method == "predict_proba":
            kwargs["classes"] = final.classes_
        return self._sign * self._metric(y_true, prediction, sample_weight=sample_weight,
                                         **kwargs)

    def __repr__(self):
        return f"fastmtl.metrics.get_scorer({self.name!r})"


SCORERS = {
    "pooled_r2": TaskScorer("pooled_r2", r2_score, "predict", 1.0),
    "mean_task_r2": TaskScorer("mean_task_r2", r2_score, "predict", 1.0,
                               multioutput="uniform_average"),
    "neg_pooled_mse": TaskScorer("neg_pooled_mse", mean_squared_error, "predict", -1.0),
    "neg_pooled_rmse": TaskScorer("neg_pooled_rmse", root_mean_squared_error, "predict",
                                  -1.0),
    "neg_pooled_mae": TaskScorer("neg_pooled_mae", mean_absolute_error, "predict", -1.0),
    "pooled_accuracy": TaskScorer("pooled_accuracy", accuracy_score, "predict", 1.0),
    "mean_task_accuracy": TaskScorer("mean_task_accuracy", accuracy_score, "predict", 1.0,
                                     multioutput="uniform_average"),
    "neg_pooled_log_loss": TaskScorer("neg_pooled_log_loss", log_loss, "predict_proba",
                                      -1.0),
    "mean_task_roc_auc": TaskScorer("mean_task_roc_auc", roc_auc_score, "predict_proba",
                                    1.0),
}


def get_scorer_names():
    """Names accepted by :func:`get_scorer`.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> from fastmtl.metrics import get_scorer_names
    >>> "neg_pooled_rmse" in get_scorer_names()
    True
    """
    return sorted(SCORERS)


def get_scorer(scoring):
    """A NaN-aware scorer by name, for ``scoring=`` of scikit-learn's model selection.

    Parameters
    ----------
    scoring : str
        One of :func:`get_scorer_names`: "pooled_r2", "mean_task_r2",
        "neg_pooled_mse", "neg_pooled_rmse", "neg_pooled_mae",
        "pooled_accuracy", "mean_task_accuracy", "neg_pooled_log_loss",
        "mean_task_roc_auc". Errors are negated so that greater is better.

    Returns
    -------
    scorer : callable ``scorer(estimator, X, y, sample_weight=None)``

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from fastmtl import SharedLatentRegressor
    >>> from fastmtl.datasets import make_multitask_regression
    >>> from fastmtl.metrics import get_scorer
    >>> from fastmtl.model_selection import TaskKFold
    >>> X, Y = make_multitask_regression(20, 4, 5, random_state=0)
    >>> search = GridSearchCV(SharedLatentRegressor(random_state=0),
    ...                       {"alpha": [1e-3, 1e-1]}, cv=TaskKFold(3),
    ...                       scoring={"rmse": get_scorer("neg_pooled_rmse"),
    ...                                "r2": get_scorer("pooled_r2")},
    ...                       refit="rmse").fit(X, Y)
    """
    if not isinstance(scoring, str) or scoring not in SCORERS:
        raise ValueError(f"scoring must be one of {get_scorer_names()}; got {scoring!r}. "
                         "(scikit-learn's own scorers return NaN on targets with "
                         "missing entries.)")
    return SCORERS[scoring]
