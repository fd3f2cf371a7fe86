"""The penalties of the multi-task objective, one piece each: value, gradient, prox.

The model's parameters are the shared factor ``U`` (``n_factors x n_features``),
the heads ``V`` (one row per output) and the intercepts ``b``, in the solver's
internal units (an output's user-unit head is ``sigma_o V_o``). The penalties,
in the user's units:

``l2_factor``
    ``l2_factor / 2 ||U||^2`` (ridge on the shared factor).
``l2_heads``
    ``l2_heads / 2 sum_o ||sigma_o V_o||^2`` (ridge on the heads).
``l1_heads``
    ``l1_heads sum_o |sigma_o V_o|_1`` (lasso on the codes); not smooth, so
    solvers apply it through its proximal operator, :func:`soft_threshold`.
``graph_weight`` with ``graph``
    ``graph_weight sum_st A_st ||w_s - w_t||^2``, ``w_t = U^T sigma_t V_t``
    (pulls linked tasks' weight vectors together).
``l2_shared``
    ``l2_shared / 2 ||W_0||^2``: ridge on the shared rows of ``U`` (below).
``prediction_kl`` with ``graph``
    ``prediction_kl sum_st A_st mean_x KL(p_s(. | x) || p_t(. | x))`` over
    the training samples: pulls linked classification tasks' predictions
    together rather than their weights (a distillation-style penalty).
    It depends on the data, so it is assembled with the data term
    (:func:`add_prediction_divergence`), by the exact solver only.
``l2_intercepts``
    ``l2_intercepts / 2 sum_o (B_o - mean_{g(o)} B)^2`` with ``B_o`` output
    ``o``'s intercept in user units: the intercepts ``B_o = b_0g + c_o`` with
    a free common ``b_0g`` per group and a ridge on the offsets ``c_o``,
    with ``b_0g`` solved out (at its optimum it is the group's mean); or,
    given ``intercept_center`` (one value per group), ``b_0g`` fixed there:
    the intercepts of tasks added to a fitted model are shrunk towards the
    fitted model's shared intercepts, not towards their own mean.

The shared component: ``U``'s rows from ``n_latent`` on are the weights
``W_0`` shared by all tasks (one row per group: one for regression and
binary tasks, one per class of multiclass tasks), and the heads' columns from
``n_latent`` on are fixed at ``1 / sigma_o`` in the group's column (1 in user
units), so ``w_o = w_0g + U_lat^T sigma_o V_o``. Fixed entries are not
trained (their gradient is zeroed, ``frozen_head_column``), nor are the
latent rows of ``U`` when they are the fixed identity (``latent_frozen``:
every task part free, the mean-regularised model).

:func:`add_smooth_penalties` assembles the smooth ones (value and gradient)
for the solvers and the full-batch objective; a new penalty is a new piece
here, a field of :class:`PenaltyWeights`, and one line there.
"""
from typing import NamedTuple

import numpy as np
from numba import njit

from .._config import JIT_OPTIONS


class PenaltyWeights(NamedTuple):
    """Strength of each penalty (0 turns it off); see the module docstring."""

    l2_factor: float
    l2_heads: float
    l1_heads: float
    graph: np.ndarray  # (n_tasks, n_tasks), zero diagonal
    graph_weight: float
    n_latent: int = 0  # latent rows of U (shared rows follow)
    latent_frozen: bool = False  # latent rows are the fixed identity
    l2_shared: float = 0.0
    l2_intercepts: float = 0.0
    intercept_group: np.ndarray = np.zeros(0, dtype=np.int64)  # (n_outputs,)
    intercept_offset: np.ndarray = np.zeros(0)  # (n_outputs,) mu_o
    n_groups: int = 1
    intercept_center: np.ndarray = np.zeros(0)  # (n_groups,) fixed b_0g, or none
    prediction_kl: float = 0.0


def frozen_factor_row(c, n_latent, latent_frozen):
    """Whether row ``c`` of ``U`` is fixed (the identity of the full-rank model)."""
    return latent_frozen and c < n_latent


def frozen_head_column(c, n_latent):
    """Whether column ``c`` of the heads is fixed (a shared component's 1)."""
    return c >= n_latent


# --------------------------------------------------------------------------- #
# Per-coordinate pieces: plain Python, compiled for the CPU and the GPU alike  #
# --------------------------------------------------------------------------- #
# The two ridge forms keep the exact expression of each product: with LLVM
# allowed to reassociate (``_config.FASTMATH``), ``0.5 * w * s * p * p`` with
# ``s = 1`` may round differently from ``0.5 * w * p * p``.
def ridge(p, weight):
    """(value, gradient) of ``weight / 2 * p**2`` at one coordinate."""
    return 0.5 * weight * p * p, weight * p


def scaled_ridge(p, weight, scale2):
    """(value, gradient) of ``weight / 2 * scale2 * p**2``: the ridge of a head
    coordinate in user units (``scale2 = sigma**2``)."""
    return 0.5 * weight * scale2 * p * p, weight * scale2 * p


def soft_threshold(p, cut):
    """Proximal operator of ``cut * |p|``."""
    if p > cut:
        return p - cut
    if p < -cut:
        return p + cut
    return 0.0




# --------------------------------------------------------------------------- #
# Whole penalties on the CPU                                                  #
# --------------------------------------------------------------------------- #
# Each ``add_*`` adds its penalty's gradient into the gradient buffers and its
# value to the running ``value``, which it returns: one accumulator, so the
# objective sums the same terms in the same order whatever the assembly. They
# are inlined into the assembly at Numba's level, and each product is written
# out as it stands in ``ridge``: LLVM may reassociate (``_config.FASTMATH``),
# and the same product in another shape, or a small function inlined by LLVM
# from a cached build, can round differently in the last bit.
@njit(inline="always", **JIT_OPTIONS)
def add_ridge(P, weight, G, value, first=0, stop=-1):
    """Ridge on rows ``first:stop`` of the shared factor (all rows by
    default): gradient into ``G``."""
    if weight == 0.0:
        return value
    stop = P.shape[0] if stop < 0 else stop
    for r in range(first, stop):
        for c in range(P.shape[1]):
            value += 0.5 * weight * P[r, c] * P[r, c]
            G[r, c] += weight * P[r, c]
    return value


@njit(inline="always", **JIT_OPTIONS)
def add_scaled_ridge(P, weight, row_scale2, G, value, n_columns):
    """Ridge on the first ``n_columns`` columns of the heads in user units
    (row ``r`` scaled by ``row_scale2[r]``)."""
    if weight == 0.0:
        return value
    for r in range(P.shape[0]):
        for c in range(n_columns):
            value += 0.5 * weight * row_scale2[r] * P[r, c] * P[r, c]
            G[r, c] += weight * row_scale2[r] * P[r, c]
    return value


@njit(inline="always", **JIT_OPTIONS)
def group_means(b, out_scale, offset, group, n_groups, means):
    """Each group's mean intercept in user units (``offset + scale * b``)."""
    counts = np.zeros(n_groups)
    means[:] = 0.0
    for o in range(b.shape[0]):
        means[group[o]] += offset[o] + out_scale[o] * b[o]
        counts[group[o]] += 1.0
    for g in range(n_groups):
        if counts[g] > 0.0:
            means[g] /= counts[g]


def intercept_shrinkage(b_o, scale_o, offset_o, group_mean, weight):
    """(value, gradient in ``b_o``) of output ``o``'s intercept shrinkage,
    given its group's mean intercept (the mean's own derivative sums to zero
    over the group)."""
    r = offset_o + scale_o * b_o - group_mean
    return 0.5 * weight * r * r, weight * scale_o * r


_intercept_shrinkage = njit(inline="always", **JIT_OPTIONS)(intercept_shrinkage)


@njit(inline="always", **JIT_OPTIONS)
def add_intercept_shrinkage(b, out_scale, offset, group, n_groups, weight, center, gb,
                            value):
    """Shrinkage of the intercepts towards their group's mean (or towards
    ``center`` when it is given): gradient into ``gb``."""
    if weight == 0.0 or b.shape[0] == 0:
        return value
    means = np.empty(n_groups)
    if center.shape[0] > 0:
        means[:] = center
    else:
        group_means(b, out_scale, offset, group, n_groups, means)
    for o in range(b.shape[0]):
        v, g = _intercept_shrinkage(b[o], out_scale[o], offset[o], means[group[o]], weight)
        value += v
        gb[o] += g
    return value


@njit(inline="always", **JIT_OPTIONS)
def freeze(gU, gV, n_latent, latent_frozen):
    """Zero the gradient of the fixed entries (see ``frozen_factor_row`` and
    ``frozen_head_column``)."""
    if latent_frozen:
        gU[:n_latent] = 0.0
    gV[:, n_latent:] = 0.0


@njit(inline="always", **JIT_OPTIONS)
def add_graph(U, V, out_scale, task_out, graph, weight, gU, gV, value):
    """The task-graph penalty: gradient into ``gU``, ``gV``.

    ``||w_s - w_t||^2 = D^T M D`` with ``D = sigma_s V_s - sigma_t V_t`` and
    ``M = U U^T``. ``graph`` links tasks that have one output each
    (``task_out`` names it).
    """
    if weight == 0.0:
        return value
    k, d = U.shape
    M = U @ U.T
    C = np.zeros((k, k))
    D = np.empty(k)
    MD = np.empty(k)
    n_tasks = graph.shape[0]
    for s in range(n_tasks):
        for t in range(n_tasks):
            a = graph[s, t]
            if a == 0.0 or s == t:
                continue
            os_, ot = task_out[s], task_out[t]
            for c in range(k):
                D[c] = out_scale[os_] * V[os_, c] - out_scale[ot] * V[ot, c]
            quad = 0.0
            for c in range(k):
                acc = 0.0
                for e in range(k):
                    acc += M[c, e] * D[e]
                MD[c] = acc
                quad += D[c] * acc
            value += weight * a * quad
            for c in range(k):
                gV[os_, c] += 2.0 * weight * a * out_scale[os_] * MD[c]
                gV[ot, c] -= 2.0 * weight * a * out_scale[ot] * MD[c]
                for e in range(k):
                    C[c, e] += a * D[c] * D[e]
    CU = C @ U
    for c in range(k):
        for j in range(d):
            gU[c, j] += 2.0 * weight * CU[c, j]
    return value


@njit(**JIT_OPTIONS)
def add_smooth_penalties(U, V, b, outputs, penalties, gU, gV, gb):
    """Add every smooth penalty's gradient to ``gU``, ``gV``, ``gb``; zero the
    gradient of the fixed entries; return the penalties' value.

    ``outputs`` is the layout record (``_layout.Outputs``), ``penalties`` a
    :class:`PenaltyWeights`.
    """
    k = penalties.n_latent
    value = 0.0
    if not penalties.latent_frozen:
        value = add_ridge(U, penalties.l2_factor, gU, value, 0, k)
    value = add_ridge(U, penalties.l2_shared, gU, value, k, U.shape[0])
    value = add_scaled_ridge(V, penalties.l2_heads, outputs.scale2, gV, value, k)
    value = add_graph(U, V, outputs.scale, outputs.start, penalties.graph,
                      penalties.graph_weight, gU, gV, value)
    value = add_intercept_shrinkage(b, outputs.scale, penalties.intercept_offset,
                                    penalties.intercept_group, penalties.n_groups,
                                    penalties.l2_intercepts, penalties.intercept_center,
                                    gb, value)
    freeze(gU, gV, k, penalties.latent_frozen)
    return value


def l1_value(V, weight, out_scale, n_latent):
    """Value of the lasso on the heads' first ``n_latent`` columns, in user units."""
    if not weight:
        return 0.0
    return weight * float(np.sum(np.abs(V[:, :n_latent]) * out_scale[:, None]))


def add_prediction_divergence(X, U, V, b, layout, graph, weight, gU, gV, gb):
    """The prediction-divergence penalty ``weight sum_st A_st mean_x KL(p_s(x)
    || p_t(x))`` over the rows of ``X`` (classification tasks; linked tasks
    have the same classes): gradient into ``gU``, ``gV``, ``gb``; returns
    its value.

    Vectorised over the tasks that share classes (``P`` their probabilities,
    ``(T_g, n, C)``, ``r`` and ``c`` the graph's row and column sums): with
    ``M_s = r_s log p_s - sum_t A_st log p_t``, the value is ``sum p_s . M_s``
    and the derivative in task ``s``'s scores is ``p_s (M_s - p_s . M_s) +
    c_s p_s - sum_u A_us p_u`` (a binary task's one score is its second
    class's column). A few matrix products per evaluation: the exact solver
    calls it once per iteration.
    """
    if weight == 0.0 or not np.any(graph):
        return 0.0
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    if n == 0:
        return 0.0
    Z = X @ U.T
    F = Z @ V.T + b
    GF = np.zeros_like(F)
    groups = {}
    for t in np.flatnonzero(layout.n_out > 0):
        key = (int(layout.n_out[t]), tuple(np.asarray(layout.classes[t]).tolist()))
        groups.setdefault(key, []).append(t)
    value = 0.0
    for (n_out, _), tasks in groups.items():
        A = graph[np.ix_(tasks, tasks)]
        if not np.any(A):
            continue
        columns = layout.out_start[tasks][:, None] + np.arange(n_out)  # (T_g, n_out)
        # Tasks first, (T_g, n, C), so that sums over linked tasks are one
        # matrix product each (an einsum over the middle axis was 20x slower),
        # and one call of the inverse link for all of them.
        scores = F[:, columns].transpose(1, 0, 2).reshape(-1, n_out)
        LP = layout.loss(tasks[0]).predict_log_proba(scores).reshape(len(tasks), n, -1)
        P = np.exp(LP)
        shape = LP.shape
        M = (A.sum(axis=1)[:, None, None] * LP
             - (A @ LP.reshape(shape[0], -1)).reshape(shape))
        PM = np.einsum("snc,snc->sn", P, M)
        value += weight / n * PM.sum()
        G = (P * (M - PM[:, :, None]) + A.sum(axis=0)[:, None, None] * P
             - (A.T @ P.reshape(shape[0], -1)).reshape(shape)) * (weight / n)
        if n_out == 1:  # a binary task's score is its second class's
            G = G[:, :, 1:]
        for i, cols in enumerate(columns):
            GF[:, cols] += G[i]
    gV += GF.T @ Z
    gU += (GF @ V).T @ X
    gb += GF.sum(axis=0)
    return float(value)
