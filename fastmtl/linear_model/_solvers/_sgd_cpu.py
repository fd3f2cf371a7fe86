"""Numba kernels of minibatch SGD (Adam) on the multi-task model (see ``_model``).

The losses come from ``_losses`` and the penalties from ``_penalties``; these
kernels only walk the samples, accumulate gradients, and step.

Observed targets come as CSR over samples (``_model.Data``), so missing targets
cost nothing: an epoch costs ``O(n_observed * n_outputs_per_task +
n_samples * n_features * n_factors)``.

Determinism: a minibatch is cut into fixed blocks of ``block_rows`` samples;
each block accumulates its gradient into its own buffer (in parallel) and the
buffers are summed in block order, so the result does not depend on the number
of threads. ``_sgd_cuda`` is the GPU twin of ``run_epoch``.
"""
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import numba
from numba import njit, prange

from ..._config import JIT_OPTIONS
from .. import _penalties
from .._losses import compile_losses
from .._model import Params
from . import _adam

# Kernel status codes.
OK = 0
DIVERGED = 1

_inline = njit(inline="always", **JIT_OPTIONS)
_single_output_loss, _multi_output_loss = compile_losses(_inline)
_adam_update = _inline(_adam.update)
_adam_step_size = _inline(_adam.step_size)
_soft_threshold = _inline(_penalties.soft_threshold)
_proximal_update = _inline(_adam.proximal_update_with(_adam_update, _soft_threshold))


@contextmanager
def single_thread(enabled=True):
    """Run the parallel kernels on the calling thread alone for the block.

    The same compiled loop with Numba's thread count at one: a serial twin
    compiled without ``parallel`` ran 10-20% slower (measured in-process),
    and setting the count inside a kernel makes Numba refuse to cache it.
    """
    if not enabled:
        yield
        return
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(threads)


class Workspace(NamedTuple):
    """Per-block gradient buffers and task losses of one minibatch."""

    gU: np.ndarray  # (n_blocks, n_factors, n_features)
    gV: np.ndarray  # (n_blocks, n_outputs, n_factors)
    gb: np.ndarray  # (n_blocks, n_outputs)
    loss: np.ndarray  # (n_blocks, n_tasks)

    @classmethod
    def allocate(cls, batch_size, block_rows, n_factors, n_features, n_outputs, n_tasks):
        n_blocks = -(-batch_size // block_rows)
        return cls(np.empty((n_blocks, n_factors, n_features)),
                   np.empty((n_blocks, n_outputs, n_factors)),
                   np.empty((n_blocks, n_outputs)), np.empty((n_blocks, n_tasks)))


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


@njit(inline="always", **JIT_OPTIONS)
def _score(V, b, o, z):
    """Output ``o``'s score of a sample with latent features ``z``."""
    s = b[o]
    for c in range(z.shape[0]):
        s += V[o, c] * z[c]
    return s


@njit(inline="always", **JIT_OPTIONS)
def _entry_loss(kind, nout, out0, scale2, target, V, b, z, g):
    """(loss, number of outputs) of one observed target of a task with ``nout``
    outputs from ``out0``, on a sample with latent features ``z``; its
    derivative in each output's score goes into ``g``. A single-class task
    has no output (and no valid ``out0``): (0, 0)."""
    if nout == 0:
        return 0.0, 0
    if nout == 1:  # regression or binary: scalars only
        loss, g[0] = _single_output_loss(kind, _score(V, b, out0, z), target, scale2[out0])
        return loss, 1
    for q in range(nout):
        g[q] = _score(V, b, out0 + q, z)
    return _multi_output_loss(kind, g, nout, target), nout


@njit(**JIT_OPTIONS)
def score_derivatives(data, outputs, params, D):
    """``D[i, o]``: derivative of output ``o``'s task loss in its score on sample ``i``.

    Weighted by the entry's weight (so task ``t``'s loss has gradient
    ``sum_i D[i, o] * d score_io``); zero where the target is missing. With it,
    the per-task gradient with respect to ``U`` is ``V_o^T (D[:, o]^T X)``
    summed over the task's outputs: one GEMM for all tasks.
    """
    X, ptr, task, target, weight = data
    kind, start, count, _, scale2 = outputs
    U, V, b = params
    _score_derivatives(X, ptr, task, target, weight, kind, start, count, scale2, U, V, b, D)


@njit(parallel=True, **JIT_OPTIONS)
def _score_derivatives(X, ptr, task, target, weight, kind, start, count, scale2, U, V, b,
                       D):
    k = U.shape[0]
    max_out = max(1, V.shape[0])
    for i in prange(X.shape[0]):
        D[i, :] = 0.0
        z = np.empty(k)
        g = np.empty(max_out)
        _project(U, X[i], z)
        for e in range(ptr[i], ptr[i + 1]):
            t = task[e]
            out0 = start[t]
            _, nout = _entry_loss(kind[t], count[t], out0, scale2, target[e], V, b,
                                  z, g)
            for q in range(nout):
                D[i, out0 + q] = weight[e] * g[q]


# The parallel kernels take plain arrays: records unpacked inside a prange
# body made the epoch about 5% slower (measured against flat arguments).
@njit(**JIT_OPTIONS)
def accumulate_blocks(data, outputs, task_factor, rows, block_rows, params, work):
    """Per-block data-loss gradients of the samples ``X[rows]``.

    Block ``j`` (samples ``rows[j * block_rows:(j + 1) * block_rows]``) writes
    its gradient with respect to ``U``, ``V``, ``b`` into ``work.gU[j]`` etc.,
    weighted by each entry's weight times ``task_factor[task]``, and each
    task's unweighted loss sum (``sum weight * loss``) into ``work.loss[j]``.
    The blocks run on Numba's threads (the same numbers with any number of
    them; callers run small work on one, see ``single_thread``). Returns the
    number of blocks used.
    """
    X, ptr, task, target, weight = data
    kind, start, count, _, scale2 = outputs
    U, V, b = params
    gU_blocks, gV_blocks, gb_blocks, loss_blocks = work
    return _blocks_in_parallel(X, ptr, task, target, weight, kind, start, count, scale2,
                               task_factor, rows, block_rows, U, V, b, gU_blocks,
                               gV_blocks, gb_blocks, loss_blocks)


@njit(parallel=True, **JIT_OPTIONS)
def _blocks_in_parallel(X, ptr, task, target, weight, kind, start, count, scale2,
                        task_factor, rows, block_rows, U, V, b, gU_blocks, gV_blocks,
                        gb_blocks, loss_blocks):
    n_blocks = (rows.shape[0] + block_rows - 1) // block_rows
    for blk in prange(n_blocks):
        _block_gradient(blk, X, ptr, task, target, weight, kind, start, count, scale2,
                        task_factor, rows, block_rows, U, V, b, gU_blocks[blk],
                        gV_blocks[blk], gb_blocks[blk], loss_blocks[blk])
    return n_blocks


@njit(inline="always", **JIT_OPTIONS)
def _block_gradient(blk, X, ptr, task, target, weight, kind, start, count, scale2,
                    task_factor, rows, block_rows, U, V, b, gU, gV, gb, task_loss):
    """Block ``blk``'s gradient and task losses into its buffers."""
    n = rows.shape[0]
    k, d = U.shape
    max_out = max(1, V.shape[0])
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
        for e in range(ptr[i], ptr[i + 1]):
            t = task[e]
            out0 = start[t]
            loss, nout = _entry_loss(kind[t], count[t], out0, scale2, target[e],
                                     V, b, z, g)
            task_loss[t] += weight[e] * loss
            w = weight[e] * task_factor[t]
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


@njit(**JIT_OPTIONS)
def reduce_blocks(n_blocks, work, scale, grad, task_loss):
    """Sum the first ``n_blocks`` block buffers in block order, times ``scale``,
    into ``grad`` (a ``Params`` of gradient buffers).

    ``task_loss`` is accumulated (not scaled): it sums over an epoch. Serial:
    this is ``n_blocks`` passes over the parameters, small next to the
    minibatch's ``batch_size`` passes.
    Returns the sum of the gradient entries (non-finite on overflow).
    """
    gU, gV, gb = grad
    gU_blocks, gV_blocks, gb_blocks, loss_blocks = work
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
def adam_update(params, grad, moments, learning_rate, out_scale, l1_heads, fit_intercept,
                n_latent):
    """Adam step on all parameters; the lasso on the heads by its proximal step.

    With a lasso, the head update is the exact proximal step of
    ``l1_heads |sigma_o V_o|_1`` in Adam's diagonal metric
    ``eta_j = lr / sqrt(v_hat_j)``: soft-thresholding at
    ``eta_j * l1_heads * sigma_o`` per coordinate. The heads' columns from
    ``n_latent`` on are fixed (the shared component's): not stepped.
    """
    U, V, b = params
    gU, gV, gb = grad
    mU, vU, mV, vV, mb, vb, step_count = moments
    step_count[0] += 1
    lr_t, bias1 = _adam_step_size(learning_rate, step_count[0])
    k, d = U.shape
    for c in range(k):
        for j in range(d):
            U[c, j], mU[c, j], vU[c, j], _ = _adam_update(U[c, j], gU[c, j], mU[c, j],
                                                          vU[c, j], lr_t)
    for o in range(V.shape[0]):
        for c in range(n_latent):
            V[o, c], mV[o, c], vV[o, c] = _proximal_update(
                V[o, c], gV[o, c], mV[o, c], vV[o, c], lr_t, bias1, l1_heads, out_scale[o])
        if fit_intercept:
            b[o], mb[o], vb[o], _ = _adam_update(b[o], gb[o], mb[o], vb[o], lr_t)


@njit(**JIT_OPTIONS)
def run_epoch(data, outputs, task_factor, penalties, order, epoch_rows, batch_size,
              block_rows, learning_rate, fit_intercept, params, moments, work, task_loss):
    """Minibatches of ``batch_size`` over ``X[order]``: an epoch, or a part of
    one cut at a minibatch boundary (the caller runs long epochs in parts so
    that Ctrl-C is honoured between them).

    ``task_factor[t]`` is task ``t``'s weight in the objective; each minibatch
    gradient is scaled by ``epoch_rows / len(batch)`` so that it estimates the
    full gradient. ``task_loss`` accumulates each task's loss sum (before each
    batch's update). Returns ``DIVERGED`` (leaving the parameters as they were
    before the offending batch) if a gradient stops being finite.
    """
    n = order.shape[0]
    U, V, b = params
    grad = Params(np.empty_like(U), np.empty_like(V), np.empty_like(b))
    for start in range(0, n, batch_size):
        rows = order[start:min(n, start + batch_size)]
        n_blocks = accumulate_blocks(data, outputs, task_factor, rows, block_rows, params,
                                     work)
        check = reduce_blocks(n_blocks, work, epoch_rows / rows.shape[0], grad, task_loss)
        check += _penalties.add_smooth_penalties(U, V, b, outputs, penalties, grad.U,
                                                 grad.V, grad.b)
        if not np.isfinite(check):
            return DIVERGED
        adam_update(params, grad, moments, learning_rate, outputs.scale,
                    penalties.l1_heads, fit_intercept, penalties.n_latent)
    return OK
