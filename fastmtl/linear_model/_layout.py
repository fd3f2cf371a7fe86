"""How the tasks map onto the model's outputs, and their targets encoded for the solvers.

A target matrix ``Y`` is ``(n_samples, n_tasks)`` (see ``fastmtl._targets``).
Each task gets a loss (``_losses``), a slice of the model's outputs (one for a
regression or binary task, one per class for a multiclass task, none for a
task that saw a single class) and, for regression, the mean and scale that
standardise its targets inside the solvers. The observed targets become a CSR
structure over samples (:class:`Observations`).
"""
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit
from sklearn.utils.multiclass import type_of_target

from .._config import JIT_OPTIONS
from ._losses import CONSTANT, LOGISTIC, LOSSES, SOFTMAX, SQUARED


class Outputs(NamedTuple):
    """The layout as the kernels read it.

    kind, start, count : (n_tasks,) loss code, first output, number of outputs.
    scale, scale2 : (n_outputs,) ``sigma_o`` and ``sigma_o**2``.
    """

    kind: np.ndarray
    start: np.ndarray
    count: np.ndarray
    scale: np.ndarray
    scale2: np.ndarray


@dataclass
class TaskLayout:
    """How the tasks map onto the model's outputs.

    kind : (n_tasks,) loss code per task (``_losses.SQUARED`` ...).
    out_start, n_out : (n_tasks,) first output and number of outputs per task.
    mean, scale : (n_outputs,) user value = mean + scale * internal value.
    classes : list of per-task class arrays (classifiers) or None.
    """

    kind: np.ndarray
    out_start: np.ndarray
    n_out: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    classes: list = None

    @property
    def n_tasks(self):
        return self.kind.shape[0]

    @property
    def n_outputs(self):
        return self.mean.shape[0]

    @property
    def output_task(self):
        """(n_outputs,) the task each output belongs to."""
        return np.repeat(np.arange(self.n_tasks), self.n_out)

    def outputs(self):
        """The :class:`Outputs` record of this layout."""
        return Outputs(kind=self.kind, start=self.out_start, count=self.n_out,
                       scale=self.scale, scale2=self.scale ** 2)

    def loss(self, t):
        """The loss module of task ``t``."""
        return LOSSES[int(self.kind[t])]


@dataclass
class Observations:
    """Observed targets as CSR over samples (see ``_model.Data``)."""

    ptr: np.ndarray
    task: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    task_weight_sum: np.ndarray  # W_t: sample_weight summed over task t's targets


@njit(**JIT_OPTIONS)
def _task_moments(values, sample_weight):
    """Per task: weight sum, weighted mean and variance of the non-NaN values."""
    n, T = values.shape
    total = np.zeros(T)
    mean = np.zeros(T)
    for i in range(n):
        w = sample_weight[i]
        if w > 0.0:
            for t in range(T):
                v = values[i, t]
                if not np.isnan(v):
                    total[t] += w
                    mean[t] += w * v
    for t in range(T):
        if total[t] > 0.0:
            mean[t] /= total[t]
    var = np.zeros(T)
    for i in range(n):
        w = sample_weight[i]
        if w > 0.0:
            for t in range(T):
                v = values[i, t]
                if not np.isnan(v):
                    var[t] += w * (v - mean[t]) ** 2
    for t in range(T):
        if total[t] > 0.0:
            var[t] /= total[t]
    return total, mean, var


@njit(**JIT_OPTIONS)
def _csr_observations(values, sample_weight, mean, scale, weight_sums):
    """CSR arrays of the non-NaN entries with positive sample weight (one pass)."""
    n, T = values.shape
    ptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        count = 0
        if sample_weight[i] > 0.0:
            for t in range(T):
                count += not np.isnan(values[i, t])
        ptr[i + 1] = ptr[i] + count
    nnz = ptr[n]
    task = np.empty(nnz, dtype=np.int64)
    target = np.empty(nnz)
    weight = np.empty(nnz)
    e = 0
    for i in range(n):
        w = sample_weight[i]
        if w > 0.0:
            for t in range(T):
                v = values[i, t]
                if not np.isnan(v):
                    task[e] = t
                    target[e] = (v - mean[t]) / scale[t]
                    weight[e] = w / weight_sums[t]
                    e += 1
    return ptr, task, target, weight


def check_some_target(sums, sample_weight):
    """Raise unless some task has an observed target (with positive weight)."""
    if not np.any(sums > 0):
        weighted = "" if np.all(sample_weight == 1.0) else " with a positive sample_weight"
        raise ValueError(f"Y has no observed target{weighted}: every entry is missing.")


def build_observations(values, sample_weight, mean=None, scale=None,
                       per_observation=False):
    """CSR of the non-NaN entries of ``values`` (n_samples, n_tasks), with
    ``target = (value - mean) / scale`` and ``weight = sample_weight / W_t``
    (each task's mean loss), or with ``per_observation``,
    ``weight = sample_weight / (W / T)`` (``W`` the weight of all entries:
    every observation alike, the objective's task mean then sums to the
    pooled mean loss).

    A task without an observed target has no entry (its ``W_t`` is set to 1,
    which nothing divides by).
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    n_tasks = values.shape[1]
    mean = np.zeros(n_tasks) if mean is None else mean
    scale = np.ones(n_tasks) if scale is None else scale
    weight_sums = _task_moments(values, sample_weight)[0]
    check_some_target(weight_sums, sample_weight)
    total = weight_sums.sum()
    weight_sums = np.where(weight_sums > 0, weight_sums, 1.0)
    divisor = np.full(n_tasks, total / n_tasks) if per_observation else weight_sums
    ptr, task, target, weight = _csr_observations(values, sample_weight, mean, scale,
                                                  divisor)
    return Observations(ptr=ptr, task=task, target=target, weight=weight,
                        task_weight_sum=weight_sums)


# --------------------------------------------------------------------------- #
# Regression                                                                  #
# --------------------------------------------------------------------------- #
def regression_layout(Y, sample_weight, fit_intercept, kind=SQUARED):
    """Layout of regression tasks; each task standardised by its weighted mean/std.

    A task without an observed target takes the pooled mean and standard
    deviation of all observed targets: with its head at zero it then predicts
    that pooled mean.
    """
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    # The moments of Y scaled by a power of two (exact) to a largest |entry|
    # in [0.5, 1): squares of targets near 1e200 would overflow.
    top = np.nanmax(np.abs(Y), initial=0.0)
    exponent = int(np.frexp(top)[1]) if np.isfinite(top) and top > 0 else 0
    total, mean, var = _task_moments(np.ldexp(Y, -exponent), sample_weight)
    check_some_target(total, sample_weight)
    if not fit_intercept:
        var = var + mean ** 2  # second moment about zero
        mean = np.zeros_like(mean)
    empty = total <= 0
    if np.any(empty):
        share = total / total.sum()
        pooled_mean = share @ mean
        pooled_var = share @ (var + (mean - pooled_mean) ** 2)
        mean[empty], var[empty] = pooled_mean, pooled_var
    scale = np.sqrt(var)
    # A constant task keeps unit scale: nothing to standardise. Constant is
    # relative to the task's mean (targets of any scale, 1e-20 or 1e200, are
    # standardised alike).
    constant = ~(scale > 1e-12 * np.abs(mean))
    mean, scale = np.ldexp(mean, exponent), np.ldexp(scale, exponent)
    scale[constant] = 1.0
    n_tasks = Y.shape[1]
    return TaskLayout(
        kind=np.full(n_tasks, kind, dtype=np.int64),
        out_start=np.arange(n_tasks, dtype=np.int64),
        n_out=np.ones(n_tasks, dtype=np.int64),
        mean=mean, scale=scale,
    )


def unobserved_regression_layout(n_tasks, kind):
    """Layout of regression tasks without any observed target (internal units
    are the user's)."""
    return TaskLayout(kind=np.full(n_tasks, kind, dtype=np.int64),
                      out_start=np.arange(n_tasks, dtype=np.int64),
                      n_out=np.ones(n_tasks, dtype=np.int64), mean=np.zeros(n_tasks),
                      scale=np.ones(n_tasks))


def no_observations(n_samples, n_tasks):
    """The :class:`Observations` of targets that are all missing."""
    return Observations(ptr=np.zeros(n_samples + 1, dtype=np.int64),
                        task=np.zeros(0, dtype=np.int64), target=np.zeros(0),
                        weight=np.zeros(0), task_weight_sum=np.ones(n_tasks))


def regression_observations(Y, sample_weight, layout, per_observation=False):
    return build_observations(Y, sample_weight, layout.mean, layout.scale,
                              per_observation)


# --------------------------------------------------------------------------- #
# Classification                                                              #
# --------------------------------------------------------------------------- #
def check_classification_task(labels, task):
    if labels.dtype == object:
        is_text = np.array([isinstance(v, str) for v in labels])
        if is_text.any() and not is_text.all():
            raise ValueError(
                f"Task {task} mixes text and numbers in its labels (e.g. "
                f"{labels[is_text][0]!r} and {labels[~is_text][0]!r}); give each task's "
                "labels one type."
            )
    kind = type_of_target(labels, input_name="Y")
    if kind not in ("binary", "multiclass"):
        raise ValueError(
            f"Unknown label type: task {task} has targets of type {kind!r}; "
            "each task of a classifier needs class labels."
        )


def classification_layout(Y, observed, classes=None, widen_single_class=False):
    """Layout of classification tasks; ``classes`` (per task) may be given.

    With ``widen_single_class``, a task that saw one class takes the classes
    that all tasks with several classes share, when they share them and they
    include its class: it is then fitted (its intercept shrunk towards the
    others') instead of predicting its one class with certainty.
    """
    n_tasks = Y.shape[1]
    if classes is None:
        classes = observed_classes(Y, observed)
        if widen_single_class:
            classes = _classes_of_single_class_tasks(classes)
        classes = _classes_of_unlabelled_tasks(classes)
    kind = np.empty(n_tasks, dtype=np.int64)
    n_out = np.empty(n_tasks, dtype=np.int64)
    for t, c in enumerate(classes):
        kind[t] = CONSTANT if len(c) == 1 else LOGISTIC if len(c) == 2 else SOFTMAX
        n_out[t] = LOSSES[kind[t]].n_outputs(len(c))
    out_start = np.zeros(n_tasks, dtype=np.int64)
    np.cumsum(n_out[:-1], out=out_start[1:])
    n_outputs = int(n_out.sum())
    return TaskLayout(kind=kind, out_start=out_start, n_out=n_out,
                      mean=np.zeros(n_outputs), scale=np.ones(n_outputs),
                      classes=classes)


def observed_classes(Y, observed):
    """Each task's observed classes (``None`` for a task without a label)."""
    classes = [None] * Y.shape[1]
    for t in range(Y.shape[1]):
        labels = Y[observed[:, t], t]
        if labels.size:
            check_classification_task(labels, t)
            classes[t] = np.unique(labels)
    return classes


def new_task_classes(fitted, classes, widen_single_class):
    """The classes of tasks added to a fitted model (``classes`` as
    ``observed_classes`` gives them), by the rules of ``classification_layout``
    applied with the fitted tasks' ``fitted`` classes: a task that saw one
    class (with ``widen_single_class``) or none takes the classes the fitted
    tasks share."""
    merged = list(fitted) + list(classes)
    if widen_single_class:
        merged = _classes_of_single_class_tasks(merged)
    return _classes_of_unlabelled_tasks(merged, "give those tasks labels")[len(fitted):]


def _classes_of_unlabelled_tasks(classes, remedy=None):
    """A task without a label takes the classes that all labelled tasks share."""
    seen = [c for c in classes if c is not None]
    if not seen:
        raise ValueError("Y has no observed label: every entry is missing.")
    if len(seen) == len(classes):
        return classes
    shared = seen[0]
    if not all(c.shape == shared.shape and np.all(c == shared) for c in seen):
        unlabelled = [t for t, c in enumerate(classes) if c is None]
        raise ValueError(
            f"Task(s) {unlabelled} have no observed label and the labelled tasks "
            "have different classes, so their classes are unknown; "
            + (remedy or "give every task's classes with partial_fit(..., classes=...)")
            + " or drop those tasks."
        )
    return [shared if c is None else c for c in classes]


def output_groups(layout):
    """The group of each output, which shares a component and a common
    intercept: every regression and binary output is group 0 (a binary
    output scores the task's second class), a multiclass output is grouped
    with the same class of other multiclass tasks (groups 1, 2, ...)."""
    group = np.zeros(layout.n_outputs, dtype=np.int64)
    if layout.classes is None:
        return group
    index = {}
    for t in np.flatnonzero(layout.kind == SOFTMAX):
        start = layout.out_start[t]
        for q, label in enumerate(layout.classes[t]):
            group[start + q] = index.setdefault(label, len(index) + 1)
    if index and not np.any(layout.kind == LOGISTIC):  # no group 0: renumber
        group -= 1
    return group


def _classes_of_single_class_tasks(classes):
    """A task that saw one class takes the classes that all tasks with several
    share, when they share them and they include its class (unlabelled tasks,
    None, are left to ``_classes_of_unlabelled_tasks``)."""
    several = [c for c in classes if c is not None and len(c) > 1]
    if not several:
        return classes
    shared = several[0]
    if not all(c.shape == shared.shape and np.all(c == shared) for c in several):
        return classes
    return [shared if c is not None and len(c) == 1 and np.isin(c, shared).all() else c
            for c in classes]


def group_count(group):
    """How many groups ``output_groups`` made (at least one)."""
    return int(group.max(initial=0)) + 1


def merge_layouts(first, second):
    """One layout of ``first``'s tasks followed by ``second``'s."""
    n_out = np.concatenate([first.n_out, second.n_out])
    out_start = np.zeros(n_out.shape[0], dtype=np.int64)
    np.cumsum(n_out[:-1], out=out_start[1:])
    classes = None if first.classes is None else list(first.classes) + list(second.classes)
    return TaskLayout(kind=np.concatenate([first.kind, second.kind]), out_start=out_start,
                      n_out=n_out, mean=np.concatenate([first.mean, second.mean]),
                      scale=np.concatenate([first.scale, second.scale]), classes=classes)


def observed_weight_per_task(obs, n_tasks):
    """``W / T``: the sample weight of all observed targets over the number of
    tasks (the unit of ``loss_weighting="observation"``, see
    ``build_observations``)."""
    seen = np.bincount(obs.task, minlength=n_tasks) > 0
    return float(obs.task_weight_sum[seen].sum()) / n_tasks


def tasks_without_targets(obs, n_tasks):
    """Indices of the tasks with no observed target in ``obs``."""
    return np.flatnonzero(np.bincount(obs.task, minlength=n_tasks) == 0)


def encode_labels(Y, observed, classes):
    """Class index of each observed label (NaN elsewhere); error on unknown labels."""
    codes = np.full(Y.shape, np.nan)
    for t, c in enumerate(classes):
        labels = Y[observed[:, t], t]
        idx = np.searchsorted(c, labels)
        idx = np.minimum(idx, len(c) - 1)
        unknown = c[idx] != labels
        if np.any(unknown):
            raise ValueError(
                f"Task {t} has label {labels[unknown][0]!r}, not among the classes "
                f"{list(c)} given on the first call of partial_fit."
            )
        codes[observed[:, t], t] = idx
    return codes
