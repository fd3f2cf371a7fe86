"""Blocked driver of ``pairwise_divergence``.

The (n, m) result is produced in row blocks of at most
``_config.PAIRWISE_BLOCK_BYTES``: for the GEMM-form metrics each block is one
BLAS product (written straight into ``out`` when it is a C-ordered float64
array, a ``numpy.memmap`` included) finished in place by a kernel; "js" is a
direct kernel per block.
"""
from typing import NamedTuple

import numpy as np

from .. import _config
from .._backend import is_gpu_array
from . import _cpu

_METRIC_CODES = {
    "cross_entropy": _cpu.CROSS_ENTROPY,
    "kl": _cpu.KL,
    "symmetric_kl": _cpu.SYMMETRIC_KL,
}


class PreparedRows(NamedTuple):
    """One side of a pairwise problem, ready for the kernels."""

    probs: np.ndarray  # (n, k) float64, each row normalised
    logs: np.ndarray  # (n, k) float64, log p with 0 where p == 0
    negentropy: np.ndarray  # (n,) sum_j p_j log p_j
    status: np.ndarray  # (n,) uint8 validation flags
    zero_ptr: np.ndarray  # (n + 1,) CSR pointers into zero_idx
    zero_idx: np.ndarray  # columns where the row's probability is zero
    rows_with_zeros: np.ndarray  # rows that have at least one zero


def check_out(out, shape, dtype, inputs):
    """Validate a user-supplied ``out`` (or allocate one)."""
    if out is None:
        return np.empty(shape, dtype=dtype)
    if is_gpu_array(out):
        if tuple(out.shape) != shape or out.dtype not in (np.float32, np.float64):
            raise ValueError(f"out must be a float32/float64 GPU array of shape {shape}, "
                             f"got {tuple(out.shape)} {out.dtype}")
        return out
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array or memmap, got {type(out).__name__}")
    if out.shape != shape:
        raise ValueError(f"out has shape {out.shape}, expected {shape}")
    if out.dtype not in (np.float32, np.float64):
        raise TypeError(f"out must have dtype float32 or float64, got {out.dtype}")
    if not out.flags.writeable:
        raise ValueError("out is read-only")
    if any(np.shares_memory(out, a) for a in inputs):
        raise ValueError("out must not share memory with P or Q")
    return out


def prepare(kernels, X, log_input, normalize, check, tol):
    """Normalise and validate the rows of ``X`` (see ``_cpu.prepare_rows``);
    on the GPU the rows stay there (``_cuda.prepare``)."""
    if kernels.ON_GPU:
        return kernels.prepare(X, bool(log_input), bool(normalize), bool(check), tol)
    n, k = X.shape
    probs = np.empty((n, k))
    logs = np.empty((n, k))
    negentropy = np.empty(n)
    status = np.zeros(n, dtype=np.uint8)
    kernels.prepare_rows(X, bool(log_input), bool(normalize), bool(check), tol,
                         probs, logs, negentropy, status)
    return PreparedRows(probs, logs, negentropy, status, *zero_support(probs))


def zero_support(probs):
    """(CSR pointers, columns, rows having any) of the zero entries of ``probs``."""
    n = probs.shape[0]
    rows, cols = np.nonzero(probs == 0.0)
    zero_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=zero_ptr[1:])
    return zero_ptr, cols.astype(np.int64), np.flatnonzero(np.diff(zero_ptr))


def _rows(out, start, stop):
    """Rows ``start:stop`` of ``out`` as a plain ndarray (a memmap's rows
    too) or, for a GPU ``out``, as a device view."""
    block = out[start:stop]
    return block if is_gpu_array(out) else np.asarray(block)


def rows_per_block(n, m, n_buffers, budget=None):
    """Rows of the result per block so that the blocks fit the memory budget."""
    budget = _config.PAIRWISE_BLOCK_BYTES if budget is None else budget
    row_bytes = 8 * max(m, 1) * max(n_buffers, 1)
    return int(min(n, max(1, budget // row_bytes)))


def gemm_operands(metric, P, Q, scale):
    """Left and right factors whose product is the divergence in ``scale`` units.

    KL(P_i||Q_j) = sum p log p - P_i . log Q_j = [P | a] . [-log Q | 1];
    cross-entropy drops the negentropy column; symmetric KL adds the reverse
    direction [1 | -log P] . [b | Q]. Folding everything into one product
    leaves the finishing pass almost read-only.
    """
    n, m = len(P.probs), len(Q.probs)
    if metric == "cross_entropy":
        return P.probs, Q.logs * -scale
    if metric == "kl":
        left = np.hstack([P.probs, P.negentropy[:, None]])
        right = np.hstack([-Q.logs, np.ones((m, 1))])
    else:
        left = np.hstack([P.probs, P.negentropy[:, None], np.ones((n, 1)), -P.logs])
        right = np.hstack([-Q.logs, np.ones((m, 1)), Q.negentropy[:, None], Q.probs])
    right *= scale
    return left, right


def compute(kernels, metric, P, Q, scale, out):
    """Fill ``out[i, j] = metric(P_i, Q_j)`` block by block."""
    n, m = out.shape
    rtol = _config.CANCELLATION_RTOL
    # GPU memory is spent on scratch blocks more freely: fewer, larger launches.
    budget = _config.CUDA_PAIRWISE_BLOCK_BYTES if kernels.ON_GPU else None
    if metric == "js":
        block = rows_per_block(n, m, 1, budget)
        Q_probs = kernels.to_device(Q.probs)
        for start in range(0, n, block):
            stop = min(n, start + block)
            kernels.pairwise_js_block(P.probs[start:stop], Q_probs,
                                      P.negentropy[start:stop], Q.negentropy,
                                      rtol, scale, _rows(out, start, stop))
        return
    if kernels.ON_GPU:
        left, right = kernels.gemm_operands(_METRIC_CODES[metric], P, Q, scale)
    else:
        left, right = gemm_operands(metric, P, Q, scale)
    # The product goes straight into ``out`` when the GEMM can write there;
    # otherwise (float32 or non-C-ordered ``out``, or a host ``out`` of a GPU
    # computation) through a float64 scratch block on the computing device.
    in_place = out.dtype == np.float64 and (
        is_gpu_array(out) if kernels.ON_GPU else out.flags.c_contiguous)
    block = rows_per_block(n, m, 1, budget)
    buffer = None if in_place else kernels.empty((block, m))
    for start in range(0, n, block):
        stop = min(n, start + block)
        target = _rows(out, start, stop)
        product = target if in_place else buffer[: stop - start]
        kernels.matmul_nt(left[start:stop], right, product)
        kernels.finish_gemm_block(
            _METRIC_CODES[metric], product, P.probs[start:stop], Q.probs,
            P.negentropy[start:stop], Q.negentropy, P.zero_ptr[start:stop + 1],
            P.zero_idx, Q.zero_ptr, Q.zero_idx, Q.rows_with_zeros, rtol, scale,
            not in_place, target)
