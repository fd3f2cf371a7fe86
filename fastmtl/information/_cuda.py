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
from numba import config, cuda

from .. import _config, _gpu
from .._backend import is_gpu_array
from ._status import BAD_SUM, NONFINITE, SECOND_INPUT_SHIFT, ZERO_SUM
from . import _rowcheck, _terms
from ._cpu import CROSS_ENTROPY, KL, SYMMETRIC_KL, contiguous_rows

_linear_verdict = cuda.jit(device=True)(_rowcheck.linear_verdict)
_log_verdict = cuda.jit(device=True)(_rowcheck.log_verdict)
_needs_huge_rescale = cuda.jit(device=True)(_rowcheck.needs_huge_rescale)
_RESCALE_HUGE = _rowcheck.RESCALE_HUGE
_log_ratio = cuda.jit(device=True)(_terms.log_ratio)
_kl_term = cuda.jit(device=True)(_terms.kl_term)
_js_term = cuda.jit(device=True)(_terms.js_term)
_RTOL = _config.CANCELLATION_RTOL

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


# --------------------------------------------------------------------------- #
# Row-wise kernels: a group of ``width`` threads per row                      #
# --------------------------------------------------------------------------- #
# A thread per row made neighbouring threads read addresses a whole row apart
# (uncoalesced: 0.29 of the copy bandwidth on an H100). A group of ``width``
# consecutive threads (a power of two up to a warp, at most the row length)
# reads one row in coalesced strides and sums it by a fixed shared-memory tree,
# so a row's result is the same on every run. Every thread of a block runs the
# same number of loop iterations (rows past the end are computed on a clamped
# row and not written), so the block-wide barriers of the tree are reached by
# all threads. Warp shuffles would save the barriers but the CUDA simulator,
# which runs these kernels in CI, has none.
_BLOCK = 1024  # upper bound of the threads per block; sizes the scratch
# Upper bound of the 2-D kernels' tile width (``_config.CUDA_TILE``): shared
# arrays need a shape known when the kernel compiles; the loops use blockDim.
_TILE_MAX = 32
_TILE_PAD = _TILE_MAX + 1  # a padded row of a tile: no shared-memory bank conflicts


@cuda.jit(device=True)
def _tree_sums(a, b, c, sa, sb, sc, tid, width):
    """(sum a, sum b, sum c) over the ``width`` threads of this thread's group,
    by a shared-memory tree; every thread of the block must call it."""
    sa[tid] = a
    sb[tid] = b
    sc[tid] = c
    cuda.syncthreads()
    offset = width // 2
    while offset > 0:
        if tid % width < offset:
            sa[tid] += sa[tid + offset]
            sb[tid] += sb[tid + offset]
            sc[tid] += sc[tid + offset]
        cuda.syncthreads()
        offset //= 2
    head = tid - tid % width
    a, b, c = sa[head], sb[head], sc[head]
    cuda.syncthreads()  # everyone has read before the scratch is reused
    return a, b, c


@cuda.jit(device=True)
def _tree_max(a, sa, tid, width):
    """max of ``a`` over this thread's group (NaN-free inputs)."""
    sa[tid] = a
    cuda.syncthreads()
    offset = width // 2
    while offset > 0:
        if tid % width < offset:
            sa[tid] = max(sa[tid], sa[tid + offset])
        cuda.syncthreads()
        offset //= 2
    a = sa[tid - tid % width]
    cuda.syncthreads()
    return a


@cuda.jit(device=True)
def _shuffle_sums(a, b, c, sa, sb, sc, tid, width):
    """``_tree_sums`` by warp shuffles: the same pairs added in the same order
    (lane l and lane l ^ offset, offsets width/2 .. 1; a + b == b + a), so the
    same bits, without shared memory or block-wide barriers."""
    offset = width // 2
    while offset > 0:
        a += cuda.shfl_xor_sync(_FULL_MASK, a, offset)
        b += cuda.shfl_xor_sync(_FULL_MASK, b, offset)
        c += cuda.shfl_xor_sync(_FULL_MASK, c, offset)
        offset //= 2
    return a, b, c


@cuda.jit(device=True)
def _shuffle_max(a, sa, tid, width):
    offset = width // 2
    while offset > 0:
        a = max(a, cuda.shfl_xor_sync(_FULL_MASK, a, offset))
        offset //= 2
    return a


@cuda.jit(device=True)
def _group_layout(width):
    """(scratch of the tree sums, thread in block, lane in its group, groups
    per block) of a kernel run by groups of ``width`` threads per row."""
    sa = cuda.shared.array(_SCRATCH, dtype=np.float64)
    sb = cuda.shared.array(_SCRATCH, dtype=np.float64)
    sc = cuda.shared.array(_SCRATCH, dtype=np.float64)
    tid = cuda.threadIdx.x
    return sa, sb, sc, tid, tid % width, cuda.blockDim.x // width


_FULL_MASK = 0xFFFFFFFF
# The CUDA simulator (CI) has no warp shuffles: it runs the shared-memory
# tree, which gives the same sums; a real GPU runs the shuffles (measured 2x
# faster on an H100: the tree's barriers stalled rows of 128 entries).
if config.ENABLE_CUDASIM:
    _group_sums, _group_max = _tree_sums, _tree_max
    _SCRATCH = _BLOCK
else:
    _group_sums, _group_max = _shuffle_sums, _shuffle_max
    _SCRATCH = 1  # the shuffles need no shared memory


@cuda.jit(device=True)
def _group_norm(X, r, lane, width, tid, sa, sb, sc, log_input, normalize, check, tol):
    """(norm, aux, status flags) normalising row ``r`` of ``X``, computed by the
    row's group of threads: a linear entry is ``(x * aux) * norm`` (see
    ``_rowcheck.linear_verdict``), a log entry ``(x - norm) - aux`` (see
    ``_rowcheck.log_verdict``); ``_prob`` and ``_logprob`` apply them."""
    if not (normalize or check):
        return (0.0 if log_input else 1.0), (0.0 if log_input else 1.0), 0
    k = X.shape[1]
    if not log_input:
        total = 0.0
        nonfinite = 0.0
        negative = 0.0
        for j in range(lane, k, width):
            v = X[r, j]
            total += v
            nonfinite += 1.0 if (math.isnan(v) or math.isinf(v)) else 0.0
            negative += 1.0 if v < 0.0 else 0.0
        total, nonfinite, negative = _group_sums(total, nonfinite, negative, sa, sb, sc,
                                                 tid, width)
        pre = 1.0
        if _needs_huge_rescale(total, nonfinite > 0.0, normalize):  # rare: sum again
            pre = _RESCALE_HUGE
            total = 0.0
            for j in range(lane, k, width):
                total += X[r, j] * pre
            total, _, _ = _group_sums(total, 0.0, 0.0, sa, sb, sc, tid, width)
        pre, mult, flags = _linear_verdict(total, pre, nonfinite > 0.0, negative > 0.0,
                                           normalize, check, tol)
        return mult, pre, flags
    top = -_INF
    bad = 0.0
    for j in range(lane, k, width):
        v = X[r, j]
        if math.isnan(v) or v == _INF:
            bad += 1.0
        else:
            top = max(top, v)
    top = _group_max(top, sa, tid, width)
    total = 0.0
    if top > -_INF:
        for j in range(lane, k, width):
            v = X[r, j]
            if not math.isnan(v):
                total += math.exp(v - top)
    total, bad, _ = _group_sums(total, bad, 0.0, sa, sb, sc, tid, width)
    if check and bad > 0.0:
        return 0.0, 0.0, NONFINITE
    if bad > 0.0:  # unchecked NaN/inf input: any shift, the result is NaN anyway
        return 0.0, 0.0, 0
    if top == -_INF:
        return 0.0, 0.0, ZERO_SUM if normalize else BAD_SUM
    return _log_verdict(top, total, normalize, check, tol)


@cuda.jit(device=True)
def _prob(v, norm, aux, log_input):
    """The normalised probability of entry ``v`` (see ``_group_norm``)."""
    if log_input:
        return math.exp((v - norm) - aux)
    return (v * aux) * norm


@cuda.jit(device=True)
def _logprob(v, norm, aux, log_input):
    """log of the normalised probability of entry ``v`` (-inf for zero)."""
    if log_input:
        return (v - norm) - aux
    x = (v * aux) * norm
    return math.log(x) if x > 0.0 else -_INF


@cuda.jit(device=True)
def _clamp(value, upper):
    return min(max(value, 0.0), upper)


@cuda.jit(device=True)
def _js_terms(x, y):
    m = 0.5 * (x + y)
    if m < 0.0:  # negative (invalid, flagged) input: NaN as on a GPU, no domain error
        return math.nan
    tx = x * math.log(x / m) if x > 0.0 else 0.0
    ty = y * math.log(y / m) if y > 0.0 else 0.0
    return 0.5 * (tx + ty)


_JS = 3  # metric code of the row-wise JS kernel (GEMM codes are 0-2)
_ENTROPY = 4  # metric code of entropy (one input)


@cuda.jit(device=True)
def _pair_term(metric, x, y, lx, ly, have_logs):
    """One element's contribution to ``metric`` from probabilities ``x``, ``y``
    and, with ``have_logs``, their logs (log input). Otherwise with one log
    where one suffices: double-precision logs bound these kernels on a GPU."""
    if metric == _JS:
        return _js_terms(x, y)
    if x <= 0.0:
        return 0.0
    if metric == _ENTROPY:
        return -x * (lx if have_logs else math.log(x))
    if y <= 0.0:
        return _INF
    if metric == CROSS_ENTROPY:
        return -x * (ly if have_logs else math.log(y))
    # KL's x log(x / y); the kernel adds the linear parts y - x apart.
    if have_logs:
        return x * (lx - ly)
    ratio = x / y
    if 0.0 < ratio < _INF:
        return x * math.log(ratio)
    return x * (math.log(x) - math.log(y))  # 1 / 5e-324 overflows: by logs, as on the CPU


@cuda.jit
def _rowwise_kernel(metric, P, Q, width, log_input, normalize, check, tol, scale, out,
                    status, flagged):
    """``metric`` of row i of P (and of Q; Q is ignored for entropy) for every row:
    ``out[i]`` in ``scale`` units, ``status[i]`` its flags, ``flagged[0] = 1``
    when any row is flagged (so the host reads the status only then)."""
    sa, sb, sc, tid, lane, groups = _group_layout(width)
    n = out.shape[0]
    k = P.shape[1]
    upper = _LOG2 if metric == _JS else _INF
    two = metric != _ENTROPY
    for first in range(cuda.blockIdx.x * groups, n, cuda.gridDim.x * groups):
        i = first + tid // width
        row = min(i, n - 1)  # rows past the end: computed, not written
        rp = _row_index(P, row)
        rq = _row_index(Q, row)
        np_, sp, fp = _group_norm(P, rp, lane, width, tid, sa, sb, sc, log_input,
                                  normalize, check, tol[0])
        nq, sq, fq = 1.0, 1.0, 0
        if two:
            nq, sq, fq = _group_norm(Q, rq, lane, width, tid, sa, sb, sc, log_input,
                                     normalize, check, tol[1])
        acc = 0.0
        linear = 0.0  # KL's y - x, summed apart (as on the CPU)
        mass = 0.0
        for j in range(lane, k, width):
            if log_input:
                lx = (P[rp, j] - np_) - sp
                ly = (Q[rq, j] - nq) - sq if two else 0.0
                x = math.exp(lx)
                y = math.exp(ly) if two else 0.0
                acc += _pair_term(metric, x, y, lx, ly, True)
            else:
                x = (P[rp, j] * sp) * np_
                y = (Q[rq, j] * sq) * nq if two else 0.0
                acc += _pair_term(metric, x, y, 0.0, 0.0, False)
            mass += x + y
            linear += y - x
        acc, mass, linear = _group_sums(acc, mass, linear, sa, sb, sc, tid, width)
        if metric == KL:
            acc += linear
        if metric == KL or metric == _JS:
            # A divergence small next to the rows' mass has lost digits
            # (near-identical rows): summed again entry by entry, as on the
            # CPU. ``metric`` is the same for the whole grid and ``again``
            # for the whole group, so every thread reaches the sums.
            again = acc <= _RTOL * mass
            fine = 0.0
            if again:
                for j in range(lane, k, width):
                    if log_input:
                        x = math.exp((P[rp, j] - np_) - sp)
                        y = math.exp((Q[rq, j] - nq) - sq)
                    else:
                        x = (P[rp, j] * sp) * np_
                        y = (Q[rq, j] * sq) * nq
                    fine += _kl_term(x, y) if metric == KL else _js_term(x, y)
            fine, _, _ = _group_sums(fine, 0.0, 0.0, sa, sb, sc, tid, width)
            if again:
                acc = fine
        if lane == 0 and i < n:
            flags = fp | (fq << SECOND_INPUT_SHIFT)
            status[i] = flags
            if flags:
                flagged[0] = 1
            out[i] = _clamp(acc, upper) * scale


@cuda.jit(device=True)
def _linear_scale(X, r, normalize, check, tol):
    """(pre, mult, status flags) normalising row ``r`` of ``X``, by one thread:
    an entry normalised is ``(v * pre) * mult``."""
    if not (normalize or check):
        return 1.0, 1.0, 0
    total = 0.0
    nonfinite = False
    negative = False
    for j in range(X.shape[1]):
        v = X[r, j]
        total += v
        nonfinite |= math.isnan(v) or math.isinf(v)
        negative |= v < 0.0
    pre = 1.0
    if _needs_huge_rescale(total, nonfinite, normalize):  # rare: sum again
        pre = _RESCALE_HUGE
        total = 0.0
        for j in range(X.shape[1]):
            total += X[r, j] * pre
    return _linear_verdict(total, pre, nonfinite, negative, normalize, check, tol)


# --------------------------------------------------------------------------- #
# Joint tables                                                                #
# --------------------------------------------------------------------------- #
@cuda.jit(device=True)
def _joint_sum(J, t, pre, mult, base, count, stride):
    """Sum of ``count`` cells of table ``t`` from ``base`` in steps of
    ``stride``, normalised as the cells are: p(x) is ``(x * ky, ky, 1)``,
    p(y) is ``(y, kx, ky)``."""
    total = 0.0
    for c in range(count):
        total += (J[t, base + c * stride] * pre) * mult
    return total


@cuda.jit
def _joint_kernel(mutual, J, kx, ky, normalize, check, tol, scale, out, status):
    """H(X|Y) (mutual=False) or I(X;Y) (mutual=True) of every flattened table."""
    for t in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        pre, mult, flags = _linear_scale(J, t, normalize, check, tol)
        acc = 0.0
        linear = 0.0  # sum of p(x) p(y) - p(x, y): zero up to rounding
        mass = 0.0
        underflow = False
        for x in range(kx):
            px = _joint_sum(J, t, pre, mult, x * ky, ky, 1)
            for y in range(ky):
                v = (J[t, x * ky + y] * pre) * mult
                py = _joint_sum(J, t, pre, mult, y, kx, ky)
                if mutual:
                    d = px * py
                    underflow |= d < _terms.SMALLEST_NORMAL and v > 0.0
                    linear += d - v
                    mass += d + v
                if v > 0.0:
                    acc += v * (_log_ratio(v, px, py) if mutual else math.log(v / py))
        if mutual and not underflow:  # as on the CPU: the linear parts, and
            acc += linear  # a nearly independent table cell by cell
            if acc <= _RTOL * mass:
                acc = 0.0
                for x in range(kx):
                    px = _joint_sum(J, t, pre, mult, x * ky, ky, 1)
                    for y in range(ky):
                        acc += _kl_term((J[t, x * ky + y] * pre) * mult,
                                        px * _joint_sum(J, t, pre, mult, y, kx, ky))
        status[t] = flags
        out[t] = max(acc if mutual else -acc, 0.0) * scale


# --------------------------------------------------------------------------- #
# Pairwise                                                                    #
# --------------------------------------------------------------------------- #
@cuda.jit
def _prepare_kernel(X, width, log_input, normalize, check, tol, probs, logs, negentropy,
                    zeros, status):
    """Normalised rows, their logs (0 where p = 0), negentropy, count of zero
    entries and status of every row, a group of ``width`` threads per row."""
    sa, sb, sc, tid, lane, groups = _group_layout(width)
    n, k = X.shape
    for first in range(cuda.blockIdx.x * groups, n, cuda.gridDim.x * groups):
        i = first + tid // width
        row = min(i, n - 1)
        norm, log_sum, flags = _group_norm(X, row, lane, width, tid, sa, sb, sc,
                                           log_input, normalize, check, tol)
        acc = 0.0
        n_zero = 0.0
        for j in range(lane, k, width):
            x = _prob(X[row, j], norm, log_sum, log_input)
            lx = _logprob(X[row, j], norm, log_sum, log_input) if x > 0.0 else 0.0
            if i < n:
                probs[i, j] = x
                logs[i, j] = lx
            acc += x * lx
            n_zero += 1.0 if x == 0.0 else 0.0
        acc, n_zero, _ = _group_sums(acc, n_zero, 0.0, sa, sb, sc, tid, width)
        if lane == 0 and i < n:
            negentropy[i] = acc
            zeros[i] = n_zero
            status[i] = flags


@cuda.jit
def _operand_kernel(metric, right, probs, logs, negentropy, scale, n_cols, out):
    """The left (``right=False``) or right factor of the GEMM form of ``metric``
    (see ``_pairwise.gemm_operands``, whose NumPy layout this writes), its
    ``n_cols`` columns followed by zero columns up to ``out``'s width."""
    n, k = probs.shape
    cols = out.shape[1]
    j0, i0 = cuda.grid(2)
    step_j, step_i = cuda.gridsize(2)
    for i in range(i0, n, step_i):
        for c in range(j0, cols, step_j):
            if c >= n_cols:
                value = 0.0
            elif metric == CROSS_ENTROPY:
                value = -logs[i, c] * scale if right else probs[i, c]
            elif c < k:
                value = -logs[i, c] * scale if right else probs[i, c]
            elif c == k:
                value = scale if right else negentropy[i]
            elif c == k + 1:
                value = negentropy[i] * scale if right else 1.0
            else:
                value = probs[i, c - k - 2] * scale if right else -logs[i, c - k - 2]
            out[i, c] = value


@cuda.jit
def _matmul_nt_kernel(A, B, C):
    """C = A @ B.T with shared-memory tiles (used when no cuBLAS binding is
    importable)."""
    tile = cuda.shared.array((_TILE_MAX, _TILE_PAD), dtype=np.float64)
    tile_b = cuda.shared.array((_TILE_MAX, _TILE_PAD), dtype=np.float64)
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
def _accurate_kl(P, i, Q, j):
    """KL of two normalised rows, each entry by ``_kl_term`` (as on the CPU)."""
    acc = 0.0
    for t in range(P.shape[1]):
        acc += _kl_term(P[i, t], Q[j, t])
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
    j0, i0 = cuda.grid(2)  # x runs along a row of the result: coalesced
    step_j, step_i = cuda.gridsize(2)
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
                nats = _accurate_kl(P, i, Q, j)
                if metric == SYMMETRIC_KL:
                    nats += _accurate_kl(Q, j, P, i)
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
    tile_p = cuda.shared.array((_TILE_MAX, _TILE_PAD), dtype=np.float64)
    tile_q = cuda.shared.array((_TILE_MAX, _TILE_PAD), dtype=np.float64)
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
                        value += _js_term(P[i, t], Q[j, t])
                out[i, j] = _clamp(value, _LOG2) * scale


# --------------------------------------------------------------------------- #
# Host-side launchers                                                         #
# --------------------------------------------------------------------------- #
def _on_device(x):
    """A device view of ``x``: GPU arrays as they are, NumPy arrays copied over
    (a broadcast row of stride 0 travels as one row)."""
    if is_gpu_array(x):
        return _gpu.view(x)
    x = np.asarray(x)
    return cuda.to_device(contiguous_rows(x, x.dtype))


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
    """Tiles along the columns (x) and the rows (y) of an (n, m) result; past
    about 16 384 blocks the kernels' grid-stride loops take several rows per
    thread rather than launching ever more small blocks."""
    tile = _config.CUDA_TILE
    across = max(1, min(math.ceil(m / tile), 65535))
    down = max(1, min(math.ceil(n / tile), 65535, 16384 // across))
    return (across, down), (tile, tile)


def _group_width(k, threads):
    """Threads per row of the row-wise kernels: a power of two up to a warp
    that leaves each thread at least 32 entries of the row. Every thread of a
    group repeats the row's bookkeeping and reductions; measured on an H100
    (20 000 000 x 128 float32, checked KL): 43 ms with a thread per row, 32 ms
    with 4 threads (32 entries each), 35 / 40 / 52 ms with 8 / 16 / 32."""
    width = 1
    while width * 2 <= min(32, threads, max(1, k // 32)):
        width *= 2
    return width


def _grid_groups(n, width):
    threads = _config.CUDA_THREADS_PER_BLOCK
    if threads > _BLOCK:
        raise ValueError(f"_config.CUDA_THREADS_PER_BLOCK must be at most {_BLOCK}")
    groups = threads // width
    return max(1, min(math.ceil(n / groups), 65535)), threads


def _launch_rows(metric, inputs, params, out, status):
    """Run the row-wise kernel; True if some row was flagged (status != 0)."""
    dev_inputs = [_on_device(x) for x in inputs]
    if len(dev_inputs) == 1:
        dev_inputs.append(dev_inputs[0])  # entropy: Q is not read
    dev_out, dev_status = _outputs(out, status)
    flagged = cuda.to_device(np.zeros(1, dtype=np.int32))
    threads = _config.CUDA_THREADS_PER_BLOCK
    width = _group_width(dev_inputs[0].shape[1], threads)
    _rowwise_kernel[_grid_groups(out.shape[0], width)](
        metric, *dev_inputs, width, *params, dev_out, dev_status, flagged)
    flagged = bool(flagged.copy_to_host()[0])
    _copy_back((out,), (dev_out,))
    if flagged or not is_gpu_array(status):  # a clean status is all zeros
        _copy_back((status,), (dev_status,))
    return flagged


def rowwise_entropy(P, log_input, normalize, check, tol, scale, out, status):
    return _launch_rows(_ENTROPY, (P,), (log_input, normalize, check, tol, scale), out,
                        status)


def rowwise_cross_entropy(P, Q, log_input, normalize, check, tol, scale, out, status):
    return _launch_rows(CROSS_ENTROPY, (P, Q), (log_input, normalize, check, tol, scale),
                        out, status)


def rowwise_kl(P, Q, log_input, normalize, check, tol, scale, out, status):
    return _launch_rows(KL, (P, Q), (log_input, normalize, check, tol, scale), out,
                        status)


def rowwise_js(P, Q, log_input, normalize, check, tol, scale, out, status):
    return _launch_rows(_JS, (P, Q), (log_input, normalize, check, tol, scale), out,
                        status)


def _launch_tables(mutual, J, kx, ky, params, out, status):
    dev_J = _on_device(J)
    dev_out, dev_status = _outputs(out, status)
    blocks, threads = _grid_1d(out.shape[0])
    _joint_kernel[blocks, threads](mutual, dev_J, kx, ky, *params, dev_out, dev_status)
    _copy_back((out, status), (dev_out, dev_status))
    return True  # the status is on the host side; let the caller read it


def joint_conditional_entropy(J, kx, ky, normalize, check, tol, scale, out, status):
    return _launch_tables(False, J, kx, ky, (normalize, check, tol, scale), out, status)


def joint_mutual_information(J, kx, ky, normalize, check, tol, scale, out, status):
    return _launch_tables(True, J, kx, ky, (normalize, check, tol, scale), out, status)


def prepare(X, log_input, normalize, check, tol):
    """``_pairwise.prepare`` on the GPU: the rows stay there; only the status
    and each row's count of zeros come back (the supports' CSR is built from
    a host copy only when some probability is zero)."""
    from ._pairwise import PreparedRows, zero_support

    dev_X = _on_device(X)
    n, k = dev_X.shape
    probs, logs = cuda.device_array((n, k)), cuda.device_array((n, k))
    negentropy, zeros = cuda.device_array(n), cuda.device_array(n)
    status = cuda.device_array(n, dtype=np.uint8)
    width = _group_width(k, _config.CUDA_THREADS_PER_BLOCK)
    _prepare_kernel[_grid_groups(n, width)](dev_X, width, log_input, normalize, check,
                                            tol, probs, logs, negentropy, zeros, status)
    if np.any(zeros.copy_to_host()):
        zero_ptr, zero_idx, rows_with_zeros = zero_support(probs.copy_to_host())
    else:
        zero_ptr = np.zeros(n + 1, dtype=np.int64)
        zero_idx = rows_with_zeros = np.zeros(0, dtype=np.int64)
    return PreparedRows(probs, logs, negentropy, status.copy_to_host(),
                        cuda.to_device(zero_ptr), cuda.to_device(zero_idx),
                        rows_with_zeros)


def gemm_operands(metric, P, Q, scale):
    """``_pairwise.gemm_operands`` built on the GPU from prepared rows there."""
    n, k = P.probs.shape
    m = Q.probs.shape[0]
    width = {CROSS_ENTROPY: k, KL: k + 1, SYMMETRIC_KL: 2 * k + 2}[metric]
    # Zero columns up to a multiple of 8: rows of 8 doubles keep cuBLAS's
    # double-precision tensor-core path aligned (the product is unchanged).
    padded = -(-width // 8) * 8
    left, right = cuda.device_array((n, padded)), cuda.device_array((m, padded))
    for side, rows, out in ((False, P, left), (True, Q, right)):
        _operand_kernel[_grid_2d(rows.probs.shape[0], padded)](
            metric, side, rows.probs, rows.logs, rows.negentropy, scale, width, out)
    return left, right


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
