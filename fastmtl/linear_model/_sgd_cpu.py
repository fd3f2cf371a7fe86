"""Numba kernels of the factored multi-task model, trained by minibatch Adam.

Both estimator families share one model: task ``t`` scores a sample ``x`` with
``f_o(x) = <V_o, U x> + b_o`` for each of its outputs ``o`` (one output for a
regression or binary task, one per class for a multiclass task). ``U`` is
``(n_components, n_features)``, shared by all tasks: the latent projection of
the shared-latent model, the transposed dictionary of the codebook model.

Parameters are kept in *internal units*: a regression task's targets are
standardised (``y' = (y - mu) / sigma``), so the internal head ``V'_o`` and
intercept ``b'_o`` map to the user's units as ``V_o = sigma_o V'_o`` and
``b_o = mu_o + sigma_o b'_o``. This only conditions Adam; the objective below
is the documented one, written in the user's units::

    J = 1/T sum_t lambda_t L_t
        + alpha_u / 2 ||U||^2 + alpha_v / 2 sum_o ||V_o||^2 + l1_v sum_o |V_o|_1
        + graph_penalty sum_st A_st ||w_s - w_t||^2,      w_t = U^T V_t

with ``L_t`` the ``sample_weight``-weighted mean loss of task ``t`` over its
observed targets (half squared error, or the logistic / softmax
cross-entropy) and ``lambda_t`` the task weights.

Observed targets come as a CSR structure over samples: entries
``obs_ptr[i]:obs_ptr[i + 1]`` name the task, the internal target (standardised
value, or class index) and ``sample_weight[i] / W_t`` of each target observed on
sample ``i``. Missing targets are simply absent, so an epoch costs
``O(n_observed * n_components + n_samples * n_features * n_components)``.

Determinism: a minibatch is cut into fixed blocks of ``block_rows`` samples;
each block accumulates its gradient into its own buffer (in parallel) and the
buffers are summed in block order, so the result does not depend on the number
of threads.
"""
import numpy as np
from numba import njit, prange

from .._config import JIT_OPTIONS
from . import _scalar
from ._scalar import CONSTANT, LOGISTIC, SOFTMAX, SQUARED  # noqa: F401 (re-exported)

# Adam's constants (Kingma & Ba, 2015).
ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999
ADAM_EPS = 1e-8

# Kernel status codes.
OK = 0
DIVERGED = 1


@njit(inline="always", **JIT_OPTIONS)
def _score(V, b, o, z):
    s = b[o]
    for c in range(z.shape[0]):
        s += V[o, c] * z[c]
    return s


_single_output_loss = njit(inline="always", **JIT_OPTIONS)(_scalar.single_output_loss)
_adam = njit(inline="always", **JIT_OPTIONS)(_scalar.adam)
_soft_threshold = njit(inline="always", **JIT_OPTIONS)(_scalar.soft_threshold)


@njit(inline="always", **JIT_OPTIONS)
def _softmax_loss(V, b, out0, nout, z, label, g):
    """Cross-entropy of class ``label``; its derivative per output into ``g``."""
    top = -np.inf
    for q in range(nout):
        g[q] = _score(V, b, out0 + q, z)
        top = max(top, g[q])
    total = 0.0
    for q in range(nout):
        g[q] = np.exp(g[q] - top)
        total += g[q]
    loss = np.log(total) - np.log(g[label])
    for q in range(nout):
        g[q] /= total
    g[label] -= 1.0
    return loss


@njit(inline="always", **JIT_OPTIONS)
def _observation_loss(kind, V, b, out0, nout, z, target, out_scale2, g):
    """(loss, number of outputs) of one observed target, whose loss derivative
    in each of its outputs' internal scores goes into ``g``. A single-class
    task has no output (and no valid ``out0``): (0, 0)."""
    if kind == CONSTANT:
        return 0.0, 0
    if kind == SOFTMAX:
        return _softmax_loss(V, b, out0, nout, z, int(target), g), nout
    loss, g[0] = _single_output_loss(kind, _score(V, b, out0, z), target,
                                     out_scale2[out0])
    return loss, 1


@njit(inline="always", **JIT_OPTIONS)
def _project(U, x, z):
    """``z = U x``: the sample's latent features."""
    k, d = U.shape
    for c in range(k):
        s = 0.0
        Uc = U[c]
        for j in range(d):
            s += Uc[j] * x[j]
        z[c] = s


@njit(parallel=True, **JIT_OPTIONS)
def score_derivatives(X, obs_ptr, obs_task, obs_target, obs_weight, task_kind,
                      task_out, task_nout, out_scale2, U, V, b, D):
    """``D[i, o]``: derivative of output ``o``'s task loss in its score on sample ``i``.

    Weighted by ``obs_weight`` (so task ``t``'s mean loss has gradient
    ``sum_i D[i, o] * d score_io``); zero where the target is missing. With it,
    the per-task gradient with respect to ``U`` is ``V_o^T (D[:, o]^T X)``
    summed over the task's outputs: one GEMM for all tasks.
    """
    n = X.shape[0]
    k = U.shape[0]
    max_out = max(1, V.shape[0])
    for i in prange(n):
        D[i, :] = 0.0
        z = np.empty(k)
        g = np.empty(max_out)
        _project(U, X[i], z)
        for e in range(obs_ptr[i], obs_ptr[i + 1]):
            t = obs_task[e]
            out0 = task_out[t]
            _, nout = _observation_loss(task_kind[t], V, b, out0, task_nout[t], z,
                                        obs_target[e], out_scale2, g)
            for q in range(nout):
                D[i, out0 + q] = obs_weight[e] * g[q]


@njit(parallel=True, **JIT_OPTIONS)
def accumulate_blocks(X, rows, block_rows, obs_ptr, obs_task, obs_target, obs_weight,
                      task_kind, task_out, task_nout, out_scale2, task_factor,
                      U, V, b, gU_blocks, gV_blocks, gb_blocks, loss_blocks):
    """Per-block data-loss gradients of the samples ``X[rows]``.

    Block ``j`` (samples ``rows[j * block_rows:(j + 1) * block_rows]``) writes
    its gradient with respect to ``U``, ``V``, ``b`` into ``gU_blocks[j]`` etc.,
    weighted by ``obs_weight * task_factor[task]``, and each task's unweighted
    loss sum ``sum obs_weight * loss`` into ``loss_blocks[j]``.
    Returns the number of blocks used.
    """
    n = rows.shape[0]
    n_blocks = (n + block_rows - 1) // block_rows
    k, d = U.shape
    max_out = max(1, V.shape[0])
    for blk in prange(n_blocks):
        gU = gU_blocks[blk]
        gV = gV_blocks[blk]
        gb = gb_blocks[blk]
        task_loss = loss_blocks[blk]
        gU[:, :] = 0.0
        gV[:, :] = 0.0
        gb[:] = 0.0
        task_loss[:] = 0.0
        z = np.empty(k)
        gz = np.empty(k)
        g = np.empty(max_out)
        for r in range(blk * block_rows, min(n, (blk + 1) * block_rows)):
            i = rows[r]
            x = X[i]
            _project(U, x, z)
            gz[:] = 0.0
            for e in range(obs_ptr[i], obs_ptr[i + 1]):
                t = obs_task[e]
                out0 = task_out[t]
                w = obs_weight[e] * task_factor[t]
                loss, nout = _observation_loss(task_kind[t], V, b, out0, task_nout[t], z,
                                               obs_target[e], out_scale2, g)
                task_loss[t] += obs_weight[e] * loss
                for q in range(nout):
                    o = out0 + q
                    go = w * g[q]
                    gb[o] += go
                    for c in range(k):
                        gV[o, c] += go * z[c]
                        gz[c] += go * V[o, c]
            for c in range(k):
                gzc = gz[c]
                if gzc != 0.0:
                    gUc = gU[c]
                    for j in range(d):
                        gUc[j] += gzc * x[j]
    return n_blocks


@njit(**JIT_OPTIONS)
def reduce_blocks(n_blocks, gU_blocks, gV_blocks, gb_blocks, loss_blocks, scale,
                  gU, gV, gb, task_loss):
    """Sum the first ``n_blocks`` block buffers in block order, times ``scale``.

    ``task_loss`` is accumulated (not scaled): it sums over an epoch. Serial:
    this is ``n_blocks`` passes over the parameters, small next to the
    minibatch's ``batch_size`` passes.
    Returns the sum of the gradient entries (non-finite on overflow).
    """
    k, d = gU.shape
    gU[:, :] = gU_blocks[0]
    gV[:, :] = gV_blocks[0]
    gb[:] = gb_blocks[0]
    for blk in range(1, n_blocks):
        for c in range(k):
            for j in range(d):
                gU[c, j] += gU_blocks[blk, c, j]
        for o in range(gV.shape[0]):
            gb[o] += gb_blocks[blk, o]
            for c in range(k):
                gV[o, c] += gV_blocks[blk, o, c]
    check = 0.0
    for c in range(k):
        for j in range(d):
            gU[c, j] *= scale
            check += gU[c, j]
    for o in range(gV.shape[0]):
        gb[o] *= scale
        check += gb[o]
        for c in range(k):
            gV[o, c] *= scale
            check += gV[o, c]
    for blk in range(n_blocks):
        for t in range(task_loss.shape[0]):
            task_loss[t] += loss_blocks[blk, t]
    return check


@njit(**JIT_OPTIONS)
def add_penalty_gradients(U, V, out_scale, out_scale2, task_out, graph, graph_penalty,
                          alpha_u, alpha_v, gU, gV):
    """Add the smooth penalties' gradients to ``gU``, ``gV``; return their value.

    ``graph`` links tasks that have one output each (``task_out`` names it).
    The L1 penalty is not smooth: it is applied by the proximal step.
    """
    k, d = U.shape
    n_out = V.shape[0]
    value = 0.0
    if alpha_u != 0.0:
        for c in range(k):
            for j in range(d):
                value += 0.5 * alpha_u * U[c, j] * U[c, j]
                gU[c, j] += alpha_u * U[c, j]
    if alpha_v != 0.0:
        for o in range(n_out):
            for c in range(k):
                value += 0.5 * alpha_v * out_scale2[o] * V[o, c] * V[o, c]
                gV[o, c] += alpha_v * out_scale2[o] * V[o, c]
    if graph_penalty == 0.0:
        return value
    # ||w_s - w_t||^2 = D^T M D with D = V_s - V_t (user units), M = U U^T.
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
            value += graph_penalty * a * quad
            for c in range(k):
                gV[os_, c] += 2.0 * graph_penalty * a * out_scale[os_] * MD[c]
                gV[ot, c] -= 2.0 * graph_penalty * a * out_scale[ot] * MD[c]
                for e in range(k):
                    C[c, e] += a * D[c] * D[e]
    CU = C @ U
    for c in range(k):
        for j in range(d):
            gU[c, j] += 2.0 * graph_penalty * CU[c, j]
    return value


@njit(**JIT_OPTIONS)
def adam_update(U, V, b, gU, gV, gb, mU, vU, mV, vV, mb, vb, step_count,
                learning_rate, out_scale, l1_v, fit_intercept):
    """Adam step on all parameters; proximal soft-threshold for the L1 on ``V``.

    With an L1 penalty the head update is the exact proximal step of
    ``l1_v |V_o|_1`` in Adam's diagonal metric ``eta_j = lr / sqrt(v_hat_j)``:
    soft-thresholding at ``eta_j * l1_v * sigma_o`` per coordinate.
    """
    beta1, beta2, eps = ADAM_BETA1, ADAM_BETA2, ADAM_EPS
    step_count[0] += 1
    t = step_count[0]
    bias1 = 1.0 - beta1 ** t
    # lr_t / (sqrt(v) + eps) applied to the raw moment m is Adam's bias-corrected
    # step; the metric of the prox lacks the 1 / bias1 of the first moment.
    lr_t = learning_rate * np.sqrt(1.0 - beta2 ** t) / bias1
    k, d = U.shape
    for c in range(k):
        for j in range(d):
            U[c, j], mU[c, j], vU[c, j], _ = _adam(U[c, j], gU[c, j], mU[c, j],
                                                   vU[c, j], lr_t, beta1, beta2, eps)
    for o in range(V.shape[0]):
        for c in range(k):
            p, mV[o, c], vV[o, c], step = _adam(V[o, c], gV[o, c], mV[o, c], vV[o, c],
                                                lr_t, beta1, beta2, eps)
            if l1_v != 0.0:
                p = _soft_threshold(p, step * bias1 * l1_v * out_scale[o])
            V[o, c] = p
        if fit_intercept:
            b[o], mb[o], vb[o], _ = _adam(b[o], gb[o], mb[o], vb[o], lr_t,
                                          beta1, beta2, eps)


@njit(**JIT_OPTIONS)
def run_epoch(X, order, batch_size, block_rows, obs_ptr, obs_task, obs_target,
              obs_weight, task_kind, task_out, task_nout, out_scale, out_scale2,
              task_factor, graph, graph_penalty, alpha_u, alpha_v, l1_v,
              learning_rate, fit_intercept, U, V, b, mU, vU, mV, vV, mb, vb,
              step_count, gU_blocks, gV_blocks, gb_blocks, loss_blocks, task_loss):
    """One pass over ``X[order]`` in minibatches of ``batch_size``.

    ``task_factor[t]`` is ``lambda_t / T``; each minibatch gradient is scaled
    by ``len(order) / len(batch)`` so that it estimates the full gradient.
    ``task_loss`` receives each task's loss sum over the epoch (before each
    batch's update). Returns ``DIVERGED`` (leaving the parameters as they were
    before the offending batch) if a gradient stops being finite.
    """
    n = order.shape[0]
    gU = np.empty_like(U)
    gV = np.empty_like(V)
    gb = np.empty_like(b)
    task_loss[:] = 0.0
    for start in range(0, n, batch_size):
        rows = order[start:min(n, start + batch_size)]
        n_blocks = accumulate_blocks(X, rows, block_rows, obs_ptr, obs_task,
                                     obs_target, obs_weight, task_kind, task_out,
                                     task_nout, out_scale2, task_factor, U, V, b,
                                     gU_blocks, gV_blocks, gb_blocks, loss_blocks)
        check = reduce_blocks(n_blocks, gU_blocks, gV_blocks, gb_blocks, loss_blocks,
                              n / rows.shape[0], gU, gV, gb, task_loss)
        check += add_penalty_gradients(U, V, out_scale, out_scale2, task_out, graph,
                                       graph_penalty, alpha_u, alpha_v, gU, gV)
        if not np.isfinite(check):
            return DIVERGED
        adam_update(U, V, b, gU, gV, gb, mU, vU, mV, vV, mb, vb, step_count,
                    learning_rate, out_scale, l1_v, fit_intercept)
    return OK
