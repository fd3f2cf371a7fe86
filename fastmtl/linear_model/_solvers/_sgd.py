"""Minibatch SGD (Adam): the epoch loop around the kernels, and when to stop.

Estimators hand this module a ``_model.Problem`` and a ``_model.FactorState``;
it runs epochs of ``_sgd_cpu.run_epoch`` (or its GPU twin
``_sgd_cuda.run_epoch``) and decides when to stop. Nothing here depends on
which estimator family is being fitted.
"""
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..._config import SGD_BLOCK_ROWS, SGD_FLOPS_PER_CALL, SGD_PARALLEL_MIN_FLOPS
from ...exceptions import TrainingDivergedError
from .._losses import LOSSES
from .._objective import objective_and_gradient, penalty_value
from .._weighting import uncertainty_term, update_task_weights
from . import _sgd_cpu


def epoch(problem, state, task_factor, order, batch_size, learning_rate, work):
    """One epoch of minibatch Adam; returns each task's loss sum over it (None
    if it diverged). ``work`` is a ``_sgd_cpu.Workspace`` on the CPU, a
    ``_sgd_cuda.DeviceProblem`` on the GPU."""
    if problem.device == "cuda":
        from . import _sgd_cuda

        return _sgd_cuda.run_epoch(problem, work, state, task_factor, order, batch_size,
                                   learning_rate)
    task_loss = np.zeros(problem.layout.n_tasks)
    n = order.shape[0]
    step = rows_per_call(problem, state.U.shape[0], batch_size, n)
    parallel = use_threads(problem, state.U.shape[0], min(batch_size, n))
    data, outputs = problem.data, problem.outputs
    for start in range(0, n, step):
        with _sgd_cpu.single_thread(not parallel):
            status = _sgd_cpu.run_epoch(
                data, outputs, task_factor, problem.penalties, order[start:start + step],
                n, batch_size, SGD_BLOCK_ROWS, learning_rate, problem.fit_intercept,
                state.params, state.moments, work, task_loss)
        if status != _sgd_cpu.OK:
            return None
    return task_loss


def _flops_per_row(problem, n_factors):
    """Floating-point operations of one sample's gradient, roughly."""
    entries = problem.obs.task.shape[0] / max(1, problem.X.shape[0])
    return 4.0 * n_factors * (problem.X.shape[1] + entries + 1)


def use_threads(problem, n_factors, batch_rows):
    """Whether a minibatch carries enough work (``_config.SGD_PARALLEL_MIN_FLOPS``)
    for a parallel region to pay for itself; a parallel region costs
    microseconds on a quiet machine but milliseconds when another process
    holds a core, so small minibatches run on one thread."""
    return _flops_per_row(problem, n_factors) * batch_rows >= SGD_PARALLEL_MIN_FLOPS


def rows_per_call(problem, n_factors, batch_size, n_rows):
    """Rows of an epoch per call of the compiled epoch: whole minibatches worth
    about ``_config.SGD_FLOPS_PER_CALL`` (a tenth of a second or so), so that
    Python sees Ctrl-C (and other signals) between calls; a signal cannot stop
    compiled code. The result is the same as one call per epoch."""
    batches = max(1, int(SGD_FLOPS_PER_CALL
                          / (_flops_per_row(problem, n_factors) * batch_size)))
    return min(n_rows, batches * batch_size) if n_rows else 1


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


# A finite loss can still be a diverged fit (learning_rate 2 gave training
# R^2 = -9.5, 1e6 gave -1.8e24). Measured against the intercept-only model
# that every fit starts from (``baseline_loss``): an epoch whose mean loss on
# a task exceeds EXPLODED times it is diverging (an error), and a fit whose
# last epoch still exceeds FAILED times it (training R^2 below -3 for a
# squared loss) has failed (a ConvergenceWarning: scikit-learn's own checks
# fit unscaled data, X ~ N(100, 1), where such fits are expected to run). Both
# are far from what any fit that learns reaches (at most 1x).
EXPLODED = 1e4
FAILED = 4.0
# SGD that stops (no progress of the full objective) with a full gradient
# above this fraction of its initial norm stopped short of the optimum: a
# ConvergenceWarning says so.
STOPPED_SHORT = 1e-2


def baseline_losses(layout):
    """Each task's intercept-only mean loss (an upper bound), in the units of
    the epoch's task losses."""
    return np.array([  # a task without outputs (single class) has no scale
        LOSSES[kind].baseline_loss(n_out, layout.scale[start] ** 2 if n_out else 1.0)
        for kind, n_out, start in zip(layout.kind, layout.n_out, layout.out_start)])


def _norm(arrays):
    """Euclidean norm of the entries of ``arrays``, without overflowing where
    their squares would (entries beyond 1e154)."""
    top = max((float(np.max(np.abs(a), initial=0.0)) for a in arrays), default=0.0)
    if not 0.0 < top < np.inf:
        return top
    return top * np.sqrt(sum(float(np.sum((a / top) ** 2)) for a in arrays))


def _second_moment_overflowed(state):
    """Whether Adam's running squared gradient overflowed somewhere: the
    steps of those parameters are zero from then on (a step is the gradient
    over the root of that moment)."""
    moments = state.moments
    return not all(np.isfinite(v).all() for v in (moments.vU, moments.vV, moments.vb))


def _worst_against_baseline(task_loss, baseline):
    """(task, its loss over its intercept-only loss) of the worst task."""
    ratio = np.divide(task_loss, baseline, out=np.zeros_like(task_loss),
                      where=baseline > 0)
    worst = int(np.argmax(ratio))
    return worst, ratio[worst]


def _failure_message(estimator_name, what, task, ratio, learning_rate):
    return (f"{estimator_name} {what}: task {task}'s training loss was {ratio:.3g} "
            f"times that of predicting its mean. Lower learning_rate (now "
            f"{learning_rate}) or standardise X (e.g. with StandardScaler).")


@dataclass
class TrainingLog:
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    n_epochs: int = 0
    converged: bool = False
    task_loss: object = None  # each task's loss sum over the last (or best) epoch


def train(problem, state, weighting, *, rows, n_epochs, batch_size, learning_rate,
          rng, tol=None, n_iter_no_change=5, validation=None, verbose=0,
          estimator_name="estimator"):
    """Run up to ``n_epochs`` epochs over ``rows``; return (state, weights, log).

    ``weighting`` is ``(strategy, weights)``. ``validation`` is a callable
    giving the validation score of a state (early stopping on it, keeping the
    best state); without it the training objective drives the stopping test:
    on the CPU the full objective every ``n_iter_no_change`` epochs (stop when
    it improved by less than ``tol`` relatively twice in a row), on a GPU the
    epochs' minibatch losses.
    A non-finite loss, or an epoch loss far above the intercept-only model's,
    raises ``TrainingDivergedError`` naming ``learning_rate``; the state
    passed in is then left at its value before that epoch. A fit that ends
    well above the intercept-only model warns (``ConvergenceWarning``).
    """
    strategy, weights = weighting
    layout = problem.layout
    # Buffers for the largest minibatch there is, not for batch_size itself
    # (batch_size=10**11 on 40 rows is valid and means full batches).
    largest_batch = min(batch_size, max(len(rows), 1))
    if problem.device == "cuda":
        from . import _sgd_cuda

        work = _sgd_cuda.DeviceProblem(problem, largest_batch)
    else:
        work = _sgd_cpu.Workspace.allocate(largest_batch, SGD_BLOCK_ROWS, state.U.shape[0],
                                           state.U.shape[1], layout.n_outputs,
                                           layout.n_tasks)
    rule = StoppingRule(tol, n_iter_no_change, maximize=validation is not None)
    # On the CPU the stopping test reads the full objective, every
    # n_iter_no_change epochs (a pass over the data costs about an epoch): the
    # epoch's minibatch losses are noisy, and stopping on them left fits 5-26%
    # above the optimum without a warning. Two windows in a row without a
    # relative improvement of tol stop the fit.
    full_rule = None
    if validation is None and problem.device == "cpu" and tol is not None:
        full_rule = StoppingRule(tol, 2)
        parallel = use_threads(problem, state.U.shape[0], problem.X.shape[0])

        def full_objective():
            value, grad, _ = objective_and_gradient(problem, state, weights / layout.n_tasks,
                                                    parallel=parallel)
            return value + uncertainty_term(strategy, weights), _norm(grad)

        initial_gradient = full_objective()[1]
    log = TrainingLog()
    best_state = None
    baseline = baseline_losses(layout)
    final_loss = None
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
            state.restore(before)
            raise TrainingDivergedError(
                f"{estimator_name} diverged at epoch {log.n_epochs + 1}: the training "
                f"loss became {value}. Lower learning_rate (now {learning_rate}) or "
                "standardise X (e.g. with StandardScaler)."
            )
        task, ratio = _worst_against_baseline(task_loss, baseline)
        if ratio > EXPLODED:
            state.restore(before)
            raise TrainingDivergedError(_failure_message(
                estimator_name, f"diverged at epoch {log.n_epochs + 1}", task, ratio,
                learning_rate))
        if _second_moment_overflowed(state):
            state.restore(before)
            raise ValueError(
                f"{estimator_name}: Adam's squared gradients overflowed float64 in "
                f"epoch {log.n_epochs + 1} (gradients beyond about 1e154), which makes "
                "its steps zero: the targets or features are on too large a scale for "
                "SGD. Standardise X, rescale Y, or use solver='exact'."
            )
        log.n_epochs += 1
        log.loss_curve.append(value)
        weights = update_task_weights(strategy, weights, task_loss)
        if validation is not None:
            score = validation(state)
            log.validation_scores.append(score)
            if rule.improved(score):
                best_state, final_loss = state.copy(), task_loss
        else:
            rule.improved(value)
            final_loss = task_loss
        full = None
        if full_rule is not None and log.n_epochs % n_iter_no_change == 0:
            full, gradient = full_objective()
            full_rule.improved(full)
        if verbose:
            extra = f", validation score {score:.6g}" if validation is not None else ""
            extra += f", full objective {full:.10g}" if full is not None else ""
            print(f"-- Epoch {log.n_epochs}: loss {value:.6g}{extra}, "
                  f"{time.perf_counter() - tic:.3f} s")
        if (full_rule or rule).should_stop:
            log.converged = True
            if full_rule is not None and gradient > STOPPED_SHORT * initial_gradient:
                warnings.warn(
                    f"{estimator_name}: SGD stopped improving (tol={tol}) while the "
                    f"gradient of the objective is still {gradient / initial_gradient:.2g} "
                    "of its initial norm: the minibatch noise of Adam's steps holds it "
                    "above the optimum. Lower learning_rate, raise batch_size, or use "
                    "solver='exact' for data that fit in memory.", ConvergenceWarning)
            break
    log.task_loss = final_loss
    if final_loss is not None:
        task, ratio = _worst_against_baseline(final_loss, baseline)
        if ratio > FAILED:
            warnings.warn(_failure_message(estimator_name, "failed to fit", task, ratio,
                                           learning_rate), ConvergenceWarning)
    if best_state is not None:
        state = best_state
    if tol is not None and not log.converged and n_epochs > 1:
        warnings.warn(
            f"{estimator_name}: maximum number of epochs ({n_epochs}) reached before "
            "convergence. Consider increasing max_iter.",
            ConvergenceWarning,
        )
    return state, weights, log
