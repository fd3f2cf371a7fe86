"""CUDA twins of the kernels in ``_cpu.py``: same names, arguments and meaning.

Each public name is a host-side launcher with the CPU kernel's signature. It
accepts NumPy arrays (copied to the GPU and back) or GPU arrays exposing
``__cuda_array_interface__`` (used in place; outputs stay on the GPU). A
two-input kernel also accepts a single row for either input, broadcast to
every row without a copy.

Conventions are those of the CPU kernels: ``0 log 0 = 0``, ``p > 0`` where
``q = 0`` gives ``+inf``, KL/JS clamped, float64 accumulation whatever the
input dtype, the same per-row ``status`` flags. Loops over rows and pairs
are grid-stride loops, so any launch size covers any input.

Importing this module needs numba's CUDA support (real or simulated); the
public API imports it only when a call resolves to ``device="cuda"``.
"""
import math

import numpy as np
from numba import cuda

from .. import _config
from .._backend import is_gpu_array
from ._status import BAD_SUM, NONFINITE, SECOND_INPUT_SHIFT, ZERO_SUM
from . import _rowcheck, _terms
from ._cpu import CROSS_ENTROPY, KL, SYMMETRIC_KL

_linear_verdict = cuda.jit(device=True)(_rowcheck.linear_verdict)
_log_verdict = cuda.jit(device=True)(_rowcheck.log_verdict)
_log_ratio = cuda.jit(device=True)(_terms.log_ratio)

_INF = math.inf
_LOG2 = math.log(2.0)

# The launchers compute on the GPU; the pairwise driver keeps scratch there.
ON_GPU = True


# --------------------------------------------------------------------------- #
# Device helpers                                                              #
# --------------------------------------------------------------------------- #
@cuda.jit(device=True)
def _row_index(X, i):
    """Row ``i`` of ``X``, or row 0 when ``X`` is a single broadcast row."""
    return i if X.shape[0] > 1 else 0


@cuda.jit(device=True)
def _linear_scale(X, r, normalize, check, tol):
    """(multiplier normalising row ``r`` of ``X``, status flags)."""
    if not (normalize or check):
        return 1.0, 0
    total = 0.0
    nonfinite = False
    negative = False
    for j in range(X.shape[1]):
        v = X[r, j]
        total += v
        nonfinite |= math.isnan(v) or math.isinf(v)
        negative |= v < 0.0
    return _linear_verdict(total, nonfinite, negative, normalize, check, tol)


@cuda.jit(device=True)
def _log_shift(X, r, normalize, check, tol):
    """(value subtracted from row ``r`` of log-probabilities ``X``, status)."""
    if not (normalize or check):
        return 0.0, 0
    top = -_INF
    for j in range(X.shape[1]):
        v = X[r, j]
        if check and (math.isnan(v) or v == _INF):
            return 0.0, NONFINITE
        top = max(top, v)
    if top == -_INF:
        return 0.0, ZERO_SUM if normalize else BAD_SUM
    total = 0.0
    for j in range(X.shape[1]):
        total += math.exp(X[r, j] - top)
    return _log_verdict(top, total, normalize, check, tol)


@cuda.jit(device=True)
def _row_norm(X, r, log_input, normalize, check, tol):
    """Multiplier (linear input) or shift (log input) of row ``r``, and status."""
    if log_input:
        return _log_shift(X, r, normalize, check, tol)
    return _linear_scale(X, r, normalize, check, tol)


@cuda.jit(device=True)
def _prob(v, norm, log_input):
    """The normalised probability of entry ``v`` (see ``_row_norm``)."""
    if log_input:
        return math.exp(v - norm)
    return v * norm


@cuda.jit(device=True)
def _logprob(v, norm, log_input):
    """log of the normalised probability of entry ``v`` (-inf for zero)."""
    if log_input:
        return v - norm
    x = v * norm
    return math.log(x) if x > 0.0 else -_INF


@cuda.jit(device=True)
def _clamp(value, upper):
    return min(max(value, 0.0), upper)


@cuda.jit(device=True)
def _js_terms(x, y):
    m = 0.5 * (x + y)
    tx = x * math.log(x / m) if x > 0.0 else 0.0
    ty = y * math.log(y / m) if y > 0.0 else 0.0
    return 0.5 * (tx + ty)


# --------------------------------------------------------------------------- #
# Row-wise kernels (one thread per row, grid-stride)                          #
# --------------------------------------------------------------------------- #
@cuda.jit
def _entropy_kernel(P, log_input, normalize, check, tol, scale, out, status):
    for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        norm, flags = _row_norm(P, i, log_input, normalize, check, tol)
        acc = 0.0
        for j in range(P.shape[1]):
            x = _prob(P[i, j], norm, log_input)
            if x > 0.0:
                acc -= x * _logprob(P[i, j], norm, log_input)
        status[i] = flags
        out[i] = max(acc, 0.0) * scale


_JS = 3  # metric code of the row-wise JS kernel (GEMM codes are 0-2)


@cuda.jit(device=True)
def _pair_term(metric, x, lx, y, ly):
    """One element's contribution to ``metric`` (CE, KL or _JS)."""
    if metric == _JS:
        return _js_terms(x, y)
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return _INF
    if metric == CROSS_ENTROPY:
        return -x * ly
    return x * (lx - ly)


@cuda.jit
def _two_input_kernel(metric, P, Q, log_input, normalize, check, tol, scale, out,
                      status):
    upper = _LOG2 if metric == _JS else _INF
    for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        rp = _row_index(P, i)
        rq = _row_index(Q, i)
        np_, fp = _row_norm(P, rp, log_input, normalize, check, tol)
        nq, fq = _row_norm(Q, rq, log_input, normalize, check, tol)
        acc = 0.0
        for j in range(P.shape[1]):
            x = _prob(P[rp, j], np_, log_input)
            y = _prob(Q[rq, j], nq, log_input)
            lx = _logprob(P[rp, j], np_, log_input)
            ly = _logprob(Q[rq, j], nq, log_input)
            acc += _pair_term(metric, x, lx, y, ly)
        status[i] = fp | (fq << SECOND_INPUT_SHIFT)
        out[i] = _clamp(acc, upper) * scale


# --------------------------------------------------------------------------- #
# Joint tables                                                                #
# --------------------------------------------------------------------------- #
@cuda.jit
def _joint_kernel(mutual, J, kx, ky, normalize, check, tol, scale, out, status):
    """H(X|Y) (mutual=False) or I(X;Y) (mutual=True) of every flattened table."""
    for t in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        mult, flags = _linear_scale(J, t, normalize, check, tol)
        acc = 0.0
        for x in range(kx):
            px = 0.0
            for y in range(ky):
                px += J[t, x * ky + y] * mult
            for y in range(ky):
                v = J[t, x * ky + y] * mult
                if v > 0.0:
                    py = 0.0
                    for x2 in range(kx):
                        py += J[t, x2 * ky + y] * mult
                    acc += v * (_log_ratio(v, px, py) if mutual else math.log(v / py))
        status[t] = flags
        out[t] = max(acc if mutual else -acc, 0.0) * scale


# --------------------------------------------------------------------------- #
# Pairwise                                                                    #
# --------------------------------------------------------------------------- #
@cuda.jit
def _prepare_kernel(X, log_input, normalize, check, tol, probs, logs, negentropy,
                    status):
    for i in range(cuda.grid(1), X.shape[0], cuda.gridsize(1)):
        norm, flags = _row_norm(X, i, log_input, normalize, check, tol)
        acc = 0.0
        for j in range(X.shape[1]):
            x = _prob(X[i, j], norm, log_input)
            lx = _logprob(X[i, j], norm, log_input) if x > 0.0 else 0.0
            probs[i, j] = x
            logs[i, j] = lx
            acc += x * lx
        negentropy[i] = acc
        status[i] = flags


@cuda.jit
def _matmul_nt_kernel(A, B, C):
    """C = A @ B.T with shared-memory tiles (used when no cuBLAS binding is
    importable)."""
    tile = cuda.shared.array((_config.CUDA_TILE, _config.CUDA_TILE + 1), dtype=np.float64)
    tile_b = cuda.shared.array((_config.CUDA_TILE, _config.CUDA_TILE + 1), dtype=np.float64)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    size = cuda.blockDim.x
    for i0 in range(cuda.blockIdx.y * size, C.shape[0], cuda.gridDim.y * size):
        for j0 in range(cuda.blockIdx.x * size, C.shape[1], cuda.gridDim.x * size):
            i = i0 + ty
            j = j0 + tx
            acc = 0.0
            for k0 in range(0, A.shape[1], size):
                k = k0 + tx
                tile[ty, tx] = A[i, k] if i < A.shape[0] and k < A.shape[1] else 0.0
                kb = k0 + ty
                jb = j0 + tx
                tile_b[ty, tx] = B[jb, kb] if jb < B.shape[0] and kb < B.shape[1] else 0.0
                cuda.syncthreads()
                for t in range(size):
                    acc += tile[ty, t] * tile_b[t, tx]
                cuda.syncthreads()
            if i < C.shape[0] and j < C.shape[1]:
                C[i, j] = acc


@cuda.jit(device=True)
def _direct_kl(P, i, Q, j):
    acc = 0.0
    for t in range(P.shape[1]):
        x = P[i, t]
        y = Q[j, t]
        if x > 0.0:
            if y > 0.0:
                ratio = x / y
                # 1 / 5e-324 overflows: then by logs, as on the CPU.
                acc += x * (math.log(ratio) if ratio < _INF else math.log(x) - math.log(y))
            else:
                acc += _INF
    return acc


@cuda.jit(device=True)
def _support_escapes(P, i, zero_idx, start, stop):
    for t in range(start, stop):
        if P[i, zero_idx[t]] > 0.0:
            return True
    return False


@cuda.jit
def _finish_kernel(metric, gemm, P, Q, neg_p, neg_q, zp_ptr, zp_idx, zq_ptr, zq_idx,
                   rtol, scale, out):
    inv_scale = 1.0 / scale
    i0, j0 = cuda.grid(2)
    step_i, step_j = cuda.gridsize(2)
    for i in range(i0, gemm.shape[0], step_i):
        a = neg_p[i]
        for j in range(j0, gemm.shape[1], step_j):
            value = gemm[i, j]
            nats = value * inv_scale
            if metric == KL:
                threshold = 2.0 * rtol * abs(a)
            elif metric == SYMMETRIC_KL:
                threshold = 2.0 * rtol * (abs(a) + abs(neg_q[j]))
            else:
                threshold = -1.0
            if nats <= threshold:
                nats = _direct_kl(P, i, Q, j)
                if metric == SYMMETRIC_KL:
                    nats += _direct_kl(Q, j, P, i)
                value = max(nats, 0.0) * scale
            # +inf nats in ``scale`` units (-inf for a base below 1), as on the CPU.
            if _support_escapes(P, i, zq_idx, zq_ptr[j], zq_ptr[j + 1]):
                value = _INF * scale
            if metric == SYMMETRIC_KL and _support_escapes(Q, j, zp_idx, zp_ptr[i],
                                                           zp_ptr[i + 1]):
                value = _INF * scale
            out[i, j] = value


@cuda.jit
def _js_kernel(P, Q, neg_p, neg_q, rtol, scale, out):
    """JS of every pair, P and Q rows staged through shared-memory tiles."""
    tile_p = cuda.shared.array((_config.CUDA_TILE, _config.CUDA_TILE + 1), dtype=np.float64)
    tile_q = cuda.shared.array((_config.CUDA_TILE, _config.CUDA_TILE + 1), dtype=np.float64)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    size = cuda.blockDim.x
    k = P.shape[1]
    for i0 in range(cuda.blockIdx.y * size, out.shape[0], cuda.gridDim.y * size):
        for j0 in range(cuda.blockIdx.x * size, out.shape[1], cuda.gridDim.x * size):
            i = i0 + ty
            j = j0 + tx
            acc = 0.0
            for k0 in range(0, k, size):
                # Row ty of this block's P tile and row tx of its Q tile, k0..k0+size.
                ip = i0 + ty
                jq = j0 + ty
                kk = k0 + tx
                tile_p[ty, tx] = P[ip, kk] if ip < P.shape[0] and kk < k else 0.0
                tile_q[ty, tx] = Q[jq, kk] if jq < Q.shape[0] and kk < k else 0.0
                cuda.syncthreads()
                for t in range(size):
                    m = 0.5 * (tile_p[ty, t] + tile_q[tx, t])
                    if m > 0.0:
                        acc += m * math.log(m)
                cuda.syncthreads()
            if i < out.shape[0] and j < out.shape[1]:
                half = 0.5 * (neg_p[i] + neg_q[j])
                value = half - acc
                if value <= rtol * (abs(half) + abs(acc)):
                    value = 0.0
                    for t in range(k):
                        value += _js_terms(P[i, t], Q[j, t])
                out[i, j] = _clamp(value, _LOG2) * scale


# --------------------------------------------------------------------------- #
# Host-side launchers                                                         #
# --------------------------------------------------------------------------- #
def _on_device(x):
    """A device view of ``x``: GPU arrays as they are, NumPy arrays copied over
    (a broadcast row of stride 0 travels as one row)."""
    if is_gpu_array(x):
        return cuda.as_cuda_array(x) if hasattr(x, "__cuda_array_interface__") else x
    x = np.asarray(x)
    if x.ndim == 2 and x.shape[0] > 1 and x.strides[0] == 0:
        x = x[:1]
    return cuda.to_device(np.ascontiguousarray(x))


def _outputs(*arrays):
    """Device arrays for ``arrays``: host ones are allocated on the device and
    copied back by ``_copy_back``."""
    return [a if is_gpu_array(a) else cuda.device_array(a.shape, a.dtype)
            for a in arrays]


def _copy_back(hosts, devices):
    for host, dev in zip(hosts, devices):
        if not is_gpu_array(host):
            dev.copy_to_host(host)


def _grid_1d(n):
    threads = _config.CUDA_THREADS_PER_BLOCK
    return max(1, min(math.ceil(n / threads), 65535)), threads


def _grid_2d(n, m):
    tile = _config.CUDA_TILE
    return ((max(1, min(math.ceil(m / tile), 65535)), max(1, min(math.ceil(n / tile), 65535))),
            (tile, tile))


def _launch_rows(kernel, leading, inputs, params, out, status):
    dev_inputs = [_on_device(x) for x in inputs]
    dev_out, dev_status = _outputs(out, status)
    blocks, threads = _grid_1d(out.shape[0])
    kernel[blocks, threads](*leading, *dev_inputs, *params, dev_out, dev_status)
    _copy_back((out, status), (dev_out, dev_status))


def rowwise_entropy(P, log_input, normalize, check, tol, scale, out, status):
    _launch_rows(_entropy_kernel, (), (P,), (log_input, normalize, check, tol, scale),
                 out, status)


def rowwise_cross_entropy(P, Q, log_input, normalize, check, tol, scale, out, status):
    _launch_rows(_two_input_kernel, (CROSS_ENTROPY,), (P, Q),
                 (log_input, normalize, check, tol, scale), out, status)


def rowwise_kl(P, Q, log_input, normalize, check, tol, scale, out, status):
    _launch_rows(_two_input_kernel, (KL,), (P, Q),
                 (log_input, normalize, check, tol, scale), out, status)


def rowwise_js(P, Q, log_input, normalize, check, tol, scale, out, status):
    _launch_rows(_two_input_kernel, (_JS,), (P, Q),
                 (log_input, normalize, check, tol, scale), out, status)


def joint_conditional_entropy(J, kx, ky, normalize, check, tol, scale, out, status):
    _launch_rows(_joint_kernel, (False,), (J,), (kx, ky, normalize, check, tol, scale),
                 out, status)


def joint_mutual_information(J, kx, ky, normalize, check, tol, scale, out, status):
    _launch_rows(_joint_kernel, (True,), (J,), (kx, ky, normalize, check, tol, scale),
                 out, status)


def prepare_rows(X, log_input, normalize, check, tol, probs, logs, negentropy, status):
    dev_X = _on_device(X)
    outputs = _outputs(probs, logs, negentropy, status)
    blocks, threads = _grid_1d(dev_X.shape[0])
    _prepare_kernel[blocks, threads](dev_X, log_input, normalize, check, tol, *outputs)
    _copy_back((probs, logs, negentropy, status), outputs)


def matmul_nt(A, B, out):
    """out = A @ B.T on the GPU: cuBLAS through CuPy or PyTorch when one is
    importable, else the tiled Numba kernel."""
    dev_A, dev_B = _on_device(A), _on_device(B)
    (dev_out,) = _outputs(out)
    if not _cublas_matmul_nt(dev_A, dev_B, dev_out):
        _matmul_nt_kernel[_grid_2d(*dev_out.shape)](dev_A, dev_B, dev_out)
    _copy_back((out,), (dev_out,))


def _cublas_matmul_nt(A, B, out):
    """cuBLAS product into ``out`` through CuPy or PyTorch; False if neither."""
    if _simulated():
        return False
    try:
        import cupy

        cupy.matmul(cupy.asarray(A), cupy.asarray(B).T, out=cupy.asarray(out))
        return True
    except ImportError:
        pass
    try:
        import torch

        t_out = torch.as_tensor(out, device="cuda")
        torch.matmul(torch.as_tensor(A, device="cuda"),
                     torch.as_tensor(B, device="cuda").T, out=t_out)
        return True
    except (ImportError, RuntimeError, TypeError):
        return False


def _simulated():
    from numba import config

    return bool(config.ENABLE_CUDASIM)


def to_device(x):
    """Move an operand used by every block to the GPU once."""
    return _on_device(x)


def empty(shape):
    """A float64 scratch array on the GPU."""
    return cuda.device_array(shape, np.float64)


def finish_gemm_block(metric, gemm, P, Q, neg_p, neg_q, zp_ptr, zp_idx, zq_ptr,
                      zq_idx, q_rows_with_zeros, rtol, scale, copy, out):
    dev = [_on_device(x) for x in (gemm, P, Q, neg_p, neg_q, zp_ptr, zp_idx,
                                   zq_ptr, zq_idx)]
    (dev_out,) = _outputs(out)
    _finish_kernel[_grid_2d(*dev_out.shape)](metric, *dev, rtol, scale, dev_out)
    _copy_back((out,), (dev_out,))


def pairwise_js_block(P, Q, neg_p, neg_q, rtol, scale, out):
    dev = [_on_device(x) for x in (P, Q, neg_p, neg_q)]
    (dev_out,) = _outputs(out)
    _js_kernel[_grid_2d(*dev_out.shape)](*dev, rtol, scale, dev_out)
    _copy_back((out,), (dev_out,))
