"""Task weighting: how much each task's mean loss counts in the objective.

Strategies (``task_weights=``):

``"uniform"``
    Every task weighs 1.
array of ``n_tasks`` non-negative numbers
    Fixed weights, used as given.
``"dynamic"``
    After each epoch, ``lambda_t <- lambda_t + eta * L_t`` with ``L_t`` the
    task's mean loss over the epoch and ``eta = 1 / mean(L)`` (so the update
    does not depend on the loss units), then renormalised to sum to
    ``n_tasks``: tasks that stay hard gain weight.
``"uncertainty"``
    Homoscedastic-uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018):
    the objective gets ``exp(-s_t) L_t + s_t / 2`` per task with a learned log
    variance ``s_t``. Its minimiser in ``s_t`` has the closed form
    ``exp(s_t) = 2 L_t``, which is applied after each epoch (exact block
    coordinate descent on ``s``). For a squared loss ``2 L_t`` is the task's
    mean squared error, so ``lambda_t = exp(-s_t)`` estimates the inverse of
    its noise variance.
"""
import numbers

import numpy as np

STRATEGIES = ("uniform", "dynamic", "uncertainty")

# Guards the uncertainty weights of a task fitted exactly (zero loss).
_MIN_LOSS_FRACTION = 1e-12


def initial_task_weights(task_weights, n_tasks):
    """Validate ``task_weights``; return (strategy name or "fixed", weights)."""
    if isinstance(task_weights, str):
        if task_weights not in STRATEGIES:
            raise ValueError(
                f"task_weights must be one of {STRATEGIES} or an array of "
                f"{n_tasks} non-negative weights; got {task_weights!r}."
            )
        return task_weights, np.ones(n_tasks)
    if isinstance(task_weights, numbers.Number):
        raise TypeError(
            f"task_weights must be a strategy name or an array of {n_tasks} weights; "
            f"got the number {task_weights!r}."
        )
    weights = np.asarray(task_weights, dtype=np.float64)
    if weights.shape != (n_tasks,):
        raise ValueError(
            f"task_weights has shape {weights.shape}; expected ({n_tasks},), one "
            "weight per task."
        )
    bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
    if bad.size:
        raise ValueError(
            f"task_weights must be finite and non-negative; task {bad[0]} has "
            f"weight {weights[bad[0]]!r}."
        )
    if not weights.any():
        raise ValueError("task_weights are all zero: no task would be fitted.")
    return "fixed", weights.copy()


def update_task_weights(strategy, weights, task_losses):
    """Weights for the next epoch, given each task's mean loss in this one."""
    if strategy in ("uniform", "fixed"):
        return weights
    losses = np.asarray(task_losses, dtype=np.float64)
    scale = losses.mean()
    if not scale > 0:
        return weights
    if strategy == "dynamic":
        updated = weights + losses / scale
        return updated * (len(weights) / updated.sum())
    # "uncertainty": exp(-s_t) with exp(s_t) = 2 L_t.
    return 1.0 / (2.0 * np.maximum(losses, _MIN_LOSS_FRACTION * scale))


def uncertainty_term(strategy, weights):
    """The ``sum_t s_t / 2`` part of the uncertainty objective (0 otherwise)."""
    if strategy != "uncertainty":
        return 0.0
    return float(np.sum(-np.log(weights)) / 2.0)
