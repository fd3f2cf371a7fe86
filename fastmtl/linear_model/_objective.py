"""The training objective over a whole data set: value, gradient, per-task gradients.

Full-batch, exact, in the same units and with the same pieces (``_losses``,
``_penalties``) as the solvers: the tests check the solvers against it, and
the relatedness measures read task gradients from it.
"""
import numpy as np

from .._config import SGD_BLOCK_ROWS
from ._model import Params
from ._penalties import add_prediction_divergence, add_smooth_penalties, freeze, l1_value
from ._solvers import _sgd_cpu


def penalty_value(problem, state):
    """Value of every penalty at ``state`` (the smooth ones and the lasso)."""
    layout, pen = problem.layout, problem.penalties
    value = add_smooth_penalties(state.U, state.V, state.b, problem.outputs, pen,
                                 np.zeros_like(state.U), np.zeros_like(state.V),
                                 np.zeros_like(state.b))
    return value + l1_value(state.V, pen.l1_heads, layout.scale, pen.n_latent)


def objective_and_gradient(problem, state, task_factor, rows=None, parallel=True):
    """Exact objective and gradient (internal units) over ``X[rows]``.

    ``task_factor[t]`` is task ``t``'s weight in the objective. The gradient is
    that of the smooth part (zero on the fixed entries): the lasso enters the
    value only. ``parallel``: whether the pass runs on Numba's threads. Returns
    ``(value, Params of gradients, each task's loss sum)``.
    """
    layout = problem.layout
    # The prediction penalty reads the same rows (without a copy of X for all).
    X_rows = problem.X if rows is None else problem.X[rows]
    rows = np.arange(problem.X.shape[0]) if rows is None else np.asarray(rows, np.int64)
    work = _sgd_cpu.Workspace.allocate(max(len(rows), 1), SGD_BLOCK_ROWS, state.U.shape[0],
                                       state.U.shape[1], layout.n_outputs, layout.n_tasks)
    grad = Params(np.empty_like(state.U), np.empty_like(state.V), np.empty_like(state.b))
    task_loss = np.zeros(layout.n_tasks)
    with _sgd_cpu.single_thread(not parallel):
        n_blocks = _sgd_cpu.accumulate_blocks(problem.data, problem.outputs, task_factor,
                                              rows, SGD_BLOCK_ROWS, state.params, work)
    _sgd_cpu.reduce_blocks(n_blocks, work, 1.0, grad, task_loss)
    pen = problem.penalties
    smooth = add_smooth_penalties(state.U, state.V, state.b, problem.outputs, pen, grad.U,
                                  grad.V, grad.b)
    value = float(task_factor @ task_loss) + smooth
    value += l1_value(state.V, pen.l1_heads, layout.scale, pen.n_latent)
    if pen.prediction_kl != 0.0:
        value += add_prediction_divergence(X_rows, state.U, state.V, state.b, layout,
                                           pen.graph, pen.prediction_kl, grad.U, grad.V,
                                           grad.b)
        freeze(grad.U, grad.V, pen.n_latent, pen.latent_frozen)
    if not problem.fit_intercept:
        grad.b[:] = 0.0
    return value, grad, task_loss


def task_gradients(problem, state):
    """Gradient of each task's data loss with respect to ``U``.

    Exact, at ``state``, in the user's units: shape ``(n_tasks, k, n_features)``.
    A Numba pass gives each output's loss derivatives per sample; one GEMM
    turns them into gradients for all tasks at once.
    """
    layout, X = problem.layout, problem.X
    D = np.empty((X.shape[0], layout.n_outputs))
    _sgd_cpu.score_derivatives(problem.data, problem.outputs, state.params, D)
    per_output = D.T @ X  # (n_outputs, n_features)
    grads = np.zeros((layout.n_tasks,) + state.U.shape)
    for t in range(layout.n_tasks):
        start, stop = layout.out_start[t], layout.out_start[t] + layout.n_out[t]
        grads[t] = state.V[start:stop].T @ per_output[start:stop]
    return grads
