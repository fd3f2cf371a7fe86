"""The verdict on a row once its sums are known, shared by the CPU and CUDA
kernels: plain Python functions that ``_cpu`` compiles with ``njit`` and
``_cuda`` with ``cuda.jit(device=True)``, so both backends decide alike."""
import math

from ._status import BAD_SUM, NEGATIVE, NONFINITE, ZERO_SUM


# A row whose sum overflows (entries near 1.8e308) or is so small that its
# reciprocal overflows (subnormal entries) cannot be normalised by one
# multiplier: it is scaled first by an exact power of two, ``pre``, and the
# normalised entry is ``(v * pre) * mult``.
RESCALE_HUGE = 2.0 ** -64
RESCALE_TINY = 2.0 ** 64
TINY_SUM = 2.0 ** -960


def needs_huge_rescale(total, nonfinite, normalize):
    """Whether the sum overflowed although every entry is finite: then the
    caller sums ``v * RESCALE_HUGE`` again and passes that sum and ``pre``."""
    return normalize and not nonfinite and total == math.inf


def linear_verdict(total, pre, nonfinite, negative, normalize, check, tol):
    """(pre, mult, status flags) normalising a row from ``total``, the sum of
    its entries times ``pre`` (1, or ``RESCALE_HUGE`` after a sum overflowed):
    the normalised entry is ``(v * pre) * mult``."""
    status = 0
    if check:
        if nonfinite:
            status |= NONFINITE
        if negative:
            status |= NEGATIVE
    if normalize:
        if total > 0.0:
            if total < TINY_SUM:  # its reciprocal would overflow or lose digits
                pre = RESCALE_TINY
                total = total * RESCALE_TINY  # exact: a power of two
            return pre, 1.0 / total, status
        return 1.0, 1.0, status | ZERO_SUM
    if check and not abs(total - 1.0) <= tol:
        status |= BAD_SUM
    return 1.0, 1.0, status


def log_verdict(top, total, normalize, check, tol):
    """(top, log_sum, status flags) of a row of log-probabilities from its
    maximum ``top`` and ``total = sum exp(x - top)``: the normalised row is
    ``(x - top) - log_sum``, two subtractions kept apart because with large
    logits (``1e16 + [0, -1, -2]``) ``top + log_sum`` rounds ``log_sum`` away.
    Without ``normalize`` both are 0 (the row is used as it is)."""
    log_sum = math.log(total)
    if normalize:
        return top, log_sum, 0
    if check and not abs(math.exp(top + log_sum) - 1.0) <= tol:
        return 0.0, 0.0, BAD_SUM
    return 0.0, 0.0, 0
