"""Task weighting: how much each task's mean loss counts in the objective.

Strategies (``task_weights=``):

``"uniform"``
    Every task weighs 1.
array of ``n_tasks`` non-negative numbers
    Fixed weights, relative to each other: rescaled to mean one (the mean of
    every strategy's weights), so that the penalties keep their meaning
    whatever the weights' units, and weights near 1e300 cannot overflow.
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
import numpy as np

STRATEGIES = ("uniform", "dynamic", "uncertainty")

# Guards the uncertainty weights of a task fitted exactly (zero loss).
_MIN_LOSS_FRACTION = 1e-12


def initial_task_weights(task_weights, n_tasks):
    """(strategy name or "fixed", initial weights) of ``task_weights``, a strategy
    name or an array of fixed weights (whose values are checked here: the
    estimators' parameter declarations check the type)."""
    if isinstance(task_weights, str):
        return task_weights, np.ones(n_tasks)
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
    weights = weights / weights.max()  # first, so that the mean cannot overflow
    return "fixed", weights / weights.mean()


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
