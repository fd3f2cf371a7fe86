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
def add_ridge(P, weight, G, value):
    """Ridge on the shared factor: gradient into ``G``."""
    if weight == 0.0:
        return value
    for r in range(P.shape[0]):
        for c in range(P.shape[1]):
            value += 0.5 * weight * P[r, c] * P[r, c]
            G[r, c] += weight * P[r, c]
    return value


@njit(inline="always", **JIT_OPTIONS)
def add_scaled_ridge(P, weight, row_scale2, G, value):
    """Ridge on the heads in user units (row ``r`` scaled by ``row_scale2[r]``)."""
    if weight == 0.0:
        return value
    for r in range(P.shape[0]):
        for c in range(P.shape[1]):
            value += 0.5 * weight * row_scale2[r] * P[r, c] * P[r, c]
            G[r, c] += weight * row_scale2[r] * P[r, c]
    return value


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
def add_smooth_penalties(U, V, outputs, penalties, gU, gV):
    """Add every smooth penalty's gradient to ``gU``, ``gV``; return their value.

    ``outputs`` is the layout record (``_layout.Outputs``), ``penalties`` a
    :class:`PenaltyWeights`.
    """
    return _smooth_penalties(U, V, outputs.scale, outputs.scale2, outputs.start,
                             penalties.l2_factor, penalties.l2_heads, penalties.graph,
                             penalties.graph_weight, gU, gV)


@njit(**JIT_OPTIONS)
def _smooth_penalties(U, V, out_scale, out_scale2, task_out, l2_factor, l2_heads, graph,
                      graph_weight, gU, gV):
    value = add_ridge(U, l2_factor, gU, 0.0)
    value = add_scaled_ridge(V, l2_heads, out_scale2, gV, value)
    return add_graph(U, V, out_scale, task_out, graph, graph_weight, gU, gV, value)


def l1_value(V, weight, out_scale):
    """Value of the lasso on the heads, in user units."""
    if not weight:
        return 0.0
    return weight * float(np.sum(np.abs(V) * out_scale[:, None]))
