"""Per-entry terms shared by the CPU and CUDA kernels: plain Python over
``math`` that ``_cpu`` compiles with ``njit`` and ``_cuda`` with
``cuda.jit(device=True)``, so both backends compute alike."""
import math

SMALLEST_NORMAL = 2.2250738585072014e-308  # np.finfo(np.float64).tiny
LOG2 = math.log(2.0)


def log_ratio(v, a, b):
    """``log(v / (a b))``: one log of the ratio where ``a b`` is a normal
    number (exact for ``v`` close to ``a b``); by logs where it underflows
    (cells near 1e-200, whose ``p(x) p(y)`` is near 1e-400)."""
    denominator = a * b
    if denominator >= SMALLEST_NORMAL:
        return math.log(v / denominator)
    return math.log(v) - math.log(a) - math.log(b)


def kl_term(x, y):
    """``x log(x / y) - x + y``: one entry of KL(p || q), whose ``- x + y``
    sum to zero over two distributions, written so that every entry is
    non-negative and accurate to a few ulps where ``x`` and ``y`` are close.

    ``x log(x / y)`` alone leaves first-order terms that cancel only across
    the whole row: near-identical rows have a KL near 1e-15 made of terms
    near 1e-8, and the rounding of their sum is the whole answer. Here the
    entry is ``x (d - log1p(d))`` with ``d = (y - x) / x``; below |d| = 1/16
    by the series ``d - log1p(d) = d u - 2 (u^3/3 + u^5/5 + ...)`` of
    ``log1p(d) = 2 atanh(u)``, ``u = d / (2 + d)`` (|u| < 0.033: six terms
    leave a truncation below 1e-19 relative). ``0 log 0 = 0`` (the entry is
    then ``y``); ``x > 0 = y`` gives ``inf``.
    """
    if x == 0.0:
        return y
    if y == 0.0:
        return math.inf
    d = (y - x) / x  # y - x is exact where y and x are within a factor of 2
    if -0.0625 < d < 0.0625:
        u = d / (2.0 + d)
        u2 = u * u
        tail = 1.0 / 3.0 + u2 * (1.0 / 5.0 + u2 * (1.0 / 7.0 + u2 * (
            1.0 / 9.0 + u2 * (1.0 / 11.0 + u2 * (1.0 / 13.0)))))
        return x * (u * (d - 2.0 * u2 * tail))
    if -0.5 < d < 1e300:
        return x * (d - math.log1p(d))
    # y far below x (d would round towards -1) or y / x overflowing: the log
    # of the ratio where the ratio is a normal number, else by logs.
    ratio = x / y
    if SMALLEST_NORMAL <= ratio < math.inf:
        return x * math.log(ratio) + (y - x)
    return x * (math.log(x) - math.log(y)) + (y - x)


def js_term(x, y):
    """One entry of JS(p, q), ``(x log(x/m) + y log(y/m)) / 2`` with
    ``m = (x + y) / 2``, accurate where ``x`` and ``y`` are close (there the
    two logs cancel to first order, and rounding ``m`` alone would cost the
    answer). With ``s = x + y`` and ``d = (x - y) / s`` the entry is
    ``s g(d) / 4``, ``g(d) = (1 + d) log(1 + d) + (1 - d) log(1 - d)
    = sum_k d^(2k) / (k (2k - 1))``: the series below |d| = 1/16 (eight
    terms, truncation below 1e-19 relative), ``log1p`` up to |d| = 1/2, and
    logs of ``1 + d = 2x / s`` and ``1 - d = 2y / s`` beyond."""
    if x == 0.0 or y == 0.0:
        return 0.5 * LOG2 * (x + y)
    s = x + y
    d = (x - y) / s
    d2 = d * d
    if d2 < 1.0 / 256.0:
        g = d2 * (1.0 + d2 * (1.0 / 6.0 + d2 * (1.0 / 15.0 + d2 * (1.0 / 28.0 + d2 * (
            1.0 / 45.0 + d2 * (1.0 / 66.0 + d2 * (1.0 / 91.0 + d2 * (1.0 / 120.0))))))))
    elif d2 < 0.25:
        g = (1.0 + d) * math.log1p(d) + (1.0 - d) * math.log1p(-d)
    else:  # 1 + d and 1 - d from x and y (d itself may round to -1 or 1)
        a = 2.0 * x / s
        b = 2.0 * y / s
        g = (a * math.log(a) if a > 0.0 else 0.0) + (b * math.log(b) if b > 0.0 else 0.0)
    return 0.25 * s * g

