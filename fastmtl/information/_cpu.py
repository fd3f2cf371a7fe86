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
tol : tolerance of the sums-to-one test.
scale : multiplier applied to every result (1 / log(base)).

Conventions: ``0 log 0 = 0``; ``p > 0`` where ``q = 0`` gives ``+inf``; KL and
JS results are clamped to ``[0, inf]`` and ``[0, log 2]``. Sums run in float64.
"""
import numpy as np
from numba import njit, prange

from .._config import JIT_OPTIONS
from .._validation import BAD_SUM, NEGATIVE, NONFINITE, SECOND_INPUT_SHIFT, ZERO_SUM
from .._vmath import vlog

_INF = np.inf
_LOG2 = np.log(2.0)

# Metric codes of the GEMM-form pairwise kernels.
CROSS_ENTROPY = 0
KL = 1
SYMMETRIC_KL = 2


# --------------------------------------------------------------------------- #
# Per-row preparation: validation fused with the normaliser                   #
# --------------------------------------------------------------------------- #
@njit(inline="always", **JIT_OPTIONS)
def _linear_scale(row, normalize, check, tol):
    """Return (multiplier that normalises ``row``, status flags)."""
    if not (normalize or check):
        return 1.0, 0
    total = 0.0
    nonfinite = False
    negative = False
    for v in row:
        total += v
        nonfinite |= not np.isfinite(v)
        negative |= v < 0.0
    status = 0
    if check:
        if nonfinite:
            status |= NONFINITE
        if negative:
            status |= NEGATIVE
    if normalize:
        if total > 0.0:
            return 1.0 / total, status
        return 1.0, status | ZERO_SUM
    if check and not abs(total - 1.0) <= tol:
        status |= BAD_SUM
    return 1.0, status


@njit(inline="always", **JIT_OPTIONS)
def _log_shift(row, normalize, check, tol):
    """Return (value subtracted from ``row`` to normalise it, status flags)."""
    if not (normalize or check):
        return 0.0, 0
    top = -_INF
    for v in row:
        if check and (np.isnan(v) or v == _INF):
            return 0.0, NONFINITE
        top = max(top, v)
    if top == -_INF:  # every probability is zero
        return 0.0, ZERO_SUM if normalize else BAD_SUM
    total = 0.0
    for v in row:
        total += np.exp(v - top)
    log_total = top + np.log(total)
    if normalize:
        return log_total, 0
    if check and not abs(np.exp(log_total) - 1.0) <= tol:
        return 0.0, BAD_SUM
    return 0.0, 0


@njit(inline="always", **JIT_OPTIONS)
def _clamp(value, upper):
    # Rounding can leave a divergence a hair below 0 (or JS above log 2).
    return min(max(value, 0.0), upper)


# --------------------------------------------------------------------------- #
# Row-wise kernels                                                            #
# --------------------------------------------------------------------------- #
@njit(parallel=True, **JIT_OPTIONS)
def rowwise_entropy(P, log_input, normalize, check, tol, scale, out, status):
    """out[i] = H(P[i]) = -sum_j p_ij log p_ij."""
    for i in prange(P.shape[0]):
        p = P[i]
        acc = 0.0
        if log_input:
            shift, flags = _log_shift(p, normalize, check, tol)
            for v in p:
                lv = v - shift
                acc -= np.exp(lv) * lv if lv > -_INF else 0.0
        else:
            mult, flags = _linear_scale(p, normalize, check, tol)
            for v in p:
                x = v * mult
                acc -= x * vlog(x) if x > 0.0 else 0.0
        status[i] = flags
        out[i] = max(acc, 0.0) * scale


@njit(parallel=True, **JIT_OPTIONS)
def rowwise_cross_entropy(P, Q, log_input, normalize, check, tol, scale, out, status):
    """out[i] = H(P[i], Q[i]) = -sum_j p_ij log q_ij."""
    for i in prange(P.shape[0]):
        p = P[i]
        q = Q[i]
        acc = 0.0
        if log_input:
            sp, fp = _log_shift(p, normalize, check, tol)
            sq, fq = _log_shift(q, normalize, check, tol)
            for j in range(p.shape[0]):
                lp = p[j] - sp
                lq = q[j] - sq
                term = -np.exp(lp) * lq if lq > -_INF else _INF
                acc += term if lp > -_INF else 0.0
        else:
            mp, fp = _linear_scale(p, normalize, check, tol)
            mq, fq = _linear_scale(q, normalize, check, tol)
            for j in range(p.shape[0]):
                x = p[j] * mp
                y = q[j] * mq
                term = -x * vlog(y) if y > 0.0 else _INF
                acc += term if x > 0.0 else 0.0
        status[i] = fp | (fq << SECOND_INPUT_SHIFT)
        out[i] = max(acc, 0.0) * scale


@njit(parallel=True, **JIT_OPTIONS)
def rowwise_kl(P, Q, log_input, normalize, check, tol, scale, out, status):
    """out[i] = KL(P[i] || Q[i]) = sum_j p_ij log(p_ij / q_ij)."""
    for i in prange(P.shape[0]):
        p = P[i]
        q = Q[i]
        acc = 0.0
        if log_input:
            sp, fp = _log_shift(p, normalize, check, tol)
            sq, fq = _log_shift(q, normalize, check, tol)
            for j in range(p.shape[0]):
                lp = p[j] - sp
                lq = q[j] - sq
                term = np.exp(lp) * (lp - lq) if lq > -_INF else _INF
                acc += term if lp > -_INF else 0.0
        else:
            mp, fp = _linear_scale(p, normalize, check, tol)
            mq, fq = _linear_scale(q, normalize, check, tol)
            for j in range(p.shape[0]):
                x = p[j] * mp
                y = q[j] * mq
                term = x * vlog(x / y) if y > 0.0 else _INF
                acc += term if x > 0.0 else 0.0
        status[i] = fp | (fq << SECOND_INPUT_SHIFT)
        out[i] = _clamp(acc, _INF) * scale


@njit(inline="always", **JIT_OPTIONS)
def _js_terms(x, y):
    """0.5 x log(x/m) + 0.5 y log(y/m) with m = (x + y) / 2 and 0 log 0 = 0."""
    m = 0.5 * (x + y)
    tx = x * vlog(x / m) if x > 0.0 else 0.0
    ty = y * vlog(y / m) if y > 0.0 else 0.0
    return 0.5 * (tx + ty)


@njit(parallel=True, **JIT_OPTIONS)
def rowwise_js(P, Q, log_input, normalize, check, tol, scale, out, status):
    """out[i] = JS(P[i], Q[i]) = (KL(P||M) + KL(Q||M)) / 2, M = (P + Q) / 2."""
    for i in prange(P.shape[0]):
        p = P[i]
        q = Q[i]
        acc = 0.0
        if log_input:
            sp, fp = _log_shift(p, normalize, check, tol)
            sq, fq = _log_shift(q, normalize, check, tol)
            for j in range(p.shape[0]):
                acc += _js_terms(np.exp(p[j] - sp), np.exp(q[j] - sq))
        else:
            mp, fp = _linear_scale(p, normalize, check, tol)
            mq, fq = _linear_scale(q, normalize, check, tol)
            for j in range(p.shape[0]):
                acc += _js_terms(p[j] * mp, q[j] * mq)
        status[i] = fp | (fq << SECOND_INPUT_SHIFT)
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
        mult, flags = _linear_scale(table, normalize, check, tol)
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
        mult, flags = _linear_scale(table, normalize, check, tol)
        px, py = _marginals(table, mult, kx, ky)
        acc = 0.0
        for x in range(kx):
            for y in range(ky):
                v = table[x * ky + y] * mult
                acc += v * vlog(v / (px[x] * py[y])) if v > 0.0 else 0.0
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
            shift, flags = _log_shift(row, normalize, check, tol)
            for j in range(row.shape[0]):
                lv = row[j] - shift
                x = np.exp(lv)
                lx = lv if x > 0.0 else 0.0
                probs[i, j] = x
                logs[i, j] = lx
                acc += x * lx
        else:
            mult, flags = _linear_scale(row, normalize, check, tol)
            for j in range(row.shape[0]):
                x = row[j] * mult
                lx = vlog(x) if x > 0.0 else 0.0
                probs[i, j] = x
                logs[i, j] = lx
                acc += x * lx
        negentropy[i] = acc
        status[i] = flags


@njit(inline="always", **JIT_OPTIONS)
def _support_escapes(p, zero_columns):
    """True when ``p`` puts mass on a column where the other side is zero."""
    for c in zero_columns:
        if p[c] > 0.0:
            return True
    return False


@njit(inline="always", **JIT_OPTIONS)
def _direct_kl(p, q):
    acc = 0.0
    for j in range(p.shape[0]):
        x = p[j]
        y = q[j]
        term = x * vlog(x / y) if y > 0.0 else _INF
        acc += term if x > 0.0 else 0.0
    return acc


@njit(inline="always", **JIT_OPTIONS)
def _kl_from_gemm(negentropy, cross, p, q, rtol):
    """KL from its GEMM form ``negentropy - cross``, recomputed by the direct
    sum when cancellation between the two terms would cost digits."""
    value = negentropy - cross
    if value <= rtol * (abs(negentropy) + abs(cross)):
        value = _direct_kl(p, q)
    return max(value, 0.0)


@njit(parallel=True, **JIT_OPTIONS)
def finish_gemm_block(metric, cross, cross_t, P, Q, neg_p, neg_q,
                      zp_ptr, zp_idx, zq_ptr, zq_idx, rtol, scale, out):
    """Turn a block of GEMM cross terms into divergences, in place if ``out is cross``.

    cross[i, j] = sum_k P[i,k] log Q[j,k] (masked logs), and for
    ``SYMMETRIC_KL`` also cross_t[i, j] = sum_k Q[j,k] log P[i,k]. Rows of
    ``P`` and ``Q`` are normalised probabilities; ``zq_idx[zq_ptr[j]:zq_ptr[j+1]]``
    lists the columns where Q[j] is zero (likewise ``zp`` for P), which decide
    the +inf entries that the masked product cannot show.
    """
    for i in prange(cross.shape[0]):
        p = P[i]
        for j in range(cross.shape[1]):
            q = Q[j]
            c = cross[i, j]
            if _support_escapes(p, zq_idx[zq_ptr[j]:zq_ptr[j + 1]]):
                value = _INF
            elif metric == CROSS_ENTROPY:
                value = max(-c, 0.0)
            else:
                value = _kl_from_gemm(neg_p[i], c, p, q, rtol)
            if metric == SYMMETRIC_KL:
                if _support_escapes(q, zp_idx[zp_ptr[i]:zp_ptr[i + 1]]):
                    value = _INF
                else:
                    value += _kl_from_gemm(neg_q[j], cross_t[i, j], q, p, rtol)
            out[i, j] = value * scale


@njit(inline="always", **JIT_OPTIONS)
def _direct_js(p, q):
    acc = 0.0
    for j in range(p.shape[0]):
        acc += _js_terms(p[j], q[j])
    return acc


@njit(parallel=True, **JIT_OPTIONS)
def pairwise_js_block(P, Q, neg_p, neg_q, rtol, scale, out):
    """out[i, j] = JS(P[i], Q[j]) for normalised probability rows.

    JS = (negent(p) + negent(q)) / 2 - sum m log m needs one log per element;
    pairs where that difference cancels are recomputed by the direct sum.
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
                value = _direct_js(p, q)
            out[i, j] = _clamp(value, _LOG2) * scale
