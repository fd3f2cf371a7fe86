"""The epoch loop around the Numba kernels: state, stopping rules, reporting.

Estimators hand this module a problem (samples, observed targets, task
layout, penalties) and a ``FactorState``; it runs epochs of
``_sgd_cpu.run_epoch`` and decides when to stop. Nothing here depends on which
estimator family is being fitted.
"""
import time
import warnings
from dataclasses import dataclass, field, fields, replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._config import SGD_BLOCK_ROWS
from . import _sgd_cpu
from ._weighting import uncertainty_term, update_task_weights


class DivergenceError(FloatingPointError, ValueError):
    """The training loss became NaN or infinite."""


@dataclass
class Penalties:
    """Penalty weights of the objective (see ``_sgd_cpu``)."""

    alpha_u: float
    alpha_v: float
    l1_v: float
    graph: np.ndarray  # (n_tasks, n_tasks), zero diagonal
    graph_penalty: float


@dataclass
class FactorState:
    """Parameters in internal units and Adam's moments; what warm starts reuse."""

    U: np.ndarray  # (n_components, n_features)
    V: np.ndarray  # (n_outputs, n_components)
    b: np.ndarray  # (n_outputs,)
    mU: np.ndarray = field(default=None, repr=False)
    vU: np.ndarray = field(default=None, repr=False)
    mV: np.ndarray = field(default=None, repr=False)
    vV: np.ndarray = field(default=None, repr=False)
    mb: np.ndarray = field(default=None, repr=False)
    vb: np.ndarray = field(default=None, repr=False)
    step: np.ndarray = field(default=None, repr=False)

    def __post_init__(self):
        if self.step is None:
            self.reset_optimizer()

    @classmethod
    def initial(cls, n_components, n_features, n_outputs, rng, intercept=None):
        """Random projection ``U`` (rows of norm about 1), zero heads."""
        U = rng.standard_normal((n_components, n_features)) / np.sqrt(max(n_features, 1))
        b = np.zeros(n_outputs) if intercept is None else np.array(intercept, dtype=float)
        return cls(U=U, V=np.zeros((n_outputs, n_components)), b=b)

    def reset_optimizer(self):
        for name in ("U", "V", "b"):
            p = getattr(self, name)
            setattr(self, "m" + name, np.zeros_like(p))
            setattr(self, "v" + name, np.zeros_like(p))
        self.step = np.zeros(1, dtype=np.int64)

    def copy(self):
        return replace(self, **{f.name: getattr(self, f.name).copy() for f in fields(self)})

    def parameters_finite(self):
        return all(np.isfinite(p).all() for p in (self.U, self.V, self.b))


@dataclass
class Problem:
    """Everything an epoch needs besides the state."""

    X: np.ndarray
    obs: object  # _targets.Observations
    layout: object  # _targets.TaskLayout
    penalties: Penalties
    fit_intercept: bool
    device: str = "cpu"  # where epochs run: "cpu" or "cuda"

    @property
    def out_scale2(self):
        return self.layout.scale ** 2


class Workspace:
    """Per-block gradient buffers, allocated once per fit."""

    def __init__(self, batch_size, n_components, n_features, n_outputs, n_tasks):
        n_blocks = -(-batch_size // SGD_BLOCK_ROWS)
        self.gU = np.empty((n_blocks, n_components, n_features))
        self.gV = np.empty((n_blocks, n_outputs, n_components))
        self.gb = np.empty((n_blocks, n_outputs))
        self.loss = np.empty((n_blocks, n_tasks))


def epoch(problem, state, task_factor, order, batch_size, learning_rate, work):
    """One epoch of minibatch Adam; returns each task's loss sum over it (None
    if it diverged). ``work`` is a ``Workspace`` on the CPU, a
    ``_sgd_cuda.DeviceProblem`` on the GPU."""
    if problem.device == "cuda":
        from . import _sgd_cuda

        return _sgd_cuda.run_epoch(problem, work, state, task_factor, order, batch_size,
                                   learning_rate)
    layout, pen, obs = problem.layout, problem.penalties, problem.obs
    task_loss = np.zeros(layout.n_tasks)
    status = _sgd_cpu.run_epoch(
        problem.X, order, batch_size, SGD_BLOCK_ROWS, obs.ptr, obs.task, obs.target,
        obs.weight, layout.kind, layout.out_start, layout.n_out, layout.scale,
        problem.out_scale2, task_factor, pen.graph, pen.graph_penalty, pen.alpha_u,
        pen.alpha_v, pen.l1_v, learning_rate, problem.fit_intercept,
        state.U, state.V, state.b, state.mU, state.vU, state.mV, state.vV,
        state.mb, state.vb, state.step, work.gU, work.gV, work.gb, work.loss, task_loss,
    )
    if status != _sgd_cpu.OK:
        return None
    return task_loss


def penalty_value(problem, state):
    """Value of the penalties at ``state`` (the smooth ones and the L1)."""
    layout, pen = problem.layout, problem.penalties
    value = _sgd_cpu.add_penalty_gradients(
        state.U, state.V, layout.scale, problem.out_scale2, layout.out_start, pen.graph,
        pen.graph_penalty, pen.alpha_u, pen.alpha_v,
        np.zeros_like(state.U), np.zeros_like(state.V),
    )
    if pen.l1_v:
        value += pen.l1_v * float(np.sum(np.abs(state.V) * layout.scale[:, None]))
    return value


def objective_and_gradient(problem, state, task_weights, rows=None):
    """Exact objective and gradient (internal units) over ``X[rows]``.

    The gradient of the smooth part: the L1 penalty enters the value only.
    Used by the tests (against finite differences) and by relatedness measures.
    """
    layout, pen, obs = problem.layout, problem.penalties, problem.obs
    rows = np.arange(problem.X.shape[0]) if rows is None else np.asarray(rows, np.int64)
    work = Workspace(max(len(rows), 1), state.U.shape[0], state.U.shape[1],
                     layout.n_outputs, layout.n_tasks)
    gU, gV, gb = np.empty_like(state.U), np.empty_like(state.V), np.empty_like(state.b)
    task_loss = np.zeros(layout.n_tasks)
    task_factor = task_weights / layout.n_tasks
    n_blocks = _sgd_cpu.accumulate_blocks(
        problem.X, rows, SGD_BLOCK_ROWS, obs.ptr, obs.task, obs.target, obs.weight,
        layout.kind, layout.out_start, layout.n_out, problem.out_scale2, task_factor,
        state.U, state.V, state.b, work.gU, work.gV, work.gb, work.loss,
    )
    _sgd_cpu.reduce_blocks(n_blocks, work.gU, work.gV, work.gb, work.loss, 1.0,
                           gU, gV, gb, task_loss)
    smooth = _sgd_cpu.add_penalty_gradients(
        state.U, state.V, layout.scale, problem.out_scale2, layout.out_start, pen.graph,
        pen.graph_penalty, pen.alpha_u, pen.alpha_v, gU, gV,
    )
    value = float(task_factor @ task_loss) + smooth
    if pen.l1_v:
        value += pen.l1_v * float(np.sum(np.abs(state.V) * layout.scale[:, None]))
    if not problem.fit_intercept:
        gb[:] = 0.0
    return value, (gU, gV, gb), task_loss


def task_gradients(problem, state):
    """Gradient of each task's mean data loss with respect to ``U``.

    Exact, at ``state``, in the user's units: shape ``(n_tasks, k, n_features)``.
    A Numba pass gives each output's loss derivatives per sample; one GEMM
    turns them into gradients for all tasks at once.
    """
    layout, obs, X = problem.layout, problem.obs, problem.X
    D = np.empty((X.shape[0], layout.n_outputs))
    _sgd_cpu.score_derivatives(
        X, obs.ptr, obs.task, obs.target, obs.weight, layout.kind, layout.out_start,
        layout.n_out, problem.out_scale2, state.U, state.V, state.b, D,
    )
    per_output = D.T @ X  # (n_outputs, n_features)
    grads = np.zeros((layout.n_tasks,) + state.U.shape)
    for t in range(layout.n_tasks):
        start, stop = layout.out_start[t], layout.out_start[t] + layout.n_out[t]
        grads[t] = state.V[start:stop].T @ per_output[start:stop]
    return grads


@dataclass
class StoppingRule:
    """scikit-learn's SGD stopping test: ``n_iter_no_change`` epochs without an
    improvement of more than ``tol`` (relative to the best value so far)."""

    tol: float
    n_iter_no_change: int
    maximize: bool = False
    best: float = np.inf
    stale: int = 0

    def __post_init__(self):
        self.best = -np.inf if self.maximize else np.inf

    def improved(self, value):
        """Record ``value``; return True if it is the best so far."""
        sign = -1.0 if self.maximize else 1.0
        better = sign * value < sign * self.best
        if self.tol is not None:
            margin = self.tol * max(abs(self.best), 1e-12) if np.isfinite(self.best) else 0
            if sign * value > sign * self.best - margin:
                self.stale += 1
            else:
                self.stale = 0
        if better:
            self.best = value
        return better

    @property
    def should_stop(self):
        return self.tol is not None and self.stale >= self.n_iter_no_change


@dataclass
class TrainingLog:
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    n_epochs: int = 0
    converged: bool = False


def train(problem, state, weighting, *, rows, n_epochs, batch_size, learning_rate,
          rng, tol=None, n_iter_no_change=5, validation=None, verbose=0,
          estimator_name="estimator"):
    """Run up to ``n_epochs`` epochs over ``rows``; return (state, weights, log).

    ``weighting`` is ``(strategy, weights)``. ``validation`` is a callable
    giving the validation score of a state (early stopping on it, keeping the
    best state); without it the training objective drives the stopping test.
    A non-finite loss raises ``DivergenceError`` naming ``learning_rate``; the
    state passed in is then left at its last finite value.
    """
    strategy, weights = weighting
    layout = problem.layout
    if problem.device == "cuda":
        from . import _sgd_cuda

        work = _sgd_cuda.DeviceProblem(problem, batch_size)
    else:
        work = Workspace(batch_size, state.U.shape[0], state.U.shape[1],
                         layout.n_outputs, layout.n_tasks)
    rule = StoppingRule(tol, n_iter_no_change, maximize=validation is not None)
    log = TrainingLog()
    best_state = None
    rows = np.asarray(rows, dtype=np.int64)
    for _ in range(n_epochs):
        tic = time.perf_counter()
        before = state.copy()
        order = rows[rng.permutation(rows.shape[0])]
        task_loss = epoch(problem, state, weights / layout.n_tasks, order, batch_size,
                          learning_rate, work)
        value = np.nan
        if task_loss is not None:
            value = (float(weights @ task_loss) / layout.n_tasks
                     + penalty_value(problem, state) + uncertainty_term(strategy, weights))
        if not (np.isfinite(value) and state.parameters_finite()):
            for f in fields(state):
                setattr(state, f.name, getattr(before, f.name))
            raise DivergenceError(
                f"{estimator_name} diverged at epoch {log.n_epochs + 1}: the training "
                f"loss became {value}. Lower learning_rate (now {learning_rate}) or "
                "standardise X (e.g. with StandardScaler)."
            )
        log.n_epochs += 1
        log.loss_curve.append(value)
        weights = update_task_weights(strategy, weights, task_loss)
        if validation is not None:
            score = validation(state)
            log.validation_scores.append(score)
            if rule.improved(score):
                best_state = state.copy()
        else:
            rule.improved(value)
        if verbose:
            extra = f", validation score {score:.6g}" if validation is not None else ""
            print(f"-- Epoch {log.n_epochs}: loss {value:.6g}{extra}, "
                  f"{time.perf_counter() - tic:.3f} s")
        if rule.should_stop:
            log.converged = True
            break
    if best_state is not None:
        state = best_state
    if tol is not None and not log.converged and n_epochs > 1:
        warnings.warn(
            f"{estimator_name}: maximum number of epochs ({n_epochs}) reached before "
            "convergence. Consider increasing max_iter.",
            ConvergenceWarning,
        )
    return state, weights, log
