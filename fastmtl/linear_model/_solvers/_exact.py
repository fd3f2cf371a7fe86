"""The exact solver: deterministic, full-batch, for data that fit in memory.

It minimises the same objective as minibatch SGD (``_objective``), to the
optimum, in two ways:

* **closed form** for the squared loss when every task part is either free
  (the full-rank, mean-regularised model: ``U``'s latent rows are the fixed
  identity) or absent, with no task graph: the objective is then a ridge
  problem in the shared part ``z = (w_0, b_0)`` and the task parts
  ``u_t = (v_t, c_t)``. Each task's part is solved out
  (``u_t = (A_t + D_u)^{-1} (r_t - A_tz z)``), which leaves one small system
  for ``z`` (its Schur complement): ``O(n d^2 + T d^3)`` and a few
  milliseconds for thousands of tasks;
* **L-BFGS** (SciPy's L-BFGS-B) on the full-batch objective and gradient of
  the Numba kernels for every other case (logistic and softmax losses, the
  low-rank model, the task graph). The codebook's lasso is handled exactly
  by splitting each penalised coordinate into its positive and negative
  parts, ``v = p - n`` with ``p, n >= 0``, which makes the objective smooth
  with bounds (L-BFGS-B's own territory).

The low-rank model is not convex in ``(U, V)``: L-BFGS reaches a stationary
point from the state it is given (the estimator's random start, or the
previous solution on a warm start).
"""
from dataclasses import dataclass

import numpy as np
from numba import njit, prange
from scipy.optimize import minimize

from scipy.special import expit

from ..._config import JIT_OPTIONS

from .._losses import LOGISTIC, SQUARED
from .._scale import parameter_units
from .._objective import objective_and_gradient


@dataclass
class ExactLog:
    """What a fit reports: the objective (``loss_curve``) and iterations."""

    loss_curve: list
    n_iter: int
    converged: bool
    message: str = ""
    task_loss: object = None  # each task's loss sum at the solution (record=True)


def _ridge_structure(problem):
    """Whether the task parts are free or absent, without a lasso or a task
    graph: the structure ``RidgeBlocks`` eliminates task by task."""
    pen = problem.penalties
    return (problem.layout.n_outputs > 0 and (pen.latent_frozen or pen.n_latent == 0)
            and pen.l1_heads == 0.0 and pen.prediction_kl == 0.0
            and not (pen.graph_weight != 0.0 and np.any(pen.graph)))


def closed_form_applies(problem):
    """Whether ``problem`` is a ridge problem that ``closed_form`` solves."""
    return _ridge_structure(problem) and bool(np.all(problem.layout.kind == SQUARED))


@njit(**JIT_OPTIONS)
def task_moments(X, ptr, task, target, weight, task_factor, mean, scale, n_tasks):
    """Per task, over its observed targets (``a = weight * task_factor``, the
    target ``y`` in user units, ``x~ = (x, 1)``): ``G_t = sum a x~ x~^T``,
    ``r_t = sum a y x~``; one pass over the samples."""
    d = X.shape[1]
    G = np.zeros((n_tasks, d + 1, d + 1))
    r = np.zeros((n_tasks, d + 1))
    xt = np.empty(d + 1)
    xt[d] = 1.0
    for i in range(X.shape[0]):
        if ptr[i] == ptr[i + 1]:
            continue
        for j in range(d):
            xt[j] = X[i, j]
        for e in range(ptr[i], ptr[i + 1]):
            t = task[e]
            a = weight[e] * task_factor[t]
            y = mean[t] + scale[t] * target[e]
            for p in range(d + 1):
                ap = a * xt[p]
                r[t, p] += ap * y
                for q in range(p + 1):
                    G[t, p, q] += ap * xt[q]
    for t in range(n_tasks):
        for p in range(d + 1):
            for q in range(p):
                G[t, q, p] = G[t, p, q]
    return G, r


@njit(**JIT_OPTIONS)
def _invert_small(A, out):
    """Inverses of a stack of small symmetric positive definite matrices by
    Cholesky (NumPy's batched ``inv`` spent 4.5 ms on 2 000 6 x 6 systems, a
    tenth of a leave-one-out candidate on 2 000 tasks). Returns False if one
    is not positive definite."""
    n, p, _ = A.shape
    L = np.empty((p, p))
    for t in range(n):
        L[:, :] = 0.0
        for j in range(p):
            acc = A[t, j, j]
            for k in range(j):
                acc -= L[j, k] * L[j, k]
            if not acc > 1e-300:
                return False
            L[j, j] = np.sqrt(acc)
            for i in range(j + 1, p):
                acc = A[t, i, j]
                for k in range(j):
                    acc -= L[i, k] * L[j, k]
                L[i, j] = acc / L[j, j]
        # Columns of the inverse: solve L L^T x = e_c.
        for c in range(p):
            y = np.zeros(p)
            for i in range(p):
                acc = 1.0 if i == c else 0.0
                for k in range(i):
                    acc -= L[i, k] * y[k]
                y[i] = acc / L[i, i]
            for i in range(p - 1, -1, -1):
                acc = y[i]
                for k in range(i + 1, p):
                    acc -= L[k, i] * out[t, k, c]
                out[t, i, c] = acc / L[i, i]
    return True


def _inverse_stacked(A):
    """Inverses of a stack of symmetric systems; the pseudo-inverse where one is
    singular (a task without data and an unpenalised part: its part is zero)."""
    A = np.ascontiguousarray(A, dtype=np.float64)
    stack = A.reshape((-1,) + A.shape[-2:])
    out = np.empty_like(stack)
    if stack.shape[-1] and _invert_small(stack, out):
        return out.reshape(A.shape)
    return np.linalg.pinv(A, hermitian=True)


@njit(parallel=True, **JIT_OPTIONS)
def _leverages(X, ptr, task, weight, task_factor, iu, iz, M, MG, S_inv, out):
    """Leverage of each observed entry in the ridge fit: ``a x_u^T M_t x_u +
    a q^T S^{-1} q`` with ``q = x_z - (M_t G_t^{uz})^T x_u`` (the block
    inverse of the full Hessian, see ``closed_form``)."""
    d = X.shape[1]
    pu, pz = iu.shape[0], iz.shape[0]
    for i in prange(X.shape[0]):
        xt = np.empty(d + 1)
        xt[d] = 1.0
        xu = np.empty(pu)
        q = np.empty(pz)
        for j in range(d):
            xt[j] = X[i, j]
        for e in range(ptr[i], ptr[i + 1]):
            t = task[e]
            for p in range(pu):
                xu[p] = xt[iu[p]]
            h = 0.0
            for p in range(pu):
                acc = 0.0
                for r in range(pu):
                    acc += M[t, p, r] * xu[r]
                h += xu[p] * acc
            for c in range(pz):
                acc = xt[iz[c]]
                for p in range(pu):
                    acc -= MG[t, p, c] * xu[p]
                q[c] = acc
            for c in range(pz):
                acc = 0.0
                for r in range(pz):
                    acc += S_inv[c, r] * q[r]
                h += q[c] * acc
            out[e] = weight[e] * task_factor[t] * h


@dataclass
class RidgeBlocks:
    """The block structure of the ridge problem (or of a Hessian of the same
    shape): each task's part ``u`` (indices ``iu`` into ``x~ = (x, 1)``) with
    ``M_t = (G_t^uu + D_u)^{-1}`` and ``MG_t = M_t G_t^uz``, and the shared
    part ``z`` (indices ``iz``) with the inverse Schur complement ``S_inv``."""

    iu: np.ndarray
    iz: np.ndarray
    du: np.ndarray  # the penalties' diagonal on u and on z
    dz: np.ndarray
    M: np.ndarray
    MG: np.ndarray
    S_inv: np.ndarray
    G: np.ndarray
    r: np.ndarray

    @staticmethod
    def parts(problem, state):
        """``(iu, iu's penalties, iz, iz's penalties)``: which entries of ``x~``
        each part reads (slopes if present, then the intercept) and its ridge."""
        pen = problem.penalties
        d = problem.X.shape[1]
        iu = list(range(d)) if pen.n_latent > 0 else []  # latent_frozen: U's latent rows are I
        du = [pen.l2_heads] * len(iu)
        if problem.fit_intercept:
            iu.append(d)
            du.append(pen.l2_intercepts)
        iz = list(range(d)) if state.U.shape[0] > pen.n_latent else []
        dz = [pen.l2_shared] * len(iz)
        if problem.fit_intercept and pen.l2_intercepts > 0:
            iz.append(d)
            dz.append(0.0)
        return (np.array(iu, dtype=np.intp), np.array(du, dtype=np.float64),
                np.array(iz, dtype=np.intp), np.array(dz, dtype=np.float64))

    @classmethod
    def build(cls, problem, state, task_factor, weight):
        """Blocks of ``sum_e weight_e task_factor_t x~ x~^T`` plus the penalties."""
        layout, obs = problem.layout, problem.obs
        X = np.ascontiguousarray(problem.X, dtype=np.float64)
        G, r = task_moments(X, obs.ptr, obs.task, obs.target, weight,
                            np.asarray(task_factor, dtype=np.float64), layout.mean,
                            layout.scale, layout.n_tasks)
        iu, du, iz, dz = cls.parts(problem, state)
        Guz = G[:, iu][:, :, iz]
        M = _inverse_stacked(G[:, iu][:, :, iu] + np.diag(du))
        MG = M @ Guz
        S_inv = np.zeros((iz.size, iz.size))
        if iz.size:
            S = np.diag(dz) + (G[:, iz][:, :, iz] - np.swapaxes(Guz, 1, 2) @ MG).sum(axis=0)
            S_inv = _inverse_stacked(S)
        return cls(iu, iz, du, dz, M, MG, S_inv, G, r)

    def leverages(self, problem, task_factor, weight):
        """``weight_e task_factor_t phi_e^T H^{-1} phi_e`` of every observed entry."""
        obs = problem.obs
        h = np.empty(obs.task.shape[0])
        _leverages(np.ascontiguousarray(problem.X, dtype=np.float64), obs.ptr, obs.task,
                   weight, np.asarray(task_factor, dtype=np.float64), self.iu, self.iz,
                   self.M, self.MG, self.S_inv, h)
        return h


def closed_form(problem, state, task_factor):
    """Solve the ridge case exactly (see the module docstring); updates
    ``state`` and returns the system's :class:`RidgeBlocks` (which give the
    leverages, see ``leave_one_out_decisions``)."""
    blocks = RidgeBlocks.build(problem, state, task_factor, problem.obs.weight)
    iu, iz, G, r = blocks.iu, blocks.iz, blocks.G, blocks.r
    Mr = np.einsum("tpq,tq->tp", blocks.M, r[:, iu])
    z = np.zeros(iz.size)
    if iz.size:
        rhs = (r[:, iz] - np.einsum("tuz,tu->tz", G[:, iu][:, :, iz], Mr)).sum(axis=0)
        z = blocks.S_inv @ rhs
    _merge_parameters(problem, state, z, Mr - blocks.MG @ z)
    return blocks


def leave_one_out_applies(problem):
    """Whether the exact (squared loss) or Newton-step (logistic loss)
    leave-one-out of ``leave_one_out_decisions`` applies: the ridge structure
    of ``closed_form`` and one output per task."""
    kind = problem.layout.kind
    return _ridge_structure(problem) and (bool(np.all(kind == SQUARED))
                                          or bool(np.all(kind == LOGISTIC)))


def _entry_rows(obs):
    """The sample of each observed entry (the CSR's row index, expanded)."""
    return np.repeat(np.arange(obs.ptr.shape[0] - 1), np.diff(obs.ptr))


@njit(parallel=True, **JIT_OPTIONS)
def _entry_decisions(X, ptr, task, coef, intercept, out):
    """``out[e] = X[i] . coef[task[e]] + intercept[task[e]]`` for each observed
    entry ``e`` of sample ``i``: ``O(nnz d)`` with nothing materialised (a
    gather ``X[rows]`` copies a row per entry: 3.2 GB for 200 000 samples
    that each observe 20 tasks)."""
    for i in prange(X.shape[0]):
        for e in range(ptr[i], ptr[i + 1]):
            t = task[e]
            acc = intercept[t]
            for j in range(X.shape[1]):
                acc += X[i, j] * coef[t, j]
            out[e] = acc


def entry_decisions(X, obs, coef, intercept):
    """The user-unit decision value of every observed entry of ``obs``."""
    out = np.empty(obs.task.shape[0])
    if out.size:
        _entry_decisions(X, obs.ptr, obs.task, np.ascontiguousarray(coef, dtype=np.float64),
                         np.ascontiguousarray(intercept, dtype=np.float64), out)
    return out


def leave_one_out_decisions(problem, state, task_factor, blocks=None):
    """Each observed entry's decision value (user units) from the model fitted
    without it, from the fit at ``state`` (the optimum on all the data).

    Squared loss: exact, ``y - (y - f) / (1 - h)`` with the leverage
    ``h_e = a_e phi_e^T H^{-1} phi_e`` (as ``RidgeCV`` computes it; ``blocks``
    from ``closed_form`` spare rebuilding the system). Logistic loss: one Newton
    step from the full fit (the approximate leave-one-out of Rad & Maleki,
    2020), ``f + a g c / (1 - a w c)`` with ``g``, ``w`` the loss's first and
    second derivatives and ``c = phi^T H^{-1} phi`` from the Hessian's blocks.
    Returns (decisions, entry rows).
    """
    obs, layout = problem.obs, problem.layout
    rows = _entry_rows(obs)
    task = obs.task
    coef = (state.V * layout.scale[:, None]) @ state.U
    intercept = layout.mean + layout.scale * state.b
    f = entry_decisions(problem.X, obs, coef, intercept)
    if np.all(layout.kind == SQUARED):
        y = layout.mean[task] + layout.scale[task] * obs.target
        if blocks is None:
            blocks = RidgeBlocks.build(problem, state, task_factor, obs.weight)
        h = blocks.leverages(problem, task_factor, obs.weight)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(h < 1.0 - 1e-12, y - (y - f) / (1.0 - h), np.nan), rows
    p = expit(f)
    g, w = p - obs.target, p * (1.0 - p)
    blocks = RidgeBlocks.build(problem, state, task_factor, obs.weight * w)
    c = blocks.leverages(problem, np.ones(layout.n_tasks), np.ones_like(w))  # phi^T H^-1 phi
    a = obs.weight * np.asarray(task_factor)[task]
    with np.errstate(divide="ignore", invalid="ignore"):
        return f + a * g * c / (1.0 - a * w * c), rows


class _Packing:
    """The trained entries of a state as one vector for L-BFGS (and back); the
    lasso-penalised head entries as positive and negative parts."""

    def __init__(self, problem, state, train_factor=True, head_scale=None, units=None):
        pen = problem.penalties
        # Each entry packed in its unit (a diagonal preconditioner): the rows
        # of U in the units of ``_scale.parameter_units``, the heads as ``V *
        # head_scale`` (by default the inverse head unit; for new tasks the
        # square root of each entry's curvature, so that L-BFGS-B does not
        # crawl along a nearly flat coordinate, a dead atom of a codebook).
        n_v = state.V.shape[0] * pen.n_latent
        if head_scale is None:
            head_scale = np.full(n_v, 1.0 if units is None else 1.0 / units.head)
        self.head_scale = np.asarray(head_scale, dtype=np.float64).ravel()
        self.k = pen.n_latent  # the heads' trained columns; the shared ones are fixed
        first = self.k if pen.latent_frozen else 0
        self.rows = np.arange(first if train_factor else state.U.shape[0], state.U.shape[0])
        if units is None:
            self.row_unit = np.ones((self.rows.size, 1))
        else:
            self.row_unit = np.where(self.rows < self.k, units.factor, units.shared)[:, None]
        self.with_b = problem.fit_intercept
        self.split = problem.penalties.l1_heads != 0.0
        self.n_u = self.rows.size * state.U.shape[1]
        self.n_v = n_v

    def pack(self, state):
        V = state.V[:, :self.k].ravel() * self.head_scale
        parts = [(state.U[self.rows] / self.row_unit).ravel()]
        parts += [np.maximum(V, 0.0), np.maximum(-V, 0.0)] if self.split else [V]
        if self.with_b:
            parts.append(state.b)
        return np.concatenate(parts)

    def unpack(self, x, state):
        n_u, n_v = self.n_u, self.n_v
        if self.rows.size:
            state.U[self.rows] = x[:n_u].reshape(self.rows.size, -1) * self.row_unit
        at = n_u
        V = x[at:at + n_v]
        at += n_v
        if self.split:
            V = V - x[at:at + n_v]
            at += n_v
        state.V[:, :self.k] = (V / self.head_scale).reshape(-1, self.k) if self.k else 0.0
        if self.with_b:
            state.b[:] = x[at:]

    def gradient(self, grad, l1, out_scale):
        gV = grad.V[:, :self.k].ravel() / self.head_scale
        parts = [(grad.U[self.rows] * self.row_unit).ravel()]
        if self.split:
            cut = l1 * np.repeat(out_scale, self.k) / self.head_scale
            parts += [gV + cut, cut - gV]
        else:
            parts.append(gV)
        if self.with_b:
            parts.append(grad.b)
        return np.concatenate(parts)

    def bounds(self, size):
        """L-BFGS-B's bounds: the split parts are non-negative."""
        if not self.split:
            return None
        return ([(None, None)] * self.n_u + [(0.0, None)] * (2 * self.n_v)
                + [(None, None)] * (size - self.n_u - 2 * self.n_v))


def lbfgs(problem, state, task_factor, *, max_iter, tol, parallel=True, train_factor=True,
          head_scale=None):
    """Minimise the objective by L-BFGS-B from ``state``; updates ``state``.
    With ``train_factor=False`` only the heads and intercepts move (``U``
    fixed: new tasks on a fitted model); ``head_scale`` (one positive number
    per head entry) preconditions them. Otherwise every entry steps in the
    units of ``_scale.parameter_units``.

    Returns ``(n_iter, converged, message)``: converged only at a stationary
    point (the projected gradient, in those units, small next to the
    objective), not wherever L-BFGS-B stopped.
    """
    units = None
    if head_scale is None:
        units = parameter_units(problem.X, problem.layout.scale,
                                problem.penalties.latent_frozen)
    packing = _Packing(problem, state, train_factor, head_scale, units)
    l1, out_scale = problem.penalties.l1_heads, problem.layout.scale

    # The objective in the unit of its starting value (a power of two) when
    # that is far from one: it is in the user's units, and L-BFGS-B's
    # "relative" decrease test divides by max(|f|, 1), which for targets near
    # 1e-3 stopped after one iteration.
    unit = []

    def fun(x):
        packing.unpack(x, state)
        value, grad, _ = objective_and_gradient(problem, state, task_factor,
                                                parallel=parallel)
        if not unit:
            unit.append(_power_of_two(value, _UNIT_SCALE))
        return value / unit[0], packing.gradient(grad, l1, out_scale) / unit[0]

    x = packing.pack(state)
    bounds = packing.bounds(x.size)
    lower = np.array([b[0] is not None for b in bounds]) if bounds else None

    def gradient_ratio(result, floor=1.0):
        """Largest projected gradient entry next to the objective (at least
        ``floor``; one is L-BFGS-B's own scale, the objective's unit)."""
        projected = result.jac.copy()
        if lower is not None:
            at_bound = lower & (result.x <= 0.0)
            projected[at_bound] = np.minimum(projected[at_bound], 0.0)
        return np.max(np.abs(projected), initial=0.0) / max(abs(result.fun), floor)

    n_iter, result = 0, None
    # L-BFGS-B stops on a small relative decrease, which flat valleys (the
    # lasso's split parts, a factorisation's scale) can show far from a
    # stationary point: restart from where it stopped (a fresh curvature
    # model) while the projected gradient is not small.
    # Restarts only for a tight tolerance (a final fit; the CV estimators'
    # candidates run at a looser one).
    for _ in range(_RESTARTS if tol <= 1e-12 else 1):
        result = minimize(fun, x, jac=True, method="L-BFGS-B", bounds=bounds,
                          options=dict(maxiter=max_iter - n_iter, maxcor=30, ftol=tol,
                                       gtol=1e-12, maxls=50))
        x, n_iter = result.x, n_iter + int(result.nit)
        if (not np.isfinite(result.fun) or gradient_ratio(result) <= _GRADIENT_TOL
                or n_iter >= max_iter or result.nit <= 1):
            break
    packing.unpack(x, state)
    # Relative to the objective itself: a separable classification whose loss
    # fell to 1e-11 of its start is not at its optimum for a small gradient.
    ratio = gradient_ratio(result, floor=1e-300) if np.isfinite(result.fun) else np.inf
    converged = bool(ratio <= _STATIONARY_TOL and n_iter < max_iter)
    message = str(result.message)
    if not converged and n_iter < max_iter:
        message += f"; the gradient is still {ratio:.2g} times the objective"
    return n_iter, converged, message


_RESTARTS = 20
# Restart while the largest projected gradient entry (in the parameters'
# units) exceeds _GRADIENT_TOL times the objective (at least one); a stop
# above _STATIONARY_TOL times the objective is not convergence.
_GRADIENT_TOL = 1e-7
_STATIONARY_TOL = 1e-3


# Objectives within this factor of one are not rescaled.
_UNIT_SCALE = 8.0


def _power_of_two(value, dead_zone=1.0):
    """The power of two nearest ``|value|`` from below; 1 for zero, for a
    non-finite value, or within a factor ``dead_zone`` of one."""
    if not np.isfinite(value) or value == 0.0 or 1.0 / dead_zone < abs(value) < dead_zone:
        return 1.0
    return float(np.ldexp(1.0, int(np.frexp(abs(value))[1]) - 1))


def _split_parameters(problem, state):
    """The state as the ridge structure's parts: ``z = (w_0, b_0)`` and each
    task's ``u_t = (v_t, c_t)`` (user units; ``b_0`` the mean intercept)."""
    pen, layout = problem.penalties, problem.layout
    d = problem.X.shape[1]
    parts_z, parts_u = [], []
    intercept = layout.mean + layout.scale * state.b
    b0 = intercept.mean() if problem.fit_intercept and pen.l2_intercepts > 0 else 0.0
    if state.U.shape[0] > pen.n_latent:
        parts_z.append(state.U[pen.n_latent])
    if problem.fit_intercept and pen.l2_intercepts > 0:
        parts_z.append([b0])
    if pen.n_latent > 0:
        parts_u.append(state.V[:, :d] * layout.scale[:, None])
    if problem.fit_intercept:
        parts_u.append((intercept - b0)[:, None])
    z = np.concatenate(parts_z) if parts_z else np.zeros(0)
    u = np.hstack(parts_u) if parts_u else np.zeros((layout.n_tasks, 0))
    return z, u


def _merge_parameters(problem, state, z, u):
    """Write the parts ``z``, ``u`` back into ``state`` (see ``_split_parameters``)."""
    pen, layout = problem.penalties, problem.layout
    d = problem.X.shape[1]
    shared = state.U.shape[0] > pen.n_latent
    if shared:
        state.U[pen.n_latent] = z[:d]
    if pen.n_latent > 0:
        state.V[:, :d] = u[:, :d] / layout.scale[:, None]
    if problem.fit_intercept:
        b0 = z[-1] if z.size > (d if shared else 0) else 0.0
        state.b[:] = (b0 + u[:, -1] - layout.mean) / layout.scale


def newton_applies(problem):
    """Whether ``newton`` solves ``problem``: binary tasks, ridge structure."""
    return (leave_one_out_applies(problem)
            and bool(np.all(problem.layout.kind == LOGISTIC)))


def newton(problem, state, task_factor, *, max_iter, tol):
    """Minimise the logistic objective by Newton's method with backtracking,
    each step solved through the ridge structure's blocks (``RidgeBlocks``
    of the Hessian: weights ``a p (1 - p)``), in ``O(n p^2 + T p^3)``; a
    handful of iterations reach the optimum. Updates ``state``; returns
    ``(n_iter, converged, message)``."""
    obs, layout = problem.obs, problem.layout
    task = obs.task
    d = problem.X.shape[1]
    a = obs.weight * np.asarray(task_factor)[task]
    ones, zeros = np.ones(layout.n_tasks), np.zeros(layout.n_tasks)
    z, u = _split_parameters(problem, state)
    iu, du, iz, dz = RidgeBlocks.parts(problem, state)
    target = obs.target

    def decisions(z, u):
        # Each task's (w, b) over x~ = (x, 1): the shared part plus its own.
        theta = np.zeros((layout.n_tasks, d + 1))
        theta[:, iz] += z
        theta[:, iu] += u
        return entry_decisions(problem.X, obs, theta[:, :d], theta[:, d])

    def objective(f, z, u):
        data = a @ (np.logaddexp(0.0, f) - target * f)
        return data + 0.5 * (du * u * u).sum() + 0.5 * (dz * z * z).sum()

    f = decisions(z, u)
    value = objective(f, z, u)
    for iteration in range(1, max_iter + 1):
        p = expit(f)
        g, w = p - target, p * (1.0 - p)
        blocks = RidgeBlocks.build(problem, state, task_factor, obs.weight * w)
        grad_t = task_moments(np.ascontiguousarray(problem.X, dtype=np.float64), obs.ptr,
                              task, ones[task], obs.weight * g,
                              np.asarray(task_factor, dtype=np.float64), zeros, ones,
                              layout.n_tasks)[1]
        grad_u = grad_t[:, iu] + du * u
        grad_z = grad_t[:, iz].sum(axis=0) + dz * z
        Mg = np.einsum("tpq,tq->tp", blocks.M, grad_u)
        step_z = np.zeros_like(z)
        if iz.size:
            step_z = blocks.S_inv @ (-grad_z + np.einsum("tpz,tp->z", blocks.MG, grad_u))
        step_u = -Mg - blocks.MG @ step_z
        decrement = -(grad_z @ step_z + (grad_u * step_u).sum())
        if decrement <= 2.0 * tol * max(abs(value), 1.0):
            _merge_parameters(problem, state, z, u)
            return iteration, True, "Newton decrement below tolerance"
        step = 1.0
        while step > 1e-10:
            z_new, u_new = z + step * step_z, u + step * step_u
            f_new = decisions(z_new, u_new)
            new_value = objective(f_new, z_new, u_new)
            if new_value <= value - 1e-4 * step * decrement:
                break
            step *= 0.5
        else:
            _merge_parameters(problem, state, z, u)
            return iteration, True, "ABNORMAL: no decrease along the Newton direction"
        z, u, f, value = z_new, u_new, f_new, new_value
    _merge_parameters(problem, state, z, u)
    return max_iter, False, "maximum number of Newton iterations"


def solve(problem, state, task_factor, *, max_iter, tol, parallel=True, record=True):
    """The exact optimum from ``state`` (updated in place); returns an
    :class:`ExactLog` with the final objective (NaN without ``record``)."""
    if closed_form_applies(problem):
        closed_form(problem, state, task_factor)
        n_iter, converged, message = 1, True, "closed form"
    elif newton_applies(problem):
        n_iter, converged, message = newton(problem, state, task_factor,
                                            max_iter=max_iter, tol=tol)
    else:
        n_iter, converged, message = lbfgs(problem, state, task_factor,
                                           max_iter=max_iter, tol=tol, parallel=parallel)
    value, task_loss = np.nan, None
    if record:
        value, _, task_loss = objective_and_gradient(problem, state, task_factor,
                                                     parallel=parallel)
    return ExactLog([float(value)], n_iter, converged, message, task_loss)
