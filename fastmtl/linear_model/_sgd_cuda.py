"""The minibatch SGD epoch of ``_sgd_cpu`` on an NVIDIA GPU (numba-cuda).

Same model, objective, penalties, task weights, missing-target handling and
Adam / proximal step as the CPU kernels (see ``_sgd_cpu``); the scalar
pieces (losses, Adam, soft threshold) are the same Python functions
(``_scalar``) compiled for the device.

Each minibatch is three launches:

1. ``_row_kernel``, one thread per sample of the batch: latent features
   ``z = U x``, each observed target's loss derivative ``D[r, o]`` (weighted
   by ``sample_weight / W_t * lambda_t / T``), its back-projection
   ``GZ[r] = sum_o D[r, o] V_o``, and the task losses, accumulated per batch
   slot over the epoch;
2. ``_reduce_kernel``, one thread per parameter: ``gU = GZ^T X_batch``,
   ``gV = D^T Z``, ``gb = sum_r D[r]`` summed over the batch rows in their
   order, plus the ridge penalties;
3. ``_adam_kernel``, one thread per parameter: the Adam / proximal update.

No atomics: every sum runs in a fixed order, so a seed gives bit-identical
results on every run on the same GPU. The data are copied to the device once
per fit; the factors once per epoch each way (they are small).
"""
import math

import numpy as np
from numba import cuda

from .. import _config
from . import _scalar
from ._scalar import CONSTANT, SOFTMAX

_single_output_loss = cuda.jit(device=True)(_scalar.single_output_loss)
_adam = cuda.jit(device=True)(_scalar.adam)
_soft_threshold = cuda.jit(device=True)(_scalar.soft_threshold)


@cuda.jit
def _row_kernel(X, order, start, n_rows, obs_ptr, obs_task, obs_target, obs_weight,
                task_kind, task_out, task_nout, out_scale2, task_factor, U, V, b,
                Z, D, GZ, loss_acc):
    r0 = cuda.grid(1)
    stride = cuda.gridsize(1)
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
        for e in range(obs_ptr[i], obs_ptr[i + 1]):
            t = obs_task[e]
            kind = task_kind[t]
            if kind == CONSTANT:
                continue
            out0 = task_out[t]
            w = obs_weight[e] * task_factor[t]
            if kind == SOFTMAX:
                nout = task_nout[t]
                top = -math.inf
                for q in range(nout):  # scores, in D's row as scratch
                    s = b[out0 + q]
                    for c in range(k):
                        s += V[out0 + q, c] * Z[r, c]
                    D[r, out0 + q] = s
                    top = max(top, s)
                total = 0.0
                for q in range(nout):
                    D[r, out0 + q] = math.exp(D[r, out0 + q] - top)
                    total += D[r, out0 + q]
                label = int(obs_target[e])
                loss = math.log(total) - math.log(D[r, out0 + label])
                for q in range(nout):
                    g = D[r, out0 + q] / total - (1.0 if q == label else 0.0)
                    D[r, out0 + q] = w * g
            else:
                s = b[out0]
                for c in range(k):
                    s += V[out0, c] * Z[r, c]
                loss, g = _single_output_loss(kind, s, obs_target[e], out_scale2[out0])
                D[r, out0] = w * g
            loss_acc[r, t] += obs_weight[e] * loss
        for c in range(k):
            s = 0.0
            for o in range(n_out):
                s += D[r, o] * V[o, c]
            GZ[r, c] = s


@cuda.jit
def _reduce_kernel(X, order, start, n_rows, Z, D, GZ, U, V, scale, alpha_u, alpha_v,
                   out_scale2, gU, gV, gb, bad):
    p0 = cuda.grid(1)
    stride = cuda.gridsize(1)
    k, d = U.shape
    n_out = V.shape[0]
    n_params = k * d + n_out * k + n_out
    for p in range(p0, n_params, stride):
        acc = 0.0
        if p < k * d:
            c, j = p // d, p % d
            for r in range(n_rows):
                acc += GZ[r, c] * X[order[start + r], j]
            acc = acc * scale + alpha_u * U[c, j]
            gU[c, j] = acc
        elif p < k * d + n_out * k:
            q = p - k * d
            o, c = q // k, q % k
            for r in range(n_rows):
                acc += D[r, o] * Z[r, c]
            acc = acc * scale + alpha_v * out_scale2[o] * V[o, c]
            gV[o, c] = acc
        else:
            o = p - k * d - n_out * k
            for r in range(n_rows):
                acc += D[r, o]
            acc *= scale
            gb[o] = acc
        if not math.isfinite(acc):
            bad[0] = 1


@cuda.jit
def _add_kernel(target, addend):
    """``target += addend`` for 2-D arrays (the graph penalty's gradient)."""
    p0 = cuda.grid(1)
    stride = cuda.gridsize(1)
    rows, cols = target.shape
    for p in range(p0, rows * cols, stride):
        target[p // cols, p % cols] += addend[p // cols, p % cols]


@cuda.jit
def _adam_kernel(U, V, b, gU, gV, gb, mU, vU, mV, vV, mb, vb, lr_t, bias1, beta1,
                 beta2, eps, out_scale, l1_v, fit_intercept):
    p0 = cuda.grid(1)
    stride = cuda.gridsize(1)
    k, d = U.shape
    n_out = V.shape[0]
    for p in range(p0, k * d + n_out * k + n_out, stride):
        if p < k * d:
            c, j = p // d, p % d
            U[c, j], mU[c, j], vU[c, j], _ = _adam(U[c, j], gU[c, j], mU[c, j],
                                                   vU[c, j], lr_t, beta1, beta2, eps)
        elif p < k * d + n_out * k:
            q = p - k * d
            o, c = q // k, q % k
            new, mV[o, c], vV[o, c], step = _adam(V[o, c], gV[o, c], mV[o, c],
                                                  vV[o, c], lr_t, beta1, beta2, eps)
            if l1_v != 0.0:
                new = _soft_threshold(new, step * bias1 * l1_v * out_scale[o])
            V[o, c] = new
        elif fit_intercept:
            o = p - k * d - n_out * k
            b[o], mb[o], vb[o], _ = _adam(b[o], gb[o], mb[o], vb[o], lr_t, beta1,
                                          beta2, eps)


def _launch(kernel, n_threads, *args):
    threads = _config.CUDA_THREADS_PER_BLOCK
    blocks = max(1, min(-(-n_threads // threads), 65535))
    kernel[blocks, threads](*args)


class DeviceProblem:
    """The data of a fit on the GPU, copied once (or taken as is if already there)."""

    def __init__(self, problem, batch_size):
        layout, obs = problem.layout, problem.obs
        X = problem.X
        self.X = X if hasattr(X, "copy_to_host") else cuda.to_device(np.ascontiguousarray(X))
        self.obs = tuple(cuda.to_device(a) for a in (obs.ptr, obs.task, obs.target,
                                                      obs.weight))
        self.layout = tuple(cuda.to_device(np.ascontiguousarray(a)) for a in (
            layout.kind, layout.out_start, layout.n_out, problem.out_scale2))
        self.out_scale = cuda.to_device(np.ascontiguousarray(layout.scale))
        self.batch_size = batch_size
        self.n_outputs = layout.n_outputs
        self.work = None

    def workspace(self, k, n_features):
        if self.work is None or self.work[0].shape[1] != k:
            B, n_out = self.batch_size, self.n_outputs
            self.work = (
                cuda.device_array((B, k)), cuda.device_array((B, max(n_out, 1))),
                cuda.device_array((B, k)), cuda.device_array((k, n_features)),
                cuda.device_array((n_out, k)), cuda.device_array(n_out),
            )
        return self.work


def run_epoch(problem, device_problem, state, task_factor, order, batch_size,
              learning_rate):
    """One epoch of minibatch Adam on the GPU; updates ``state`` (host arrays) in
    place and returns each task's loss sum over the epoch, or None if a
    gradient stopped being finite (``state`` is then undefined: the caller
    restores it)."""
    from ._sgd_cpu import ADAM_BETA1, ADAM_BETA2, ADAM_EPS, add_penalty_gradients

    layout, pen = problem.layout, problem.penalties
    dev = device_problem
    k, n_features = state.U.shape
    Z, D, GZ, gU, gV, gb = dev.workspace(k, n_features)
    params = {name: cuda.to_device(getattr(state, name)) for name in
              ("U", "V", "b", "mU", "vU", "mV", "vV", "mb", "vb")}
    U, V, b = params["U"], params["V"], params["b"]
    factor = cuda.to_device(np.ascontiguousarray(task_factor, dtype=np.float64))
    order_dev = cuda.to_device(np.ascontiguousarray(order, dtype=np.int64))
    loss_acc = cuda.to_device(np.zeros((batch_size, layout.n_tasks)))
    bad = cuda.to_device(np.zeros(1, dtype=np.int32))
    n = order.shape[0]
    n_params = k * n_features + layout.n_outputs * (k + 1)
    graph_on = pen.graph_penalty != 0.0 and np.any(pen.graph)
    step = int(state.step[0])
    for start in range(0, n, batch_size):
        rows = min(batch_size, n - start)
        _launch(_row_kernel, rows, dev.X, order_dev, start, rows, *dev.obs, *dev.layout,
                factor, U, V, b, Z, D, GZ, loss_acc)
        _launch(_reduce_kernel, n_params, dev.X, order_dev, start, rows, Z, D, GZ, U, V,
                n / rows, pen.alpha_u, pen.alpha_v, dev.layout[3], gU, gV, gb, bad)
        if graph_on:  # rare and small (k x d): on the host, by the CPU kernel
            extra_U, extra_V = np.zeros((k, n_features)), np.zeros(V.shape)
            add_penalty_gradients(U.copy_to_host(), V.copy_to_host(), layout.scale,
                                  problem.out_scale2, layout.out_start, pen.graph,
                                  pen.graph_penalty, 0.0, 0.0, extra_U, extra_V)
            _launch(_add_kernel, extra_U.size, gU, cuda.to_device(extra_U))
            _launch(_add_kernel, extra_V.size, gV, cuda.to_device(extra_V))
        step += 1
        bias1 = 1.0 - ADAM_BETA1 ** step
        lr_t = learning_rate * math.sqrt(1.0 - ADAM_BETA2 ** step) / bias1
        _launch(_adam_kernel, n_params, U, V, b, gU, gV, gb, params["mU"], params["vU"],
                params["mV"], params["vV"], params["mb"], params["vb"], lr_t, bias1,
                ADAM_BETA1, ADAM_BETA2, ADAM_EPS, dev.out_scale, pen.l1_v,
                bool(problem.fit_intercept))
    if bad.copy_to_host()[0]:
        return None
    for name, array in params.items():
        array.copy_to_host(getattr(state, name))
    state.step[0] = step
    return loss_acc.copy_to_host().sum(axis=0)


def affine(X, W, bias):
    """``X @ W.T + bias`` on the GPU (cuBLAS when CuPy or PyTorch is importable).

    ``X`` (host) travels in batches of ``_config.CUDA_SCORE_BATCH_ROWS`` rows,
    so inputs larger than GPU memory are scored; ``W`` is copied once.
    """
    from ..information._cuda import matmul_nt

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
