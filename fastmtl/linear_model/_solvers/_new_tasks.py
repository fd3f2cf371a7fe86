"""Tasks added to a fitted model: their own parts on the frozen shared part.

Given a fitted model's shared factor ``U`` (its latent rows and the shared
rows ``w_0g``) and shared intercepts ``b_0g``, a new task ``t`` gets only its
head ``v_t`` (user units, ``sigma V``) and intercept offset ``c_t = B_t -
b_0g``, minimising its part of the fitted objective::

    sum_e a_e loss(y_e, w_0g x_e + b_0g + v_t^T (U_lat x_e) + c_t)
        + alpha / 2 ||v_t||^2   (or sparsity |v_t|_1)   + intercept_alpha / 2 c_t^2

The problem handed in holds the new tasks only; its penalties carry the
frozen centre (``PenaltyWeights.intercept_center``), and its state the
fitted ``U`` with the new heads' fixed shared columns. Given the shared part
the tasks are independent:

* squared loss, ridge heads: the normal equations of each task in its
  ``k + 1`` latent features, batched over tasks (one pass over the rows and
  ``T`` small solves);
* squared or logistic loss with the codebook's lasso, or logistic tasks:
  proximal Newton per task, each Newton model minimised exactly by
  coordinate descent (the lasso's own method), with a backtracking line
  search for the logistic loss: a handful of Newton steps reach the optimum
  to machine precision, where L-BFGS-B on the split lasso parts stalled on
  badly scaled features (a codebook atom the lasso left unused);
* the others (softmax, Huber): L-BFGS-B on the model's own objective with
  ``U`` fixed (``_exact.lbfgs``), preconditioned by each head entry's
  curvature.
"""
import numpy as np
from numba import njit, prange

from ..._config import JIT_OPTIONS
from .._losses import LOGISTIC, SQUARED, logistic, squared
from .._objective import objective_and_gradient
from ._exact import (ExactLog, _entry_rows, _inverse_stacked, entry_decisions, lbfgs,
                     task_moments)

_squared = njit(inline="always", **JIT_OPTIONS)(squared.value_and_derivative)
_squared_curvature = njit(inline="always", **JIT_OPTIONS)(squared.curvature)
_logistic = njit(inline="always", **JIT_OPTIONS)(logistic.value_and_derivative)
_logistic_curvature = njit(inline="always", **JIT_OPTIONS)(logistic.curvature)

_NEWTON_ITERATIONS = 100
_SWEEPS = 10000  # coordinate-descent sweeps per Newton model (a few dozen in practice)
_STEP_TOL = 1e-13  # a coordinate moving less than this (relative) has converged


def closed_form_applies(problem):
    """Whether every new task is a ridge regression in its latent features."""
    return (problem.penalties.l1_heads == 0.0
            and bool(np.all(problem.layout.kind == SQUARED)))


def _shared_offsets(problem, state, X):
    """Each observed entry's score from the frozen shared part (user units):
    its group's shared weights ``w_0g x`` and centre ``b_0g``."""
    pen, layout = problem.penalties, problem.layout
    has = layout.n_out > 0  # a task without outputs (one class) scores nothing
    group = np.zeros(layout.n_tasks, dtype=np.int64)
    group[has] = pen.intercept_group[layout.out_start[has]]
    shared = state.U[pen.n_latent:]  # one row per group, or none
    coef = shared[group] if shared.shape[0] else np.zeros((layout.n_tasks, X.shape[1]))
    center = pen.intercept_center[group] if problem.fit_intercept else np.zeros(group.size)
    return entry_decisions(X, problem.obs, coef, center)


def closed_form(problem, state, task_factor):
    """Each task's ridge solution given the shared part; updates ``state``'s
    heads and intercepts (one output per task)."""
    pen, layout, obs = problem.penalties, problem.layout, problem.obs
    k = pen.n_latent
    X = np.ascontiguousarray(problem.X, dtype=np.float64)
    Z = np.ascontiguousarray(X @ state.U[:k].T)  # the latent features
    y = layout.mean[obs.task] + layout.scale[obs.task] * obs.target
    residual = y - _shared_offsets(problem, state, X)
    n_tasks = layout.n_tasks
    G, r = task_moments(Z, obs.ptr, obs.task, residual, obs.weight,
                        np.asarray(task_factor, dtype=np.float64), np.zeros(n_tasks),
                        np.ones(n_tasks), n_tasks)
    p = k + 1 if problem.fit_intercept else k  # (z, 1): the intercept last
    ridge = np.diag([pen.l2_heads] * k + [pen.l2_intercepts] * (p - k))
    # A task without data and an unpenalised intercept: the pseudo-inverse
    # leaves its offset at zero (the shared part's prediction).
    u = np.einsum("tpq,tq->tp", _inverse_stacked(G[:, :p, :p] + ridge), r[:, :p])
    state.V[:, :k] = u[:, :k] / layout.scale[:, None]
    if problem.fit_intercept:
        center = pen.intercept_center[pen.intercept_group]
        state.b[:] = (center + u[:, k] - layout.mean) / layout.scale


@njit(inline="always", **JIT_OPTIONS)
def _loss(kind, s, target):
    """(loss, derivative, curvature) of one target in user units."""
    if kind == SQUARED:
        value, derivative = _squared(s, target, 1.0)
        return value, derivative, _squared_curvature(s, target, 1.0)
    value, derivative = _logistic(s, target, 1.0)
    return value, derivative, _logistic_curvature(s, target, 1.0)


@njit(inline="always", **JIT_OPTIONS)
def _score(Z, offset, e, theta, k):
    """Entry ``e``'s score at ``theta = (v, c)`` (``c`` absent without intercepts)."""
    s = offset[e] + (theta[k] if theta.shape[0] > k else 0.0)
    for j in range(k):
        s += Z[e, j] * theta[j]
    return s


@njit(inline="always", **JIT_OPTIONS)
def _part_objective(kind, Z, offset, target, a, theta, k, l1, ridge):
    """The task part's objective at ``theta = (v, c)`` (see the module docstring)."""
    value = 0.0
    for e in range(Z.shape[0]):
        value += a[e] * _loss(kind, _score(Z, offset, e, theta, k), target[e])[0]
    for j in range(theta.shape[0]):
        value += 0.5 * ridge[j] * theta[j] * theta[j]
    for j in range(k):
        value += l1 * abs(theta[j])
    return value


@njit(parallel=True, **JIT_OPTIONS)
def proximal_newton(Z, offset, target, a, ptr, kind, l1, ridge, theta, n_iter):
    """Each task's part (entries ``ptr[t]:ptr[t + 1]``, grouped by task) by
    proximal Newton; ``theta`` (n_tasks, k [+ 1]) holds the start and the
    solution, ``ridge`` the penalty of each coordinate, ``l1`` the lasso on
    the first ``k``."""
    k = Z.shape[1]
    p = theta.shape[1]
    for t in prange(ptr.shape[0] - 1):
        lo, hi = ptr[t], ptr[t + 1]
        m = hi - lo
        n_iter[t] = 0
        if m == 0:
            continue
        Zt, off, y, at = Z[lo:hi], offset[lo:hi], target[lo:hi], a[lo:hi]
        g, w, df = np.empty(m), np.empty(m), np.empty(m)
        delta, trial = np.empty(p), np.empty(p)
        value = _part_objective(kind[t], Zt, off, y, at, theta[t], k, l1, ridge)
        for iteration in range(_NEWTON_ITERATIONS):
            n_iter[t] = iteration + 1
            for e in range(m):
                _, g[e], w[e] = _loss(kind[t], _score(Zt, off, e, theta[t], k), y[e])
            delta[:] = 0.0
            df[:] = 0.0
            # The Newton model sum a (g df + w df^2 / 2) + penalties, by
            # coordinate descent (df: the change of each score).
            for _ in range(_SWEEPS):
                moved = False
                for j in range(p):
                    H = ridge[j]
                    G = ridge[j] * (theta[t, j] + delta[j])
                    for e in range(m):
                        z = Zt[e, j] if j < k else 1.0
                        H += at[e] * w[e] * z * z
                        G += at[e] * (g[e] + w[e] * df[e]) * z
                    if not H > 0.0:
                        continue
                    current = theta[t, j] + delta[j]
                    new = current - G / H
                    if j < k and l1 > 0.0:
                        cut = l1 / H
                        new = new - cut if new > cut else new + cut if new < -cut else 0.0
                    step = new - current
                    if step != 0.0:
                        delta[j] += step
                        for e in range(m):
                            df[e] += step * (Zt[e, j] if j < k else 1.0)
                        if abs(step) > _STEP_TOL * (1.0 + abs(new)):
                            moved = True
                if not moved:
                    break
            # Backtracking (the squared loss's model is exact: step 1).
            step = 1.0
            for _ in range(60):
                for j in range(p):
                    trial[j] = theta[t, j] + step * delta[j]
                trial_value = _part_objective(kind[t], Zt, off, y, at, trial, k, l1, ridge)
                if trial_value <= value or kind[t] == SQUARED:
                    break
                step *= 0.5
            largest = 0.0
            size = 1.0
            for j in range(p):
                largest = max(largest, abs(trial[j] - theta[t, j]))
                size = max(size, abs(trial[j]))
            if trial_value <= value or kind[t] == SQUARED:
                theta[t, :] = trial
                value = trial_value
            if largest <= 1e-12 * size:
                break


def proximal_newton_applies(problem):
    """Whether every task with outputs has the squared or the logistic loss
    (one output each)."""
    layout = problem.layout
    kinds = layout.kind[layout.n_out > 0]
    return bool(np.all((kinds == SQUARED) | (kinds == LOGISTIC)))


def newton(problem, state, task_factor):
    """Each task's part by ``proximal_newton``; updates ``state``'s heads and
    intercepts. Returns the most Newton iterations a task took."""
    pen, layout, obs = problem.penalties, problem.layout, problem.obs
    k = pen.n_latent
    # Entries grouped by task; a task without outputs (one class) has none to fit.
    fitted = np.flatnonzero(layout.n_out[obs.task] > 0)
    order = fitted[np.argsort(obs.task[fitted], kind="stable")]
    task = obs.task[order]
    X = np.asarray(problem.X, dtype=np.float64)
    Z = np.ascontiguousarray(X[_entry_rows(obs)[order]] @ state.U[:k].T)
    offset = _shared_offsets(problem, state, X)[order]
    out = layout.out_start[task]
    # Squared targets in user units; labels as class indices.
    target = np.where(layout.kind[task] == SQUARED, layout.mean[out], 0.0) \
        + np.where(layout.kind[task] == SQUARED, layout.scale[out], 1.0) * obs.target[order]
    a = obs.weight[order] * np.asarray(task_factor, dtype=np.float64)[task]
    ptr = np.searchsorted(task, np.arange(layout.n_tasks + 1))
    p = k + 1 if problem.fit_intercept else k
    ridge = np.array([pen.l2_heads] * k + [pen.l2_intercepts] * (p - k))
    theta = np.zeros((layout.n_tasks, p))
    n_iter = np.zeros(layout.n_tasks, dtype=np.int64)
    proximal_newton(Z, offset, target, a, ptr, layout.kind, float(pen.l1_heads), ridge,
                    theta, n_iter)
    has = layout.n_out > 0
    outputs = layout.out_start[has]
    state.V[outputs, :k] = theta[has, :k] / layout.scale[outputs, None]
    if problem.fit_intercept:
        center = pen.intercept_center[pen.intercept_group[outputs]]
        state.b[outputs] = (center + theta[has, k] - layout.mean[outputs]) \
            / layout.scale[outputs]
    return int(n_iter.max(initial=0))


def _head_curvature(problem, state, task_factor):
    """The square root of each head entry's squared-loss curvature, ``sigma_o
    sqrt(sum_e a_e (U_c x_e)^2 + l2_heads)`` (a floor keeps it positive): the
    diagonal preconditioner of ``_exact.lbfgs``. The features of a fitted
    codebook can differ in scale by orders of magnitude (an atom the lasso
    left unused shrinks towards zero), which stalls L-BFGS-B unscaled."""
    pen, layout, obs = problem.penalties, problem.layout, problem.obs
    k = pen.n_latent
    Z = np.asarray(problem.X, dtype=np.float64)[_entry_rows(obs)] @ state.U[:k].T
    a = obs.weight * np.asarray(task_factor)[obs.task]
    per_task = np.zeros((layout.n_tasks, k))
    np.add.at(per_task, obs.task, a[:, None] * Z * Z)
    curvature = per_task[layout.output_task] + pen.l2_heads
    floor = 1e-12 * max(float(curvature.max(initial=0.0)), 1e-300)
    return layout.scale[:, None] * np.sqrt(np.maximum(curvature, floor))


def solve(problem, state, task_factor, *, max_iter, tol, parallel=False):
    """The new tasks' optimum given the shared part (``state.U`` is not
    changed); returns an :class:`~._exact.ExactLog` with the objective of the
    new tasks' part."""
    if problem.obs.task.shape[0] == 0:  # no data: every task is the shared part
        n_iter, converged, message = 0, True, "no observed target"
    elif closed_form_applies(problem):
        closed_form(problem, state, task_factor)
        n_iter, converged, message = 1, True, "closed form"
    elif proximal_newton_applies(problem):
        n_iter = newton(problem, state, task_factor)
        converged = n_iter < _NEWTON_ITERATIONS
        message = "proximal Newton"
    else:
        n_iter, converged, message = lbfgs(problem, state, task_factor, max_iter=max_iter,
                                           tol=tol, parallel=parallel, train_factor=False,
                                           head_scale=_head_curvature(problem, state,
                                                                      task_factor))
    value, _, task_loss = objective_and_gradient(problem, state, task_factor,
                                                 parallel=parallel)
    return ExactLog([float(value)], n_iter, converged, message, task_loss)
