"""Parallel CPU kernels of the information-theory functions.

Every kernel is a pure function over 2-D row arrays: one distribution per row,
results written into preallocated outputs. The public wrappers in ``_api.py``
validate shapes, broadcast, and turn the per-row ``status`` words into errors.
``fastmtl.information._cuda`` has a twin of each kernel with the same name,
arguments and meaning.

Shared arguments
----------------
log_input : rows hold log-probabilities (``-inf`` for a zero probability).
normalize : rescale each row to sum to one (``log_input``: subtract its logsumexp).
check : scan rows for NaN/inf, negative entries and bad sums; flags go to ``status``.
tol : tolerance of the sums-to-one test; for the row-wise kernels a pair
    (P's, Q's), each input checked at its own dtype's tolerance.
scale : multiplier applied to every result (1 / log(base)).

Conventions: ``0 log 0 = 0``; ``p > 0`` where ``q = 0`` gives ``+inf``; KL and
JS results are clamped to ``[0, inf]`` and ``[0, log 2]``. Sums run in float64.
"""
import numpy as np
from numba import njit, prange

from .._config import CANCELLATION_RTOL, JIT_OPTIONS
from ._status import BAD_SUM, NONFINITE, SECOND_INPUT_SHIFT, ZERO_SUM
from .._vmath import vlog
from . import _rowcheck, _terms

_linear_verdict = njit(inline="always", **JIT_OPTIONS)(_rowcheck.linear_verdict)
_log_verdict = njit(inline="always", **JIT_OPTIONS)(_rowcheck.log_verdict)
_needs_huge_rescale = njit(inline="always", **JIT_OPTIONS)(_rowcheck.needs_huge_rescale)
_log_ratio = njit(inline="always", **JIT_OPTIONS)(_terms.log_ratio)
_kl_term = njit(inline="always", **JIT_OPTIONS)(_terms.kl_term)
_js_term = njit(inline="always", **JIT_OPTIONS)(_terms.js_term)

_INF = np.inf
_LOG2 = np.log(2.0)

# The arrays these kernels work on live in host memory.
ON_GPU = False

# Metric codes of the GEMM-form pairwise kernels.
CROSS_ENTROPY = 0
KL = 1
SYMMETRIC_KL = 2


# --------------------------------------------------------------------------- #
# Per-row preparation: validation fused with the normaliser                   #
# --------------------------------------------------------------------------- #
@njit(inline="always", **JIT_OPTIONS)
def _linear_scale(row, normalize, check, tol):
    """Return (pre, mult, status flags): ``v * mult`` is an entry of
    ``_prescaled(row, pre)`` normalised (see ``_rowcheck.linear_verdict``)."""
    if not (normalize or check):
        return 1.0, 1.0, 0
    total = 0.0
    nonfinite = False
    negative = False
    for j in range(row.shape[0]):
        v = row[j]
        total += v
        nonfinite |= not np.isfinite(v)
        negative |= v < 0.0
    pre = 1.0
    if _needs_huge_rescale(total, nonfinite, normalize):  # rare: a second pass
        pre = _rowcheck.RESCALE_HUGE
        total = 0.0
        for j in range(row.shape[0]):
            total += row[j] * pre
    return _linear_verdict(total, pre, nonfinite, negative, normalize, check, tol)


@njit(inline="always", **JIT_OPTIONS)
def _log_shift(row, normalize, check, tol):
    """Return (top, log_sum, status flags): ``_shifted(x, top, log_sum)``
    normalises an entry of ``row`` (see ``_rowcheck.log_verdict``)."""
    if not (normalize or check):
        return 0.0, 0.0, 0
    top = -_INF
    for j in range(row.shape[0]):
        v = row[j]
        if check and (np.isnan(v) or v == _INF):
            return 0.0, 0.0, NONFINITE
        top = max(top, v)
    if top == -_INF:  # every probability is zero
        return 0.0, 0.0, ZERO_SUM if normalize else BAD_SUM
    total = 0.0
    for j in range(row.shape[0]):
        total += np.exp(row[j] - top)
    return _log_verdict(top, total, normalize, check, tol)


# Compiled without fast-math, and not inlined at Numba's level, so that its
# instructions keep strict IEEE order even once LLVM inlines it: the
# ``reassoc`` flag of the kernels would allow folding ``(x - top) - log_sum``
# into ``x - (top + log_sum)``, which loses ``log_sum`` for large logits.
@njit(**{**JIT_OPTIONS, "fastmath": False})
def _shifted(x, top, log_sum):
    """log-probability ``x`` normalised: ``(x - top) - log_sum``."""
    return (x - top) - log_sum


@njit(inline="always", **JIT_OPTIONS)
def _prescaled(row, pre):
    """``row`` itself, or for the rare row that needed it (see
    ``_linear_scale``) a copy scaled by the power of two ``pre`` (exact), so
    that every kernel normalises an entry by one multiply, ``v * mult``."""
    if pre == 1.0:
        return row
    return (row * pre).astype(row.dtype)


@njit(inline="always", **JIT_OPTIONS)
def _clamp(value, upper):
    # Rounding can leave a divergence a hair below 0 (or JS above log 2).
    return min(max(value, 0.0), upper)


def contiguous_rows(rows, dtype):
    """``rows`` as the row-wise kernels (and their CUDA twins) take them:
    C-contiguous, read-only, of ``dtype``, a distribution broadcast to every
    row (stride 0) as that single row.

    Other layouts (a moved axis, a strided view, a partial broadcast) are
    copied: one pass over the data, where a kernel for that layout would cost
    a compilation of its own (about 7 s for KL) at first use.
    """
    if rows.ndim == 2 and rows.shape[0] > 1 and rows.strides[0] == 0:
        rows = rows[:1]
    if rows.flags.c_contiguous and rows.dtype == dtype:
        return rows
    rows = np.ascontiguousarray(rows, dtype=dtype)
    rows.flags.writeable = False  # the signature of the views (read-only)
    return rows


# --------------------------------------------------------------------------- #
# Row-wise kernels                                                            #
# --------------------------------------------------------------------------- #
# Inputs arrive C-contiguous (``contiguous_rows``), a distribution
# broadcast to every row as a single row: one compiled signature per dtype
# instead of one per memory layout too (each cost 18 s to compile for KL).
@njit(inline="always", **JIT_OPTIONS)
def _row_index(X, i):
    """Row ``i`` of ``X``, or row 0 when ``X`` is a single broadcast row
    (``i - i``: zero of the loop index's own type; a literal 0 unified with
    an unsigned parfor index into float64)."""
    return i if X.shape[0] > 1 else i - i


# Each kernel is a thin parallel loop over rows around a per-row function,
# compiled as a function of its own (not inlined at Numba's level, so the
# parallel loop's IR stays small): KL compiled in 7 s instead of 18 s, at the
# same speed (200 000 x 128 rows, interleaved medians within the noise).
@njit(inline="always", **JIT_OPTIONS)
def _log_shifts(p, q, normalize, check, tol_p, tol_q):
    """``_log_shift`` of both rows: (top_p, log_sum_p, top_q, log_sum_q, the
    pair's status flags)."""
    tp, sp, fp = _log_shift(p, normalize, check, tol_p)
    tq, sq, fq = _log_shift(q, normalize, check, tol_q)
    return tp, sp, tq, sq, fp | (fq << SECOND_INPUT_SHIFT)


@njit(inline="always", **JIT_OPTIONS)
def _linear_scales(p, q, normalize, check, tol_p, tol_q):
    """``_linear_scale`` of both rows: (p, mult_p, q, mult_q, the pair's
    status flags), each row prescaled where it needed it."""
    pp, mp, fp = _linear_scale(p, normalize, check, tol_p)
    pq, mq, fq = _linear_scale(q, normalize, check, tol_q)
    return _prescaled(p, pp), mp, _prescaled(q, pq), mq, fp | (fq << SECOND_INPUT_SHIFT)


@njit(**JIT_OPTIONS)
def _entropy_row(p, log_input, normalize, check, tol):
    """(H(p), status flags)."""
    acc = 0.0
    if log_input:
        top, log_sum, flags = _log_shift(p, normalize, check, tol)
        for j in range(p.shape[0]):
            lv = _shifted(p[j], top, log_sum)
            acc -= np.exp(lv) * lv if lv > -_INF else 0.0
    else:
        pre, mult, flags = _linear_scale(p, normalize, check, tol)
        p = _prescaled(p, pre)
        for j in range(p.shape[0]):
            x = p[j] * mult
            acc -= x * vlog(x) if x > 0.0 else 0.0
    return acc, flags


@njit(**JIT_OPTIONS)
def _cross_entropy_row(p, q, log_input, normalize, check, tol_p, tol_q):
    """(H(p, q), status flags)."""
    acc = 0.0
    if log_input:
        tp, sp, tq, sq, flags = _log_shifts(p, q, normalize, check, tol_p, tol_q)
        for j in range(p.shape[0]):
            lp = _shifted(p[j], tp, sp)
            lq = _shifted(q[j], tq, sq)
            term = -np.exp(lp) * lq if lq > -_INF else _INF
            acc += term if lp > -_INF else 0.0
    else:
        p, mp, q, mq, flags = _linear_scales(p, q, normalize, check, tol_p, tol_q)
        for j in range(p.shape[0]):
            x = p[j] * mp
            y = q[j] * mq
            term = -x * vlog(y) if y > 0.0 else _INF
            acc += term if x > 0.0 else 0.0
    return acc, flags


@njit(**JIT_OPTIONS)
def _kl_row(p, q, log_input, normalize, check, tol_p, tol_q):
    """(KL(p || q), status flags)."""
    acc = 0.0
    if log_input:
        tp, sp, tq, sq, flags = _log_shifts(p, q, normalize, check, tol_p, tol_q)
        linear = 0.0
        mass = 0.0
        for j in range(p.shape[0]):
            lp = _shifted(p[j], tp, sp)
            lq = _shifted(q[j], tq, sq)
            x = np.exp(lp)
            y = np.exp(lq)
            term = x * (lp - lq) if lq > -_INF else _INF
            acc += term if lp > -_INF else 0.0
            linear += y - x
            mass += x + y
        acc += linear
        if acc <= CANCELLATION_RTOL * mass:  # near-identical rows
            acc = 0.0
            for j in range(p.shape[0]):
                acc += _kl_term(np.exp(_shifted(p[j], tp, sp)),
                                np.exp(_shifted(q[j], tq, sq)))
    else:
        p, mp, q, mq, flags = _linear_scales(p, q, normalize, check, tol_p, tol_q)
        acc = _scaled_kl(p, mp, q, mq)
    return acc, flags


@njit(inline="always", **JIT_OPTIONS)
def _js_terms(x, y):
    """0.5 x log(x/m) + 0.5 y log(y/m) with m = (x + y) / 2 and 0 log 0 = 0."""
    m = 0.5 * (x + y)
    tx = x * vlog(x / m) if x > 0.0 else 0.0
    ty = y * vlog(y / m) if y > 0.0 else 0.0
    return 0.5 * (tx + ty)


@njit(**JIT_OPTIONS)
def _js_row(p, q, log_input, normalize, check, tol_p, tol_q):
    """(JS(p, q), status flags). Rows whose JS is small next to their mass
    (near-identical rows, where each entry's two logs cancel) are summed
    again by ``_js_term``."""
    acc = 0.0
    mass = 0.0
    if log_input:
        tp, sp, tq, sq, flags = _log_shifts(p, q, normalize, check, tol_p, tol_q)
        for j in range(p.shape[0]):
            x = np.exp(_shifted(p[j], tp, sp))
            y = np.exp(_shifted(q[j], tq, sq))
            acc += _js_terms(x, y)
            mass += x + y
        if acc <= CANCELLATION_RTOL * mass:
            acc = 0.0
            for j in range(p.shape[0]):
                acc += _js_term(np.exp(_shifted(p[j], tp, sp)),
                                np.exp(_shifted(q[j], tq, sq)))
    else:
        p, mp, q, mq, flags = _linear_scales(p, q, normalize, check, tol_p, tol_q)
        for j in range(p.shape[0]):
            x = p[j] * mp
            y = q[j] * mq
            acc += _js_terms(x, y)
            mass += x + y
        if acc <= CANCELLATION_RTOL * mass:
            acc = 0.0
            for j in range(p.shape[0]):
                acc += _js_term(p[j] * mp, q[j] * mq)
    return acc, flags


@njit(parallel=True, **JIT_OPTIONS)
def rowwise_entropy(P, log_input, normalize, check, tol, scale, out, status):
    """out[i] = H(P[i]) = -sum_j p_ij log p_ij."""
    for i in prange(out.shape[0]):
        acc, status[i] = _entropy_row(P[_row_index(P, i)], log_input, normalize, check,
                                      tol[0])
        out[i] = max(acc, 0.0) * scale


@njit(parallel=True, **JIT_OPTIONS)
def rowwise_cross_entropy(P, Q, log_input, normalize, check, tol, scale, out, status):
    """out[i] = H(P[i], Q[i]) = -sum_j p_ij log q_ij."""
    for i in prange(out.shape[0]):
        acc, status[i] = _cross_entropy_row(P[_row_index(P, i)], Q[_row_index(Q, i)],
                                            log_input, normalize, check, tol[0], tol[1])
        out[i] = max(acc, 0.0) * scale


@njit(parallel=True, **JIT_OPTIONS)
def rowwise_kl(P, Q, log_input, normalize, check, tol, scale, out, status):
    """out[i] = KL(P[i] || Q[i]) = sum_j p_ij log(p_ij / q_ij)."""
    for i in prange(out.shape[0]):
        acc, status[i] = _kl_row(P[_row_index(P, i)], Q[_row_index(Q, i)], log_input,
                                 normalize, check, tol[0], tol[1])
        out[i] = _clamp(acc, _INF) * scale


@njit(parallel=True, **JIT_OPTIONS)
def rowwise_js(P, Q, log_input, normalize, check, tol, scale, out, status):
    """out[i] = JS(P[i], Q[i]) = (KL(P||M) + KL(Q||M)) / 2, M = (P + Q) / 2."""
    for i in prange(out.shape[0]):
        acc, status[i] = _js_row(P[_row_index(P, i)], Q[_row_index(Q, i)], log_input,
                                 normalize, check, tol[0], tol[1])
        out[i] = _clamp(acc, _LOG2) * scale


# --------------------------------------------------------------------------- #
# Joint tables, flattened to rows of length kx * ky (X major, Y minor)        #
# --------------------------------------------------------------------------- #
@njit(inline="always", **JIT_OPTIONS)
def _marginals(table, mult, kx, ky):
    """Normalised marginals p(x) (row sums) and p(y) (column sums)."""
    px = np.zeros(kx)
    py = np.zeros(ky)
    for x in range(kx):
        for y in range(ky):
            v = table[x * ky + y] * mult
            px[x] += v
            py[y] += v
    return px, py


@njit(parallel=True, **JIT_OPTIONS)
def joint_conditional_entropy(J, kx, ky, normalize, check, tol, scale, out, status):
    """out[t] = H(X|Y) = -sum_xy p(x,y) log(p(x,y) / p(y)) of table ``J[t]``."""
    for t in prange(J.shape[0]):
        table = J[t]
        pre, mult, flags = _linear_scale(table, normalize, check, tol)
        table = _prescaled(table, pre)
        px, py = _marginals(table, mult, kx, ky)
        acc = 0.0
        for x in range(kx):
            for y in range(ky):
                v = table[x * ky + y] * mult
                acc -= v * vlog(v / py[y]) if v > 0.0 else 0.0
        status[t] = flags
        out[t] = max(acc, 0.0) * scale


@njit(parallel=True, **JIT_OPTIONS)
def joint_mutual_information(J, kx, ky, normalize, check, tol, scale, out, status):
    """out[t] = I(X;Y) = sum_xy p(x,y) log(p(x,y) / (p(x) p(y))) of table ``J[t]``."""
    for t in prange(J.shape[0]):
        table = J[t]
        pre, mult, flags = _linear_scale(table, normalize, check, tol)
        table = _prescaled(table, pre)
        px, py = _marginals(table, mult, kx, ky)
        # One vectorised log of the ratio per cell: KL(p(x, y) || p(x) p(y)) as
        # in ``_scaled_kl``, with the linear parts (summing to ~0) apart. A
        # table where some p(x) p(y) underflows is summed again by logs,
        # without them: cells near 1e-200 make an MI near 1e-198, next to
        # which the linear parts' rounding (~1e-200) is not small. A nearly
        # independent table (the sum has lost digits) is summed again cell by
        # cell by ``_kl_term``. (A branch inside this loop stopped its
        # vectorisation: 1.4x slower.)
        acc = 0.0
        linear = 0.0
        mass = 0.0
        underflow = False
        for x in range(kx):
            for y in range(ky):
                v = table[x * ky + y] * mult
                d = px[x] * py[y]
                underflow |= (d < _terms.SMALLEST_NORMAL) & (v > 0.0)
                acc += v * vlog(v / d) if v > 0.0 else 0.0
                linear += d - v
                mass += v + d
        if underflow:
            acc = 0.0
            for x in range(kx):
                for y in range(ky):
                    v = table[x * ky + y] * mult
                    if v > 0.0:
                        acc += v * _log_ratio(v, px[x], py[y])
        else:
            acc += linear
            if acc <= CANCELLATION_RTOL * mass:
                acc = 0.0
                for x in range(kx):
                    for y in range(ky):
                        acc += _kl_term(table[x * ky + y] * mult, px[x] * py[y])
        status[t] = flags
        out[t] = max(acc, 0.0) * scale


# --------------------------------------------------------------------------- #
# Pairwise: per-row preparation, GEMM finishing, direct JS                    #
# --------------------------------------------------------------------------- #
@njit(parallel=True, **JIT_OPTIONS)
def prepare_rows(X, log_input, normalize, check, tol, probs, logs, negentropy, status):
    """Normalised float64 probabilities, masked logs (0 where p = 0) and
    negentropy sum_j p_j log p_j of every row: the operands of the GEMM form."""
    for i in prange(X.shape[0]):
        row = X[i]
        acc = 0.0
        if log_input:
            top, log_sum, flags = _log_shift(row, normalize, check, tol)
            for j in range(row.shape[0]):
                lv = _shifted(row[j], top, log_sum)
                x = np.exp(lv)
                lx = lv if x > 0.0 else 0.0
                probs[i, j] = x
                logs[i, j] = lx
                acc += x * lx
        else:
            pre, mult, flags = _linear_scale(row, normalize, check, tol)
            row = _prescaled(row, pre)
            for j in range(row.shape[0]):
                x = row[j] * mult
                lx = vlog(x) if x > 0.0 else 0.0
                probs[i, j] = x
                logs[i, j] = lx
                acc += x * lx
        negentropy[i] = acc
        status[i] = flags


@njit(inline="always", **JIT_OPTIONS)
def _support_escapes(p, zero_idx, start, stop):
    """True when ``p`` puts mass on a column ``zero_idx[start:stop]`` where
    the other distribution is zero."""
    for t in range(start, stop):
        if p[zero_idx[t]] > 0.0:
            return True
    return False


@njit(inline="always", **JIT_OPTIONS)
def _scaled_kl(p, mp, q, mq):
    """KL of the rows ``p * mp`` and ``q * mq`` (``+inf`` where q = 0 < p).

    A fast pass sums ``x log(x / y) - x + y`` (the linear parts add up to
    zero; they make the sum insensitive to rounding in the rows' sums) with
    one vectorised log of the ratio per entry. A row is summed again entry
    by entry by ``_kl_term`` where that sum is small next to the rows' mass
    (near-identical rows: it has lost digits) or where a ratio overflowed
    (a tiny ``q`` next to a large ``p``, 1 / 5e-324).
    """
    acc = 0.0
    linear = 0.0  # summed apart: often exactly zero, and then no rounding
    mass = 0.0
    overflow = False
    for j in range(p.shape[0]):
        x = p[j] * mp
        y = q[j] * mq
        ratio = x / y
        overflow |= (ratio == _INF) & (y > 0.0)
        term = x * vlog(ratio) if y > 0.0 else _INF
        acc += term if x > 0.0 else 0.0
        linear += y - x
        mass += x + y
    acc += linear
    if overflow or acc <= CANCELLATION_RTOL * mass:
        acc = _accurate_kl(p, mp, q, mq)
    return acc


@njit(inline="always", **JIT_OPTIONS)
def _accurate_kl(p, mp, q, mq):
    """KL of the rows ``p * mp`` and ``q * mq``, each entry by ``_kl_term``."""
    acc = 0.0
    for j in range(p.shape[0]):
        acc += _kl_term(p[j] * mp, q[j] * mq)
    return acc


@njit(inline="always", **JIT_OPTIONS)
def _cancellation_threshold(metric, a, b, rtol):
    """Below this value (nats) the GEMM form ``a - c`` has lost digits:
    |c| ~ |a| there, so the magnitude of the two terms is ~2|a|."""
    if metric == KL:
        return 2.0 * rtol * abs(a)
    if metric == SYMMETRIC_KL:
        return 2.0 * rtol * (abs(a) + abs(b))
    return -1.0  # cross-entropy is a sum of non-negative terms: no cancellation


@njit(parallel=True, **JIT_OPTIONS)
def finish_gemm_block(metric, gemm, P, Q, neg_p, neg_q, zp_ptr, zp_idx,
                      zq_ptr, zq_idx, q_rows_with_zeros, rtol, scale, copy, out):
    """Finish a block of GEMM-form divergences: in place, or copied to ``out``.

    ``gemm[i, j]`` holds the divergence already, in ``scale`` units, as one
    augmented product: KL ``[P | negent P] @ [-log Q | 1].T``, cross-entropy
    ``P @ -log Q.T``, symmetric KL ``[P | a | 1 | -log P] @ [-log Q | 1 | b | Q].T``
    (logs masked to 0 where the probability is 0). Rows of ``P`` and ``Q`` are
    the normalised probabilities; ``zq_idx[zq_ptr[j]:zq_ptr[j+1]]`` lists the
    columns where Q[j] is zero (likewise ``zp`` for P).

    The pass only reads ``gemm``, except for the rare pairs it corrects: those
    where the GEMM form cancelled (recomputed by the direct sum, clamped at 0)
    and those whose supports escape (+inf, which the masked product cannot show).
    """
    m = gemm.shape[1]
    inv_scale = 1.0 / scale
    for i in prange(gemm.shape[0]):
        a = neg_p[i]
        p = P[i]
        suspicious = 0
        for j in range(m):
            nats = gemm[i, j] * inv_scale
            suspicious += nats <= _cancellation_threshold(metric, a, neg_q[j], rtol)
        if suspicious:
            for j in range(m):
                nats = gemm[i, j] * inv_scale
                if nats <= _cancellation_threshold(metric, a, neg_q[j], rtol):
                    value = _accurate_kl(p, 1.0, Q[j], 1.0)
                    if metric == SYMMETRIC_KL:
                        value += _accurate_kl(Q[j], 1.0, p, 1.0)
                    gemm[i, j] = max(value, 0.0) * scale
        if copy:
            for j in range(m):
                out[i, j] = gemm[i, j]
        # +inf nats in ``scale`` units: -inf for a base below 1, as row-wise
        # and as scipy.stats.entropy.
        for j in q_rows_with_zeros:
            if _support_escapes(p, zq_idx, zq_ptr[j], zq_ptr[j + 1]):
                out[i, j] = _INF * scale
        if metric == SYMMETRIC_KL and zp_ptr[i + 1] > zp_ptr[i]:
            for j in range(m):
                if _support_escapes(Q[j], zp_idx, zp_ptr[i], zp_ptr[i + 1]):
                    out[i, j] = _INF * scale


def matmul_nt(A, B, out):
    """out = A @ B.T through BLAS."""
    np.matmul(A, B.T, out=out)


def to_device(x):
    """The CPU works on host arrays: nothing to move."""
    return x


def empty(shape):
    """A float64 scratch array."""
    return np.empty(shape)


@njit(inline="always", **JIT_OPTIONS)
def _accurate_js(p, q):
    """JS of two normalised rows, each entry by ``_js_term``."""
    acc = 0.0
    for j in range(p.shape[0]):
        acc += _js_term(p[j], q[j])
    return acc


@njit(parallel=True, **JIT_OPTIONS)
def pairwise_js_block(P, Q, neg_p, neg_q, rtol, scale, out):
    """out[i, j] = JS(P[i], Q[j]) for normalised probability rows.

    JS = (negent(p) + negent(q)) / 2 - sum m log m needs one log per element;
    pairs where that difference cancels are recomputed entry by entry.
    """
    k = P.shape[1]
    for i in prange(P.shape[0]):
        p = P[i]
        for j in range(Q.shape[0]):
            q = Q[j]
            acc = 0.0
            for t in range(k):
                m = 0.5 * (p[t] + q[t])
                acc += m * vlog(m) if m > 0.0 else 0.0
            half = 0.5 * (neg_p[i] + neg_q[j])
            value = half - acc
            if value <= rtol * (abs(half) + abs(acc)):
                value = _accurate_js(p, q)
            out[i, j] = _clamp(value, _LOG2) * scale
