"""The minibatch SGD epoch of ``_sgd_cpu`` on an NVIDIA GPU (numba-cuda).

Same model, objective, penalties, task weights, missing-target handling and
Adam / proximal step as the CPU kernels: the losses (``_losses``), the
penalties' per-coordinate pieces (``_penalties``) and the Adam update
(``_adam``) are the same Python functions compiled for the device, and the
kernels take the same records (``_model``).

Each minibatch is three launches:

1. ``_row_kernel``, one thread per sample of the batch: latent features
   ``z = U x``, each observed target's loss derivative ``D[r, o]`` (weighted
   by the entry's weight times ``task_factor[t]``), its back-projection
   ``GZ[r] = sum_o D[r, o] V_o``, and the task losses, accumulated per batch
   slot over the epoch;
2. ``_partial_kernel``, one thread per (block of rows, parameter): the data
   gradient ``gU = GZ^T X_batch``, ``gV = D^T Z``, ``gb = sum_r D[r]`` of each
   fixed block of ``_config.SGD_BLOCK_ROWS`` rows (the CPU's blocks);
3. ``_reduce_kernel``, one thread per parameter: the blocks' sums in block
   order, plus the ridge penalties (a single thread per parameter looping
   over the whole batch left an H100 almost idle: ~1 600 threads), then the
   parameter's Adam / proximal step; with a task graph, whose gradient is
   added on the host in between, the step is ``_adam_kernel`` instead.

No atomics: every sum runs in a fixed order, so a seed gives bit-identical
results on every run on the same GPU. The data are copied to the device once
per fit; the factors once per epoch each way (they are small).
"""
import math
from typing import NamedTuple

import numpy as np
from numba import cuda

from ... import _config
from .. import _penalties
from .._losses import compile_losses
from .._model import Data, Params
from . import _adam

_device = cuda.jit(device=True)
_single_output_loss, _multi_output_loss = compile_losses(_device)
_adam_update = _device(_adam.update)
_ridge = _device(_penalties.ridge)
_scaled_ridge = _device(_penalties.scaled_ridge)
_soft_threshold = _device(_penalties.soft_threshold)
_intercept_shrinkage = _device(_penalties.intercept_shrinkage)
_frozen_factor_row = _device(_penalties.frozen_factor_row)
_frozen_head_column = _device(_penalties.frozen_head_column)
_proximal_update = _device(_adam.proximal_update_with(_adam_update, _soft_threshold))


@cuda.jit
def _row_kernel(data, outputs, order, start, n_rows, task_factor, params, Z, D, GZ,
                loss_acc):
    r0 = cuda.grid(1)
    stride = cuda.gridsize(1)
    X = data.X
    U, V, b = params
    k, d = U.shape
    n_out = V.shape[0]
    for r in range(r0, n_rows, stride):
        i = order[start + r]
        for c in range(k):
            s = 0.0
            for j in range(d):
                s += U[c, j] * X[i, j]
            Z[r, c] = s
        for o in range(n_out):
            D[r, o] = 0.0
        for e in range(data.ptr[i], data.ptr[i + 1]):
            t = data.task[e]
            nout = outputs.count[t]
            if nout == 0:
                continue
            out0 = outputs.start[t]
            for q in range(nout):  # the task's scores, in D's row
                s = b[out0 + q]
                for c in range(k):
                    s += V[out0 + q, c] * Z[r, c]
                D[r, out0 + q] = s
            if nout == 1:
                loss, D[r, out0] = _single_output_loss(
                    outputs.kind[t], D[r, out0], data.target[e], outputs.scale2[out0])
            else:
                loss = _multi_output_loss(outputs.kind[t], D[r, out0:out0 + nout], nout,
                                          data.target[e])
            w = data.weight[e] * task_factor[t]
            for q in range(nout):
                D[r, out0 + q] *= w
            loss_acc[r, t] += data.weight[e] * loss
        for c in range(k):
            s = 0.0
            for o in range(n_out):
                s += D[r, o] * V[o, c]
            GZ[r, c] = s


@cuda.jit
def _partial_kernel(X, order, start, n_rows, block_rows, Z, D, GZ, partial):
    """``partial[blk, p]``: parameter ``p``'s data gradient summed over the rows of
    block ``blk`` of the minibatch (fixed blocks of ``block_rows``, as on the
    CPU). One thread per (block, parameter): enough threads to fill a GPU, and
    neighbouring threads read neighbouring features of one row of X."""
    k, d = Z.shape[1], X.shape[1]
    n_out = D.shape[1]
    n_params = partial.shape[1]
    n_blocks = (n_rows + block_rows - 1) // block_rows
    for idx in range(cuda.grid(1), n_blocks * n_params, cuda.gridsize(1)):
        blk = idx // n_params
        p = idx - blk * n_params
        r0 = blk * block_rows
        r1 = min(r0 + block_rows, n_rows)
        acc = 0.0
        if p < k * d:
            c = p // d
            j = p - c * d
            for r in range(r0, r1):
                acc += GZ[r, c] * X[order[start + r], j]
        elif p < k * d + n_out * k:
            q = p - k * d
            o = q // k
            c = q - o * k
            for r in range(r0, r1):
                acc += D[r, o] * Z[r, c]
        else:
            o = p - k * d - n_out * k
            for r in range(r0, r1):
                acc += D[r, o]
        partial[blk, p] = acc


class Structure(NamedTuple):
    """What the per-parameter kernels need of ``_penalties.PenaltyWeights``
    besides the head ridge and lasso: which entries are fixed, the ridge on
    the shared rows, and the intercept shrinkage (with each group's mean
    intercept, computed by ``_group_mean_kernel`` before the step)."""

    n_latent: int
    latent_frozen: bool
    l2_factor: float
    l2_shared: float
    l2_intercepts: float
    group: object
    offset: object
    group_mean: object


@cuda.jit
def _group_mean_kernel(b, out_scale, offset, group, group_mean):
    """Each group's mean intercept in user units (one thread per group; the
    intercepts are few). Launched before the step, so that no thread reads an
    intercept another one is updating."""
    for g in range(cuda.grid(1), group_mean.shape[0], cuda.gridsize(1)):
        total = 0.0
        count = 0.0
        for o in range(b.shape[0]):
            if group[o] == g:
                total += offset[o] + out_scale[o] * b[o]
                count += 1.0
        group_mean[g] = total / count if count > 0.0 else 0.0


@cuda.jit
def _reduce_kernel(partial, n_blocks, params, scale, structure, l2_heads, out_scale2, grad,
                   bad, update, moments, lr_t, bias1, out_scale, l1_heads, fit_intercept):
    """Each parameter's gradient: its blocks' partial sums in block order (the
    same result on every run), scaled, plus the smooth penalties of
    ``_penalties`` coordinate by coordinate (the fixed entries get none);
    with ``update``, followed at once by the parameter's Adam step (the
    thread that owns a parameter's gradient updates it: one launch per
    minibatch less, and launches, not arithmetic, bound a GPU epoch)."""
    U, V, b = params
    gU, gV, gb = grad
    k, d = U.shape
    n_out = V.shape[0]
    n_latent = structure.n_latent
    for p in range(cuda.grid(1), partial.shape[1], cuda.gridsize(1)):
        acc = 0.0
        for blk in range(n_blocks):
            acc += partial[blk, p]
        acc *= scale
        if p < k * d:
            c = p // d
            j = p - c * d
            if _frozen_factor_row(c, n_latent, structure.latent_frozen):
                acc = 0.0
            elif c < n_latent:
                acc += _ridge(U[c, j], structure.l2_factor)[1]
            else:
                acc += _ridge(U[c, j], structure.l2_shared)[1]
            gU[c, j] = acc
        elif p < k * d + n_out * k:
            q = p - k * d
            o = q // k
            c = q - o * k
            if _frozen_head_column(c, n_latent):
                acc = 0.0
            else:
                acc += _scaled_ridge(V[o, c], l2_heads, out_scale2[o])[1]
            gV[o, c] = acc
        else:
            o = p - k * d - n_out * k
            if structure.l2_intercepts != 0.0:
                acc += _intercept_shrinkage(b[o], out_scale[o], structure.offset[o],
                                            structure.group_mean[structure.group[o]],
                                            structure.l2_intercepts)[1]
            gb[o] = acc
        if not math.isfinite(acc):
            bad[0] = 1
        if update:
            _adam_parameter(p, params, grad, moments, lr_t, bias1, out_scale, l1_heads,
                            fit_intercept, n_latent)


@cuda.jit
def _add_kernel(target, addend):
    """``target += addend`` for 2-D arrays (the graph penalty's gradient)."""
    p0 = cuda.grid(1)
    stride = cuda.gridsize(1)
    rows, cols = target.shape
    for p in range(p0, rows * cols, stride):
        target[p // cols, p % cols] += addend[p // cols, p % cols]


@cuda.jit(device=True)
def _adam_parameter(p, params, grad, moments, lr_t, bias1, out_scale, l1_heads,
                    fit_intercept, n_latent):
    """The Adam / proximal update of parameter ``p`` (flat index over U, V, b);
    the fixed head columns (from ``n_latent`` on) are not stepped."""
    U, V, b = params
    gU, gV, gb = grad
    mU, vU, mV, vV, mb, vb, _ = moments
    k, d = U.shape
    n_out = V.shape[0]
    if p < k * d:
        c = p // d
        j = p - c * d
        U[c, j], mU[c, j], vU[c, j], _ = _adam_update(U[c, j], gU[c, j], mU[c, j],
                                                      vU[c, j], lr_t)
    elif p < k * d + n_out * k:
        q = p - k * d
        o = q // k
        c = q - o * k
        if _frozen_head_column(c, n_latent):
            return
        V[o, c], mV[o, c], vV[o, c] = _proximal_update(
            V[o, c], gV[o, c], mV[o, c], vV[o, c], lr_t, bias1, l1_heads, out_scale[o])
    elif fit_intercept:
        o = p - k * d - n_out * k
        b[o], mb[o], vb[o], _ = _adam_update(b[o], gb[o], mb[o], vb[o], lr_t)


@cuda.jit
def _adam_kernel(params, grad, moments, lr_t, bias1, out_scale, l1_heads, fit_intercept,
                 n_latent):
    for p in range(cuda.grid(1), grad.b.shape[0] + grad.U.size + grad.V.size,
                   cuda.gridsize(1)):
        _adam_parameter(p, params, grad, moments, lr_t, bias1, out_scale, l1_heads,
                        fit_intercept, n_latent)


_ROW_THREADS = 64  # threads per block of the per-sample kernel


def _launch(kernel, n_threads, *args, threads=None):
    threads = threads or _config.CUDA_THREADS_PER_BLOCK
    blocks = max(1, min(-(-n_threads // threads), 65535))
    kernel[blocks, threads](*args)


def _to_device(record):
    """A record (or tuple) of host arrays as the same of device arrays."""
    arrays = [cuda.to_device(np.ascontiguousarray(a)) for a in record]
    return type(record)(*arrays) if hasattr(record, "_fields") else tuple(arrays)


class DeviceProblem:
    """The data of a fit on the GPU, copied once (or taken as is if already there)."""

    def __init__(self, problem, batch_size):
        X = problem.X
        X = X if hasattr(X, "copy_to_host") else cuda.to_device(np.ascontiguousarray(X))
        data = problem.data
        self.data = Data(X, *_to_device(data[1:]))
        self.outputs = _to_device(problem.outputs)
        self.batch_size = batch_size
        self.n_outputs = problem.layout.n_outputs
        self.work = None

    def workspace(self, k, n_features):
        if self.work is None or self.work[0].shape[1] != k:
            B, n_out = self.batch_size, self.n_outputs
            n_blocks = -(-B // _config.SGD_BLOCK_ROWS)
            self.work = (
                cuda.device_array((B, k)), cuda.device_array((B, max(n_out, 1))),
                cuda.device_array((B, k)),
                Params(cuda.device_array((k, n_features)), cuda.device_array((n_out, k)),
                       cuda.device_array(n_out)),
                cuda.device_array((n_blocks, k * n_features + n_out * (k + 1))),
            )
        return self.work


def run_epoch(problem, device_problem, state, task_factor, order, batch_size,
              learning_rate):
    """One epoch of minibatch Adam on the GPU; updates ``state`` (host arrays) in
    place and returns each task's loss sum over the epoch, or None if a
    gradient stopped being finite (``state`` is then undefined: the caller
    restores it)."""
    layout, pen = problem.layout, problem.penalties
    dev = device_problem
    k, n_features = state.U.shape
    Z, D, GZ, grad, partial = dev.workspace(k, n_features)
    block_rows = _config.SGD_BLOCK_ROWS
    params = _to_device(state.params)
    moments = _to_device(state.moments)
    factor = cuda.to_device(np.ascontiguousarray(task_factor, dtype=np.float64))
    order_dev = cuda.to_device(np.ascontiguousarray(order, dtype=np.int64))
    loss_acc = cuda.to_device(np.zeros((batch_size, layout.n_tasks)))
    bad = cuda.to_device(np.zeros(1, dtype=np.int32))
    n = order.shape[0]
    n_params = k * n_features + layout.n_outputs * (k + 1)
    graph_on = pen.graph_weight != 0.0 and np.any(pen.graph)
    shrink = pen.l2_intercepts != 0.0 and layout.n_outputs > 0
    n_groups = max(1, pen.n_groups)
    structure = Structure(
        pen.n_latent, bool(pen.latent_frozen), pen.l2_factor, pen.l2_shared,
        pen.l2_intercepts if shrink else 0.0,
        *_to_device((np.asarray(pen.intercept_group, np.int64).reshape(-1),
                     np.asarray(pen.intercept_offset, np.float64).reshape(-1))),
        cuda.device_array(n_groups))
    if not shrink:  # never read, but must be valid arrays
        structure = structure._replace(group=cuda.to_device(np.zeros(1, np.int64)),
                                       offset=cuda.to_device(np.zeros(1)))
    step = int(state.step[0])
    for start in range(0, n, batch_size):
        rows = min(batch_size, n - start)
        # Small blocks spread a minibatch's rows over many multiprocessors.
        _launch(_row_kernel, rows, dev.data, dev.outputs, order_dev, start, rows, factor,
                params, Z, D, GZ, loss_acc, threads=_ROW_THREADS)
        n_blocks = -(-rows // block_rows)
        _launch(_partial_kernel, n_blocks * n_params, dev.data.X, order_dev, start, rows,
                block_rows, Z, D, GZ, partial)
        step += 1
        lr_t, bias1 = _adam.step_size(learning_rate, step)
        adam = (moments, lr_t, bias1, dev.outputs.scale, pen.l1_heads,
                bool(problem.fit_intercept))
        if shrink:
            _launch(_group_mean_kernel, n_groups, params.b, dev.outputs.scale,
                    structure.offset, structure.group, structure.group_mean)
        _launch(_reduce_kernel, n_params, partial, n_blocks, params, n / rows,
                structure, pen.l2_heads, dev.outputs.scale2, grad, bad, not graph_on,
                *adam)
        if graph_on:  # rare and small (k x d): on the host, by the CPU kernel
            extra_U, extra_V = np.zeros((k, n_features)), np.zeros(params.V.shape)
            _penalties.add_graph(params.U.copy_to_host(), params.V.copy_to_host(),
                                 layout.scale, layout.out_start, pen.graph,
                                 pen.graph_weight, extra_U, extra_V, 0.0)
            _penalties.freeze(extra_U, extra_V, pen.n_latent, pen.latent_frozen)
            _launch(_add_kernel, extra_U.size, grad.U, cuda.to_device(extra_U))
            _launch(_add_kernel, extra_V.size, grad.V, cuda.to_device(extra_V))
            _launch(_adam_kernel, n_params, params, grad, *adam, pen.n_latent)
    if bad.copy_to_host()[0]:
        return None
    for host, device in zip(state.params + state.moments[:-1], params + moments[:-1]):
        device.copy_to_host(host)
    state.step[0] = step
    return loss_acc.copy_to_host().sum(axis=0)


def affine(X, W, bias):
    """``X @ W.T + bias`` on the GPU (cuBLAS when CuPy or PyTorch is importable).

    ``X`` (host) travels in batches of ``_config.CUDA_SCORE_BATCH_ROWS`` rows,
    so inputs larger than GPU memory are scored; ``W`` is copied once.
    """
    from ...information._cuda import matmul_nt

    n = X.shape[0]
    out = np.empty((n, W.shape[0]))
    if n == 0:
        return out
    W_dev = cuda.to_device(np.ascontiguousarray(W, dtype=np.float64))
    rows = max(1, int(_config.CUDA_SCORE_BATCH_ROWS))
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        matmul_nt(np.ascontiguousarray(X[start:stop], dtype=np.float64), W_dev,
                  out[start:stop])
    out += bias
    return out
