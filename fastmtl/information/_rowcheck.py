"""The verdict on a row once its sums are known, shared by the CPU and CUDA
kernels: plain Python functions that ``_cpu`` compiles with ``njit`` and
``_cuda`` with ``cuda.jit(device=True)``, so both backends decide alike."""
import math

from ._status import BAD_SUM, NEGATIVE, NONFINITE, ZERO_SUM


def linear_verdict(total, nonfinite, negative, normalize, check, tol):
    """(multiplier that normalises the row, status flags) from the row's sum."""
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
